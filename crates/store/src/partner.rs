//! Partners: the vendor governs type, program, tier, status and joined date; the partner's
//! admin keeps its own profile (name, domain, country, regions, verticals) up to date.

use chrono::{DateTime, NaiveDate, Utc};
use partnerops_core::audit::{AuditAction, EntityKind};
use partnerops_core::country::{Country, Region};
use partnerops_core::ids::{EntityId, PartnerId, ProgramId, TierId, UserId};
use partnerops_core::lifecycle::application::Profile;
use partnerops_core::page::{Page, PageRequest, SortKey};
use partnerops_core::partner::{
    ManagerInput, Partner, PartnerFields, PartnerInput, PartnerManager, PartnerStatus, PartnerType,
};
use partnerops_core::program::Program;
use partnerops_core::scope::{Action, Scope, authorize};
use partnerops_core::user::{Role, User};
use partnerops_core::web_domain::WebDomain;
use partnerops_core::{FieldError, Invalid};

use crate::db::{Exec, Sql, Tx, UniqueRule, row, unique_violation};
use crate::entity::{self, Archived, Entity, json_column, to_json};
use crate::{Actor, Result, Store, StoreError, audit, new_id};

row! {
    pub(crate) struct PartnerRow {
        id: String,
        name: String,
        web_domain: String,
        partner_type: String,
        program_id: String,
        tier_id: String,
        tier_name: String,
        status: String,
        country: String,
        regions: String,
        verticals: String,
        joined_on: NaiveDate,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
        archived_at: Option<DateTime<Utc>>,
    }
}

impl Entity for Partner {
    const KIND: EntityKind = EntityKind::Partner;
    const TABLE: &'static str = "partners";
    // The row's columns by name: `partners.*` also read the profile, the tier fingerprint
    // and the first cohort, which a partner record never shows, into every row of a list.
    const SELECT: &'static str = "SELECT partners.id, partners.name, partners.web_domain, partners.partner_type, partners.program_id, partners.tier_id, t.name AS tier_name, partners.status, partners.country, partners.regions, partners.verticals, partners.joined_on, partners.created_at, partners.updated_at, partners.archived_at FROM partners partners JOIN tiers t ON t.id = partners.tier_id WHERE 1 = 1";
    const SORTS: &'static [(&'static str, &'static str)] = &[
        ("name", "partners.name"),
        ("joined_on", "partners.joined_on"),
        ("created_at", "partners.created_at"),
    ];
    type Row = PartnerRow;

    fn from_row(r: PartnerRow) -> Result<Partner> {
        let corrupt = |e: FieldError| StoreError::Corrupt(format!("{}: {}", e.field, e.message));
        let region_names: Vec<String> = json_column("regions", &r.regions)?;
        let regions = region_names
            .iter()
            .map(|s| Region::parse("regions", s))
            .collect::<Result<Vec<_>, _>>()
            .map_err(corrupt)?;
        Ok(Partner {
            id: PartnerId::from_trusted(r.id),
            name: r.name,
            web_domain: WebDomain::from_trusted(r.web_domain),
            partner_type: PartnerType::parse("partner_type", &r.partner_type).map_err(corrupt)?,
            program_id: ProgramId::from_trusted(r.program_id),
            tier_id: TierId::from_trusted(r.tier_id),
            tier_name: r.tier_name,
            status: PartnerStatus::parse("status", &r.status).map_err(corrupt)?,
            country: Country::parse("country", &r.country).map_err(corrupt)?,
            regions,
            verticals: json_column("verticals", &r.verticals)?,
            joined_on: r.joined_on,
            created_at: r.created_at,
            updated_at: r.updated_at,
            archived_at: r.archived_at,
        })
    }

    fn id_str(&self) -> &str {
        self.id.as_str()
    }

    fn owner(&self) -> Option<PartnerId> {
        Some(self.id.clone())
    }

    fn archive_action(&self) -> Action<'_> {
        Action::GovernPartner
    }

    fn map_db_error(e: sqlx::Error) -> StoreError {
        map_unique(e)
    }

    fn sort_key(&self, field: &str) -> SortKey {
        match field {
            "joined_on" => SortKey::Date(self.joined_on),
            "created_at" => SortKey::Time(self.created_at),
            _ => SortKey::Text(self.name.clone()),
        }
    }
}

const DOMAIN_TAKEN: UniqueRule = UniqueRule {
    index: "partners_domain_live",
    sqlite_columns: "partners.web_domain",
};

fn map_unique(e: sqlx::Error) -> StoreError {
    if unique_violation(&e, &DOMAIN_TAKEN) {
        StoreError::conflict(
            "web_domain",
            "unique",
            "another partner already uses this web domain",
        )
    } else {
        e.into()
    }
}

/// Filters for a partner list.
#[derive(Clone, Debug, Default)]
pub struct PartnerFilter {
    /// Part of the name or web domain.
    pub q: Option<String>,
    pub program_id: Option<ProgramId>,
    pub tier_id: Option<TierId>,
    pub partner_type: Option<PartnerType>,
    pub status: Option<PartnerStatus>,
    pub country: Option<Country>,
    pub region: Option<Region>,
    pub archived: Archived,
}

row! {
    struct TierRef {
        id: String,
        program_id: String,
    }
}

/// Resolves the tier a partner goes on: the one asked for, which must be a live tier of the
/// program, or else the program's entry tier (lowest live rank).
async fn resolve_tier(tx: &mut Tx, program: &ProgramId, wanted: Option<&TierId>) -> Result<TierId> {
    let mut q =
        Sql::new("SELECT id, program_id FROM tiers WHERE archived_at IS NULL AND program_id = ");
    q.bind(program.as_str());
    match wanted {
        Some(t) => q.push(" AND id = ").bind(t.as_str()),
        None => q.push(" ORDER BY rank LIMIT 1"),
    };
    let found: Option<TierRef> = tx.optional(&q).await?;
    match (found, wanted) {
        (Some(t), _) if t.program_id == program.as_str() => Ok(TierId::from_trusted(t.id)),
        (_, Some(_)) => Err(Invalid::one(
            "tier_id",
            "tier_of_program",
            "tier_id must be a live tier of the partner's program",
        )
        .into()),
        (_, None) => Err(Invalid::one(
            "program_id",
            "has_tiers",
            "the program has no live tiers; add one first",
        )
        .into()),
    }
}

/// Checks that the program exists and is live.
async fn live_program(tx: &mut Tx, id: &ProgramId) -> Result<()> {
    match entity::fetch::<Program>(tx, &Scope::Vendor, id.as_str()).await {
        Ok(p) if p.archived_at.is_none() => Ok(()),
        Ok(_) => Err(Invalid::one("program_id", "live", "the program is archived").into()),
        Err(StoreError::NotFound(_)) => {
            Err(Invalid::one("program_id", "exists", "program_id names no program").into())
        }
        Err(e) => Err(e),
    }
}

fn push_values(q: &mut Sql, f: &PartnerFields, tier: &TierId) -> Result<()> {
    let regions: Vec<&str> = f.regions.iter().map(|r| r.as_str()).collect();
    q.bind(f.name.as_str())
        .push(", ")
        .bind(f.web_domain.as_str())
        .push(", ")
        .bind(f.partner_type.as_str())
        .push(", ")
        .bind(f.program_id.as_str())
        .push(", ")
        .bind(tier.as_str())
        .push(", ")
        .bind(f.status.as_str())
        .push(", ")
        .bind(f.country.as_str())
        .push(", ")
        .bind(to_json(&regions)?)
        .push(", ")
        .bind(to_json(&f.verticals)?)
        .push(", ")
        .bind(f.joined_on);
    Ok(())
}

/// Inserts a partner inside a transaction; `profile` is what it told us when it applied.
pub(crate) async fn insert(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    f: &PartnerFields,
    profile: Option<&Profile>,
) -> Result<Partner> {
    live_program(tx, &f.program_id).await?;
    let tier = resolve_tier(tx, &f.program_id, f.tier_id.as_ref()).await?;
    let id: PartnerId = new_id();
    let mut q = Sql::new(
        "INSERT INTO partners (id, name, web_domain, partner_type, program_id, tier_id, status, country, regions, verticals, joined_on, profile, created_at, updated_at) VALUES (",
    );
    q.bind(id.as_str()).push(", ");
    push_values(&mut q, f, &tier)?;
    q.push(", ")
        .bind(profile.map(to_json).transpose()?)
        .push(", ")
        .bind(now)
        .push(", ")
        .bind(now)
        .push(")");
    tx.execute(&q).await.map_err(map_unique)?;
    let partner: Partner = entity::fetch(tx, &Scope::Vendor, id.as_str()).await?;
    audit::record(
        tx,
        now,
        actor,
        EntityKind::Partner,
        id.as_str(),
        AuditAction::Created,
        Some(&id),
        None::<&()>,
        Some(&partner),
    )
    .await?;
    Ok(partner)
}

/// Changes `before` by `patch` inside a transaction, by the rules of
/// [`Store::update_partner_if`] (who may change what, status moves, tiers of the program).
pub(crate) async fn update_in(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    before: &Partner,
    patch: PartnerInput,
) -> Result<Partner> {
    let moves_program = patch.program_id.is_some() && patch.tier_id.is_none();
    let mut merged = before.to_input().overlay(patch);
    if moves_program {
        merged.tier_id = None;
    }
    let f = PartnerFields::parse(&merged, before.joined_on)?;
    let governed: Vec<&str> = [
        ("partner_type", f.partner_type != before.partner_type),
        ("program_id", f.program_id != before.program_id),
        (
            "tier_id",
            f.tier_id.as_ref().is_some_and(|t| *t != before.tier_id)
                || (moves_program && f.program_id != before.program_id),
        ),
        ("status", f.status != before.status),
        ("joined_on", f.joined_on != before.joined_on),
    ]
    .into_iter()
    .filter_map(|(name, changed)| changed.then_some(name))
    .collect();
    if governed.is_empty() {
        actor.authorize(&Action::EditPartnerProfile(&before.id))?;
    } else if let Actor::User(p) = actor {
        authorize(p, &Action::GovernPartner).map_err(|mut d| {
            d.message = format!("{} (fields: {})", d.message, governed.join(", "));
            StoreError::Forbidden(d)
        })?;
    }
    before
        .status
        .check_change(f.status)
        .map_err(|e| StoreError::Invalid(Invalid { errors: vec![e] }))?;
    if f.program_id != before.program_id {
        live_program(tx, &f.program_id).await?;
    }
    let tier = resolve_tier(tx, &f.program_id, f.tier_id.as_ref()).await?;
    let mut q = Sql::new(
        "UPDATE partners SET (name, web_domain, partner_type, program_id, tier_id, status, country, regions, verticals, joined_on, updated_at) = (",
    );
    push_values(&mut q, &f, &tier)?;
    q.push(", ")
        .bind(now)
        .push(") WHERE id = ")
        .bind(before.id.as_str());
    tx.execute(&q).await.map_err(map_unique)?;
    crate::change::after_change(tx, now, actor, before, crate::change::Change::updated()).await
}

impl Store {
    pub fn partner_sorts() -> Vec<&'static str> {
        entity::sort_names::<Partner>()
    }

    #[tracing::instrument(skip_all)]
    pub async fn create_partner(&self, actor: &Actor, input: &PartnerInput) -> Result<Partner> {
        actor.authorize(&Action::GovernPartner)?;
        let now = self.now();
        let f = PartnerFields::parse(input, now.date_naive())?;
        let mut tx = self.db.begin_write().await?;
        let partner = insert(&mut tx, now, actor, &f, None).await?;
        tx.commit().await?;
        Ok(partner)
    }

    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn partner(&self, scope: &Scope, id: &str) -> Result<Partner> {
        entity::fetch(&mut self.db.read(), scope, id).await
    }

    /// The partners of `ids` that `scope` sees, in one read (missing ones left out).
    pub async fn partners_by_id(&self, scope: &Scope, ids: &[&str]) -> Result<Vec<Partner>> {
        entity::fetch_many(&mut self.db.read(), scope, ids).await
    }

    #[tracing::instrument(skip_all)]
    pub async fn partners(
        &self,
        scope: &Scope,
        filter: &PartnerFilter,
        page: &PageRequest,
    ) -> Result<Page<Partner>> {
        entity::list(self, scope, filter.archived, page, |q| {
            if let Some(needle) = filter.q.as_deref() {
                // Name or domain: one LIKE over both keeps the statement simple and indexed scans equal.
                entity::push_contains(q, "partners.name || ' ' || partners.web_domain", needle);
            }
            if let Some(p) = &filter.program_id {
                q.push(" AND partners.program_id = ").bind(p.as_str());
            }
            if let Some(t) = &filter.tier_id {
                q.push(" AND partners.tier_id = ").bind(t.as_str());
            }
            if let Some(t) = filter.partner_type {
                q.push(" AND partners.partner_type = ").bind(t.as_str());
            }
            if let Some(s) = filter.status {
                q.push(" AND partners.status = ").bind(s.as_str());
            }
            if let Some(c) = filter.country {
                q.push(" AND partners.country = ").bind(c.as_str());
            }
            if let Some(r) = filter.region {
                q.push(" AND partners.regions LIKE ")
                    .bind(format!("%\"{}\"%", r.as_str()));
            }
        })
        .await
    }

    /// Changes a partner. Who may change what: the partner's admin (and vendor staff with
    /// the right role) its profile; only vendor staff what the vendor governs. Status moves
    /// follow the lifecycle; a new program without a named tier puts the partner on that
    /// program's entry tier.
    /// [`Store::update_partner_if`] without a precondition.
    pub async fn update_partner(
        &self,
        actor: &Actor,
        id: &str,
        patch: PartnerInput,
    ) -> Result<Partner> {
        self.update_partner_if(actor, id, patch, &crate::etag::Precondition::None)
            .await
    }

    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn update_partner_if(
        &self,
        actor: &Actor,
        id: &str,
        patch: PartnerInput,
        precondition: &crate::etag::Precondition,
    ) -> Result<Partner> {
        let mut tx = self.db.begin_write().await?;
        let before: Partner =
            entity::fetch_for_change(&mut tx, &actor.scope(), id, precondition).await?;
        let after = update_in(&mut tx, self.now(), actor, &before, patch).await?;
        tx.commit().await?;
        Ok(after)
    }

    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn archive_partner(&self, actor: &Actor, id: &str) -> Result<Partner> {
        let partner = entity::set_archived(self, actor, id, true).await?;
        self.grants.forget_all();
        Ok(partner)
    }

    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn restore_partner(&self, actor: &Actor, id: &str) -> Result<Partner> {
        entity::set_archived(self, actor, id, false).await
    }
}

row! {
    struct ManagerRow {
        partner_id: String,
        user_id: String,
        display_name: String,
        assigned_by_name: String,
        assigned_at: DateTime<Utc>,
    }
}

impl From<ManagerRow> for PartnerManager {
    fn from(r: ManagerRow) -> PartnerManager {
        PartnerManager {
            partner_id: PartnerId::from_trusted(r.partner_id),
            user_id: UserId::from_trusted(r.user_id),
            display_name: r.display_name,
            assigned_by_name: r.assigned_by_name,
            assigned_at: r.assigned_at,
        }
    }
}

async fn manager_of(x: &mut impl Exec, partner_id: &str) -> Result<Option<PartnerManager>> {
    let mut q = Sql::new(
        "SELECT m.partner_id, m.user_id, u.display_name, m.assigned_by_name, m.assigned_at FROM partner_managers m JOIN users u ON u.id = m.user_id WHERE m.partner_id = ",
    );
    q.bind(partner_id);
    Ok(x.optional::<ManagerRow>(&q)
        .await?
        .map(PartnerManager::from))
}

impl Store {
    /// The channel manager of a partner the scope sees, if it has one.
    #[tracing::instrument(skip_all, fields(partner_id = %partner_id))]
    pub async fn partner_manager(
        &self,
        scope: &Scope,
        partner_id: &str,
    ) -> Result<Option<PartnerManager>> {
        let mut read = self.db.read();
        let _: Partner = entity::fetch(&mut read, scope, partner_id).await?;
        manager_of(&mut read, partner_id).await
    }

    /// Sets (or, with no user, clears) who looks after a partner: a live staff user who is a
    /// channel manager or an administrator. Audited on the partner.
    #[tracing::instrument(skip_all, fields(partner_id = %partner_id))]
    pub async fn set_partner_manager(
        &self,
        actor: &Actor,
        partner_id: &str,
        input: &ManagerInput,
    ) -> Result<Option<PartnerManager>> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let partner: Partner = entity::fetch(&mut tx, &actor.scope(), partner_id).await?;
        actor.authorize(&Action::GovernPartner)?;
        let user_id = input
            .user_id
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty());
        if let Some(user_id) = user_id {
            let user: Option<User> = entity::fetch(&mut tx, &Scope::Vendor, user_id).await.ok();
            let fits = user.is_some_and(|u| {
                u.archived_at.is_none()
                    && u.partner_id.is_none()
                    && matches!(u.role, Role::ChannelManager | Role::Admin)
            });
            if !fits {
                return Err(Invalid::one(
                    "user_id",
                    "channel_manager",
                    "user_id must name a live channel manager or administrator of the vendor",
                )
                .into());
            }
        }
        let before = manager_of(&mut tx, partner_id).await?;
        let mut d = Sql::new("DELETE FROM partner_managers WHERE partner_id = ");
        d.bind(partner_id);
        tx.execute(&d).await?;
        if let Some(user_id) = user_id {
            let mut q = Sql::new(
                "INSERT INTO partner_managers (partner_id, user_id, assigned_by_name, assigned_at) VALUES (",
            );
            q.bind(partner_id)
                .push(", ")
                .bind(user_id)
                .push(", ")
                .bind(actor.audit_name())
                .push(", ")
                .bind(now)
                .push(")");
            tx.execute(&q).await?;
        }
        let after = manager_of(&mut tx, partner_id).await?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::Partner,
            partner.id.as_str(),
            AuditAction::Updated,
            Some(&partner.id),
            Some(&serde_json::json!({ "channel_manager": before })),
            Some(&serde_json::json!({ "channel_manager": after })),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }
}

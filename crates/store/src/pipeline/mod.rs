//! The pipeline: opportunities on accounts, the partners on them, their stage history
//! (`stage.rs`: move, close, reopen), partner touchpoints (`touchpoint.rs`), the dated
//! currency-rate table (`fx.rs`) and the board and forecast (`board.rs`).
//!
//! An approved registration opens a partner-sourced opportunity in the approval's
//! transaction ([`open_from_registration`]), and closing that opportunity closes the
//! registration. A partner sees the opportunities it is on (`opportunity_partners`: the one
//! that brought the deal, and those whose touchpoints influenced it); the rules are
//! `core::pipeline`'s.

pub mod board;
pub mod fx;
pub mod room;
pub mod stage;
pub mod touchpoint;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use partnerops_core::audit::{AuditAction, EntityKind};
use partnerops_core::ids::{
    AccountId, EntityId, OpportunityId, PartnerId, ProgramId, RegistrationId, StageChangeId,
    UserId, parse_id,
};
use partnerops_core::money::{Currency, Money};
use partnerops_core::page::{Page, PageRequest, SortKey};
use partnerops_core::pipeline::Stage;
use partnerops_core::pipeline::forecast::{Month, weighted_minor};
use partnerops_core::pipeline::fx::RateAtClose;
use partnerops_core::pipeline::policy::PipelinePolicy;
use partnerops_core::pipeline::record::{
    MarketplaceKind, Opportunity, OpportunityFields, OpportunityInput, OpportunityPatch,
    OpportunitySource, Route, RouteKind, StageHistoryEntry,
};
use partnerops_core::policy::ProgramPolicy;
use partnerops_core::registration::Decision;
use partnerops_core::scope::{Action, Scope};
use partnerops_core::{FieldError, Invalid};

use self::board::Share;
use crate::business_plan::facts::{self as plan_facts, DealPart};
use crate::change::{self, Change};
use crate::db::{Exec, Sql, Tx, row};
use crate::decision::emit;
use crate::entity::{self, Archived, Entity};
use crate::{Actor, Result, Store, StoreError, audit, new_id, policy};

row! {
    pub(crate) struct OpportunityRow {
        id: String,
        program_id: String,
        account_id: String,
        account_name: String,
        partner_id: Option<String>,
        partner_name: Option<String>,
        registration_id: Option<String>,
        title: String,
        amount_minor: i64,
        currency: String,
        expected_close_on: NaiveDate,
        stage: String,
        probability_bp: i64,
        weighted_minor: i64,
        stage_entered_at: DateTime<Utc>,
        source: String,
        route: Option<String>,
        marketplace: Option<String>,
        marketplace_name: Option<String>,
        vendor_owner_id: Option<String>,
        partner_owner_id: Option<String>,
        next_step: Option<String>,
        closed_on: Option<NaiveDate>,
        closed_at: Option<DateTime<Utc>>,
        lost_reason: Option<String>,
        close_rate_to: Option<String>,
        close_rate_e8: Option<i64>,
        close_rate_effective_on: Option<NaiveDate>,
        amount_at_close_minor: Option<i64>,
        policy_version: i64,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    }
}

fn corrupt(e: FieldError) -> StoreError {
    StoreError::Corrupt(format!("{}: {}", e.field, e.message))
}

impl Entity for Opportunity {
    const KIND: EntityKind = EntityKind::Opportunity;
    const TABLE: &'static str = "opportunities";
    const SELECT: &'static str = "SELECT opportunities.id, opportunities.program_id, opportunities.account_id, a.name AS account_name, opportunities.partner_id, p.name AS partner_name, opportunities.registration_id, opportunities.title, opportunities.amount_minor, opportunities.currency, opportunities.expected_close_on, opportunities.stage, opportunities.probability_bp, opportunities.weighted_minor, opportunities.stage_entered_at, opportunities.source, opportunities.route, opportunities.marketplace, opportunities.marketplace_name, opportunities.vendor_owner_id, opportunities.partner_owner_id, opportunities.next_step, opportunities.closed_on, opportunities.closed_at, opportunities.lost_reason, opportunities.close_rate_to, opportunities.close_rate_e8, opportunities.close_rate_effective_on, opportunities.amount_at_close_minor, opportunities.policy_version, opportunities.created_at, opportunities.updated_at FROM opportunities opportunities JOIN accounts a ON a.id = opportunities.account_id LEFT JOIN partners p ON p.id = opportunities.partner_id WHERE 1 = 1";
    const SORTS: &'static [(&'static str, &'static str)] = &[
        ("updated_at", "opportunities.updated_at"),
        ("expected_close_on", "opportunities.expected_close_on"),
        ("amount_minor", "opportunities.amount_minor"),
        ("created_at", "opportunities.created_at"),
    ];
    type Row = OpportunityRow;

    fn from_row(r: OpportunityRow) -> Result<Opportunity> {
        let currency = Currency::parse("currency", &r.currency).map_err(corrupt)?;
        let rate_at_close = match (r.close_rate_to, r.close_rate_e8, r.closed_on) {
            (Some(to), Some(rate_e8), Some(close_on)) => Some(RateAtClose {
                from: currency,
                to: Currency::parse("close_rate_to", &to).map_err(corrupt)?,
                close_on,
                rate_e8,
                effective_on: r.close_rate_effective_on,
            }),
            _ => None,
        };
        let amount_at_close = match (&rate_at_close, r.amount_at_close_minor) {
            (Some(rate), Some(minor)) => Some(Money::new(minor, rate.to)),
            _ => None,
        };
        Ok(Opportunity {
            id: OpportunityId::from_trusted(r.id),
            program_id: ProgramId::from_trusted(r.program_id),
            account_id: AccountId::from_trusted(r.account_id),
            account_name: r.account_name,
            partner_id: r.partner_id.map(PartnerId::from_trusted),
            partner_name: r.partner_name,
            registration_id: r.registration_id.map(RegistrationId::from_trusted),
            title: r.title,
            amount: Money::new(r.amount_minor, currency),
            expected_close_on: r.expected_close_on,
            stage: Stage::from(r.stage),
            probability_bp: u32::try_from(r.probability_bp)
                .map_err(|_| StoreError::Corrupt("probability_bp out of range".into()))?,
            weighted_minor: r.weighted_minor,
            stage_entered_at: r.stage_entered_at,
            source: OpportunitySource::parse("source", &r.source).map_err(corrupt)?,
            route: r
                .route
                .map(|v| RouteKind::parse("route", &v))
                .transpose()
                .map_err(corrupt)?,
            marketplace: r
                .marketplace
                .map(|v| MarketplaceKind::parse("marketplace", &v))
                .transpose()
                .map_err(corrupt)?,
            marketplace_name: r.marketplace_name,
            vendor_owner_id: r.vendor_owner_id.map(UserId::from_trusted),
            partner_owner_id: r.partner_owner_id.map(UserId::from_trusted),
            next_step: r.next_step,
            closed_on: r.closed_on,
            closed_at: r.closed_at,
            lost_reason: r.lost_reason,
            rate_at_close,
            amount_at_close,
            policy_version: r.policy_version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }

    fn id_str(&self) -> &str {
        self.id.as_str()
    }

    fn owner(&self) -> Option<PartnerId> {
        self.partner_id.clone()
    }

    fn archive_action(&self) -> Action<'_> {
        // Opportunities are never archived; they close (won or lost).
        Action::WorkPipeline
    }

    fn sort_key(&self, field: &str) -> SortKey {
        match field {
            "expected_close_on" => SortKey::Date(self.expected_close_on),
            "amount_minor" => SortKey::Int(self.amount.amount_minor),
            "created_at" => SortKey::Time(self.created_at),
            _ => SortKey::Time(self.updated_at),
        }
    }
}

/// Filters for the pipeline list (and the board and forecast).
#[derive(Clone, Debug, Default)]
pub struct OpportunityFilter {
    pub program_id: Option<ProgramId>,
    /// A stage key, `open` (every open stage) or `closed` (won and lost).
    pub stage: Option<String>,
    pub source: Option<OpportunitySource>,
    pub route: Option<RouteKind>,
    pub partner_id: Option<PartnerId>,
    /// Either owner: the vendor's or the partner's.
    pub owner_id: Option<UserId>,
    pub account_id: Option<AccountId>,
    /// The expected close falls in this month.
    pub close_month: Option<Month>,
    /// Words in the title or the account's name.
    pub q: Option<String>,
}

impl OpportunityFilter {
    /// Appends the filter's conditions (each ` AND …`) for `opportunities` aliased
    /// `opportunities` and its account aliased `a`.
    pub(crate) fn push(&self, q: &mut Sql) {
        if let Some(p) = &self.program_id {
            q.push(" AND opportunities.program_id = ").bind(p.as_str());
        }
        match self.stage.as_deref() {
            None => {}
            Some("open") => {
                q.push(" AND opportunities.stage NOT IN ('won', 'lost')");
            }
            Some("closed") => {
                q.push(" AND opportunities.stage IN ('won', 'lost')");
            }
            Some(s) => {
                q.push(" AND opportunities.stage = ").bind(s);
            }
        }
        if let Some(s) = self.source {
            q.push(" AND opportunities.source = ").bind(s.as_str());
        }
        if let Some(r) = self.route {
            q.push(" AND opportunities.route = ").bind(r.as_str());
        }
        if let Some(p) = &self.partner_id {
            q.push(" AND opportunities.partner_id = ").bind(p.as_str());
        }
        if let Some(u) = &self.owner_id {
            q.push(" AND (opportunities.vendor_owner_id = ")
                .bind(u.as_str())
                .push(" OR opportunities.partner_owner_id = ")
                .bind(u.as_str())
                .push(")");
        }
        if let Some(a) = &self.account_id {
            q.push(" AND opportunities.account_id = ").bind(a.as_str());
        }
        if let Some(m) = self.close_month {
            // The stored month, not a date range: its index (with updated_at, id) serves
            // the list's default order, so a page reads its rows instead of a sorted month.
            q.push(" AND opportunities.expected_close_month = ")
                .bind(month_number(m));
        }
        if let Some(words) = self.q.as_deref().map(str::trim).filter(|w| !w.is_empty()) {
            let escaped = words
                .to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            let pattern = format!("%{escaped}%");
            q.push(" AND (lower(opportunities.title) LIKE ")
                .bind(pattern.as_str())
                .push(" ESCAPE '\\' OR lower(a.name) LIKE ")
                .bind(pattern)
                .push(" ESCAPE '\\')");
        }
    }

    /// Whether the filter narrows nothing but the program (the board can read its totals).
    pub(crate) fn is_program_only(&self) -> bool {
        let OpportunityFilter {
            program_id: _,
            stage,
            source,
            route,
            partner_id,
            owner_id,
            account_id,
            close_month,
            q,
        } = self;
        stage.is_none()
            && source.is_none()
            && route.is_none()
            && partner_id.is_none()
            && owner_id.is_none()
            && account_id.is_none()
            && close_month.is_none()
            && q.is_none()
    }
}

/// A month as stored in `expected_close_month`: YYYYMM.
pub(crate) fn month_number(m: Month) -> i64 {
    i64::from(m.year) * 100 + i64::from(m.month)
}

/// The month of a day as stored in `expected_close_month`.
pub(crate) fn month_of_day(d: NaiveDate) -> i64 {
    i64::from(d.year()) * 100 + i64::from(d.month())
}

row! {
    struct ProgramOfPartner {
        program_id: String,
    }
}

row! {
    struct UserRow {
        partner_id: Option<String>,
    }
}

row! {
    struct StageChangeRow {
        id: String,
        from_stage: Option<String>,
        to_stage: String,
        at: DateTime<Utc>,
        actor_id: Option<String>,
        actor_name: String,
        reason: String,
    }
}

/// Who may work this opportunity: the partner that brought it (and vendor staff who
/// sell), or for a direct deal, vendor staff who sell.
pub(crate) fn work_action(o: &Opportunity) -> Action<'_> {
    match &o.partner_id {
        Some(p) => Action::WorkOpportunity(p),
        None => Action::WorkPipeline,
    }
}

/// The program policy in force for `program_id`.
pub(crate) async fn program_policy(x: &mut impl Exec, program_id: &str) -> Result<ProgramPolicy> {
    Ok(policy::current_version(x, program_id).await?.policy)
}

row! {
    struct IdRow {
        id: String,
    }
}

/// The program a new opportunity belongs to: its partner's, else the one the input names,
/// else the vendor's only live program. Read before parsing, since the stage is checked
/// against that program's policy.
async fn resolve_program(tx: &mut Tx, input: &OpportunityInput) -> Result<ProgramId> {
    let given = |raw: &Option<String>| {
        raw.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    if let Some(raw) = given(&input.partner_id) {
        let partner = parse_id::<PartnerId>("partner_id", &raw).map_err(Invalid::from)?;
        let mut q = Sql::new("SELECT program_id FROM partners WHERE archived_at IS NULL AND id = ");
        q.bind(partner.as_str());
        let row: Option<ProgramOfPartner> = tx.optional(&q).await?;
        let row = row.ok_or_else(|| {
            Invalid::one(
                "partner_id",
                "not_found",
                "partner_id names no live partner",
            )
        })?;
        if let Some(p) = given(&input.program_id)
            && p != row.program_id
        {
            return Err(Invalid::one(
                "program_id",
                "other_program",
                "the partner is in another program than program_id",
            )
            .into());
        }
        return Ok(ProgramId::from_trusted(row.program_id));
    }
    if let Some(raw) = given(&input.program_id) {
        let program = parse_id::<ProgramId>("program_id", &raw).map_err(Invalid::from)?;
        let mut q = Sql::new("SELECT id FROM programs WHERE archived_at IS NULL AND id = ");
        q.bind(program.as_str());
        let found: Option<IdRow> = tx.optional(&q).await?;
        return match found {
            Some(_) => Ok(program),
            None => Err(Invalid::one(
                "program_id",
                "not_found",
                "program_id names no live program",
            )
            .into()),
        };
    }
    let q = Sql::new("SELECT id FROM programs WHERE archived_at IS NULL ORDER BY id LIMIT 2");
    let rows: Vec<IdRow> = tx.all(&q).await?;
    match rows.as_slice() {
        [only] => Ok(ProgramId::from_trusted(only.id.clone())),
        _ => Err(Invalid::one(
            "program_id",
            "required",
            "program_id is required for a direct deal when there is not exactly one program",
        )
        .into()),
    }
}

/// Checks that the account and the owners exist and fit: a live account, a vendor staff
/// user as the vendor owner, a user of the opportunity's partner as the partner owner.
async fn check_references(tx: &mut Tx, f: &OpportunityFields) -> Result<()> {
    let mut inv = Invalid::new();
    let mut q = Sql::new("SELECT id FROM accounts WHERE archived_at IS NULL AND id = ");
    q.bind(f.account_id.as_str());
    let account: Option<IdRow> = tx.optional(&q).await?;
    if account.is_none() {
        inv.add(
            "account_id",
            "not_found",
            "account_id names no live account",
        );
    }
    let owners = [
        ("vendor_owner_id", &f.vendor_owner_id, None),
        (
            "partner_owner_id",
            &f.partner_owner_id,
            f.partner_id.as_ref(),
        ),
    ];
    for (field, user, partner) in owners {
        let Some(user) = user else { continue };
        let mut q = Sql::new("SELECT partner_id FROM users WHERE archived_at IS NULL AND id = ");
        q.bind(user.as_str());
        let row: Option<UserRow> = tx.optional(&q).await?;
        let fits = match (&row, field) {
            (None, _) => false,
            (Some(r), "vendor_owner_id") => r.partner_id.is_none(),
            (Some(r), _) => partner.is_some_and(|p| r.partner_id.as_deref() == Some(p.as_str())),
        };
        if !fits {
            let message = if field == "vendor_owner_id" {
                "vendor_owner_id must name a live vendor staff user"
            } else {
                "partner_owner_id must name a live user of the opportunity's partner"
            };
            inv.add(field, "not_found", message);
        }
    }
    Ok(inv.finish(|| Some(()))?)
}

/// The stage's probability under `policy` and the weighted amount, rounded once.
fn weighting(stage: &Stage, amount_minor: i64, policy: &ProgramPolicy) -> (i64, i64) {
    let bp = stage.probability_bp(&policy.pipeline).unwrap_or(0);
    (i64::from(bp), weighted_minor(amount_minor, bp))
}

/// Inserts an opportunity with its partner link and first stage-history entry.
async fn insert(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    program_id: &ProgramId,
    f: &OpportunityFields,
    registration_id: Option<&str>,
    policy: &ProgramPolicy,
) -> Result<OpportunityId> {
    let id: OpportunityId = new_id();
    let (probability_bp, weighted) = weighting(&f.stage, f.amount.amount_minor, policy);
    let route = f.route.as_ref();
    let marketplace = route.and_then(|r| r.marketplace());
    let mut q = Sql::new(
        "INSERT INTO opportunities (id, program_id, account_id, partner_id, registration_id, title, amount_minor, currency, expected_close_on, expected_close_month, stage, probability_bp, weighted_minor, stage_entered_at, source, route, marketplace, marketplace_name, vendor_owner_id, partner_owner_id, next_step, policy_version, created_at, updated_at) VALUES (",
    );
    q.bind(id.as_str())
        .push(", ")
        .bind(program_id.as_str())
        .push(", ")
        .bind(f.account_id.as_str())
        .push(", ")
        .bind(f.partner_id.as_ref().map(|p| p.as_str()))
        .push(", ")
        .bind(registration_id)
        .push(", ")
        .bind(f.title.as_str())
        .push(", ")
        .bind(f.amount.amount_minor)
        .push(", ")
        .bind(f.amount.currency.as_str())
        .push(", ")
        .bind(f.expected_close_on)
        .push(", ")
        .bind(month_of_day(f.expected_close_on))
        .push(", ")
        .bind(f.stage.as_str())
        .push(", ")
        .bind(probability_bp)
        .push(", ")
        .bind(weighted)
        .push(", ")
        .bind(now)
        .push(", ")
        .bind(f.source.as_str())
        .push(", ")
        .bind(route.map(|r| r.kind().as_str()))
        .push(", ")
        .bind(marketplace.map(|m| m.as_str()))
        .push(", ")
        .bind(marketplace.and_then(|m| m.other_name()))
        .push(", ")
        .bind(f.vendor_owner_id.as_ref().map(|u| u.as_str()))
        .push(", ")
        .bind(f.partner_owner_id.as_ref().map(|u| u.as_str()))
        .push(", ")
        .bind(f.next_step.as_deref())
        .push(", ")
        .bind(policy.version())
        .push(", ")
        .bind(now)
        .push(", ")
        .bind(now)
        .push(")");
    tx.execute(&q).await?;
    let share = Share {
        stage: f.stage.as_str(),
        currency: f.amount.currency.as_str(),
        amount_minor: f.amount.amount_minor,
        weighted_minor: weighted,
    };
    board::move_share(tx, program_id.as_str(), None, Some(share)).await?;
    if let Some(p) = &f.partner_id {
        let linked = add_partner(tx, now, &id, p, "sourced").await?;
        if f.source == OpportunitySource::PartnerSourced && !f.stage.is_closed() {
            let part = DealPart::open(p, f.expected_close_on, f.amount);
            plan_facts::move_deal(tx, None, Some(part)).await?;
        }
        plan_facts::deal_linked(tx, p, &f.account_id, linked).await?;
    }
    // The owners on both sides start in the deal room.
    for owner in [&f.vendor_owner_id, &f.partner_owner_id]
        .into_iter()
        .flatten()
    {
        room::add_member(tx, now, actor, id.as_str(), owner).await?;
    }
    let reason = format!(
        "created at {} ({})",
        f.stage.label(&policy.pipeline),
        f.stage.as_str()
    );
    record_stage_change(tx, now, actor, id.as_str(), None, &f.stage, &reason).await?;
    Ok(id)
}

/// Narrows an update of `o` to the row as it was read: its stage, and the amount, currency
/// and dates the board's and the plans' kept sums were moved from. Two changes of one deal
/// at once cannot both move them from the same state; the second changes nothing.
pub(crate) fn as_read(q: &mut Sql, o: &Opportunity) {
    q.push(" AND stage = ")
        .bind(o.stage.as_str())
        .push(" AND amount_minor = ")
        .bind(o.amount.amount_minor)
        .push(" AND currency = ")
        .bind(o.amount.currency.as_str())
        .push(" AND expected_close_on = ")
        .bind(o.expected_close_on);
    if let Some(d) = o.closed_on {
        q.push(" AND closed_on = ").bind(d);
    }
}

/// Puts `partner` on the opportunity (nothing when it is already on it); says whether it
/// was not on it before.
pub(crate) async fn add_partner(
    tx: &mut Tx,
    now: DateTime<Utc>,
    opportunity_id: &OpportunityId,
    partner: &PartnerId,
    role: &str,
) -> Result<bool> {
    let mut q = Sql::new(
        "INSERT INTO opportunity_partners (opportunity_id, partner_id, role, created_at) VALUES (",
    );
    q.bind(opportunity_id.as_str())
        .push(", ")
        .bind(partner.as_str())
        .push(", ")
        .bind(role)
        .push(", ")
        .bind(now)
        .push(") ON CONFLICT (opportunity_id, partner_id) DO NOTHING");
    Ok(tx.execute(&q).await? > 0)
}

/// Appends one entry to the stage history.
pub(crate) async fn record_stage_change(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    opportunity_id: &str,
    from: Option<&Stage>,
    to: &Stage,
    reason: &str,
) -> Result<()> {
    let id: StageChangeId = new_id();
    let mut q = Sql::new(
        "INSERT INTO opportunity_stage_changes (id, opportunity_id, from_stage, to_stage, at, actor_id, actor_name, reason) VALUES (",
    );
    q.bind(id.as_str())
        .push(", ")
        .bind(opportunity_id)
        .push(", ")
        .bind(from.map(Stage::as_str))
        .push(", ")
        .bind(to.as_str())
        .push(", ")
        .bind(now)
        .push(", ")
        .bind(actor.user_id().map(|u| u.as_str()))
        .push(", ")
        .bind(actor.audit_name())
        .push(", ")
        .bind(reason)
        .push(")");
    tx.execute(&q).await?;
    Ok(())
}

/// Re-reads a new opportunity and records its creation (audit and domain event).
async fn announce(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    id: &OpportunityId,
) -> Result<Opportunity> {
    let o: Opportunity = entity::fetch(tx, &Scope::Vendor, id.as_str()).await?;
    audit::record(
        tx,
        now,
        actor,
        EntityKind::Opportunity,
        id.as_str(),
        AuditAction::Created,
        o.partner_id.as_ref(),
        None::<&()>,
        Some(&o),
    )
    .await?;
    emit(
        tx,
        now,
        "opportunity.created",
        id.as_str(),
        o.partner_id.as_ref(),
        &o,
    )
    .await?;
    Ok(o)
}

row! {
    struct ApprovedRegistration {
        program_id: String,
        partner_id: String,
        account_id: String,
        title: String,
        est_arr_minor: i64,
        currency: String,
        expected_close_on: Option<NaiveDate>,
        expires_at: Option<DateTime<Utc>>,
        submitted_by: Option<String>,
    }
}

/// Opens the partner-sourced opportunity of a registration that was just approved, in the
/// approval's transaction, and links the two both ways. It starts at the policy's first
/// stage with the registration's title, estimated ARR and expected close (else the day the
/// registration expires), owned on the partner side by the user who submitted it.
pub(crate) async fn open_from_registration(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    registration_id: &str,
) -> Result<Opportunity> {
    let mut q = Sql::new(
        "SELECT r.program_id, r.partner_id, r.account_id, r.title, r.est_arr_minor, r.currency, r.expected_close_on, r.expires_at, r.submitted_by FROM registrations r WHERE r.id = ",
    );
    q.bind(registration_id);
    let r: ApprovedRegistration = tx
        .optional(&q)
        .await?
        .ok_or(StoreError::NotFound(EntityKind::Registration))?;
    let policy = program_policy(tx, &r.program_id).await?;
    let stage = policy
        .pipeline
        .first_stage()
        .map(|s| Stage::Open(s.key.clone()))
        .ok_or_else(|| StoreError::Corrupt("the pipeline policy has no stages".into()))?;
    let expected_close_on = r
        .expected_close_on
        .or(r.expires_at.map(|t| t.date_naive()))
        .unwrap_or_else(|| (now + Duration::days(90)).date_naive());
    let currency = Currency::parse("currency", &r.currency).map_err(corrupt)?;
    let fields = OpportunityFields {
        program_id: Some(ProgramId::from_trusted(r.program_id.clone())),
        account_id: AccountId::from_trusted(r.account_id),
        title: r.title,
        amount: Money::new(r.est_arr_minor, currency),
        expected_close_on,
        stage,
        source: OpportunitySource::PartnerSourced,
        // A registration does not say how the deal reaches the customer; resale is the
        // seed's default motion, and the route can be changed on the opportunity.
        route: Some(Route::Resale),
        partner_id: Some(PartnerId::from_trusted(r.partner_id)),
        vendor_owner_id: None,
        partner_owner_id: r.submitted_by.map(UserId::from_trusted),
        next_step: None,
    };
    let program = ProgramId::from_trusted(r.program_id);
    let id = insert(
        tx,
        now,
        actor,
        &program,
        &fields,
        Some(registration_id),
        &policy,
    )
    .await?;
    let mut q = Sql::new("UPDATE registrations SET opportunity_id = ");
    q.bind(id.as_str())
        .push(" WHERE id = ")
        .bind(registration_id);
    tx.execute(&q).await?;
    let o = announce(tx, now, actor, &id).await?;
    crate::campaign::lead_opened(tx, now, actor, &o).await?;
    Ok(o)
}

/// Creates an opportunity inside a transaction by the rules of
/// [`Store::create_opportunity`] (its program, stage and references); the caller has
/// checked who may.
pub(crate) async fn create_in(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    input: &OpportunityInput,
) -> Result<Opportunity> {
    let program = resolve_program(tx, input).await?;
    let policy = program_policy(tx, program.as_str()).await?;
    let f = OpportunityFields::parse(input, &policy.pipeline)?;
    check_references(tx, &f).await?;
    let id = insert(tx, now, actor, &program, &f, None, &policy).await?;
    announce(tx, now, actor, &id).await
}

/// Changes an open opportunity's fields inside a transaction by the rules of
/// [`Store::update_opportunity_if`].
pub(crate) async fn update_in(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    before: &Opportunity,
    patch: &OpportunityPatch,
) -> Result<Opportunity> {
    actor.authorize(&work_action(before))?;
    if before.stage.is_closed() {
        return Err(StoreError::conflict(
            "stage",
            "opportunity.closed",
            "a closed opportunity does not change; reopen it first",
        ));
    }
    let policy = program_policy(tx, before.program_id.as_str()).await?;
    let f = OpportunityFields::parse(&patch.overlay(before.as_input()), &policy.pipeline)?;
    check_references(tx, &f).await?;
    let weighted = weighted_minor(f.amount.amount_minor, before.probability_bp);
    let route = f.route.as_ref();
    let marketplace = route.and_then(|r| r.marketplace());
    let mut q = Sql::new("UPDATE opportunities SET title = ");
    q.bind(f.title.as_str())
        .push(", amount_minor = ")
        .bind(f.amount.amount_minor)
        .push(", currency = ")
        .bind(f.amount.currency.as_str())
        .push(", weighted_minor = ")
        .bind(weighted)
        .push(", expected_close_on = ")
        .bind(f.expected_close_on)
        .push(", expected_close_month = ")
        .bind(month_of_day(f.expected_close_on))
        .push(", route = ")
        .bind(route.map(|r| r.kind().as_str()))
        .push(", marketplace = ")
        .bind(marketplace.map(|m| m.as_str()))
        .push(", marketplace_name = ")
        .bind(marketplace.and_then(|m| m.other_name()))
        .push(", vendor_owner_id = ")
        .bind(f.vendor_owner_id.as_ref().map(|u| u.as_str()))
        .push(", partner_owner_id = ")
        .bind(f.partner_owner_id.as_ref().map(|u| u.as_str()))
        .push(", next_step = ")
        .bind(f.next_step.as_deref())
        .push(", updated_at = ")
        .bind(now)
        .push(" WHERE stage NOT IN ('won', 'lost') AND id = ")
        .bind(before.id.as_str());
    as_read(&mut q, before);
    if tx.execute(&q).await? == 0 {
        return Err(StoreError::conflict(
            "stage",
            "opportunity.changed",
            "the opportunity closed or changed meanwhile; reload it and try again",
        ));
    }
    board::move_share(
        tx,
        before.program_id.as_str(),
        Some(Share::of(before)),
        Some(Share {
            stage: before.stage.as_str(),
            currency: f.amount.currency.as_str(),
            amount_minor: f.amount.amount_minor,
            weighted_minor: weighted,
        }),
    )
    .await?;
    let after = change::after_change(
        tx,
        now,
        actor,
        before,
        Change::updated().event("opportunity.updated"),
    )
    .await?;
    plan_facts::move_deal(tx, DealPart::of(before), DealPart::of(&after)).await?;
    Ok(after)
}

impl Store {
    pub fn opportunity_sorts() -> Vec<&'static str> {
        entity::sort_names::<Opportunity>()
    }

    /// The stages and lost reasons in force for a program. Not secret: every partner of the
    /// program works its deals along them.
    pub async fn pipeline_policy(&self, program_id: &str) -> Result<PipelinePolicy> {
        Ok(program_policy(&mut self.db.read(), program_id)
            .await?
            .pipeline)
    }

    /// Creates an opportunity (vendor staff who sell).
    #[tracing::instrument(skip_all)]
    pub async fn create_opportunity(
        &self,
        actor: &Actor,
        input: &OpportunityInput,
    ) -> Result<Opportunity> {
        actor.authorize(&Action::WorkPipeline)?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let o = create_in(&mut tx, now, actor, input).await?;
        tx.commit().await?;
        Ok(o)
    }

    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn opportunity(&self, scope: &Scope, id: &str) -> Result<Opportunity> {
        entity::fetch(&mut self.db.read(), scope, id).await
    }

    #[tracing::instrument(skip_all)]
    pub async fn opportunities(
        &self,
        scope: &Scope,
        filter: &OpportunityFilter,
        page: &PageRequest,
    ) -> Result<Page<Opportunity>> {
        entity::list(self, scope, Archived::All, page, |q| filter.push(q)).await
    }

    /// Changes an open opportunity's fields (not its stage, source or partner).
    /// [`Store::update_opportunity_if`] without a precondition.
    pub async fn update_opportunity(
        &self,
        actor: &Actor,
        id: &str,
        patch: &OpportunityPatch,
    ) -> Result<Opportunity> {
        self.update_opportunity_if(actor, id, patch, &crate::etag::Precondition::None)
            .await
    }

    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn update_opportunity_if(
        &self,
        actor: &Actor,
        id: &str,
        patch: &OpportunityPatch,
        precondition: &crate::etag::Precondition,
    ) -> Result<Opportunity> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let before: Opportunity =
            entity::fetch_for_change(&mut tx, &actor.scope(), id, precondition).await?;
        let after = update_in(&mut tx, now, actor, &before, patch).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// The stage history, oldest first.
    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn opportunity_history(
        &self,
        scope: &Scope,
        id: &str,
    ) -> Result<Vec<StageHistoryEntry>> {
        let mut read = self.db.read();
        let _: Opportunity = entity::fetch(&mut read, scope, id).await?;
        let mut q = Sql::new(
            "SELECT id, from_stage, to_stage, at, actor_id, actor_name, reason FROM opportunity_stage_changes WHERE opportunity_id = ",
        );
        q.bind(id).push(" ORDER BY at, id");
        let rows: Vec<StageChangeRow> = read.all(&q).await?;
        Ok(rows
            .into_iter()
            .map(|r| StageHistoryEntry {
                id: StageChangeId::from_trusted(r.id),
                from_stage: r.from_stage.map(Stage::from),
                to_stage: Stage::from(r.to_stage),
                at: r.at,
                actor_id: r.actor_id.map(UserId::from_trusted),
                actor_name: r.actor_name,
                reason: r.reason,
            })
            .collect())
    }

    /// The decision recorded for a change of an opportunity, citing it, its account and its
    /// registration; with the audit event and the domain event.
    pub(crate) async fn finish_opportunity(
        &self,
        tx: &mut Tx,
        now: DateTime<Utc>,
        actor: &Actor,
        before: &Opportunity,
        decision: &Decision,
        event: &str,
    ) -> Result<Opportunity> {
        let mut records = vec![before.id.as_str(), before.account_id.as_str()];
        if let Some(r) = &before.registration_id {
            records.push(r.as_str());
        }
        let done = Change::updated().decided(decision, &records).event(event);
        change::after_change(tx, now, actor, before, done).await
    }
}

//! Tiers: the ordered ladder of a program.

use chrono::{DateTime, Utc};
use partnerops_core::audit::{AuditAction, EntityKind};
use partnerops_core::ids::{EntityId, PartnerId, ProgramId, TierId};
use partnerops_core::page::{Page, PageRequest, SortKey};
use partnerops_core::program::Program;
use partnerops_core::scope::{Action, Scope};
use partnerops_core::tier::{Tier, TierFields, TierInput};

use crate::db::{Exec, Sql, Tx, UniqueRule, row, unique_violation};
use crate::entity::{self, Archived, Entity, json_column, to_json};
use crate::{Actor, Result, Store, StoreError, audit, new_id};

row! {
    pub(crate) struct TierRow {
        id: String,
        program_id: String,
        rank: i64,
        name: String,
        description: Option<String>,
        benefits: String,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
        archived_at: Option<DateTime<Utc>>,
    }
}

impl Entity for Tier {
    const KIND: EntityKind = EntityKind::Tier;
    const TABLE: &'static str = "tiers";
    const SELECT: &'static str = "SELECT tiers.* FROM tiers tiers WHERE 1 = 1";
    const SORTS: &'static [(&'static str, &'static str)] =
        &[("rank", "tiers.rank"), ("name", "tiers.name")];
    type Row = TierRow;

    fn from_row(r: TierRow) -> Result<Tier> {
        Ok(Tier {
            id: TierId::from_trusted(r.id),
            program_id: ProgramId::from_trusted(r.program_id),
            rank: i32::try_from(r.rank).map_err(|e| StoreError::Corrupt(format!("rank: {e}")))?,
            name: r.name,
            description: r.description,
            benefits: json_column("benefits", &r.benefits)?,
            created_at: r.created_at,
            updated_at: r.updated_at,
            archived_at: r.archived_at,
        })
    }

    fn id_str(&self) -> &str {
        self.id.as_str()
    }

    fn owner(&self) -> Option<PartnerId> {
        None
    }

    fn archive_action(&self) -> Action<'_> {
        Action::WriteProgram
    }

    fn map_db_error(e: sqlx::Error) -> StoreError {
        map_unique(e)
    }

    fn sort_key(&self, field: &str) -> SortKey {
        match field {
            "name" => SortKey::Text(self.name.clone()),
            _ => SortKey::Int(i64::from(self.rank)),
        }
    }
}

const RANK_TAKEN: UniqueRule = UniqueRule {
    index: "tiers_rank_live",
    sqlite_columns: "tiers.program_id, tiers.rank",
};
const NAME_TAKEN: UniqueRule = UniqueRule {
    index: "tiers_name_live",
    sqlite_columns: "tiers.name",
};

fn map_unique(e: sqlx::Error) -> StoreError {
    if unique_violation(&e, &RANK_TAKEN) {
        StoreError::conflict(
            "rank",
            "unique",
            "another tier of this program already has this rank",
        )
    } else if unique_violation(&e, &NAME_TAKEN) {
        StoreError::conflict(
            "name",
            "unique",
            "another tier of this program already has this name",
        )
    } else {
        e.into()
    }
}

/// Inserts a tier inside a transaction (used by program creation too).
pub(crate) async fn insert(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    program: &ProgramId,
    f: &TierFields,
) -> Result<Tier> {
    let id: TierId = new_id();
    let mut q = Sql::new(
        "INSERT INTO tiers (id, program_id, rank, name, description, benefits, created_at, updated_at) VALUES (",
    );
    q.bind(id.as_str())
        .push(", ")
        .bind(program.as_str())
        .push(", ")
        .bind(f.rank)
        .push(", ")
        .bind(f.name.as_str())
        .push(", ")
        .bind(f.description.as_deref())
        .push(", ")
        .bind(to_json(&f.benefits)?)
        .push(", ")
        .bind(now)
        .push(", ")
        .bind(now)
        .push(")");
    tx.execute(&q).await.map_err(map_unique)?;
    let tier: Tier = entity::fetch(tx, &Scope::Vendor, id.as_str()).await?;
    audit::record(
        tx,
        now,
        actor,
        EntityKind::Tier,
        id.as_str(),
        AuditAction::Created,
        None,
        None::<&()>,
        Some(&tier),
    )
    .await?;
    Ok(tier)
}

impl Store {
    pub fn tier_sorts() -> Vec<&'static str> {
        entity::sort_names::<Tier>()
    }

    /// Adds a tier to a live program.
    #[tracing::instrument(skip_all, fields(program_id = %program_id))]
    pub async fn create_tier(
        &self,
        actor: &Actor,
        program_id: &str,
        input: &TierInput,
    ) -> Result<Tier> {
        let mut tx = self.db.begin_write().await?;
        // Look the program up before the role rule, so an invisible program is 404 not 403.
        let program: Program = entity::fetch(&mut tx, &actor.scope(), program_id).await?;
        actor.authorize(&Action::WriteProgram)?;
        if program.archived_at.is_some() {
            return Err(StoreError::conflict(
                "program_id",
                "archived",
                "the program is archived; restore it before adding tiers",
            ));
        }
        let fields = TierFields::parse(input)?;
        let tier = insert(&mut tx, self.now(), actor, &program.id, &fields).await?;
        tx.commit().await?;
        Ok(tier)
    }

    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn tier(&self, scope: &Scope, id: &str) -> Result<Tier> {
        entity::fetch(&mut self.db.read(), scope, id).await
    }

    /// The tiers of a program as `scope` sees them: vendor staff any program's, a partner
    /// only its own program's. Any other program is `NotFound`, not an empty ladder.
    #[tracing::instrument(skip_all, fields(program_id = %program_id))]
    pub async fn tiers(
        &self,
        scope: &Scope,
        program_id: &str,
        archived: Archived,
        page: &PageRequest,
    ) -> Result<Page<Tier>> {
        match scope {
            Scope::Vendor => {
                let _: Program = entity::fetch(&mut self.db.read(), scope, program_id).await?;
            }
            Scope::Partner(partner) => {
                row! {
                    struct Member {
                        #[allow(dead_code)]
                        id: String,
                    }
                }
                let mut q = Sql::new("SELECT id FROM partners WHERE id = ");
                q.bind(partner.as_str())
                    .push(" AND program_id = ")
                    .bind(program_id);
                let member: Option<Member> = self.db.read().optional(&q).await?;
                member.ok_or(StoreError::NotFound(EntityKind::Program))?;
            }
        }
        entity::list(self, scope, archived, page, |q| {
            q.push(" AND tiers.program_id = ").bind(program_id);
        })
        .await
    }

    /// [`Store::update_tier_if`] without a precondition.
    pub async fn update_tier(&self, actor: &Actor, id: &str, patch: TierInput) -> Result<Tier> {
        self.update_tier_if(actor, id, patch, &crate::etag::Precondition::None)
            .await
    }

    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn update_tier_if(
        &self,
        actor: &Actor,
        id: &str,
        patch: TierInput,
        precondition: &crate::etag::Precondition,
    ) -> Result<Tier> {
        let mut tx = self.db.begin_write().await?;
        let before: Tier =
            entity::fetch_for_change(&mut tx, &actor.scope(), id, precondition).await?;
        actor.authorize(&Action::WriteProgram)?;
        let f = TierFields::parse(&before.to_input().overlay(patch))?;
        let now = self.now();
        let mut q =
            Sql::new("UPDATE tiers SET (rank, name, description, benefits, updated_at) = (");
        q.bind(f.rank)
            .push(", ")
            .bind(f.name.as_str())
            .push(", ")
            .bind(f.description.as_deref())
            .push(", ")
            .bind(to_json(&f.benefits)?)
            .push(", ")
            .bind(now)
            .push(") WHERE id = ")
            .bind(id);
        tx.execute(&q).await.map_err(map_unique)?;
        let after = crate::change::after_change(
            &mut tx,
            now,
            actor,
            &before,
            crate::change::Change::updated(),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Archives a tier. A tier that live partners are on cannot be archived: move them first.
    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn archive_tier(&self, actor: &Actor, id: &str) -> Result<Tier> {
        row! {
            struct Count {
                n: i64,
            }
        }
        let tier: Tier = entity::fetch(&mut self.db.read(), &actor.scope(), id).await?;
        actor.authorize(&tier.archive_action())?;
        let mut q =
            Sql::new("SELECT COUNT(*) AS n FROM partners WHERE archived_at IS NULL AND tier_id = ");
        q.bind(id);
        let n = self
            .db
            .read()
            .all::<Count>(&q)
            .await?
            .first()
            .map_or(0, |c| c.n);
        if n > 0 {
            return Err(StoreError::conflict(
                "id",
                "tier_in_use",
                format!("{n} live partner(s) are on this tier; move them to another tier first"),
            ));
        }
        entity::set_archived(self, actor, id, true).await
    }

    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn restore_tier(&self, actor: &Actor, id: &str) -> Result<Tier> {
        entity::set_archived(self, actor, id, false).await
    }
}

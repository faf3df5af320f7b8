//! Programs and their tier ladders (`tier.rs`): create (with the default ladder), read,
//! change, list, archive. Not here: a program's policy document (`policy`) or the partners
//! on it (`partner`); programs are vendor-only, so partner scopes never see them.

pub mod tier;

use chrono::{DateTime, Utc};
use partnerops_core::audit::{AuditAction, EntityKind};
use partnerops_core::ids::{EntityId, PartnerId, ProgramId};
use partnerops_core::money::{Currency, Money};
use partnerops_core::page::{Page, PageRequest, SortKey};
use partnerops_core::program::{ChannelThesis, Program, ProgramFields, ProgramInput, ProgramKind};
use partnerops_core::scope::{Action, Scope};
use partnerops_core::tier::ladder_for;

use crate::db::{Exec, Sql, UniqueRule, row, unique_violation};
use crate::entity::{self, Archived, Entity, json_column, to_json};
use crate::{Actor, Result, Store, StoreError, audit, new_id};

row! {
    pub(crate) struct ProgramRow {
        id: String,
        name: String,
        kind: String,
        description: Option<String>,
        currency: String,
        coverage_gaps: String,
        economic_model: Option<String>,
        partner_value: String,
        sourced_arr_target_minor: i64,
        influenced_arr_target_minor: i64,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
        archived_at: Option<DateTime<Utc>>,
    }
}

impl Entity for Program {
    const KIND: EntityKind = EntityKind::Program;
    const TABLE: &'static str = "programs";
    const SELECT: &'static str = "SELECT programs.* FROM programs programs WHERE 1 = 1";
    const SORTS: &'static [(&'static str, &'static str)] = &[
        ("name", "programs.name"),
        ("created_at", "programs.created_at"),
    ];
    type Row = ProgramRow;

    fn from_row(r: ProgramRow) -> Result<Program> {
        let corrupt = |e: partnerops_core::FieldError| StoreError::Corrupt(e.message);
        let currency = Currency::parse("currency", &r.currency).map_err(corrupt)?;
        Ok(Program {
            id: ProgramId::from_trusted(r.id),
            name: r.name,
            kind: ProgramKind::parse("kind", &r.kind).map_err(corrupt)?,
            description: r.description,
            currency,
            thesis: ChannelThesis {
                coverage_gaps: json_column("coverage_gaps", &r.coverage_gaps)?,
                economic_model: r.economic_model,
                partner_value: json_column("partner_value", &r.partner_value)?,
                sourced_arr_target: Money::new(r.sourced_arr_target_minor, currency),
                influenced_arr_target: Money::new(r.influenced_arr_target_minor, currency),
            },
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
            "created_at" => SortKey::Time(self.created_at),
            _ => SortKey::Text(self.name.clone()),
        }
    }
}

const NAME_TAKEN: UniqueRule = UniqueRule {
    index: "programs_name_live",
    sqlite_columns: "programs.name",
};

/// Filters for a program list.
#[derive(Clone, Debug, Default)]
pub struct ProgramFilter {
    pub q: Option<String>,
    pub kind: Option<ProgramKind>,
    pub archived: Archived,
}

fn map_unique(e: sqlx::Error) -> StoreError {
    if unique_violation(&e, &NAME_TAKEN) {
        StoreError::conflict("name", "unique", "another program already has this name")
    } else {
        e.into()
    }
}

impl Store {
    pub fn program_sorts() -> Vec<&'static str> {
        entity::sort_names::<Program>()
    }

    /// Creates a program and the tier ladder of its kind (Registered, Select, Premier; a
    /// technology program: Integration, Partnership, Strategic).
    #[tracing::instrument(skip_all)]
    pub async fn create_program(&self, actor: &Actor, input: &ProgramInput) -> Result<Program> {
        actor.authorize(&Action::WriteProgram)?;
        let fields = ProgramFields::parse(input)?;
        let now = self.now();
        let id: ProgramId = new_id();
        let mut tx = self.db.begin_write().await?;
        let mut q = Sql::new(
            "INSERT INTO programs (id, name, kind, description, currency, coverage_gaps, economic_model, partner_value, sourced_arr_target_minor, influenced_arr_target_minor, created_at, updated_at) VALUES (",
        );
        q.bind(id.as_str()).push(", ");
        push_values(&mut q, &fields)?;
        q.push(", ").bind(now).push(", ").bind(now).push(")");
        tx.execute(&q).await.map_err(map_unique)?;
        let program: Program = entity::fetch(&mut tx, &Scope::Vendor, id.as_str()).await?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::Program,
            id.as_str(),
            AuditAction::Created,
            None,
            None::<&()>,
            Some(&program),
        )
        .await?;
        for tier in ladder_for(fields.kind) {
            tier::insert(&mut tx, now, actor, &id, &tier).await?;
        }
        tx.commit().await?;
        Ok(program)
    }

    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn program(&self, scope: &Scope, id: &str) -> Result<Program> {
        entity::fetch(&mut self.db.read(), scope, id).await
    }

    #[tracing::instrument(skip_all)]
    pub async fn programs(
        &self,
        scope: &Scope,
        filter: &ProgramFilter,
        page: &PageRequest,
    ) -> Result<Page<Program>> {
        entity::list(self, scope, filter.archived, page, |q| {
            if let Some(needle) = filter.q.as_deref() {
                entity::push_contains(q, "programs.name", needle);
            }
            if let Some(kind) = filter.kind {
                q.push(" AND programs.kind = ").bind(kind.as_str());
            }
        })
        .await
    }

    /// Changes the fields `patch` names; the result is validated as a whole.
    /// [`Store::update_program_if`] without a precondition.
    pub async fn update_program(
        &self,
        actor: &Actor,
        id: &str,
        patch: ProgramInput,
    ) -> Result<Program> {
        self.update_program_if(actor, id, patch, &crate::etag::Precondition::None)
            .await
    }

    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn update_program_if(
        &self,
        actor: &Actor,
        id: &str,
        patch: ProgramInput,
        precondition: &crate::etag::Precondition,
    ) -> Result<Program> {
        let mut tx = self.db.begin_write().await?;
        let before: Program =
            entity::fetch_for_change(&mut tx, &actor.scope(), id, precondition).await?;
        actor.authorize(&Action::WriteProgram)?;
        let fields = ProgramFields::parse(&before.to_input().overlay(patch))?;
        let now = self.now();
        let mut q = Sql::new(
            "UPDATE programs SET (name, kind, description, currency, coverage_gaps, economic_model, partner_value, sourced_arr_target_minor, influenced_arr_target_minor, updated_at) = (",
        );
        push_values(&mut q, &fields)?;
        q.push(", ").bind(now).push(") WHERE id = ").bind(id);
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

    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn archive_program(&self, actor: &Actor, id: &str) -> Result<Program> {
        entity::set_archived(self, actor, id, true).await
    }

    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn restore_program(&self, actor: &Actor, id: &str) -> Result<Program> {
        entity::set_archived(self, actor, id, false).await
    }
}

fn push_values(q: &mut Sql, f: &ProgramFields) -> Result<()> {
    q.bind(f.name.as_str())
        .push(", ")
        .bind(f.kind.as_str())
        .push(", ")
        .bind(f.description.as_deref())
        .push(", ")
        .bind(f.currency.as_str())
        .push(", ")
        .bind(to_json(&f.thesis.coverage_gaps)?)
        .push(", ")
        .bind(f.thesis.economic_model.as_deref())
        .push(", ")
        .bind(to_json(&f.thesis.partner_value)?)
        .push(", ")
        .bind(f.thesis.sourced_arr_target.amount_minor)
        .push(", ")
        .bind(f.thesis.influenced_arr_target.amount_minor);
    Ok(())
}
/// Narrow reads for pages that show one fact about a program to someone who may not read
/// the program itself: a partner's portal (its program's currency) and the public
/// application form (which programs exist). They return only what those pages show.
impl Store {
    /// The currency of the program the partner of `scope` belongs to, so a partner can type
    /// amounts in it. `NotFound` for the vendor scope (staff read whole programs) or when the
    /// partner is unknown.
    pub async fn program_currency_for(&self, scope: &Scope) -> Result<Currency> {
        row! {
            struct CurrencyRow {
                currency: String,
            }
        }
        if !matches!(scope, Scope::Partner(_)) {
            return Err(StoreError::NotFound(EntityKind::Program));
        }
        // Through the partner's own scope: the partner row it may read, and that row's program.
        let mut q = Sql::new(
            "SELECT programs.currency FROM programs programs \
             JOIN partners partners ON partners.program_id = programs.id WHERE 1 = 1",
        );
        crate::scope::restrict(&mut q, scope, EntityKind::Partner, "partners");
        let found: Option<CurrencyRow> = self.db.read().optional(&q).await?;
        let row = found.ok_or(StoreError::NotFound(EntityKind::Program))?;
        Currency::parse("currency", &row.currency)
            .map_err(|e| StoreError::Invalid(partnerops_core::Invalid { errors: vec![e] }))
    }

    /// The live programs an applicant may apply to, as (id, name) by name: what the public
    /// application form lists, and nothing more. Needs no principal; at most 200.
    pub async fn open_programs_for_application(&self) -> Result<Vec<(String, String)>> {
        row! {
            struct OpenProgramRow {
                id: String,
                name: String,
            }
        }
        let q = Sql::new(
            "SELECT programs.id, programs.name FROM programs programs \
             WHERE programs.archived_at IS NULL ORDER BY programs.name, programs.id LIMIT 200",
        );
        let rows: Vec<OpenProgramRow> = self.db.read().all(&q).await?;
        Ok(rows.into_iter().map(|r| (r.id, r.name)).collect())
    }
}

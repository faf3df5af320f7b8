//! Each program's registration policy: versioned rows; the newest applies. A program
//! without a stored policy uses the seed defaults (version 1).

use chrono::{DateTime, Utc};
use partnerops_core::Invalid;
use partnerops_core::program::Program;
use partnerops_core::registration::policy::RegistrationPolicy;
use partnerops_core::scope::{Action, Scope};

use crate::db::{Exec, Sql, row};
use crate::entity::{self, json_column, to_json};
use crate::{Actor, Result, Store, StoreError};

row! {
    struct PolicyRow {
        version: i64,
        registration: String,
        #[allow(dead_code)]
        created_at: DateTime<Utc>,
    }
}

/// The newest registration policy of a program.
pub(crate) async fn current(x: &mut impl Exec, program_id: &str) -> Result<RegistrationPolicy> {
    let mut q = Sql::new(
        "SELECT version, registration, created_at FROM program_policies WHERE program_id = ",
    );
    q.bind(program_id).push(" ORDER BY version DESC LIMIT 1");
    let row: Option<PolicyRow> = x.optional(&q).await?;
    match row {
        Some(r) => {
            let mut policy: RegistrationPolicy = json_column("registration", &r.registration)?;
            policy.version = r.version;
            Ok(policy)
        }
        None => Ok(RegistrationPolicy::default()),
    }
}

impl Store {
    /// The registration policy in force for a program (vendor staff).
    pub async fn registration_policy(
        &self,
        scope: &Scope,
        program_id: &str,
    ) -> Result<RegistrationPolicy> {
        let _: Program = entity::fetch(&mut self.db.read(), scope, program_id).await?;
        current(&mut self.db.read(), program_id).await
    }

    /// Publishes new registration settings for a program as the next policy version.
    pub async fn set_registration_policy(
        &self,
        actor: &Actor,
        program_id: &str,
        policy: RegistrationPolicy,
    ) -> Result<RegistrationPolicy> {
        let mut tx = self.db.begin_write().await?;
        let _: Program = entity::fetch(&mut tx, &actor.scope(), program_id).await?;
        actor.authorize(&Action::DecideRegistration)?;
        policy
            .validate()
            .map_err(|inv: Invalid| StoreError::Invalid(inv))?;
        let version = current(&mut tx, program_id).await?.version + 1;
        let stored = RegistrationPolicy { version, ..policy };
        let mut q = Sql::new(
            "INSERT INTO program_policies (program_id, version, registration, created_at) VALUES (",
        );
        q.bind(program_id)
            .push(", ")
            .bind(version)
            .push(", ")
            .bind(to_json(&stored)?)
            .push(", ")
            .bind(self.now())
            .push(")");
        tx.execute(&q).await?;
        tx.commit().await?;
        Ok(stored)
    }
}

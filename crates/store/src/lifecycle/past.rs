//! Loading a partner's past for demo data: the parts of its history no store function
//! writes as such (a joining profile, kept by an application's approval, and tier moves,
//! written by the daily tiering job as they happen), written with the same columns and
//! values those would have written, so the fit model and the partner history read them as
//! usual. Only the demo loader (`partnerops-seed`) calls this; no product path does.

use chrono::{DateTime, Utc};
use partnerops_core::ids::{EntityId, TierChangeId};
use partnerops_core::lifecycle::application::Profile;
use partnerops_core::lifecycle::tiering::TierRule;

use crate::db::{Exec, Sql};
use crate::entity::to_json;
use crate::{Result, Store, new_id};

/// A tier move in a partner's past, as the tiering job would have recorded it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PastTierMove {
    pub at: DateTime<Utc>,
    pub from_rank: i64,
    pub to_rank: i64,
    pub rule: TierRule,
}

impl Store {
    /// Demo data only: stores a just-created partner's joining profile and its past tier
    /// moves, in one transaction, as decided under the program's first policy version.
    #[doc(hidden)]
    #[tracing::instrument(skip_all, fields(partner_id = %partner_id))]
    pub async fn load_partner_past(
        &self,
        partner_id: &str,
        profile: &Profile,
        moves: &[PastTierMove],
    ) -> Result<()> {
        let mut tx = self.db.begin_write().await?;
        let mut q = Sql::new("UPDATE partners SET profile = ");
        q.bind(to_json(profile)?)
            .push(" WHERE id = ")
            .bind(partner_id);
        tx.execute(&q).await?;
        for m in moves {
            let id: TierChangeId = new_id();
            let mut q = Sql::new(
                "INSERT INTO tier_changes (id, partner_id, at, from_rank, to_rank, rule, policy_version) VALUES (",
            );
            q.bind(id.as_str())
                .push(", ")
                .bind(partner_id)
                .push(", ")
                .bind(m.at)
                .push(", ")
                .bind(m.from_rank)
                .push(", ")
                .bind(m.to_rank)
                .push(", ")
                .bind(m.rule.as_str())
                .push(", ")
                .bind(1i64)
                .push(")");
            tx.execute(&q).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

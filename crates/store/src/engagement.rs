//! Engagement events (`engagement_events`): one row per signal a partner's user gives, written
//! in the transaction of what caused it. Read by measurement (the engagement score).

use chrono::{DateTime, Utc};
use partnerops_core::engagement::EngagementKind;
use partnerops_core::ids::{EngagementEventId, EntityId, PartnerId, UserId};

use crate::db::{Exec, Sql, Tx};
use crate::{Result, new_id};

/// Records that `user` of `partner` did `kind` (about record `ref_id`) at `now`.
pub(crate) async fn record(
    tx: &mut Tx,
    now: DateTime<Utc>,
    partner: &PartnerId,
    user: &UserId,
    kind: EngagementKind,
    ref_id: &str,
) -> Result<()> {
    let id: EngagementEventId = new_id();
    // Written with the transaction's other bookkeeping rows when it commits.
    tx.hold_row(
        "engagement_events",
        &[
            "id",
            "partner_id",
            "user_id",
            "kind",
            "occurred_at",
            "ref_id",
        ],
        vec![
            id.as_str().into(),
            partner.as_str().into(),
            user.as_str().into(),
            kind.as_str().into(),
            now.into(),
            ref_id.into(),
        ],
    );
    Ok(())
}

impl crate::Store {
    /// How many events of each kind a partner's people gave (measurement weighs them).
    pub async fn engagement_counts(
        &self,
        partner: &PartnerId,
    ) -> Result<std::collections::BTreeMap<String, i64>> {
        crate::db::row! { struct Count { kind: String, n: i64 } }
        let mut q = Sql::new(
            "SELECT kind, CAST(COUNT(*) AS BIGINT) AS n FROM engagement_events WHERE partner_id = ",
        );
        q.bind(partner.as_str()).push(" GROUP BY kind");
        let rows: Vec<Count> = self.db.read().all(&q).await?;
        Ok(rows.into_iter().map(|c| (c.kind, c.n)).collect())
    }
}

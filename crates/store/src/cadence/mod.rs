//! The 30-day operating cadence: what is due for one person, gathered from every capability
//! (one query per source: registrations, engagement requests, conflict cases, agreed plans,
//! deal-room and plan tasks, onboarding checklists, launch tasks; each limited to what the person's scope
//! may see), the pipeline at a glance against the business plans' milestones, and private
//! calendar feeds.
//!
//! What counts as due, the window, the order and the links are `core::cadence`; here are
//! only the reads. Vendor staff see every partner's items (at most [`PER_SOURCE`] per
//! source, soonest first) and their own tasks; a partner user sees their
//! partner's items and their own tasks, and never the name of another partner.

mod feed;

use chrono::{NaiveDate, TimeDelta};
use partnerops_core::audit::EntityKind;
use partnerops_core::business_plan::cadence::reviews_due;
use partnerops_core::business_plan::record::{PlanContent, ReviewKind, quarter_end};
use partnerops_core::cadence::{
    Agenda, DueItem, DueKind, PlanGlance, Side, Subject, agenda, engagement_answer_due,
    onboarding_item_due, window_end,
};
use partnerops_core::ids::{BusinessPlanId, EntityId, PartnerId};
use partnerops_core::money::Currency;
use partnerops_core::scope::{Principal, Scope};

use crate::db::{Exec, Sql, row};
use crate::entity::json_column;
use crate::{Result, Store, midnight, scope};

/// The most items one source adds to a list. A vendor-wide list of ten thousand partners
/// would otherwise be unreadable; the soonest come first.
pub const PER_SOURCE: i64 = 200;

/// The plans shown in the pipeline at a glance.
pub const GLANCE_PLANS: i64 = 12;

row! {
    struct DatedRow {
        id: String,
        title: String,
        partner_id: String,
        partner_name: String,
        due_at: chrono::DateTime<chrono::Utc>,
    }
}

row! {
    struct EngagementRow {
        registration_id: String,
        title: String,
        partner_id: String,
        partner_name: String,
        created_at: chrono::DateTime<chrono::Utc>,
    }
}

row! {
    struct ConflictRow {
        id: String,
        registration_id: Option<String>,
        registration_title: Option<String>,
        account_name: String,
        partner_id: Option<String>,
        partner_name: Option<String>,
        level: i64,
        due_at: chrono::DateTime<chrono::Utc>,
    }
}

row! {
    struct PlanRow {
        id: String,
        title: String,
        partner_id: String,
        partner_name: String,
        period_start: NaiveDate,
        currency: String,
        content: String,
    }
}

row! {
    struct HeldRow {
        plan_id: String,
        kind: String,
        held_on: NaiveDate,
    }
}

row! {
    struct TaskRow {
        id: String,
        opportunity_id: String,
        title: String,
        due_on: NaiveDate,
        opportunity_title: String,
        partner_id: Option<String>,
        partner_name: Option<String>,
    }
}

row! {
    struct PlanTaskRow {
        id: String,
        plan_id: String,
        title: String,
        due_on: NaiveDate,
        plan_title: String,
        partner_id: String,
        partner_name: String,
    }
}

row! {
    struct OnboardingRow {
        id: String,
        name: String,
        joined_on: NaiveDate,
    }
}

/// The side whose pages a principal uses.
pub fn side_of(principal: &Principal) -> Side {
    if principal.is_vendor() {
        Side::Console
    } else {
        Side::Portal
    }
}

/// A partner name as a viewer may read it: staff read every name, a partner user only
/// their own partner's.
fn shown_partner(
    viewer: &Scope,
    id: Option<String>,
    name: Option<String>,
) -> (Option<PartnerId>, Option<String>) {
    match viewer {
        Scope::Vendor => (id.map(PartnerId::from_trusted), name),
        Scope::Partner(own) => match id {
            Some(id) if id == own.as_str() => (Some(own.clone()), name),
            _ => (None, None),
        },
    }
}

/// An item of the viewer's list (`scope`), naming the partner only where the viewer may
/// read it (see [`shown_partner`]).
fn due_item(
    scope: &Scope,
    kind: DueKind,
    due_on: NaiveDate,
    title: String,
    partner: (Option<String>, Option<String>),
    subject: Subject,
    key: String,
) -> DueItem {
    let (partner_id, partner_name) = shown_partner(scope, partner.0, partner.1);
    DueItem {
        kind,
        due_on,
        title,
        partner_id,
        partner_name,
        subject,
        key,
    }
}

/// Whose items a list holds: what the scope sees, and for a staff member who looks after
/// partners (`partner_managers`) only those partners, unless they ask for everyone.
pub(crate) struct Reach<'a> {
    scope: &'a Scope,
    managed_by: Option<String>,
    /// The staff member asked for everyone's items (launch tasks of both sides).
    everyone: bool,
}

impl Reach<'_> {
    /// Appends ` AND <partner column> IN (the partners the user looks after)` when the list
    /// is limited to them.
    fn only_managed(&self, q: &mut Sql, partner_column: &str) {
        if let Some(user) = &self.managed_by {
            q.push(&format!(
                " AND {partner_column} IN (SELECT pm.partner_id FROM partner_managers pm WHERE pm.user_id = "
            ))
            .bind(user.as_str())
            .push(")");
        }
    }
}

impl Store {
    /// Whose items `principal`'s list holds: a staff member who looks after partners sees
    /// those (unless `everyone`); anyone else what their scope sees.
    async fn reach<'a>(&self, principal: &'a Principal, everyone: bool) -> Result<Reach<'a>> {
        let mut managed_by = None;
        if principal.is_vendor() && !everyone {
            row! { struct Managed { partner_id: String } }
            let mut q = Sql::new("SELECT partner_id FROM partner_managers WHERE user_id = ");
            q.bind(principal.user_id.as_str()).push(" LIMIT 1");
            let managed: Option<Managed> = self.db.read().optional(&q).await?;
            if managed.is_some_and(|m| !m.partner_id.is_empty()) {
                managed_by = Some(principal.user_id.to_string());
            }
        }
        Ok(Reach {
            scope: &principal.scope,
            managed_by,
            everyone,
        })
    }

    /// What is due for `principal` as of the store's today: overdue first, then the next
    /// 30 days. A staff member who looks after partners gets theirs, or with `everyone`
    /// every partner's.
    #[tracing::instrument(skip_all, fields(user_id = %principal.user_id))]
    pub async fn cadence(&self, principal: &Principal, everyone: bool) -> Result<Agenda> {
        let today = self.now().date_naive();
        let reach = self.reach(principal, everyone).await?;
        let items = self.due_items(principal, &reach, today).await?;
        let mut a = agenda(items, today, side_of(principal));
        a.my_partners_only = reach.managed_by.is_some();
        Ok(a)
    }

    /// Every due item of every source up to the end of the window starting `today`.
    async fn due_items(
        &self,
        principal: &Principal,
        reach: &Reach<'_>,
        today: NaiveDate,
    ) -> Result<Vec<DueItem>> {
        let until = window_end(today);
        let mut items = Vec::new();
        self.registration_items(reach, until, &mut items).await?;
        self.engagement_items(reach, until, &mut items).await?;
        self.conflict_items(reach, until, &mut items).await?;
        self.plan_items(reach, today, until, &mut items).await?;
        self.task_items(principal, until, &mut items).await?;
        self.plan_task_items(principal, until, &mut items).await?;
        self.onboarding_items(reach, until, &mut items).await?;
        self.launch_items(reach, until, &mut items).await?;
        self.track_items(reach, until, &mut items).await?;
        Ok(items)
    }

    /// Approved registrations expiring, or whose follow-up SLA falls due, in the window.
    async fn registration_items(
        &self,
        reach: &Reach<'_>,
        until: NaiveDate,
        out: &mut Vec<DueItem>,
    ) -> Result<()> {
        let scope = reach.scope;
        let before = midnight(until + TimeDelta::days(1));
        for (column, extra, kind) in [
            ("expires_at", "", DueKind::RegistrationExpiry),
            (
                "sla_due_at",
                " AND r.sla_missed_at IS NULL",
                DueKind::FollowUpSla,
            ),
        ] {
            let mut q = Sql::new(&format!(
                "SELECT r.id, r.title, r.partner_id, p.name AS partner_name, r.{column} AS due_at FROM registrations r JOIN partners p ON p.id = r.partner_id WHERE r.status = 'approved'{extra} AND r.{column} < "
            ));
            q.bind(before);
            scope::restrict(&mut q, scope, EntityKind::Registration, "r");
            reach.only_managed(&mut q, "r.partner_id");
            q.push(&format!(" ORDER BY r.{column}, r.id LIMIT {PER_SOURCE}"));
            for r in self.db.read().all::<DatedRow>(&q).await? {
                let title = match kind {
                    DueKind::RegistrationExpiry => format!("Registration expires: {}", r.title),
                    _ => format!("Log a follow-up on {}", r.title),
                };
                out.push(due_item(
                    scope,
                    kind,
                    r.due_at.date_naive(),
                    title,
                    (Some(r.partner_id), Some(r.partner_name)),
                    Subject::Registration(r.id),
                    String::new(),
                ));
            }
        }
        Ok(())
    }

    /// Engagement requests waiting for the partner's answer.
    async fn engagement_items(
        &self,
        reach: &Reach<'_>,
        until: NaiveDate,
        out: &mut Vec<DueItem>,
    ) -> Result<()> {
        let scope = reach.scope;
        let mut q = Sql::new(
            "SELECT e.registration_id, r.title, e.partner_id, p.name AS partner_name, e.created_at FROM engagement_requests e JOIN registrations r ON r.id = e.registration_id JOIN partners p ON p.id = e.partner_id WHERE e.status = 'pending' AND e.created_at < ",
        );
        q.bind(midnight(until + TimeDelta::days(1)));
        scope::restrict(&mut q, scope, EntityKind::Engagement, "e");
        reach.only_managed(&mut q, "e.partner_id");
        q.push(&format!(" ORDER BY e.created_at, e.id LIMIT {PER_SOURCE}"));
        for r in self.db.read().all::<EngagementRow>(&q).await? {
            let title = match scope {
                Scope::Vendor => format!("Engagement request waiting for an answer: {}", r.title),
                Scope::Partner(_) => format!("Answer the engagement request on {}", r.title),
            };
            out.push(due_item(
                scope,
                DueKind::EngagementRequest,
                engagement_answer_due(r.created_at.date_naive()),
                title,
                (Some(r.partner_id), Some(r.partner_name)),
                Subject::Registration(r.registration_id),
                String::new(),
            ));
        }
        Ok(())
    }

    /// Open conflict cases due in the window. A partner reads its case on its registration,
    /// and its title names the partner's own deal, never the account's other claimants.
    async fn conflict_items(
        &self,
        reach: &Reach<'_>,
        until: NaiveDate,
        out: &mut Vec<DueItem>,
    ) -> Result<()> {
        let scope = reach.scope;
        let mut q = Sql::new(
            "SELECT c.id, c.registration_id, r.title AS registration_title, a.name AS account_name, c.partner_id, p.name AS partner_name, c.level, c.due_at FROM conflict_cases c JOIN accounts a ON a.id = c.account_id LEFT JOIN registrations r ON r.id = c.registration_id LEFT JOIN partners p ON p.id = c.partner_id WHERE c.status = 'open' AND c.due_at < ",
        );
        q.bind(midnight(until + TimeDelta::days(1)));
        scope::restrict(&mut q, scope, EntityKind::Conflict, "c");
        reach.only_managed(&mut q, "c.partner_id");
        q.push(&format!(" ORDER BY c.due_at, c.id LIMIT {PER_SOURCE}"));
        for r in self.db.read().all::<ConflictRow>(&q).await? {
            let (title, subject) = match scope {
                Scope::Vendor => (
                    format!(
                        "Resolve the conflict case on {} (level {})",
                        r.account_name, r.level
                    ),
                    Subject::Conflict(r.id),
                ),
                Scope::Partner(_) => {
                    let Some(registration) = r.registration_id else {
                        continue;
                    };
                    (
                        format!(
                            "Conflict case on {} due for resolution",
                            r.registration_title.unwrap_or_default()
                        ),
                        Subject::Registration(registration),
                    )
                }
            };
            out.push(due_item(
                scope,
                DueKind::ConflictDeadline,
                r.due_at.date_naive(),
                title,
                (r.partner_id, r.partner_name),
                subject,
                String::new(),
            ));
        }
        Ok(())
    }

    /// The agreed plans running in the window: their reviews due, the quarter ends that
    /// carry a sourced-ARR milestone, and the marketing commitments dated in the window.
    async fn plan_items(
        &self,
        reach: &Reach<'_>,
        today: NaiveDate,
        until: NaiveDate,
        out: &mut Vec<DueItem>,
    ) -> Result<()> {
        let scope = reach.scope;
        // A plan runs a year from its start: one that started more than a year ago is over.
        let started_after = today - TimeDelta::days(366);
        let mut q = Sql::new(
            "SELECT b.id, b.title, b.partner_id, p.name AS partner_name, b.period_start, b.currency, b.content FROM business_plans b JOIN partners p ON p.id = b.partner_id WHERE b.status = 'agreed' AND b.period_start <= ",
        );
        q.bind(until)
            .push(" AND b.period_start > ")
            .bind(started_after);
        scope::restrict(&mut q, scope, EntityKind::BusinessPlan, "b");
        reach.only_managed(&mut q, "b.partner_id");
        q.push(&format!(
            " ORDER BY b.period_start, b.id LIMIT {PER_SOURCE}"
        ));
        let plans: Vec<PlanRow> = self.db.read().all(&q).await?;
        if plans.is_empty() {
            return Ok(());
        }
        let mut q = Sql::new(
            "SELECT v.plan_id, v.kind, v.held_on FROM business_plan_reviews v JOIN business_plans b ON b.id = v.plan_id WHERE b.status = 'agreed' AND b.period_start > ",
        );
        q.bind(started_after);
        scope::restrict(&mut q, scope, EntityKind::BusinessPlan, "b");
        reach.only_managed(&mut q, "b.partner_id");
        let held: Vec<HeldRow> = self.db.read().all(&q).await?;
        for plan in plans {
            let content: PlanContent = json_column("content", &plan.content)?;
            let held_here: Vec<(ReviewKind, NaiveDate)> = held
                .iter()
                .filter(|h| h.plan_id == plan.id)
                .filter_map(|h| {
                    ReviewKind::parse("kind", &h.kind)
                        .ok()
                        .map(|k| (k, h.held_on))
                })
                .collect();
            let (partner_id, partner_name) =
                shown_partner(scope, Some(plan.partner_id), Some(plan.partner_name));
            let item = |kind, due_on, title: String, key: String| DueItem {
                kind,
                due_on,
                title,
                partner_id: partner_id.clone(),
                partner_name: partner_name.clone(),
                subject: Subject::BusinessPlan(plan.id.clone()),
                key,
            };
            for due in reviews_due(&content, plan.period_start, &held_here, today) {
                out.push(item(
                    DueKind::Review,
                    due.due_on,
                    format!("{}: {}", due.kind.label(), plan.title),
                    format!("{}-{}", due.kind.as_str(), due.due_on),
                ));
            }
            for m in &content.milestones {
                let ends = quarter_end(plan.period_start, m.quarter);
                if m.sourced_arr_minor > 0 && ends >= today && ends <= until {
                    let amount = partnerops_core::money::Money::new(
                        m.sourced_arr_minor,
                        Currency::parse("currency", &plan.currency)
                            .map_err(|e| crate::StoreError::Corrupt(e.message))?,
                    );
                    out.push(item(
                        DueKind::Milestone,
                        ends,
                        format!(
                            "Q{} milestone: {amount} sourced ARR ({})",
                            m.quarter, plan.title
                        ),
                        format!("q{}", m.quarter),
                    ));
                }
            }
            for (i, c) in content.marketing.iter().enumerate() {
                if c.on >= today && c.on <= until {
                    out.push(item(
                        DueKind::Commitment,
                        c.on,
                        format!("{}: {}", c.kind.label(), c.title),
                        format!("m{i}"),
                    ));
                }
            }
        }
        Ok(())
    }

    /// The principal's own open deal-room tasks with a due day in or before the window.
    async fn task_items(
        &self,
        principal: &Principal,
        until: NaiveDate,
        out: &mut Vec<DueItem>,
    ) -> Result<()> {
        let mut q = Sql::new(
            "SELECT t.id, t.opportunity_id, t.title, t.due_on, o.title AS opportunity_title, o.partner_id, p.name AS partner_name FROM room_tasks t JOIN opportunities o ON o.id = t.opportunity_id LEFT JOIN partners p ON p.id = o.partner_id WHERE t.status = 'open' AND t.due_on IS NOT NULL AND t.owner_id = ",
        );
        q.bind(principal.user_id.as_str())
            .push(" AND t.due_on <= ")
            .bind(until);
        // A task is read through its deal: a partner user whose partner is no longer on it
        // does not see the deal's title.
        scope::restrict(&mut q, &principal.scope, EntityKind::Opportunity, "o");
        q.push(&format!(" ORDER BY t.due_on, t.id LIMIT {PER_SOURCE}"));
        for r in self.db.read().all::<TaskRow>(&q).await? {
            out.push(due_item(
                &principal.scope,
                DueKind::Task,
                r.due_on,
                format!("{} ({})", r.title, r.opportunity_title),
                (r.partner_id, r.partner_name),
                Subject::Room(r.opportunity_id),
                r.id,
            ));
        }
        Ok(())
    }

    /// The principal's own open plan tasks (next steps of business reviews) due in or
    /// before the window. The owner may see the plan: recording a review checks it.
    async fn plan_task_items(
        &self,
        principal: &Principal,
        until: NaiveDate,
        out: &mut Vec<DueItem>,
    ) -> Result<()> {
        let mut q = Sql::new(
            "SELECT t.id, t.plan_id, t.title, t.due_on, b.title AS plan_title, b.partner_id, p.name AS partner_name FROM business_plan_tasks t JOIN business_plans b ON b.id = t.plan_id JOIN partners p ON p.id = b.partner_id WHERE t.status = 'open' AND t.owner_id = ",
        );
        q.bind(principal.user_id.as_str())
            .push(" AND t.due_on <= ")
            .bind(until);
        scope::restrict(&mut q, &principal.scope, EntityKind::BusinessPlan, "b");
        q.push(&format!(" ORDER BY t.due_on, t.id LIMIT {PER_SOURCE}"));
        for r in self.db.read().all::<PlanTaskRow>(&q).await? {
            out.push(due_item(
                &principal.scope,
                DueKind::PlanTask,
                r.due_on,
                format!("{} ({})", r.title, r.plan_title),
                (Some(r.partner_id), Some(r.partner_name)),
                Subject::BusinessPlan(r.plan_id),
                r.id,
            ));
        }
        Ok(())
    }

    /// Launch tasks still to do, due in or before the window: a partner's users see their
    /// partner's side, staff the vendor's side (with `everyone`, both sides).
    async fn launch_items(
        &self,
        reach: &Reach<'_>,
        until: NaiveDate,
        out: &mut Vec<DueItem>,
    ) -> Result<()> {
        let scope = reach.scope;
        let mut q = Sql::new(
            "SELECT t.id, t.launch_id, t.title, t.due_on, l.name AS launch_name, t.partner_id, p.name AS partner_name FROM launch_tasks t JOIN launches l ON l.id = t.launch_id JOIN partners p ON p.id = t.partner_id WHERE t.status IN ('open', 'in_progress') AND t.due_on <= ",
        );
        q.bind(until);
        match scope {
            Scope::Partner(_) => {
                q.push(" AND t.owner_side = 'partner'");
            }
            Scope::Vendor if !reach.everyone => {
                q.push(" AND t.owner_side = 'vendor'");
            }
            Scope::Vendor => {}
        }
        scope::restrict(&mut q, scope, EntityKind::LaunchTask, "t");
        reach.only_managed(&mut q, "t.partner_id");
        q.push(&format!(" ORDER BY t.due_on, t.id LIMIT {PER_SOURCE}"));
        row! {
            struct LaunchTaskRow {
                id: String,
                launch_id: String,
                title: String,
                due_on: NaiveDate,
                launch_name: String,
                partner_id: String,
                partner_name: String,
            }
        }
        for r in self.db.read().all::<LaunchTaskRow>(&q).await? {
            out.push(due_item(
                scope,
                DueKind::LaunchTask,
                r.due_on,
                format!("{} ({})", r.title, r.launch_name),
                (Some(r.partner_id), Some(r.partner_name)),
                Subject::Launch(r.launch_id),
                r.id,
            ));
        }
        Ok(())
    }

    /// Partners still onboarding with items of their checklist open, one item each.
    /// Self-serve technology partners due for their evaluation for Partnership (staff only:
    /// the decision is the vendor's).
    async fn track_items(
        &self,
        reach: &Reach<'_>,
        until: NaiveDate,
        out: &mut Vec<DueItem>,
    ) -> Result<()> {
        if !matches!(reach.scope, Scope::Vendor) {
            return Ok(());
        }
        let due = self
            .track_evaluations_due(reach.scope, until, |q| reach.only_managed(q, "p.id"))
            .await?;
        for (row, standing) in due {
            let Some(due_on) = standing.evaluation_due else {
                continue;
            };
            out.push(DueItem {
                kind: DueKind::TrackEvaluation,
                due_on,
                title: format!(
                    "Evaluate {} for Partnership: self-serve since {}",
                    row.name, standing.since
                ),
                partner_id: Some(PartnerId::from_trusted(row.id.clone())),
                partner_name: Some(row.name.clone()),
                subject: Subject::Partner(row.id),
                key: standing.since.to_string(),
            });
        }
        Ok(())
    }

    async fn onboarding_items(
        &self,
        reach: &Reach<'_>,
        until: NaiveDate,
        out: &mut Vec<DueItem>,
    ) -> Result<()> {
        let scope = reach.scope;
        let mut q = Sql::new(
            "SELECT p.id, p.name, p.joined_on FROM partners p WHERE p.status = 'onboarding' AND p.archived_at IS NULL AND p.joined_on <= ",
        );
        q.bind(until - TimeDelta::days(partnerops_core::cadence::ONBOARDING_DAYS));
        scope::restrict(&mut q, scope, EntityKind::Partner, "p");
        reach.only_managed(&mut q, "p.id");
        q.push(" ORDER BY p.joined_on, p.id LIMIT 50");
        let partners: Vec<OnboardingRow> = self.db.read().all(&q).await?;
        let ids: Vec<&str> = partners.iter().map(|p| p.id.as_str()).collect();
        let checklists = self.onboardings(scope, &ids).await?;
        for p in partners {
            let Some(checklist) = checklists.get(&p.id) else {
                continue;
            };
            let due_on = onboarding_item_due(p.joined_on);
            let (partner_id, partner_name) =
                shown_partner(scope, Some(p.id.clone()), Some(p.name.clone()));
            // One item per partner: the open items named, not one line each.
            let open: Vec<&str> = checklist
                .items
                .iter()
                .filter(|i| i.done_at.is_none())
                .map(|i| i.label.as_str())
                .collect();
            if open.is_empty() {
                continue;
            }
            let noun = if open.len() == 1 { "item" } else { "items" };
            out.push(DueItem {
                kind: DueKind::Onboarding,
                due_on,
                title: format!(
                    "Onboarding: {} {noun} open ({})",
                    open.len(),
                    open.join(", ")
                ),
                partner_id,
                partner_name,
                subject: Subject::Onboarding(p.id.clone()),
                key: String::new(),
            });
        }
        Ok(())
    }

    /// The current quarter of the agreed plans in the principal's reach that run today (at
    /// most [`GLANCE_PLANS`], most recently changed first), each from live data.
    #[tracing::instrument(skip_all)]
    pub async fn plans_at_a_glance(
        &self,
        principal: &Principal,
        everyone: bool,
    ) -> Result<Vec<PlanGlance>> {
        let today = self.now().date_naive();
        let reach = self.reach(principal, everyone).await?;
        let scope = reach.scope;
        let mut q = Sql::new(
            "SELECT b.id, b.title, b.partner_id, p.name AS partner_name, b.period_start, b.currency, b.content FROM business_plans b JOIN partners p ON p.id = b.partner_id WHERE b.status = 'agreed' AND b.period_start <= ",
        );
        q.bind(today)
            .push(" AND b.period_start > ")
            .bind(today - TimeDelta::days(366));
        scope::restrict(&mut q, scope, EntityKind::BusinessPlan, "b");
        reach.only_managed(&mut q, "b.partner_id");
        q.push(&format!(
            " ORDER BY b.updated_at DESC, b.id LIMIT {GLANCE_PLANS}"
        ));
        let plans: Vec<PlanRow> = self.db.read().all(&q).await?;
        let mut out = Vec::with_capacity(plans.len());
        for plan in plans {
            let attainment = self.business_plan_attainment(scope, &plan.id).await?;
            let Some(quarter) = attainment
                .quarters
                .into_iter()
                .find(|q| q.starts_on <= today && today <= q.ends_on)
            else {
                continue;
            };
            out.push(PlanGlance {
                plan_id: BusinessPlanId::from_trusted(plan.id),
                title: plan.title,
                partner_id: PartnerId::from_trusted(plan.partner_id),
                partner_name: plan.partner_name,
                currency: Currency::parse("currency", &plan.currency)
                    .map_err(|e| crate::StoreError::Corrupt(e.message))?,
                quarter,
            });
        }
        Ok(out)
    }
}

//! The pipeline in the browser: what the console and the portal share (an opportunity as a
//! row, the opportunity page with its stage actions, touchpoints and history, and the
//! actions' handling) and the routes of both sides. The console's list, board, forecast and
//! rate table live in `console`; the partner's list in `portal`. Every write goes to the
//! store, which applies the rules; refusals come back inline on the page.

pub(crate) mod console;
mod portal;
mod room;

use askama::Template;
use askama_web::WebTemplate;
use axum::response::Response;
use partnerops_core::Invalid;
use partnerops_core::ids::EntityId;
use partnerops_core::money::{Currency, Money};
use partnerops_core::page::{PageParams, PageRequest};
use partnerops_core::pipeline::Stage;
use partnerops_core::pipeline::fx::format_rate;
use partnerops_core::pipeline::policy::PipelinePolicy;
use partnerops_core::pipeline::record::{
    CloseOpportunityInput, MoveInput, Opportunity, OpportunityPatch, OpportunitySource,
    ReopenInput, RouteKind,
};
use partnerops_core::pipeline::touchpoint::{Touchpoint, TouchpointInput, TouchpointKind};
use partnerops_core::scope::{Action, Scope, authorize};
use partnerops_store::partner::PartnerFilter;
use partnerops_store::{Store, StoreError};

use super::Routes;
use crate::AppState;
use crate::ui::form::{self as form, FormView, Posted, major_to_minor, minor_to_major};
use crate::ui::{Chrome, UiError, UiUser};

pub(super) fn routes(r: Routes) -> Routes {
    r.get("/console/pipeline", console::list)
        .post("/console/pipeline", console::create)
        .get("/console/pipeline/board", console::board)
        .get("/console/pipeline/forecast", console::forecast)
        .get("/console/opportunities/{id}", console::opportunity)
        .post("/console/opportunities/{id}/{action}", console::act)
        .get("/console/opportunities/{id}/room", console::room)
        .post(
            "/console/opportunities/{id}/room/{action}",
            console::room_act,
        )
        .get("/console/fx-rates", console::fx_rates)
        .post("/console/fx-rates", console::set_fx_rate)
        .post("/console/fx-rates/import", console::import_fx_rates)
        .get("/portal/opportunities", portal::list)
        .get("/portal/opportunities/{id}", portal::opportunity)
        .post("/portal/opportunities/{id}/{action}", portal::act)
        .get("/portal/opportunities/{id}/room", portal::room)
        .post("/portal/opportunities/{id}/room/{action}", portal::room_act)
}

/// An opportunity as a row of a list or a card of the board.
pub struct OppRow {
    pub id: String,
    pub title: String,
    pub account: String,
    pub partner: String,
    pub stage: String,
    pub stage_label: String,
    pub closed: bool,
    pub amount: String,
    pub weighted: String,
    pub expected_close: String,
    pub source: &'static str,
    pub route: String,
}

/// The route as people read it: "Co-sell", "Cloud marketplace (AWS Marketplace)".
fn route_label(o: &Opportunity) -> String {
    match (o.route, o.full_route()) {
        (Some(RouteKind::CloudMarketplace), Some(r)) => format!(
            "Cloud marketplace ({})",
            r.marketplace().map_or("", |m| m.label())
        ),
        (Some(k), _) => k.label().to_owned(),
        (None, _) => "—".to_owned(),
    }
}

impl OppRow {
    pub fn new(o: &Opportunity, policy: &PipelinePolicy) -> OppRow {
        OppRow {
            id: o.id.to_string(),
            title: o.title.clone(),
            account: o.account_name.clone(),
            partner: o
                .partner_name
                .clone()
                .unwrap_or_else(|| "Direct".to_owned()),
            stage: o.stage.as_str().to_owned(),
            stage_label: o.stage.label(policy).to_owned(),
            closed: o.stage.is_closed(),
            amount: o.amount.to_string(),
            weighted: Money::new(o.weighted_minor, o.amount.currency).to_string(),
            expected_close: o.expected_close_on.to_string(),
            source: o.source.label(),
            route: route_label(o),
        }
    }
}

/// A stage choice for a select.
pub struct StageOption {
    pub key: String,
    pub label: String,
}

fn stage_options(policy: &PipelinePolicy) -> Vec<StageOption> {
    policy
        .stages
        .iter()
        .map(|s| StageOption {
            key: s.key.clone(),
            label: format!("{} ({}%)", s.label, s.probability_bp / 100),
        })
        .collect()
}

/// A history entry as shown.
pub struct HistoryRow {
    pub at: String,
    pub who: String,
    pub to: String,
    pub reason: String,
}

/// A touchpoint as shown.
pub struct TouchRow {
    pub at: String,
    pub partner: String,
    pub kind: &'static str,
    pub notes: String,
    pub who: String,
    pub late: bool,
}

impl TouchRow {
    fn new(t: &Touchpoint) -> TouchRow {
        TouchRow {
            at: t.occurred_at.format("%Y-%m-%d %H:%M").to_string(),
            partner: t.partner_name.clone(),
            kind: t.kind.label(),
            notes: t.notes.clone().unwrap_or_default(),
            who: t.logged_by_name.clone(),
            late: t.late,
        }
    }
}

/// A partner the console may log a touchpoint for.
pub struct PartnerChoice {
    pub id: String,
    pub name: String,
}

/// A renewal, expansion or cancellation of a won deal.
pub struct RevenueRow {
    pub kind: &'static str,
    pub on: String,
    pub arr: String,
    pub note: String,
}

/// A commission line of the deal.
pub struct CommissionRow {
    pub rule: String,
    pub amount: String,
    pub why: String,
    pub on_statement: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "pipeline/opportunity.html")]
pub struct OpportunityPage {
    chrome: Chrome,
    /// `/console` or `/portal`: where the page and its forms live.
    base: &'static str,
    o: Opportunity,
    row: OppRow,
    registration_href: Option<String>,
    /// "1 EUR = 1.1 USD (the rate of 2026-06-01)", for a closed deal.
    close_rate: Option<String>,
    next_step: String,
    stages: Vec<StageOption>,
    lost_reasons: Vec<String>,
    kinds: &'static [TouchpointKind],
    history: Vec<HistoryRow>,
    touchpoints: Vec<TouchRow>,
    /// Partners of the program, for the console's touchpoint form (empty in the portal).
    partners: Vec<PartnerChoice>,
    can_work: bool,
    can_reopen: bool,
    /// Whether the deal room is open to the viewer (a partner user: as a member).
    in_room: bool,
    /// Renewals, expansions and cancellations recorded on a won deal, and whether the
    /// viewer may record one.
    revenue: Vec<RevenueRow>,
    can_record_revenue: bool,
    /// The commission lines of the deal the viewer may read (a partner: its own).
    lines: Vec<CommissionRow>,
    /// The form that failed (its action name) and what it showed.
    failed: &'static str,
    form: FormView,
    amount_major: String,
    notice: Option<&'static str>,
    today: String,
}

impl OpportunityPage {
    /// Errors of the failed form `action` that no field shows.
    fn alerts(&self, action: &str, fields: &[&str]) -> Vec<String> {
        if self.failed == action {
            self.form.other_errors(fields)
        } else {
            Vec::new()
        }
    }

    /// The error of `field` in form `action`, if that form failed.
    fn err(&self, action: &str, field: &str) -> Option<String> {
        (self.failed == action)
            .then(|| self.form.err(field))
            .flatten()
    }
}

/// What the page says after an action.
fn notice_of(done: Option<&str>) -> Option<&'static str> {
    Some(match done? {
        "stage" => "Stage changed.",
        "close" => "Closed: the rate of the close date is kept with the deal.",
        "reopen" => "Reopened.",
        "revenue" => "Recorded; the accrual pays its share (or claws back) within a minute.",
        "touchpoint" => "Touchpoint logged.",
        "edit" => "Saved.",
        _ => return None,
    })
}

/// Builds the opportunity page as `scope` sees it.
pub(super) async fn opportunity_page(
    state: &AppState,
    user: &UiUser,
    scope: &Scope,
    base: &'static str,
    id: &str,
    failed: (&'static str, FormView),
    notice: Option<&'static str>,
) -> Result<OpportunityPage, UiError> {
    let store = &state.store;
    let o = store.opportunity(scope, id).await?;
    let policy = store.pipeline_policy(o.program_id.as_str()).await?;
    let history = store
        .opportunity_history(scope, id)
        .await?
        .into_iter()
        .map(|h| HistoryRow {
            at: h.at.format("%Y-%m-%d %H:%M").to_string(),
            who: h.actor_name,
            to: h.to_stage.label(&policy).to_owned(),
            reason: h.reason,
        })
        .collect();
    let touchpoints = store
        .touchpoints(scope, id)
        .await?
        .iter()
        .map(TouchRow::new)
        .collect();
    let partners = match scope {
        Scope::Vendor => program_partners(state, &o).await?,
        Scope::Partner(_) => Vec::new(),
    };
    let work = match &o.partner_id {
        Some(p) => Action::WorkOpportunity(p),
        None => Action::WorkPipeline,
    };
    let can_work = authorize(&user.principal, &work).is_ok();
    let can_reopen = authorize(&user.principal, &Action::WorkPipeline).is_ok();
    let in_room = store.may_enter_room(&user.actor(), id).await?;
    let registration_href = o
        .registration_id
        .as_ref()
        .map(|r| format!("{base}/registrations/{r}"));
    let exponent = o.amount.currency.exponent();
    let close_rate = o.rate_at_close.as_ref().map(|r| match r.effective_on {
        None => "same currency as the program".to_owned(),
        Some(day) => format!(
            "1 {} = {} {} (the rate of {day})",
            r.from,
            format_rate(r.rate_e8),
            r.to
        ),
    });
    let revenue = store
        .revenue_events(scope, id)
        .await?
        .into_iter()
        .map(|e| RevenueRow {
            kind: e.kind.label(),
            on: e.occurred_on.to_string(),
            arr: e
                .arr
                .map(|a| a.to_string())
                .unwrap_or_else(|| "—".to_owned()),
            note: e.note.unwrap_or_default(),
        })
        .collect();
    let can_record_revenue = o.stage == partnerops_core::pipeline::Stage::Won
        && authorize(&user.principal, &Action::RecordRevenue).is_ok();
    let lines = store
        .commission_lines(
            scope,
            &partnerops_store::payout::LineFilter {
                opportunity_id: Some(o.id.clone()),
                ..Default::default()
            },
            &PageRequest::parse(
                &PageParams {
                    sort: Some("created_at".into()),
                    limit: Some("200".into()),
                    cursor: None,
                },
                &Store::commission_line_sorts(),
            )
            .map_err(|e| UiError::Store(e.into()))?,
        )
        .await?
        .items
        .into_iter()
        .map(|l| CommissionRow {
            rule: l.rule.replace(['_', '.'], " "),
            amount: l.statement_amount.to_string(),
            why: l.why,
            on_statement: l.statement_id.is_some(),
        })
        .collect();
    let (failed_action, form) = failed;
    Ok(OpportunityPage {
        revenue,
        can_record_revenue,
        lines,
        chrome: Chrome::new(user, "pipeline"),
        base,
        row: OppRow::new(&o, &policy),
        registration_href,
        close_rate,
        next_step: o.next_step.clone().unwrap_or_default(),
        stages: stage_options(&policy),
        lost_reasons: policy.lost_reasons.clone(),
        kinds: TouchpointKind::ALL,
        history,
        touchpoints,
        partners,
        can_work,
        can_reopen,
        in_room,
        failed: failed_action,
        form,
        amount_major: minor_to_major(o.amount.amount_minor, exponent),
        notice,
        today: store.now().date_naive().to_string(),
        o,
    })
}

/// The live partners of the opportunity's program (the first 200 by name), for the
/// console's touchpoint form.
async fn program_partners(
    state: &AppState,
    o: &Opportunity,
) -> Result<Vec<PartnerChoice>, UiError> {
    let filter = PartnerFilter {
        program_id: Some(o.program_id.clone()),
        ..PartnerFilter::default()
    };
    let page = PageRequest::parse(
        &PageParams {
            sort: Some("name".into()),
            limit: Some("200".into()),
            cursor: None,
        },
        &Store::partner_sorts(),
    )
    .map_err(|e| UiError::Store(e.into()))?;
    Ok(state
        .store
        .partners(&Scope::Vendor, &filter, &page)
        .await?
        .items
        .into_iter()
        .map(|p| PartnerChoice {
            id: p.id.to_string(),
            name: p.name,
        })
        .collect())
}

pub(super) use crate::ui::form::trimmed;

/// The edit form as a patch: amounts are typed in major units of the chosen currency.
fn patch_of(posted: &Posted) -> Result<OpportunityPatch, Invalid> {
    let currency = trimmed(posted, "currency");
    let exponent = currency
        .as_deref()
        .and_then(|c| Currency::parse("currency", c).ok())
        .map_or(2, |c| c.exponent());
    let amount = trimmed(posted, "amount")
        .map(|raw| major_to_minor("amount_minor", &raw, exponent))
        .transpose()?;
    Ok(OpportunityPatch {
        title: trimmed(posted, "title"),
        amount_minor: amount,
        currency,
        expected_close_on: trimmed(posted, "expected_close_on"),
        // Blank clears these: the form always sends them.
        next_step: Some(posted.get("next_step").unwrap_or_default()),
        ..OpportunityPatch::default()
    })
}

/// Runs action `action` of the opportunity page; `Ok(None)` for an unknown action.
async fn run_action(
    state: &AppState,
    user: &UiUser,
    id: &str,
    action: &str,
    posted: &Posted,
) -> Result<Option<&'static str>, StoreError> {
    let actor = user.actor();
    let store = &state.store;
    Ok(Some(match action {
        "stage" => {
            let input = MoveInput {
                stage: trimmed(posted, "stage"),
            };
            store.move_opportunity(&actor, id, &input).await?;
            "stage"
        }
        "close" => {
            let input = CloseOpportunityInput {
                outcome: trimmed(posted, "outcome"),
                close_on: trimmed(posted, "close_on"),
                lost_reason: trimmed(posted, "lost_reason"),
            };
            store.close_opportunity(&actor, id, &input).await?;
            "close"
        }
        "revenue" => {
            let o = store.opportunity(&user.principal.scope, id).await?;
            let arr = trimmed(posted, "arr")
                .map(|raw| major_to_minor("arr_minor", &raw, o.amount.currency.exponent()))
                .transpose()?;
            let input = partnerops_core::payout::record::RevenueEventInput {
                kind: trimmed(posted, "kind"),
                occurred_on: trimmed(posted, "occurred_on"),
                arr_minor: arr,
                note: trimmed(posted, "note"),
            };
            store.record_revenue_event(&actor, id, &input).await?;
            "revenue"
        }
        "reopen" => {
            let input = ReopenInput {
                stage: trimmed(posted, "stage"),
                reason: trimmed(posted, "reason"),
            };
            store.reopen_opportunity(&actor, id, &input).await?;
            "reopen"
        }
        "touchpoints" => {
            let input = TouchpointInput {
                partner_id: trimmed(posted, "partner_id"),
                kind: trimmed(posted, "kind"),
                occurred_at: None,
                notes: trimmed(posted, "notes"),
            };
            store.log_touchpoint(&actor, id, &input).await?;
            "touchpoint"
        }
        "edit" => {
            let patch = patch_of(posted)?;
            store.update_opportunity(&actor, id, &patch).await?;
            "edit"
        }
        _ => return Ok(None),
    }))
}

/// The action names forms post to, for the failed-form marker.
fn action_name(action: &str) -> &'static str {
    match action {
        "stage" => "stage",
        "close" => "close",
        "reopen" => "reopen",
        "touchpoints" => "touchpoints",
        "edit" => "edit",
        "revenue" => "revenue",
        _ => "",
    }
}

/// Handles a posted action: back to the page with a notice, or the page again with the
/// refusal beside the form that caused it.
pub(super) async fn after_action(
    state: &AppState,
    user: &UiUser,
    scope: &Scope,
    base: &'static str,
    id: &str,
    action: &str,
    posted: &Posted,
) -> Result<Response, UiError> {
    let run = run_action(state, user, id, action, posted).await;
    let page = format!("{base}/opportunities/{id}");
    form::after_action(run, &page, posted, |view| {
        opportunity_page(
            state,
            user,
            scope,
            base,
            id,
            (action_name(action), view),
            None,
        )
    })
    .await
}

#[derive(serde::Deserialize)]
pub(super) struct Done {
    done: Option<String>,
}

/// Sources and routes for filter selects.
pub(super) const SOURCES: &[OpportunitySource] = OpportunitySource::ALL;
pub(super) const ROUTES: &[RouteKind] = RouteKind::ALL;

/// Whether a stage key names a closed stage.
pub(super) fn is_closed_key(key: &str) -> bool {
    Stage::from(key.to_owned()).is_closed()
}

//! Market development funds in the browser. The console: budgets with their allocations
//! and balances (set a budget, allocate it), the queue of requests to approve or reject,
//! claims to approve, reject or mark paid, and the ROI table. The portal: the partner's
//! allocations with what remains, a new request, its requests and claims, and a claim on an
//! approved request.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use partnerops_core::Invalid;
use partnerops_core::mdf::record::{
    Allocation, AllocationInput, Budget, BudgetInput, Claim, ClaimInput, DecisionInput, LinkInput,
    MdfRequest, PayClaimInput, RequestDetail, RequestInput,
};
use partnerops_core::mdf::roi::{RoiReport, RoiRow};
use partnerops_core::mdf::rules::{ActivityType, ClaimState, RequestState};
use partnerops_core::money::Currency;
use partnerops_core::page::{PageParams, PageRequest};
use partnerops_core::scope::{Action, Scope, authorize};
use partnerops_store::mdf::{AllocationFilter, ClaimFilter, RequestFilter};
use partnerops_store::{Store, StoreError};
use serde::Deserialize;

use super::Routes;
use crate::AppState;
use crate::ui::form::{self, FormView, Posted, trimmed};
use crate::ui::guard::{PartnerUser, Staff};
use crate::ui::session::SignedForm;
use crate::ui::{Chrome, UiError, UiUser};
use crate::upload::PostedFile;

pub(super) fn routes(r: Routes) -> Routes {
    r.get("/console/mdf", console_home)
        .post("/console/mdf/budgets", console_budget)
        .post("/console/mdf/allocations", console_allocate)
        .get("/console/mdf/roi", console_roi)
        .get("/console/mdf/requests/{id}", console_request)
        .post("/console/mdf/requests/{id}/{action}", console_act)
        .get("/portal/mdf", portal_home)
        .get("/portal/mdf/roi", portal_roi)
        .post("/portal/mdf/requests", portal_submit)
        .get("/portal/mdf/requests/{id}", portal_request)
        .post_upload("/portal/mdf/requests/{id}/{action}", portal_act)
}

fn page_of(sort: &str, sorts: &[&'static str]) -> Result<PageRequest, UiError> {
    PageRequest::parse(
        &PageParams {
            sort: Some(sort.into()),
            limit: Some("200".into()),
            cursor: None,
        },
        sorts,
    )
    .map_err(|e: Invalid| UiError::Store(e.into()))
}

/// An amount typed in major units, in minor units of `currency`; blank is absent.
fn amount(p: &Posted, name: &str, currency: Currency) -> Result<Option<i64>, StoreError> {
    trimmed(p, name)
        .map(|raw| form::major_to_minor(name, &raw, currency.exponent()))
        .transpose()
        .map_err(StoreError::from)
}

#[derive(Deserialize, Default)]
struct Done {
    done: Option<String>,
}

fn notice_of(done: Option<&str>) -> Option<&'static str> {
    Some(match done? {
        "budget" => "Budget set.",
        "allocate" => "Allocated; the budget's balance is lower by the amount.",
        "submit" => "Request submitted; its planned cost is set aside from your allocation.",
        "approve" => "Request approved.",
        "reject" => "Request rejected; its funds are back in the allocation.",
        "cancel" => "Request cancelled; its funds are back in the allocation.",
        "claim" => "Claim submitted; the vendor will review it.",
        "approve-claim" => "Claim approved.",
        "reject-claim" => "Claim rejected.",
        "pay" => "Claim marked paid.",
        "link" => "Opportunity linked.",
        _ => return None,
    })
}

/// A budget with its allocations, for the console.
pub struct BudgetView {
    pub b: Budget,
    pub allocations: Vec<Allocation>,
}

#[derive(Template, WebTemplate)]
#[template(path = "mdf/console.html")]
struct ConsolePage {
    chrome: Chrome,
    budgets: Vec<BudgetView>,
    programs: Vec<(String, String)>,
    partners: Vec<(String, String)>,
    /// Marketing commitments of joint business plans an allocation may fund: the value
    /// `plan id:index` and a label naming partner, plan and commitment.
    commitments: Vec<(String, String)>,
    requests: Vec<MdfRequest>,
    claims: Vec<Claim>,
    form: FormView,
    notice: Option<&'static str>,
}

async fn console_page(
    state: &AppState,
    user: &UiUser,
    scope: &Scope,
    form: FormView,
    notice: Option<&'static str>,
) -> Result<ConsolePage, UiError> {
    let store = &state.store;
    let budgets = store
        .mdf_budgets(
            scope,
            None,
            &page_of("-period_start", &Store::mdf_budget_sorts())?,
        )
        .await?
        .items;
    let allocations = store
        .mdf_allocations(
            scope,
            &AllocationFilter::default(),
            &page_of("created_at", &Store::mdf_allocation_sorts())?,
        )
        .await?
        .items;
    let budgets = budgets
        .into_iter()
        .map(|b| BudgetView {
            allocations: allocations
                .iter()
                .filter(|a| a.budget_id == b.id)
                .cloned()
                .collect(),
            b,
        })
        .collect();
    let requests = store
        .mdf_requests(
            scope,
            &RequestFilter {
                state: Some(RequestState::Submitted),
                ..RequestFilter::default()
            },
            &page_of("created_at", &Store::mdf_request_sorts())?,
        )
        .await?
        .items;
    let mut claims = Vec::new();
    for s in [ClaimState::Submitted, ClaimState::Approved] {
        claims.extend(
            store
                .mdf_claims(
                    scope,
                    &ClaimFilter {
                        state: Some(s),
                        ..ClaimFilter::default()
                    },
                    &page_of("created_at", &Store::mdf_claim_sorts())?,
                )
                .await?
                .items,
        );
    }
    let programs = store
        .programs(
            scope,
            &Default::default(),
            &page_of("name", &Store::program_sorts())?,
        )
        .await?
        .items
        .into_iter()
        .map(|p| (p.id.to_string(), p.name))
        .collect();
    let partners = store
        .partners(
            scope,
            &Default::default(),
            &page_of("name", &Store::partner_sorts())?,
        )
        .await?
        .items
        .into_iter()
        .map(|p| (p.id.to_string(), p.name))
        .collect();
    let commitments = store
        .business_plans(
            scope,
            &Default::default(),
            &page_of("-updated_at", &Store::business_plan_sorts())?,
        )
        .await?
        .items
        .into_iter()
        .flat_map(|plan| {
            plan.content
                .marketing
                .iter()
                .enumerate()
                .map(|(i, m)| {
                    (
                        format!("{}:{i}", plan.id),
                        format!(
                            "{} — {} — {} ({}, {})",
                            plan.partner_name,
                            plan.title,
                            m.title,
                            m.kind.label(),
                            m.on
                        ),
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect();
    Ok(ConsolePage {
        chrome: Chrome::new(user, "mdf"),
        budgets,
        programs,
        partners,
        commitments,
        requests,
        claims,
        form,
        notice,
    })
}

async fn console_home(
    State(state): State<AppState>,
    user: Staff,
    Query(d): Query<Done>,
) -> Result<Response, UiError> {
    let page = console_page(
        &state,
        &user,
        user.scope(),
        FormView::default(),
        notice_of(d.done.as_deref()),
    )
    .await?;
    Ok(page.into_response())
}

async fn console_budget(
    State(state): State<AppState>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    let p = &form.posted;
    let ran = async {
        let currency = trimmed(p, "currency").unwrap_or_else(|| "USD".into());
        let c = Currency::parse("currency", &currency).map_err(Invalid::from)?;
        let input = BudgetInput {
            program_id: trimmed(p, "program_id"),
            name: trimmed(p, "name"),
            amount_minor: amount(p, "amount_minor", c)?,
            currency: Some(currency),
            period_start: trimmed(p, "period_start"),
            period_end: trimmed(p, "period_end"),
        };
        state
            .store
            .create_mdf_budget(&form.user.actor(), &input)
            .await
            .map(|_| Some("budget"))
    }
    .await;
    form::after_action(ran, "/console/mdf", p, |view| {
        console_page(&state, &form.user, form.user.scope(), view, None)
    })
    .await
}

async fn console_allocate(
    State(state): State<AppState>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    let p = &form.posted;
    let ran = async {
        let budget_id = trimmed(p, "budget_id");
        let currency = match &budget_id {
            Some(id) => state
                .store
                .mdf_budget(form.user.scope(), id)
                .await
                .map(|b| b.amount.currency)
                .unwrap_or(Currency::USD),
            None => Currency::USD,
        };
        // The form's choice is `plan id:index`; the API takes the two apart.
        let (business_plan_id, marketing_index) = match trimmed(p, "commitment") {
            None => (None, None),
            Some(raw) => {
                let (plan, index) = raw.rsplit_once(':').unwrap_or((raw.as_str(), ""));
                let index = index.parse::<i64>().map_err(|_| {
                    Invalid::one(
                        "marketing_index",
                        "integer",
                        "choose one of the listed marketing commitments",
                    )
                })?;
                (Some(plan.to_owned()), Some(index))
            }
        };
        let input = AllocationInput {
            budget_id,
            partner_id: trimmed(p, "partner_id"),
            amount_minor: amount(p, "amount_minor", currency)?,
            expires_on: trimmed(p, "expires_on"),
            business_plan_id,
            marketing_index,
        };
        state
            .store
            .create_mdf_allocation(&form.user.actor(), &input)
            .await
            .map(|_| Some("allocate"))
    }
    .await;
    form::after_action(ran, "/console/mdf", p, |view| {
        console_page(&state, &form.user, form.user.scope(), view, None)
    })
    .await
}

/// One grain of the ROI table.
pub struct RoiSection {
    pub id: &'static str,
    pub title: &'static str,
    pub rows: Vec<RoiRow>,
}

#[derive(Template, WebTemplate)]
#[template(path = "mdf/roi.html")]
struct RoiPage {
    chrome: Chrome,
    sections: Vec<RoiSection>,
}

async fn console_roi(State(state): State<AppState>, user: Staff) -> Result<Response, UiError> {
    let roi: RoiReport = state.store.mdf_roi(user.scope(), None).await?;
    Ok(RoiPage {
        chrome: Chrome::new(&user, "mdf"),
        sections: roi_sections(roi, true),
    }
    .into_response())
}

/// A partner's own funded activities and periods.
async fn portal_roi(State(state): State<AppState>, user: PartnerUser) -> Result<Response, UiError> {
    let roi: RoiReport = state.store.mdf_roi(user.scope(), None).await?;
    Ok(RoiPage {
        chrome: Chrome::new(&user, "mdf"),
        sections: roi_sections(roi, false),
    }
    .into_response())
}

/// The ROI tables to show; a partner has no use for a per-partner table of one row.
fn roi_sections(roi: RoiReport, per_partner: bool) -> Vec<RoiSection> {
    let mut sections = vec![
        RoiSection {
            id: "roi-activities",
            title: "Per activity",
            rows: roi.activities,
        },
        RoiSection {
            id: "roi-partners",
            title: "Per partner",
            rows: roi.partners,
        },
        RoiSection {
            id: "roi-periods",
            title: "Per period",
            rows: roi.periods,
        },
    ];
    if !per_partner {
        sections.retain(|s| s.id != "roi-partners");
    }
    sections
}

#[derive(Template, WebTemplate)]
#[template(path = "mdf/request.html")]
struct RequestPage {
    chrome: Chrome,
    base: &'static str,
    d: RequestDetail,
    can_manage: bool,
    can_claim: bool,
    can_cancel: bool,
    form: FormView,
    notice: Option<&'static str>,
}

async fn request_page(
    state: &AppState,
    user: &UiUser,
    base: &'static str,
    id: &str,
    form: FormView,
    notice: Option<&'static str>,
) -> Result<RequestPage, UiError> {
    let d = state.store.mdf_request(&user.principal.scope, id).await?;
    let mine = authorize(&user.principal, &Action::RequestMdf(&d.request.partner_id)).is_ok();
    let can_manage = base == "/console" && authorize(&user.principal, &Action::ManageMdf).is_ok();
    let can_claim = base == "/portal" && mine && d.request.state == RequestState::Approved;
    let can_cancel = base == "/portal"
        && mine
        && matches!(
            d.request.state,
            RequestState::Submitted | RequestState::Approved
        );
    Ok(RequestPage {
        chrome: Chrome::new(user, "mdf"),
        base,
        d,
        can_manage,
        can_claim,
        can_cancel,
        form,
        notice,
    })
}

async fn console_request(
    State(state): State<AppState>,
    user: Staff,
    Path(id): Path<String>,
    Query(d): Query<Done>,
) -> Result<Response, UiError> {
    let page = request_page(
        &state,
        &user,
        "/console",
        &id,
        FormView::default(),
        notice_of(d.done.as_deref()),
    )
    .await?;
    Ok(page.into_response())
}

async fn portal_request(
    State(state): State<AppState>,
    user: PartnerUser,
    Path(id): Path<String>,
    Query(d): Query<Done>,
) -> Result<Response, UiError> {
    let page = request_page(
        &state,
        &user,
        "/portal",
        &id,
        FormView::default(),
        notice_of(d.done.as_deref()),
    )
    .await?;
    Ok(page.into_response())
}

/// Runs a posted action on a request page; `None` for an action this side does not have.
async fn run(
    state: &AppState,
    user: &UiUser,
    base: &'static str,
    id: &str,
    action: &str,
    p: &Posted,
    files: &[PostedFile],
) -> Result<Option<&'static str>, StoreError> {
    let actor = user.actor();
    let store = &state.store;
    // Every action names the request as the page showed it, under the caller's scope.
    let d = store.mdf_request(&user.principal.scope, id).await?;
    let c = d.request.planned.currency;
    let decision = || -> Result<DecisionInput, StoreError> {
        Ok(DecisionInput {
            approved_minor: amount(p, "approved_minor", c)?,
            reason: trimmed(p, "reason"),
        })
    };
    let claim_id = || {
        d.claim
            .as_ref()
            .map(|c| c.id.to_string())
            .ok_or(StoreError::NotFound(
                partnerops_core::audit::EntityKind::MdfClaim,
            ))
    };
    Ok(Some(match (base, action) {
        ("/console", "approve") => {
            store.approve_mdf_request(&actor, id, &decision()?).await?;
            "approve"
        }
        ("/console", "reject") => {
            store.reject_mdf_request(&actor, id, &decision()?).await?;
            "reject"
        }
        ("/console", "approve-claim") => {
            store
                .decide_mdf_claim(&actor, &claim_id()?, true, &decision()?)
                .await?;
            "approve-claim"
        }
        ("/console", "reject-claim") => {
            store
                .decide_mdf_claim(&actor, &claim_id()?, false, &decision()?)
                .await?;
            "reject-claim"
        }
        ("/console", "pay") => {
            let input = PayClaimInput {
                reference: trimmed(p, "reference"),
                paid_on: trimmed(p, "paid_on"),
            };
            store.pay_mdf_claim(&actor, &claim_id()?, &input).await?;
            "pay"
        }
        ("/portal", "claim") => {
            // The proof files are stored first; a refused file names the form's field.
            let mut proof_file_ids = Vec::new();
            for file in files.iter().filter(|f| f.field == "proof") {
                let upload = partnerops_store::file::Upload {
                    purpose: partnerops_core::file::FilePurpose::Proof,
                    partner_id: Some(d.request.partner_id.clone()),
                    name: &file.name,
                    bytes: &file.bytes,
                };
                let stored = store
                    .upload_file(&actor, upload)
                    .await
                    .map_err(|e| match e {
                        StoreError::Invalid(inv) => StoreError::Invalid(partnerops_core::Invalid {
                            errors: inv
                                .errors
                                .into_iter()
                                .map(|mut fe| {
                                    fe.message = format!("{}: {}", file.name, fe.message);
                                    fe.field = "proof".into();
                                    fe
                                })
                                .collect(),
                        }),
                        e => e,
                    })?;
                proof_file_ids.push(stored.id.to_string());
            }
            let input = ClaimInput {
                claimed_minor: amount(p, "claimed_minor", c)?,
                proof_summary: trimmed(p, "proof_summary"),
                proof_file_ids: Some(proof_file_ids),
            };
            // The form's file field is `proof`; the rule names `proof_file_ids`.
            store
                .submit_mdf_claim(&actor, id, &input)
                .await
                .map_err(|e| match e {
                    StoreError::Invalid(mut inv) => {
                        for fe in &mut inv.errors {
                            if fe.field.starts_with("proof_file_ids") {
                                fe.field = "proof".into();
                            }
                        }
                        StoreError::Invalid(inv)
                    }
                    e => e,
                })?;
            "claim"
        }
        ("/portal", "cancel") => {
            store.cancel_mdf_request(&actor, id).await?;
            "cancel"
        }
        (_, "link") => {
            let input = LinkInput {
                opportunity_id: trimmed(p, "opportunity_id"),
            };
            store.link_mdf_opportunity(&actor, id, &input).await?;
            "link"
        }
        _ => return Ok(None),
    }))
}

async fn after(
    state: &AppState,
    user: &UiUser,
    base: &'static str,
    id: &str,
    action: &str,
    p: &Posted,
    files: &[PostedFile],
) -> Result<Response, UiError> {
    let ran = run(state, user, base, id, action, p, files).await;
    let page = format!("{base}/mdf/requests/{id}");
    form::after_action(ran, &page, p, |view| {
        request_page(state, user, base, id, view, None)
    })
    .await
}

async fn console_act(
    State(state): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    after(
        &state,
        &form.user,
        "/console",
        &id,
        &action,
        &form.posted,
        &[],
    )
    .await
}

async fn portal_act(
    State(state): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    form: SignedForm<PartnerUser>,
) -> Result<Response, UiError> {
    after(
        &state,
        &form.user,
        "/portal",
        &id,
        &action,
        &form.posted,
        &form.files,
    )
    .await
}

#[derive(Template, WebTemplate)]
#[template(path = "mdf/portal.html")]
struct PortalPage {
    chrome: Chrome,
    allocations: Vec<Allocation>,
    requests: Vec<MdfRequest>,
    claims: Vec<Claim>,
    activity_types: &'static [ActivityType],
    form: FormView,
    notice: Option<&'static str>,
}

async fn portal_page(
    state: &AppState,
    user: &UiUser,
    scope: &Scope,
    form: FormView,
    notice: Option<&'static str>,
) -> Result<PortalPage, UiError> {
    let store = &state.store;
    let allocations = store
        .mdf_allocations(
            scope,
            &AllocationFilter::default(),
            &page_of("-expires_on", &Store::mdf_allocation_sorts())?,
        )
        .await?
        .items;
    let requests = store
        .mdf_requests(
            scope,
            &RequestFilter::default(),
            &page_of("-created_at", &Store::mdf_request_sorts())?,
        )
        .await?
        .items;
    let claims = store
        .mdf_claims(
            scope,
            &ClaimFilter::default(),
            &page_of("created_at", &Store::mdf_claim_sorts())?,
        )
        .await?
        .items;
    Ok(PortalPage {
        chrome: Chrome::new(user, "mdf"),
        allocations,
        requests,
        claims,
        activity_types: ActivityType::ALL,
        form,
        notice,
    })
}

async fn portal_home(
    State(state): State<AppState>,
    user: PartnerUser,
    Query(d): Query<Done>,
) -> Result<Response, UiError> {
    let page = portal_page(
        &state,
        &user,
        user.scope(),
        FormView::default(),
        notice_of(d.done.as_deref()),
    )
    .await?;
    Ok(page.into_response())
}

async fn portal_submit(
    State(state): State<AppState>,
    form: SignedForm<PartnerUser>,
) -> Result<Response, UiError> {
    let p = &form.posted;
    let ran = async {
        let allocation_id = trimmed(p, "allocation_id");
        // The request is in its allocation's currency; an allocation that is not the
        // partner's is refused by the store as unknown.
        let currency = match &allocation_id {
            Some(id) => state
                .store
                .mdf_allocation(form.user.scope(), id)
                .await
                .map(|a| a.amount.currency)
                .unwrap_or(Currency::USD),
            None => Currency::USD,
        };
        let expected = amount(p, "expected_pipeline_minor", currency)?;
        let leads = trimmed(p, "expected_leads")
            .map(|raw| {
                raw.parse::<i64>().map_err(|_| {
                    Invalid::one(
                        "expected_leads",
                        "integer",
                        "expected_leads must be a whole number",
                    )
                })
            })
            .transpose()?;
        let input = RequestInput {
            allocation_id,
            activity_type: trimmed(p, "activity_type"),
            title: trimmed(p, "title"),
            planned_minor: amount(p, "planned_minor", currency)?,
            currency: Some(currency.as_str().to_owned()),
            starts_on: trimmed(p, "starts_on"),
            ends_on: trimmed(p, "ends_on"),
            expected_leads: leads,
            expected_pipeline_minor: expected,
        };
        state
            .store
            .submit_mdf_request(&form.user.actor(), &input)
            .await
            .map(|_| Some("submit"))
    }
    .await;
    form::after_action(ran, "/portal/mdf", p, |view| {
        portal_page(&state, &form.user, form.user.scope(), view, None)
    })
    .await
}

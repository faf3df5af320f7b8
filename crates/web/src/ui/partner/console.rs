//! The console's partner pages: the filtered partner list, the new-partner form, one partner
//! with its users and audit trail. Staff only (`Staff`); the partner's own view of its
//! company lives in `portal`.

use crate::AppState;
use crate::api::PartnerQuery;
use crate::ui::audit::AuditRow;
use crate::ui::audit::trail;
use crate::ui::form::Choices;
use crate::ui::form::Saved;
use crate::ui::form::{FormView, Posted, field_errors};
use crate::ui::guard::Staff;
use crate::ui::list::Listing;
use crate::ui::list::is_htmx;
use crate::ui::program::all_programs;
use crate::ui::program::all_tiers;
use crate::ui::session::SignedForm;
use crate::ui::{Chrome, UiError};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use partnerops_core::audit::EntityKind;
use partnerops_core::ids::EntityId;
use partnerops_core::page::{Page, PageParams, PageRequest};
use partnerops_core::partner::{Partner, PartnerInput, PartnerManager};
use partnerops_core::partnership::track::{self, TrackStanding};
use partnerops_core::partnership::tree::Node;
use partnerops_core::program::{Program, ProgramKind};
use partnerops_core::tier::Tier;
use partnerops_core::user::{Role, User};
use partnerops_store::user::UserFilter;
use partnerops_store::{Archived, Store};

// ---------------------------------------------------------------- partners

#[derive(Template, WebTemplate)]
#[template(path = "partner/console/partners.html")]
struct PartnersPage {
    chrome: Chrome,
    filters: FormView,
    programs: Vec<Program>,
    choices: Choices,
    page: Page<Partner>,
    next: Option<String>,
    error: Option<String>,
    /// Query of the CSV export of these rows.
    export_query: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "partner/console/partner_rows.html")]
struct PartnerRows {
    page: Page<Partner>,
    next: Option<String>,
    error: Option<String>,
    /// Query of the CSV export of these rows.
    export_query: String,
}

pub(super) async fn partners(
    State(state): State<AppState>,
    user: Staff,
    headers: HeaderMap,
    Query(q): Query<PartnerQuery>,
    Query(p): Query<PageParams>,
) -> Result<Response, UiError> {
    let query = [
        ("q", q.q.as_deref()),
        ("program_id", q.program_id.as_deref()),
        ("partner_type", q.partner_type.as_deref()),
        ("status", q.status.as_deref()),
        ("country", q.country.as_deref()),
        ("region", q.region.as_deref()),
        ("sort", p.sort.as_deref()),
    ];
    let parsed = crate::api::both(PageRequest::parse(&p, &Store::partner_sorts()), q.parse());
    let scope = user.scope();
    let Listing {
        page,
        next,
        error,
        filters,
        export_query,
    } = Listing::load(parsed, "/console/partners", &query, |req, filter| {
        let store = state.store.clone();
        async move { store.partners(scope, &filter, &req).await }
    })
    .await?;
    if is_htmx(&headers) {
        return Ok(PartnerRows {
            page,
            next,
            error,
            export_query,
        }
        .into_response());
    }
    Ok(PartnersPage {
        chrome: Chrome::new(&user, "partners"),
        filters,
        programs: all_programs(&state, &user).await?,
        choices: Choices::get(),
        page,
        next,
        error,
        export_query,
    }
    .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "partner/console/partner_new.html")]
struct NewPartnerPage {
    chrome: Chrome,
    form: FormView,
    programs: Vec<Program>,
    choices: Choices,
}

pub(super) async fn new_partner(
    State(state): State<AppState>,
    user: Staff,
) -> Result<Response, UiError> {
    let mut form = FormView::default();
    form.set("status", "onboarding");
    Ok(NewPartnerPage {
        chrome: Chrome::new(&user, "partners"),
        form,
        programs: all_programs(&state, &user).await?,
        choices: Choices::get(),
    }
    .into_response())
}

fn partner_input(posted: &Posted, governed: bool) -> PartnerInput {
    let text = |name: &str| posted.get(name);
    let mut input = PartnerInput {
        name: text("name"),
        web_domain: text("web_domain"),
        country: text("country"),
        regions: Some(posted.all("regions")),
        verticals: Some(
            posted
                .get("verticals")
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        ),
        ..Default::default()
    };
    if governed {
        input.partner_type = text("partner_type");
        input.program_id = text("program_id");
        input.tier_id = text("tier_id").filter(|t| !t.is_empty());
        input.status = text("status");
        input.joined_on = text("joined_on").filter(|t| !t.is_empty());
    }
    input
}

pub(super) async fn create_partner(
    State(state): State<AppState>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    match state
        .store
        .create_partner(&form.user.actor(), &partner_input(&form.posted, true))
        .await
    {
        Ok(p) => Ok(Redirect::to(&format!("/console/partners/{}", p.id)).into_response()),
        Err(e) => {
            let errors = field_errors(e)?;
            let view = FormView::from_posted(&form.posted).with_errors(errors);
            Ok((
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                NewPartnerPage {
                    chrome: Chrome::new(&form.user, "partners"),
                    form: view,
                    programs: all_programs(&state, &form.user).await?,
                    choices: Choices::get(),
                },
            )
                .into_response())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "partner/console/partner.html")]
pub(crate) struct PartnerPage {
    chrome: Chrome,
    partner: Partner,
    program_name: String,
    tiers: Vec<Tier>,
    form: FormView,
    choices: Choices,
    users: Vec<User>,
    user_form: FormView,
    audit: Vec<AuditRow>,
    saved: bool,
    /// Who looks after the partner, and who may: (user id, name) of live channel managers
    /// and administrators.
    manager: Option<PartnerManager>,
    managers: Vec<(String, String)>,
    /// A technology partner's standing on the technology track, with the questions that
    /// place it ("which tier?").
    track: Option<TrackStanding>,
    track_questions: Vec<(String, String)>,
    track_alerts: Vec<String>,
}

impl PartnerPage {
    /// The page with what went wrong in the technology track panel.
    pub(crate) fn with_track_alerts(mut self, alerts: Vec<String>) -> Self {
        self.track_alerts = alerts;
        self
    }
}

fn partner_form(p: &Partner) -> FormView {
    let mut f = FormView::default();
    f.set("name", p.name.clone());
    f.set("web_domain", p.web_domain.to_string());
    f.set("partner_type", p.partner_type.as_str());
    f.set("tier_id", p.tier_id.to_string());
    f.set("status", p.status.as_str());
    f.set("country", p.country.to_string());
    f.set_all(
        "regions",
        p.regions.iter().map(|r| r.as_str().to_owned()).collect(),
    );
    f.set("verticals", p.verticals.join(", "));
    f.set("joined_on", p.joined_on.to_string());
    f
}

pub(crate) async fn partner_page(
    state: &AppState,
    user: &Staff,
    id: &str,
    form: Option<FormView>,
    user_form: Option<FormView>,
    saved: bool,
) -> Result<PartnerPage, UiError> {
    let partner = state.store.partner(user.scope(), id).await?;
    let program = state
        .store
        .program(user.scope(), partner.program_id.as_str())
        .await?;
    let tiers = all_tiers(state, user, partner.program_id.as_str()).await?;
    let req = PageRequest::parse(
        &PageParams {
            limit: Some("200".into()),
            ..Default::default()
        },
        &Store::user_sorts(),
    )
    .map_err(|e| UiError::Store(e.into()))?;
    let users = state
        .store
        .users(
            user.scope(),
            &UserFilter {
                partner_id: Some(partner.id.clone()),
                archived: Archived::All,
                ..Default::default()
            },
            &req,
        )
        .await?
        .items;
    let audit = trail(state, user.scope(), EntityKind::Partner, id).await?;
    let manager = state.store.partner_manager(user.scope(), id).await?;
    let mut managers = Vec::new();
    for role in [Role::ChannelManager, Role::Admin] {
        let staff = state
            .store
            .users(
                user.scope(),
                &UserFilter {
                    role: Some(role),
                    staff: Some(true),
                    ..Default::default()
                },
                &req,
            )
            .await?;
        managers.extend(staff.items.into_iter().map(|u| {
            (
                u.id.to_string(),
                format!("{} ({})", u.display_name, role.label()),
            )
        }));
    }
    let (track, track_questions) = if program.kind == ProgramKind::Technology {
        let questions = state
            .store
            .decision_trees(user.scope())
            .await?
            .into_iter()
            .find(|t| t.key == track::TREE)
            .map(|t| {
                t.nodes
                    .into_iter()
                    .filter_map(|n| match n {
                        Node::Question { id, text, .. } => Some((id, text)),
                        Node::Outcome { .. } => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        (
            Some(state.store.track_standing(user.scope(), id).await?),
            questions,
        )
    } else {
        (None, Vec::new())
    };
    let mut default_user_form = FormView::default();
    default_user_form.set("role", "partner_rep");
    Ok(PartnerPage {
        chrome: Chrome::new(user, "partners"),
        form: form.unwrap_or_else(|| partner_form(&partner)),
        program_name: program.name,
        partner,
        tiers,
        choices: Choices::get(),
        users,
        user_form: user_form.unwrap_or(default_user_form),
        audit,
        saved,
        manager,
        managers,
        track,
        track_questions,
        track_alerts: Vec::new(),
    })
}

/// Sets (or clears) who looks after the partner, then back to its page.
pub(super) async fn set_manager(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    let input = partnerops_core::partner::ManagerInput {
        user_id: form.posted.get("user_id"),
    };
    state
        .store
        .set_partner_manager(&form.user.actor(), &id, &input)
        .await?;
    Ok(Redirect::to(&format!("/console/partners/{id}?saved=1")).into_response())
}

pub(super) async fn partner(
    State(state): State<AppState>,
    user: Staff,
    Path(id): Path<String>,
    Query(s): Query<Saved>,
) -> Result<Response, UiError> {
    Ok(
        partner_page(&state, &user, &id, None, None, s.saved.is_some())
            .await?
            .into_response(),
    )
}

pub(super) async fn update_partner(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    match state
        .store
        .update_partner(&form.user.actor(), &id, partner_input(&form.posted, true))
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/console/partners/{id}?saved=1")).into_response()),
        Err(e) => {
            let errors = field_errors(e)?;
            let view = FormView::from_posted(&form.posted).with_errors(errors);
            let page = partner_page(&state, &form.user, &id, Some(view), None, false).await?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

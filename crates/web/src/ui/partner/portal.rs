//! The portal's home: the partner's own company profile (editable by its admin) and its
//! program's tier ladder. Partner users only (`PartnerUser`); staff pages for partners live
//! in `console`.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use partnerops_core::ids::EntityId;
use partnerops_core::page::{PageParams, PageRequest};
use partnerops_core::partner::Partner;
use partnerops_core::tier::Tier;
use partnerops_core::user::Role;
use partnerops_store::{Archived, Store};

use crate::AppState;
use crate::ui::form::{Choices, FormView, Posted, Saved, field_errors};
use crate::ui::guard::PartnerUser;
use crate::ui::partner::own_partner;
use crate::ui::session::SignedForm;
use crate::ui::{Chrome, UiError};

#[derive(Template, WebTemplate)]
#[template(path = "partner/portal/home.html")]
struct HomePage {
    chrome: Chrome,
    partner: Partner,
    tiers: Vec<Tier>,
    form: FormView,
    choices: Choices,
    can_edit: bool,
    saved: bool,
    /// What is due for the user (their list is on `/portal/cadence`).
    due_overdue: usize,
    due_upcoming: usize,
    /// The company's logo (its file id), shown from `/files/{id}`.
    logo: Option<String>,
    /// Why the last logo upload was refused.
    logo_error: Option<String>,
}

fn profile_form(p: &Partner) -> FormView {
    let mut f = FormView::default();
    f.set("name", p.name.clone());
    f.set("web_domain", p.web_domain.to_string());
    f.set("country", p.country.to_string());
    f.set_all(
        "regions",
        p.regions.iter().map(|r| r.as_str().to_owned()).collect(),
    );
    f.set("verticals", p.verticals.join(", "));
    f
}

async fn home_page(
    state: &AppState,
    user: &PartnerUser,
    form: Option<FormView>,
    saved: bool,
) -> Result<HomePage, UiError> {
    let partner = own_partner(state, user).await?;
    let logo = state
        .store
        .partner_logo(&partner.id)
        .await?
        .map(|f| f.id.to_string());
    let scope = user.scope();
    let req = PageRequest::parse(&PageParams::default(), &Store::tier_sorts())
        .map_err(|e| UiError::Store(e.into()))?;
    let tiers = state
        .store
        .tiers(scope, partner.program_id.as_str(), Archived::Live, &req)
        .await?
        .items;
    let due = state.store.cadence(&user.principal, false).await?;
    Ok(HomePage {
        chrome: Chrome::new(user, "company"),
        due_overdue: due.overdue.len(),
        due_upcoming: due.upcoming.len(),
        form: form.unwrap_or_else(|| profile_form(&partner)),
        partner,
        tiers,
        choices: Choices::get(),
        can_edit: user.principal.role == Role::PartnerAdmin,
        saved,
        logo,
        logo_error: None,
    })
}

pub(super) async fn home(
    State(state): State<AppState>,
    user: PartnerUser,
    Query(s): Query<Saved>,
) -> Result<Response, UiError> {
    Ok(home_page(&state, &user, None, s.saved.is_some())
        .await?
        .into_response())
}

fn profile_input(posted: &Posted) -> partnerops_core::partner::PartnerInput {
    partnerops_core::partner::PartnerInput {
        name: posted.get("name"),
        web_domain: posted.get("web_domain"),
        country: posted.get("country"),
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
    }
}

pub(super) async fn update_profile(
    State(state): State<AppState>,
    form: SignedForm<PartnerUser>,
) -> Result<Response, UiError> {
    let partner = own_partner(&state, &form.user).await?;
    match state
        .store
        .update_partner(
            &form.user.actor(),
            partner.id.as_str(),
            profile_input(&form.posted),
        )
        .await
    {
        Ok(_) => Ok(Redirect::to("/portal?saved=1").into_response()),
        Err(e) => {
            let view = FormView::from_posted(&form.posted).with_errors(field_errors(e)?);
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                home_page(&state, &form.user, Some(view), false).await?,
            )
                .into_response())
        }
    }
}

/// The partner admin uploads the company's logo (PNG, JPEG or WebP, at most 2 MB); it is
/// public, for the directory and co-branded pages.
pub(super) async fn upload_logo(
    State(state): State<AppState>,
    form: SignedForm<PartnerUser>,
) -> Result<Response, UiError> {
    let partner = own_partner(&state, &form.user).await?;
    let refusal = if form.user.principal.role != Role::PartnerAdmin {
        Some("Only your partner admin can change the logo.".to_owned())
    } else {
        match form.files.iter().find(|f| f.field == "logo") {
            None => Some("Choose an image file to upload.".to_owned()),
            Some(file) => {
                let upload = partnerops_store::file::Upload {
                    purpose: partnerops_core::file::FilePurpose::Logo,
                    partner_id: Some(partner.id.clone()),
                    name: &file.name,
                    bytes: &file.bytes,
                };
                match state.store.upload_file(&form.user.actor(), upload).await {
                    Ok(_) => None,
                    Err(e) => Some(field_errors(e)?.summary()),
                }
            }
        }
    };
    let Some(why) = refusal else {
        return Ok(Redirect::to("/portal?saved=1").into_response());
    };
    let mut page = home_page(&state, &form.user, None, false).await?;
    page.logo_error = Some(why);
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

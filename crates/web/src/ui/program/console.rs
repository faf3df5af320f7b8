//! The console's program pages: the program list and form, one program with its tier
//! ladder, council, cohort and activation report, and adding a tier. Staff only. The policy
//! document of a program lives in `ui::policy`.

use crate::AppState;
use crate::ui::audit::AuditRow;
use crate::ui::audit::trail;
use crate::ui::form::Choices;
use crate::ui::form::Saved;
use crate::ui::form::{FormView, Posted, field_errors, major_to_minor, minor_to_major};
use crate::ui::guard::Staff;
use crate::ui::program::all_programs;
use crate::ui::program::all_tiers;
use crate::ui::session::SignedForm;
use crate::ui::{Chrome, UiError};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use partnerops_core::audit::EntityKind;
use partnerops_core::program::{Program, ProgramInput, ThesisInput};
use partnerops_core::tier::{BenefitInput, Tier, TierInput};
use partnerops_core::{Invalid, money::Currency};

// ---------------------------------------------------------------- programs

#[derive(Template, WebTemplate)]
#[template(path = "program/console/programs.html")]
struct ProgramsPage {
    chrome: Chrome,
    programs: Vec<Program>,
    form: FormView,
    choices: Choices,
}

pub(super) async fn programs(
    State(state): State<AppState>,
    user: Staff,
) -> Result<Response, UiError> {
    let mut form = FormView::default();
    form.set("currency", "USD");
    Ok(ProgramsPage {
        chrome: Chrome::new(&user, "programs"),
        programs: all_programs(&state, &user).await?,
        form,
        choices: Choices::get(),
    }
    .into_response())
}

/// A program form as input; amounts are typed in major units of the chosen currency.
fn program_input(posted: &Posted) -> Result<ProgramInput, Invalid> {
    let currency = posted.get("currency").unwrap_or_else(|| "USD".into());
    let exponent = Currency::parse("currency", &currency)
        .map(|c| c.exponent())
        .unwrap_or(2);
    let mut inv = Invalid::new();
    let mut amount = |field: &str| match major_to_minor(
        &format!("thesis.{field}"),
        &posted.get(field).unwrap_or_default(),
        exponent,
    ) {
        Ok(v) => Some(v),
        Err(e) => {
            inv.errors.extend(e.errors);
            None
        }
    };
    let sourced = amount("sourced_arr_target_minor");
    let influenced = amount("influenced_arr_target_minor");
    let input = ProgramInput {
        name: posted.get("name"),
        kind: posted.get("kind"),
        description: posted.get("description"),
        currency: Some(currency),
        thesis: Some(ThesisInput {
            coverage_gaps: Some(posted.lines("coverage_gaps")),
            economic_model: posted.get("economic_model"),
            partner_value: Some(posted.lines("partner_value")),
            sourced_arr_target_minor: sourced,
            influenced_arr_target_minor: influenced,
        }),
    };
    inv.finish(|| Some(input))
}

pub(super) async fn create_program(
    State(state): State<AppState>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    let result = match program_input(&form.posted) {
        Ok(input) => state.store.create_program(&form.user.actor(), &input).await,
        Err(inv) => Err(inv.into()),
    };
    match result {
        Ok(p) => Ok(Redirect::to(&format!("/console/programs/{}", p.id)).into_response()),
        Err(e) => {
            let view = FormView::from_posted(&form.posted).with_errors(field_errors(e)?);
            let page = ProgramsPage {
                chrome: Chrome::new(&form.user, "programs"),
                programs: all_programs(&state, &form.user).await?,
                form: view,
                choices: Choices::get(),
            };
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "program/console/program.html")]
struct ProgramPage {
    chrome: Chrome,
    program: Program,
    tiers: Vec<Tier>,
    form: FormView,
    tier_form: FormView,
    choices: Choices,
    audit: Vec<AuditRow>,
    saved: bool,
    council: partnerops_core::lifecycle::record::Council,
    cohort: partnerops_core::lifecycle::record::Cohort,
    activation: partnerops_core::lifecycle::record::ActivationReport,
}

fn program_form(p: &Program) -> FormView {
    let exp = p.currency.exponent();
    let mut f = FormView::default();
    f.set("name", p.name.clone());
    f.set("kind", p.kind.as_str());
    f.set("description", p.description.clone().unwrap_or_default());
    f.set("currency", p.currency.as_str());
    f.set("coverage_gaps", p.thesis.coverage_gaps.join("\n"));
    f.set(
        "economic_model",
        p.thesis.economic_model.clone().unwrap_or_default(),
    );
    f.set("partner_value", p.thesis.partner_value.join("\n"));
    f.set(
        "sourced_arr_target_minor",
        minor_to_major(p.thesis.sourced_arr_target.amount_minor, exp),
    );
    f.set(
        "influenced_arr_target_minor",
        minor_to_major(p.thesis.influenced_arr_target.amount_minor, exp),
    );
    f
}

async fn program_page(
    state: &AppState,
    user: &Staff,
    id: &str,
    form: Option<FormView>,
    tier_form: Option<FormView>,
    saved: bool,
) -> Result<ProgramPage, UiError> {
    let program = state.store.program(user.scope(), id).await?;
    let tiers = all_tiers(state, user, id).await?;
    let audit = trail(state, user.scope(), EntityKind::Program, id).await?;
    let council = state.store.council(user.scope(), id).await?;
    let cohort = state.store.cohort(user.scope(), id).await?;
    let activation = state.store.activation_report(user.scope(), id).await?;
    let mut default_tier_form = FormView::default();
    default_tier_form.set(
        "rank",
        (tiers.iter().map(|t| t.rank).max().unwrap_or(0) + 1).to_string(),
    );
    Ok(ProgramPage {
        chrome: Chrome::new(user, "programs"),
        form: form.unwrap_or_else(|| program_form(&program)),
        tier_form: tier_form.unwrap_or(default_tier_form),
        program,
        tiers,
        choices: Choices::get(),
        audit,
        saved,
        council,
        cohort,
        activation,
    })
}

pub(super) async fn program(
    State(state): State<AppState>,
    user: Staff,
    Path(id): Path<String>,
    Query(s): Query<Saved>,
) -> Result<Response, UiError> {
    Ok(
        program_page(&state, &user, &id, None, None, s.saved.is_some())
            .await?
            .into_response(),
    )
}

pub(super) async fn update_program(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    let result = match program_input(&form.posted) {
        Ok(input) => {
            state
                .store
                .update_program(&form.user.actor(), &id, input)
                .await
        }
        Err(inv) => Err(inv.into()),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/console/programs/{id}?saved=1")).into_response()),
        Err(e) => {
            let view = FormView::from_posted(&form.posted).with_errors(field_errors(e)?);
            let page = program_page(&state, &form.user, &id, Some(view), None, false).await?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

pub(super) async fn create_tier(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    let rank = form.posted.get("rank").unwrap_or_default();
    let benefits: Vec<BenefitInput> = form
        .posted
        .lines("benefits")
        .into_iter()
        .map(|line| BenefitInput {
            kind: Some("other".into()),
            description: Some(line),
            rate_bps: None,
        })
        .collect();
    let input = TierInput {
        name: form.posted.get("name"),
        rank: rank.trim().parse().ok(),
        description: form.posted.get("description"),
        benefits: Some(benefits),
    };
    let result = if !rank.trim().is_empty() && input.rank.is_none() {
        Err(Invalid::one("rank", "integer", "rank must be a whole number").into())
    } else {
        state
            .store
            .create_tier(&form.user.actor(), &id, &input)
            .await
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/console/programs/{id}#tiers")).into_response()),
        Err(e) => {
            let view = FormView::from_posted(&form.posted).with_errors(field_errors(e)?);
            let page = program_page(&state, &form.user, &id, None, Some(view), false).await?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

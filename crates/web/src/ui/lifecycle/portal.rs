//! The portal's onboarding page: the checklist (ticked by the partner's admin), activation
//! and what the next tier needs. Partner users only (`PartnerUser`).

use crate::AppState;
use crate::ui::guard::PartnerUser;
use crate::ui::partner::own_partner;
use crate::ui::session::SignedForm;
use crate::ui::{Chrome, UiError};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use partnerops_core::ids::EntityId;
use partnerops_core::lifecycle::record::{Onboarding, TierStanding};
use partnerops_core::lifecycle::tiering::format_minor;
use partnerops_core::partner::Partner;
use partnerops_core::policy::Metric;
use partnerops_core::user::Role;

// ---- the portal's onboarding page ----

#[derive(Template, WebTemplate)]
#[template(path = "lifecycle/portal/onboarding.html")]
struct OnboardingPage {
    chrome: Chrome,
    partner: Partner,
    onboarding: Onboarding,
    standing: TierStanding,
    can_tick: bool,
}

impl OnboardingPage {
    /// A metric's value for people: money for sourced ARR, yes/no for the plan, else a count.
    fn value(&self, metric: &Metric, value: &i64) -> String {
        match metric {
            Metric::SourcedArr => format_minor(*value),
            Metric::JbpInPlace => if *value > 0 { "yes" } else { "no" }.into(),
            _ => value.to_string(),
        }
    }
}

pub(super) async fn onboarding(
    State(state): State<AppState>,
    user: PartnerUser,
) -> Result<Response, UiError> {
    let partner = own_partner(&state, &user).await?;
    let scope = user.scope();
    let onboarding = state.store.onboarding(scope, partner.id.as_str()).await?;
    let standing = state
        .store
        .tier_standing(scope, partner.id.as_str())
        .await?;
    Ok(OnboardingPage {
        chrome: Chrome::new(&user, "onboarding"),
        can_tick: user.principal.role == Role::PartnerAdmin,
        partner,
        onboarding,
        standing,
    }
    .into_response())
}

pub(super) async fn tick(
    State(state): State<AppState>,
    Path(key): Path<String>,
    form: SignedForm<PartnerUser>,
) -> Result<Response, UiError> {
    let partner = own_partner(&state, &form.user).await?;
    let done = form.posted.get("done").as_deref() != Some("false");
    state
        .store
        .tick_onboarding(&form.user.actor(), partner.id.as_str(), &key, done)
        .await?;
    Ok(Redirect::to("/portal/onboarding").into_response())
}

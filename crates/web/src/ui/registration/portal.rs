//! The portal's deal registration pages: the "register a deal" form with an instant hold
//! check (htmx posts the company fields as they are typed and shows whether the account is
//! free, held by another partner and until when, held by the partner itself, or a possible
//! duplicate; never who holds it), the partner's registrations, and one registration's
//! decisions, activity, renewal, withdrawal, close and engagement requests. Partner users
//! only (`PartnerUser`).

use crate::AppState;
use crate::ui::form::{FormView, Posted, field_errors, major_to_minor, url_encode};
use crate::ui::guard::PartnerUser;
use crate::ui::registration::Alerts;
use crate::ui::registration::DecisionView;
use crate::ui::registration::Done;
use crate::ui::registration::RegRow;
use crate::ui::registration::day;
use crate::ui::registration::decisions;
use crate::ui::registration::engagements_of;
use crate::ui::registration::failure_status;
use crate::ui::registration::internal;
use crate::ui::registration::notice_of;
use crate::ui::registration::page_of;
use crate::ui::registration::sentence;
use crate::ui::registration::trimmed;
use crate::ui::session::SignedForm;
use crate::ui::{Chrome, UiError};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use partnerops_core::Invalid;
use partnerops_core::audit::EntityKind;
use partnerops_core::ids::EntityId;
use partnerops_core::registration::ActivityKind;
use partnerops_core::registration::record::{
    AccountRefInput, Activity, ActivityInput, CloseInput, EngagementRequest, HoldCheck,
    ReasonInput, Registration, RegistrationFields, RegistrationInput,
};
use partnerops_core::scope::{Action, authorize};
use partnerops_store::registration::RegistrationFilter;
use partnerops_store::{Store, StoreError};

// ---------------------------------------------------------------- portal: list and submit

#[derive(Template, WebTemplate)]
#[template(path = "registration/portal/registrations.html")]
struct PortalListPage {
    chrome: Chrome,
    form: FormView,
    /// The currency estimated ARR is typed in.
    currency: String,
    /// What the hold check says about the company fields of `form`.
    hold: HoldCheckView,
    rows: Vec<RegRow>,
    next: Option<String>,
    /// The registration just submitted, for the notice.
    submitted: Option<RegRow>,
}

/// The currency code and number of decimals of the partner's program (USD, 2 when unknown).
async fn partner_currency(state: &AppState, user: &PartnerUser) -> Result<(String, u32), UiError> {
    // Only the currency: the program itself is a vendor record.
    match state.store.program_currency_for(user.scope()).await {
        Ok(c) => Ok((c.as_str().to_owned(), c.exponent())),
        Err(StoreError::NotFound(_)) => Ok(("USD".to_owned(), 2)),
        Err(e) => Err(e.into()),
    }
}

#[derive(serde::Deserialize)]
pub(super) struct ListQuery {
    submitted: Option<String>,
    cursor: Option<String>,
}

async fn portal_list_page(
    state: &AppState,
    user: &PartnerUser,
    form: FormView,
    hold: HoldCheckView,
    q: &ListQuery,
) -> Result<PortalListPage, UiError> {
    let scope = user.scope();
    let (currency, _) = partner_currency(state, user).await?;
    let now = state.store.now();
    let page = page_of(
        "-submitted_at",
        50,
        q.cursor.clone().filter(|c| !c.is_empty()),
        &Store::registration_sorts(),
    );
    let page = match page {
        Ok(p) => p,
        // A stale cursor: start again from the first page.
        Err(_) => {
            page_of("-submitted_at", 50, None, &Store::registration_sorts()).map_err(internal)?
        }
    };
    let listed = state
        .store
        .registrations(scope, &RegistrationFilter::default(), &page)
        .await?;
    let next = listed
        .next_cursor
        .as_ref()
        .map(|c| format!("/portal/registrations?cursor={}", url_encode(c)));
    let rows = listed
        .items
        .iter()
        .map(|r| RegRow::new(r, String::new(), now))
        .collect();
    let submitted = match q.submitted.as_deref().filter(|s| !s.is_empty()) {
        Some(id) => match state.store.registration(scope, id).await {
            Ok(r) => Some(RegRow::new(&r, String::new(), now)),
            Err(StoreError::NotFound(_)) => None,
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    Ok(PortalListPage {
        chrome: Chrome::new(user, "registrations"),
        form,
        currency,
        hold,
        rows,
        next,
        submitted,
    })
}

pub(super) async fn portal_list(
    State(state): State<AppState>,
    user: PartnerUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, UiError> {
    let hold = HoldCheckView::hint(TYPE_TO_CHECK);
    Ok(
        portal_list_page(&state, &user, FormView::default(), hold, &q)
            .await?
            .into_response(),
    )
}

/// The registration form as input; the amount is typed in major units.
fn registration_input(posted: &Posted, exponent: u32) -> Result<RegistrationInput, Invalid> {
    let amount = match trimmed(posted, "estimated_arr_minor") {
        None => Ok(None),
        Some(raw) => major_to_minor("estimated_arr_minor", &raw, exponent).map(Some),
    };
    let mut input = RegistrationInput {
        account: Some(AccountRefInput {
            name: trimmed(posted, "name"),
            web_domain: trimmed(posted, "web_domain"),
            country: trimmed(posted, "country"),
        }),
        title: trimmed(posted, "title"),
        product: trimmed(posted, "product"),
        estimated_arr_minor: amount.as_ref().ok().copied().flatten(),
        expected_close_on: trimmed(posted, "expected_close_on"),
        ..Default::default()
    };
    match amount {
        Ok(_) => Ok(input),
        Err(mut inv) => {
            // Say what else is wrong in the same answer.
            input.estimated_arr_minor = Some(1);
            if let Err(other) = RegistrationFields::parse(&input) {
                inv.errors.extend(other.errors);
            }
            Err(inv)
        }
    }
}

pub(super) async fn portal_submit(
    State(state): State<AppState>,
    form: SignedForm<PartnerUser>,
) -> Result<Response, UiError> {
    let (_, exponent) = partner_currency(&state, &form.user).await?;
    let result = match registration_input(&form.posted, exponent) {
        Ok(input) => {
            state
                .store
                .submit_registration(&form.user.actor(), &input)
                .await
        }
        Err(inv) => Err(inv.into()),
    };
    match result {
        Ok(r) => {
            Ok(Redirect::to(&format!("/portal/registrations?submitted={}", r.id)).into_response())
        }
        Err(e) => {
            let status = failure_status(&e);
            let view = FormView::from_posted(&form.posted).with_errors(field_errors(e)?);
            let hold = hold_view(&state, &form.user, &form.posted).await?;
            let q = ListQuery {
                submitted: None,
                cursor: None,
            };
            Ok((
                status,
                portal_list_page(&state, &form.user, view, hold, &q).await?,
            )
                .into_response())
        }
    }
}

// ---------------------------------------------------------------- portal: the hold check

#[derive(Template, WebTemplate)]
#[template(path = "registration/portal/registration_check.html")]
struct HoldCheckView {
    /// free, held, yours, duplicate or hint.
    kind: &'static str,
    message: String,
}

const TYPE_TO_CHECK: &str =
    "Type the company's web domain or name to see whether another partner holds it.";

impl HoldCheckView {
    fn hint(message: impl Into<String>) -> HoldCheckView {
        HoldCheckView {
            kind: "hint",
            message: message.into(),
        }
    }

    /// What a check says, never naming the partner holding the account. `by_domain_only`:
    /// no company name was typed, so a near-name match means nothing.
    fn of(check: &HoldCheck, by_domain_only: bool) -> HoldCheckView {
        let (kind, message) = if check.held && check.held_by_you {
            (
                "yours",
                "Held by you: you already registered this account.".to_owned(),
            )
        } else if check.held {
            match check.held_until {
                Some(until) => (
                    "held",
                    format!(
                        "Already registered by another partner until {}.",
                        day(until)
                    ),
                ),
                None => (
                    "held",
                    "Already registered by another partner, pending the vendor's approval."
                        .to_owned(),
                ),
            }
        } else if let Some(name) = check
            .possible_duplicate
            .as_ref()
            .filter(|_| !by_domain_only)
        {
            (
                "duplicate",
                format!(
                    "Possible duplicate of a registered account named “{name}”: a submission goes to review."
                ),
            )
        } else {
            ("free", "Free: nobody holds this account.".to_owned())
        };
        HoldCheckView { kind, message }
    }
}

/// The hold check for the company fields of a posted registration form.
async fn hold_view(
    state: &AppState,
    user: &PartnerUser,
    posted: &Posted,
) -> Result<HoldCheckView, UiError> {
    let scope = user.scope();
    let name = trimmed(posted, "name");
    let domain = trimmed(posted, "web_domain");
    let mut country = trimmed(posted, "country");
    if name.is_none() && domain.is_none() {
        return Ok(HoldCheckView::hint(TYPE_TO_CHECK));
    }
    if domain.is_none() && country.is_none() {
        return Ok(HoldCheckView::hint(
            "Add the company's country (or its web domain) to check the name.",
        ));
    }
    let by_domain_only = name.is_none();
    if country.is_none() {
        // A domain alone decides; the country only narrows name matches, which a
        // domain-only check ignores. Any valid country will do: the partner's own.
        let id = user.principal.partner_id().ok_or(UiError::NotFound)?;
        country = Some(
            state
                .store
                .partner(scope, id.as_str())
                .await?
                .country
                .to_string(),
        );
    }
    let input = AccountRefInput {
        name: name.or_else(|| domain.clone()),
        web_domain: domain,
        country,
    };
    match state.store.check_hold(&user.actor(), &input).await {
        Ok(check) => Ok(HoldCheckView::of(&check, by_domain_only)),
        Err(StoreError::Invalid(inv)) => {
            let view = FormView::default().with_errors(inv);
            let label = |field: &str| match field {
                "web_domain" => "Web domain",
                "country" => "Country",
                _ => "Company name",
            };
            let message = view
                .errors
                .errors
                .first()
                .and_then(|e| {
                    view.err(&e.field)
                        .map(|m| format!("{}: {}", label(&e.field), sentence(&m)))
                })
                .unwrap_or_else(|| "Keep typing…".to_owned());
            Ok(HoldCheckView::hint(message))
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /portal/registrations/check` (htmx): the company fields as typed, answered with the
/// hold check's message for `#hold-check`.
pub(super) async fn portal_check(
    State(state): State<AppState>,
    form: SignedForm<PartnerUser>,
) -> Result<Response, UiError> {
    Ok(hold_view(&state, &form.user, &form.posted)
        .await?
        .into_response())
}

// ---------------------------------------------------------------- portal: one registration

/// The forms of a portal registration page; the one that failed carries its errors.
#[derive(Default)]
struct PortalForms {
    activity: FormView,
    renew: FormView,
    withdraw: FormView,
    close: FormView,
    answer: FormView,
}

#[derive(Clone, Copy)]
enum PortalForm {
    Activity,
    Renew,
    Withdraw,
    Close,
    Answer,
}

impl PortalForms {
    fn with(place: PortalForm, view: FormView) -> PortalForms {
        let mut f = PortalForms::default();
        *match place {
            PortalForm::Activity => &mut f.activity,
            PortalForm::Renew => &mut f.renew,
            PortalForm::Withdraw => &mut f.withdraw,
            PortalForm::Close => &mut f.close,
            PortalForm::Answer => &mut f.answer,
        } = view;
        f
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "registration/portal/registration.html")]
struct PortalRegistrationPage {
    chrome: Chrome,
    reg: Registration,
    row: RegRow,
    decisions: Vec<DecisionView>,
    activities: Vec<Activity>,
    engagements: Vec<EngagementRequest>,
    kinds: &'static [ActivityKind],
    forms: PortalForms,
    can_work: bool,
    can_respond: bool,
    notice: Option<&'static str>,
}

async fn portal_page(
    state: &AppState,
    user: &PartnerUser,
    id: &str,
    forms: PortalForms,
    notice: Option<&'static str>,
) -> Result<PortalRegistrationPage, UiError> {
    let scope = user.scope();
    let reg = state.store.registration(scope, id).await?;
    let activities = state.store.registration_activities(scope, id).await?;
    let decisions = decisions(state, scope, EntityKind::Registration, id).await?;
    let engagements = engagements_of(state, scope, &reg).await?;
    let mut forms = forms;
    if forms.activity.v("kind").is_empty() {
        forms.activity.set("kind", "call");
    }
    Ok(PortalRegistrationPage {
        chrome: Chrome::new(user, "registrations"),
        row: RegRow::new(&reg, String::new(), state.store.now()),
        can_work: authorize(&user.principal, &Action::WorkRegistration(&reg.partner_id)).is_ok(),
        can_respond: authorize(
            &user.principal,
            &Action::RespondToEngagement(&reg.partner_id),
        )
        .is_ok(),
        reg,
        decisions,
        activities,
        engagements,
        kinds: ActivityKind::ALL,
        forms,
        notice,
    })
}

pub(super) async fn portal_registration(
    State(state): State<AppState>,
    user: PartnerUser,
    Path(id): Path<String>,
    Query(d): Query<Done>,
) -> Result<Response, UiError> {
    Ok(portal_page(
        &state,
        &user,
        &id,
        PortalForms::default(),
        notice_of(d.done.as_deref()),
    )
    .await?
    .into_response())
}

/// After a portal action: back to the registration page with a notice, or the page again
/// with the errors beside the form that failed.
async fn portal_after<T>(
    state: &AppState,
    form: &SignedForm<PartnerUser>,
    id: &str,
    result: Result<T, StoreError>,
    place: PortalForm,
    done: &str,
) -> Result<Response, UiError> {
    match result {
        Ok(_) => {
            Ok(Redirect::to(&format!("/portal/registrations/{id}?done={done}")).into_response())
        }
        Err(e) => {
            let status = failure_status(&e);
            let view = FormView::from_posted(&form.posted).with_errors(field_errors(e)?);
            let page =
                portal_page(state, &form.user, id, PortalForms::with(place, view), None).await?;
            Ok((status, page).into_response())
        }
    }
}

pub(super) async fn portal_log_activity(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm<PartnerUser>,
) -> Result<Response, UiError> {
    let input = ActivityInput {
        kind: trimmed(&form.posted, "kind"),
        occurred_at: None,
        notes: trimmed(&form.posted, "notes"),
    };
    let result = state
        .store
        .log_activity(&form.user.actor(), &id, &input)
        .await;
    portal_after(&state, &form, &id, result, PortalForm::Activity, "activity").await
}

pub(super) async fn portal_renew(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm<PartnerUser>,
) -> Result<Response, UiError> {
    let result = state
        .store
        .renew_registration(&form.user.actor(), &id)
        .await;
    portal_after(&state, &form, &id, result, PortalForm::Renew, "renewed").await
}

pub(super) async fn portal_withdraw(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm<PartnerUser>,
) -> Result<Response, UiError> {
    let result = state
        .store
        .withdraw_registration(&form.user.actor(), &id)
        .await;
    portal_after(
        &state,
        &form,
        &id,
        result,
        PortalForm::Withdraw,
        "withdrawn",
    )
    .await
}

pub(super) async fn portal_close(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm<PartnerUser>,
) -> Result<Response, UiError> {
    let input = CloseInput {
        outcome: trimmed(&form.posted, "outcome"),
        reason: trimmed(&form.posted, "reason"),
    };
    let result = state
        .store
        .close_registration(&form.user.actor(), &id, &input)
        .await;
    portal_after(&state, &form, &id, result, PortalForm::Close, "closed").await
}

/// `POST /portal/engagement/{id}/grant|deny`: the holding partner answers a request.
pub(super) async fn portal_answer(
    State(state): State<AppState>,
    Path((id, answer)): Path<(String, String)>,
    form: SignedForm<PartnerUser>,
) -> Result<Response, UiError> {
    let scope = form.user.scope();
    let grant = match answer.as_str() {
        "grant" => true,
        "deny" => false,
        _ => return Err(UiError::NotFound),
    };
    let request = state.store.engagement_request(scope, &id).await?;
    let input = ReasonInput {
        reason: trimmed(&form.posted, "reason"),
    };
    let result = state
        .store
        .answer_engagement(&form.user.actor(), &id, grant, &input)
        .await;
    portal_after(
        &state,
        &form,
        request.registration_id.as_str(),
        result,
        PortalForm::Answer,
        "answered",
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};

    #[test]
    fn the_hold_check_never_names_the_holder() {
        let until = DateTime::parse_from_rfc3339("2027-02-19T08:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let base = HoldCheck {
            web_domain: Some("held.example".into()),
            held: true,
            held_until: Some(until),
            held_by_you: false,
            possible_duplicate: None,
            message: String::new(),
        };
        let v = HoldCheckView::of(&base, true);
        assert_eq!(v.kind, "held");
        assert_eq!(
            v.message,
            "Already registered by another partner until 2027-02-19."
        );
        let mine = HoldCheck {
            held_by_you: true,
            ..base.clone()
        };
        assert_eq!(HoldCheckView::of(&mine, false).kind, "yours");
        let near = HoldCheck {
            held: false,
            held_until: None,
            possible_duplicate: Some("Globex Corp".into()),
            ..base.clone()
        };
        assert_eq!(HoldCheckView::of(&near, false).kind, "duplicate");
        assert_eq!(
            HoldCheckView::of(&near, true).kind,
            "free",
            "a domain-only check ignores names"
        );
    }
}

//! Webhook subscriptions in the browser, for whoever may manage them: vendor
//! administrators in the console (any events), a partner's administrator in the portal (its
//! own partner's events). The list with a form to subscribe (the secret is shown once),
//! and a subscription's page: its delivery log, replaying a time range, rotating the
//! secret, pausing and re-enabling, deleting. The rules (who may, which targets, SSRF) are
//! the store's; both sides share these handlers and differ only in their guard and base path.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use partnerops_core::webhook::record::{
    WebhookDelivery, WebhookReplayInput, WebhookSubscription, WebhookSubscriptionInput,
};

use super::Routes;
use crate::AppState;
use crate::ui::form::{FormView, Posted, failure_status, field_errors, trimmed};
use crate::ui::guard::{PartnerUser, Staff};
use crate::ui::session::{SignedForm, UiUser};
use crate::ui::{Chrome, UiError};

const CONSOLE: &str = "/console";
const PORTAL: &str = "/portal";

pub(super) fn routes(r: Routes) -> Routes {
    r.get("/console/webhooks", console_list)
        .post("/console/webhooks", console_create)
        .get("/console/webhooks/{id}", console_show)
        .post("/console/webhooks/{id}", console_act)
        .get("/portal/webhooks", portal_list)
        .post("/portal/webhooks", portal_create)
        .get("/portal/webhooks/{id}", portal_show)
        .post("/portal/webhooks/{id}", portal_act)
}

#[derive(Template, WebTemplate)]
#[template(path = "webhook/list.html")]
struct ListPage {
    chrome: Chrome,
    base: &'static str,
    subscriptions: Vec<WebhookSubscription>,
    form: FormView,
    /// A subscription just made, with its secret (shown this once).
    created: Option<(WebhookSubscription, String)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "webhook/subscription.html")]
struct SubscriptionPage {
    chrome: Chrome,
    base: &'static str,
    s: WebhookSubscription,
    deliveries: Vec<WebhookDelivery>,
    form: FormView,
    /// What the last action did, or a new secret to show once.
    notice: Option<String>,
    secret: Option<String>,
}

async fn list_page(
    state: &AppState,
    user: &UiUser,
    base: &'static str,
    form: FormView,
    created: Option<(WebhookSubscription, String)>,
) -> Result<ListPage, UiError> {
    Ok(ListPage {
        chrome: Chrome::new(user, "webhooks"),
        base,
        subscriptions: state.store.webhook_subscriptions(&user.actor()).await?,
        form,
        created,
    })
}

async fn console_list(State(state): State<AppState>, user: Staff) -> Result<Response, UiError> {
    Ok(list_page(&state, &user, CONSOLE, FormView::default(), None)
        .await?
        .into_response())
}

async fn portal_list(
    State(state): State<AppState>,
    user: PartnerUser,
) -> Result<Response, UiError> {
    Ok(list_page(&state, &user, PORTAL, FormView::default(), None)
        .await?
        .into_response())
}

/// The event kinds as typed: one per line or separated by commas.
fn kinds_of(posted: &Posted) -> Vec<String> {
    posted
        .get("event_kinds")
        .unwrap_or_default()
        .split([',', '\n'])
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(str::to_owned)
        .collect()
}

async fn create(
    state: &AppState,
    user: &UiUser,
    base: &'static str,
    posted: &Posted,
) -> Result<Response, UiError> {
    let input = WebhookSubscriptionInput {
        url: trimmed(posted, "url"),
        description: trimmed(posted, "description"),
        event_kinds: Some(kinds_of(posted)),
        ..Default::default()
    };
    match state
        .store
        .create_webhook_subscription(&user.actor(), &input)
        .await
    {
        Ok(made) => Ok(list_page(
            state,
            user,
            base,
            FormView::default(),
            Some((made.subscription, made.secret)),
        )
        .await?
        .into_response()),
        Err(e) => {
            let status = failure_status(&e);
            let form = FormView::from_posted(posted).with_errors(field_errors(e)?);
            Ok((status, list_page(state, user, base, form, None).await?).into_response())
        }
    }
}

async fn console_create(
    State(state): State<AppState>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    create(&state, &form.user, CONSOLE, &form.posted).await
}

async fn portal_create(
    State(state): State<AppState>,
    form: SignedForm<PartnerUser>,
) -> Result<Response, UiError> {
    create(&state, &form.user, PORTAL, &form.posted).await
}

async fn show_page(
    state: &AppState,
    user: &UiUser,
    base: &'static str,
    id: &str,
    form: FormView,
    notice: Option<String>,
    secret: Option<String>,
) -> Result<SubscriptionPage, UiError> {
    let actor = user.actor();
    let s = state.store.webhook_subscription(&actor, id).await?;
    let deliveries = state
        .store
        .webhook_deliveries(&actor, id, None, 100)
        .await?;
    Ok(SubscriptionPage {
        chrome: Chrome::new(user, "webhooks"),
        base,
        s,
        deliveries,
        form,
        notice,
        secret,
    })
}

async fn console_show(
    State(state): State<AppState>,
    user: Staff,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    Ok(
        show_page(&state, &user, CONSOLE, &id, FormView::default(), None, None)
            .await?
            .into_response(),
    )
}

async fn portal_show(
    State(state): State<AppState>,
    user: PartnerUser,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    Ok(
        show_page(&state, &user, PORTAL, &id, FormView::default(), None, None)
            .await?
            .into_response(),
    )
}

/// One of the subscription page's buttons (`action`): rotate, replay, pause, enable, delete.
async fn act(
    state: &AppState,
    user: &UiUser,
    base: &'static str,
    id: &str,
    posted: &Posted,
) -> Result<Response, UiError> {
    let actor = user.actor();
    let store = &state.store;
    let status = |s: &str| WebhookSubscriptionInput {
        status: Some(s.to_owned()),
        ..Default::default()
    };
    let outcome: Result<(Option<String>, Option<String>), _> = match posted.get("action").as_deref()
    {
        Some("rotate") => store.rotate_webhook_secret(&actor, id).await.map(|s| {
            (
                Some(
                    "A new secret signs from now; the old one also signs for 24 hours.".to_owned(),
                ),
                Some(s.secret),
            )
        }),
        Some("replay") => {
            let input = WebhookReplayInput {
                event_id: None,
                from: trimmed(posted, "from"),
                to: trimmed(posted, "to"),
            };
            store
                .replay_webhooks(&actor, id, &input)
                .await
                .map(|n| (Some(format!("{n} deliveries queued again.")), None))
        }
        Some("pause") => store
            .update_webhook_subscription(
                &actor,
                id,
                &status("disabled"),
                &partnerops_store::etag::Precondition::None,
            )
            .await
            .map(|_| {
                (
                    Some("Paused: no events are sent until it is enabled.".to_owned()),
                    None,
                )
            }),
        Some("enable") => store
            .update_webhook_subscription(
                &actor,
                id,
                &status("active"),
                &partnerops_store::etag::Precondition::None,
            )
            .await
            .map(|_| (Some("Enabled: events are sent again.".to_owned()), None)),
        Some("delete") => {
            store.delete_webhook_subscription(&actor, id).await?;
            return Ok(Redirect::to(&format!("{base}/webhooks")).into_response());
        }
        _ => return Err(UiError::NotFound),
    };
    match outcome {
        Ok((notice, secret)) => {
            Ok(
                show_page(state, user, base, id, FormView::default(), notice, secret)
                    .await?
                    .into_response(),
            )
        }
        Err(e) => {
            let code = failure_status(&e);
            let form = FormView::from_posted(posted).with_errors(field_errors(e)?);
            Ok((
                code,
                show_page(state, user, base, id, form, None, None).await?,
            )
                .into_response())
        }
    }
}

async fn console_act(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    act(&state, &form.user, CONSOLE, &id, &form.posted).await
}

async fn portal_act(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm<PartnerUser>,
) -> Result<Response, UiError> {
    act(&state, &form.user, PORTAL, &id, &form.posted).await
}

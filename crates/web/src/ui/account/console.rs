//! The console's account pages: the filtered account list with the new-account form, and
//! one account with its owner, registrations, decisions (the duplicate review's answers)
//! and audit trail, and where a merged account went. Staff only; partners never
//! see accounts here (their deals live in `ui::registration`).

use crate::AppState;
use crate::api::AccountQuery;
use crate::ui::audit::AuditRow;
use crate::ui::audit::trail;
use crate::ui::form::Choices;
use crate::ui::form::Saved;
use crate::ui::form::{FormView, Posted, field_errors};
use crate::ui::guard::Staff;
use crate::ui::list::Listing;
use crate::ui::list::is_htmx;
use crate::ui::registration::{DecisionView, decisions};
use crate::ui::session::SignedForm;
use crate::ui::{Chrome, UiError};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use partnerops_core::account::{Account, AccountInput};
use partnerops_core::audit::EntityKind;
use partnerops_core::ids::EntityId;
use partnerops_core::page::{Page, PageParams, PageRequest};
use partnerops_core::user::User;
use partnerops_store::Store;
use partnerops_store::user::UserFilter;

// ---------------------------------------------------------------- accounts

#[derive(Template, WebTemplate)]
#[template(path = "account/console/accounts.html")]
struct AccountsPage {
    chrome: Chrome,
    filters: FormView,
    form: FormView,
    choices: Choices,
    owners: Vec<User>,
    page: Page<Account>,
    next: Option<String>,
    error: Option<String>,
    /// Query of the CSV export of these rows.
    export_query: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "account/console/account_rows.html")]
struct AccountRows {
    page: Page<Account>,
    next: Option<String>,
    error: Option<String>,
    /// Query of the CSV export of these rows.
    export_query: String,
}

async fn staff_users(state: &AppState, user: &Staff) -> Result<Vec<User>, UiError> {
    let req = PageRequest::parse(
        &PageParams {
            limit: Some("200".into()),
            ..Default::default()
        },
        &Store::user_sorts(),
    )
    .map_err(|e| UiError::Store(e.into()))?;
    Ok(state
        .store
        .users(
            user.scope(),
            &UserFilter {
                staff: Some(true),
                ..Default::default()
            },
            &req,
        )
        .await?
        .items)
}

async fn accounts_page(
    state: &AppState,
    user: &Staff,
    q: &AccountQuery,
    p: &PageParams,
    form: FormView,
) -> Result<AccountsPage, UiError> {
    let query = [
        ("q", q.q.as_deref()),
        ("country", q.country.as_deref()),
        ("status", q.status.as_deref()),
        ("sort", p.sort.as_deref()),
    ];
    let parsed = crate::api::both(PageRequest::parse(p, &Store::account_sorts()), q.parse());
    let Listing {
        page,
        next,
        error,
        filters,
        export_query,
    } = Listing::load(
        parsed,
        "/console/accounts",
        &query,
        |req, filter| async move { state.store.accounts(user.scope(), &filter, &req).await },
    )
    .await?;
    Ok(AccountsPage {
        chrome: Chrome::new(user, "accounts"),
        filters,
        form,
        choices: Choices::get(),
        owners: staff_users(state, user).await?,
        page,
        next,
        error,
        export_query,
    })
}

pub(super) async fn accounts(
    State(state): State<AppState>,
    user: Staff,
    headers: HeaderMap,
    Query(q): Query<AccountQuery>,
    Query(p): Query<PageParams>,
) -> Result<Response, UiError> {
    let page = accounts_page(&state, &user, &q, &p, FormView::default()).await?;
    if is_htmx(&headers) {
        return Ok(AccountRows {
            page: page.page,
            next: page.next,
            error: page.error,
            export_query: page.export_query,
        }
        .into_response());
    }
    Ok(page.into_response())
}

fn account_input(posted: &Posted) -> AccountInput {
    AccountInput {
        name: posted.get("name"),
        web_domain: posted.get("web_domain"),
        country: posted.get("country"),
        industry: posted.get("industry"),
        direct_owner_id: posted.get("direct_owner_id"),
        status: posted.get("status"),
    }
}

pub(super) async fn create_account(
    State(state): State<AppState>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    match state
        .store
        .create_account(&form.user.actor(), &account_input(&form.posted))
        .await
    {
        Ok(a) => Ok(Redirect::to(&format!("/console/accounts/{}", a.id)).into_response()),
        Err(e) => {
            let view = FormView::from_posted(&form.posted).with_errors(field_errors(e)?);
            let page = accounts_page(
                &state,
                &form.user,
                &AccountQuery::default(),
                &PageParams::default(),
                view,
            )
            .await?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "account/console/account.html")]
struct AccountPage {
    chrome: Chrome,
    account: Account,
    form: FormView,
    choices: Choices,
    owners: Vec<User>,
    audit: Vec<AuditRow>,
    saved: bool,
    /// The account's deal registrations, newest first.
    registrations: Vec<crate::ui::registration::RegRow>,
    /// Rule decisions about the account (merges, "different companies"), oldest first.
    decisions: Vec<DecisionView>,
    /// The surviving account of a merge: id and name.
    merged_into: Option<(String, String)>,
}

async fn account_page(
    state: &AppState,
    user: &Staff,
    id: &str,
    form: Option<FormView>,
    saved: bool,
) -> Result<AccountPage, UiError> {
    let account = state.store.account(user.scope(), id).await?;
    let form = form.unwrap_or_else(|| {
        let mut f = FormView::default();
        f.set("name", account.name.clone());
        f.set(
            "web_domain",
            account
                .web_domain
                .as_ref()
                .map(|d| d.to_string())
                .unwrap_or_default(),
        );
        f.set("country", account.country.to_string());
        f.set("industry", account.industry.clone().unwrap_or_default());
        f.set(
            "direct_owner_id",
            account
                .direct_owner_id
                .as_ref()
                .map(|u| u.to_string())
                .unwrap_or_default(),
        );
        f.set("status", account.status.as_str());
        f
    });
    let merged_into = match &account.merged_into {
        Some(into) => {
            let survivor = state.store.account(user.scope(), into.as_str()).await?;
            Some((survivor.id.to_string(), survivor.name))
        }
        None => None,
    };
    Ok(AccountPage {
        chrome: Chrome::new(user, "accounts"),
        decisions: decisions(state, user.scope(), EntityKind::Account, id).await?,
        merged_into,
        audit: trail(state, user.scope(), EntityKind::Account, id).await?,
        owners: staff_users(state, user).await?,
        registrations: crate::ui::registration::account_history(state, user, id).await?,
        account,
        form,
        choices: Choices::get(),
        saved,
    })
}

pub(super) async fn account(
    State(state): State<AppState>,
    user: Staff,
    Path(id): Path<String>,
    Query(s): Query<Saved>,
) -> Result<Response, UiError> {
    Ok(account_page(&state, &user, &id, None, s.saved.is_some())
        .await?
        .into_response())
}

pub(super) async fn update_account(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    match state
        .store
        .update_account(&form.user.actor(), &id, account_input(&form.posted))
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/console/accounts/{id}?saved=1")).into_response()),
        Err(e) => {
            let view = FormView::from_posted(&form.posted).with_errors(field_errors(e)?);
            let page = account_page(&state, &form.user, &id, Some(view), false).await?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

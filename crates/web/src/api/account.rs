//! `/api/v1/accounts` (vendor staff only: a partner sees no accounts), with the channel
//! manager's answers to a duplicate review: merge ("same company") and distinct ("different
//! companies"). The rules and the moves are the store's.

use axum::extract::State;
use axum::http::StatusCode;
use partnerops_core::Invalid;
use partnerops_core::account::{Account, AccountInput, AccountStatus};
use partnerops_core::audit::{AuditEvent, EntityKind};
use partnerops_core::country::Country;
use partnerops_core::ids::parse_id;
use partnerops_core::page::{Page, PageParams, PageRequest};
use partnerops_core::registration::review::{DistinctInput, MergeInput};
use partnerops_store::Store;
use partnerops_store::account::AccountFilter;
use serde::Deserialize;

use super::{AuditQuery, Tagged, TaggedAnswer, archived_param, audit_page, both, filter};
use crate::AppState;
use crate::auth::ApiUser;
use crate::extract::{IfMatch, Json, Path, Query};
use crate::problem::{ApiError, Problem};

type Answer<T> = Result<axum::Json<T>, ApiError>;

/// Filters for the account list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AccountQuery {
    /// Part of the name or web domain.
    pub q: Option<String>,
    pub country: Option<String>,
    /// prospect or customer.
    pub status: Option<String>,
    pub industry: Option<String>,
    pub direct_owner_id: Option<String>,
    /// `false` (default): live only; `true`: archived only; `all`.
    pub archived: Option<String>,
}

impl AccountQuery {
    pub fn parse(&self) -> Result<AccountFilter, Invalid> {
        let mut inv = Invalid::new();
        let f = AccountFilter {
            q: self.q.clone().filter(|s| !s.trim().is_empty()),
            country: filter(&mut inv, "country", self.country.as_deref(), Country::parse),
            status: filter(
                &mut inv,
                "status",
                self.status.as_deref(),
                AccountStatus::parse,
            ),
            industry: self.industry.clone().filter(|s| !s.trim().is_empty()),
            direct_owner_id: filter(
                &mut inv,
                "direct_owner_id",
                self.direct_owner_id.as_deref(),
                parse_id,
            ),
            archived: archived_param(&mut inv, self.archived.as_deref()),
        };
        inv.finish(|| Some(f))
    }
}

/// Lists accounts.
#[utoipa::path(get, path = "/api/v1/accounts", tag = "accounts", params(AccountQuery, PageParams),
    responses((status = 200, body = Page<Account>), (status = 401, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn list(
    State(s): State<AppState>,
    who: ApiUser,
    Query(q): Query<AccountQuery>,
    Query(p): Query<PageParams>,
) -> Answer<Page<Account>> {
    let (page, f) = both(PageRequest::parse(&p, &Store::account_sorts()), q.parse())?;
    Ok(axum::Json(s.store.accounts(who.scope(), &f, &page).await?))
}

/// Creates an account; its web domain is stored normalised and must be unique.
#[utoipa::path(post, path = "/api/v1/accounts", tag = "accounts", request_body = AccountInput,
    responses((status = 201, body = Account), (status = 401, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn create(
    State(s): State<AppState>,
    who: ApiUser,
    Json(input): Json<AccountInput>,
) -> Result<(StatusCode, axum::Json<Account>), ApiError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(s.store.create_account(&who.actor(), &input).await?),
    ))
}

/// One account.
#[utoipa::path(get, path = "/api/v1/accounts/{id}", tag = "accounts", params(("id" = String, Path)),
    responses((status = 200, body = Account), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn get(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> TaggedAnswer<Account> {
    Ok(Tagged(s.store.account(who.scope(), &id).await?))
}

/// Changes an account.
#[utoipa::path(patch, path = "/api/v1/accounts/{id}", tag = "accounts", params(("id" = String, Path), IfMatch), request_body = AccountInput,
    responses((status = 200, body = Account), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn update(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    if_match: IfMatch,
    Json(input): Json<AccountInput>,
) -> TaggedAnswer<Account> {
    Ok(Tagged(
        s.store
            .update_account_if(&who.actor(), &id, input, &if_match.0)
            .await?,
    ))
}

/// Archives an account.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/archive", tag = "accounts", params(("id" = String, Path)),
    responses((status = 200, body = Account), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn archive(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<Account> {
    Ok(axum::Json(
        s.store.archive_account(&who.actor(), &id).await?,
    ))
}

/// Restores an archived account.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/restore", tag = "accounts", params(("id" = String, Path)),
    responses((status = 200, body = Account), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)), security(("bearer" = [])))]
pub async fn restore(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<Account> {
    Ok(axum::Json(
        s.store.restore_account(&who.actor(), &id).await?,
    ))
}

/// The audit trail of an account.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/audit", tag = "accounts", params(("id" = String, Path), PageParams),
    responses((status = 200, body = Page<AuditEvent>), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn audit(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Query(p): AuditQuery,
) -> Answer<Page<AuditEvent>> {
    audit_page(&s, &who, EntityKind::Account, &id, p).await
}

/// The registration history of an account (vendor staff).
#[utoipa::path(get, path = "/api/v1/accounts/{id}/registrations", tag = "accounts", params(("id" = String, Path), PageParams),
    responses((status = 200, body = Page<partnerops_core::registration::record::Registration>), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn registrations(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Query(mut p): Query<PageParams>,
) -> Answer<Page<partnerops_core::registration::record::Registration>> {
    let account = s.store.account(who.scope(), &id).await?;
    if p.sort.as_deref().is_none_or(|s| s.trim().is_empty()) {
        p.sort = Some("-submitted_at".into());
    }
    let page = PageRequest::parse(&p, &Store::registration_sorts())?;
    let filter = partnerops_store::registration::RegistrationFilter {
        account_id: Some(account.id),
        ..Default::default()
    };
    Ok(axum::Json(
        s.store.registrations(who.scope(), &filter, &page).await?,
    ))
}

/// Logs a direct rep's activity on an account; a partner registering it within the
/// policy's look-back (60 days by default) opens a conflict case.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/direct-activities", tag = "accounts", params(("id" = String, Path)), request_body = partnerops_core::registration::record::ActivityInput,
    responses((status = 201, body = partnerops_core::registration::record::Activity), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn direct_activity(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<partnerops_core::registration::record::ActivityInput>,
) -> Result<
    (
        StatusCode,
        axum::Json<partnerops_core::registration::record::Activity>,
    ),
    ApiError,
> {
    Ok((
        StatusCode::CREATED,
        axum::Json(
            s.store
                .log_direct_activity(&who.actor(), &id, &input)
                .await?,
        ),
    ))
}

/// "Same company": merges this account into `into`. Its registrations (with their
/// activities, engagement requests and decisions), direct activities, conflict cases, and
/// its decisions and audit history move to `into`; this account is archived with
/// `merged_into` set. Both accounts get a decision (`account.merged`) and an audit event.
/// Refused with 409 and rule `account.merge_both_held` when both accounts hold an active
/// registration. Answers the surviving account.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/merge", tag = "accounts", params(("id" = String, Path)), request_body = MergeInput,
    responses((status = 200, body = Account), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn merge(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<MergeInput>,
) -> Answer<Account> {
    Ok(axum::Json(
        s.store.merge_accounts(&who.actor(), &id, &input).await?,
    ))
}

/// "Different companies": this account and `from` are never flagged as possible duplicates
/// of each other again; registrations flagged by this pair leave review. Both accounts get
/// a decision (`account.distinct`) and an audit event; asking again changes nothing.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/distinct", tag = "accounts", params(("id" = String, Path)), request_body = DistinctInput,
    responses((status = 200, body = Account), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn distinct(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<DistinctInput>,
) -> Answer<Account> {
    Ok(axum::Json(
        s.store
            .mark_accounts_distinct(&who.actor(), &id, &input)
            .await?,
    ))
}

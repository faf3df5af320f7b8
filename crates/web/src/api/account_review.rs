//! `/api/v1/accounts/{id}/merge` and `/api/v1/accounts/{id}/distinct`: the channel
//! manager's answers to a duplicate review (vendor staff who decide registrations; partner
//! users get 404, as for every account route). The rules and the moves are the store's.

use axum::extract::{Path, State};
use partnerops_core::account::Account;
use partnerops_core::registration::review::{DistinctInput, MergeInput};

use crate::AppState;
use crate::auth::ApiUser;
use crate::extract::Json;
use crate::problem::{ApiError, Problem};

type Answer<T> = Result<axum::Json<T>, ApiError>;

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

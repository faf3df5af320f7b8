//! `/api/v1/registrations`, `/api/v1/engagement-requests`, `/api/v1/conflicts`.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use partnerops_core::Invalid;
use partnerops_core::audit::{AuditEvent, EntityKind};
use partnerops_core::ids::parse_id;
use partnerops_core::page::{Page, PageParams, PageRequest};
use partnerops_core::registration::record::{
    AccountRefInput, Activity, ActivityInput, CloseInput, CommentInput, ConflictCase,
    ConflictComment, ConflictInput, DecisionRecord, EngagementRequest, HoldCheck, ReasonInput,
    Registration, RegistrationInput, ResolveInput,
};
use partnerops_core::registration::{ConflictStatus, EngagementStatus, RegistrationStatus};
use partnerops_store::Store;
use partnerops_store::registration::RegistrationFilter;
use partnerops_store::registration::conflict::ConflictFilter;
use partnerops_store::registration::engagement::EngagementFilter;
use serde::Deserialize;

use super::{AuditQuery, audit_page, both, filter};
use crate::AppState;
use crate::auth::ApiUser;
use crate::extract::{Json, Path, Query};
use crate::problem::{ApiError, Problem};

type Answer<T> = Result<axum::Json<T>, ApiError>;
type Created<T> = Result<(StatusCode, axum::Json<T>), ApiError>;

/// Filters for the registration list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RegistrationQuery {
    /// pending, approved, rejected, withdrawn, expired, won or lost.
    pub status: Option<String>,
    pub partner_id: Option<String>,
    pub account_id: Option<String>,
    /// Approved registrations expiring before this time (RFC 3339).
    pub expiring_before: Option<String>,
}

impl RegistrationQuery {
    pub fn parse(&self) -> Result<RegistrationFilter, Invalid> {
        let mut inv = Invalid::new();
        let expiring_before = filter(
            &mut inv,
            "expiring_before",
            self.expiring_before.as_deref(),
            |field, raw| {
                DateTime::parse_from_rfc3339(raw)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|_| {
                        partnerops_core::FieldError::new(
                            field,
                            "rfc3339",
                            format!("{field} must be a time like 2026-11-21T09:30:00Z"),
                        )
                    })
            },
        );
        let f = RegistrationFilter {
            status: filter(
                &mut inv,
                "status",
                self.status.as_deref(),
                RegistrationStatus::parse,
            ),
            partner_id: filter(&mut inv, "partner_id", self.partner_id.as_deref(), parse_id),
            account_id: filter(&mut inv, "account_id", self.account_id.as_deref(), parse_id),
            expiring_before,
        };
        inv.finish(|| Some(f))
    }
}

/// Registers a deal. A partner user registers for its own company; vendor staff name the
/// partner. The account is named by `account_id` or described (`account`: name, web domain,
/// country) and matched: the same domain is the same account; a name close to an account
/// another partner holds sends the registration to review. A held account is refused with
/// 409 and rule `registration.account_held`, saying until when but not by whom.
#[utoipa::path(post, path = "/api/v1/registrations", tag = "registrations", request_body = RegistrationInput,
    responses((status = 201, body = Registration), (status = 401, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn submit(
    State(s): State<AppState>,
    who: ApiUser,
    Json(input): Json<RegistrationInput>,
) -> Created<Registration> {
    Ok((
        StatusCode::CREATED,
        axum::Json(s.store.submit_registration(&who.actor(), &input).await?),
    ))
}

/// Lists registrations (a partner sees its own).
#[utoipa::path(get, path = "/api/v1/registrations", tag = "registrations", params(RegistrationQuery, PageParams),
    responses((status = 200, body = Page<Registration>), (status = 401, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn list(
    State(s): State<AppState>,
    who: ApiUser,
    Query(q): Query<RegistrationQuery>,
    Query(mut p): Query<PageParams>,
) -> Answer<Page<Registration>> {
    if p.sort.as_deref().is_none_or(|s| s.trim().is_empty()) {
        p.sort = Some("-submitted_at".into());
    }
    let (page, f) = both(
        PageRequest::parse(&p, &Store::registration_sorts()),
        q.parse(),
    )?;
    Ok(axum::Json(
        s.store.registrations(who.scope(), &f, &page).await?,
    ))
}

/// Is this account free to register? Held or not and until when, never by whom.
#[utoipa::path(post, path = "/api/v1/registrations/check", tag = "registrations", request_body = AccountRefInput,
    responses((status = 200, body = HoldCheck), (status = 401, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn check(
    State(s): State<AppState>,
    who: ApiUser,
    Json(input): Json<AccountRefInput>,
) -> Answer<HoldCheck> {
    Ok(axum::Json(s.store.check_hold(&who.actor(), &input).await?))
}

/// One registration.
#[utoipa::path(get, path = "/api/v1/registrations/{id}", tag = "registrations", params(("id" = String, Path)),
    responses((status = 200, body = Registration), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn get(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<Registration> {
    Ok(axum::Json(s.store.registration(who.scope(), &id).await?))
}

/// Every rule decision about a registration: rule, outcome, reason, policy version, records.
#[utoipa::path(get, path = "/api/v1/registrations/{id}/decisions", tag = "registrations", params(("id" = String, Path)),
    responses((status = 200, body = Vec<DecisionRecord>), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn decisions(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<Vec<DecisionRecord>> {
    let _ = s.store.registration(who.scope(), &id).await?;
    Ok(axum::Json(
        s.store
            .decisions(who.scope(), EntityKind::Registration, &id)
            .await?,
    ))
}

/// The follow-up activities logged on a registration.
#[utoipa::path(get, path = "/api/v1/registrations/{id}/activities", tag = "registrations", params(("id" = String, Path)),
    responses((status = 200, body = Vec<Activity>), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn activities(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<Vec<Activity>> {
    Ok(axum::Json(
        s.store.registration_activities(who.scope(), &id).await?,
    ))
}

/// Logs a follow-up activity (call, meeting, demo, proposal, note); it restarts the SLA.
#[utoipa::path(post, path = "/api/v1/registrations/{id}/activities", tag = "registrations", params(("id" = String, Path)), request_body = ActivityInput,
    responses((status = 201, body = Activity), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn log_activity(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<ActivityInput>,
) -> Created<Activity> {
    Ok((
        StatusCode::CREATED,
        axum::Json(s.store.log_activity(&who.actor(), &id, &input).await?),
    ))
}

macro_rules! transition {
    ($(#[$doc:meta])* $name:ident, $path:literal, $input:ty, $call:ident) => {
        $(#[$doc])*
        #[utoipa::path(post, path = $path, tag = "registrations", params(("id" = String, Path)), request_body = $input,
            responses((status = 200, body = Registration), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
        pub async fn $name(State(s): State<AppState>, who: ApiUser, Path(id): Path<String>, Json(input): Json<$input>) -> Answer<Registration> {
            Ok(axum::Json(s.store.$call(&who.actor(), &id, &input).await?))
        }
    };
}

transition!(
    /// Approves a pending registration (vendor); valid for the policy's days from now.
    approve, "/api/v1/registrations/{id}/approve", ReasonInput, approve_registration
);
transition!(
    /// Rejects a pending registration (vendor) with a reason; the account is released.
    reject, "/api/v1/registrations/{id}/reject", ReasonInput, reject_registration
);
transition!(
    /// Closes an approved registration as won or lost; the account is released.
    close, "/api/v1/registrations/{id}/close", CloseInput, close_registration
);

/// Withdraws a pending or approved registration; the account is released.
#[utoipa::path(post, path = "/api/v1/registrations/{id}/withdraw", tag = "registrations", params(("id" = String, Path)),
    responses((status = 200, body = Registration), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)), security(("bearer" = [])))]
pub async fn withdraw(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<Registration> {
    Ok(axum::Json(
        s.store.withdraw_registration(&who.actor(), &id).await?,
    ))
}

/// Renews an approved registration (once, with documented activity in the current period);
/// a refusal is a 409 naming the rule.
#[utoipa::path(post, path = "/api/v1/registrations/{id}/renew", tag = "registrations", params(("id" = String, Path)),
    responses((status = 200, body = Registration), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)), security(("bearer" = [])))]
pub async fn renew(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<Registration> {
    Ok(axum::Json(
        s.store.renew_registration(&who.actor(), &id).await?,
    ))
}

/// The audit trail of a registration.
#[utoipa::path(get, path = "/api/v1/registrations/{id}/audit", tag = "registrations", params(("id" = String, Path), PageParams),
    responses((status = 200, body = Page<AuditEvent>), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn audit(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Query(p): AuditQuery,
) -> Answer<Page<AuditEvent>> {
    audit_page(&s, &who, EntityKind::Registration, &id, p).await
}

/// A direct rep asks the holding partner for consent to engage the account. Granted at once
/// when the partner has missed its follow-up SLA.
#[utoipa::path(post, path = "/api/v1/registrations/{id}/engagement-requests", tag = "engagement", params(("id" = String, Path)), request_body = ReasonInput,
    responses((status = 201, body = EngagementRequest), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn request_engagement(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<ReasonInput>,
) -> Created<EngagementRequest> {
    Ok((
        StatusCode::CREATED,
        axum::Json(
            s.store
                .request_engagement(&who.actor(), &id, &input)
                .await?,
        ),
    ))
}

/// Filters for engagement requests.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EngagementQuery {
    /// pending, granted, denied or auto_granted.
    pub status: Option<String>,
    pub registration_id: Option<String>,
}

/// Lists engagement requests (a partner sees those about its registrations).
#[utoipa::path(get, path = "/api/v1/engagement-requests", tag = "engagement", params(EngagementQuery, PageParams),
    responses((status = 200, body = Page<EngagementRequest>), (status = 401, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn engagement_requests(
    State(s): State<AppState>,
    who: ApiUser,
    Query(q): Query<EngagementQuery>,
    Query(p): Query<PageParams>,
) -> Answer<Page<EngagementRequest>> {
    let mut inv = Invalid::new();
    let f = EngagementFilter {
        status: filter(
            &mut inv,
            "status",
            q.status.as_deref(),
            EngagementStatus::parse,
        ),
        registration_id: filter(
            &mut inv,
            "registration_id",
            q.registration_id.as_deref(),
            parse_id,
        ),
    };
    let (page, f) = both(
        PageRequest::parse(&p, &Store::engagement_sorts()),
        inv.finish(|| Some(f)),
    )?;
    Ok(axum::Json(
        s.store.engagement_requests(who.scope(), &f, &page).await?,
    ))
}

/// One engagement request.
#[utoipa::path(get, path = "/api/v1/engagement-requests/{id}", tag = "engagement", params(("id" = String, Path)),
    responses((status = 200, body = EngagementRequest), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn engagement_request(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<EngagementRequest> {
    Ok(axum::Json(
        s.store.engagement_request(who.scope(), &id).await?,
    ))
}

/// The holding partner grants a pending engagement request.
#[utoipa::path(post, path = "/api/v1/engagement-requests/{id}/grant", tag = "engagement", params(("id" = String, Path)), request_body = ReasonInput,
    responses((status = 200, body = EngagementRequest), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn grant(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<ReasonInput>,
) -> Answer<EngagementRequest> {
    Ok(axum::Json(
        s.store
            .answer_engagement(&who.actor(), &id, true, &input)
            .await?,
    ))
}

/// The holding partner denies a pending engagement request, with a reason.
#[utoipa::path(post, path = "/api/v1/engagement-requests/{id}/deny", tag = "engagement", params(("id" = String, Path)), request_body = ReasonInput,
    responses((status = 200, body = EngagementRequest), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn deny(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<ReasonInput>,
) -> Answer<EngagementRequest> {
    Ok(axum::Json(
        s.store
            .answer_engagement(&who.actor(), &id, false, &input)
            .await?,
    ))
}

/// Opens a conflict case about a registration (partners: their own) or an account (vendor).
#[utoipa::path(post, path = "/api/v1/conflicts", tag = "conflicts", request_body = ConflictInput,
    responses((status = 201, body = ConflictCase), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn open_conflict(
    State(s): State<AppState>,
    who: ApiUser,
    Json(input): Json<ConflictInput>,
) -> Created<ConflictCase> {
    Ok((
        StatusCode::CREATED,
        axum::Json(s.store.open_conflict(&who.actor(), &input).await?),
    ))
}

/// Filters for conflict cases.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConflictQuery {
    /// open or resolved.
    pub status: Option<String>,
    pub account_id: Option<String>,
}

/// Lists conflict cases (a partner sees the cases it is part of).
#[utoipa::path(get, path = "/api/v1/conflicts", tag = "conflicts", params(ConflictQuery, PageParams),
    responses((status = 200, body = Page<ConflictCase>), (status = 401, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn conflicts(
    State(s): State<AppState>,
    who: ApiUser,
    Query(q): Query<ConflictQuery>,
    Query(p): Query<PageParams>,
) -> Answer<Page<ConflictCase>> {
    let mut inv = Invalid::new();
    let f = ConflictFilter {
        status: filter(
            &mut inv,
            "status",
            q.status.as_deref(),
            ConflictStatus::parse,
        ),
        account_id: filter(&mut inv, "account_id", q.account_id.as_deref(), parse_id),
    };
    let (page, f) = both(
        PageRequest::parse(&p, &Store::conflict_sorts()),
        inv.finish(|| Some(f)),
    )?;
    Ok(axum::Json(s.store.conflicts(who.scope(), &f, &page).await?))
}

/// One conflict case, with its escalation level and deadline.
#[utoipa::path(get, path = "/api/v1/conflicts/{id}", tag = "conflicts", params(("id" = String, Path)),
    responses((status = 200, body = ConflictCase), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn conflict(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<ConflictCase> {
    Ok(axum::Json(s.store.conflict(who.scope(), &id).await?))
}

/// The comments on a conflict case.
#[utoipa::path(get, path = "/api/v1/conflicts/{id}/comments", tag = "conflicts", params(("id" = String, Path)),
    responses((status = 200, body = Vec<ConflictComment>), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn comments(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<Vec<ConflictComment>> {
    Ok(axum::Json(
        s.store.conflict_comments(who.scope(), &id).await?,
    ))
}

/// Comments on a conflict case.
#[utoipa::path(post, path = "/api/v1/conflicts/{id}/comments", tag = "conflicts", params(("id" = String, Path)), request_body = CommentInput,
    responses((status = 201, body = ConflictComment), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn comment(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<CommentInput>,
) -> Created<ConflictComment> {
    Ok((
        StatusCode::CREATED,
        axum::Json(
            s.store
                .comment_on_conflict(&who.actor(), &id, &input)
                .await?,
        ),
    ))
}

/// Resolves a conflict case (vendor): who keeps the account, and the reasoning.
#[utoipa::path(post, path = "/api/v1/conflicts/{id}/resolve", tag = "conflicts", params(("id" = String, Path)), request_body = ResolveInput,
    responses((status = 200, body = ConflictCase), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn resolve(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<ResolveInput>,
) -> Answer<ConflictCase> {
    Ok(axum::Json(
        s.store.resolve_conflict(&who.actor(), &id, &input).await?,
    ))
}

/// Every rule decision about a conflict case (opened, escalated, resolved).
#[utoipa::path(get, path = "/api/v1/conflicts/{id}/decisions", tag = "conflicts", params(("id" = String, Path)),
    responses((status = 200, body = Vec<DecisionRecord>), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn conflict_decisions(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<Vec<DecisionRecord>> {
    let _ = s.store.conflict(who.scope(), &id).await?;
    Ok(axum::Json(
        s.store
            .decisions(who.scope(), EntityKind::Conflict, &id)
            .await?,
    ))
}

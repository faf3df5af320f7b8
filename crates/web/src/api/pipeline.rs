//! `/api/v1/opportunities`, `/api/v1/pipeline/{board,forecast}` and `/api/v1/fx-rates`.

use axum::extract::State;
use axum::http::StatusCode;
use partnerops_core::audit::{AuditEvent, EntityKind};
use partnerops_core::ids::parse_id;
use partnerops_core::page::{Page, PageParams, PageRequest};
use partnerops_core::pipeline::board::{Board, Forecast};
use partnerops_core::pipeline::forecast::Month;
use partnerops_core::pipeline::fx::{FxRate, FxRateInput, RateImport};
use partnerops_core::pipeline::record::{
    CloseOpportunityInput, MoveInput, Opportunity, OpportunityInput, OpportunityPatch,
    OpportunitySource, ReopenInput, RouteKind, StageHistoryEntry,
};
use partnerops_core::pipeline::room::{
    FieldInput, MemberInput, NoteInput, Room, RoomField, RoomMember, RoomNote, RoomTask, TaskInput,
    TaskPatch,
};
use partnerops_core::pipeline::touchpoint::{Touchpoint, TouchpointInput};
use partnerops_core::{FieldError, Invalid};
use partnerops_store::Store;
use partnerops_store::pipeline::OpportunityFilter;
use serde::Deserialize;

use super::{AuditQuery, Tagged, TaggedAnswer, audit_page, both, filter};
use crate::AppState;
use crate::auth::ApiUser;
use crate::extract::{IfMatch, Json, Path, Query};
use crate::problem::{ApiError, Problem};

type Answer<T> = Result<axum::Json<T>, ApiError>;

/// Filters for the pipeline list, the board and the forecast.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OpportunityQuery {
    /// The program (the board and forecast need one when there are several).
    pub program_id: Option<String>,
    /// A stage key, `open` or `closed`.
    pub stage: Option<String>,
    /// direct, partner_sourced or partner_influenced.
    pub source: Option<String>,
    /// resale, referral, co_sell or cloud_marketplace.
    pub route: Option<String>,
    pub partner_id: Option<String>,
    /// The vendor-side or partner-side owner.
    pub owner_id: Option<String>,
    pub account_id: Option<String>,
    /// `YYYY-MM`: the expected close falls in this month.
    pub close_month: Option<String>,
    /// Words in the title or the account's name.
    pub q: Option<String>,
}

/// `YYYY-MM` as a month.
pub(crate) fn parse_month(field: &str, raw: &str) -> Result<Month, FieldError> {
    let bad = || {
        FieldError::new(
            field,
            "month",
            format!("{field} must be a month as YYYY-MM"),
        )
    };
    let (y, m) = raw.trim().split_once('-').ok_or_else(bad)?;
    let (year, month): (i32, u32) = (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if y.len() != 4 || m.len() != 2 || !(1..=12).contains(&month) {
        return Err(bad());
    }
    Ok(Month { year, month })
}

impl OpportunityQuery {
    /// The filter, with every bad value named.
    pub(crate) fn parse(&self) -> Result<OpportunityFilter, Invalid> {
        let mut inv = Invalid::new();
        let f = OpportunityFilter {
            program_id: filter(&mut inv, "program_id", self.program_id.as_deref(), parse_id),
            stage: self
                .stage
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
            source: filter(
                &mut inv,
                "source",
                self.source.as_deref(),
                OpportunitySource::parse,
            ),
            route: filter(&mut inv, "route", self.route.as_deref(), RouteKind::parse),
            partner_id: filter(&mut inv, "partner_id", self.partner_id.as_deref(), parse_id),
            owner_id: filter(&mut inv, "owner_id", self.owner_id.as_deref(), parse_id),
            account_id: filter(&mut inv, "account_id", self.account_id.as_deref(), parse_id),
            close_month: filter(
                &mut inv,
                "close_month",
                self.close_month.as_deref(),
                parse_month,
            ),
            q: self
                .q
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
        };
        inv.finish(|| Some(f))
    }
}

/// Lists opportunities (a partner: those it is on), filtered and keyset-paged.
#[utoipa::path(get, path = "/api/v1/opportunities", tag = "pipeline", params(OpportunityQuery, PageParams),
    responses((status = 200, body = Page<Opportunity>), (status = 401, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn list(
    State(s): State<AppState>,
    who: ApiUser,
    Query(q): Query<OpportunityQuery>,
    Query(p): Query<PageParams>,
) -> Answer<Page<Opportunity>> {
    let (page, f) = both(
        PageRequest::parse(&p, &Store::opportunity_sorts()),
        q.parse(),
    )?;
    Ok(axum::Json(
        s.store.opportunities(who.scope(), &f, &page).await?,
    ))
}

/// Creates an opportunity (vendor staff who sell). Partners bring theirs by registering the
/// deal: an approved registration opens a partner-sourced opportunity.
#[utoipa::path(post, path = "/api/v1/opportunities", tag = "pipeline", request_body = OpportunityInput,
    responses((status = 201, body = Opportunity), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn create(
    State(s): State<AppState>,
    who: ApiUser,
    Json(input): Json<OpportunityInput>,
) -> Result<(StatusCode, axum::Json<Opportunity>), ApiError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(s.store.create_opportunity(&who.actor(), &input).await?),
    ))
}

/// One opportunity.
#[utoipa::path(get, path = "/api/v1/opportunities/{id}", tag = "pipeline", params(("id" = String, Path)),
    responses((status = 200, body = Opportunity), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn get(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> TaggedAnswer<Opportunity> {
    Ok(Tagged(s.store.opportunity(who.scope(), &id).await?))
}

/// Changes an open opportunity: amount, expected close, route, owners, next step, title.
#[utoipa::path(patch, path = "/api/v1/opportunities/{id}", tag = "pipeline", params(("id" = String, Path), IfMatch), request_body = OpportunityPatch,
    responses((status = 200, body = Opportunity), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn update(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    if_match: IfMatch,
    Json(patch): Json<OpportunityPatch>,
) -> TaggedAnswer<Opportunity> {
    Ok(Tagged(
        s.store
            .update_opportunity_if(&who.actor(), &id, &patch, &if_match.0)
            .await?,
    ))
}

/// Moves an open opportunity to another open stage; a refusal is a 409 naming the rule.
#[utoipa::path(post, path = "/api/v1/opportunities/{id}/stage", tag = "pipeline", params(("id" = String, Path)), request_body = MoveInput,
    responses((status = 200, body = Opportunity), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn move_stage(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<MoveInput>,
) -> Answer<Opportunity> {
    Ok(axum::Json(
        s.store.move_opportunity(&who.actor(), &id, &input).await?,
    ))
}

/// Closes won or lost on a close date (lost: with one of the program's reasons). Stores the
/// rate in force that day and closes the opportunity's registration with it.
#[utoipa::path(post, path = "/api/v1/opportunities/{id}/close", tag = "pipeline", params(("id" = String, Path)), request_body = CloseOpportunityInput,
    responses((status = 200, body = Opportunity), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn close(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<CloseOpportunityInput>,
) -> Answer<Opportunity> {
    Ok(axum::Json(
        s.store.close_opportunity(&who.actor(), &id, &input).await?,
    ))
}

/// Reopens a closed opportunity into an open stage, with a reason (vendor staff who sell).
#[utoipa::path(post, path = "/api/v1/opportunities/{id}/reopen", tag = "pipeline", params(("id" = String, Path)), request_body = ReopenInput,
    responses((status = 200, body = Opportunity), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn reopen(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<ReopenInput>,
) -> Answer<Opportunity> {
    Ok(axum::Json(
        s.store
            .reopen_opportunity(&who.actor(), &id, &input)
            .await?,
    ))
}

/// The stage history: every change with time, actor and the rule's sentence.
#[utoipa::path(get, path = "/api/v1/opportunities/{id}/history", tag = "pipeline", params(("id" = String, Path)),
    responses((status = 200, body = Vec<StageHistoryEntry>), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn history(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<Vec<StageHistoryEntry>> {
    Ok(axum::Json(
        s.store.opportunity_history(who.scope(), &id).await?,
    ))
}

/// The touchpoints of an opportunity (a partner: its own).
#[utoipa::path(get, path = "/api/v1/opportunities/{id}/touchpoints", tag = "pipeline", params(("id" = String, Path)),
    responses((status = 200, body = Vec<Touchpoint>), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn touchpoints(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<Vec<Touchpoint>> {
    Ok(axum::Json(s.store.touchpoints(who.scope(), &id).await?))
}

/// Logs a partner's touchpoint (a partner user: its own). After the close it is kept and
/// marked late, and does not count for attribution.
#[utoipa::path(post, path = "/api/v1/opportunities/{id}/touchpoints", tag = "pipeline", params(("id" = String, Path)), request_body = TouchpointInput,
    responses((status = 201, body = Touchpoint), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn log_touchpoint(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<TouchpointInput>,
) -> Result<(StatusCode, axum::Json<Touchpoint>), ApiError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(s.store.log_touchpoint(&who.actor(), &id, &input).await?),
    ))
}

/// The audit trail of an opportunity.
#[utoipa::path(get, path = "/api/v1/opportunities/{id}/audit", tag = "pipeline", params(("id" = String, Path), PageParams),
    responses((status = 200, body = Page<AuditEvent>), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn audit(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Query(p): AuditQuery,
) -> Answer<Page<AuditEvent>> {
    audit_page(&s, &who, EntityKind::Opportunity, &id, p).await
}

/// The board of one program: a column per stage with counts and money (in the program's
/// currency at today's rates) and the first cards.
#[utoipa::path(get, path = "/api/v1/pipeline/board", tag = "pipeline", params(OpportunityQuery),
    responses((status = 200, body = Board), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn board(
    State(s): State<AppState>,
    who: ApiUser,
    Query(q): Query<OpportunityQuery>,
) -> Answer<Board> {
    let f = q.parse()?;
    Ok(axum::Json(s.store.pipeline_board(who.scope(), &f).await?))
}

/// The weighted forecast (amount × stage probability) of the open pipeline per
/// expected-close month, in the program's currency.
#[utoipa::path(get, path = "/api/v1/pipeline/forecast", tag = "pipeline", params(OpportunityQuery),
    responses((status = 200, body = Forecast), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn forecast(
    State(s): State<AppState>,
    who: ApiUser,
    Query(q): Query<OpportunityQuery>,
) -> Answer<Forecast> {
    let f = q.parse()?;
    Ok(axum::Json(
        s.store.pipeline_forecast(who.scope(), &f).await?,
    ))
}

/// The currency-rate table (vendor staff; a partner gets an empty list).
#[utoipa::path(get, path = "/api/v1/fx-rates", tag = "pipeline",
    responses((status = 200, body = Vec<FxRate>), (status = 401, body = Problem)), security(("bearer" = [])))]
pub async fn fx_rates(State(s): State<AppState>, who: ApiUser) -> Answer<Vec<FxRate>> {
    Ok(axum::Json(s.store.fx_rates(who.scope()).await?))
}

/// Adds or replaces the rate of one currency pair on one day.
#[utoipa::path(post, path = "/api/v1/fx-rates", tag = "pipeline", request_body = FxRateInput,
    responses((status = 200, body = FxRate), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn set_fx_rate(
    State(s): State<AppState>,
    who: ApiUser,
    Json(input): Json<FxRateInput>,
) -> Answer<FxRate> {
    Ok(axum::Json(s.store.set_fx_rate(&who.actor(), &input).await?))
}

/// Imports rates from CSV with the header `from,to,effective_on,rate`; one bad row refuses
/// the file, with every problem named by row (`rows[3].rate`).
#[utoipa::path(post, path = "/api/v1/fx-rates/import", tag = "pipeline",
    request_body(content = String, content_type = "text/csv", description = "from,to,effective_on,rate"),
    responses((status = 200, body = RateImport), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn import_fx_rates(
    State(s): State<AppState>,
    who: ApiUser,
    body: String,
) -> Answer<RateImport> {
    Ok(axum::Json(
        s.store.import_fx_rates(&who.actor(), &body).await?,
    ))
}

/// The deal room as the caller sees it: members, notes it may read, tasks, shared fields and
/// the timeline. A partner user who is not a member gets 404.
#[utoipa::path(get, path = "/api/v1/opportunities/{id}/room", tag = "pipeline", params(("id" = String, Path)),
    responses((status = 200, body = Room), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn room(State(s): State<AppState>, who: ApiUser, Path(id): Path<String>) -> Answer<Room> {
    Ok(axum::Json(s.store.room(&who.actor(), &id).await?))
}

/// Adds a member: vendor staff, or a user of a partner on the opportunity (a partner member
/// adds only its own colleagues).
#[utoipa::path(post, path = "/api/v1/opportunities/{id}/room/members", tag = "pipeline", params(("id" = String, Path)), request_body = MemberInput,
    responses((status = 200, body = Vec<RoomMember>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn add_member(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<MemberInput>,
) -> Answer<Vec<RoomMember>> {
    Ok(axum::Json(
        s.store.add_room_member(&who.actor(), &id, &input).await?,
    ))
}

/// Takes a member out of the room.
#[utoipa::path(delete, path = "/api/v1/opportunities/{id}/room/members/{user_id}", tag = "pipeline", params(("id" = String, Path), ("user_id" = String, Path)),
    responses((status = 200, body = Vec<RoomMember>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn remove_member(
    State(s): State<AppState>,
    who: ApiUser,
    Path((id, user_id)): Path<(String, String)>,
) -> Answer<Vec<RoomMember>> {
    Ok(axum::Json(
        s.store
            .remove_room_member(&who.actor(), &id, &user_id)
            .await?,
    ))
}

/// Posts a note (Markdown; `@address` mentions a member), for everyone in the room or for
/// the author's own side.
#[utoipa::path(post, path = "/api/v1/opportunities/{id}/room/notes", tag = "pipeline", params(("id" = String, Path)), request_body = NoteInput,
    responses((status = 201, body = RoomNote), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn post_note(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<NoteInput>,
) -> Result<(StatusCode, axum::Json<RoomNote>), ApiError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(s.store.post_room_note(&who.actor(), &id, &input).await?),
    ))
}

/// Adds a task for a member of the room.
#[utoipa::path(post, path = "/api/v1/opportunities/{id}/room/tasks", tag = "pipeline", params(("id" = String, Path)), request_body = TaskInput,
    responses((status = 201, body = RoomTask), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn add_task(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<TaskInput>,
) -> Result<(StatusCode, axum::Json<RoomTask>), ApiError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(s.store.add_room_task(&who.actor(), &id, &input).await?),
    ))
}

/// Changes a task's status, owner or due date.
#[utoipa::path(patch, path = "/api/v1/room-tasks/{id}", tag = "pipeline", params(("id" = String, Path), IfMatch), request_body = TaskPatch,
    responses((status = 200, body = RoomTask), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn update_task(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    if_match: IfMatch,
    Json(patch): Json<TaskPatch>,
) -> TaggedAnswer<RoomTask> {
    Ok(Tagged(
        s.store
            .update_room_task(&who.actor(), &id, &patch, &if_match.0)
            .await?,
    ))
}

/// Sets a shared field of the room; a blank value removes it.
#[utoipa::path(put, path = "/api/v1/opportunities/{id}/room/fields/{key}", tag = "pipeline", params(("id" = String, Path), ("key" = String, Path)), request_body = FieldInput,
    responses((status = 200, body = Vec<RoomField>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn set_field(
    State(s): State<AppState>,
    who: ApiUser,
    Path((id, key)): Path<(String, String)>,
    Json(input): Json<FieldInput>,
) -> Answer<Vec<RoomField>> {
    Ok(axum::Json(
        s.store
            .set_room_field(&who.actor(), &id, &key, &input)
            .await?,
    ))
}

//! The directory: partners' listings (written by the partner's admin, reviewed, verified
//! and unpublished by vendor staff), each program's mode (open or curated, from the
//! decision tree), and the search of what is public. The public pages themselves are HTML
//! (`/directory`), not part of the API.

use axum::extract::State;
use axum::http::StatusCode;
use partnerops_core::Invalid;
use partnerops_core::audit::{AuditEvent, EntityKind};
use partnerops_core::directory::curation::{
    CollectionInput, DirectoryCollection, DirectoryRecommendation,
};
use partnerops_core::directory::lead::{DirectoryLead, RegisterEnquiryInput};
use partnerops_core::directory::moderation::{
    AppealInput, DirectoryDecision, DirectoryReport, ModerateInput, ModerationState, ReportInput,
    ReportStatus,
};
use partnerops_core::directory::record::{
    DirectoryListing, DirectoryListingInput, DirectoryReasonInput, DirectoryReviewInput,
    DirectorySearchResult, DirectorySetting, DirectoryVerifyInput,
};
use partnerops_core::directory::review::{DirectoryReview, ReviewAnswerInput, ReviewInput};
use partnerops_core::directory::signals::{UsageInput, UsageReport};
use partnerops_core::directory::{ListingKind, ListingStatus};
use partnerops_core::ids::{DirectoryListingId, DirectoryReportId, EntityId, parse_id};
use partnerops_core::page::{Page, PageParams};
use partnerops_core::partnership::record::TreeAnswers;
use partnerops_core::registration::record::Registration;
use partnerops_store::directory::{DirectoryQuery, ReportSubject};
use serde::Deserialize;

use super::{AuditQuery, audit_page, filter};
use crate::AppState;
use crate::auth::{ApiUser, ClientAddr};
use crate::extract::{Json, Path, Query};
use crate::problem::{ApiError, Problem};

type Answer<T> = Result<axum::Json<T>, ApiError>;

/// Filter of the listing list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DirectoryListingQuery {
    /// `draft`, `in_review`, `published` or `unpublished`.
    pub status: Option<String>,
    pub partner_id: Option<String>,
}

/// Listings, those awaiting review first (a partner: its own, drafts included).
#[utoipa::path(get, path = "/api/v1/directory/listings", tag = "directory", params(DirectoryListingQuery),
    responses((status = 200, body = Vec<DirectoryListing>), (status = 401, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn listings(
    State(s): State<AppState>,
    who: ApiUser,
    Query(q): Query<DirectoryListingQuery>,
) -> Answer<Vec<DirectoryListing>> {
    let mut inv = Invalid::new();
    let status = filter(
        &mut inv,
        "status",
        q.status.as_deref(),
        ListingStatus::parse,
    );
    let partner = filter(&mut inv, "partner_id", q.partner_id.as_deref(), parse_id);
    if !inv.is_empty() {
        return Err(inv.into());
    }
    Ok(axum::Json(
        s.store
            .directory_listings(who.scope(), status, partner.as_ref())
            .await?,
    ))
}

/// Write a listing, as a draft (a partner's admin for its partner; vendor staff name the
/// partner). `description` is Markdown, shown sanitised; `kind` is `services`, or
/// `integration` for technology partners.
#[utoipa::path(post, path = "/api/v1/directory/listings", tag = "directory", request_body = DirectoryListingInput,
    responses((status = 201, body = DirectoryListing), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn create(
    State(s): State<AppState>,
    who: ApiUser,
    Json(input): Json<DirectoryListingInput>,
) -> Result<(StatusCode, axum::Json<DirectoryListing>), ApiError> {
    let l = s
        .store
        .create_directory_listing(&who.actor(), &input)
        .await?;
    Ok((StatusCode::CREATED, axum::Json(l)))
}

/// One listing.
#[utoipa::path(get, path = "/api/v1/directory/listings/{id}", tag = "directory", params(("id" = String, Path)),
    responses((status = 200, body = DirectoryListing), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn listing(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<DirectoryListing> {
    Ok(axum::Json(
        s.store.directory_listing(who.scope(), &id).await?,
    ))
}

/// Change a listing's content; a published listing stays published.
#[utoipa::path(patch, path = "/api/v1/directory/listings/{id}", tag = "directory", params(("id" = String, Path)), request_body = DirectoryListingInput,
    responses((status = 200, body = DirectoryListing), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn update(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<DirectoryListingInput>,
) -> Answer<DirectoryListing> {
    Ok(axum::Json(
        s.store
            .update_directory_listing(&who.actor(), &id, &input)
            .await?,
    ))
}

/// Submit a listing: published at once when the program's directory is open, awaiting a
/// vendor review when it is curated or when the vendor unpublished the listing before.
#[utoipa::path(post, path = "/api/v1/directory/listings/{id}/submit", tag = "directory", params(("id" = String, Path)),
    responses((status = 200, body = DirectoryListing), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)), security(("bearer" = [])))]
pub async fn submit(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<DirectoryListing> {
    Ok(axum::Json(
        s.store.submit_directory_listing(&who.actor(), &id).await?,
    ))
}

/// Withdraw a published or waiting listing to a draft.
#[utoipa::path(post, path = "/api/v1/directory/listings/{id}/withdraw", tag = "directory", params(("id" = String, Path)),
    responses((status = 200, body = DirectoryListing), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)), security(("bearer" = [])))]
pub async fn withdraw(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<DirectoryListing> {
    Ok(axum::Json(
        s.store
            .withdraw_directory_listing(&who.actor(), &id)
            .await?,
    ))
}

/// Review a listing awaiting it (vendor staff): approve publishes it, reject returns it to
/// the partner as a draft with the reason.
#[utoipa::path(post, path = "/api/v1/directory/listings/{id}/review", tag = "directory", params(("id" = String, Path)), request_body = DirectoryReviewInput,
    responses((status = 200, body = DirectoryListing), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn review(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<DirectoryReviewInput>,
) -> Answer<DirectoryListing> {
    Ok(axum::Json(
        s.store
            .review_directory_listing(&who.actor(), &id, &input)
            .await?,
    ))
}

/// Unpublish a listing (vendor staff), with a reason the partner reads. It returns only
/// through a review.
#[utoipa::path(post, path = "/api/v1/directory/listings/{id}/unpublish", tag = "directory", params(("id" = String, Path)), request_body = DirectoryReasonInput,
    responses((status = 200, body = DirectoryListing), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn unpublish(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<DirectoryReasonInput>,
) -> Answer<DirectoryListing> {
    Ok(axum::Json(
        s.store
            .unpublish_directory_listing(&who.actor(), &id, input.reason.as_deref())
            .await?,
    ))
}

/// Verify the partner behind a listing (the verified badge), or take it back (vendor staff).
#[utoipa::path(post, path = "/api/v1/directory/listings/{id}/verify", tag = "directory", params(("id" = String, Path)), request_body = DirectoryVerifyInput,
    responses((status = 200, body = DirectoryListing), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn verify(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<DirectoryVerifyInput>,
) -> Answer<DirectoryListing> {
    Ok(axum::Json(
        s.store
            .verify_directory_listing(&who.actor(), &id, input.verified)
            .await?,
    ))
}

/// A listing's audit trail: every change and decision with its reason.
#[utoipa::path(get, path = "/api/v1/directory/listings/{id}/audit", tag = "directory", params(("id" = String, Path), PageParams),
    responses((status = 200, body = Page<AuditEvent>), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn audit(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Query(p): AuditQuery,
) -> Answer<Page<AuditEvent>> {
    audit_page(&s, &who, EntityKind::DirectoryListing, &id, p).await
}

/// A search of the public directory.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DirectorySearchQuery {
    /// Words; each also matches as the start of a word, and a misspelt query is corrected.
    pub q: Option<String>,
    pub category: Option<String>,
    pub region: Option<String>,
    pub industry: Option<String>,
    /// A two-letter language code.
    pub language: Option<String>,
    /// A tier name (`Premier`).
    pub tier: Option<String>,
    /// `services` or `integration`.
    pub kind: Option<String>,
    /// At most 100; 50 by default.
    pub limit: Option<usize>,
}

impl DirectorySearchQuery {
    /// The store's query, or the fields that are wrong.
    pub(crate) fn parse(&self) -> Result<DirectoryQuery, Invalid> {
        let mut inv = Invalid::new();
        let kind = filter(&mut inv, "kind", self.kind.as_deref(), ListingKind::parse);
        let limit = self.limit.unwrap_or(50);
        if !(1..=100).contains(&limit) {
            inv.add("limit", "range", "limit must be from 1 to 100");
        }
        if !inv.is_empty() {
            return Err(inv);
        }
        Ok(DirectoryQuery {
            q: self.q.clone().unwrap_or_default(),
            category: self.category.clone(),
            region: self.region.clone(),
            industry: self.industry.clone(),
            language: self.language.clone(),
            tier: self.tier.clone(),
            kind,
            limit,
        })
    }
}

/// Search the public directory: only published listings, ranked by relevance, then quality
/// (verified, views). The same answer the public pages show.
#[utoipa::path(get, path = "/api/v1/directory/search", tag = "directory", params(DirectorySearchQuery),
    responses((status = 200, body = DirectorySearchResult), (status = 401, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn search(
    State(s): State<AppState>,
    _who: ApiUser,
    Query(q): Query<DirectorySearchQuery>,
) -> Answer<DirectorySearchResult> {
    let query = q.parse()?;
    Ok(axum::Json(s.store.directory_search(&query).await?))
}

/// A program's directory mode (vendor staff): open unless its tree answer says curated.
#[utoipa::path(get, path = "/api/v1/directory/programs/{id}/mode", tag = "directory", params(("id" = String, Path)),
    responses((status = 200, body = DirectorySetting), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn mode(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<DirectorySetting> {
    Ok(axum::Json(
        s.store.directory_setting(who.scope(), &id).await?,
    ))
}

/// Set a program's directory mode by answering the `open_or_curated` decision tree
/// (`answers`: question id to yes/no); the outcome `open` or `curated` becomes the mode.
#[utoipa::path(put, path = "/api/v1/directory/programs/{id}/mode", tag = "directory", params(("id" = String, Path)), request_body = TreeAnswers,
    responses((status = 200, body = DirectorySetting), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn set_mode(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<TreeAnswers>,
) -> Answer<DirectorySetting> {
    Ok(axum::Json(
        s.store
            .set_directory_mode(&who.actor(), &id, &input)
            .await?,
    ))
}

// ---- the trust layer: reviews, moderation, enquiries ----

/// Filter of review lists.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DirectoryReviewQuery {
    pub listing_id: Option<String>,
    /// `visible`, `hidden` or `removed`.
    pub state: Option<String>,
}

/// Reviews, newest first (a partner: of its own listings, in every state).
#[utoipa::path(get, path = "/api/v1/directory/reviews", tag = "directory", params(DirectoryReviewQuery),
    responses((status = 200, body = Vec<DirectoryReview>), (status = 401, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn reviews(
    State(s): State<AppState>,
    who: ApiUser,
    Query(q): Query<DirectoryReviewQuery>,
) -> Answer<Vec<DirectoryReview>> {
    let mut inv = Invalid::new();
    let state = filter(
        &mut inv,
        "state",
        q.state.as_deref(),
        ModerationState::parse,
    );
    let listing: Option<DirectoryListingId> =
        filter(&mut inv, "listing_id", q.listing_id.as_deref(), parse_id);
    if !inv.is_empty() {
        return Err(inv.into());
    }
    Ok(axum::Json(
        s.store
            .directory_reviews(who.scope(), listing.as_ref().map(|l| l.as_str()), state)
            .await?,
    ))
}

/// One review.
#[utoipa::path(get, path = "/api/v1/directory/reviews/{id}", tag = "directory", params(("id" = String, Path)),
    responses((status = 200, body = DirectoryReview), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn review_one(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<DirectoryReview> {
    Ok(axum::Json(
        s.store.directory_review(who.scope(), &id).await?,
    ))
}

/// Review a published listing as vendor staff (one review per staff member and listing; a
/// second one replaces the first). Customers review through an invitation link sent to
/// their e-mail from the public listing page.
#[utoipa::path(post, path = "/api/v1/directory/listings/{id}/reviews", tag = "directory", params(("id" = String, Path)), request_body = ReviewInput,
    responses((status = 201, body = DirectoryReview), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn write_review(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<ReviewInput>,
) -> Result<(StatusCode, axum::Json<DirectoryReview>), ApiError> {
    let r = s
        .store
        .write_staff_review(&who.actor(), &id, &input)
        .await?;
    Ok((StatusCode::CREATED, axum::Json(r)))
}

/// The listing's partner answers a review publicly (once; sending again edits the answer).
#[utoipa::path(put, path = "/api/v1/directory/reviews/{id}/answer", tag = "directory", params(("id" = String, Path)), request_body = ReviewAnswerInput,
    responses((status = 200, body = DirectoryReview), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn answer_review(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<ReviewAnswerInput>,
) -> Answer<DirectoryReview> {
    Ok(axum::Json(
        s.store.answer_review(&who.actor(), &id, &input).await?,
    ))
}

/// Report a public listing (anyone; rate-limited per client address). It joins the
/// moderation queue.
#[utoipa::path(post, path = "/api/v1/directory/listings/{id}/reports", tag = "directory", params(("id" = String, Path)), request_body = ReportInput,
    responses((status = 202, body = ReportAccepted), (status = 401, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn report_listing(
    State(s): State<AppState>,
    _who: ApiUser,
    addr: ClientAddr,
    Path(id): Path<String>,
    Json(input): Json<ReportInput>,
) -> Result<(StatusCode, axum::Json<ReportAccepted>), ApiError> {
    let id = s
        .store
        .report_directory(ReportSubject::ListingId(&id), &addr.key(), &input)
        .await?;
    Ok((StatusCode::ACCEPTED, axum::Json(ReportAccepted { id })))
}

/// Report a visible review of a public listing.
#[utoipa::path(post, path = "/api/v1/directory/reviews/{id}/reports", tag = "directory", params(("id" = String, Path)), request_body = ReportInput,
    responses((status = 202, body = ReportAccepted), (status = 401, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn report_review(
    State(s): State<AppState>,
    _who: ApiUser,
    addr: ClientAddr,
    Path(id): Path<String>,
    Json(input): Json<ReportInput>,
) -> Result<(StatusCode, axum::Json<ReportAccepted>), ApiError> {
    let id = s
        .store
        .report_directory(ReportSubject::Review(&id), &addr.key(), &input)
        .await?;
    Ok((StatusCode::ACCEPTED, axum::Json(ReportAccepted { id })))
}

/// A report taken into the moderation queue.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ReportAccepted {
    pub id: DirectoryReportId,
}

/// Filter of the moderation queue.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// `open` or `closed`.
    pub status: Option<String>,
}

/// The moderation queue (moderators): reports, spam signals and appeals, open ones first.
#[utoipa::path(get, path = "/api/v1/directory/moderation", tag = "directory", params(QueueQuery),
    responses((status = 200, body = Vec<DirectoryReport>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn queue(
    State(s): State<AppState>,
    who: ApiUser,
    Query(q): Query<QueueQuery>,
) -> Answer<Vec<DirectoryReport>> {
    let mut inv = Invalid::new();
    let status = filter(&mut inv, "status", q.status.as_deref(), ReportStatus::parse);
    if !inv.is_empty() {
        return Err(inv.into());
    }
    Ok(axum::Json(
        s.store.moderation_queue(&who.actor(), status).await?,
    ))
}

/// Hide, restore or remove a listing (moderators), with a reason its owner reads. A removal
/// is final.
#[utoipa::path(post, path = "/api/v1/directory/listings/{id}/moderate", tag = "directory", params(("id" = String, Path)), request_body = ModerateInput,
    responses((status = 200, body = DirectoryDecision), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn moderate_listing(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<ModerateInput>,
) -> Answer<DirectoryDecision> {
    Ok(axum::Json(
        s.store.moderate_listing(&who.actor(), &id, &input).await?,
    ))
}

/// Hide, restore or remove a review (moderators), with a reason.
#[utoipa::path(post, path = "/api/v1/directory/reviews/{id}/moderate", tag = "directory", params(("id" = String, Path)), request_body = ModerateInput,
    responses((status = 200, body = DirectoryDecision), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn moderate_review(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<ModerateInput>,
) -> Answer<DirectoryDecision> {
    Ok(axum::Json(
        s.store.moderate_review(&who.actor(), &id, &input).await?,
    ))
}

/// Filter of decisions and enquiries.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ByListingQuery {
    pub listing_id: Option<String>,
}

fn listing_filter(raw: Option<&str>) -> Result<Option<DirectoryListingId>, Invalid> {
    let mut inv = Invalid::new();
    let l = filter(&mut inv, "listing_id", raw, parse_id);
    if inv.is_empty() { Ok(l) } else { Err(inv) }
}

/// Moderators' decisions, newest first (a partner: about its own listings and their
/// reviews), each with the owner's appeal once made.
#[utoipa::path(get, path = "/api/v1/directory/decisions", tag = "directory", params(ByListingQuery),
    responses((status = 200, body = Vec<DirectoryDecision>), (status = 401, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn decisions(
    State(s): State<AppState>,
    who: ApiUser,
    Query(q): Query<ByListingQuery>,
) -> Answer<Vec<DirectoryDecision>> {
    let l = listing_filter(q.listing_id.as_deref())?;
    Ok(axum::Json(
        s.store
            .directory_decisions(who.scope(), l.as_ref().map(|l| l.as_str()))
            .await?,
    ))
}

/// Appeal a decision about your listing or one of its reviews, once, with a text: it goes
/// back to the moderation queue.
#[utoipa::path(post, path = "/api/v1/directory/decisions/{id}/appeal", tag = "directory", params(("id" = String, Path)), request_body = AppealInput,
    responses((status = 200, body = DirectoryDecision), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn appeal(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<AppealInput>,
) -> Answer<DirectoryDecision> {
    Ok(axum::Json(
        s.store.appeal_decision(&who.actor(), &id, &input).await?,
    ))
}

/// Enquiries from listings' lead forms, newest first (a partner: its own).
#[utoipa::path(get, path = "/api/v1/directory/leads", tag = "directory", params(ByListingQuery),
    responses((status = 200, body = Vec<DirectoryLead>), (status = 401, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn leads(
    State(s): State<AppState>,
    who: ApiUser,
    Query(q): Query<ByListingQuery>,
) -> Answer<Vec<DirectoryLead>> {
    let l = listing_filter(q.listing_id.as_deref())?;
    Ok(axum::Json(
        s.store
            .directory_leads(who.scope(), l.as_ref().map(|l| l.as_str()))
            .await?,
    ))
}

/// One enquiry.
#[utoipa::path(get, path = "/api/v1/directory/leads/{id}", tag = "directory", params(("id" = String, Path)),
    responses((status = 200, body = DirectoryLead), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn lead(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<DirectoryLead> {
    Ok(axum::Json(s.store.directory_lead(who.scope(), &id).await?))
}

/// Make an enquiry a deal registration of the listing's partner (the path into the
/// pipeline): the account is the enquirer's company, the registration rules apply.
#[utoipa::path(post, path = "/api/v1/directory/leads/{id}/register", tag = "directory", params(("id" = String, Path)), request_body = RegisterEnquiryInput,
    responses((status = 201, body = Registration), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn register_lead(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<RegisterEnquiryInput>,
) -> Result<(StatusCode, axum::Json<Registration>), ApiError> {
    let r = s
        .store
        .register_directory_lead(&who.actor(), &id, &input)
        .await?;
    Ok((StatusCode::CREATED, axum::Json(r)))
}

// ---- curation and usage ----

/// Filter of the collection list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CollectionQuery {
    /// `true` lists archived collections too (vendor staff).
    pub archived: Option<bool>,
}

/// Collections the vendor curates ("Best for healthcare"), in their order on the directory's
/// home. Everyone sees each one's public listings; vendor staff also every listing id it
/// holds and, with `archived=true`, the archived collections.
#[utoipa::path(get, path = "/api/v1/directory/collections", tag = "directory", params(CollectionQuery),
    responses((status = 200, body = Vec<DirectoryCollection>), (status = 401, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn collections(
    State(s): State<AppState>,
    who: ApiUser,
    Query(q): Query<CollectionQuery>,
) -> Answer<Vec<DirectoryCollection>> {
    Ok(axum::Json(
        s.store
            .directory_collections(who.scope(), q.archived.unwrap_or(false))
            .await?,
    ))
}

/// Curate a collection (administrators, channel managers, marketing): a title, a Markdown
/// description, its place on the home page and up to 50 listings in order.
#[utoipa::path(post, path = "/api/v1/directory/collections", tag = "directory", request_body = CollectionInput,
    responses((status = 201, body = DirectoryCollection), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn create_collection(
    State(s): State<AppState>,
    who: ApiUser,
    Json(input): Json<CollectionInput>,
) -> Result<(StatusCode, axum::Json<DirectoryCollection>), ApiError> {
    let c = s
        .store
        .create_directory_collection(&who.actor(), &input)
        .await?;
    Ok((StatusCode::CREATED, axum::Json(c)))
}

/// One collection.
#[utoipa::path(get, path = "/api/v1/directory/collections/{id}", tag = "directory", params(("id" = String, Path)),
    responses((status = 200, body = DirectoryCollection), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn collection(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<DirectoryCollection> {
    Ok(axum::Json(
        s.store.directory_collection(who.scope(), &id).await?,
    ))
}

/// Change a collection; `listing_ids` replaces its listings, in order.
#[utoipa::path(patch, path = "/api/v1/directory/collections/{id}", tag = "directory", params(("id" = String, Path)), request_body = CollectionInput,
    responses((status = 200, body = DirectoryCollection), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn update_collection(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<CollectionInput>,
) -> Answer<DirectoryCollection> {
    Ok(axum::Json(
        s.store
            .update_directory_collection(&who.actor(), &id, &input)
            .await?,
    ))
}

/// Archive a collection: off the public pages, kept with its trail.
#[utoipa::path(post, path = "/api/v1/directory/collections/{id}/archive", tag = "directory", params(("id" = String, Path)),
    responses((status = 200, body = DirectoryCollection), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)), security(("bearer" = [])))]
pub async fn archive_collection(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<DirectoryCollection> {
    Ok(axum::Json(
        s.store
            .archive_directory_collection(&who.actor(), &id, true)
            .await?,
    ))
}

/// Restore an archived collection.
#[utoipa::path(post, path = "/api/v1/directory/collections/{id}/restore", tag = "directory", params(("id" = String, Path)),
    responses((status = 200, body = DirectoryCollection), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)), security(("bearer" = [])))]
pub async fn restore_collection(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<DirectoryCollection> {
    Ok(axum::Json(
        s.store
            .archive_directory_collection(&who.actor(), &id, false)
            .await?,
    ))
}

/// A collection's audit trail.
#[utoipa::path(get, path = "/api/v1/directory/collections/{id}/audit", tag = "directory", params(("id" = String, Path), PageParams),
    responses((status = 200, body = Page<AuditEvent>), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn collection_audit(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Query(p): AuditQuery,
) -> Answer<Page<AuditEvent>> {
    audit_page(&s, &who, EntityKind::DirectoryCollection, &id, p).await
}

/// A listing's usage reports, newest month first.
#[utoipa::path(get, path = "/api/v1/directory/listings/{id}/usage", tag = "directory", params(("id" = String, Path)),
    responses((status = 200, body = Vec<UsageReport>), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn usage(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> Answer<Vec<UsageReport>> {
    Ok(axum::Json(s.store.directory_usage(who.scope(), &id).await?))
}

/// Report a month's usage of a listing (the partner's admin, or vendor staff for it):
/// installs, customers or both, as at the month's end. A second report of a month replaces
/// the first. The latest month is shown on the public page and feeds the health score.
#[utoipa::path(put, path = "/api/v1/directory/listings/{id}/usage", tag = "directory", params(("id" = String, Path)), request_body = UsageInput,
    responses((status = 200, body = UsageReport), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn report_usage(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Json(input): Json<UsageInput>,
) -> Answer<UsageReport> {
    Ok(axum::Json(
        s.store
            .report_directory_usage(&who.actor(), &id, &input)
            .await?,
    ))
}

/// Filter of recommendations.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecommendationQuery {
    /// Only listings serving this industry ("customers in your industry also use").
    pub industry: Option<String>,
}

/// "Customers who use this also use": public listings reviewed by customers who also
/// reviewed this one, most shared customers first, each with its reason.
#[utoipa::path(get, path = "/api/v1/directory/listings/{id}/recommendations", tag = "directory", params(("id" = String, Path), RecommendationQuery),
    responses((status = 200, body = Vec<DirectoryRecommendation>), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn recommendations(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    Query(q): Query<RecommendationQuery>,
) -> Answer<Vec<DirectoryRecommendation>> {
    let l = s.store.directory_listing(who.scope(), &id).await?;
    Ok(axum::Json(
        s.store
            .directory_recommendations(&l.id, &l.title, q.industry.as_deref())
            .await?,
    ))
}

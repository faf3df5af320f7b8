//! The public directory, without sign-in: the home page with its search box and filters,
//! a page per category, a page per listing, and `sitemap.xml`. Server-rendered and
//! crawlable: each page names its canonical address, carries OpenGraph tags, and the
//! listing page describes itself as JSON-LD (an `Organization` offering services, or a
//! `SoftwareApplication` for an integration). Only published listings that are not hidden
//! ever appear (the store's `PUBLIC` condition).
//!
//! Absolute addresses are built from the request's `Host` (and `X-Forwarded-Proto` behind
//! a proxy): the binary has no configured public address.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::http::header::SET_COOKIE;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, HOST};
use axum::response::{IntoResponse, Response};
use partnerops_core::campaign::HONEYPOT_FIELD;
use partnerops_core::directory::ListingKind;
use partnerops_core::directory::curation::{DirectoryCollection, DirectoryRecommendation};
use partnerops_core::directory::lead::EnquiryInput;
use partnerops_core::directory::moderation::ReportInput;
use partnerops_core::directory::record::{DirectoryHit, DirectoryListing};
use partnerops_core::directory::review::{DirectoryReview, ReviewInput, ReviewInviteInput};
use partnerops_store::StoreError;
use partnerops_store::directory::{DirectoryQuery, FacetCount, InviteView, ReportSubject};

use super::super::Routes;
use crate::AppState;
use crate::auth::ClientAddr;
use crate::ui::form::{FormView, Posted, failure_status, field_errors};
use crate::ui::markdown;
use crate::ui::session::{public_csrf, public_form_ok};
use crate::ui::{UiError, form::url_encode};

pub(super) fn routes(r: Routes) -> Routes {
    r.get("/directory", home)
        .get("/directory/categories/{key}", category)
        .get("/directory/listings/{slug}", listing)
        .get("/directory/collections/{slug}", collection)
        .post("/directory/listings/{slug}/enquiry", enquire)
        .post("/directory/listings/{slug}/review-invite", ask_invite)
        .post("/directory/listings/{slug}/report", report)
        .get("/directory/reviews/{token}", review_form)
        .post("/directory/reviews/{token}", review_submit)
        .get("/sitemap.xml", sitemap)
}

/// `scheme://host` of the request.
fn origin(headers: &HeaderMap) -> String {
    let host = headers
        .get(HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
        })
        .unwrap_or("localhost");
    let scheme = match headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
    {
        Some("https") => "https",
        _ => "http",
    };
    format!("{scheme}://{host}")
}

/// JSON for a `<script type="application/ld+json">`: `<` escaped so that no text a partner
/// wrote can close the script element.
pub(crate) fn json_ld(value: &serde_json::Value) -> String {
    value
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// Filters as the visitor chose them (query parameters of `/directory`).
#[derive(Debug, Default, serde::Deserialize)]
struct Filters {
    q: Option<String>,
    category: Option<String>,
    region: Option<String>,
    industry: Option<String>,
    language: Option<String>,
    tier: Option<String>,
    kind: Option<String>,
}

/// A filter link: its label, count and address.
struct FacetLink {
    label: String,
    listings: i64,
    href: String,
    current: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "directory/public_home.html")]
struct HomePage {
    title: String,
    description: String,
    canonical: String,
    q: String,
    hits: Vec<DirectoryHit>,
    corrected: Option<String>,
    categories: Vec<FacetLink>,
    regions: Vec<FacetLink>,
    industries: Vec<FacetLink>,
    languages: Vec<FacetLink>,
    /// Whether the visitor narrowed anything (a query or a filter).
    filtered: bool,
    heading: String,
    /// The vendor's collections (shown before any search or filter).
    collections: Vec<DirectoryCollection>,
}

fn links(
    facets: &[FacetCount],
    facet: &str,
    param: &str,
    current: Option<&str>,
    q: &str,
) -> Vec<FacetLink> {
    facets
        .iter()
        .filter(|f| f.facet == facet)
        .take(12)
        .map(|f| FacetLink {
            label: f.label.clone(),
            listings: f.listings,
            href: if facet == "category" && q.is_empty() {
                format!("/directory/categories/{}", f.key)
            } else {
                format!(
                    "/directory?{param}={}{}",
                    url_encode(&f.key),
                    if q.is_empty() {
                        String::new()
                    } else {
                        format!("&q={}", url_encode(q))
                    }
                )
            },
            current: current.is_some_and(|c| partnerops_core::directory::facet_key(c) == f.key),
        })
        .collect()
}

async fn page(
    state: &AppState,
    headers: &HeaderMap,
    f: Filters,
    path: &str,
) -> Result<Response, UiError> {
    let kind = f
        .kind
        .as_deref()
        .and_then(|k| ListingKind::parse("kind", k).ok());
    let query = DirectoryQuery {
        q: f.q.clone().unwrap_or_default(),
        category: f.category.clone(),
        region: f.region.clone(),
        industry: f.industry.clone(),
        language: f.language.clone(),
        tier: f.tier.clone(),
        kind,
        limit: 50,
    };
    let result = state.store.directory_search(&query).await?;
    let facets = state.store.public_facets().await?;
    let q = query.q.trim().to_owned();
    let category_label = f.category.as_deref().and_then(|c| {
        let key = partnerops_core::directory::facet_key(c);
        facets
            .iter()
            .find(|x| x.facet == "category" && x.key == key)
            .map(|x| x.label.clone())
    });
    let filtered = !q.is_empty()
        || [
            &f.category,
            &f.region,
            &f.industry,
            &f.language,
            &f.tier,
            &f.kind,
        ]
        .iter()
        .any(|v| v.as_deref().is_some_and(|s| !s.trim().is_empty()));
    let heading = match (&category_label, q.is_empty()) {
        (Some(c), true) => format!("{c} partners and integrations"),
        (Some(c), false) => format!("“{q}” in {c}"),
        (None, false) => format!("Results for “{q}”"),
        (None, true) if filtered => "Filtered listings".to_owned(),
        (None, true) => "Featured partners and integrations".to_owned(),
    };
    let title = match &category_label {
        Some(c) => format!("{c}: partner directory"),
        None => "Partner and integration directory".to_owned(),
    };
    let collections = if filtered {
        Vec::new()
    } else {
        state
            .store
            .public_collections()
            .await?
            .into_iter()
            .filter(|c| !c.listings.is_empty())
            .collect()
    };
    let page = HomePage {
        collections,
        description: match &category_label {
            Some(c) => format!("Partners and integrations for {c}: verified partners first, ranked by relevance and quality."),
            None => "Find partners and integrations: search by need, filter by category, region, industry and language.".to_owned(),
        },
        title,
        canonical: format!("{}{path}", origin(headers)),
        categories: links(&facets, "category", "category", f.category.as_deref(), &q),
        regions: links(&facets, "region", "region", f.region.as_deref(), &q),
        industries: links(&facets, "industry", "industry", f.industry.as_deref(), &q),
        languages: links(&facets, "language", "language", f.language.as_deref(), &q),
        q,
        hits: result.hits,
        corrected: result.corrected_query,
        filtered,
        heading,
    };
    Ok(page.into_response())
}

async fn home(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(f): Query<Filters>,
) -> Result<Response, UiError> {
    page(&state, &headers, f, "/directory").await
}

async fn category(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(key): Path<String>,
    Query(mut f): Query<Filters>,
) -> Result<Response, UiError> {
    let key = partnerops_core::directory::facet_key(&key);
    if key.is_empty() {
        return Err(UiError::NotFound);
    }
    let path = format!("/directory/categories/{key}");
    f.category = Some(key);
    page(&state, &headers, f, &path).await
}

#[derive(Template, WebTemplate)]
#[template(path = "directory/public_listing.html")]
struct ListingPage {
    listing: DirectoryListing,
    body: String,
    canonical: String,
    logo: Option<String>,
    json_ld: String,
    /// Category links: (label, address).
    categories: Vec<(String, String)>,
    /// Visible reviews: the review, its body and the partner's answer as HTML.
    reviews: Vec<(DirectoryReview, String, Option<String>)>,
    csrf: String,
    honeypot: &'static str,
    forms: Forms,
    /// Whether the report form is shown open (after it was sent, or failed).
    report_open: bool,
    /// "Customers who use this also use", in the chosen industry if one was.
    recommendations: Vec<DirectoryRecommendation>,
    /// The industry the visitor chose (one of the listing's).
    industry: Option<String>,
}

/// The listing page's choices (query parameters).
#[derive(Debug, Default, serde::Deserialize)]
struct ListingQuery {
    /// "Customers in your industry": one of the listing's industries.
    industry: Option<String>,
}

/// The listing page's forms as posted (with their errors) and what the last one did.
#[derive(Default)]
struct Forms {
    enquiry: FormView,
    invite: FormView,
    report: FormView,
    /// A sentence saying what was done (`role="status"`), and the id of the element.
    notice: Option<(&'static str, String)>,
}

async fn listing(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Query(lq): Query<ListingQuery>,
) -> Result<Response, UiError> {
    listing_page(
        &state,
        &headers,
        &slug,
        true,
        StatusCode::OK,
        Forms::default(),
        lq.industry.as_deref(),
    )
    .await
}

async fn listing_page(
    state: &AppState,
    headers: &HeaderMap,
    slug: &str,
    count_view: bool,
    status: StatusCode,
    forms: Forms,
    industry: Option<&str>,
) -> Result<Response, UiError> {
    let l = state.store.public_listing(slug, count_view).await?;
    // Only one of the listing's own industries narrows the recommendations.
    let industry = industry.and_then(|i| {
        let key = partnerops_core::directory::facet_key(i);
        l.industries
            .iter()
            .find(|x| partnerops_core::directory::facet_key(x) == key)
            .cloned()
    });
    let recommendations = state
        .store
        .directory_recommendations(&l.id, &l.title, industry.as_deref())
        .await?;
    let base = origin(headers);
    let canonical = format!("{base}/directory/listings/{}", l.slug);
    let logo = state
        .store
        .partner_logo(&l.partner_id)
        .await?
        .map(|f| format!("{base}/files/{}", f.id));
    let mut ld = serde_json::json!({
        "@context": "https://schema.org",
        "name": l.title,
        "description": l.summary,
        "url": canonical,
    });
    match l.kind {
        ListingKind::Integration => {
            ld["@type"] = "SoftwareApplication".into();
            ld["applicationCategory"] = "BusinessApplication".into();
            ld["publisher"] = serde_json::json!({"@type": "Organization", "name": l.partner_name});
            ld["keywords"] = l.categories.join(", ").into();
        }
        ListingKind::Services => {
            ld["@type"] = "Organization".into();
            ld["knowsAbout"] = l.categories.clone().into();
            ld["areaServed"] = l.regions.clone().into();
            ld["knowsLanguage"] = l.languages.clone().into();
            ld["legalName"] = l.partner_name.clone().into();
        }
    }
    if let Some(w) = &l.website {
        ld["sameAs"] = w.clone().into();
    }
    if let Some(logo) = &logo {
        ld["logo"] = logo.clone().into();
    }
    if !l.screenshot_ids.is_empty() {
        ld["screenshot"] = l
            .screenshot_ids
            .iter()
            .map(|f| format!("{base}/files/{f}"))
            .collect::<Vec<_>>()
            .into();
    }
    if let (Some(avg), n) = (l.rating.average, l.rating.count) {
        ld["aggregateRating"] = serde_json::json!({
            "@type": "AggregateRating",
            "ratingValue": avg,
            "reviewCount": n,
            "bestRating": 5,
            "worstRating": 1,
        });
    }
    let categories = l
        .categories
        .iter()
        .map(|c| {
            (
                c.clone(),
                format!(
                    "/directory/categories/{}",
                    partnerops_core::directory::facet_key(c)
                ),
            )
        })
        .collect();
    let reviews = state
        .store
        .public_reviews(&l.id)
        .await?
        .into_iter()
        .map(|r| {
            let body = markdown::render(&r.body);
            let answer = r.answer.as_deref().map(markdown::render);
            (r, body, answer)
        })
        .collect();
    let (csrf, cookie) = public_csrf(state);
    let report_open = !forms.report.errors.is_empty()
        || forms.notice.as_ref().is_some_and(|(w, _)| *w == "report");
    let page = ListingPage {
        recommendations,
        industry,
        report_open,
        body: markdown::render(&l.description),
        canonical,
        logo,
        json_ld: json_ld(&ld),
        categories,
        listing: l,
        reviews,
        csrf,
        honeypot: HONEYPOT_FIELD,
        forms,
    };
    Ok((status, [(SET_COOKIE, cookie)], page).into_response())
}

/// The listing page again after a public form: the errors beside the form's fields, or
/// the notice of what was done.
async fn after_form(
    state: &AppState,
    headers: &HeaderMap,
    slug: &str,
    outcome: Result<String, StoreError>,
    which: &'static str,
    posted: &Posted,
) -> Result<Response, UiError> {
    let mut forms = Forms::default();
    let status = match outcome {
        Ok(notice) => {
            forms.notice = Some((which, notice));
            StatusCode::CREATED
        }
        Err(StoreError::NotFound(k)) => return Err(UiError::Store(StoreError::NotFound(k))),
        Err(e) => {
            let status = match &e {
                StoreError::Conflict { rule, .. } if rule.ends_with("rate_limited") => {
                    StatusCode::TOO_MANY_REQUESTS
                }
                StoreError::Invalid(inv) if inv.errors.iter().any(|e| e.rule == "csrf") => {
                    StatusCode::FORBIDDEN
                }
                other => failure_status(other),
            };
            let view = FormView::from_posted(posted).with_errors(field_errors(e)?);
            match which {
                "enquiry" => forms.enquiry = view,
                "invite" => forms.invite = view,
                _ => forms.report = view,
            }
            status
        }
    };
    listing_page(state, headers, slug, false, status, forms, None).await
}

#[derive(Template, WebTemplate)]
#[template(path = "directory/public_collection.html")]
struct CollectionPage {
    collection: DirectoryCollection,
    description: String,
    canonical: String,
    json_ld: String,
}

/// A collection the vendor curates: its description and its public listings, in order.
async fn collection(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(slug): Path<String>,
) -> Result<Response, UiError> {
    let c = state.store.public_collection(&slug).await?;
    let base = origin(&headers);
    let canonical = format!("{base}/directory/collections/{}", c.slug);
    let ld = serde_json::json!({
        "@context": "https://schema.org",
        "@type": "ItemList",
        "name": c.title,
        "url": canonical,
        "itemListElement": c.listings.iter().enumerate().map(|(i, h)| serde_json::json!({
            "@type": "ListItem",
            "position": i + 1,
            "url": format!("{base}/directory/listings/{}", h.slug),
            "name": h.title,
        })).collect::<Vec<_>>(),
    });
    Ok(CollectionPage {
        description: markdown::render(&c.description),
        canonical,
        json_ld: json_ld(&ld),
        collection: c,
    }
    .into_response())
}

fn csrf_refused() -> StoreError {
    StoreError::Invalid(partnerops_core::Invalid::one(
        "_",
        "csrf",
        "The form expired. Please send it again.",
    ))
}

/// The partner locator's lead form.
async fn enquire(
    State(state): State<AppState>,
    headers: HeaderMap,
    addr: ClientAddr,
    Path(slug): Path<String>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    let posted = Posted(pairs);
    let outcome = if public_form_ok(&headers, &posted) {
        let input = EnquiryInput {
            name: posted.get("name"),
            email: posted.get("email"),
            company: posted.get("company"),
            message: posted.get("message"),
        };
        state
            .store
            .take_directory_lead(
                &slug,
                &addr.key(),
                &input,
                posted.get(HONEYPOT_FIELD).as_deref(),
            )
            .await
            .map(|_| "Thank you: the partner has your enquiry and will be in touch.".to_owned())
    } else {
        Err(csrf_refused())
    };
    after_form(&state, &headers, &slug, outcome, "enquiry", &posted).await
}

/// A visitor asks for an invitation link to review the listing.
async fn ask_invite(
    State(state): State<AppState>,
    headers: HeaderMap,
    addr: ClientAddr,
    Path(slug): Path<String>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    let posted = Posted(pairs);
    let outcome = if public_form_ok(&headers, &posted) {
        let input = ReviewInviteInput {
            email: posted.get("email"),
        };
        state
            .store
            .request_review_invite(&slug, &addr.key(), &input)
            .await
            .map(|sent| match sent.retrying_until {
                None => format!(
                    "We sent a link to {}: open it to write your review (it works once, until {}).",
                    sent.email,
                    sent.expires_at.format("%Y-%m-%d")
                ),
                Some(_) => format!(
                    "Our mail server did not take the e-mail to {} just now; we keep trying for a few hours. Open the link when it arrives (it works once, until {}).",
                    sent.email,
                    sent.expires_at.format("%Y-%m-%d")
                ),
            })
    } else {
        Err(csrf_refused())
    };
    after_form(&state, &headers, &slug, outcome, "invite", &posted).await
}

/// Anyone reports the listing, or one of its reviews (`review_id`).
async fn report(
    State(state): State<AppState>,
    headers: HeaderMap,
    addr: ClientAddr,
    Path(slug): Path<String>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    let posted = Posted(pairs);
    let outcome = if public_form_ok(&headers, &posted) {
        let input = ReportInput {
            reason: posted.get("reason"),
            detail: posted.get("detail"),
        };
        let review = posted.get("review_id").filter(|r| !r.trim().is_empty());
        let subject = match review.as_deref() {
            Some(r) => ReportSubject::Review(r),
            None => ReportSubject::Listing(&slug),
        };
        state
            .store
            .report_directory(subject, &addr.key(), &input)
            .await
            .map(|_| "Thank you: a moderator will look at your report.".to_owned())
    } else {
        Err(csrf_refused())
    };
    after_form(&state, &headers, &slug, outcome, "report", &posted).await
}

#[derive(Template, WebTemplate)]
#[template(path = "directory/public_review.html")]
struct ReviewPage {
    token: String,
    invite: InviteView,
    csrf: String,
    form: FormView,
}

async fn review_page(
    state: &AppState,
    token: &str,
    status: StatusCode,
    form: FormView,
) -> Result<Response, UiError> {
    let invite = match state.store.review_invite(token).await {
        Ok(i) => i,
        Err(StoreError::Conflict { message, .. }) => {
            return Ok((StatusCode::GONE, message).into_response());
        }
        Err(e) => return Err(e.into()),
    };
    let mut form = form;
    if form.v("rating").is_empty()
        && let Some(r) = &invite.existing
    {
        form.set("rating", r.rating.to_string());
        form.set("body", r.body.clone());
        form.set("author_name", r.author_name.clone());
    }
    let (csrf, cookie) = public_csrf(state);
    let page = ReviewPage {
        token: token.to_owned(),
        invite,
        csrf,
        form,
    };
    Ok((status, [(SET_COOKIE, cookie)], page).into_response())
}

/// The review form behind an invitation link.
async fn review_form(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, UiError> {
    review_page(&state, &token, StatusCode::OK, FormView::default()).await
}

async fn review_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    let posted = Posted(pairs);
    if !public_form_ok(&headers, &posted) {
        let view = FormView::from_posted(&posted).with_errors(field_errors(csrf_refused())?);
        return review_page(&state, &token, StatusCode::FORBIDDEN, view).await;
    }
    let rating = match posted.get("rating").map(|r| r.trim().parse::<i64>()) {
        Some(Ok(n)) => Some(n),
        Some(Err(_)) => Some(0),
        None => None,
    };
    let input = ReviewInput {
        rating,
        body: posted.get("body"),
        author_name: posted.get("author_name"),
    };
    let slug = state
        .store
        .review_invite(&token)
        .await
        .map(|i| i.listing_slug);
    match state.store.submit_invited_review(&token, &input).await {
        Ok(_) => {
            let slug = slug.unwrap_or_default();
            Ok((
                StatusCode::CREATED,
                ThanksPage {
                    listing: format!("/directory/listings/{slug}"),
                },
            )
                .into_response())
        }
        Err(e @ (StoreError::Invalid(_) | StoreError::Conflict { .. })) => {
            let status = failure_status(&e);
            let view = FormView::from_posted(&posted).with_errors(field_errors(e)?);
            review_page(&state, &token, status, view).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "directory/public_review_thanks.html")]
struct ThanksPage {
    listing: String,
}

/// `sitemap.xml`: the directory's home, its category pages and every public listing.
async fn sitemap(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, UiError> {
    let base = origin(&headers);
    let esc = partnerops_core::campaign::escape;
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    xml.push_str(&format!(
        "  <url><loc>{}</loc></url>\n",
        esc(&format!("{base}/directory"))
    ));
    for f in state.store.public_facets().await? {
        if f.facet == "category" {
            xml.push_str(&format!(
                "  <url><loc>{}</loc></url>\n",
                esc(&format!("{base}/directory/categories/{}", f.key))
            ));
        }
    }
    for c in state.store.public_collections().await? {
        xml.push_str(&format!(
            "  <url><loc>{}</loc><lastmod>{}</lastmod></url>\n",
            esc(&format!("{base}/directory/collections/{}", c.slug)),
            c.updated_at.format("%Y-%m-%d")
        ));
    }
    for (slug, updated) in state.store.public_slugs().await? {
        xml.push_str(&format!(
            "  <url><loc>{}</loc><lastmod>{}</lastmod></url>\n",
            esc(&format!("{base}/directory/listings/{slug}")),
            updated.format("%Y-%m-%d")
        ));
    }
    xml.push_str("</urlset>\n");
    Ok((
        [
            (CONTENT_TYPE, "application/xml; charset=utf-8"),
            (CACHE_CONTROL, "public, max-age=3600"),
        ],
        xml,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_ld_cannot_close_its_script() {
        let v = serde_json::json!({"name": "</script><script>alert(1)</script> & co"});
        let out = json_ld(&v);
        assert!(!out.contains("</script>"), "{out}");
        assert!(!out.contains('<') && !out.contains('&'), "{out}");
        // Still the same JSON for a parser.
        let back: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(back, v);
    }

    #[test]
    fn origin_from_host_refuses_odd_hosts() {
        let mut h = HeaderMap::new();
        h.insert(HOST, "dir.example:8080".parse().unwrap());
        assert_eq!(origin(&h), "http://dir.example:8080");
        h.insert("x-forwarded-proto", "https".parse().unwrap());
        assert_eq!(origin(&h), "https://dir.example:8080");
        h.insert(HOST, "evil.example/\"><script>".parse().unwrap());
        assert_eq!(origin(&h), "https://localhost");
    }
}

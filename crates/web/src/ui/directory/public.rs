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
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, HOST};
use axum::response::{IntoResponse, Response};
use partnerops_core::directory::ListingKind;
use partnerops_core::directory::record::{DirectoryHit, DirectoryListing};
use partnerops_store::directory::{DirectoryQuery, FacetCount};

use super::super::Routes;
use crate::AppState;
use crate::ui::markdown;
use crate::ui::{UiError, form::url_encode};

pub(super) fn routes(r: Routes) -> Routes {
    r.get("/directory", home)
        .get("/directory/categories/{key}", category)
        .get("/directory/listings/{slug}", listing)
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
    let page = HomePage {
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
}

async fn listing(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(slug): Path<String>,
) -> Result<Response, UiError> {
    let l = state.store.public_listing(&slug, true).await?;
    let base = origin(&headers);
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
    Ok(ListingPage {
        body: markdown::render(&l.description),
        canonical,
        logo,
        json_ld: json_ld(&ld),
        categories,
        listing: l,
    }
    .into_response())
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

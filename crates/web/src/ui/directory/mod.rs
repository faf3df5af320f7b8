//! The directory in the browser. The portal: the partner's admin writes its listings
//! (Markdown previewed as it will be shown, sanitised), submits them, withdraws them, and
//! reads why each is where it is. The console: every listing, those awaiting review first,
//! with review, verification and unpublishing; each program's mode from its tree answer.
//! The public pages (no sign-in) are in [`public`].

mod curation;
mod public;
mod trust;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use partnerops_core::Invalid;
use partnerops_core::directory::record::{
    DirectoryListing, DirectoryListingInput, DirectoryReviewInput, DirectorySetting,
};
use partnerops_core::directory::signals::{UsageInput, UsageReport};
use partnerops_core::directory::{ListingKind, ListingStatus, MODE_TREE};
use partnerops_core::ids::EntityId;
use partnerops_core::partnership::record::TreeAnswers;
use partnerops_core::partnership::tree::Node;
use partnerops_store::StoreError;

use super::Routes;
use crate::AppState;
use crate::ui::form::{FormView, Posted, after_action, failure_status, field_errors, trimmed};
use crate::ui::guard::{PartnerUser, Staff};
use crate::ui::markdown;
use crate::ui::session::SignedForm;
use crate::ui::{Chrome, UiError};

pub(super) fn routes(r: Routes) -> Routes {
    let r = public::routes(r);
    let r = trust::routes(r);
    let r = curation::routes(r);
    r.get("/portal/directory", portal_list)
        .post("/portal/directory", portal_create)
        .get("/portal/directory/{id}", portal_listing)
        .post("/portal/directory/{id}", portal_update)
        .post_upload("/portal/directory/{id}/screenshots", portal_screenshot)
        .post("/portal/directory/{id}/{action}", portal_action)
        .get("/console/directory", console_list)
        .get("/console/directory/{id}", console_listing)
        .post("/console/directory/{id}/{action}", console_action)
        .post("/console/directory/programs/{id}/mode", console_mode)
}

/// Comma-separated labels (`CRM, Analytics`) as a list.
fn labels(posted: &Posted, name: &str) -> Option<Vec<String>> {
    posted.get(name).map(|raw| {
        raw.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    })
}

fn listing_input(posted: &Posted) -> DirectoryListingInput {
    DirectoryListingInput {
        partner_id: None,
        kind: posted.get("kind"),
        title: posted.get("title"),
        summary: posted.get("summary"),
        description: posted.get("description"),
        categories: labels(posted, "categories"),
        regions: labels(posted, "regions"),
        industries: labels(posted, "industries"),
        languages: labels(posted, "languages"),
        website: posted.get("website"),
        screenshot_ids: None,
    }
}

fn listing_form(l: &DirectoryListing) -> FormView {
    let mut f = FormView::default();
    f.set("kind", l.kind.as_str());
    f.set("title", l.title.clone());
    f.set("summary", l.summary.clone());
    f.set("description", l.description.clone());
    f.set("categories", l.categories.join(", "));
    f.set("regions", l.regions.join(", "));
    f.set("industries", l.industries.join(", "));
    f.set("languages", l.languages.join(", "));
    f.set("website", l.website.clone().unwrap_or_default());
    f
}

// ---- the portal ----

#[derive(Template, WebTemplate)]
#[template(path = "directory/portal_list.html")]
struct PortalList {
    chrome: Chrome,
    listings: Vec<DirectoryListing>,
    kinds: &'static [ListingKind],
    form: FormView,
}

async fn portal_page(
    state: &AppState,
    user: &PartnerUser,
    form: FormView,
) -> Result<PortalList, UiError> {
    Ok(PortalList {
        chrome: Chrome::new(user, "directory"),
        listings: state
            .store
            .directory_listings(user.scope(), None, None)
            .await?,
        kinds: ListingKind::ALL,
        form,
    })
}

async fn portal_list(
    State(state): State<AppState>,
    user: PartnerUser,
) -> Result<Response, UiError> {
    let mut form = FormView::default();
    form.set("kind", "services");
    Ok(portal_page(&state, &user, form).await?.into_response())
}

async fn portal_create(
    State(state): State<AppState>,
    form: SignedForm<PartnerUser>,
) -> Result<Response, UiError> {
    let input = listing_input(&form.posted);
    match state
        .store
        .create_directory_listing(&form.user.actor(), &input)
        .await
    {
        Ok(l) => Ok(Redirect::to(&format!("/portal/directory/{}", l.id)).into_response()),
        Err(e) => {
            let status = failure_status(&e);
            let view = FormView::from_posted(&form.posted).with_errors(field_errors(e)?);
            Ok((status, portal_page(&state, &form.user, view).await?).into_response())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "directory/listing.html")]
struct ListingPage {
    chrome: Chrome,
    listing: DirectoryListing,
    /// The description as the public page shows it.
    preview: String,
    kinds: &'static [ListingKind],
    form: FormView,
    /// Whose page: the portal's form or the console's review.
    vendor: bool,
    done: Option<String>,
    /// Usage reports, newest month first, and the form to report one.
    usage: Vec<UsageReport>,
    usage_form: FormView,
    /// The screenshot upload's errors.
    screenshot_form: FormView,
}

/// Which form of the listing page failed: its errors go beside that form's fields.
enum Failed {
    Listing(FormView),
    Usage(FormView),
    Screenshot(FormView),
}

async fn listing_page(
    state: &AppState,
    chrome: Chrome,
    scope: &partnerops_core::scope::Scope,
    id: &str,
    failed: Option<Failed>,
    done: Option<String>,
) -> Result<ListingPage, UiError> {
    let listing = state.store.directory_listing(scope, id).await?;
    let usage = state.store.directory_usage(scope, id).await?;
    let vendor = chrome.vendor;
    let (form, usage_form, screenshot_form) = match failed {
        Some(Failed::Listing(f)) => (f, FormView::default(), FormView::default()),
        Some(Failed::Usage(u)) => (listing_form(&listing), u, FormView::default()),
        Some(Failed::Screenshot(f)) => (listing_form(&listing), FormView::default(), f),
        None => (
            listing_form(&listing),
            FormView::default(),
            FormView::default(),
        ),
    };
    Ok(ListingPage {
        screenshot_form,
        usage,
        usage_form,
        chrome,
        preview: markdown::render(form.v("description")),
        listing,
        kinds: ListingKind::ALL,
        form,
        vendor,
        done,
    })
}

#[derive(serde::Deserialize)]
struct Done {
    done: Option<String>,
}

async fn portal_listing(
    State(state): State<AppState>,
    user: PartnerUser,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<Done>,
) -> Result<Response, UiError> {
    let chrome = Chrome::new(&user, "directory");
    Ok(
        listing_page(&state, chrome, user.scope(), &id, None, q.done)
            .await?
            .into_response(),
    )
}

async fn portal_update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm<PartnerUser>,
) -> Result<Response, UiError> {
    let input = listing_input(&form.posted);
    let run = state
        .store
        .update_directory_listing(&form.user.actor(), &id, &input)
        .await
        .map(|_| Some("saved"));
    let chrome = Chrome::new(&form.user, "directory");
    let scope = form.user.scope().clone();
    after_action(
        run,
        &format!("/portal/directory/{id}"),
        &form.posted,
        |view| {
            listing_page(
                &state,
                chrome,
                &scope,
                &id,
                Some(Failed::Listing(view)),
                None,
            )
        },
    )
    .await
}

async fn portal_action(
    State(state): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    form: SignedForm<PartnerUser>,
) -> Result<Response, UiError> {
    let actor = form.user.actor();
    let run = match action.as_str() {
        "submit" => state
            .store
            .submit_directory_listing(&actor, &id)
            .await
            .map(|_| Some("submitted")),
        "withdraw" => state
            .store
            .withdraw_directory_listing(&actor, &id)
            .await
            .map(|_| Some("withdrawn")),
        "unshot" => {
            let file = form.posted.get("file_id").unwrap_or_default();
            match state.store.directory_listing(form.user.scope(), &id).await {
                Ok(l) => state
                    .store
                    .update_directory_listing(
                        &actor,
                        &id,
                        &DirectoryListingInput {
                            screenshot_ids: Some(
                                l.screenshot_ids
                                    .iter()
                                    .map(ToString::to_string)
                                    .filter(|s| *s != file)
                                    .collect(),
                            ),
                            ..Default::default()
                        },
                    )
                    .await
                    .map(|_| Some("screenshot removed")),
                Err(e) => Err(e),
            }
        }
        "usage" => {
            let count = |name: &str| -> Result<Option<i64>, StoreError> {
                match trimmed(&form.posted, name) {
                    None => Ok(None),
                    Some(raw) => raw.replace([',', ' '], "").parse().map(Some).map_err(|_| {
                        Invalid::one(name, "number", format!("{name} must be a whole number"))
                            .into()
                    }),
                }
            };
            match (count("installs"), count("customers")) {
                (Ok(installs), Ok(customers)) => state
                    .store
                    .report_directory_usage(
                        &actor,
                        &id,
                        &UsageInput {
                            period: trimmed(&form.posted, "period"),
                            installs,
                            customers,
                        },
                    )
                    .await
                    .map(|_| Some("usage reported")),
                (Err(e), _) | (_, Err(e)) => Err(e),
            }
        }
        _ => Ok(None),
    };
    let chrome = Chrome::new(&form.user, "directory");
    let scope = form.user.scope().clone();
    let usage = action == "usage";
    after_action(
        run,
        &format!("/portal/directory/{id}"),
        &form.posted,
        |view| {
            let failed = if usage {
                Failed::Usage(view)
            } else {
                Failed::Listing(view)
            };
            listing_page(&state, chrome, &scope, &id, Some(failed), None)
        },
    )
    .await
}

/// The partner's admin adds a screenshot: uploaded as a public file of the partner
/// (`screenshot`: PNG, JPEG or WebP), then put last on the listing.
async fn portal_screenshot(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm<PartnerUser>,
) -> Result<Response, UiError> {
    let actor = form.user.actor();
    let run = async {
        let l = state
            .store
            .directory_listing(form.user.scope(), &id)
            .await?;
        let Some(file) = form.files.iter().find(|f| f.field == "screenshot") else {
            return Err(StoreError::Invalid(Invalid::one(
                "screenshot",
                "required",
                "choose an image file (PNG, JPEG or WebP) to upload",
            )));
        };
        let stored = state
            .store
            .upload_file(
                &actor,
                partnerops_store::file::Upload {
                    purpose: partnerops_core::file::FilePurpose::Screenshot,
                    partner_id: Some(l.partner_id.clone()),
                    name: &file.name,
                    bytes: &file.bytes,
                },
            )
            .await?;
        let mut ids: Vec<String> = l.screenshot_ids.iter().map(ToString::to_string).collect();
        ids.push(stored.id.to_string());
        state
            .store
            .update_directory_listing(
                &actor,
                &id,
                &DirectoryListingInput {
                    screenshot_ids: Some(ids),
                    ..Default::default()
                },
            )
            .await
            .map(|_| Some("screenshot added"))
    }
    .await;
    let chrome = Chrome::new(&form.user, "directory");
    let scope = form.user.scope().clone();
    after_action(
        run,
        &format!("/portal/directory/{id}"),
        &form.posted,
        |view| {
            listing_page(
                &state,
                chrome,
                &scope,
                &id,
                Some(Failed::Screenshot(view)),
                None,
            )
        },
    )
    .await
}

// ---- the console ----

/// A program's mode with the tree's questions to change it.
struct ProgramMode {
    program_id: String,
    program_name: String,
    setting: DirectorySetting,
}

#[derive(Template, WebTemplate)]
#[template(path = "directory/console_list.html")]
struct ConsoleList {
    chrome: Chrome,
    listings: Vec<DirectoryListing>,
    programs: Vec<ProgramMode>,
    /// The "open or curated" tree's questions: (id, text).
    questions: Vec<(String, String)>,
    status: String,
    statuses: &'static [ListingStatus],
    form: FormView,
    /// A status filter that names no status: said, and the list shown unfiltered.
    filter_error: Option<String>,
}

#[derive(serde::Deserialize)]
struct StatusFilter {
    status: Option<String>,
}

async fn console_page(
    state: &AppState,
    user: &Staff,
    status: Option<ListingStatus>,
    form: FormView,
) -> Result<ConsoleList, UiError> {
    let listings = state
        .store
        .directory_listings(user.scope(), status, None)
        .await?;
    let mut programs = Vec::new();
    for p in crate::ui::pipeline::console::programs(state, user).await? {
        let setting = state
            .store
            .directory_setting(user.scope(), p.id.as_str())
            .await?;
        programs.push(ProgramMode {
            program_id: p.id.to_string(),
            program_name: p.name,
            setting,
        });
    }
    let questions = state
        .store
        .decision_trees(user.scope())
        .await?
        .into_iter()
        .find(|t| t.key == MODE_TREE)
        .map(|t| {
            t.nodes
                .into_iter()
                .filter_map(|n| match n {
                    Node::Question { id, text, .. } => Some((id, text)),
                    Node::Outcome { .. } => None,
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(ConsoleList {
        chrome: Chrome::new(user, "directory"),
        listings,
        programs,
        questions,
        status: status.map(|s| s.as_str().to_owned()).unwrap_or_default(),
        statuses: ListingStatus::ALL,
        form,
        filter_error: None,
    })
}

async fn console_list(
    State(state): State<AppState>,
    user: Staff,
    axum::extract::Query(q): axum::extract::Query<StatusFilter>,
) -> Result<Response, UiError> {
    let parsed = q
        .status
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| ListingStatus::parse("status", s))
        .transpose();
    match parsed {
        Ok(status) => Ok(console_page(&state, &user, status, FormView::default())
            .await?
            .into_response()),
        Err(e) => {
            let mut page = console_page(&state, &user, None, FormView::default()).await?;
            page.filter_error = Some(e.message);
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

async fn console_listing(
    State(state): State<AppState>,
    user: Staff,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<Done>,
) -> Result<Response, UiError> {
    let chrome = Chrome::new(&user, "directory");
    Ok(
        listing_page(&state, chrome, user.scope(), &id, None, q.done)
            .await?
            .into_response(),
    )
}

async fn console_action(
    State(state): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    let actor = form.user.actor();
    let reason = form.posted.get("reason");
    let run = match action.as_str() {
        "approve" | "reject" => state
            .store
            .review_directory_listing(
                &actor,
                &id,
                &DirectoryReviewInput {
                    approve: Some(action == "approve"),
                    reason,
                },
            )
            .await
            .map(|_| Some("reviewed")),
        "unpublish" => state
            .store
            .unpublish_directory_listing(&actor, &id, reason.as_deref())
            .await
            .map(|_| Some("unpublished")),
        "verify" | "unverify" => state
            .store
            .verify_directory_listing(&actor, &id, Some(action == "verify"))
            .await
            .map(|_| Some("verified")),
        _ => Ok(None),
    };
    let chrome = Chrome::new(&form.user, "directory");
    let scope = form.user.scope().clone();
    after_action(
        run,
        &format!("/console/directory/{id}"),
        &form.posted,
        |view| {
            listing_page(
                &state,
                chrome,
                &scope,
                &id,
                Some(Failed::Listing(view)),
                None,
            )
        },
    )
    .await
}

async fn console_mode(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    let answers = form
        .posted
        .0
        .iter()
        .filter_map(|(k, v)| {
            let q = k.strip_prefix("answer_")?;
            match v.as_str() {
                "yes" => Some((q.to_owned(), true)),
                "no" => Some((q.to_owned(), false)),
                _ => None,
            }
        })
        .collect();
    let input = TreeAnswers {
        answers,
        charter_id: None,
    };
    match state
        .store
        .set_directory_mode(&form.user.actor(), &id, &input)
        .await
    {
        Ok(_) => Ok(Redirect::to("/console/directory").into_response()),
        Err(e @ (StoreError::Invalid(_) | StoreError::Conflict { .. })) => {
            let status = failure_status(&e);
            let view = FormView::default().with_errors(field_errors(e)?);
            Ok((status, console_page(&state, &form.user, None, view).await?).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

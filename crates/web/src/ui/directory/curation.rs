//! Collections in the console: the vendor's staff curate them ("Best for healthcare") by
//! naming listings by their public address (slug), one per line, in the order shown.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use partnerops_core::Invalid;
use partnerops_core::directory::curation::{CollectionInput, DirectoryCollection};
use partnerops_core::ids::EntityId;
use partnerops_store::StoreError;

use super::super::Routes;
use crate::AppState;
use crate::ui::form::{FormView, Posted, after_action, failure_status, field_errors, trimmed};
use crate::ui::guard::Staff;
use crate::ui::session::SignedForm;
use crate::ui::{Chrome, UiError};

pub(super) fn routes(r: Routes) -> Routes {
    r.get("/console/directory/collections", list)
        .post("/console/directory/collections", create)
        .get("/console/directory/collections/{id}", one)
        .post("/console/directory/collections/{id}", update)
        .post("/console/directory/collections/{id}/{action}", action)
}

#[derive(Template, WebTemplate)]
#[template(path = "directory/console_collections.html")]
struct ListPage {
    chrome: Chrome,
    collections: Vec<DirectoryCollection>,
    form: FormView,
}

#[derive(Template, WebTemplate)]
#[template(path = "directory/console_collection.html")]
struct OnePage {
    chrome: Chrome,
    collection: DirectoryCollection,
    form: FormView,
    done: Option<String>,
}

#[derive(serde::Deserialize)]
struct Done {
    done: Option<String>,
}

/// The form's listings (slugs or ids, one per line) as listing ids, or the lines that name
/// no listing.
async fn listing_ids(
    state: &AppState,
    staff: &Staff,
    raw: &str,
) -> Result<Vec<String>, StoreError> {
    let lines: Vec<&str> = raw
        .lines()
        .map(|l| l.trim().trim_start_matches("/directory/listings/"))
        .filter(|l| !l.is_empty())
        .collect();
    let known = state
        .store
        .directory_listing_slugs(staff.scope(), &lines)
        .await?;
    let mut inv = Invalid::new();
    let mut ids = Vec::with_capacity(lines.len());
    for (n, line) in lines.iter().enumerate() {
        match known.iter().find(|(id, slug)| id == line || slug == line) {
            Some((id, _)) => ids.push(id.clone()),
            None => inv.add(
                "listings",
                "exists",
                format!(
                    "listings, line {}: no listing has the address {line}",
                    n + 1
                ),
            ),
        }
    }
    if inv.is_empty() {
        Ok(ids)
    } else {
        Err(inv.into())
    }
}

async fn input(
    state: &AppState,
    staff: &Staff,
    posted: &Posted,
) -> Result<CollectionInput, StoreError> {
    let listing_ids = match posted.get("listings") {
        Some(raw) => Some(listing_ids(state, staff, &raw).await?),
        None => None,
    };
    let position =
        match trimmed(posted, "position") {
            None => None,
            Some(p) => Some(p.parse().map_err(|_| {
                Invalid::one("position", "number", "position must be a whole number")
            })?),
        };
    Ok(CollectionInput {
        title: posted.get("title"),
        description: posted.get("description"),
        position,
        listing_ids,
    })
}

async fn list_page(state: &AppState, staff: &Staff, form: FormView) -> Result<ListPage, UiError> {
    Ok(ListPage {
        chrome: Chrome::new(staff, "directory"),
        collections: state
            .store
            .directory_collections(staff.scope(), true)
            .await?,
        form,
    })
}

async fn list(State(state): State<AppState>, staff: Staff) -> Result<Response, UiError> {
    Ok(list_page(&state, &staff, FormView::default())
        .await?
        .into_response())
}

async fn create(
    State(state): State<AppState>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    let run = match input(&state, &form.user, &form.posted).await {
        Ok(i) => {
            state
                .store
                .create_directory_collection(&form.user.actor(), &i)
                .await
        }
        Err(e) => Err(e),
    };
    match run {
        Ok(c) => {
            Ok(Redirect::to(&format!("/console/directory/collections/{}", c.id)).into_response())
        }
        Err(e) => {
            let status = failure_status(&e);
            let view = FormView::from_posted(&form.posted).with_errors(field_errors(e)?);
            Ok((status, list_page(&state, &form.user, view).await?).into_response())
        }
    }
}

/// The form as the collection stands: its listings by slug, one per line.
async fn form_of(
    state: &AppState,
    staff: &Staff,
    c: &DirectoryCollection,
) -> Result<FormView, UiError> {
    let ids: Vec<&str> = c.listing_ids.iter().map(EntityId::as_str).collect();
    let known = state
        .store
        .directory_listing_slugs(staff.scope(), &ids)
        .await?;
    let slugs: Vec<String> = ids
        .iter()
        .filter_map(|id| known.iter().find(|(k, _)| k == id).map(|(_, s)| s.clone()))
        .collect();
    let mut f = FormView::default();
    f.set("title", c.title.clone());
    f.set("description", c.description.clone());
    f.set("position", c.position.to_string());
    f.set("listings", slugs.join("\n"));
    Ok(f)
}

async fn one_page(
    state: &AppState,
    staff: &Staff,
    id: &str,
    form: Option<FormView>,
    done: Option<String>,
) -> Result<OnePage, UiError> {
    let collection = state.store.directory_collection(staff.scope(), id).await?;
    let form = match form {
        Some(f) => f,
        None => form_of(state, staff, &collection).await?,
    };
    Ok(OnePage {
        chrome: Chrome::new(staff, "directory"),
        collection,
        form,
        done,
    })
}

async fn one(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<Done>,
) -> Result<Response, UiError> {
    Ok(one_page(&state, &staff, &id, None, q.done)
        .await?
        .into_response())
}

async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    let run = match input(&state, &form.user, &form.posted).await {
        Ok(i) => state
            .store
            .update_directory_collection(&form.user.actor(), &id, &i)
            .await
            .map(|_| Some("saved")),
        Err(e) => Err(e),
    };
    after_action(
        run,
        &format!("/console/directory/collections/{id}"),
        &form.posted,
        |view| one_page(&state, &form.user, &id, Some(view), None),
    )
    .await
}

async fn action(
    State(state): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    let actor = form.user.actor();
    let run = match action.as_str() {
        "archive" | "restore" => state
            .store
            .archive_directory_collection(&actor, &id, action == "archive")
            .await
            .map(|_| {
                Some(if action == "archive" {
                    "archived"
                } else {
                    "restored"
                })
            }),
        _ => Ok(None),
    };
    after_action(
        run,
        &format!("/console/directory/collections/{id}"),
        &form.posted,
        |view| one_page(&state, &form.user, &id, Some(view), None),
    )
    .await
}

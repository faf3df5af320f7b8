//! Account mapping in the browser. The portal: the partner's admin proposes or accepts a
//! mapping partnership, chooses what its side shares, uploads its CRM export (checked
//! first, the suggested column mapping shown and confirmed), reads the matrix and the
//! cells both sides share, deletes its data or ends the partnership. The console: every
//! partnership, the vendor's acceptance and sharing, the matrix and its cells, and the
//! uncertain matches to confirm or reject.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use partnerops_core::import::{ImportMapping, ImportSource};
use partnerops_core::mapping::overlap::{Matrix, MatrixCell};
use partnerops_core::mapping::record::{
    CoSellSuggestion, MappingIntro, MappingIntroAnswer, MappingIntroInput, MappingMatch,
    MappingPartnership, MappingProposalInput, MappingSettingsInput, MappingUploadResult,
    OverlapRow,
};
use partnerops_core::mapping::upload::UPLOAD_FIELDS;
use partnerops_core::mapping::{MatchState, Population, SharedField, Sharing, Side};
use partnerops_core::scope::Scope;
use partnerops_store::mapping::MappingUploadRequest;

use super::Routes;
use crate::AppState;
use crate::ui::form::{Posted, field_errors};
use crate::ui::guard::{PartnerUser, Staff};
use crate::ui::session::SignedForm;
use crate::ui::{Chrome, UiError};

pub(super) fn routes(r: Routes) -> Routes {
    r.get("/portal/mapping", portal_list)
        .post("/portal/mapping", portal_propose)
        .get("/portal/mapping/{id}", portal_page)
        .post_upload("/portal/mapping/{id}/upload", portal_upload)
        .post("/portal/mapping/{id}/{action}", portal_action)
        .get("/portal/mapping/{id}/cells/{vendor}/{partner}", portal_cell)
        .get("/console/mapping", console_list)
        .get("/console/mapping/{id}", console_page)
        .post("/console/mapping/{id}/{action}", console_action)
        .get(
            "/console/mapping/{id}/cells/{vendor}/{partner}",
            console_cell,
        )
}

#[derive(Template, WebTemplate)]
#[template(path = "mapping/list.html")]
struct ListPage {
    chrome: Chrome,
    partnerships: Vec<MappingPartnership>,
    problem: Vec<String>,
}

/// A row of the matrix: the vendor's population and its cells.
struct MatrixRow {
    vendor: Population,
    cells: Vec<MatrixCell>,
}

/// A population's sharing as the form shows it.
struct SharingRow {
    population: Population,
    fields: Vec<(SharedField, bool)>,
}

/// One field of the upload's column mapping, as the form shows it.
struct MappingField {
    name: &'static str,
    required: bool,
    column: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "mapping/partnership.html")]
struct PartnershipPage {
    chrome: Chrome,
    base: &'static str,
    m: MappingPartnership,
    populations: &'static [Population],
    rows: Vec<MatrixRow>,
    total: u64,
    sharing: Vec<SharingRow>,
    to_confirm: Vec<MappingMatch>,
    /// The caller's side has accepted.
    accepted: bool,
    header: Vec<String>,
    mapping: Vec<MappingField>,
    source: String,
    result: Option<MappingUploadResult>,
    /// The upload form adds to the current upload.
    append: bool,
    /// Why the file was refused, by row and column (shown beside the upload form).
    upload_problem: Vec<String>,
    problem: Vec<String>,
    done: Option<String>,
    /// Every match as an API list, for its CSV export (vendor staff).
    matches_list: String,
    /// Co-sell suggestions (shared co-sell cells), each with its one-click introduction.
    suggestions: Vec<CoSellSuggestion>,
    /// Introductions asked, both ways.
    intros: Vec<MappingIntro>,
    /// The caller's side.
    side: Side,
}

fn sharing_rows(s: &Sharing) -> Vec<SharingRow> {
    Population::ALL
        .iter()
        .map(|p| SharingRow {
            population: *p,
            fields: SharedField::ALL
                .iter()
                .map(|f| (*f, s.fields(*p).contains(f)))
                .collect(),
        })
        .collect()
}

fn matrix_rows(m: &Matrix) -> Vec<MatrixRow> {
    Population::ALL
        .iter()
        .map(|v| MatrixRow {
            vendor: *v,
            cells: m.cells.iter().filter(|c| c.vendor == *v).cloned().collect(),
        })
        .collect()
}

async fn build(
    state: &AppState,
    chrome: Chrome,
    scope: &Scope,
    id: &str,
) -> Result<PartnershipPage, UiError> {
    let m = state.store.mapping_partnership(scope, id).await?;
    let matrix = state.store.mapping_matrix(scope, id).await?;
    let vendor = chrome.vendor;
    let to_confirm = if vendor {
        state
            .store
            .mapping_matches(scope, id, Some(MatchState::ToConfirm))
            .await?
    } else {
        Vec::new()
    };
    let (accepted, own) = if vendor {
        (m.vendor_accepted_at.is_some(), &m.vendor_sharing)
    } else {
        (m.partner_accepted_at.is_some(), &m.partner_sharing)
    };
    Ok(PartnershipPage {
        base: if vendor {
            "/console/mapping"
        } else {
            "/portal/mapping"
        },
        sharing: sharing_rows(own),
        accepted,
        rows: matrix_rows(&matrix),
        total: matrix.total,
        populations: Population::ALL,
        to_confirm,
        chrome,
        m,
        header: Vec::new(),
        mapping: Vec::new(),
        source: String::new(),
        result: None,
        append: false,
        upload_problem: Vec::new(),
        problem: Vec::new(),
        done: None,
        matches_list: format!("mapping/partnerships/{id}/matches"),
        suggestions: state.store.mapping_suggestions(scope, id).await?,
        intros: state.store.mapping_intros(scope, id).await?,
        side: if vendor { Side::Vendor } else { Side::Partner },
    })
}

#[derive(serde::Deserialize)]
struct Done {
    done: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "mapping/cell.html")]
struct CellPage {
    chrome: Chrome,
    base: &'static str,
    m: MappingPartnership,
    vendor: Population,
    partner: Population,
    rows: Vec<OverlapRow>,
    refusal: Option<String>,
    /// The cell as an API list, for its CSV export.
    export_list: String,
}

async fn cell(
    state: &AppState,
    chrome: Chrome,
    scope: &Scope,
    id: &str,
    vendor: &str,
    partner: &str,
) -> Result<Response, UiError> {
    let m = state.store.mapping_partnership(scope, id).await?;
    let (Ok(v), Ok(p)) = (
        Population::parse("vendor", vendor),
        Population::parse("partner", partner),
    ) else {
        return Err(UiError::NotFound);
    };
    let base = if chrome.vendor {
        "/console/mapping"
    } else {
        "/portal/mapping"
    };
    let (rows, refusal, status) = match state.store.mapping_cell(scope, id, v, p).await {
        Ok(rows) => (rows, None, StatusCode::OK),
        Err(partnerops_store::StoreError::Forbidden(d)) => {
            (Vec::new(), Some(d.message), StatusCode::FORBIDDEN)
        }
        Err(e) => return Err(e.into()),
    };
    Ok((
        status,
        CellPage {
            chrome,
            base,
            m,
            vendor: v,
            partner: p,
            rows,
            refusal,
            export_list: format!("mapping/partnerships/{id}/cells/{vendor}/{partner}"),
        },
    )
        .into_response())
}

/// The sharing posted as `share.<population>.<field>` checkboxes.
fn posted_sharing(p: &Posted) -> Sharing {
    let pick = |pop: Population| -> Vec<SharedField> {
        SharedField::ALL
            .iter()
            .copied()
            .filter(|f| {
                p.get(&format!("share.{}.{}", pop.as_str(), f.as_str()))
                    .is_some()
            })
            .collect()
    };
    Sharing {
        customer: pick(Population::Customer),
        open_opportunity: pick(Population::OpenOpportunity),
        prospect: pick(Population::Prospect),
    }
}

/// Runs a side's action; answers the page's `done` word.
async fn run_action(
    state: &AppState,
    actor: &partnerops_store::Actor,
    id: &str,
    action: &str,
    posted: &Posted,
) -> Result<Option<&'static str>, partnerops_store::StoreError> {
    let store = &state.store;
    Ok(match action {
        "accept" => store
            .accept_mapping(actor, id)
            .await
            .map(|_| Some("accepted"))?,
        "end" => store.end_mapping(actor, id).await.map(|_| Some("ended"))?,
        "delete-upload" => store
            .delete_mapping_upload(actor, id)
            .await
            .map(|_| Some("deleted"))?,
        "sharing" => store
            .update_mapping_settings(
                actor,
                id,
                &MappingSettingsInput {
                    sharing: Some(posted_sharing(posted)),
                    ..Default::default()
                },
            )
            .await
            .map(|_| Some("saved"))?,
        "intro" => {
            let match_id = posted.get("match_id").unwrap_or_default();
            store
                .request_mapping_intro(actor, id, &MappingIntroInput { match_id })
                .await
                .map(|_| Some("introduction asked"))?
        }
        "intro-made" | "intro-declined" => {
            let intro_id = posted.get("intro_id").unwrap_or_default();
            store
                .answer_mapping_intro(
                    actor,
                    id,
                    &intro_id,
                    &MappingIntroAnswer {
                        made: action == "intro-made",
                    },
                )
                .await
                .map(|_| Some("answered"))?
        }
        "confirm" | "reject" => {
            let match_id = posted.get("match_id").unwrap_or_default();
            store
                .decide_mapping_match(actor, id, &match_id, action == "confirm")
                .await
                .map(|_| Some("decided"))?
        }
        _ => None,
    })
}

async fn after(
    state: &AppState,
    chrome: Chrome,
    scope: &Scope,
    id: &str,
    run: Result<Option<&'static str>, partnerops_store::StoreError>,
) -> Result<Response, UiError> {
    let base = if chrome.vendor {
        "/console/mapping"
    } else {
        "/portal/mapping"
    };
    match run {
        Ok(Some(done)) => Ok(Redirect::to(&format!("{base}/{id}?done={done}")).into_response()),
        Ok(None) => Err(UiError::NotFound),
        Err(e) => {
            let problem = field_errors(e)?
                .errors
                .iter()
                .map(|e| e.message.clone())
                .collect();
            let mut page = build(state, chrome, scope, id).await?;
            page.problem = problem;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

// ---- the portal ----

async fn portal_list(
    State(state): State<AppState>,
    user: PartnerUser,
) -> Result<Response, UiError> {
    Ok(ListPage {
        chrome: Chrome::new(&user, "mapping"),
        partnerships: state.store.mapping_partnerships(user.scope()).await?,
        problem: Vec::new(),
    }
    .into_response())
}

async fn portal_propose(
    State(state): State<AppState>,
    form: SignedForm<PartnerUser>,
) -> Result<Response, UiError> {
    match state
        .store
        .propose_mapping(&form.user.actor(), &MappingProposalInput::default())
        .await
    {
        Ok(m) => Ok(Redirect::to(&format!("/portal/mapping/{}", m.id)).into_response()),
        Err(e) => {
            let problem = field_errors(e)?
                .errors
                .iter()
                .map(|e| e.message.clone())
                .collect();
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                ListPage {
                    chrome: Chrome::new(&form.user, "mapping"),
                    partnerships: state.store.mapping_partnerships(form.user.scope()).await?,
                    problem,
                },
            )
                .into_response())
        }
    }
}

async fn portal_page(
    State(state): State<AppState>,
    user: PartnerUser,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<Done>,
) -> Result<Response, UiError> {
    let mut page = build(&state, Chrome::new(&user, "mapping"), user.scope(), &id).await?;
    page.done = q.done;
    Ok(page.into_response())
}

async fn portal_action(
    State(state): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    form: SignedForm<PartnerUser>,
) -> Result<Response, UiError> {
    // Another partner's partnership is not found, whatever the action.
    state
        .store
        .mapping_partnership(form.user.scope(), &id)
        .await?;
    let run = run_action(&state, &form.user.actor(), &id, &action, &form.posted).await;
    after(
        &state,
        Chrome::new(&form.user, "mapping"),
        form.user.scope(),
        &id,
        run,
    )
    .await
}

/// `POST /portal/mapping/{id}/upload`: check the file (showing the suggested mapping), or
/// upload it under the confirmed mapping, replacing the current upload or adding to it.
/// Posted by htmx (the page shows the upload's progress; the upload section is swapped in,
/// and a finished upload reloads the page) or as a plain form.
async fn portal_upload(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
    form: SignedForm<PartnerUser>,
) -> Result<Response, UiError> {
    let htmx = headers.contains_key("hx-request");
    let SignedForm {
        user,
        posted: p,
        files,
    } = form;
    let mut page = build(&state, Chrome::new(&user, "mapping"), user.scope(), &id).await?;
    // htmx swaps only successful answers: a refusal is 200 to it, 422 to a plain form.
    let refused = if htmx {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let confirm = p.get("action").as_deref() == Some("upload");
    let append = p.get("append").is_some();
    page.append = append;
    let source = p
        .get("source")
        .and_then(|s| ImportSource::parse("source", &s).ok());
    let map: std::collections::BTreeMap<String, String> = UPLOAD_FIELDS
        .iter()
        .filter_map(|f| {
            p.get(&format!("map.{}", f.name))
                .filter(|c| !c.trim().is_empty())
                .map(|c| (f.name.to_owned(), c))
        })
        .collect();
    let Some(file) = files.into_iter().find(|f| f.field == "file") else {
        page.upload_problem = vec!["Choose a CSV file to upload.".to_owned()];
        return Ok((refused, page).into_response());
    };
    let req = MappingUploadRequest {
        source,
        mapping: (confirm && !map.is_empty()).then_some(ImportMapping(map)),
        file_name: file.name.chars().take(200).collect(),
        dry_run: !confirm,
        append,
        default_population: None,
    };
    let input = std::io::Cursor::new(file.bytes);
    match state
        .store
        .upload_mapping(&user.actor(), &id, req, input)
        .await
    {
        Ok(result) => {
            if confirm && result.error_count == 0 {
                let to = format!("/portal/mapping/{id}?done=uploaded");
                if htmx {
                    return Ok(([("HX-Redirect", to)], StatusCode::OK).into_response());
                }
                return Ok(Redirect::to(&to).into_response());
            }
            page.source = result.source.as_str().to_owned();
            page.header = result.header.clone();
            page.mapping = UPLOAD_FIELDS
                .iter()
                .map(|f| MappingField {
                    name: f.name,
                    required: f.required,
                    column: result.mapping.column(f.name).unwrap_or_default().to_owned(),
                })
                .collect();
            page.upload_problem = result
                .errors
                .iter()
                .map(|e| format!("{}: {}", e.place(), e.message))
                .collect();
            let status = if page.upload_problem.is_empty() {
                StatusCode::OK
            } else {
                refused
            };
            page.result = Some(result);
            Ok((status, page).into_response())
        }
        Err(e) => {
            page.upload_problem = field_errors(e)?
                .errors
                .iter()
                .map(|e| e.message.clone())
                .collect();
            Ok((refused, page).into_response())
        }
    }
}

async fn portal_cell(
    State(state): State<AppState>,
    user: PartnerUser,
    Path((id, vendor, partner)): Path<(String, String, String)>,
) -> Result<Response, UiError> {
    cell(
        &state,
        Chrome::new(&user, "mapping"),
        user.scope(),
        &id,
        &vendor,
        &partner,
    )
    .await
}

// ---- the console ----

async fn console_list(State(state): State<AppState>, user: Staff) -> Result<Response, UiError> {
    Ok(ListPage {
        chrome: Chrome::new(&user, "mapping"),
        partnerships: state.store.mapping_partnerships(user.scope()).await?,
        problem: Vec::new(),
    }
    .into_response())
}

async fn console_page(
    State(state): State<AppState>,
    user: Staff,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<Done>,
) -> Result<Response, UiError> {
    let mut page = build(&state, Chrome::new(&user, "mapping"), user.scope(), &id).await?;
    page.done = q.done;
    Ok(page.into_response())
}

async fn console_action(
    State(state): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    let run = run_action(&state, &form.user.actor(), &id, &action, &form.posted).await;
    after(
        &state,
        Chrome::new(&form.user, "mapping"),
        form.user.scope(),
        &id,
        run,
    )
    .await
}

async fn console_cell(
    State(state): State<AppState>,
    user: Staff,
    Path((id, vendor, partner)): Path<(String, String, String)>,
) -> Result<Response, UiError> {
    cell(
        &state,
        Chrome::new(&user, "mapping"),
        user.scope(),
        &id,
        &vendor,
        &partner,
    )
    .await
}

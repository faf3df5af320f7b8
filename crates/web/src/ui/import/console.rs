//! Vendor staff: the import page. The form posts the file with htmx (`hx-encoding`
//! multipart) and swaps in only the result, so the chosen file stays in the form for the
//! next step: check it (a dry run, with the suggested mapping), adjust the mapping, import.
//! Without JavaScript the same form posts and the whole page comes back.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use partnerops_core::import::mapping::fields;
use partnerops_core::import::{ImportKind, ImportMapping, ImportRun, ImportSource, ImportStatus};
use std::collections::BTreeMap;

use crate::AppState;
use crate::api::parse_import_request as parse_request;
use crate::ui::form::field_errors;
use crate::ui::guard::Staff;
use crate::ui::session::SignedForm;
use crate::ui::{Chrome, UiError};

/// One of our fields and the column feeding it, for the mapping form.
struct MappingField {
    name: &'static str,
    required: bool,
    column: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "import/console/imports.html")]
pub(super) struct ImportsPage {
    chrome: Chrome,
    runs: Vec<ImportRun>,
    kinds: &'static [ImportKind],
    sources: &'static [ImportSource],
    kind: String,
    source: String,
    /// The run just done (or checked), with the file's header.
    result: Option<ImportRun>,
    mapping: Vec<MappingField>,
    /// Why nothing ran (a bad parameter, no file).
    problem: Vec<String>,
}

async fn build(state: &AppState, user: &Staff) -> Result<ImportsPage, UiError> {
    Ok(ImportsPage {
        chrome: Chrome::new(user, "imports"),
        runs: state.store.import_runs(&user.actor()).await?,
        kinds: ImportKind::ALL,
        sources: ImportSource::ALL,
        kind: ImportKind::Accounts.as_str().to_owned(),
        source: String::new(),
        result: None,
        mapping: Vec::new(),
        problem: Vec::new(),
    })
}

/// `GET /console/imports`.
pub(super) async fn page(State(state): State<AppState>, user: Staff) -> Result<Response, UiError> {
    Ok(build(&state, &user).await?.into_response())
}

/// `POST /console/imports`: check (dry run) or import the posted file.
pub(super) async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: SignedForm<Staff>,
) -> Result<Response, UiError> {
    let p = &form.posted;
    let mut page = build(&state, &form.user).await?;
    page.kind = p.get("kind").unwrap_or_default();
    page.source = p.get("source").unwrap_or_default();
    let import = p.get("action").as_deref() == Some("import");
    // The mapping as the form shows it (`map.<field>` selects), for the chosen kind only.
    let mapping = ImportKind::parse("kind", &page.kind).ok().and_then(|kind| {
        let map: BTreeMap<String, String> = fields(kind)
            .iter()
            .filter_map(|f| {
                p.get(&format!("map.{}", f.name))
                    .filter(|c| !c.trim().is_empty())
                    .map(|c| (f.name.to_owned(), c))
            })
            .collect();
        (!map.is_empty()).then(|| ImportMapping(map).to_text())
    });
    let file = form.files.iter().find(|f| f.field == "file");
    let parsed = parse_request(
        Some(page.kind.as_str()),
        Some(page.source.as_str()),
        mapping.as_deref(),
        !import,
        file.map(|f| f.name.as_str()),
    );
    match (parsed, file) {
        (Err(inv), _) => page.problem = inv.errors.iter().map(|e| e.message.clone()).collect(),
        (Ok(_), None) => page.problem = vec!["Choose a CSV file to import.".to_owned()],
        (Ok((mut req, detect)), Some(file)) => {
            if detect
                && let Ok(r) =
                    partnerops_core::import::reader::ImportReader::new(file.bytes.as_slice())
            {
                req.source = partnerops_core::import::mapping::detect_source(req.kind, r.header());
            }
            let kind = req.kind;
            let input = std::io::Cursor::new(file.bytes.clone());
            match state.store.import(&form.user.actor(), req, input).await {
                Ok(run) => {
                    page.source = run.source.as_str().to_owned();
                    page.mapping = fields(kind)
                        .iter()
                        .map(|f| MappingField {
                            name: f.name,
                            required: f.required,
                            column: run.mapping.column(f.name).unwrap_or_default().to_owned(),
                        })
                        .collect();
                    page.result = Some(run);
                }
                Err(e) => {
                    page.problem = field_errors(e)?
                        .errors
                        .iter()
                        .map(|e| e.message.clone())
                        .collect()
                }
            }
        }
    }
    // A real import is on the list now, done or refused.
    page.runs = state.store.import_runs(&form.user.actor()).await?;
    // htmx swaps only successful answers; a browser without it gets the status.
    let refused = !page.problem.is_empty()
        || page
            .result
            .as_ref()
            .is_some_and(|r| r.status == ImportStatus::Refused);
    let status = if refused && !headers.contains_key("hx-request") {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, page).into_response())
}

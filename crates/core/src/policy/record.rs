//! Published policy versions, differences and drafts as the API shows them.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::ProgramPolicy;
use super::diff::Change;
use crate::kernel::ids::{DraftCommentId, PartnerId, PolicyDraftId};
use crate::text_enum;

/// One published version of a program's policy.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PolicyVersion {
    pub program_id: String,
    pub version: i64,
    /// The TOML document.
    pub document: String,
    #[serde(skip)]
    pub policy: ProgramPolicy,
    pub author_name: String,
    pub change_note: String,
    pub published_at: Option<DateTime<Utc>>,
    /// Advice that did not block publishing (cohort or council size outside the seed's range).
    pub warnings: Vec<String>,
}

/// A readable difference between two versions.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PolicyDiff {
    pub from_version: i64,
    pub to_version: i64,
    pub changes: Vec<Change>,
    /// The changes as text, one line each (`~ key: old → new`).
    pub text: String,
}

text_enum!(
    /// Where a draft is.
    DraftStatus {
        Draft = "draft" / "Draft",
        Shared = "shared" / "Shared with the advisory council",
        Published = "published" / "Published",
        Discarded = "discarded" / "Discarded",
    }
);

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PolicyDraft {
    pub id: PolicyDraftId,
    pub program_id: String,
    pub base_version: i64,
    pub document: String,
    pub note: String,
    pub status: DraftStatus,
    pub author_name: String,
    pub published_version: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// What the draft changes against the version it was drafted from.
    pub changes: Vec<Change>,
    pub warnings: Vec<String>,
    pub comments: Vec<DraftComment>,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DraftComment {
    pub id: DraftCommentId,
    pub partner_id: Option<PartnerId>,
    pub author_name: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

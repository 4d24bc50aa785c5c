//! Versioned documents (standards books, checklists): drafts are edited in place, published
//! versions never change, and editing after a publication starts the next version as a draft.

use std::str::FromStr;

use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

use crate::error::ApiError;
use crate::standards::dto::VersionStatus;

impl VersionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            VersionStatus::Draft => "draft",
            VersionStatus::Published => "published",
        }
    }
}

impl FromStr for VersionStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "draft" => Ok(VersionStatus::Draft),
            "published" => Ok(VersionStatus::Published),
            other => Err(format!("unknown version status {other:?}")),
        }
    }
}

/// Where saving draft content goes, given the newest version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DraftSave {
    /// The newest version is a draft: change it in place.
    Update { version: i32 },
    /// The newest version is published: the content becomes the next version, as a draft.
    Create { version: i32 },
}

pub fn draft_save(latest_version: i32, latest_status: VersionStatus) -> DraftSave {
    match latest_status {
        VersionStatus::Draft => DraftSave::Update {
            version: latest_version,
        },
        VersionStatus::Published => DraftSave::Create {
            version: latest_version + 1,
        },
    }
}

/// A write based on `expected` (from `If-Match`) must find the draft at that revision.
pub fn check_revision(expected: Option<i32>, current: i32) -> Result<(), ApiError> {
    match expected {
        Some(e) if e != current => Err(ApiError::PreconditionFailed(format!(
            "the draft changed; its revision is now {current}"
        ))),
        _ => Ok(()),
    }
}

/// Publishing needs a draft.
pub fn check_publishable(status: VersionStatus) -> Result<(), ApiError> {
    match status {
        VersionStatus::Draft => Ok(()),
        VersionStatus::Published => Err(ApiError::Conflict {
            detail: "there is no draft to publish; the newest version is already published".into(),
            current_state: Some("published".into()),
        }),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Publish the imported version at once (default: keep it as a draft).
    pub publish: Option<bool>,
}

/// A version's JSON with its revision as `ETag`, its address as `Content-Location`, and as
/// `Location` too when it was just created.
pub fn version_response<T: Serialize>(
    status: actix_web::http::StatusCode,
    body: &T,
    location: String,
    revision: i32,
) -> Result<actix_web::HttpResponse, ApiError> {
    use actix_web::http::{header, StatusCode};
    let mut response = crate::http::json_with_etag(status, body, revision);
    let value = header::HeaderValue::from_str(&location).map_err(ApiError::internal)?;
    response
        .headers_mut()
        .insert(header::CONTENT_LOCATION, value.clone());
    if status == StatusCode::CREATED {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

/// A version number from a path: a positive integer, or 404.
pub fn parse_version(raw: &str) -> Result<i32, ApiError> {
    raw.parse::<i32>()
        .ok()
        .filter(|v| *v > 0)
        .ok_or_else(|| ApiError::NotFound(format!("no version {raw:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saving_after_publication_starts_the_next_version() {
        assert_eq!(
            draft_save(1, VersionStatus::Draft),
            DraftSave::Update { version: 1 }
        );
        assert_eq!(
            draft_save(3, VersionStatus::Published),
            DraftSave::Create { version: 4 }
        );
    }

    #[test]
    fn stale_revisions_and_published_versions_are_refused() {
        assert!(check_revision(None, 4).is_ok());
        assert!(check_revision(Some(4), 4).is_ok());
        assert!(matches!(
            check_revision(Some(3), 4),
            Err(ApiError::PreconditionFailed(_))
        ));
        assert!(check_publishable(VersionStatus::Draft).is_ok());
        assert!(matches!(
            check_publishable(VersionStatus::Published),
            Err(ApiError::Conflict { .. })
        ));
    }
}

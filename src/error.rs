//! One error type for the whole API and the only place where HTTP statuses are chosen.
//!
//! Every failure leaves the server as an RFC 9457 `application/problem+json` document. Internal
//! errors are logged (inside the request's span, so the log line carries the request id) and the
//! client sees a generic text: database messages never reach a response body.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One offending input field of a validation failure.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct FieldError {
    /// Where the problem is: a JSON field path (`email`, `scopes[1]`) or a query/header name.
    pub field: String,
    /// What is wrong with it, in words a person can act on.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// An organization to choose when one email and password open accounts in several.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct OrganizationChoice {
    pub id: String,
    pub name: String,
}

/// RFC 9457 problem details, as every error response carries them.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem (`urn:shopgap:problem:<slug>`).
    #[serde(rename = "type")]
    pub problem_type: String,
    /// Short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong with this request.
    pub detail: String,
    /// For validation failures: every offending field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// For state conflicts: the current state of the resource.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_state: Option<String>,
    /// For a sign-in that opens accounts in several organizations: the ones to choose from
    /// (send one's id as `organization_id`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organizations: Option<Vec<OrganizationChoice>>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("invalid input")]
    InvalidInput(Vec<FieldError>),
    #[error("unauthenticated: {0}")]
    Unauthenticated(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("method not allowed")]
    MethodNotAllowed { allow: Vec<String> },
    #[error("conflict: {detail}")]
    Conflict {
        detail: String,
        current_state: Option<String>,
    },
    #[error("precondition failed: {0}")]
    PreconditionFailed(String),
    #[error("precondition required: {0}")]
    PreconditionRequired(String),
    #[error("URI too long: {0}")]
    UriTooLong(String),
    #[error("payload too large: {0}")]
    PayloadTooLarge(String),
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    #[error("validation failed")]
    Unprocessable(Vec<FieldError>),
    /// The email and password open accounts in several organizations.
    #[error("choose an organization")]
    ChooseOrganization(Vec<OrganizationChoice>),
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// Anything the client cannot fix. The message is logged, never sent.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn conflict(detail: impl Into<String>) -> Self {
        ApiError::Conflict {
            detail: detail.into(),
            current_state: None,
        }
    }

    pub fn unprocessable(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::Unprocessable(vec![FieldError::new(field, message)])
    }

    pub fn internal(err: impl std::fmt::Display) -> Self {
        ApiError::Internal(err.to_string())
    }

    fn slug_and_title(&self) -> (&'static str, &'static str) {
        match self {
            ApiError::BadRequest(_) => ("bad-request", "Bad request"),
            ApiError::InvalidInput(_) => ("invalid-input", "Invalid input"),
            ApiError::Unauthenticated(_) => ("unauthenticated", "Authentication required"),
            ApiError::Forbidden(_) => ("forbidden", "Forbidden"),
            ApiError::NotFound(_) => ("not-found", "Not found"),
            ApiError::MethodNotAllowed { .. } => ("method-not-allowed", "Method not allowed"),
            ApiError::Conflict { .. } => ("conflict", "Conflict"),
            ApiError::PreconditionFailed(_) => ("precondition-failed", "Precondition failed"),
            ApiError::PreconditionRequired(_) => ("precondition-required", "Precondition required"),
            ApiError::PayloadTooLarge(_) => ("payload-too-large", "Payload too large"),
            ApiError::UriTooLong(_) => ("uri-too-long", "URI too long"),
            ApiError::UnsupportedMediaType(_) => {
                ("unsupported-media-type", "Unsupported media type")
            }
            ApiError::Unprocessable(_) => ("validation", "Validation failed"),
            ApiError::ChooseOrganization(_) => ("choose-organization", "Choose an organization"),
            ApiError::TooManyRequests { .. } => ("too-many-requests", "Too many requests"),
            ApiError::Unavailable(_) => ("unavailable", "Service unavailable"),
            ApiError::Internal(_) => ("internal", "Internal server error"),
        }
    }

    pub fn to_problem(&self) -> Problem {
        let (slug, title) = self.slug_and_title();
        let detail = match self {
            ApiError::BadRequest(d)
            | ApiError::Unauthenticated(d)
            | ApiError::Forbidden(d)
            | ApiError::NotFound(d)
            | ApiError::PreconditionFailed(d)
            | ApiError::PreconditionRequired(d)
            | ApiError::PayloadTooLarge(d)
            | ApiError::UriTooLong(d)
            | ApiError::UnsupportedMediaType(d)
            | ApiError::Unavailable(d) => d.clone(),
            ApiError::Conflict { detail, .. } => detail.clone(),
            ApiError::InvalidInput(e) | ApiError::Unprocessable(e) => summarize(e),
            ApiError::ChooseOrganization(choices) => format!(
                "this email and password open accounts in {} organizations; sign in again with \
                 `organization_id` set to one of `organizations`",
                choices.len()
            ),
            ApiError::MethodNotAllowed { allow } => {
                format!("this resource supports only {}", allow.join(", "))
            }
            ApiError::TooManyRequests { retry_after_secs } => {
                format!("too many attempts; retry after {retry_after_secs} s")
            }
            ApiError::Internal(_) => {
                "the server could not complete the request; it has been logged".into()
            }
        };
        let errors = match self {
            ApiError::InvalidInput(e) | ApiError::Unprocessable(e) => e.clone(),
            ApiError::ChooseOrganization(_) => vec![FieldError::new(
                "organization_id",
                "required: this email and password open accounts in several organizations",
            )],
            _ => Vec::new(),
        };
        let current_state = match self {
            ApiError::Conflict { current_state, .. } => current_state.clone(),
            _ => None,
        };
        Problem {
            problem_type: format!("urn:shopgap:problem:{slug}"),
            title: title.into(),
            status: self.status_code().as_u16(),
            detail,
            errors,
            current_state,
            organizations: match self {
                ApiError::ChooseOrganization(choices) => Some(choices.clone()),
                _ => None,
            },
        }
    }
}

fn summarize(errors: &[FieldError]) -> String {
    match errors {
        [] => "the request is not valid".into(),
        [one] => format!("{}: {}", one.field, one.message),
        many => format!("{} fields are not valid", many.len()),
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) | ApiError::InvalidInput(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            ApiError::PreconditionRequired(_) => StatusCode::PRECONDITION_REQUIRED,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UriTooLong(_) => StatusCode::URI_TOO_LONG,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unprocessable(_) | ApiError::ChooseOrganization(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(message) = self {
            tracing::error!(error = %message, "internal error");
        }
        let mut builder = HttpResponse::build(self.status_code());
        builder.content_type("application/problem+json");
        match self {
            ApiError::Unauthenticated(_) => {
                builder.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"shopgap\""));
            }
            ApiError::TooManyRequests { retry_after_secs } => {
                builder.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            ApiError::MethodNotAllowed { allow } => {
                builder.insert_header((header::ALLOW, allow.join(", ")));
            }
            ApiError::Unavailable(_) => {
                builder.insert_header((header::RETRY_AFTER, "5"));
            }
            _ => {}
        }
        builder.json(self.to_problem())
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(err: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match err {
            Error::NotFound => ApiError::NotFound("no such resource".into()),
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                ApiError::conflict("a resource with the same unique value already exists")
            }
            Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => {
                ApiError::conflict("a concurrent change won; retry the request")
            }
            // A PostgreSQL connection lost mid-request (a restarted server): nothing of the
            // request's transaction was kept unless it committed, and the pool replaces the
            // connection at its next checkout (`db::Liveness`), so a retry is the remedy.
            Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => {
                ApiError::Unavailable("the database connection was lost; retry shortly".into())
            }
            other => ApiError::Internal(format!("database: {other}")),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::result::{DatabaseErrorKind, Error};

    fn database(kind: DatabaseErrorKind) -> ApiError {
        ApiError::from(Error::DatabaseError(kind, Box::new("detail".to_string())))
    }

    /// A lost connection is a reason to retry (503, `Retry-After`), not a server fault; the
    /// other database failures keep their meaning.
    #[test]
    fn database_failures_answer_what_the_client_can_do() {
        let lost = database(DatabaseErrorKind::ClosedConnection);
        assert_eq!(lost.status_code(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(lost
            .error_response()
            .headers()
            .contains_key(header::RETRY_AFTER));
        assert_eq!(
            database(DatabaseErrorKind::UniqueViolation).status_code(),
            StatusCode::CONFLICT
        );
        assert_eq!(
            database(DatabaseErrorKind::Unknown).status_code(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }
}

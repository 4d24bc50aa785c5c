use actix_web::http::StatusCode;
use actix_web::{get, post, put, web, HttpRequest, HttpResponse};
use chrono::Utc;

use super::dto::{
    EditInput, ReviewInput, Submission, SubmissionContent, SubmissionFilter, SubmissionList,
    SubmissionStatus,
};
use super::{repo, service};
use crate::auth::caller::{Caller, Principal};
use crate::auth::rules::{Permission, Role};
use crate::error::{ApiError, ApiResult, Problem};
use crate::http::{
    if_match, json_with_etag, next_cursor, parse_id, ApiJson, ApiQuery, OptionalJson, PageQuery,
};
use crate::state::AppState;

fn respond(status: StatusCode, submission: Submission) -> HttpResponse {
    let version = submission.version;
    json_with_etag(status, &submission, version)
}

/// Saves the shopper's draft under the id the phone chose. Sending it again is harmless; after
/// final submission the same content answers the stored submission and other content 409.
#[utoipa::path(
    tag = "submissions",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Submission id, chosen by the app (a UUID)")),
    request_body = SubmissionContent,
    responses(
        (status = 200, description = "The draft", body = Submission, headers(("ETag" = String))),
        (status = 409, description = "Already submitted with other content, or the assignment is not open for work", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/v1/submissions/{id}")]
pub async fn save_submission_draft(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: ApiJson<SubmissionContent>,
) -> ApiResult<HttpResponse> {
    let me = caller.require_shopper()?;
    let id = parse_id(&id)?;
    // The submission's lock, taken with the transaction (`lock_for_transaction` in the service).
    let key = id.clone();
    let org = caller.organization_id.clone();
    let sent = service::Sent::new(body.0)?;
    let submission = state
        .db
        .transaction_locking(Some(&key), move |conn| {
            let row = service::save_draft(conn, &org, &me, &id, sent, Utc::now().naive_utc())?;
            service::to_dto(conn, row, false)
        })
        .await?;
    Ok(respond(StatusCode::OK, submission))
}

/// Submits the shopper's work: checked against the checklist and the window (422 lists every
/// offending item and changes nothing), scored and flagged once. Retrying with the same content
/// returns the same result.
#[utoipa::path(
    tag = "submissions",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Submission id, chosen by the app (a UUID)")),
    request_body = SubmissionContent,
    responses(
        (status = 200, description = "Submitted", body = Submission, headers(("ETag" = String))),
        (status = 409, description = "Already submitted with other content, or the assignment is not open for work", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/submissions/{id}/submit")]
pub async fn submit(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: ApiJson<SubmissionContent>,
) -> ApiResult<HttpResponse> {
    let me = caller.require_shopper()?;
    let id = parse_id(&id)?;
    // The submission's lock, taken with the transaction (`lock_for_transaction` in the service).
    let key = id.clone();
    let org = caller.organization_id.clone();
    let config = state.config.clone();
    let see_scores = caller
        .identity
        .as_ref()
        .map(|i| i.organization.shoppers_see_scores);
    let sent = service::Sent::new(body.0)?;
    let (row, facts) = state
        .db
        .transaction_locking(Some(&key), move |conn| {
            service::submit(
                conn,
                &config,
                &org,
                &me,
                &id,
                sent,
                see_scores,
                Utc::now().naive_utc(),
            )
        })
        .await?;
    // Built after the commit, off the SQLite writer thread.
    let submission = service::assemble(row, facts)?;
    Ok(respond(StatusCode::OK, submission))
}

/// One submission: the shopper's own, or any for reviewers (with scores).
#[utoipa::path(
    tag = "submissions",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Submission id")),
    responses((status = 200, description = "The submission", body = Submission, headers(("ETag" = String))))
)]
#[get("/v1/submissions/{id}")]
pub async fn get_submission(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = parse_id(&id)?;
    let own = match caller.principal {
        Principal::User {
            role: Role::Shopper,
            ..
        } => Some(caller.require_shopper()?),
        _ => {
            caller.require(Permission::SubmissionsRead)?;
            None
        }
    };
    let org = caller.organization_id.clone();
    let submission = state
        .db
        .run(move |conn| {
            let row = repo::find_in_org(conn, &org, &id)?;
            if own.as_ref().is_some_and(|me| *me != row.shopper_id) {
                return Err(ApiError::NotFound("no such submission".into()));
            }
            service::to_dto(conn, row, own.is_none())
        })
        .await?;
    Ok(respond(StatusCode::OK, submission))
}

/// Submissions, filtered by status (`submitted` is the review queue). Shoppers see their own.
#[utoipa::path(
    tag = "submissions",
    security(("bearer" = []), ("api_key" = [])),
    params(SubmissionFilter, PageQuery),
    responses((status = 200, description = "One page", body = SubmissionList))
)]
#[get("/v1/submissions")]
pub async fn list_submissions(
    state: web::Data<AppState>,
    caller: Caller,
    filter: ApiQuery<SubmissionFilter>,
    page: ApiQuery<PageQuery>,
) -> ApiResult<web::Json<SubmissionList>> {
    let own = match caller.principal {
        Principal::User {
            role: Role::Shopper,
            ..
        } => Some(caller.require_shopper()?),
        _ => {
            caller.require(Permission::SubmissionsRead)?;
            None
        }
    };
    let limit = page.limit()?;
    let after = page.after()?;
    let org = caller.organization_id.clone();
    let status = filter.status.map(|s| s.as_str());
    let flag = filter.flag.map(|f| f.as_str());
    let (items, next) = state
        .db
        .run(move |conn| {
            let mut rows = repo::list(
                conn,
                &org,
                status,
                flag,
                own.as_deref(),
                after.as_deref(),
                limit,
            )?;
            let next = next_cursor(&mut rows, limit, |r| r.id.as_str());
            let items = rows
                .into_iter()
                .map(|r| service::to_dto(conn, r, own.is_none()))
                .collect::<ApiResult<Vec<_>>>()?;
            Ok((items, next))
        })
        .await?;
    Ok(web::Json(SubmissionList {
        items,
        next_cursor: next,
    }))
}

async fn decide(
    state: &AppState,
    caller: &Caller,
    req: &HttpRequest,
    id: &str,
    decision: SubmissionStatus,
    input: ReviewInput,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::SubmissionsReview)?;
    let id = parse_id(id)?;
    // The submission's lock, taken with the transaction (`lock_for_transaction` in the service).
    let key = id.clone();
    let expected = if_match(req)?;
    let (org, reviewer) = caller.owned_ids();
    let submission = state
        .db
        .transaction_locking(Some(&key), move |conn| {
            let row = service::review(
                conn,
                &org,
                reviewer.as_deref(),
                &id,
                decision,
                input,
                expected,
                Utc::now().naive_utc(),
            )?;
            service::to_dto(conn, row, true)
        })
        .await?;
    Ok(respond(StatusCode::OK, submission))
}

/// Approves a submitted shop (managers, admins). `If-Match` is required.
#[utoipa::path(
    tag = "submissions",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Submission id"), ("If-Match" = String, Header, description = "The submission's ETag")),
    request_body(content = Option<ReviewInput>, description = "Optional comment"),
    responses(
        (status = 200, description = "Approved", body = Submission),
        (status = 409, description = "Not waiting for review", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since the given ETag", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/submissions/{id}/approve")]
pub async fn approve(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    body: OptionalJson<ReviewInput>,
) -> ApiResult<HttpResponse> {
    decide(
        &state,
        &caller,
        &req,
        &id,
        SubmissionStatus::Approved,
        body.0,
    )
    .await
}

/// Returns a shop to the shopper for correction, with comments on items. `If-Match` is required.
#[utoipa::path(
    tag = "submissions",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Submission id"), ("If-Match" = String, Header, description = "The submission's ETag")),
    request_body(content = Option<ReviewInput>, description = "Comment and comments on items"),
    responses(
        (status = 200, description = "Returned to the shopper", body = Submission),
        (status = 409, description = "Not waiting for review", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since the given ETag", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/submissions/{id}/return")]
pub async fn return_for_correction(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    body: OptionalJson<ReviewInput>,
) -> ApiResult<HttpResponse> {
    decide(
        &state,
        &caller,
        &req,
        &id,
        SubmissionStatus::Returned,
        body.0,
    )
    .await
}

/// Rejects a shop as invalid, with a reason (`comment`): a submitted one, or an approved one
/// when fraud comes to light later (it then leaves the reports). `If-Match` is required.
#[utoipa::path(
    tag = "submissions",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Submission id"), ("If-Match" = String, Header, description = "The submission's ETag")),
    request_body = ReviewInput,
    responses(
        (status = 200, description = "Rejected", body = Submission),
        (status = 409, description = "Not waiting for review", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since the given ETag", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/submissions/{id}/reject")]
pub async fn reject(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    body: OptionalJson<ReviewInput>,
) -> ApiResult<HttpResponse> {
    decide(
        &state,
        &caller,
        &req,
        &id,
        SubmissionStatus::Rejected,
        body.0,
    )
    .await
}

/// A reviewer changes one answer, saying why (managers, admins). The shopper's original is
/// kept, the edit audited, the scores recomputed. `If-Match` is required.
#[utoipa::path(
    tag = "submissions",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Submission id"), ("If-Match" = String, Header, description = "The submission's ETag")),
    request_body = EditInput,
    responses(
        (status = 200, description = "Edited and rescored", body = Submission),
        (status = 409, description = "Not submitted or approved", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since the given ETag", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/submissions/{id}/edits")]
pub async fn edit_answer(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    body: ApiJson<EditInput>,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::SubmissionsReview)?;
    let id = parse_id(&id)?;
    // The submission's lock, taken with the transaction (`lock_for_transaction` in the service).
    let key = id.clone();
    let expected = if_match(&req)?;
    let (org, reviewer) = caller.owned_ids();
    let submission = state
        .db
        .transaction_locking(Some(&key), move |conn| {
            let row = service::edit(
                conn,
                &org,
                reviewer.as_deref(),
                &id,
                body.0,
                expected,
                Utc::now().naive_utc(),
            )?;
            service::to_dto(conn, row, true)
        })
        .await?;
    Ok(respond(StatusCode::OK, submission))
}

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{get, post, put, web, HttpRequest, HttpResponse};
use chrono::Utc;
use diesel::prelude::*;

use super::dto::{
    AttemptInput, CertificationList, Quiz, QuizAttempt, QuizAttemptList, QuizInput, QuizList,
    QuizVersion, QuizVersionSummary,
};
use super::service;
use crate::auth::caller::Caller;
use crate::auth::rules::{Permission, Role};
use crate::db::schema::quiz_versions;
use crate::error::{ApiError, ApiResult, Problem};
use crate::http::{if_match, next_cursor, parse_id, ApiJson, ApiQuery, PageQuery};
use crate::state::AppState;
use crate::versioning::{self, parse_version, Actor, DocumentRow, ImportQuery};

fn version_response(status: StatusCode, version: QuizVersion) -> ApiResult<HttpResponse> {
    let location = format!(
        "/v1/quizzes/{}/versions/{}",
        version.quiz_id, version.version
    );
    let revision = version.revision;
    versioning::version_response(status, &version, location, revision)
}

type SummaryRow = (String, String, i32, String, Option<chrono::NaiveDateTime>);

fn summaries(
    conn: &mut crate::db::DbConn,
    quiz_ids: &[String],
) -> ApiResult<HashMap<String, Vec<QuizVersionSummary>>> {
    let rows: Vec<SummaryRow> = quiz_versions::table
        .filter(quiz_versions::quiz_id.eq_any(quiz_ids))
        .select((
            quiz_versions::quiz_id,
            quiz_versions::id,
            quiz_versions::version,
            quiz_versions::status,
            quiz_versions::published_at,
        ))
        .order((quiz_versions::quiz_id.asc(), quiz_versions::version.desc()))
        .load(conn)?;
    let mut by: HashMap<String, Vec<QuizVersionSummary>> = HashMap::new();
    for (quiz, id, version, status, published_at) in rows {
        by.entry(quiz).or_default().push(QuizVersionSummary {
            id: id.parse().map_err(ApiError::internal)?,
            version,
            status: status.parse().map_err(ApiError::internal)?,
            published_at: published_at.map(|t| t.and_utc()),
        });
    }
    Ok(by)
}

fn quiz(row: DocumentRow, versions: Vec<QuizVersionSummary>) -> ApiResult<Quiz> {
    Ok(Quiz {
        id: row.id.parse().map_err(ApiError::internal)?,
        name: row.name,
        versions,
        created_at: row.created_at.and_utc(),
    })
}

/// Creates a certification quiz; version 1 is a draft unless `publish=true` (managers, admins,
/// keys with `standards:write`).
#[utoipa::path(
    tag = "certification",
    security(("bearer" = []), ("api_key" = [])),
    params(ImportQuery),
    request_body = QuizInput,
    responses((status = 201, description = "The quiz's first version", body = QuizVersion,
        headers(("Location" = String), ("ETag" = String))))
)]
#[post("/v1/quizzes")]
pub async fn create_quiz(
    state: web::Data<AppState>,
    caller: Caller,
    query: ApiQuery<ImportQuery>,
    body: ApiJson<QuizInput>,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::StandardsWrite)?;
    let (org, user) = caller.owned_ids();
    let publish = query.publish.unwrap_or(false);
    let version = state
        .db
        .transaction(move |conn| {
            let actor = Actor {
                organization_id: &org,
                user_id: user.as_deref(),
            };
            let row = service::create(
                conn,
                actor,
                body.into_inner(),
                publish,
                Utc::now().naive_utc(),
            )?;
            service::to_dto(row)
        })
        .await?;
    version_response(StatusCode::CREATED, version)
}

/// The organization's quizzes with their versions (managers, admins, keys with
/// `standards:read`).
#[utoipa::path(
    tag = "certification",
    security(("bearer" = []), ("api_key" = [])),
    params(PageQuery),
    responses((status = 200, description = "One page of quizzes", body = QuizList))
)]
#[get("/v1/quizzes")]
pub async fn list_quizzes(
    state: web::Data<AppState>,
    caller: Caller,
    page: ApiQuery<PageQuery>,
) -> ApiResult<web::Json<QuizList>> {
    caller.require(Permission::StandardsRead)?;
    let limit = page.limit()?;
    let after = page.after()?;
    let org = caller.organization_id.clone();
    let (mut rows, mut versions) = state
        .db
        .run(move |conn| {
            let rows = service::STORE.list_documents(conn, &org, after.as_deref(), limit)?;
            let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
            Ok((rows, summaries(conn, &ids)?))
        })
        .await?;
    let next_cursor = next_cursor(&mut rows, limit, |r| r.id.as_str());
    let items = rows
        .into_iter()
        .map(|r| {
            let v = versions.remove(&r.id).unwrap_or_default();
            quiz(r, v)
        })
        .collect::<ApiResult<_>>()?;
    Ok(web::Json(QuizList { items, next_cursor }))
}

/// One quiz with its versions, newest first.
#[utoipa::path(
    tag = "certification",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Quiz id")),
    responses((status = 200, description = "The quiz", body = Quiz))
)]
#[get("/v1/quizzes/{id}")]
pub async fn get_quiz(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<web::Json<Quiz>> {
    caller.require(Permission::StandardsRead)?;
    let id = parse_id(&id)?;
    let org = caller.organization_id.clone();
    let (row, mut versions) = state
        .db
        .run(move |conn| {
            let row = service::STORE.find_document(conn, &org, &id)?;
            let versions = summaries(conn, std::slice::from_ref(&row.id))?;
            Ok((row, versions))
        })
        .await?;
    let v = versions.remove(&row.id).unwrap_or_default();
    Ok(web::Json(quiz(row, v)?))
}

/// One version of a quiz, with its correct answers.
#[utoipa::path(
    tag = "certification",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Quiz id"), ("version" = i32, Path, description = "Version number")),
    responses((status = 200, description = "The version", body = QuizVersion, headers(("ETag" = String))))
)]
#[get("/v1/quizzes/{id}/versions/{version}")]
pub async fn get_quiz_version(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::StandardsRead)?;
    let (id, version) = path.into_inner();
    let (id, version) = (parse_id(&id)?, parse_version(&version)?);
    let org = caller.organization_id.clone();
    let version = state
        .db
        .run(move |conn| service::to_dto(service::find_version(conn, &org, &id, version)?))
        .await?;
    version_response(StatusCode::OK, version)
}

/// Saves the quiz's draft (in place, or as the next version after a published one).
#[utoipa::path(
    tag = "certification",
    security(("bearer" = []), ("api_key" = [])),
    params(
        ("id" = uuid::Uuid, Path, description = "Quiz id"),
        ("If-Match" = Option<String>, Header, description = "ETag (revision) of the draft this edit is based on"),
    ),
    request_body = QuizInput,
    responses(
        (status = 200, description = "The draft, changed", body = QuizVersion, headers(("ETag" = String))),
        (status = 201, description = "A new draft version", body = QuizVersion, headers(("Location" = String), ("ETag" = String))),
        (status = 409, description = "Another draft was started at the same moment", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The draft changed since the given ETag", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/v1/quizzes/{id}/draft")]
pub async fn save_quiz_draft(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    body: ApiJson<QuizInput>,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::StandardsWrite)?;
    let id = parse_id(&id)?;
    let expected = if_match(&req)?;
    let (org, user) = caller.owned_ids();
    let (version, created) = state
        .db
        .transaction(move |conn| {
            let actor = Actor {
                organization_id: &org,
                user_id: user.as_deref(),
            };
            let (row, created) = service::save_draft(
                conn,
                actor,
                &id,
                body.into_inner(),
                expected,
                Utc::now().naive_utc(),
            )?;
            Ok((service::to_dto(row)?, created))
        })
        .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    version_response(status, version)
}

/// Publishes the quiz's draft: shoppers take it from now on. Published versions are immutable.
#[utoipa::path(
    tag = "certification",
    security(("bearer" = []), ("api_key" = [])),
    params(
        ("id" = uuid::Uuid, Path, description = "Quiz id"),
        ("If-Match" = Option<String>, Header, description = "ETag (revision) of the draft being published"),
    ),
    responses(
        (status = 200, description = "The published version", body = QuizVersion, headers(("ETag" = String))),
        (status = 409, description = "There is no draft", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The draft changed since the given ETag", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/quizzes/{id}/draft/publish")]
pub async fn publish_quiz(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::StandardsWrite)?;
    let id = parse_id(&id)?;
    let expected = if_match(&req)?;
    let (org, user) = caller.owned_ids();
    let version = state
        .db
        .transaction(move |conn| {
            let actor = Actor {
                organization_id: &org,
                user_id: user.as_deref(),
            };
            service::to_dto(service::publish(
                conn,
                actor,
                &id,
                expected,
                Utc::now().naive_utc(),
            )?)
        })
        .await?;
    version_response(StatusCode::OK, version)
}

/// The shopper answers the quiz's latest published version; the answer is the score and the
/// verdict (never which answers were wrong).
#[utoipa::path(
    tag = "certification",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Quiz id")),
    request_body = AttemptInput,
    responses(
        (status = 201, description = "Scored", body = QuizAttempt),
        (status = 409, description = "Passed already, no attempts left, no published version, or a newer version to answer", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/quizzes/{id}/attempts")]
pub async fn take_quiz(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: ApiJson<AttemptInput>,
) -> ApiResult<HttpResponse> {
    let me = caller.require_shopper()?;
    let id = parse_id(&id)?;
    let org = caller.organization_id.clone();
    let attempt = state
        .db
        .transaction(move |conn| {
            service::take(
                conn,
                &org,
                &me,
                &id,
                body.into_inner(),
                Utc::now().naive_utc(),
            )
        })
        .await?;
    Ok(HttpResponse::Created().json(attempt))
}

/// A quiz's attempts, oldest first: every shopper's for managers, admins and keys with
/// `standards:read`; a shopper's own for the shopper.
#[utoipa::path(
    tag = "certification",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Quiz id")),
    responses((status = 200, description = "The attempts", body = QuizAttemptList))
)]
#[get("/v1/quizzes/{id}/attempts")]
pub async fn list_quiz_attempts(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<web::Json<QuizAttemptList>> {
    let only = match caller.require_user() {
        Ok((me, Role::Shopper)) => Some(me.to_string()),
        _ => {
            caller.require(Permission::StandardsRead)?;
            None
        }
    };
    let id = parse_id(&id)?;
    let org = caller.organization_id.clone();
    let items = state
        .db
        .run(move |conn| service::attempts(conn, &org, &id, only.as_deref()))
        .await?;
    Ok(web::Json(QuizAttemptList { items }))
}

/// The quizzes the shopper may take (latest published versions, without the answers), with
/// what they passed and the attempts they have left.
#[utoipa::path(
    tag = "certification",
    security(("bearer" = [])),
    responses((status = 200, description = "The shopper's certifications", body = CertificationList))
)]
#[get("/v1/me/certifications")]
pub async fn my_certifications(
    state: web::Data<AppState>,
    caller: Caller,
) -> ApiResult<web::Json<CertificationList>> {
    let me = caller.require_shopper()?;
    let org = caller.organization_id.clone();
    let items = state
        .db
        .run(move |conn| service::certifications(conn, &org, &me))
        .await?;
    Ok(web::Json(CertificationList { items }))
}

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{get, post, put, web, HttpRequest, HttpResponse};
use chrono::Utc;

use super::dto::{
    Checklist, ChecklistDocument, ChecklistInput, ChecklistList, ChecklistVersion,
    ChecklistVersionSummary,
};
use super::repo::{self, VersionSummaryRow};
use super::service;
use crate::auth::caller::Caller;
use crate::auth::rules::Permission;
use crate::error::{ApiError, ApiResult, Problem};
use crate::http::yaml_response;
use crate::http::{
    document_response, if_match, next_cursor, parse_id, ApiJson, ApiQuery, Document, PageQuery,
};
use crate::standards::dto::Channel;
use crate::state::AppState;
use crate::versioning::{self, parse_version, ImportQuery};
use crate::versioning::{Actor, DocumentRow};

fn version_response(status: StatusCode, version: ChecklistVersion) -> ApiResult<HttpResponse> {
    let location = format!(
        "/v1/checklists/{}/versions/{}",
        version.checklist_id, version.version
    );
    let revision = version.revision;
    versioning::version_response(status, &version, location, revision)
}

fn summary(row: VersionSummaryRow) -> ApiResult<(String, ChecklistVersionSummary)> {
    let (checklist_id, id, version, status, channel, published_at) = row;
    Ok((
        checklist_id,
        ChecklistVersionSummary {
            id: id.parse().map_err(ApiError::internal)?,
            version,
            status: status.parse().map_err(ApiError::internal)?,
            channel: Channel::parse(&channel)
                .ok_or_else(|| ApiError::internal("unknown channel"))?,
            published_at: published_at.map(|t| t.and_utc()),
        },
    ))
}

fn checklist(row: DocumentRow, versions: Vec<ChecklistVersionSummary>) -> ApiResult<Checklist> {
    Ok(Checklist {
        id: row.id.parse().map_err(ApiError::internal)?,
        name: row.name,
        versions,
        created_at: row.created_at.and_utc(),
    })
}

/// Creates a checklist pinned to a published standards-book version and a channel; version 1
/// is a draft.
#[utoipa::path(
    tag = "checklists",
    security(("bearer" = []), ("api_key" = [])),
    request_body = ChecklistInput,
    responses((status = 201, description = "The checklist's first version, a draft", body = ChecklistVersion,
        headers(("Location" = String), ("ETag" = String))))
)]
#[post("/v1/checklists")]
pub async fn create_checklist(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<ChecklistInput>,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::StandardsWrite)?;
    let (org, user) = caller.owned_ids();
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
                false,
                Utc::now().naive_utc(),
            )?;
            service::to_dto(conn, row)
        })
        .await?;
    version_response(StatusCode::CREATED, version)
}

/// The organization's checklists with their versions.
#[utoipa::path(
    tag = "checklists",
    security(("bearer" = []), ("api_key" = [])),
    params(PageQuery),
    responses((status = 200, description = "One page of checklists", body = ChecklistList))
)]
#[get("/v1/checklists")]
pub async fn list_checklists(
    state: web::Data<AppState>,
    caller: Caller,
    page: ApiQuery<PageQuery>,
) -> ApiResult<web::Json<ChecklistList>> {
    caller.require(Permission::StandardsRead)?;
    let limit = page.limit()?;
    let after = page.after()?;
    let org = caller.organization_id.clone();
    let (mut rows, summaries) = state
        .db
        .run(move |conn| {
            let rows = service::STORE.list_documents(conn, &org, after.as_deref(), limit)?;
            let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
            Ok((rows, repo::version_summaries(conn, &ids)?))
        })
        .await?;
    let next_cursor = next_cursor(&mut rows, limit, |r| r.id.as_str());
    let mut by_checklist: HashMap<String, Vec<ChecklistVersionSummary>> = HashMap::new();
    for row in summaries {
        let (id, s) = summary(row)?;
        by_checklist.entry(id).or_default().push(s);
    }
    let items = rows
        .into_iter()
        .map(|r| {
            let versions = by_checklist.remove(&r.id).unwrap_or_default();
            checklist(r, versions)
        })
        .collect::<ApiResult<_>>()?;
    Ok(web::Json(ChecklistList { items, next_cursor }))
}

/// One checklist with its versions, newest first.
#[utoipa::path(
    tag = "checklists",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Checklist id")),
    responses((status = 200, description = "The checklist", body = Checklist))
)]
#[get("/v1/checklists/{id}")]
pub async fn get_checklist(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<web::Json<Checklist>> {
    caller.require(Permission::StandardsRead)?;
    let id = parse_id(&id)?;
    let org = caller.organization_id.clone();
    let (row, summaries) = state
        .db
        .run(move |conn| {
            let row = service::STORE.find_document(conn, &org, &id)?;
            let summaries = repo::version_summaries(conn, std::slice::from_ref(&row.id))?;
            Ok((row, summaries))
        })
        .await?;
    let versions = summaries
        .into_iter()
        .map(|s| summary(s).map(|(_, s)| s))
        .collect::<ApiResult<_>>()?;
    Ok(web::Json(checklist(row, versions)?))
}

/// One version of a checklist, whole. A draft lists what would keep it from being published.
#[utoipa::path(
    tag = "checklists",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Checklist id"), ("version" = i32, Path, description = "Version number")),
    responses((status = 200, description = "The version", body = ChecklistVersion, headers(("ETag" = String))))
)]
#[get("/v1/checklists/{id}/versions/{version}")]
pub async fn get_checklist_version(
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
        .run(move |conn| {
            let row = repo::find_version(conn, &org, &id, version)?;
            service::to_dto(conn, row)
        })
        .await?;
    version_response(StatusCode::OK, version)
}

/// Saves the checklist's draft (in place, or as the next version after a published one).
/// Drafts may be incomplete; `problems` lists what publishing would refuse.
#[utoipa::path(
    tag = "checklists",
    security(("bearer" = []), ("api_key" = [])),
    params(
        ("id" = uuid::Uuid, Path, description = "Checklist id"),
        ("If-Match" = Option<String>, Header, description = "ETag (revision) of the draft this edit is based on"),
    ),
    request_body = ChecklistInput,
    responses(
        (status = 200, description = "The draft, changed", body = ChecklistVersion, headers(("ETag" = String))),
        (status = 201, description = "A new draft version", body = ChecklistVersion, headers(("Location" = String), ("ETag" = String))),
        (status = 409, description = "Another draft was started at the same moment", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The draft changed since the given ETag", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/v1/checklists/{id}/draft")]
pub async fn save_checklist_draft(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    body: ApiJson<ChecklistInput>,
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
            Ok((service::to_dto(conn, row)?, created))
        })
        .await?;
    version_response(
        if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        version,
    )
}

/// Publishes the checklist's draft after checking all of it against the pinned book (422 lists
/// every problem). Published versions are immutable.
#[utoipa::path(
    tag = "checklists",
    security(("bearer" = []), ("api_key" = [])),
    params(
        ("id" = uuid::Uuid, Path, description = "Checklist id"),
        ("If-Match" = Option<String>, Header, description = "ETag (revision) of the draft being published"),
    ),
    responses(
        (status = 200, description = "The published version", body = ChecklistVersion, headers(("ETag" = String))),
        (status = 409, description = "There is no draft", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The draft changed since the given ETag", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The draft cannot be published", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/checklists/{id}/draft/publish")]
pub async fn publish_checklist(
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
            let row = service::publish(conn, actor, &id, expected, Utc::now().naive_utc())?;
            service::to_dto(conn, row)
        })
        .await?;
    version_response(StatusCode::OK, version)
}

/// A version with its standards book as one portable document: JSON, or YAML when the request
/// prefers `application/yaml` (or use the `.yaml` operation).
#[utoipa::path(
    tag = "checklists",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Checklist id"), ("version" = i32, Path, description = "Version number")),
    responses((status = 200, description = "The document", content(
        (ChecklistDocument = "application/json"),
        (ChecklistDocument = "application/yaml"),
    )))
)]
#[get("/v1/checklists/{id}/versions/{version}/export")]
pub async fn export_checklist(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    document_response(
        &req,
        &checklist_document(&state, &caller, path.into_inner()).await?,
    )
}

/// A version with its standards book as one portable YAML document.
#[utoipa::path(
    tag = "checklists",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Checklist id"), ("version" = i32, Path, description = "Version number")),
    responses((status = 200, description = "The document", body = ChecklistDocument, content_type = "application/yaml"))
)]
#[get("/v1/checklists/{id}/versions/{version}/export.yaml")]
pub async fn export_checklist_yaml(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    yaml_response(&checklist_document(&state, &caller, path.into_inner()).await?)
}

async fn checklist_document(
    state: &AppState,
    caller: &Caller,
    (id, version): (String, String),
) -> ApiResult<ChecklistDocument> {
    caller.require(Permission::StandardsRead)?;
    let (id, version) = (parse_id(&id)?, parse_version(&version)?);
    let org = caller.organization_id.clone();
    state
        .db
        .run(move |conn| {
            let row = repo::find_version(conn, &org, &id, version)?;
            service::export(conn, &row)
        })
        .await
}

/// Imports a checklist document (JSON or YAML) with its standards book: an identical published
/// book version is reused, otherwise the book is published as a new one.
#[utoipa::path(
    tag = "checklists",
    security(("bearer" = []), ("api_key" = [])),
    params(ImportQuery),
    request_body(content(
        (ChecklistDocument = "application/json"),
        (ChecklistDocument = "application/yaml"),
    )),
    responses((status = 201, description = "The imported checklist's first version", body = ChecklistVersion,
        headers(("Location" = String), ("ETag" = String))))
)]
#[post("/v1/checklists/import")]
pub async fn import_checklist(
    state: web::Data<AppState>,
    caller: Caller,
    query: ApiQuery<ImportQuery>,
    body: Document<ChecklistDocument>,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::StandardsWrite)?;
    let (org, user) = caller.owned_ids();
    let publish_now = query.publish.unwrap_or(false);
    let version = state
        .db
        .transaction(move |conn| {
            let actor = Actor {
                organization_id: &org,
                user_id: user.as_deref(),
            };
            let row = service::import(conn, actor, body.0, publish_now, Utc::now().naive_utc())?;
            service::to_dto(conn, row)
        })
        .await?;
    version_response(StatusCode::CREATED, version)
}

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{get, post, put, web, HttpRequest, HttpResponse};
use chrono::Utc;

use super::dto::{
    Audience, Instrument, InstrumentDocument, InstrumentInput, InstrumentList, InstrumentVersion,
    InstrumentVersionSummary,
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
use crate::state::AppState;
use crate::versioning::{self, parse_version, ImportQuery};
use crate::versioning::{Actor, DocumentRow};

fn version_response(status: StatusCode, version: InstrumentVersion) -> ApiResult<HttpResponse> {
    let location = format!(
        "/v1/survey-instruments/{}/versions/{}",
        version.instrument_id, version.version
    );
    let revision = version.revision;
    versioning::version_response(status, &version, location, revision)
}

fn summary(row: VersionSummaryRow) -> ApiResult<(String, InstrumentVersionSummary)> {
    let (instrument_id, id, version, status, audience, published_at) = row;
    Ok((
        instrument_id,
        InstrumentVersionSummary {
            id: id.parse().map_err(ApiError::internal)?,
            version,
            status: status.parse().map_err(ApiError::internal)?,
            audience: Audience::parse(&audience)
                .ok_or_else(|| ApiError::internal("unknown audience"))?,
            published_at: published_at.map(|t| t.and_utc()),
        },
    ))
}

fn instrument(row: DocumentRow, versions: Vec<InstrumentVersionSummary>) -> ApiResult<Instrument> {
    Ok(Instrument {
        id: row.id.parse().map_err(ApiError::internal)?,
        name: row.name,
        versions,
        created_at: row.created_at.and_utc(),
    })
}

/// Creates a survey instrument (customer or management) pinned to a published standards-book
/// version; version 1 is a draft (managers and admins).
#[utoipa::path(
    tag = "surveys",
    security(("bearer" = []), ("api_key" = [])),
    request_body = InstrumentInput,
    responses((status = 201, description = "The survey instrument's first version, a draft", body = InstrumentVersion,
        headers(("Location" = String), ("ETag" = String))))
)]
#[post("/v1/survey-instruments")]
pub async fn create_instrument(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<InstrumentInput>,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::SurveysWrite)?;
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

/// The organization's survey instruments with their versions.
#[utoipa::path(
    tag = "surveys",
    security(("bearer" = []), ("api_key" = [])),
    params(PageQuery),
    responses((status = 200, description = "One page of survey instruments", body = InstrumentList))
)]
#[get("/v1/survey-instruments")]
pub async fn list_instruments(
    state: web::Data<AppState>,
    caller: Caller,
    page: ApiQuery<PageQuery>,
) -> ApiResult<web::Json<InstrumentList>> {
    caller.require(Permission::SurveysRead)?;
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
    let mut by_instrument: HashMap<String, Vec<InstrumentVersionSummary>> = HashMap::new();
    for row in summaries {
        let (id, s) = summary(row)?;
        by_instrument.entry(id).or_default().push(s);
    }
    let items = rows
        .into_iter()
        .map(|r| {
            let versions = by_instrument.remove(&r.id).unwrap_or_default();
            instrument(r, versions)
        })
        .collect::<ApiResult<_>>()?;
    Ok(web::Json(InstrumentList { items, next_cursor }))
}

/// One survey instrument with its versions, newest first.
#[utoipa::path(
    tag = "surveys",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Survey instrument id")),
    responses((status = 200, description = "The survey instrument", body = Instrument))
)]
#[get("/v1/survey-instruments/{id}")]
pub async fn get_instrument(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<web::Json<Instrument>> {
    caller.require(Permission::SurveysRead)?;
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
    Ok(web::Json(instrument(row, versions)?))
}

/// One version of a survey instrument, whole. A draft lists what would keep it from being published.
#[utoipa::path(
    tag = "surveys",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Survey instrument id"), ("version" = i32, Path, description = "Version number")),
    responses((status = 200, description = "The version", body = InstrumentVersion, headers(("ETag" = String))))
)]
#[get("/v1/survey-instruments/{id}/versions/{version}")]
pub async fn get_instrument_version(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::SurveysRead)?;
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

/// Saves the survey instrument's draft (in place, or as the next version after a published one).
/// Drafts may be incomplete; `problems` lists what publishing would refuse.
#[utoipa::path(
    tag = "surveys",
    security(("bearer" = []), ("api_key" = [])),
    params(
        ("id" = uuid::Uuid, Path, description = "Survey instrument id"),
        ("If-Match" = Option<String>, Header, description = "ETag (revision) of the draft this edit is based on"),
    ),
    request_body = InstrumentInput,
    responses(
        (status = 200, description = "The draft, changed", body = InstrumentVersion, headers(("ETag" = String))),
        (status = 201, description = "A new draft version", body = InstrumentVersion, headers(("Location" = String), ("ETag" = String))),
        (status = 409, description = "Another draft was started at the same moment", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The draft changed since the given ETag", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/v1/survey-instruments/{id}/draft")]
pub async fn save_instrument_draft(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    body: ApiJson<InstrumentInput>,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::SurveysWrite)?;
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

/// Publishes the survey instrument's draft after checking all of it against the pinned book (422 lists
/// every problem). Published versions are immutable.
#[utoipa::path(
    tag = "surveys",
    security(("bearer" = []), ("api_key" = [])),
    params(
        ("id" = uuid::Uuid, Path, description = "Survey instrument id"),
        ("If-Match" = Option<String>, Header, description = "ETag (revision) of the draft being published"),
    ),
    responses(
        (status = 200, description = "The published version", body = InstrumentVersion, headers(("ETag" = String))),
        (status = 409, description = "There is no draft", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The draft changed since the given ETag", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The draft cannot be published", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/survey-instruments/{id}/draft/publish")]
pub async fn publish_instrument(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::SurveysWrite)?;
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
    tag = "surveys",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Survey instrument id"), ("version" = i32, Path, description = "Version number")),
    responses((status = 200, description = "The document", content(
        (InstrumentDocument = "application/json"),
        (InstrumentDocument = "application/yaml"),
    )))
)]
#[get("/v1/survey-instruments/{id}/versions/{version}/export")]
pub async fn export_instrument(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    document_response(
        &req,
        &instrument_document(&state, &caller, path.into_inner()).await?,
    )
}

/// A version with its standards book as one portable YAML document.
#[utoipa::path(
    tag = "surveys",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Survey instrument id"), ("version" = i32, Path, description = "Version number")),
    responses((status = 200, description = "The document", body = InstrumentDocument, content_type = "application/yaml"))
)]
#[get("/v1/survey-instruments/{id}/versions/{version}/export.yaml")]
pub async fn export_instrument_yaml(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    yaml_response(&instrument_document(&state, &caller, path.into_inner()).await?)
}

async fn instrument_document(
    state: &AppState,
    caller: &Caller,
    (id, version): (String, String),
) -> ApiResult<InstrumentDocument> {
    caller.require(Permission::SurveysRead)?;
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

/// Imports a survey instrument document (JSON or YAML) with its standards book: an identical published
/// book version is reused, otherwise the book is published as a new one.
#[utoipa::path(
    tag = "surveys",
    security(("bearer" = []), ("api_key" = [])),
    params(ImportQuery),
    request_body(content(
        (InstrumentDocument = "application/json"),
        (InstrumentDocument = "application/yaml"),
    )),
    responses((status = 201, description = "The imported survey instrument's first version", body = InstrumentVersion,
        headers(("Location" = String), ("ETag" = String))))
)]
#[post("/v1/survey-instruments/import")]
pub async fn import_instrument(
    state: web::Data<AppState>,
    caller: Caller,
    query: ApiQuery<ImportQuery>,
    body: Document<InstrumentDocument>,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::SurveysWrite)?;
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

use actix_web::http::{header, StatusCode};
use actix_web::{delete, get, post, put, web, HttpRequest, HttpResponse};
use chrono::Utc;

use super::dto::{Promise, PromiseFilter, PromiseInput, PromiseList};
use super::service;
use crate::auth::caller::Caller;
use crate::auth::rules::Permission;
use crate::error::{ApiError, ApiResult, Problem};
use crate::http::{if_match, json_with_etag, next_cursor, parse_id, ApiJson, ApiQuery, PageQuery};
use crate::state::AppState;

fn promise_response(status: StatusCode, promise: &Promise) -> ApiResult<HttpResponse> {
    let mut response = json_with_etag(status, promise, promise.revision);
    if status == StatusCode::CREATED {
        let location = format!("/v1/promises/{}", promise.id);
        response.headers_mut().insert(
            header::LOCATION,
            header::HeaderValue::from_str(&location).map_err(ApiError::internal)?,
        );
    }
    Ok(response)
}

/// Records what marketing promises customers about a standard (managers, admins).
#[utoipa::path(
    tag = "surveys",
    security(("bearer" = [])),
    request_body = PromiseInput,
    responses((status = 201, description = "Recorded", body = Promise,
        headers(("Location" = String), ("ETag" = String, description = "The promise's revision"))))
)]
#[post("/v1/promises")]
pub async fn create_promise(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<PromiseInput>,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::SurveysWrite)?;
    let org = caller.organization_id.clone();
    let by = caller.user_id().map(str::to_string);
    let promise = state
        .db
        .transaction(move |conn| {
            service::create(
                conn,
                &org,
                by.as_deref(),
                body.into_inner(),
                Utc::now().naive_utc(),
            )
        })
        .await?;
    promise_response(StatusCode::CREATED, &promise)
}

/// The organization's promises, filtered (managers, admins, keys with `surveys:read`).
#[utoipa::path(
    tag = "surveys",
    security(("bearer" = []), ("api_key" = [])),
    params(PromiseFilter, PageQuery),
    responses((status = 200, description = "One page of promises", body = PromiseList))
)]
#[get("/v1/promises")]
pub async fn list_promises(
    state: web::Data<AppState>,
    caller: Caller,
    filter: ApiQuery<PromiseFilter>,
    page: ApiQuery<PageQuery>,
) -> ApiResult<web::Json<PromiseList>> {
    caller.require(Permission::SurveysRead)?;
    let limit = page.limit()?;
    let after = page.after()?;
    let org = caller.organization_id.clone();
    let filter = filter.into_inner();
    let mut page = state
        .db
        .run(move |conn| service::list(conn, &org, &filter, after.as_deref(), limit))
        .await?
        .into_iter()
        .map(|p| (p.id.to_string(), p))
        .collect();
    let next_cursor = next_cursor(&mut page, limit, |(id, _)| id.as_str());
    let items = page.into_iter().map(|(_, p)| p).collect();
    Ok(web::Json(PromiseList { items, next_cursor }))
}

/// One promise.
#[utoipa::path(
    tag = "surveys",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Promise id")),
    responses((status = 200, description = "The promise", body = Promise, headers(("ETag" = String))))
)]
#[get("/v1/promises/{id}")]
pub async fn get_promise(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::SurveysRead)?;
    let id = parse_id(&id)?;
    let org = caller.organization_id.clone();
    let promise = state
        .db
        .run(move |conn| service::find(conn, &org, &id))
        .await?;
    promise_response(StatusCode::OK, &promise)
}

/// Replaces a promise's content (managers, admins); `If-Match` is checked against its revision.
#[utoipa::path(
    tag = "surveys",
    security(("bearer" = [])),
    params(
        ("id" = uuid::Uuid, Path, description = "Promise id"),
        ("If-Match" = Option<String>, Header, description = "ETag (revision) this edit is based on"),
    ),
    request_body = PromiseInput,
    responses(
        (status = 200, description = "Replaced", body = Promise, headers(("ETag" = String))),
        (status = 412, description = "The promise changed since the given ETag", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/v1/promises/{id}")]
pub async fn replace_promise(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    body: ApiJson<PromiseInput>,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::SurveysWrite)?;
    let id = parse_id(&id)?;
    let expected = if_match(&req)?;
    let org = caller.organization_id.clone();
    let promise = state
        .db
        .transaction(move |conn| {
            service::replace(
                conn,
                &org,
                &id,
                body.into_inner(),
                expected,
                Utc::now().naive_utc(),
            )
        })
        .await?;
    promise_response(StatusCode::OK, &promise)
}

/// Withdraws a promise recorded by mistake (managers, admins). A promise that ended is better
/// given a `valid_to`: reports for its period still count it.
#[utoipa::path(
    tag = "surveys",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Promise id")),
    responses((status = 204, description = "Deleted"))
)]
#[delete("/v1/promises/{id}")]
pub async fn delete_promise(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::SurveysWrite)?;
    let id = parse_id(&id)?;
    let org = caller.organization_id.clone();
    state
        .db
        .transaction(move |conn| service::delete(conn, &org, &id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

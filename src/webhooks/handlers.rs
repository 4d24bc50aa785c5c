use actix_web::http::{header, StatusCode};
use actix_web::{delete, get, post, put, web, HttpRequest, HttpResponse};
use chrono::{TimeDelta, Utc};

use super::dto::{
    AttemptQuery, DeliveryAttemptList, QueuedDelivery, RedeliverInput, RotateSecretInput,
    WebhookEndpoint, WebhookEndpointInput, WebhookEndpointList, WebhookEndpointWithSecret,
};
use super::service::{self, to_dto};
use crate::auth::caller::Caller;
use crate::auth::rules::Permission;
use crate::error::{ApiError, ApiResult, Problem};
use crate::http::{if_match, json_with_etag, next_cursor, parse_id, ApiJson, ApiQuery, PageQuery};
use crate::state::AppState;

/// Registers an endpoint (admins, keys with `webhooks:manage`). The answer holds its signing
/// secret, shown this once. Events that happen from now on are delivered to it.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = []), ("api_key" = [])),
    request_body = WebhookEndpointInput,
    responses((status = 201, description = "Registered", body = WebhookEndpointWithSecret,
        headers(("Location" = String), ("ETag" = String, description = "The endpoint's revision"))))
)]
#[post("/v1/webhooks")]
pub async fn create_endpoint(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<WebhookEndpointInput>,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::WebhooksManage)?;
    let org = caller.organization_id.clone();
    let by = caller.user_id().map(str::to_string);
    let (key, policy) = (state.config.secret_key, state.config.webhooks.policy());
    let now = Utc::now().naive_utc();
    let (row, secret) = state
        .db
        .transaction(move |conn| {
            service::create(
                conn,
                &key,
                policy,
                &org,
                by.as_deref(),
                body.into_inner(),
                now,
            )
        })
        .await?;
    let endpoint = to_dto(&row, now)?;
    let mut response = json_with_etag(
        StatusCode::CREATED,
        &WebhookEndpointWithSecret {
            endpoint: endpoint.clone(),
            secret,
        },
        endpoint.revision,
    );
    response.headers_mut().insert(
        header::LOCATION,
        header::HeaderValue::from_str(&format!("/v1/webhooks/{}", endpoint.id))
            .map_err(ApiError::internal)?,
    );
    Ok(response)
}

/// The organization's endpoints (admins, keys with `webhooks:manage`).
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = []), ("api_key" = [])),
    params(PageQuery),
    responses((status = 200, description = "One page of endpoints", body = WebhookEndpointList))
)]
#[get("/v1/webhooks")]
pub async fn list_endpoints(
    state: web::Data<AppState>,
    caller: Caller,
    page: ApiQuery<PageQuery>,
) -> ApiResult<web::Json<WebhookEndpointList>> {
    caller.require(Permission::WebhooksManage)?;
    let (limit, after) = (page.limit()?, page.after()?);
    let org = caller.organization_id.clone();
    let mut rows = state
        .db
        .run(move |conn| service::list(conn, &org, after, limit))
        .await?;
    let next_cursor = next_cursor(&mut rows, limit, |r: &service::EndpointRow| r.id.as_str());
    let now = Utc::now().naive_utc();
    let items = rows
        .iter()
        .map(|r| to_dto(r, now))
        .collect::<ApiResult<_>>()?;
    Ok(web::Json(WebhookEndpointList { items, next_cursor }))
}

/// One endpoint (never its secret).
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Webhook endpoint id")),
    responses((status = 200, description = "The endpoint", body = WebhookEndpoint,
        headers(("ETag" = String))))
)]
#[get("/v1/webhooks/{id}")]
pub async fn get_endpoint(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::WebhooksManage)?;
    let id = parse_id(&id)?;
    let org = caller.organization_id.clone();
    let row = state
        .db
        .run(move |conn| service::find(conn, &org, &id))
        .await?;
    let endpoint = to_dto(&row, Utc::now().naive_utc())?;
    Ok(json_with_etag(StatusCode::OK, &endpoint, endpoint.revision))
}

/// Replaces an endpoint's URL, description, event types and active flag (`If-Match` is
/// checked against its revision). Making a disabled endpoint active again clears its failure
/// record; deliveries waiting for it go out.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = []), ("api_key" = [])),
    params(
        ("id" = uuid::Uuid, Path, description = "Webhook endpoint id"),
        ("If-Match" = Option<String>, Header, description = "ETag (revision) this edit is based on"),
    ),
    request_body = WebhookEndpointInput,
    responses(
        (status = 200, description = "Replaced", body = WebhookEndpoint, headers(("ETag" = String))),
        (status = 412, description = "The endpoint changed since the given ETag", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/v1/webhooks/{id}")]
pub async fn replace_endpoint(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    body: ApiJson<WebhookEndpointInput>,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::WebhooksManage)?;
    let id = parse_id(&id)?;
    let expected = if_match(&req)?;
    let org = caller.organization_id.clone();
    let policy = state.config.webhooks.policy();
    let now = Utc::now().naive_utc();
    let row = state
        .db
        .transaction(move |conn| {
            service::replace(conn, policy, &org, &id, body.into_inner(), expected, now)
        })
        .await?;
    let endpoint = to_dto(&row, now)?;
    Ok(json_with_etag(StatusCode::OK, &endpoint, endpoint.revision))
}

/// Deletes an endpoint with its delivery log; nothing more is sent to it.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Webhook endpoint id")),
    responses((status = 204, description = "Deleted"))
)]
#[delete("/v1/webhooks/{id}")]
pub async fn delete_endpoint(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::WebhooksManage)?;
    let id = parse_id(&id)?;
    let org = caller.organization_id.clone();
    state
        .db
        .transaction(move |conn| service::delete(conn, &org, &id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Issues a new signing secret, shown this once. The previous one keeps signing beside it for
/// the overlap (default 24 hours): every delivery meanwhile carries both signatures, so the
/// receiver can switch secrets without refusing one.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Webhook endpoint id")),
    request_body = RotateSecretInput,
    responses((status = 200, description = "The endpoint and its new secret", body = WebhookEndpointWithSecret,
        headers(("ETag" = String))))
)]
#[post("/v1/webhooks/{id}/rotate-secret")]
pub async fn rotate_secret(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: ApiJson<RotateSecretInput>,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::WebhooksManage)?;
    let id = parse_id(&id)?;
    let hours = body.into_inner().overlap_hours.unwrap_or(24);
    if !(0..=168).contains(&hours) {
        return Err(ApiError::unprocessable(
            "overlap_hours",
            "from 0 to 168 hours",
        ));
    }
    let org = caller.organization_id.clone();
    let key = state.config.secret_key;
    let now = Utc::now().naive_utc();
    let (row, secret) = state
        .db
        .transaction(move |conn| {
            service::rotate(conn, &key, &org, &id, TimeDelta::hours(hours), now)
        })
        .await?;
    let endpoint = to_dto(&row, now)?;
    Ok(json_with_etag(
        StatusCode::OK,
        &WebhookEndpointWithSecret {
            endpoint: endpoint.clone(),
            secret,
        },
        endpoint.revision,
    ))
}

/// Sends a `webhook.test` event to this endpoint alone, signed like every delivery; its
/// attempts show in the log.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Webhook endpoint id")),
    responses((status = 202, description = "Queued", body = QueuedDelivery))
)]
#[post("/v1/webhooks/{id}/test")]
pub async fn send_test(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::WebhooksManage)?;
    let id = parse_id(&id)?;
    let org = caller.organization_id.clone();
    let queued = state
        .db
        .transaction(move |conn| service::queue_test(conn, &org, &id, Utc::now().naive_utc()))
        .await?;
    Ok(HttpResponse::Accepted().json(queued))
}

/// Delivers an event to this endpoint again, with its own `webhook-id`, as a fresh series of
/// attempts (also one that gave up, or one from before the endpoint existed).
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Webhook endpoint id")),
    request_body = RedeliverInput,
    responses((status = 202, description = "Queued", body = QueuedDelivery))
)]
#[post("/v1/webhooks/{id}/redeliver")]
pub async fn redeliver(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: ApiJson<RedeliverInput>,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::WebhooksManage)?;
    let id = parse_id(&id)?;
    let org = caller.organization_id.clone();
    let event_id = body.into_inner().event_id.to_string();
    let queued = state
        .db
        .transaction(move |conn| {
            service::redeliver(conn, &org, &id, &event_id, Utc::now().naive_utc())
        })
        .await?;
    Ok(HttpResponse::Accepted().json(queued))
}

/// The endpoint's delivery log, newest attempt first: status, latency and the start of the
/// receiver's answer.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Webhook endpoint id"), AttemptQuery),
    responses((status = 200, description = "One page of attempts", body = DeliveryAttemptList))
)]
#[get("/v1/webhooks/{id}/attempts")]
pub async fn list_attempts(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    query: ApiQuery<AttemptQuery>,
) -> ApiResult<web::Json<DeliveryAttemptList>> {
    caller.require(Permission::WebhooksManage)?;
    let id = parse_id(&id)?;
    let query = query.into_inner();
    let page = PageQuery {
        limit: query.limit,
        cursor: query.cursor.clone(),
    };
    let (limit, before) = (page.limit()?, page.after()?);
    let org = caller.organization_id.clone();
    let event_id = query.event_id.map(|e| e.to_string());
    let mut rows = state
        .db
        .run(move |conn| service::attempts(conn, &org, &id, event_id, before, limit))
        .await?;
    let next_cursor = next_cursor(&mut rows, limit, |r: &(String, _)| r.0.as_str());
    Ok(web::Json(DeliveryAttemptList {
        items: rows.into_iter().map(|(_, a)| a).collect(),
        next_cursor,
    }))
}

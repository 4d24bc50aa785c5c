use actix_web::http::StatusCode;
use actix_web::{delete, get, post, put, web, HttpRequest, HttpResponse};
use chrono::Utc;

use super::dto::{AddExclusion, ShopperProfile, UpdateProfile};
use super::reputation::Reputation;
use super::{repo, service};
use crate::auth::caller::Caller;
use crate::auth::rules::Permission;
use crate::error::{ApiResult, Problem};
use crate::http::{if_match, json_with_etag, parse_id, ApiJson};
use crate::state::AppState;

fn profile_response(status: StatusCode, profile: ShopperProfile) -> HttpResponse {
    let version = profile.version;
    json_with_etag(status, &profile, version)
}

/// Reads a shopper's profile: the one path behind the manager's and the shopper's own endpoint.
async fn read(state: &AppState, org: String, id: String) -> ApiResult<HttpResponse> {
    let profile = state
        .db
        .run(move |conn| {
            let shopper = service::find_shopper(conn, &org, &id)?;
            service::profile(conn, &shopper)
        })
        .await?;
    Ok(profile_response(StatusCode::OK, profile))
}

async fn save(
    state: &AppState,
    org: String,
    id: String,
    req: &HttpRequest,
    body: UpdateProfile,
) -> ApiResult<HttpResponse> {
    let expected = if_match(req)?;
    let profile = state
        .db
        .transaction(move |conn| {
            let shopper = service::find_shopper(conn, &org, &id)?;
            service::save_profile(conn, &shopper, body, expected, Utc::now().naive_utc())
        })
        .await?;
    Ok(profile_response(StatusCode::OK, profile))
}

async fn exclude(
    state: &AppState,
    org: String,
    id: String,
    by: Option<String>,
    body: AddExclusion,
) -> ApiResult<HttpResponse> {
    let profile = state
        .db
        .transaction(move |conn| {
            let shopper = service::find_shopper(conn, &org, &id)?;
            service::add_exclusion(conn, &shopper, body, by.as_deref(), Utc::now().naive_utc())
        })
        .await?;
    Ok(profile_response(StatusCode::CREATED, profile))
}

/// A shopper's profile and exclusions (managers, admins, keys with `users:read`).
#[utoipa::path(
    tag = "shoppers",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "The shopper's user id")),
    responses((status = 200, description = "The profile", body = ShopperProfile, headers(("ETag" = String))))
)]
#[get("/v1/shoppers/{id}/profile")]
pub async fn get_profile(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::UsersRead)?;
    read(&state, caller.organization_id.clone(), parse_id(&id)?).await
}

/// Sets a shopper's home region, languages and segments (managers, admins). Honours `If-Match`.
#[utoipa::path(
    tag = "shoppers",
    security(("bearer" = [])),
    params(
        ("id" = uuid::Uuid, Path, description = "The shopper's user id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the profile version this change is based on"),
    ),
    request_body = UpdateProfile,
    responses(
        (status = 200, description = "The profile", body = ShopperProfile, headers(("ETag" = String))),
        (status = 412, description = "The profile changed since the given ETag", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/v1/shoppers/{id}/profile")]
pub async fn put_profile(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    body: ApiJson<UpdateProfile>,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::ShoppersManage)?;
    let id = parse_id(&id)?;
    save(&state, caller.organization_id.clone(), id, &req, body.0).await
}

/// Records that a shopper is known to staff at a location (managers, admins). Idempotent.
#[utoipa::path(
    tag = "shoppers",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The shopper's user id")),
    request_body = AddExclusion,
    responses((status = 201, description = "The profile with the exclusion", body = ShopperProfile))
)]
#[post("/v1/shoppers/{id}/exclusions")]
pub async fn add_exclusion(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: ApiJson<AddExclusion>,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::ShoppersManage)?;
    let id = parse_id(&id)?;
    let (org, by) = caller.owned_ids();
    exclude(&state, org, id, by, body.0).await
}

/// Lifts an exclusion (managers, admins). Shoppers cannot lift their own.
#[utoipa::path(
    tag = "shoppers",
    security(("bearer" = [])),
    params(
        ("id" = uuid::Uuid, Path, description = "The shopper's user id"),
        ("location_id" = uuid::Uuid, Path, description = "The location"),
    ),
    responses((status = 204, description = "Lifted (or was not there)"))
)]
#[delete("/v1/shoppers/{id}/exclusions/{location_id}")]
pub async fn remove_exclusion(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::ShoppersManage)?;
    let (id, location_id) = path.into_inner();
    let (id, location_id) = (parse_id(&id)?, parse_id(&location_id)?);
    let org = caller.organization_id.clone();
    state
        .db
        .transaction(move |conn| {
            service::find_shopper(conn, &org, &id)?;
            repo::remove_exclusion(conn, &id, &location_id)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The signed-in shopper's own profile and exclusions.
#[utoipa::path(
    tag = "shoppers",
    security(("bearer" = [])),
    responses((status = 200, description = "The profile", body = ShopperProfile, headers(("ETag" = String))))
)]
#[get("/v1/me/profile")]
pub async fn get_my_profile(state: web::Data<AppState>, caller: Caller) -> ApiResult<HttpResponse> {
    let id = caller.require_shopper()?;
    read(&state, caller.organization_id.clone(), id).await
}

/// The signed-in shopper sets their own home region, languages and segments.
#[utoipa::path(
    tag = "shoppers",
    security(("bearer" = [])),
    params(("If-Match" = Option<String>, Header, description = "ETag of the profile version this change is based on")),
    request_body = UpdateProfile,
    responses(
        (status = 200, description = "The profile", body = ShopperProfile, headers(("ETag" = String))),
        (status = 412, description = "The profile changed since the given ETag", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/v1/me/profile")]
pub async fn put_my_profile(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    body: ApiJson<UpdateProfile>,
) -> ApiResult<HttpResponse> {
    let id = caller.require_shopper()?;
    save(&state, caller.organization_id.clone(), id, &req, body.0).await
}

/// The signed-in shopper declares a location where staff know them. Idempotent.
#[utoipa::path(
    tag = "shoppers",
    security(("bearer" = [])),
    request_body = AddExclusion,
    responses((status = 201, description = "The profile with the exclusion", body = ShopperProfile))
)]
#[post("/v1/me/exclusions")]
pub async fn declare_exclusion(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<AddExclusion>,
) -> ApiResult<HttpResponse> {
    let id = caller.require_shopper()?;
    exclude(
        &state,
        caller.organization_id.clone(),
        id.clone(),
        Some(id),
        body.0,
    )
    .await
}

/// A shopper's reputation from their recorded work: on-time, return and rejection rates, mean
/// reviewer grade and shops done (managers, admins, keys with `users:read`).
#[utoipa::path(
    tag = "shoppers",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "The shopper's user id")),
    responses((status = 200, description = "The reputation", body = Reputation))
)]
#[get("/v1/shoppers/{id}/reputation")]
pub async fn get_reputation(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<web::Json<Reputation>> {
    caller.require(Permission::UsersRead)?;
    let id = parse_id(&id)?;
    let org = caller.organization_id.clone();
    let reputation = state
        .db
        .run(move |conn| {
            service::find_shopper(conn, &org, &id)?;
            super::reputation::of_shopper(conn, &org, &id)
        })
        .await?;
    Ok(web::Json(reputation))
}

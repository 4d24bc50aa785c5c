use actix_web::http::{header, StatusCode};
use actix_web::{get, patch, post, web, HttpMessage, HttpRequest, HttpResponse};
use chrono::Utc;

use super::dto::{
    CreateLocation, ImportOptions, Location, LocationFilter, LocationImportReport, LocationList,
    UpdateLocation,
};
use super::{repo, service};
use crate::auth::caller::Caller;
use crate::auth::rules::Permission;
use crate::error::{ApiError, ApiResult, Problem};
use crate::http::{
    if_match, json_with_etag, next_cursor, parse_id, ApiJson, ApiQuery, PageQuery, RawBody,
};
use crate::state::AppState;

fn location_response(status: StatusCode, location: Location) -> ApiResult<HttpResponse> {
    let version = location.version;
    let path = format!("/v1/locations/{}", location.id);
    let mut response = json_with_etag(status, &location, version);
    if status == StatusCode::CREATED {
        response.headers_mut().insert(
            header::LOCATION,
            header::HeaderValue::from_str(&path).map_err(ApiError::internal)?,
        );
    }
    Ok(response)
}

/// Adds a location (managers, admins, keys with `locations:write`).
#[utoipa::path(
    tag = "locations",
    security(("bearer" = []), ("api_key" = [])),
    request_body = CreateLocation,
    responses(
        (status = 201, description = "Created", body = Location, headers(("Location" = String), ("ETag" = String))),
        (status = 409, description = "The code is taken", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/locations")]
pub async fn create_location(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<CreateLocation>,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::LocationsWrite)?;
    let org = caller.organization_id.clone();
    let row = state
        .db
        .transaction(move |conn| {
            service::create(conn, &org, body.into_inner(), Utc::now().naive_utc())
        })
        .await?;
    location_response(StatusCode::CREATED, service::to_dto(row)?)
}

/// Locations, filtered by region, segment, channel, text and active flag.
#[utoipa::path(
    tag = "locations",
    security(("bearer" = []), ("api_key" = [])),
    params(LocationFilter, PageQuery),
    responses((status = 200, description = "One page of locations", body = LocationList))
)]
#[get("/v1/locations")]
pub async fn list_locations(
    state: web::Data<AppState>,
    caller: Caller,
    filter: ApiQuery<LocationFilter>,
    page: ApiQuery<PageQuery>,
) -> ApiResult<web::Json<LocationList>> {
    caller.require(Permission::LocationsRead)?;
    let limit = page.limit()?;
    let after = page.after()?;
    let org = caller.organization_id.clone();
    let filter = filter.into_inner();
    let mut rows = state
        .db
        .run(move |conn| repo::list(conn, &org, &filter, after.as_deref(), limit))
        .await?;
    let next_cursor = next_cursor(&mut rows, limit, |r| r.id.as_str());
    let items = rows
        .into_iter()
        .map(service::to_dto)
        .collect::<ApiResult<_>>()?;
    Ok(web::Json(LocationList { items, next_cursor }))
}

/// One location.
#[utoipa::path(
    tag = "locations",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Location id")),
    responses((status = 200, description = "The location", body = Location, headers(("ETag" = String))))
)]
#[get("/v1/locations/{id}")]
pub async fn get_location(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::LocationsRead)?;
    let id = parse_id(&id)?;
    let org = caller.organization_id.clone();
    let row = state
        .db
        .run(move |conn| repo::find(conn, &org, &id))
        .await?;
    location_response(StatusCode::OK, service::to_dto(row)?)
}

/// Changes a location; `active: false` takes it out of planning. Honours `If-Match`.
#[utoipa::path(
    tag = "locations",
    security(("bearer" = []), ("api_key" = [])),
    params(
        ("id" = uuid::Uuid, Path, description = "Location id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version this change is based on"),
    ),
    request_body = UpdateLocation,
    responses(
        (status = 200, description = "The updated location", body = Location, headers(("ETag" = String))),
        (status = 409, description = "The code is taken", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The location changed since the given ETag", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/v1/locations/{id}")]
pub async fn update_location(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    body: ApiJson<UpdateLocation>,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::LocationsWrite)?;
    let id = parse_id(&id)?;
    let expected = if_match(&req)?;
    let org = caller.organization_id.clone();
    let row = state
        .db
        .transaction(move |conn| {
            service::update(
                conn,
                &org,
                &id,
                body.into_inner(),
                expected,
                Utc::now().naive_utc(),
            )
        })
        .await?;
    location_response(StatusCode::OK, service::to_dto(row)?)
}

/// Adds many locations from CSV (`text/csv`; columns in the README). All rows or none; with
/// `partial=true` the valid rows are kept and the others reported.
#[utoipa::path(
    tag = "locations",
    security(("bearer" = []), ("api_key" = [])),
    params(ImportOptions),
    request_body(content = String, content_type = "text/csv", description = "A header row, then one location a row"),
    responses(
        (status = 201, description = "What was imported (and, when partial, what was not)", body = LocationImportReport),
        (status = 422, description = "Problems by row; nothing was imported", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/locations/import")]
pub async fn import_locations(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    options: ApiQuery<ImportOptions>,
    body: RawBody,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::LocationsWrite)?;
    let is_csv = matches!(req.mime_type(), Ok(Some(m)) if m.essence_str() == "text/csv");
    if !is_csv {
        return Err(ApiError::UnsupportedMediaType(
            "send the locations as text/csv".into(),
        ));
    }
    let text = String::from_utf8(body.0.to_vec())
        .map_err(|_| ApiError::BadRequest("the CSV is not UTF-8".into()))?;
    let partial = options.partial.unwrap_or(false);
    let org = caller.organization_id.clone();
    let report = state
        .db
        .transaction(move |conn| {
            service::import_csv(conn, &org, &text, partial, Utc::now().naive_utc())
        })
        .await?;
    Ok(HttpResponse::Created().json(report))
}

use actix_web::http::StatusCode;
use actix_web::{get, patch, web, HttpRequest, HttpResponse};
use chrono::Utc;

use super::dto::{Organization, UpdateOrganization};
use super::model::OrganizationChanges;
use super::repo;
use crate::auth::caller::Caller;
use crate::auth::rules::Permission;
use crate::error::{ApiResult, Problem};
use crate::http::{if_match, json_with_etag, ApiJson};
use crate::state::AppState;

/// The caller's organization and its settings.
#[utoipa::path(
    tag = "organization",
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "The organization", body = Organization,
         headers(("ETag" = String, description = "Version of the organization"))),
    )
)]
#[get("/v1/organization")]
pub async fn get_organization(
    state: web::Data<AppState>,
    caller: Caller,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::OrganizationRead)?;
    let org_id = caller.organization_id.clone();
    let row = state.db.run(move |conn| repo::find(conn, &org_id)).await?;
    let version = row.version;
    Ok(json_with_etag(
        StatusCode::OK,
        &Organization::from(row),
        version,
    ))
}

/// Changes the organization's name or settings (admins). Honours `If-Match`.
#[utoipa::path(
    tag = "organization",
    security(("bearer" = [])),
    request_body = UpdateOrganization,
    params(("If-Match" = Option<String>, Header, description = "ETag of the version this change is based on")),
    responses(
        (status = 200, description = "The updated organization", body = Organization,
         headers(("ETag" = String, description = "New version"))),
        (status = 412, description = "The organization changed since the given ETag", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/v1/organization")]
pub async fn update_organization(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    body: ApiJson<UpdateOrganization>,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::OrganizationWrite)?;
    let body = body.into_inner();
    let expected = if_match(&req)?;
    let changes = OrganizationChanges {
        name: body.name.map(|n| n.trim().to_string()),
        cooldown_days: body.cooldown_days,
        max_active_assignments: body.max_active_assignments,
        min_sample_size: body.min_sample_size,
        geofence_radius_m: body.geofence_radius_m,
        shoppers_see_scores: body.shoppers_see_scores,
        reimbursement_cap_minor: body.reimbursement_cap_minor,
    };
    let org_id = caller.organization_id.clone();
    let row = state
        .db
        .transaction(move |conn| {
            repo::update(conn, &org_id, expected, &changes, Utc::now().naive_utc())
        })
        .await?;
    let version = row.version;
    Ok(json_with_etag(
        StatusCode::OK,
        &Organization::from(row),
        version,
    ))
}

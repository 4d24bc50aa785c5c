use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};
use chrono::Utc;

use super::dto::{GapQuery, GapReport};
use super::service;
use crate::auth::caller::Caller;
use crate::auth::rules::Permission;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Whether the caller asked for CSV: `format=csv`, or `Accept: text/csv` without `format`.
fn wants_csv(req: &HttpRequest, format: Option<&str>) -> ApiResult<bool> {
    match format {
        Some("csv") => Ok(true),
        Some("json") => Ok(false),
        Some(_) => Err(ApiError::unprocessable("format", "json or csv")),
        None => Ok(req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("text/csv"))),
    }
}

/// Delivery gaps against the standards over approved visits (managers, admins, keys with
/// `reports:read`): filters, one or two groupings, delivered with its Wilson interval, the gap
/// to target, whether it is significant and whether the sample is reliable. Largest shortfall
/// first. Read from roll-ups kept up to date on approval.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = []), ("api_key" = [])),
    params(GapQuery),
    responses(
        (status = 200, description = "The report", content(
            (GapReport = "application/json"),
            (String = "text/csv"),
        )),
    )
)]
#[get("/v1/reports/gaps")]
pub async fn gap_report(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    query: web::Query<GapQuery>,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::ReportsRead)?;
    let query = query.into_inner();
    let csv = wants_csv(&req, query.format.as_deref())?;
    let org = caller.organization_id.clone();
    let today = Utc::now().date_naive();
    let report = state
        .db
        .run(move |conn| service::gap_report(conn, &org, &query, today))
        .await?;
    if csv {
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .body(service::gap_csv(&report)?));
    }
    Ok(HttpResponse::Ok().json(report))
}

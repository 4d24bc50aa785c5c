use actix_web::{get, web};
use chrono::Utc;

use super::dto::{AgreementQuery, AgreementReport, CalibrationQuery, CalibrationReport};
use super::service;
use crate::auth::caller::Caller;
use crate::auth::rules::Permission;
use crate::error::ApiResult;
use crate::http::ApiQuery;
use crate::state::AppState;

/// Shopper calibration (managers, admins, keys with `reports:read`): each shopper's leniency per
/// standard against the other shoppers at the same locations in the same months, with n and a
/// 95 % t-interval; significantly lenient or harsh shoppers first. Read from roll-ups kept on
/// approval.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = []), ("api_key" = [])),
    params(CalibrationQuery),
    responses((status = 200, description = "The report", body = CalibrationReport))
)]
#[get("/v1/reports/shoppers/calibration")]
pub async fn shopper_calibration(
    state: web::Data<AppState>,
    caller: Caller,
    query: ApiQuery<CalibrationQuery>,
) -> ApiResult<web::Json<CalibrationReport>> {
    caller.require(Permission::ReportsRead)?;
    let org = caller.organization_id.clone();
    let query = query.into_inner();
    let now = Utc::now();
    let report = state
        .db
        .run(move |conn| {
            let today = crate::reports::service::today(conn, &org, now)?;
            service::calibration(conn, &org, &query, today)
        })
        .await?;
    Ok(web::Json(report))
}

/// Rater agreement of double shops (managers, admins, keys with `reports:read`): per pair of
/// shoppers, percent agreement and Cohen's kappa over the items both scored in the double
/// shops they did together. Read from roll-ups kept on approval.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = []), ("api_key" = [])),
    params(AgreementQuery),
    responses((status = 200, description = "The report", body = AgreementReport))
)]
#[get("/v1/reports/shoppers/agreement")]
pub async fn rater_agreement(
    state: web::Data<AppState>,
    caller: Caller,
    query: ApiQuery<AgreementQuery>,
) -> ApiResult<web::Json<AgreementReport>> {
    caller.require(Permission::ReportsRead)?;
    let org = caller.organization_id.clone();
    let query = query.into_inner();
    let now = Utc::now();
    let report = state
        .db
        .run(move |conn| {
            let today = crate::reports::service::today(conn, &org, now)?;
            service::agreement_report(conn, &org, &query, today)
        })
        .await?;
    Ok(web::Json(report))
}

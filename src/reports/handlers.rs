use actix_web::http::header;
use actix_web::{delete, get, post, web, HttpRequest, HttpResponse};
use chrono::{NaiveDate, Utc};
use futures_util::StreamExt;
use serde::Serialize;

use super::dto::{
    GapQuery, GapReport, Ranking, RankingQuery, ReportFormat, Scorecard, ScorecardQuery, Trend,
    TrendQuery,
};
use super::export::{self, ExportQuery};
use super::self_assessments::{
    self, RecordSelfAssessment, SelfAssessment, SelfAssessmentQuery, SelfAssessmentReport,
};
use super::service;
use crate::auth::caller::Caller;
use crate::auth::rules::Permission;
use crate::csv_writer::rows_to_csv;
use crate::db::DbConn;
use crate::error::{ApiResult, Problem};
use crate::http::{parse_id, ApiJson, ApiQuery};
use crate::state::AppState;

/// What every report handler does: `reports:read`, the format checked before any work, the
/// report built on the blocking pool, answered as JSON or as its rows in CSV.
async fn answer<Q, T, R>(
    state: &AppState,
    caller: &Caller,
    req: &HttpRequest,
    query: Q,
    format: Option<ReportFormat>,
    build: fn(&mut DbConn, &str, &Q, NaiveDate) -> ApiResult<T>,
    rows: fn(&T) -> &[R],
) -> ApiResult<HttpResponse>
where
    Q: Send + 'static,
    T: Serialize + Send + 'static,
    R: Serialize,
{
    caller.require(Permission::ReportsRead)?;
    let org = caller.organization_id.clone();
    let today = Utc::now().date_naive();
    let report = state
        .db
        .run(move |conn| build(conn, &org, &query, today))
        .await?;
    respond(req, format, &report, rows(&report))
}

/// The report as JSON, or its rows as CSV when the caller asked for that.
fn respond<T: Serialize, R: Serialize>(
    req: &HttpRequest,
    format: Option<ReportFormat>,
    report: &T,
    rows: &[R],
) -> ApiResult<HttpResponse> {
    if wants_csv(req, format) {
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .body(rows_to_csv(rows)?));
    }
    Ok(HttpResponse::Ok().json(report))
}

/// Whether the caller asked for CSV: `format=csv`, or `Accept: text/csv` without `format`.
fn wants_csv(req: &HttpRequest, format: Option<ReportFormat>) -> bool {
    match format {
        Some(format) => format == ReportFormat::Csv,
        None => req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("text/csv")),
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
        (status = 200, description = "The report; its rows as CSV when asked", content(
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
    query: ApiQuery<GapQuery>,
) -> ApiResult<HttpResponse> {
    let query = query.into_inner();
    let format = query.format;
    answer(
        &state,
        &caller,
        &req,
        query,
        format,
        service::gap_report,
        |r| &r.rows,
    )
    .await
}

/// One location's scorecard (managers, admins, keys with `reports:read`): visit-score average
/// with its interval and distribution, critical failures, its standards ranked by gap, against
/// its region's and the organization's averages.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = []), ("api_key" = [])),
    params(ScorecardQuery),
    responses(
        (status = 200, description = "The scorecard; its standards as CSV when asked", content(
            (Scorecard = "application/json"),
            (String = "text/csv"),
        )),
        (status = 404, description = "No such location in this organization", body = Problem,
            content_type = "application/problem+json"),
    )
)]
#[get("/v1/reports/scorecard")]
pub async fn scorecard(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    query: ApiQuery<ScorecardQuery>,
) -> ApiResult<HttpResponse> {
    let query = query.into_inner();
    let format = query.format;
    answer(
        &state,
        &caller,
        &req,
        query,
        format,
        service::scorecard,
        |r| &r.standards,
    )
    .await
}

/// Delivered and gap per month or ISO week for a standard, a dimension or the visit score, for
/// the organization, a region or a location, with the change against the previous period.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = []), ("api_key" = [])),
    params(TrendQuery),
    responses(
        (status = 200, description = "The trend; its points as CSV when asked", content(
            (Trend = "application/json"),
            (String = "text/csv"),
        )),
        (status = 404, description = "No such location in this organization", body = Problem,
            content_type = "application/problem+json"),
    )
)]
#[get("/v1/reports/trend")]
pub async fn trend(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    query: ApiQuery<TrendQuery>,
) -> ApiResult<HttpResponse> {
    let query = query.into_inner();
    let format = query.format;
    answer(&state, &caller, &req, query, format, service::trend, |r| {
        &r.points
    })
    .await
}

/// Locations ranked by visit score or by delivery on one standard, best first, each with its
/// Wilson interval and whether its sample is reliable.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = []), ("api_key" = [])),
    params(RankingQuery),
    responses((status = 200, description = "The ranking; its rows as CSV when asked", content(
        (Ranking = "application/json"),
        (String = "text/csv"),
    )))
)]
#[get("/v1/reports/ranking")]
pub async fn ranking(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    query: ApiQuery<RankingQuery>,
) -> ApiResult<HttpResponse> {
    let query = query.into_inner();
    let format = query.format;
    answer(
        &state,
        &caller,
        &req,
        query,
        format,
        service::ranking,
        |r| &r.rows,
    )
    .await
}

/// Records what managers believe a location (or, without `location_id`, the organization)
/// delivers on a standard over a period (managers, admins). The same scope, standard and period
/// again replaces the belief (200).
#[utoipa::path(
    tag = "reports",
    security(("bearer" = [])),
    request_body = RecordSelfAssessment,
    responses(
        (status = 201, description = "Recorded", body = SelfAssessment),
        (status = 200, description = "Replaced the earlier belief", body = SelfAssessment),
    )
)]
#[post("/v1/self-assessments")]
pub async fn record_self_assessment(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<RecordSelfAssessment>,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::SelfAssessmentsWrite)?;
    let org = caller.organization_id.clone();
    let by = caller.user_id().map(str::to_string);
    let (recorded, created) = state
        .db
        .transaction(move |conn| {
            self_assessments::record(
                conn,
                &org,
                by.as_deref(),
                body.into_inner(),
                Utc::now().naive_utc(),
            )
        })
        .await?;
    Ok(if created {
        HttpResponse::Created().json(recorded)
    } else {
        HttpResponse::Ok().json(recorded)
    })
}

/// Recorded beliefs (managers, admins, keys with `reports:read`), at most 1,000; as CSV with
/// `format=csv` or `Accept: text/csv`.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = []), ("api_key" = [])),
    params(SelfAssessmentQuery),
    responses((status = 200, description = "The beliefs; as CSV when asked", content(
        (Vec<SelfAssessment> = "application/json"),
        (String = "text/csv"),
    )))
)]
#[get("/v1/self-assessments")]
pub async fn list_self_assessments(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    query: ApiQuery<SelfAssessmentQuery>,
) -> ApiResult<HttpResponse> {
    let query = query.into_inner();
    let format = query.format;
    answer(
        &state,
        &caller,
        &req,
        query,
        format,
        |conn, org, query, _| self_assessments::list(conn, org, query),
        |beliefs| beliefs.as_slice(),
    )
    .await
}

/// Deletes a belief (managers, admins).
#[utoipa::path(
    tag = "reports",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Self-assessment id")),
    responses((status = 204, description = "Deleted"))
)]
#[delete("/v1/self-assessments/{id}")]
pub async fn delete_self_assessment(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::SelfAssessmentsWrite)?;
    let id = parse_id(&id)?;
    let org = caller.organization_id.clone();
    state
        .db
        .transaction(move |conn| self_assessments::delete(conn, &org, &id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Believed beside delivered for every recorded belief, with the self-assessment gap
/// (believed − delivered), the delivery gap, and their organization-wide mean.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = []), ("api_key" = [])),
    params(SelfAssessmentQuery),
    responses((status = 200, description = "The report; its rows as CSV when asked", content(
        (SelfAssessmentReport = "application/json"),
        (String = "text/csv"),
    )))
)]
#[get("/v1/reports/self-assessment")]
pub async fn self_assessment_report(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    query: ApiQuery<SelfAssessmentQuery>,
) -> ApiResult<HttpResponse> {
    let query = query.into_inner();
    let format = query.format;
    answer(
        &state,
        &caller,
        &req,
        query,
        format,
        self_assessments::report,
        |r| &r.rows,
    )
    .await
}

/// Approved submissions with their answers (reviewer edits applied) and scores, one CSV line
/// per answer, for analysts (managers, admins, keys with `submissions:read`: the file holds
/// every answer and comment, so `reports:read` alone, which sees only aggregates, is not
/// enough). Streamed.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = []), ("api_key" = [])),
    params(ExportQuery),
    responses((status = 200, description = "The CSV", body = String, content_type = "text/csv"))
)]
#[get("/v1/exports/submissions")]
pub async fn export_submissions(
    state: web::Data<AppState>,
    caller: Caller,
    query: ApiQuery<ExportQuery>,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::SubmissionsRead)?;
    let org = caller.organization_id.clone();
    let query = query.into_inner();
    // The first page is read before answering, so a failure is a problem response, not a
    // truncated file.
    let (first, mut after) = {
        let (org, query) = (org.clone(), query.clone());
        state
            .db
            .run(move |conn| export::page(conn, &org, &query, None))
            .await?
    };
    let db = state.db.clone();
    let rest = futures_util::stream::unfold(after.take(), move |after| {
        let (db, org, query) = (db.clone(), org.clone(), query.clone());
        async move {
            let after = after?;
            let page = db
                .run(move |conn| export::page(conn, &org, &query, Some(&after)))
                .await;
            Some(match page {
                Ok((text, next)) => (Ok(web::Bytes::from(text)), next),
                Err(e) => (Err(actix_web::Error::from(e)), None),
            })
        }
    });
    let body = futures_util::stream::once(async move { Ok(web::Bytes::from(first)) }).chain(rest);
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"submissions.csv\"",
        ))
        .streaming(body))
}

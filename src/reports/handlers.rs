use actix_web::http::header;
use actix_web::{delete, get, post, web, HttpRequest, HttpResponse};
use chrono::{NaiveDate, Utc};
use futures_util::StreamExt;
use serde::Serialize;

use super::dto::{
    GapQuery, GapReport, Ranking, RankingQuery, Scorecard, ScorecardQuery, Trend, TrendQuery,
};
use super::export::{self, ExportQuery};
use super::five_gaps::{self, FiveGapsQuery, FiveGapsReport};
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

/// How a report answers: as JSON unless the request prefers CSV (`Accept: text/csv` without
/// `application/json`), or as CSV always (the `.csv` operations: one representation each, so a
/// generated client and a spreadsheet's "from web" can call them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Representation {
    Negotiated,
    Csv,
}

/// What every report handler does: `reports:read`, the report built on the blocking pool,
/// answered as JSON or as its rows in CSV.
async fn answer<Q, T, R>(
    state: &AppState,
    caller: &Caller,
    req: &HttpRequest,
    query: Q,
    representation: Representation,
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
    let now = Utc::now();
    let report = state
        .db
        .run(move |conn| {
            let today = service::today(conn, &org, now)?;
            build(conn, &org, &query, today)
        })
        .await?;
    if representation == Representation::Csv || prefers_csv(req) {
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .body(rows_to_csv(rows(&report))?));
    }
    Ok(HttpResponse::Ok().json(&report))
}

/// `Accept: text/csv` (and not `application/json`).
fn prefers_csv(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/csv") && !accept.contains("application/json"))
}

/// A report's rows as CSV, as an operation of its own (`GET /v1/reports/gaps.csv`, …): the
/// same filters, one representation, so generated clients and spreadsheets call it directly.
macro_rules! csv_operation {
    (
        $(#[doc = $doc:literal])*
        $name:ident, $path:literal, $query:ty, $build:expr, $rows:expr
        $(, $extra:tt)*
    ) => {
        $(#[doc = $doc])*
        #[utoipa::path(
            tag = "reports",
            security(("bearer" = []), ("api_key" = [])),
            params($query),
            responses(
                (status = 200, description = "The rows as CSV, headed by their field names; a cell a spreadsheet could run as a formula starts with `'`",
                 body = String, content_type = "text/csv"),
                $($extra),*
            )
        )]
        #[get($path)]
        pub async fn $name(
            state: web::Data<AppState>,
            caller: Caller,
            req: HttpRequest,
            query: ApiQuery<$query>,
        ) -> ApiResult<HttpResponse> {
            answer(
                &state,
                &caller,
                &req,
                query.into_inner(),
                Representation::Csv,
                $build,
                $rows,
            )
            .await
        }
    };
}

csv_operation!(
    /// The gap report's rows as CSV.
    gap_report_csv,
    "/v1/reports/gaps.csv",
    GapQuery,
    service::gap_report,
    |r: &GapReport| r.rows.as_slice()
);

csv_operation!(
    /// A location's standards, ranked by gap, as CSV (the scorecard's table).
    scorecard_csv,
    "/v1/reports/scorecard.csv",
    ScorecardQuery,
    service::scorecard,
    |r: &Scorecard| r.standards.as_slice(),
    (status = 404, description = "No such location in this organization", body = Problem,
        content_type = "application/problem+json")
);

csv_operation!(
    /// The trend's periods as CSV.
    trend_csv,
    "/v1/reports/trend.csv",
    TrendQuery,
    service::trend,
    |r: &Trend| r.points.as_slice(),
    (status = 404, description = "No such location in this organization", body = Problem,
        content_type = "application/problem+json")
);

csv_operation!(
    /// The ranking's rows as CSV.
    ranking_csv,
    "/v1/reports/ranking.csv",
    RankingQuery,
    service::ranking,
    |r: &Ranking| r.rows.as_slice()
);

csv_operation!(
    /// The self-assessment report's rows as CSV.
    self_assessment_report_csv,
    "/v1/reports/self-assessment.csv",
    SelfAssessmentQuery,
    self_assessments::report,
    |r: &SelfAssessmentReport| r.rows.as_slice()
);

csv_operation!(
    /// Recorded beliefs as CSV.
    list_self_assessments_csv,
    "/v1/self-assessments.csv",
    SelfAssessmentQuery,
    |conn, org, query, _| self_assessments::list(conn, org, query),
    |beliefs: &Vec<SelfAssessment>| beliefs.as_slice()
);

/// Delivery gaps against the standards over approved visits (managers, admins, keys with
/// `reports:read`): filters, one or two groupings, delivered with its Wilson interval, the gap
/// to target, whether it is significant and whether the sample is reliable. Largest shortfall
/// first. Read from roll-ups kept up to date on approval.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = []), ("api_key" = [])),
    params(GapQuery),
    responses(
        (status = 200, description = "The report; its rows as CSV when the request prefers `text/csv` (or use the `.csv` operation)", content(
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
    answer(
        &state,
        &caller,
        &req,
        query,
        Representation::Negotiated,
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
        (status = 200, description = "The scorecard; its standards as CSV when the request prefers `text/csv` (or use the `.csv` operation)", content(
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
    answer(
        &state,
        &caller,
        &req,
        query,
        Representation::Negotiated,
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
        (status = 200, description = "The trend; its points as CSV when the request prefers `text/csv` (or use the `.csv` operation)", content(
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
    answer(
        &state,
        &caller,
        &req,
        query,
        Representation::Negotiated,
        service::trend,
        |r| &r.points,
    )
    .await
}

/// Locations ranked by visit score or by delivery on one standard, best first, each with its
/// Wilson interval and whether its sample is reliable.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = []), ("api_key" = [])),
    params(RankingQuery),
    responses((status = 200, description = "The ranking; its rows as CSV when the request prefers `text/csv` (or use the `.csv` operation)", content(
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
    answer(
        &state,
        &caller,
        &req,
        query,
        Representation::Negotiated,
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

/// Recorded beliefs (managers, admins, keys with `reports:read`), at most 1,000.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = []), ("api_key" = [])),
    params(SelfAssessmentQuery),
    responses((status = 200, description = "The beliefs; as CSV when the request prefers `text/csv` (or use the `.csv` operation)", content(
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
    answer(
        &state,
        &caller,
        &req,
        query,
        Representation::Negotiated,
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
    responses((status = 200, description = "The report; its rows as CSV when the request prefers `text/csv` (or use the `.csv` operation)", content(
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
    answer(
        &state,
        &caller,
        &req,
        query,
        Representation::Negotiated,
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

/// The five-gaps ladder (managers, admins, keys with `reports:read`): per standard or
/// dimension, customer expectation and perception, management's view, target, delivered and
/// promised level, with gaps 1 to 5, their intervals, `significant`, `reliable` and the
/// missing inputs named; the weighted gap 5 and the channel preferences. Survey figures are
/// read from roll-ups kept up to date as responses arrive.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = []), ("api_key" = [])),
    params(FiveGapsQuery),
    responses(
        (status = 200, description = "The ladder; its rows as CSV when the request prefers `text/csv` (or use the `.csv` operation)", content(
            (FiveGapsReport = "application/json"),
            (String = "text/csv"),
        )),
    )
)]
#[get("/v1/reports/five-gaps")]
pub async fn five_gaps_report(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    query: ApiQuery<FiveGapsQuery>,
) -> ApiResult<HttpResponse> {
    answer(
        &state,
        &caller,
        &req,
        query.into_inner(),
        Representation::Negotiated,
        five_gaps::report,
        |r| &r.csv_rows,
    )
    .await
}

csv_operation!(
    /// The five-gaps ladder's rows as CSV, one line per standard or dimension.
    five_gaps_report_csv,
    "/v1/reports/five-gaps.csv",
    FiveGapsQuery,
    five_gaps::report,
    |r: &FiveGapsReport| r.csv_rows.as_slice()
);

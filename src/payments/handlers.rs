use actix_web::{get, post, web, HttpResponse};
use chrono::Utc;

use super::dto::{
    BatchFilter, CreateBatch, Earnings, MarkPaid, PaymentBatchDetail, PaymentBatchList,
    StatementList,
};
use super::service;
use crate::auth::caller::Caller;
use crate::auth::rules::Permission;
use crate::error::{ApiResult, Problem};
use crate::http::{next_cursor, parse_id, ApiJson, ApiQuery, OptionalJson, PageQuery};
use crate::state::AppState;

/// Gathers every payable line earned in the period and in no batch yet into a new open batch
/// (admins, keys with `payments:write`).
#[utoipa::path(
    tag = "payments",
    security(("bearer" = []), ("api_key" = [])),
    request_body = CreateBatch,
    responses(
        (status = 201, description = "The batch with each shopper's totals", body = PaymentBatchDetail),
        (status = 422, description = "A bad period, or nothing payable in it", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/payment-batches")]
pub async fn create_batch(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<CreateBatch>,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::PaymentsWrite)?;
    let (org, by) = caller.owned_ids();
    let batch = state
        .db
        .transaction(move |conn| {
            service::create_batch(
                conn,
                &org,
                by.as_deref(),
                body.into_inner(),
                Utc::now().naive_utc(),
            )
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            "Location",
            format!("/v1/payment-batches/{}", batch.batch.id),
        ))
        .json(batch))
}

/// The organization's payment batches, newest first (managers, admins, keys with
/// `payments:read`).
#[utoipa::path(
    tag = "payments",
    security(("bearer" = []), ("api_key" = [])),
    params(BatchFilter, PageQuery),
    responses((status = 200, description = "One page of batches", body = PaymentBatchList))
)]
#[get("/v1/payment-batches")]
pub async fn list_batches(
    state: web::Data<AppState>,
    caller: Caller,
    filter: ApiQuery<BatchFilter>,
    page: ApiQuery<PageQuery>,
) -> ApiResult<web::Json<PaymentBatchList>> {
    caller.require(Permission::PaymentsRead)?;
    let limit = page.limit()?;
    let after = page.after()?;
    let status = filter.status;
    let org = caller.organization_id.clone();
    let mut items = state
        .db
        .run(move |conn| service::list_batches(conn, &org, status, after.as_deref(), limit))
        .await?;
    let mut ids: Vec<String> = items.iter().map(|b| b.id.to_string()).collect();
    let next_cursor = next_cursor(&mut ids, limit, String::as_str);
    items.truncate(ids.len());
    Ok(web::Json(PaymentBatchList { items, next_cursor }))
}

/// One batch with each shopper's totals per currency.
#[utoipa::path(
    tag = "payments",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Batch id")),
    responses((status = 200, description = "The batch", body = PaymentBatchDetail))
)]
#[get("/v1/payment-batches/{id}")]
pub async fn get_batch(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<web::Json<PaymentBatchDetail>> {
    caller.require(Permission::PaymentsRead)?;
    let id = parse_id(&id)?;
    let org = caller.organization_id.clone();
    let batch = state
        .db
        .run(move |conn| service::batch_detail(conn, &org, &id))
        .await?;
    Ok(web::Json(batch))
}

/// The batch as CSV for the payroll or payment provider: one row per shopper and currency,
/// money as decimal text in the currency's own decimals; text cells a spreadsheet would run
/// are neutralised.
#[utoipa::path(
    tag = "payments",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Batch id")),
    responses((status = 200, description = "The batch's rows", body = String, content_type = "text/csv"))
)]
#[get("/v1/payment-batches/{id}/export.csv")]
pub async fn export_batch(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::PaymentsRead)?;
    let id = parse_id(&id)?;
    let org = caller.organization_id.clone();
    let name = format!("payment-batch-{id}.csv");
    let csv = state
        .db
        .run(move |conn| service::batch_csv(conn, &org, &id))
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{name}\""),
        ))
        .body(csv))
}

/// Records that the batch was paid (admins, keys with `payments:write`).
#[utoipa::path(
    tag = "payments",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Batch id")),
    request_body(content = Option<MarkPaid>, description = "The payment's reference"),
    responses(
        (status = 200, description = "Paid", body = PaymentBatchDetail),
        (status = 409, description = "The batch is not open", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/payment-batches/{id}/paid")]
pub async fn mark_paid(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: OptionalJson<MarkPaid>,
) -> ApiResult<web::Json<PaymentBatchDetail>> {
    caller.require(Permission::PaymentsWrite)?;
    let id = parse_id(&id)?;
    let (org, by) = caller.owned_ids();
    let input = body.0;
    let batch = state
        .db
        .transaction(move |conn| {
            service::mark_paid(
                conn,
                &org,
                by.as_deref(),
                &id,
                input,
                Utc::now().naive_utc(),
            )
        })
        .await?;
    Ok(web::Json(batch))
}

/// Calls off an open batch; its lines become payable again (admins, keys with
/// `payments:write`).
#[utoipa::path(
    tag = "payments",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Batch id")),
    responses(
        (status = 200, description = "Cancelled", body = PaymentBatchDetail),
        (status = 409, description = "The batch is not open", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/payment-batches/{id}/cancel")]
pub async fn cancel_batch(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<web::Json<PaymentBatchDetail>> {
    caller.require(Permission::PaymentsWrite)?;
    let id = parse_id(&id)?;
    let org = caller.organization_id.clone();
    let batch = state
        .db
        .transaction(move |conn| service::cancel_batch(conn, &org, &id, Utc::now().naive_utc()))
        .await?;
    Ok(web::Json(batch))
}

/// The shopper's own earnings: owed, scheduled and paid per currency, and the latest lines.
#[utoipa::path(
    tag = "payments",
    security(("bearer" = [])),
    responses((status = 200, description = "The shopper's earnings", body = Earnings))
)]
#[get("/v1/me/earnings")]
pub async fn my_earnings(
    state: web::Data<AppState>,
    caller: Caller,
) -> ApiResult<web::Json<Earnings>> {
    let me = caller.require_shopper()?;
    let org = caller.organization_id.clone();
    let earnings = state
        .db
        .run(move |conn| service::earnings(conn, &org, &me))
        .await?;
    Ok(web::Json(earnings))
}

/// The shopper's statements: what each paid batch paid them, newest first.
#[utoipa::path(
    tag = "payments",
    security(("bearer" = [])),
    responses((status = 200, description = "The shopper's statements", body = StatementList))
)]
#[get("/v1/me/statements")]
pub async fn my_statements(
    state: web::Data<AppState>,
    caller: Caller,
) -> ApiResult<web::Json<StatementList>> {
    let me = caller.require_shopper()?;
    let org = caller.organization_id.clone();
    let items = state
        .db
        .run(move |conn| service::statements(conn, &org, &me))
        .await?;
    Ok(web::Json(StatementList { items }))
}

/// A shopper's earnings (managers, admins, keys with `payments:read`).
#[utoipa::path(
    tag = "payments",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Shopper (user) id")),
    responses((status = 200, description = "The shopper's earnings", body = Earnings))
)]
#[get("/v1/shoppers/{id}/earnings")]
pub async fn shopper_earnings(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<web::Json<Earnings>> {
    caller.require(Permission::PaymentsRead)?;
    let id = parse_id(&id)?;
    let org = caller.organization_id.clone();
    let earnings = state
        .db
        .run(move |conn| {
            crate::shoppers::service::find_shopper(conn, &org, &id)?;
            service::earnings(conn, &org, &id)
        })
        .await?;
    Ok(web::Json(earnings))
}

//! Operations endpoints: liveness, readiness and Prometheus metrics.

use actix_web::{get, web, HttpResponse};
use diesel::connection::SimpleConnection;
use prometheus::{Encoder, IntGauge, Registry, TextEncoder};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;

pub fn routes(cfg: &mut crate::app::Routes) {
    cfg.service(healthz).service(readyz).service(metrics);
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` when the check passed.
    pub status: String,
    /// The database backend, on `/readyz`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
}

/// The process is up (liveness). Touches nothing else.
#[utoipa::path(tag = "operations", responses((status = 200, description = "Up", body = Health)))]
#[get("/healthz")]
pub async fn healthz() -> web::Json<Health> {
    web::Json(Health {
        status: "ok".into(),
        database: None,
    })
}

/// The database answers (readiness): a load balancer sends traffic only when this is 200.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "Ready", body = Health),
        (status = 503, description = "The database is not reachable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> ApiResult<web::Json<Health>> {
    let backend = state
        .db
        .run(|conn| {
            conn.batch_execute("SELECT 1")
                .map_err(|e| ApiError::Unavailable(format!("database check failed: {e}")))?;
            Ok(match conn {
                crate::db::DbConn::Postgres(_) => "postgres",
                crate::db::DbConn::Sqlite(_) => "sqlite",
            })
        })
        .await
        .map_err(|e| match e {
            ApiError::Internal(_) => ApiError::Unavailable("the database is not reachable".into()),
            other => other,
        })?;
    Ok(web::Json(Health {
        status: "ok".into(),
        database: Some(backend.into()),
    }))
}

/// Metrics the HTTP middleware records plus the pool's, registered once per process.
#[derive(Clone)]
pub struct Metrics {
    pub registry: Registry,
    pool_connections: IntGauge,
    pool_idle: IntGauge,
    pool_max: IntGauge,
    /// The webhook workers' queue depth and attempts.
    pub webhooks: crate::webhooks::delivery::WorkerMetrics,
}

impl Metrics {
    pub fn new() -> Self {
        let registry = Registry::new();
        let gauge = |name: &str, help: &str| {
            let g = IntGauge::new(name, help).expect("valid metric");
            registry
                .register(Box::new(g.clone()))
                .expect("unique metric");
            g
        };
        Metrics {
            pool_connections: gauge("shopgap_db_pool_connections", "Open database connections"),
            pool_idle: gauge(
                "shopgap_db_pool_idle_connections",
                "Idle database connections",
            ),
            pool_max: gauge("shopgap_db_pool_max_connections", "Pool size limit"),
            webhooks: crate::webhooks::delivery::WorkerMetrics {
                queue_depth: gauge(
                    "shopgap_webhook_queue_depth",
                    "Webhook deliveries waiting to be sent (this process's last count)",
                ),
                attempts: {
                    let c = prometheus::IntCounterVec::new(
                        prometheus::Opts::new(
                            "shopgap_webhook_attempts_total",
                            "Webhook delivery attempts by outcome (delivered, failed)",
                        ),
                        &["outcome"],
                    )
                    .expect("valid metric");
                    registry
                        .register(Box::new(c.clone()))
                        .expect("unique metric");
                    c
                },
            },
            registry,
        }
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// Prometheus text format: `shopgap_http_requests_total` and
/// `shopgap_http_requests_duration_seconds` by route, method and status; pool usage.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "Prometheus text exposition", body = String, content_type = "text/plain"))
)]
#[get("/metrics")]
pub async fn metrics(
    state: web::Data<AppState>,
    metrics: web::Data<Metrics>,
) -> ApiResult<HttpResponse> {
    let pool = state.db.pool().state();
    metrics.pool_connections.set(pool.connections as i64);
    metrics.pool_idle.set(pool.idle_connections as i64);
    metrics.pool_max.set(state.db.pool().max_size() as i64);
    let mut buffer = Vec::new();
    TextEncoder::new()
        .encode(&metrics.registry.gather(), &mut buffer)
        .map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(buffer))
}

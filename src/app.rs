//! Builds the HTTP application, the same way for `shopgap serve` and for the tests.

use std::net::TcpListener;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::{Compat, DefaultHeaders, NormalizePath, TrailingSlash};
use actix_web::{web, App, HttpServer};
use actix_web_prom::PrometheusMetricsBuilder;
use tracing_actix_web::{RequestId, RootSpanBuilder, TracingLogger};
use utoipa_actix_web::service_config::ServiceConfig;
use utoipa_swagger_ui::SwaggerUi;

use crate::http::{fallback, path_config, payload_config, query_config, RouteTable};
use crate::ops::Metrics;
use crate::state::AppState;

/// Every documented route. Each domain registers its own.
pub fn configure_api(cfg: &mut ServiceConfig) {
    crate::ops::routes(cfg);
    crate::auth::routes(cfg);
    crate::organizations::routes(cfg);
    crate::users::routes(cfg);
    crate::api_keys::routes(cfg);
    crate::standards::routes(cfg);
    crate::checklists::routes(cfg);
    crate::surveys::routes(cfg);
    crate::events::routes(cfg);
    crate::webhooks::routes(cfg);
    crate::promises::routes(cfg);
    crate::corrective_actions::routes(cfg);
    crate::locations::routes(cfg);
    crate::reports::routes(cfg);
    crate::shoppers::routes(cfg);
    crate::certification::routes(cfg);
    crate::payments::routes(cfg);
    crate::calibration::routes(cfg);
    crate::assignments::routes(cfg);
    crate::submissions::routes(cfg);
    crate::attachments::routes(cfg);
}

pub struct ServerOptions {
    pub workers: Option<usize>,
    pub shutdown_timeout: Duration,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            workers: None,
            shutdown_timeout: Duration::from_secs(30),
        }
    }
}

/// Starts serving on `listener`. The returned server runs until stopped (or SIGTERM/SIGINT,
/// after which in-flight requests get `shutdown_timeout` to finish).
pub fn serve(
    listener: TcpListener,
    state: AppState,
    options: ServerOptions,
) -> std::io::Result<Server> {
    let metrics = Metrics::new();
    let prometheus = PrometheusMetricsBuilder::new("shopgap")
        .registry(metrics.registry.clone())
        .mask_unmatched_patterns("UNMATCHED")
        .exclude("/metrics")
        .build()
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let api = crate::openapi::openapi();
    let routes = RouteTable::from_openapi(&api);
    let max_json = state.config.max_json_bytes;
    spawn_expiry_sweeper(state.clone());
    crate::webhooks::delivery::spawn_worker(state.clone(), Some(metrics.webhooks.clone()));
    crate::photos::service::spawn_worker(state.clone());
    let state = web::Data::new(state);
    let metrics = web::Data::new(metrics);
    let routes = web::Data::new(routes);

    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(metrics.clone())
            .app_data(routes.clone())
            .app_data(payload_config(max_json))
            .app_data(query_config())
            .app_data(path_config())
            .configure(|cfg| {
                let mut cfg = ServiceConfig::new(cfg);
                configure_api(&mut cfg);
            })
            .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", api.clone()))
            .service(web::redirect("/docs", "/docs/"))
            .configure(crate::dashboard::routes)
            .default_service(web::to(fallback))
            .wrap(actix_web::middleware::from_fn(
                crate::idempotency::middleware,
            ))
            .wrap(actix_web::middleware::from_fn(crate::http::screen))
            .wrap(Compat::new(NormalizePath::new(TrailingSlash::MergeOnly)))
            .wrap(prometheus.clone())
            .wrap(
                // No page of ours may be framed by another site (clickjacking), `/docs/`
                // included; responses that set their own policy keep it.
                DefaultHeaders::new()
                    .add(("X-Content-Type-Options", "nosniff"))
                    .add(("Cache-Control", "no-store"))
                    .add(("X-Frame-Options", "DENY"))
                    .add(("Content-Security-Policy", "frame-ancestors 'none'")),
            )
            .wrap_fn(|req, srv| {
                use actix_web::dev::Service;
                use actix_web::HttpMessage;
                let request_id = req.extensions().get::<RequestId>().map(|id| id.to_string());
                let fut = srv.call(req);
                async move {
                    let mut res = fut.await?;
                    if let Some(id) = request_id.and_then(|id| HeaderValue::from_str(&id).ok()) {
                        res.headers_mut()
                            .insert(HeaderName::from_static("x-request-id"), id);
                    }
                    Ok(res)
                }
            })
            .wrap(TracingLogger::<RequestSpan>::new())
    })
    .listen(listener)?
    .shutdown_timeout(options.shutdown_timeout.as_secs());
    if let Some(workers) = options.workers {
        server = server.workers(workers.max(1));
    }
    Ok(server.run())
}

/// The span each request runs in: method, target, request id and client address when it
/// starts; the route pattern, status and any error when it ends.
///
/// tracing-actix-web's default span reads the route pattern when the request starts, before
/// actix has routed it, which walks every route of the API a second time (each dynamic one a
/// regular expression) on every request whether or not the span is recorded; after routing the
/// pattern is a lookup. Host, scheme, protocol version and user agent are left out: they are
/// the same for nearly every request and cost a connection-info parse each.
struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &actix_web::dev::ServiceRequest) -> tracing::Span {
        use actix_web::HttpMessage;
        let request_id = request.extensions().get::<RequestId>().copied();
        tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.target = %request.uri(),
            http.client_ip = request.peer_addr().map(|a| tracing::field::display(a.ip())),
            request_id = request_id.map(tracing::field::display),
            http.route = tracing::field::Empty,
            http.status_code = tracing::field::Empty,
            exception.message = tracing::field::Empty,
            exception.details = tracing::field::Empty,
        )
    }

    fn on_request_end<B: actix_web::body::MessageBody>(
        span: tracing::Span,
        outcome: &Result<actix_web::dev::ServiceResponse<B>, actix_web::Error>,
    ) {
        if span.is_disabled() {
            return;
        }
        match outcome {
            Ok(response) => {
                if let Some(route) = response.request().match_pattern() {
                    span.record("http.route", route);
                }
                if let Some(error) = response.response().error() {
                    span.record("exception.message", tracing::field::display(error));
                    span.record("exception.details", tracing::field::debug(error));
                }
                span.record("http.status_code", response.status().as_u16());
            }
            Err(error) => {
                let response = error.as_response_error();
                span.record("exception.message", tracing::field::display(error));
                span.record("exception.details", tracing::field::debug(error));
                span.record("http.status_code", response.status_code().as_u16());
            }
        }
    }
}

/// Marks assignments whose window ended as expired, every `expiry_interval`, for as long as the
/// server's runtime lives. Readers already see such assignments as expired; this makes it stick
/// and records it in their history.
fn spawn_expiry_sweeper(state: AppState) {
    actix_web::rt::spawn(async move {
        let mut ticks = tokio::time::interval(state.config.expiry_interval);
        loop {
            ticks.tick().await;
            let result = state
                .db
                .transaction(|conn| {
                    crate::assignments::service::expire_due(conn, chrono::Utc::now().naive_utc())
                })
                .await;
            match result {
                Ok(0) => {}
                Ok(n) => tracing::info!(expired = n, "assignments expired"),
                Err(e) => tracing::warn!(error = %e, "expiry sweep failed"),
            }
        }
    });
}

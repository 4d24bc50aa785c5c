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
    let mut routes = Routes::default();
    register_domains(&mut routes);
    routes.mount(cfg);
}

fn register_domains(cfg: &mut Routes) {
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

/// The API's routes, gathered by the first two segments of their paths.
///
/// actix-web tries an app's routes in turn and matches each pattern with a parameter as a regular
/// expression, allocating its captures: with all 160 routes in one list that was 9-10 % of the
/// CPU of submission ingest (`perf`). Here each prefix (`/v1/submissions`, `/v1/me`, …) gets one
/// scope that a string comparison selects, so a request meets only the dozen patterns sharing its
/// prefix. The scopes are mounted at "" and picked by a guard, so the handlers keep their
/// absolute paths and the contract does not change; a prefix may gather routes of several
/// modules (`/v1/me`), in the order they were registered, which decides between a fixed path and
/// a parameter (`/v1/checklists/import` before `/v1/checklists/{id}`). A prefix's scope takes
/// every path under it: a path none of its routes matches goes to the app's default service
/// ([`fallback`]), as it did before.
#[derive(Default)]
pub struct Routes {
    scopes: Vec<(String, Vec<Registration>)>,
}

type Registration = Box<dyn FnOnce(&mut ServiceConfig)>;

impl Routes {
    /// Registers a documented handler under its path's prefix.
    pub fn service<F>(&mut self, handler: F) -> &mut Self
    where
        F: actix_web::dev::HttpServiceFactory + utoipa_actix_web::OpenApiFactory + 'static,
    {
        let paths = utoipa_actix_web::OpenApiFactory::paths(&handler);
        let path = paths
            .paths
            .keys()
            .next()
            .expect("every handler of the API is documented with its path");
        let prefix = route_prefix(path).to_string();
        let register: Registration = Box::new(move |cfg| {
            cfg.service(handler);
        });
        match self.scopes.iter_mut().find(|(p, _)| *p == prefix) {
            Some((_, registrations)) => registrations.push(register),
            None => self.scopes.push((prefix, vec![register])),
        }
        self
    }

    fn mount(self, cfg: &mut ServiceConfig) {
        for (prefix, registrations) in self.scopes {
            cfg.service(
                utoipa_actix_web::scope::scope("")
                    .guard(PathPrefix(prefix))
                    .configure(|cfg| registrations.into_iter().for_each(|r| r(cfg))),
            );
        }
    }
}

/// A path's first two segments (`/v1/submissions` of `/v1/submissions/{id}/submit`), or the
/// whole path when it has fewer.
fn route_prefix(path: &str) -> &str {
    let end = path
        .match_indices('/')
        .nth(2)
        .map_or(path.len(), |(at, _)| at);
    &path[..end]
}

/// Passes requests whose path is `prefix` or lies under it (`/v1/me/jobs`, not `/v1/meetings`).
struct PathPrefix(String);

impl actix_web::guard::Guard for PathPrefix {
    fn check(&self, ctx: &actix_web::guard::GuardContext<'_>) -> bool {
        let uri = &ctx.head().uri;
        let under = |path: &str| {
            path.strip_prefix(self.0.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        };
        // The router matches the path with percent-encoded unreserved characters decoded
        // (`/v1/%73ubmissions` is `/v1/submissions` to it); so does this guard. A raw path under
        // the prefix is under it decoded too (the prefix holds no `%`), so most requests pass or
        // fail on the raw path without decoding it.
        under(uri.path())
            || (uri.path().contains('%') && under(actix_web::dev::Url::new(uri.clone()).path()))
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::guard::Guard;
    use actix_web::test::TestRequest;

    #[test]
    fn a_route_prefix_is_its_first_two_segments() {
        assert_eq!(
            route_prefix("/v1/submissions/{id}/submit"),
            "/v1/submissions"
        );
        assert_eq!(route_prefix("/v1/me"), "/v1/me");
        assert_eq!(route_prefix("/v1/me/jobs"), "/v1/me");
        assert_eq!(route_prefix("/healthz"), "/healthz");
    }

    #[test]
    fn a_prefix_guard_passes_its_path_and_the_paths_under_it_only() {
        let guard = PathPrefix("/v1/me".into());
        let passes =
            |uri: &str| guard.check(&TestRequest::with_uri(uri).to_srv_request().guard_ctx());
        assert!(passes("/v1/me"));
        assert!(passes("/v1/me/jobs"));
        assert!(passes("/v1/me/jobs?near=1,2"));
        assert!(passes("/v1/%6De/jobs"), "decoded as the router decodes it");
        assert!(!passes("/v1/meetings"));
        assert!(!passes("/v1"));
        assert!(!passes("/v2/me"));
    }
}

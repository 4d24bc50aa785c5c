//! The managers' dashboard at `/app/`: a small single-page app whose files live in `dashboard/`
//! and are embedded in the binary (a debug build reads them from the checkout).
//!
//! Decisions:
//! - It is a client of the public API like any integrator: it signs in with `/v1/auth/login`,
//!   refreshes with `/v1/auth/refresh` and reads and reviews through the documented operations
//!   only, so every screen exercises the contract. Nothing here reads the database.
//! - No build step: ES modules, Preact with htm templates and Chart.js, vendored unmodified
//!   (`dashboard/vendor/README.md`), so `cargo run` and `cargo test` stay the only commands and
//!   no Node toolchain is needed.
//! - The pages are not API operations and are not in `openapi.yaml`, like `/docs/`.
//! - A strict Content-Security-Policy: scripts, styles and connections from this origin only,
//!   images also from `blob:` (evidence photos are fetched with the bearer token and shown as
//!   blobs), no inline script, no framing.
//! - The files are public (the sign-in page must load before anyone is signed in) and hold no
//!   data: every figure comes from the API under the caller's token. Like `/docs/`, they are
//!   served from memory without touching the database, so they are not rate-limited; signing
//!   in is (`/v1/auth/login`).
//! - Files are revalidated (`no-cache` with an `ETag` from their SHA-256), so a new binary's
//!   pages are never mixed with a cached old script.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse};
use base64::Engine;
use rust_embed::RustEmbed;

use crate::error::{ApiError, ApiResult};

#[derive(RustEmbed)]
#[folder = "dashboard/"]
struct Files;

/// Where the dashboard is served.
pub const MOUNT: &str = "/app/";

const POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' blob: data:; connect-src 'self'; font-src 'self'; object-src 'none'; \
    base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(to_dashboard))
        .route("/app", web::get().to(to_dashboard))
        .route("/app/{file:.*}", web::get().to(file));
}

async fn to_dashboard() -> HttpResponse {
    HttpResponse::Found()
        .insert_header((header::LOCATION, MOUNT))
        .finish()
}

/// The content type of a dashboard file, by its extension.
fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("json") => "application/json",
        Some("md") | Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

async fn file(req: HttpRequest, name: web::Path<String>) -> ApiResult<HttpResponse> {
    let name = match name.as_str() {
        "" => "index.html",
        other => other,
    };
    let found =
        Files::get(name).ok_or_else(|| ApiError::NotFound(format!("no dashboard file {name}")))?;
    let hash = found.metadata.sha256_hash();
    let etag = format!(
        "\"{}\"",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&hash[..18])
    );
    let unchanged = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag));
    let mut response = if unchanged {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::CONTENT_SECURITY_POLICY, POLICY))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .insert_header((
            header::ETAG,
            HeaderValue::from_str(&etag).map_err(ApiError::internal)?,
        ));
    Ok(if unchanged {
        response.finish()
    } else {
        response
            .content_type(content_type(name))
            .body(found.data.into_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_has_a_known_type() {
        for name in Files::iter() {
            assert_ne!(
                content_type(&name),
                "application/octet-stream",
                "{name} would be served without its type"
            );
        }
        assert!(Files::get("index.html").is_some());
    }
}

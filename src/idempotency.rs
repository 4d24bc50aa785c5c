//! `Idempotency-Key` on POST requests: the same key with the same request replays the stored
//! response; the same key with another request is 422; the same key while the first request is
//! still running is 409. Keys are kept for 24 hours.
//!
//! The rules that keep it safe:
//! - A key belongs to a principal that has just **authenticated fully** (the user's id from a
//!   verified token whose session is live, or the API key's id after its secret, revocation and
//!   expiry were checked), before anything is read from the store. A request whose credentials
//!   fail is handed on unremembered (the handler answers 401), so a forged key can neither read
//!   a replay nor plant an answer; a revoked key or an ended session gets no replays.
//! - The fingerprint covers the method, path, query string, content type and body.
//! - Answers a retry should not see again are not stored: server errors (retry them), 401, 408
//!   and 429 (the request did not run).
//! - **Secrets are never stored.** A response showing a secret once (a new API key, a generated
//!   password, a token pair) is marked by its handler ([`shown_once`]); for it only the fact is
//!   kept (status and `Location`), and a resend is answered 409 saying the request was carried
//!   out and its secret is not shown twice. Storing it encrypted would keep a secret at rest and
//!   show a "shown once" secret twice; refusing the resend does neither.

use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpResponse, ResponseError};
use chrono::{TimeDelta, Utc};
use diesel::prelude::*;
use futures_util::StreamExt;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::auth::caller::{authenticate, presents_credentials, Principal};
use crate::db::schema::idempotency_keys as keys;
use crate::error::ApiError;
use crate::state::AppState;

const HEADER: &str = "idempotency-key";
const KEEP: TimeDelta = TimeDelta::hours(24);

/// Marks a response that shows a secret for the only time: it is never stored for replay.
#[derive(Debug, Clone, Copy)]
pub struct ShownOnce;

/// A 200 JSON response that shows a secret once.
pub fn shown_once<T: Serialize>(body: T) -> HttpResponse {
    mark_shown_once(HttpResponse::Ok().json(body))
}

/// Marks any response as showing a secret once.
pub fn mark_shown_once(mut response: HttpResponse) -> HttpResponse {
    response.extensions_mut().insert(ShownOnce);
    response
}

/// The request's fingerprint: method, path, query, content type and body, each length-prefixed
/// so no two different requests run together into the same text.
pub fn fingerprint(
    method: &str,
    path: &str,
    query: &str,
    content_type: &str,
    body: &[u8],
) -> String {
    let mut hasher = Sha256::new();
    for part in [
        method.as_bytes(),
        path.as_bytes(),
        query.as_bytes(),
        content_type.as_bytes(),
        body,
    ] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whose the key is: `user:<id>` or `key:<API key id>`.
pub fn scope_of(principal: &Principal) -> String {
    match principal {
        Principal::User { id, .. } => format!("user:{id}"),
        Principal::ApiKey { id, .. } => format!("key:{id}"),
    }
}

/// Whether an answer is kept for replay.
fn remembered(status: StatusCode) -> bool {
    !(status.is_server_error()
        || matches!(
            status,
            StatusCode::UNAUTHORIZED | StatusCode::REQUEST_TIMEOUT | StatusCode::TOO_MANY_REQUESTS
        ))
}

enum Begin {
    Fresh,
    Replay(u16, Option<String>, String),
    /// The request was carried out and its answer showed a secret: (status, Location).
    Withheld(u16, Option<String>),
}

/// 1 to 255 visible ASCII characters: what the contract states for the header.
fn is_valid_key(key: &str) -> bool {
    (1..=255).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic())
}

pub async fn middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    // A key that is not text is refused below, not ignored: the client counts on it.
    let key = req
        .headers()
        .get(HEADER)
        .map(|v| v.to_str().unwrap_or_default().to_string());
    let (Some(key), true) = (key, req.method() == Method::POST) else {
        return next.call(req).await.map(|r| r.map_into_boxed_body());
    };
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return next.call(req).await.map(|r| r.map_into_boxed_body());
    };
    let respond = |req: ServiceRequest, e: ApiError| Ok(req.into_response(e.error_response()));
    if !is_valid_key(&key) {
        return respond(
            req,
            ApiError::BadRequest(
                "Idempotency-Key must be 1 to 255 visible ASCII characters (a UUID, say)".into(),
            ),
        );
    }
    if !presents_credentials(req.request()) {
        // Public endpoints are not remembered; the handler answers them.
        return next.call(req).await.map(|r| r.map_into_boxed_body());
    }
    let scope = match authenticate(req.request().clone()).await {
        Ok(caller) => scope_of(&caller.principal),
        // Nothing is read or stored for credentials that fail: the handler answers 401.
        Err(_) => return next.call(req).await.map(|r| r.map_into_boxed_body()),
    };
    // Read the body to fingerprint the request, then hand it on unchanged.
    let mut bytes = web::BytesMut::new();
    let mut payload = req.take_payload();
    while let Some(chunk) = payload.next().await {
        match chunk {
            Ok(c) => {
                if bytes.len() + c.len() > state.config.max_json_bytes {
                    return respond(
                        req,
                        ApiError::PayloadTooLarge(
                            "the body is larger than the server accepts".into(),
                        ),
                    );
                }
                bytes.extend_from_slice(&c);
            }
            Err(e) => {
                return respond(
                    req,
                    ApiError::BadRequest(format!("cannot read the body: {e}")),
                )
            }
        }
    }
    let bytes = bytes.freeze();
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let fingerprint = fingerprint(
        req.method().as_str(),
        req.path(),
        req.query_string(),
        &content_type,
        &bytes,
    );
    req.set_payload(Payload::from(bytes));

    let (s, k, f) = (scope.clone(), key.clone(), fingerprint.clone());
    let begin = state
        .db
        .transaction(move |conn| {
            let now = Utc::now().naive_utc();
            diesel::delete(keys::table.filter(keys::created_at.lt(now - KEEP))).execute(conn)?;
            let found = keys::table
                .find((&s, &k))
                .select((
                    keys::request_hash,
                    keys::state,
                    keys::status,
                    keys::content_type,
                    keys::body,
                ))
                .get_result::<(String, String, Option<i32>, Option<String>, Option<String>)>(conn)
                .optional()?;
            match found {
                None => {
                    diesel::insert_into(keys::table)
                        .values((
                            keys::scope.eq(&s),
                            keys::key.eq(&k),
                            keys::request_hash.eq(&f),
                            keys::state.eq("running"),
                            keys::created_at.eq(now),
                        ))
                        .execute(conn)?;
                    Ok(Begin::Fresh)
                }
                Some((hash, _, _, _, _)) if hash != f => Err(ApiError::unprocessable(
                    "Idempotency-Key",
                    "this key was used with a different request",
                )),
                Some((_, state, _, _, _)) if state == "running" => Err(ApiError::conflict(
                    "a request with this Idempotency-Key is still running; retry shortly",
                )),
                Some((_, state, status, _, location)) if state == "withheld" => {
                    Ok(Begin::Withheld(status.unwrap_or(200) as u16, location))
                }
                Some((_, _, status, content_type, body)) => Ok(Begin::Replay(
                    status.unwrap_or(200) as u16,
                    content_type,
                    body.unwrap_or_default(),
                )),
            }
        })
        .await;
    match begin {
        Err(e) => respond(req, e),
        Ok(Begin::Replay(status, content_type, body)) => {
            let mut response =
                HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::OK));
            if let Some(ct) = content_type {
                response.insert_header((header::CONTENT_TYPE, ct));
            }
            response.insert_header(("Idempotent-Replayed", "true"));
            Ok(req.into_response(response.body(body)))
        }
        Ok(Begin::Withheld(status, location)) => respond(
            req,
            ApiError::conflict(format!(
                "this request was already carried out (status {status}{}); its answer showed \
                 a secret that is shown only once and is not kept, so it is not replayed",
                location.map(|l| format!(", {l}")).unwrap_or_default()
            )),
        ),
        Ok(Begin::Fresh) => {
            let response = next.call(req).await;
            let (s, k) = (scope, key);
            let response = match response {
                Ok(r) => r,
                Err(e) => {
                    let _ = state.db.run(move |conn| forget(conn, &s, &k)).await;
                    return Err(e);
                }
            };
            let status = response.status();
            let header_text = |name| {
                response
                    .headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string)
            };
            let (content_type, location) = (
                header_text(header::CONTENT_TYPE),
                header_text(header::LOCATION),
            );
            let secret = response
                .response()
                .extensions()
                .get::<ShownOnce>()
                .is_some();
            let (http_req, res) = response.into_parts();
            let (head, body_stream) = res.into_parts();
            let bytes = body::to_bytes(body_stream).await.unwrap_or_default();
            // A write, so through `Db::transaction` (on SQLite the group-commit writer), not
            // `Db::run`: there it would hold one of the few reader threads while it waited for
            // SQLite's write lock.
            let stored = if !remembered(status) {
                state.db.transaction(move |conn| forget(conn, &s, &k)).await
            } else {
                let (state_name, content_type, body) = if secret {
                    ("withheld", None, location)
                } else {
                    (
                        "done",
                        content_type,
                        Some(String::from_utf8_lossy(&bytes).into_owned()),
                    )
                };
                state
                    .db
                    .transaction(move |conn| {
                        diesel::update(keys::table.find((&s, &k)))
                            .set((
                                keys::state.eq(state_name),
                                keys::status.eq(Some(i32::from(status.as_u16()))),
                                keys::content_type.eq(content_type),
                                keys::body.eq(body),
                            ))
                            .execute(conn)?;
                        Ok(())
                    })
                    .await
            };
            if let Err(e) = stored {
                tracing::warn!(error = %e, "could not remember an idempotent response");
            }
            let res = head.set_body(BoxBody::new(bytes));
            Ok(ServiceResponse::new(http_req, res))
        }
    }
}

fn forget(conn: &mut crate::db::DbConn, scope: &str, key: &str) -> Result<(), ApiError> {
    diesel::delete(keys::table.find((scope, key))).execute(conn)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_visible_ascii_of_bounded_length() {
        assert!(is_valid_key("0194a3c2-7c1e-7d3a-9f4e-3b2a1c0d9e8f"));
        assert!(is_valid_key(&"k".repeat(255)));
        assert!(!is_valid_key(""));
        assert!(!is_valid_key(&"k".repeat(256)));
        assert!(!is_valid_key("two words"));
        assert!(!is_valid_key("tab\there"));
    }

    #[test]
    fn every_part_of_the_request_counts() {
        let base = fingerprint("POST", "/v1/x", "a=1", "application/json", b"{}");
        assert_ne!(
            base,
            fingerprint("PUT", "/v1/x", "a=1", "application/json", b"{}")
        );
        assert_ne!(
            base,
            fingerprint("POST", "/v1/y", "a=1", "application/json", b"{}")
        );
        assert_ne!(
            base,
            fingerprint("POST", "/v1/x", "a=2", "application/json", b"{}")
        );
        assert_ne!(base, fingerprint("POST", "/v1/x", "a=1", "text/csv", b"{}"));
        assert_ne!(
            base,
            fingerprint("POST", "/v1/x", "a=1", "application/json", b"[]")
        );
        // Parts cannot run into each other.
        assert_ne!(
            fingerprint("POST", "/v1/x", "a", "", b""),
            fingerprint("POST", "/v1/xa", "", "", b"")
        );
    }

    #[test]
    fn failed_and_unrun_requests_are_not_remembered() {
        for status in [401, 408, 429, 500, 503] {
            assert!(
                !remembered(StatusCode::from_u16(status).unwrap()),
                "{status}"
            );
        }
        for status in [200, 201, 204, 403, 404, 409, 422] {
            assert!(
                remembered(StatusCode::from_u16(status).unwrap()),
                "{status}"
            );
        }
    }
}

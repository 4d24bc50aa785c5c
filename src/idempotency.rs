//! `Idempotency-Key` on POST requests: the same key with the same request replays the stored
//! response; the same key with another request is 422; the same key while the first request is
//! still running is 409. Keys are scoped by caller (user or API key), kept for 24 hours.

use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpResponse, ResponseError};
use chrono::{TimeDelta, Utc};
use diesel::prelude::*;
use futures_util::StreamExt;

use crate::auth::tokens::{api_key_lookup, sha256_hex};
use crate::db::schema::idempotency_keys as keys;
use crate::error::ApiError;
use crate::state::AppState;

const HEADER: &str = "idempotency-key";
const KEEP: TimeDelta = TimeDelta::hours(24);

/// Who the key belongs to: the verified user, or the API key's public id.
fn scope(req: &ServiceRequest, state: &AppState) -> Option<String> {
    if let Some(key) = req.headers().get("x-api-key").and_then(|v| v.to_str().ok()) {
        return api_key_lookup(key.trim()).map(|id| format!("key:{id}"));
    }
    let auth = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = auth
        .trim()
        .strip_prefix("Bearer ")
        .or_else(|| auth.trim().strip_prefix("bearer "))?
        .trim();
    if let Some(id) = api_key_lookup(token) {
        return Some(format!("key:{id}"));
    }
    state
        .jwt
        .verify(token)
        .ok()
        .map(|claims| format!("user:{}", claims.sub))
}

enum Begin {
    Fresh,
    Replay(u16, Option<String>, String),
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
    let Some(scope) = scope(&req, &state) else {
        // Unauthenticated requests are not remembered; the handler answers them.
        return next.call(req).await.map(|r| r.map_into_boxed_body());
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
    let fingerprint = sha256_hex(&format!(
        "{} {}\n{}",
        req.method(),
        req.path(),
        String::from_utf8_lossy(&bytes)
    ));
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
            let content_type = response
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let (http_req, res) = response.into_parts();
            let (head, body_stream) = res.into_parts();
            let bytes = body::to_bytes(body_stream).await.unwrap_or_default();
            let text = String::from_utf8_lossy(&bytes).into_owned();
            // Server errors are not remembered: the client should be able to retry them.
            let stored = if status.is_server_error() {
                state.db.run(move |conn| forget(conn, &s, &k)).await
            } else {
                state
                    .db
                    .run(move |conn| {
                        diesel::update(keys::table.find((&s, &k)))
                            .set((
                                keys::state.eq("done"),
                                keys::status.eq(Some(i32::from(status.as_u16()))),
                                keys::content_type.eq(content_type),
                                keys::body.eq(Some(text)),
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
    use super::is_valid_key;

    #[test]
    fn keys_are_visible_ascii_of_bounded_length() {
        assert!(is_valid_key("0194a3c2-7c1e-7d3a-9f4e-3b2a1c0d9e8f"));
        assert!(is_valid_key(&"k".repeat(255)));
        assert!(!is_valid_key(""));
        assert!(!is_valid_key(&"k".repeat(256)));
        assert!(!is_valid_key("two words"));
        assert!(!is_valid_key("tab\there"));
    }
}

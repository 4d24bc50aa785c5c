//! The one extractor that tells every handler who is calling: a user (from a bearer JWT) or an
//! integrator (from an API key), with their organization. Handlers then ask for a permission.

use std::future::Future;
use std::pin::Pin;

use actix_web::{dev::Payload, web, FromRequest, HttpRequest};
use chrono::{TimeDelta, Utc};
use diesel::prelude::*;

use super::rules::{Permission, Role, Scope};
use super::tokens::{api_key_lookup, constant_time_eq, sha256_hex, API_KEY_PREFIX};
use crate::db::schema::{api_keys, users};
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Debug, Clone, PartialEq)]
pub enum Principal {
    User { id: String, role: Role },
    ApiKey { id: String, scopes: Vec<Scope> },
}

#[derive(Debug, Clone)]
pub struct Caller {
    pub organization_id: String,
    pub principal: Principal,
}

impl Caller {
    /// Passes when the caller's role (or the key's scopes) grant `permission`; 403 otherwise.
    pub fn require(&self, permission: Permission) -> Result<(), ApiError> {
        let allowed = match &self.principal {
            Principal::User { role, .. } => permission.allows_role(*role),
            Principal::ApiKey { scopes, .. } => permission.allows_scopes(scopes),
        };
        if allowed {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "{} may not do this",
                self.describe()
            )))
        }
    }

    pub fn user_id(&self) -> Option<&str> {
        match &self.principal {
            Principal::User { id, .. } => Some(id),
            Principal::ApiKey { .. } => None,
        }
    }

    /// The user's id, or 403 for an API key (for actions only people can take).
    pub fn require_user(&self) -> Result<(&str, Role), ApiError> {
        match &self.principal {
            Principal::User { id, role } => Ok((id, *role)),
            Principal::ApiKey { .. } => Err(ApiError::Forbidden(
                "this endpoint is for signed-in users, not API keys".into(),
            )),
        }
    }

    fn describe(&self) -> String {
        match &self.principal {
            Principal::User { role, .. } => format!("a {role}"),
            Principal::ApiKey { .. } => "this API key".into(),
        }
    }
}

/// How the request presents its credentials.
enum Credential {
    Jwt(String),
    ApiKey(String),
}

fn credential(req: &HttpRequest) -> Result<Credential, ApiError> {
    if let Some(key) = req.headers().get("x-api-key") {
        let key = key
            .to_str()
            .map_err(|_| ApiError::Unauthenticated("unreadable X-API-Key header".into()))?;
        return Ok(Credential::ApiKey(key.trim().to_string()));
    }
    let header = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .ok_or_else(|| ApiError::Unauthenticated("send a bearer token or an API key".into()))?
        .to_str()
        .map_err(|_| ApiError::Unauthenticated("unreadable Authorization header".into()))?;
    let (scheme, token) = header.trim().split_once(' ').ok_or_else(|| {
        ApiError::Unauthenticated("expected `Authorization: Bearer <token>`".into())
    })?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(ApiError::Unauthenticated(
            "only the Bearer scheme is accepted".into(),
        ));
    }
    let token = token.trim().to_string();
    if token.starts_with(API_KEY_PREFIX) {
        Ok(Credential::ApiKey(token))
    } else {
        Ok(Credential::Jwt(token))
    }
}

/// `last_used_at` is written at most this often, so busy integrators do not turn every read
/// into a write.
const LAST_USED_RESOLUTION: TimeDelta = TimeDelta::seconds(60);

async fn authenticate(req: HttpRequest) -> Result<Caller, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::internal("application state missing"))?
        .clone();
    match credential(&req)? {
        Credential::Jwt(token) => {
            let claims = state.jwt.verify(&token).map_err(|e| {
                tracing::debug!(error = %e, "access token refused");
                ApiError::Unauthenticated("the access token is invalid or expired".into())
            })?;
            // The user is looked up on every request so deactivation and role changes apply at
            // once rather than when the token expires.
            let (sub, org) = (claims.sub, claims.org);
            let row = state
                .db
                .run(move |conn| {
                    users::table
                        .filter(users::id.eq(&sub))
                        .filter(users::organization_id.eq(&org))
                        .filter(users::active.eq(true))
                        .select((users::id, users::organization_id, users::role))
                        .first::<(String, String, String)>(conn)
                        .optional()
                        .map_err(ApiError::from)
                })
                .await?
                .ok_or_else(|| ApiError::Unauthenticated("the account is not active".into()))?;
            let role = row.2.parse::<Role>().map_err(ApiError::internal)?;
            Ok(Caller {
                organization_id: row.1,
                principal: Principal::User { id: row.0, role },
            })
        }
        Credential::ApiKey(key) => {
            let lookup = api_key_lookup(&key)
                .ok_or_else(|| ApiError::Unauthenticated("the API key is invalid".into()))?
                .to_string();
            state
                .db
                .run(move |conn| {
                    let now = Utc::now().naive_utc();
                    let row = api_keys::table
                        .filter(api_keys::prefix.eq(&lookup))
                        .select((
                            api_keys::id,
                            api_keys::organization_id,
                            api_keys::secret_hash,
                            api_keys::scopes,
                            api_keys::expires_at,
                            api_keys::revoked_at,
                            api_keys::last_used_at,
                        ))
                        .first::<(
                            String,
                            String,
                            String,
                            String,
                            Option<chrono::NaiveDateTime>,
                            Option<chrono::NaiveDateTime>,
                            Option<chrono::NaiveDateTime>,
                        )>(conn)
                        .optional()?;
                    let invalid = || ApiError::Unauthenticated("the API key is invalid".into());
                    let (id, org, hash, scopes, expires, revoked, last_used) =
                        row.ok_or_else(invalid)?;
                    if !constant_time_eq(&hash, &sha256_hex(&key))
                        || revoked.is_some()
                        || expires.is_some_and(|e| e <= now)
                    {
                        return Err(invalid());
                    }
                    if last_used.is_none_or(|t| now - t >= LAST_USED_RESOLUTION) {
                        diesel::update(api_keys::table.find(&id))
                            .set(api_keys::last_used_at.eq(now))
                            .execute(conn)?;
                    }
                    let scopes: Vec<Scope> =
                        serde_json::from_str(&scopes).map_err(ApiError::internal)?;
                    Ok(Caller {
                        organization_id: org,
                        principal: Principal::ApiKey { id, scopes },
                    })
                })
                .await
        }
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        Box::pin(authenticate(req.clone()))
    }
}

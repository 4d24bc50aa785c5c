//! The one extractor that tells every handler who is calling: a user (from a bearer JWT) or an
//! integrator (from an API key), with their organization. Handlers then ask for a permission.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use actix_web::{dev::Payload, web, FromRequest, HttpMessage, HttpRequest};
use chrono::{TimeDelta, Utc};

use super::identities::{self, Identity};
use super::rules::{Permission, Role, Scope};
use super::tokens::{api_key_lookup, constant_time_eq, sha256_hex, API_KEY_PREFIX};
use crate::api_keys::repo as api_keys;
use crate::error::ApiError;
use crate::state::AppState;
use crate::users::dto::User;
use crate::users::repo as users;

#[derive(Debug, Clone, PartialEq)]
pub enum Principal {
    User { id: String, role: Role },
    ApiKey { id: String, scopes: Vec<Scope> },
}

#[derive(Debug, Clone)]
pub struct Caller {
    pub organization_id: String,
    pub principal: Principal,
    /// The session's identity as confirmed (none for an API key): the organization's settings it
    /// holds spare a handler a read.
    pub identity: Option<Arc<Identity>>,
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

    /// The organization and (for people) user id, owned, to move into a database closure.
    pub fn owned_ids(&self) -> (String, Option<String>) {
        (
            self.organization_id.clone(),
            self.user_id().map(str::to_string),
        )
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

    /// The caller's id when the caller is a shopper, or 403 (for what only the shopper does).
    pub fn require_shopper(&self) -> Result<String, ApiError> {
        match self.require_user()? {
            (id, Role::Shopper) => Ok(id.to_string()),
            _ => Err(ApiError::Forbidden("only the shopper can do this".into())),
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

/// Whether the request presents credentials at all (a bearer token or an API key).
pub fn presents_credentials(req: &HttpRequest) -> bool {
    req.headers().contains_key("x-api-key")
        || req
            .headers()
            .contains_key(actix_web::http::header::AUTHORIZATION)
}

/// Authenticates the request fully: a token's signature, claims, user and session, or a key's
/// secret, revocation and expiry. The result is kept in the request, so the `Caller` extractor
/// (and anything else later in the same request) does not do it twice.
pub async fn authenticate(req: HttpRequest) -> Result<Caller, ApiError> {
    if let Some(caller) = req.extensions().get::<Caller>() {
        return Ok(caller.clone());
    }
    let caller = authenticate_afresh(&req).await?;
    req.extensions_mut().insert(caller.clone());
    Ok(caller)
}

async fn authenticate_afresh(req: &HttpRequest) -> Result<Caller, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::internal("application state missing"))?
        .clone();
    let presented = Presented::from_request_now(req, &state)?;
    if let Some(caller) = presented.known() {
        return Ok(caller);
    }
    state.db.run(move |conn| presented.confirm(conn)).await
}

/// Credentials checked as far as they can be without the database: a token's signature and
/// claims, or a key's form. [`Presented::confirm`] finishes the check on a connection. A hot
/// read takes this extractor instead of [`Caller`] and confirms inside its own database call,
/// so the request makes one trip to the database thread instead of two; or none, when the
/// session's identity is known ([`Presented::known`]).
pub struct Presented(Pending);

enum Pending {
    /// A verified access token whose user and session are still to be checked.
    Session {
        user: String,
        org: String,
        session: String,
    },
    /// An API key, to be looked up.
    ApiKey(String),
}

/// The caller a confirmed session stands for: the ids as the token names them (and as the
/// database holds them), the role as the identity holds it.
fn session_caller(user: &str, org: &str, identity: &Arc<Identity>) -> Caller {
    Caller {
        organization_id: org.to_string(),
        principal: Principal::User {
            id: user.to_string(),
            role: identity.user.role,
        },
        identity: Some(identity.clone()),
    }
}

impl Presented {
    fn from_request_now(req: &HttpRequest, state: &AppState) -> Result<Self, ApiError> {
        Ok(Presented(match credential(req)? {
            Credential::Jwt(token) => {
                let claims = state.jwt.verify(&token).map_err(|e| {
                    tracing::debug!(error = %e, "access token refused");
                    ApiError::Unauthenticated("the access token is invalid or expired".into())
                })?;
                Pending::Session {
                    user: claims.sub,
                    org: claims.org,
                    session: claims.sid,
                }
            }
            Credential::ApiKey(key) => Pending::ApiKey(key),
        }))
    }

    /// The caller (with their identity) when a session's identity was confirmed moments ago
    /// and nothing since has changed it (`auth::identities`): no database needed.
    pub fn known(&self) -> Option<Caller> {
        match &self.0 {
            Pending::Session { user, org, session } => {
                let identity = identities::find(session, user, org)?;
                Some(session_caller(user, org, &identity))
            }
            Pending::ApiKey(_) => None,
        }
    }

    /// Finishes authentication on `conn`: the user and the session are confirmed on every
    /// request (from `auth::identities` when known, kept up to date by every write that changes
    /// them), so deactivation, role changes, logout and password changes apply at once rather
    /// than when the token expires; a key's secret, revocation and expiry likewise. A session's
    /// caller carries its identity.
    pub fn confirm(self, conn: &mut crate::db::DbConn) -> Result<Caller, ApiError> {
        if let Some(caller) = self.known() {
            return Ok(caller);
        }
        match self.0 {
            Pending::Session { user, org, session } => {
                let since = identities::generation();
                let (row, organization) = users::in_session(conn, &org, &user, &session)?
                    .ok_or_else(|| {
                        ApiError::Unauthenticated(
                            "the session has ended or the account is not active; sign in again"
                                .into(),
                        )
                    })?;
                let identity = Arc::new(Identity {
                    user: User::from(row),
                    organization,
                });
                identities::keep(&session, identity.clone(), since);
                Ok(session_caller(&user, &org, &identity))
            }
            Pending::ApiKey(key) => {
                let invalid = || ApiError::Unauthenticated("the API key is invalid".into());
                let lookup = api_key_lookup(&key).ok_or_else(invalid)?.to_string();
                let now = Utc::now().naive_utc();
                let row = api_keys::find_by_prefix(conn, &lookup)?.ok_or_else(invalid)?;
                if !constant_time_eq(&row.secret_hash, &sha256_hex(&key))
                    || row.revoked_at.is_some()
                    || row.expires_at.is_some_and(|e| e <= now)
                {
                    return Err(invalid());
                }
                if row
                    .last_used_at
                    .is_none_or(|t| now - t >= LAST_USED_RESOLUTION)
                {
                    api_keys::touch_last_used(conn, &row.id, now)?;
                }
                let scopes: Vec<Scope> =
                    serde_json::from_str(&row.scopes).map_err(ApiError::internal)?;
                let caller = Caller {
                    organization_id: row.organization_id,
                    principal: Principal::ApiKey { id: row.id, scopes },
                    identity: None,
                };
                Ok(caller)
            }
        }
    }
}

impl FromRequest for Presented {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        std::future::ready(
            req.app_data::<web::Data<AppState>>()
                .ok_or_else(|| ApiError::internal("application state missing"))
                .and_then(|state| Presented::from_request_now(req, state)),
        )
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        Box::pin(authenticate(req.clone()))
    }
}

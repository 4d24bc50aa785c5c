use actix_web::{get, post, web, HttpResponse};
use chrono::{NaiveDateTime, TimeDelta, Utc};

use super::caller::{Caller, Presented, Principal};
use super::dto::{ChangePassword, LoginRequest, Me, OrganizationRef, RefreshRequest, TokenPair};
use super::identities::Identity;
use super::model::RefreshTokenRow;
use super::repo;
use super::rules::{
    decide_refresh, login_delay, retry_after_secs, RefreshDecision, RefreshTokenState, Role,
    LOGIN_FAILURE_WINDOW,
};
use super::tokens::{random_token, sha256_hex, REFRESH_TOKEN_PREFIX};
use crate::api_keys::dto::ApiKey;
use crate::api_keys::repo as api_keys;
use crate::db::DbConn;
use crate::error::{ApiError, ApiResult, Problem};
use crate::http::ApiJson;
use crate::idempotency::shown_once;
use crate::organizations::repo as organizations;
use crate::state::AppState;
use crate::users::model::{UserChanges, UserRow};
use crate::users::repo as users;
use crate::users::rules::normalize_email;

fn invalid_credentials() -> ApiError {
    ApiError::Unauthenticated("the email or password is not correct".into())
}

/// Signs in with email and password.
///
/// An email is unique within an organization. When the email and password open accounts in
/// several organizations, the answer is 422 listing them (`organizations`), and the client
/// signs in again with `organization_id`; an address in one organization needs nothing more.
/// An unknown email and a wrong password get the same answer in the same time. After a few
/// failures for one email, further attempts are refused for a growing delay (429 with
/// `Retry-After`), whether or not the account exists.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenPair),
        (status = 401, description = "Wrong email or password", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid input; or the email and password open accounts in several organizations, listed in `organizations`: send `organization_id`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed attempts for this email", body = Problem, content_type = "application/problem+json",
         headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "Too many logins at once", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    body: ApiJson<LoginRequest>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    let email = normalize_email(&body.email);

    let lookup = email.clone();
    let organization = body.organization_id.map(|id| id.to_string());
    let (blocked, candidates) = state
        .db
        .run(move |conn| {
            Ok((
                repo::blocked_until(conn, &lookup)?,
                users::with_email(conn, &lookup, organization.as_deref())?,
            ))
        })
        .await?;
    if let Some(wait) = blocked.and_then(|until| retry_after_secs(Utc::now().naive_utc(), until)) {
        return Err(ApiError::TooManyRequests {
            retry_after_secs: wait,
        });
    }

    // An address may hold accounts in several organizations: the password is tried against
    // each (against a dummy hash when there is none, so an unknown address costs the same).
    let mut opened = Vec::new();
    if candidates.is_empty() {
        state.passwords.verify(body.password.clone(), None).await?;
    }
    for user in candidates {
        let ok = state
            .passwords
            .verify(body.password.clone(), Some(user.password_hash.clone()))
            .await?;
        if ok && user.active {
            opened.push(user);
        }
    }
    if opened.len() > 1 {
        // Only someone holding the password of each account learns which organizations they are.
        let mut choices = Vec::new();
        for user in &opened {
            let org_id = user.organization_id.clone();
            let org = state
                .db
                .run(move |conn| organizations::find(conn, &org_id))
                .await?;
            choices.push(crate::error::OrganizationChoice {
                id: org.id,
                name: org.name,
            });
        }
        return Err(ApiError::ChooseOrganization(choices));
    }
    let user = opened.pop();

    let Some(user) = user else {
        state
            .db
            .transaction(move |conn| {
                let now = Utc::now().naive_utc();
                let window_start =
                    now - TimeDelta::from_std(LOGIN_FAILURE_WINDOW).unwrap_or_default();
                let failures = repo::record_login_failure(conn, &email, now, window_start)?;
                if let Some(delay) = login_delay(failures) {
                    let until = now + TimeDelta::from_std(delay).unwrap_or_default();
                    repo::block_login(conn, &email, until)?;
                }
                Ok(())
            })
            .await?;
        return Err(invalid_credentials());
    };

    let refresh_ttl = state.config.refresh_token_ttl;
    let (user_id, org_id) = (user.id.clone(), user.organization_id.clone());
    let refresh_token = state
        .db
        .transaction(move |conn| {
            let now = Utc::now().naive_utc();
            repo::clear_login_failures(conn, &email)?;
            users::record_login(conn, &user_id, now)?;
            let session = uuid::Uuid::now_v7().to_string();
            repo::start_session(conn, &session, &user_id, now)?;
            let (token, _) = new_refresh_token(conn, &session, &user_id, now, refresh_ttl)?;
            Ok((token, session))
        })
        .await?;
    let (refresh_token, session) = refresh_token;
    token_pair(
        &state,
        &user.id,
        &org_id,
        &user.role,
        refresh_token,
        &session,
    )
    .map(shown_once)
}

/// Issues a refresh token in `family` and stores its digest.
fn new_refresh_token(
    conn: &mut DbConn,
    family: &str,
    user_id: &str,
    now: NaiveDateTime,
    ttl: std::time::Duration,
) -> ApiResult<(String, String)> {
    let token = random_token(REFRESH_TOKEN_PREFIX);
    let row = RefreshTokenRow {
        id: uuid::Uuid::now_v7().to_string(),
        family_id: family.to_string(),
        user_id: user_id.to_string(),
        token_hash: sha256_hex(&token),
        created_at: now,
        expires_at: now + TimeDelta::from_std(ttl).unwrap_or_default(),
        used_at: None,
        replaced_by: None,
        revoked_at: None,
    };
    repo::insert_refresh_token(conn, &row)?;
    Ok((token, row.id))
}

fn token_pair(
    state: &AppState,
    user_id: &str,
    org_id: &str,
    role: &str,
    refresh_token: String,
    session: &str,
) -> ApiResult<TokenPair> {
    let role: Role = role.parse().map_err(ApiError::internal)?;
    let access_token = state
        .jwt
        .issue(user_id, org_id, role, session)
        .map_err(ApiError::internal)?;
    Ok(TokenPair {
        access_token,
        token_type: "Bearer".into(),
        expires_in: state.jwt.ttl_secs(),
        refresh_token,
        refresh_expires_in: state.config.refresh_token_ttl.as_secs() as i64,
    })
}

/// Outcome of a refresh inside its transaction: tokens, or a refusal to commit as such.
enum RefreshOutcome {
    Issued {
        token: String,
        user: Box<UserRow>,
        session: String,
    },
    Refused,
}

/// Exchanges a refresh token for new tokens; the presented one is spent.
///
/// Presenting a spent token again revokes every token descended from the same login (it may have
/// been stolen), except within a short grace window while its successor is still unused: a phone
/// retrying a refresh whose answer it never received gets a fresh pair instead.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "New tokens", body = TokenPair),
        (status = 401, description = "Unknown, expired, revoked or reused refresh token", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/auth/refresh")]
pub async fn refresh(
    state: web::Data<AppState>,
    body: ApiJson<RefreshRequest>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    let hash = sha256_hex(&body.refresh_token);
    let (ttl, grace) = (state.config.refresh_token_ttl, state.config.refresh_grace);
    let outcome = state
        .db
        .transaction(move |conn| {
            let now = Utc::now().naive_utc();
            let Some(current) = repo::find_refresh_token(conn, &hash)? else {
                return Ok(RefreshOutcome::Refused);
            };
            let successor = match &current.replaced_by {
                Some(id) => repo::find_refresh_token_by_id(conn, id)?,
                None => None,
            };
            let state = RefreshTokenState {
                expires_at: current.expires_at,
                used_at: current.used_at,
                revoked_at: current.revoked_at,
                successor_spent: successor
                    .as_ref()
                    .is_some_and(|s| s.used_at.is_some() || s.revoked_at.is_some()),
            };
            let user = users::find_active(conn, &current.user_id)?;
            let Some(user) = user else {
                repo::revoke_family(conn, &current.family_id, now)?;
                return Ok(RefreshOutcome::Refused);
            };
            match decide_refresh(&state, now, grace) {
                RefreshDecision::Rotate => {
                    let (token, id) =
                        new_refresh_token(conn, &current.family_id, &user.id, now, ttl)?;
                    if !repo::spend_refresh_token(conn, &current.id, &id, now)? {
                        // A concurrent refresh spent it first: the retry case.
                        return Err(ApiError::conflict(
                            "this refresh token is being used by another request; retry",
                        ));
                    }
                    Ok(RefreshOutcome::Issued {
                        token,
                        user: Box::new(user),
                        session: current.family_id.clone(),
                    })
                }
                RefreshDecision::RetryWithinGrace => {
                    if let Some(previous) = &successor {
                        repo::revoke_refresh_token(conn, &previous.id, now)?;
                    }
                    let (token, id) =
                        new_refresh_token(conn, &current.family_id, &user.id, now, ttl)?;
                    repo::set_successor(conn, &current.id, &id)?;
                    Ok(RefreshOutcome::Issued {
                        token,
                        user: Box::new(user),
                        session: current.family_id.clone(),
                    })
                }
                RefreshDecision::ReuseDetected => {
                    tracing::warn!(family = %current.family_id, user = %user.id,
                        "spent refresh token presented again: revoking its family");
                    repo::revoke_family(conn, &current.family_id, now)?;
                    Ok(RefreshOutcome::Refused)
                }
                RefreshDecision::Refuse => Ok(RefreshOutcome::Refused),
            }
        })
        .await?;
    match outcome {
        RefreshOutcome::Issued {
            token,
            user,
            session,
        } => token_pair(
            &state,
            &user.id,
            &user.organization_id,
            &user.role,
            token,
            &session,
        )
        .map(shown_once),
        RefreshOutcome::Refused => Err(ApiError::Unauthenticated(
            "the refresh token is not valid; sign in again".into(),
        )),
    }
}

/// Ends the session the refresh token belongs to: its whole refresh-token family, and every
/// access token issued in it, at once. Always 204, so the answer says nothing about the token.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses((status = 204, description = "Signed out"))
)]
#[post("/v1/auth/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    body: ApiJson<RefreshRequest>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    let hash = sha256_hex(&body.refresh_token);
    state
        .db
        .transaction(move |conn| {
            if let Some(token) = repo::find_refresh_token(conn, &hash)? {
                repo::revoke_family(conn, &token.family_id, Utc::now().naive_utc())?;
            }
            Ok(())
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The caller: their user (or API key) and organization.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, description = "The caller", body = Me))
)]
#[get("/v1/me")]
pub async fn me(state: web::Data<AppState>, presented: Presented) -> ApiResult<web::Json<Me>> {
    fn organization(id: &str, name: String) -> OrganizationRef {
        OrganizationRef {
            id: id.parse().unwrap_or_default(),
            name,
        }
    }
    fn from_identity(caller: &Caller, identity: &Identity) -> Me {
        Me {
            organization: organization(&caller.organization_id, identity.organization.name.clone()),
            user: Some(identity.user.clone()),
            api_key: None,
        }
    }
    // A session confirmed moments ago answers from memory (`auth::identities`).
    if let Some(caller) = presented.known() {
        if let Some(identity) = &caller.identity {
            return Ok(web::Json(from_identity(&caller, identity)));
        }
    }
    // Otherwise authentication and the read in one database call (see `Presented`).
    let me = state
        .db
        .run(move |conn| {
            let caller = presented.confirm(conn)?;
            Ok(match &caller.identity {
                Some(identity) => from_identity(&caller, identity),
                None => {
                    let Principal::ApiKey { id, .. } = &caller.principal else {
                        return Err(ApiError::internal("a session without its identity"));
                    };
                    let org = organizations::find(conn, &caller.organization_id)?;
                    Me {
                        organization: organization(&org.id, org.name),
                        user: None,
                        api_key: Some(ApiKey::from(api_keys::find_in_org(
                            conn,
                            &caller.organization_id,
                            id,
                        )?)),
                    }
                }
            })
        })
        .await?;
    Ok(web::Json(me))
}

/// Changes the caller's own password. Every session of the user ends; sign in again.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    request_body = ChangePassword,
    responses((status = 204, description = "Changed; all sessions ended"))
)]
#[post("/v1/me/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<ChangePassword>,
) -> ApiResult<HttpResponse> {
    let (user_id, _) = caller.require_user()?;
    let body = body.into_inner();
    let (org_id, id) = (caller.organization_id.clone(), user_id.to_string());
    let current = state
        .db
        .run(move |conn| users::find_in_org(conn, &org_id, &id))
        .await?;
    let ok = state
        .passwords
        .verify(body.current_password, Some(current.password_hash.clone()))
        .await?;
    if !ok {
        return Err(ApiError::unprocessable(
            "current_password",
            "is not the current password",
        ));
    }
    let hash = state.passwords.hash(body.new_password).await?;
    state
        .db
        .transaction(move |conn| {
            let now = Utc::now().naive_utc();
            let changes = UserChanges {
                password_hash: Some(hash),
                ..Default::default()
            };
            users::update(conn, &current, None, &changes, now)?;
            users::revoke_sessions(conn, &current.id, now)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

use actix_web::http::{header, StatusCode};
use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use chrono::Utc;

use super::dto::{CreateUser, CreatedUser, PasswordReset, UpdateUser, User, UserFilter, UserList};
use super::model::{UserChanges, UserRow};
use super::repo;
use super::rules::{check_admin_change, is_active_admin, normalize_email, AdminChange};
use crate::auth::caller::Caller;
use crate::auth::password::generate_password;
use crate::auth::rules::{Permission, Role};
use crate::error::{ApiError, ApiResult, Problem};
use crate::http::{if_match, json_with_etag, next_cursor, parse_id, ApiJson, ApiQuery, PageQuery};
use crate::idempotency::{mark_shown_once, shown_once};
use crate::state::AppState;

/// Creates a user in the caller's organization (admins).
#[utoipa::path(
    tag = "users",
    security(("bearer" = [])),
    request_body = CreateUser,
    responses(
        (status = 201, description = "Created; `initial_password` is shown only now", body = CreatedUser,
         headers(("Location" = String), ("ETag" = String))),
        (status = 409, description = "The email is taken", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/users")]
pub async fn create_user(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<CreateUser>,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::UsersWrite)?;
    let mut body = body.into_inner();
    body.email = normalize_email(&body.email);

    let generated = body.password.is_none().then(generate_password);
    let password = body
        .password
        .clone()
        .or_else(|| generated.clone())
        .unwrap_or_default();
    let password_hash = state.passwords.hash(password).await?;
    let row = UserRow::new(
        &caller.organization_id,
        &body.email,
        &body.display_name,
        body.role,
        password_hash,
        Utc::now().naive_utc(),
    );
    let stored = row.clone();
    state
        .db
        .run(move |conn| repo::insert(conn, &stored))
        .await?;
    let location = format!("/v1/users/{}", row.id);
    let version = row.version;
    let shows_password = generated.is_some();
    let mut response = json_with_etag(
        StatusCode::CREATED,
        &CreatedUser {
            user: User::from(row),
            initial_password: generated,
        },
        version,
    );
    response.headers_mut().insert(
        header::LOCATION,
        header::HeaderValue::from_str(&location).map_err(ApiError::internal)?,
    );
    // A generated password is shown in this answer only.
    Ok(if shows_password {
        mark_shown_once(response)
    } else {
        response
    })
}

/// Users of the caller's organization, oldest first (admins, managers, keys with `users:read`).
#[utoipa::path(
    tag = "users",
    security(("bearer" = []), ("api_key" = [])),
    params(UserFilter, PageQuery),
    responses((status = 200, description = "One page of users", body = UserList))
)]
#[get("/v1/users")]
pub async fn list_users(
    state: web::Data<AppState>,
    caller: Caller,
    filter: ApiQuery<UserFilter>,
    page: ApiQuery<PageQuery>,
) -> ApiResult<web::Json<UserList>> {
    caller.require(Permission::UsersRead)?;
    let limit = page.limit()?;
    let after = page.after()?;
    let org_id = caller.organization_id.clone();
    let (role, active) = (filter.role, filter.active);
    let mut rows = state
        .db
        .run(move |conn| repo::list(conn, &org_id, role, active, after.as_deref(), limit))
        .await?;
    let next_cursor = next_cursor(&mut rows, limit, |r| r.id.as_str());
    Ok(web::Json(UserList {
        items: rows.into_iter().map(User::from).collect(),
        next_cursor,
    }))
}

/// One user of the caller's organization.
#[utoipa::path(
    tag = "users",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "User id")),
    responses((status = 200, description = "The user", body = User, headers(("ETag" = String))))
)]
#[get("/v1/users/{id}")]
pub async fn get_user(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::UsersRead)?;
    let id = parse_id(&id)?;
    let org_id = caller.organization_id.clone();
    let row = state
        .db
        .run(move |conn| repo::find_in_org(conn, &org_id, &id))
        .await?;
    let version = row.version;
    Ok(json_with_etag(StatusCode::OK, &User::from(row), version))
}

/// Changes a user's name, role or active flag (admins). Honours `If-Match`.
#[utoipa::path(
    tag = "users",
    security(("bearer" = [])),
    params(
        ("id" = uuid::Uuid, Path, description = "User id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version this change is based on"),
    ),
    request_body = UpdateUser,
    responses(
        (status = 200, description = "The updated user", body = User, headers(("ETag" = String))),
        (status = 409, description = "The change would leave the organization without an active admin", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The user changed since the given ETag", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/v1/users/{id}")]
pub async fn update_user(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    body: ApiJson<UpdateUser>,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::UsersWrite)?;
    let body = body.into_inner();
    let id = parse_id(&id)?;
    let expected = if_match(&req)?;
    let row = change_user(
        &state,
        &caller,
        id,
        expected,
        body.role,
        body.active,
        body.display_name,
    )
    .await?;
    let version = row.version;
    Ok(json_with_etag(StatusCode::OK, &User::from(row), version))
}

/// Deactivates a user (admins): they can no longer sign in and their sessions end. The user and
/// their work are kept; `PATCH` with `active: true` brings them back.
#[utoipa::path(
    tag = "users",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "User id")),
    responses(
        (status = 204, description = "Deactivated"),
        (status = 409, description = "The organization would be left without an active admin", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/v1/users/{id}")]
pub async fn deactivate_user(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::UsersWrite)?;
    let id = parse_id(&id)?;
    change_user(&state, &caller, id, None, None, Some(false), None).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Sets a new generated password for a user and ends their sessions (admins). The password is
/// shown once.
#[utoipa::path(
    tag = "users",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "User id")),
    responses((status = 200, description = "The new password", body = PasswordReset))
)]
#[post("/v1/users/{id}/password-reset")]
pub async fn reset_password(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::UsersWrite)?;
    let id = parse_id(&id)?;
    let org_id = caller.organization_id.clone();
    let lookup = id.clone();
    state
        .db
        .run(move |conn| repo::find_in_org(conn, &org_id, &lookup))
        .await?;
    let password = generate_password();
    let hash = state.passwords.hash(password.clone()).await?;
    let org_id = caller.organization_id.clone();
    state
        .db
        .transaction(move |conn| {
            let now = Utc::now().naive_utc();
            let current = repo::find_in_org(conn, &org_id, &id)?;
            let changes = UserChanges {
                password_hash: Some(hash),
                ..Default::default()
            };
            repo::update(conn, &current, None, &changes, now)?;
            repo::revoke_sessions(conn, &id, now)
        })
        .await?;
    Ok(shown_once(PasswordReset { password }))
}

/// The shared path of PATCH and DELETE: checks the admin rules in the same transaction as the
/// write, so two admins demoting each other at once cannot both succeed.
async fn change_user(
    state: &AppState,
    caller: &Caller,
    id: String,
    expected: Option<i32>,
    role: Option<Role>,
    active: Option<bool>,
    display_name: Option<String>,
) -> ApiResult<UserRow> {
    let org_id = caller.organization_id.clone();
    let acting_on_self = caller.user_id() == Some(id.as_str());
    state
        .db
        .transaction(move |conn| {
            let now = Utc::now().naive_utc();
            let current = repo::find_in_org(conn, &org_id, &id)?;
            let current_role: Role = current.role.parse().map_err(ApiError::internal)?;
            let was = is_active_admin(current_role, current.active);
            let will = is_active_admin(
                role.unwrap_or(current_role),
                active.unwrap_or(current.active),
            );
            if was && !will {
                let active_admins = repo::count_active_admins(conn, &org_id)?;
                check_admin_change(AdminChange {
                    acting_on_self,
                    was_active_admin: was,
                    will_be_active_admin: will,
                    active_admins,
                })
                .map_err(ApiError::conflict)?;
            }
            let changes = UserChanges {
                display_name: display_name.map(|n| n.trim().to_string()),
                role: role.map(|r| r.as_str().to_string()),
                active,
                password_hash: None,
            };
            let updated = repo::update(conn, &current, expected, &changes, now)?;
            if !updated.active {
                repo::revoke_sessions(conn, &id, now)?;
            }
            Ok(updated)
        })
        .await
}

use actix_web::{delete, get, post, web, HttpResponse};
use chrono::Utc;

use super::dto::{ApiKey, ApiKeyList, CreateApiKey, CreatedApiKey};
use super::model::ApiKeyRow;
use super::repo;
use crate::auth::caller::Caller;
use crate::auth::rules::Permission;
use crate::auth::tokens::{new_api_key, sha256_hex};
use crate::error::{ApiResult, FieldError};
use crate::http::{next_cursor, parse_id, ApiJson, ApiQuery, PageQuery};
use crate::idempotency::mark_shown_once;
use crate::state::AppState;
use crate::validation::reject_if_any;

/// Creates an API key for an integrator (admins). The secret is in this response only.
#[utoipa::path(
    tag = "api-keys",
    security(("bearer" = [])),
    request_body = CreateApiKey,
    responses((status = 201, description = "The key and its secret", body = CreatedApiKey))
)]
#[post("/v1/api-keys")]
pub async fn create_api_key(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<CreateApiKey>,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::ApiKeysManage)?;
    let body = body.into_inner();
    let now = Utc::now();
    let mut problems = Vec::new();
    if body.expires_at.is_some_and(|t| t <= now) {
        problems.push(FieldError::new("expires_at", "must be in the future"));
    }
    reject_if_any(problems)?;
    let mut scopes = body.scopes.clone();
    scopes.sort();
    scopes.dedup();
    let (prefix, secret) = new_api_key();
    let row = ApiKeyRow {
        id: uuid::Uuid::now_v7().to_string(),
        organization_id: caller.organization_id.clone(),
        name: body.name.trim().to_string(),
        prefix,
        secret_hash: sha256_hex(&secret),
        scopes: serde_json::to_string(&scopes).unwrap_or_else(|_| "[]".into()),
        created_by: caller.user_id().map(str::to_string),
        created_at: now.naive_utc(),
        expires_at: body.expires_at.map(|t| t.naive_utc()),
        last_used_at: None,
        revoked_at: None,
    };
    let stored = row.clone();
    state
        .db
        .run(move |conn| repo::insert(conn, &stored))
        .await?;
    Ok(mark_shown_once(
        HttpResponse::Created()
            .insert_header(("Location", format!("/v1/api-keys/{}", row.id)))
            .json(CreatedApiKey {
                api_key: ApiKey::from(row),
                secret,
            }),
    ))
}

/// The organization's API keys, revoked ones included (admins).
#[utoipa::path(
    tag = "api-keys",
    security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, description = "One page of keys", body = ApiKeyList))
)]
#[get("/v1/api-keys")]
pub async fn list_api_keys(
    state: web::Data<AppState>,
    caller: Caller,
    page: ApiQuery<PageQuery>,
) -> ApiResult<web::Json<ApiKeyList>> {
    caller.require(Permission::ApiKeysManage)?;
    let limit = page.limit()?;
    let after = page.after()?;
    let org_id = caller.organization_id.clone();
    let mut rows = state
        .db
        .run(move |conn| repo::list(conn, &org_id, after.as_deref(), limit))
        .await?;
    let next_cursor = next_cursor(&mut rows, limit, |r| r.id.as_str());
    Ok(web::Json(ApiKeyList {
        items: rows.into_iter().map(ApiKey::from).collect(),
        next_cursor,
    }))
}

/// Revokes a key at once (admins). Idempotent.
#[utoipa::path(
    tag = "api-keys",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "API key id")),
    responses((status = 204, description = "Revoked"))
)]
#[delete("/v1/api-keys/{id}")]
pub async fn revoke_api_key(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::ApiKeysManage)?;
    let id = parse_id(&id)?;
    let org_id = caller.organization_id.clone();
    state
        .db
        .run(move |conn| repo::revoke(conn, &org_id, &id, Utc::now().naive_utc()))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

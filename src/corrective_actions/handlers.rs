use actix_web::http::{header, StatusCode};
use actix_web::{get, post, put, web, HttpRequest, HttpResponse};
use chrono::Utc;

use super::dto::{
    ActionChanges, ActionFilter, ActionHistoryEntry, CorrectiveAction, CorrectiveActionList,
    EffectsReport, MarkDone, MoveNote, OpenAction, SuggestionList, SuggestionQuery, TrainingInput,
    TrainingSession,
};
use super::rules::Move;
use super::service;
use crate::auth::caller::Caller;
use crate::auth::rules::Permission;
use crate::error::{ApiError, ApiResult, Problem};
use crate::http::{
    if_match, json_with_etag, next_cursor, parse_id, ApiJson, ApiQuery, OptionalJson, PageQuery,
};
use crate::state::AppState;

fn action_response(status: StatusCode, action: &CorrectiveAction) -> ApiResult<HttpResponse> {
    let mut response = json_with_etag(status, action, action.revision);
    if status == StatusCode::CREATED {
        let location = format!("/v1/corrective-actions/{}", action.id);
        response.headers_mut().insert(
            header::LOCATION,
            header::HeaderValue::from_str(&location).map_err(ApiError::internal)?,
        );
    }
    Ok(response)
}

/// Opens a corrective action on a location × standard, freezing its baseline: delivered, n and
/// the Wilson interval over the window before today (managers, admins, keys with
/// `actions:write`).
#[utoipa::path(
    tag = "corrective-actions",
    security(("bearer" = []), ("api_key" = [])),
    request_body = OpenAction,
    responses((status = 201, description = "Opened", body = CorrectiveAction,
        headers(("Location" = String), ("ETag" = String, description = "The action's revision"))))
)]
#[post("/v1/corrective-actions")]
pub async fn open_action(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<OpenAction>,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::ActionsWrite)?;
    let org = caller.organization_id.clone();
    let by = caller.user_id().map(str::to_string);
    let action = state
        .db
        .transaction(move |conn| {
            service::open(
                conn,
                &org,
                by.as_deref(),
                body.into_inner(),
                Utc::now().naive_utc(),
            )
        })
        .await?;
    action_response(StatusCode::CREATED, &action)
}

/// The organization's corrective actions, filtered (managers, admins, keys with
/// `actions:read`).
#[utoipa::path(
    tag = "corrective-actions",
    security(("bearer" = []), ("api_key" = [])),
    params(ActionFilter, PageQuery),
    responses((status = 200, description = "One page of actions", body = CorrectiveActionList))
)]
#[get("/v1/corrective-actions")]
pub async fn list_actions(
    state: web::Data<AppState>,
    caller: Caller,
    filter: ApiQuery<ActionFilter>,
    page: ApiQuery<PageQuery>,
) -> ApiResult<web::Json<CorrectiveActionList>> {
    caller.require(Permission::ActionsRead)?;
    let limit = page.limit()?;
    let after = page.after()?;
    let org = caller.organization_id.clone();
    let filter = filter.into_inner();
    let mut page = state
        .db
        .run(move |conn| {
            service::list(
                conn,
                &org,
                &filter,
                after.as_deref(),
                limit,
                Utc::now().naive_utc(),
            )
        })
        .await?
        .into_iter()
        .map(|a| (a.id.to_string(), a))
        .collect();
    let next_cursor = next_cursor(&mut page, limit, |(id, _)| id.as_str());
    let items = page.into_iter().map(|(_, a)| a).collect();
    Ok(web::Json(CorrectiveActionList { items, next_cursor }))
}

/// Location × standard gaps over a trailing window that are significant and reliable and have
/// no open action, the largest shortfall first: where an action is due.
#[utoipa::path(
    tag = "corrective-actions",
    security(("bearer" = []), ("api_key" = [])),
    params(SuggestionQuery),
    responses((status = 200, description = "Gaps without an action", body = SuggestionList))
)]
#[get("/v1/corrective-actions/suggestions")]
pub async fn suggestions(
    state: web::Data<AppState>,
    caller: Caller,
    query: ApiQuery<SuggestionQuery>,
) -> ApiResult<web::Json<SuggestionList>> {
    caller.require(Permission::ActionsRead)?;
    let org = caller.organization_id.clone();
    let days = query
        .days
        .unwrap_or(service::DEFAULT_WINDOW_DAYS)
        .clamp(1, 3660);
    let list = state
        .db
        .run(move |conn| service::suggestions(conn, &org, days, Utc::now().date_naive()))
        .await?;
    Ok(web::Json(list))
}

/// What worked: every action marked done, with its effect (delivered after minus before, with
/// the Newcombe interval), and a summary by kind of action.
#[utoipa::path(
    tag = "corrective-actions",
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, description = "Effects", body = EffectsReport))
)]
#[get("/v1/corrective-actions/effects")]
pub async fn effects(
    state: web::Data<AppState>,
    caller: Caller,
) -> ApiResult<web::Json<EffectsReport>> {
    caller.require(Permission::ActionsRead)?;
    let org = caller.organization_id.clone();
    let report = state
        .db
        .run(move |conn| service::effects(conn, &org, Utc::now().naive_utc()))
        .await?;
    Ok(web::Json(report))
}

/// One corrective action with its baseline, re-shops and effect.
#[utoipa::path(
    tag = "corrective-actions",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Corrective action id")),
    responses((status = 200, description = "The action", body = CorrectiveAction, headers(("ETag" = String))))
)]
#[get("/v1/corrective-actions/{id}")]
pub async fn get_action(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::ActionsRead)?;
    let id = parse_id(&id)?;
    let org = caller.organization_id.clone();
    let action = state
        .db
        .run(move |conn| service::find(conn, &org, &id, Utc::now().naive_utc()))
        .await?;
    action_response(StatusCode::OK, &action)
}

/// Replaces an action's kind, owner, due date, plan and re-shop count, while its owner still
/// has work to do; `If-Match` is checked against its revision.
#[utoipa::path(
    tag = "corrective-actions",
    security(("bearer" = []), ("api_key" = [])),
    params(
        ("id" = uuid::Uuid, Path, description = "Corrective action id"),
        ("If-Match" = Option<String>, Header, description = "ETag (revision) this change is based on"),
    ),
    request_body = ActionChanges,
    responses(
        (status = 200, description = "Changed", body = CorrectiveAction, headers(("ETag" = String))),
        (status = 409, description = "No longer editable in its state", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The action changed since the given ETag", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/v1/corrective-actions/{id}")]
pub async fn update_action(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    body: ApiJson<ActionChanges>,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::ActionsWrite)?;
    let id = parse_id(&id)?;
    let expected = if_match(&req)?;
    let org = caller.organization_id.clone();
    let by = caller.user_id().map(str::to_string);
    let action = state
        .db
        .transaction(move |conn| {
            service::update(
                conn,
                &org,
                by.as_deref(),
                &id,
                body.into_inner(),
                expected,
                Utc::now().naive_utc(),
            )
        })
        .await?;
    action_response(StatusCode::OK, &action)
}

/// Runs a caller's move (start, reopen, cancel) with its history entry and event.
async fn moved(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    note: Option<String>,
    attempted: Move,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::ActionsWrite)?;
    let id = parse_id(&id)?;
    let expected = if_match(&req)?;
    let org = caller.organization_id.clone();
    let by = caller.user_id().map(str::to_string);
    let action = state
        .db
        .transaction(move |conn| {
            service::apply_move(
                conn,
                &org,
                by.as_deref(),
                &id,
                attempted,
                note,
                expected,
                Utc::now().naive_utc(),
            )
        })
        .await?;
    action_response(StatusCode::OK, &action)
}

/// Its owner starts the work: `open` → `in_progress`.
#[utoipa::path(
    tag = "corrective-actions",
    security(("bearer" = []), ("api_key" = [])),
    params(
        ("id" = uuid::Uuid, Path, description = "Corrective action id"),
        ("If-Match" = Option<String>, Header, description = "ETag (revision) this move is based on"),
    ),
    request_body(content = Option<MoveNote>, description = "Optional note"),
    responses(
        (status = 200, description = "Started", body = CorrectiveAction, headers(("ETag" = String))),
        (status = 409, description = "Not open; the current state is named", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The action changed since the given ETag", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/corrective-actions/{id}/start")]
pub async fn start_action(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    body: OptionalJson<MoveNote>,
) -> ApiResult<HttpResponse> {
    let note = body.0.note;
    moved(state, caller, req, id, note, Move::Start).await
}

/// A `not_verified` action goes back to work: → `in_progress`.
#[utoipa::path(
    tag = "corrective-actions",
    security(("bearer" = []), ("api_key" = [])),
    params(
        ("id" = uuid::Uuid, Path, description = "Corrective action id"),
        ("If-Match" = Option<String>, Header, description = "ETag (revision) this move is based on"),
    ),
    request_body(content = Option<MoveNote>, description = "Optional note"),
    responses(
        (status = 200, description = "Back in progress", body = CorrectiveAction, headers(("ETag" = String))),
        (status = 409, description = "Not `not_verified`; the current state is named", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The action changed since the given ETag", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/corrective-actions/{id}/reopen")]
pub async fn reopen_action(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    body: OptionalJson<MoveNote>,
) -> ApiResult<HttpResponse> {
    let note = body.0.note;
    moved(state, caller, req, id, note, Move::Reopen).await
}

/// Calls the action off (any state before a final verdict), with a reason; its re-shops still
/// waiting are cancelled.
#[utoipa::path(
    tag = "corrective-actions",
    security(("bearer" = []), ("api_key" = [])),
    params(
        ("id" = uuid::Uuid, Path, description = "Corrective action id"),
        ("If-Match" = Option<String>, Header, description = "ETag (revision) this move is based on"),
    ),
    request_body = MoveNote,
    responses(
        (status = 200, description = "Cancelled", body = CorrectiveAction, headers(("ETag" = String))),
        (status = 409, description = "Already verified or cancelled; the current state is named", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The action changed since the given ETag", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/corrective-actions/{id}/cancel")]
pub async fn cancel_action(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    body: ApiJson<MoveNote>,
) -> ApiResult<HttpResponse> {
    let note = body.into_inner().note;
    moved(state, caller, req, id, note, Move::Cancel).await
}

/// The work is done: `in_progress` → `awaiting_verification`, and the verifying re-shops are
/// planned at once, in the same transaction. They are ordinary assignments (fair play,
/// cooldown and exclusions apply; nothing tells the shopper which visit is the check). When the
/// last is approved the action is `verified` or `not_verified`; a rejected, expired or
/// cancelled one is replaced.
#[utoipa::path(
    tag = "corrective-actions",
    security(("bearer" = []), ("api_key" = [])),
    params(
        ("id" = uuid::Uuid, Path, description = "Corrective action id"),
        ("If-Match" = Option<String>, Header, description = "ETag (revision) this move is based on"),
    ),
    request_body(content = Option<MarkDone>, description = "Optional: how the re-shops are planned"),
    responses(
        (status = 200, description = "Done; re-shops planned", body = CorrectiveAction, headers(("ETag" = String))),
        (status = 409, description = "Not in progress (or the chosen shopper cannot take the shop); the current state is named", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The action changed since the given ETag", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/corrective-actions/{id}/done")]
pub async fn mark_done(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    body: OptionalJson<MarkDone>,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::ActionsWrite)?;
    let id = parse_id(&id)?;
    let expected = if_match(&req)?;
    let input = body.0;
    let org = caller.organization_id.clone();
    let by = caller.user_id().map(str::to_string);
    let action = state
        .db
        .transaction(move |conn| {
            service::mark_done(
                conn,
                &org,
                by.as_deref(),
                &id,
                input,
                expected,
                Utc::now().naive_utc(),
            )
        })
        .await?;
    action_response(StatusCode::OK, &action)
}

/// Every change of the action: who, when, from which state to which, and why.
#[utoipa::path(
    tag = "corrective-actions",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Corrective action id")),
    responses((status = 200, description = "Oldest first", body = Vec<ActionHistoryEntry>))
)]
#[get("/v1/corrective-actions/{id}/history")]
pub async fn action_history(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<web::Json<Vec<ActionHistoryEntry>>> {
    caller.require(Permission::ActionsRead)?;
    let id = parse_id(&id)?;
    let org = caller.organization_id.clone();
    let history = state
        .db
        .run(move |conn| service::history(conn, &org, &id))
        .await?;
    Ok(web::Json(history))
}

/// Records a training session held for the action: when, the standards and the published
/// book's protocols it covered, and how many attended.
#[utoipa::path(
    tag = "corrective-actions",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Corrective action id")),
    request_body = TrainingInput,
    responses(
        (status = 201, description = "Recorded", body = TrainingSession),
        (status = 409, description = "The action is verified or cancelled", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/corrective-actions/{id}/training-sessions")]
pub async fn record_training(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: ApiJson<TrainingInput>,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::ActionsWrite)?;
    let id = parse_id(&id)?;
    let org = caller.organization_id.clone();
    let by = caller.user_id().map(str::to_string);
    let session = state
        .db
        .transaction(move |conn| {
            service::record_training(
                conn,
                &org,
                by.as_deref(),
                &id,
                body.into_inner(),
                Utc::now().naive_utc(),
            )
        })
        .await?;
    Ok(HttpResponse::Created().json(session))
}

/// The training sessions held for the action, oldest first.
#[utoipa::path(
    tag = "corrective-actions",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Corrective action id")),
    responses((status = 200, description = "Sessions", body = Vec<TrainingSession>))
)]
#[get("/v1/corrective-actions/{id}/training-sessions")]
pub async fn list_training(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<web::Json<Vec<TrainingSession>>> {
    caller.require(Permission::ActionsRead)?;
    let id = parse_id(&id)?;
    let org = caller.organization_id.clone();
    let sessions = state
        .db
        .run(move |conn| service::trainings(conn, &org, &id))
        .await?;
    Ok(web::Json(sessions))
}

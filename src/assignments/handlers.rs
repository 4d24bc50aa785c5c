use actix_web::http::{header, StatusCode};
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::Utc;

use super::dto::{
    Assignment, AssignmentFilter, AssignmentList, BoardQuery, CandidateList, CandidateQuery,
    CheckInRequest, CreateAssignment, CreateWave, History, JobBoard, Reason, Reopen, ShopperChoice,
    Wave,
};
use super::repo;
use super::service::{self, Actor};
use crate::auth::caller::{Caller, Presented};
use crate::auth::rules::{Permission, Role};
use crate::error::{ApiError, ApiResult, Problem};
use crate::http::{next_cursor, parse_id, ApiJson, ApiQuery, OptionalJson, PageQuery};
use crate::state::AppState;

/// The assignment with its `ETag` (its version, marked when the window's end expired it before
/// the sweeper wrote so), honouring `If-None-Match` with 304.
fn assignment_response(
    req: Option<&HttpRequest>,
    status: StatusCode,
    assignment: Assignment,
) -> ApiResult<HttpResponse> {
    let etag = format!(
        "\"{}{}\"",
        assignment.version,
        if assignment.status == super::rules::Status::Expired {
            "x"
        } else {
            ""
        }
    );
    if let Some(req) = req {
        let matches = req
            .headers()
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(',')
                    .any(|t| t.trim().trim_start_matches("W/") == etag || t.trim() == "*")
            });
        if matches {
            return Ok(HttpResponse::NotModified()
                .insert_header((header::ETAG, etag))
                .finish());
        }
    }
    let mut response = HttpResponse::build(status)
        .insert_header((header::ETAG, etag.clone()))
        .json(&assignment);
    if status == StatusCode::CREATED {
        let location = header::HeaderValue::from_str(&format!("/v1/assignments/{}", assignment.id))
            .map_err(ApiError::internal)?;
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// Plans one shop (managers, admins, keys with `assignments:write`). With `shopper_id` it is
/// offered at once (after the fair-play checks); otherwise it goes on the job board.
#[utoipa::path(
    tag = "assignments",
    security(("bearer" = []), ("api_key" = [])),
    request_body = CreateAssignment,
    responses((status = 201, description = "The assignment", body = Assignment, headers(("Location" = String), ("ETag" = String))))
)]
#[post("/v1/assignments")]
pub async fn create_assignment(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<CreateAssignment>,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::AssignmentsWrite)?;
    let (org, user) = caller.owned_ids();
    let assignment = state
        .db
        .transaction(move |conn| {
            let now = Utc::now().naive_utc();
            let row = service::create(
                conn,
                Actor {
                    organization_id: &org,
                    user_id: user.as_deref(),
                },
                body.0,
                now,
            )?;
            service::load_dto(conn, &org, &row.id, now)
        })
        .await?;
    assignment_response(None, StatusCode::CREATED, assignment)
}

/// Plans a wave: a checklist × locations × N shops each, all open on the job board, in one
/// transaction (all or nothing).
#[utoipa::path(
    tag = "assignments",
    security(("bearer" = []), ("api_key" = [])),
    request_body = CreateWave,
    responses((status = 201, description = "The wave; list its assignments with `wave_id`", body = Wave))
)]
#[post("/v1/waves")]
pub async fn create_wave(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<CreateWave>,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::AssignmentsWrite)?;
    let (org, user) = caller.owned_ids();
    let (id, created) = state
        .db
        .transaction(move |conn| {
            service::create_wave(
                conn,
                Actor {
                    organization_id: &org,
                    user_id: user.as_deref(),
                },
                body.0,
                Utc::now().naive_utc(),
            )
        })
        .await?;
    Ok(HttpResponse::Created().json(Wave {
        id: id.parse().map_err(ApiError::internal)?,
        created,
    }))
}

/// Assignments, filtered. Shoppers see only their own.
#[utoipa::path(
    tag = "assignments",
    security(("bearer" = []), ("api_key" = [])),
    params(AssignmentFilter, PageQuery),
    responses((status = 200, description = "One page of assignments", body = AssignmentList))
)]
#[get("/v1/assignments")]
pub async fn list_assignments(
    state: web::Data<AppState>,
    caller: Caller,
    filter: ApiQuery<AssignmentFilter>,
    page: ApiQuery<PageQuery>,
) -> ApiResult<web::Json<AssignmentList>> {
    let only = match caller.principal {
        crate::auth::caller::Principal::User {
            role: Role::Shopper,
            ..
        } => Some(caller.require_shopper()?),
        _ => {
            caller.require(Permission::AssignmentsRead)?;
            None
        }
    };
    let limit = page.limit()?;
    let after = page.after()?;
    let org = caller.organization_id.clone();
    let filter = filter.into_inner();
    let mut rows = state
        .db
        .run(move |conn| {
            repo::list(
                conn,
                &org,
                &filter,
                only.as_deref(),
                after.as_deref(),
                limit,
            )
        })
        .await?;
    let next_cursor = next_cursor(&mut rows, limit, |r| r.0.id.as_str());
    let now = Utc::now().naive_utc();
    let items = rows
        .into_iter()
        .map(|v| service::to_dto(v, None, now))
        .collect::<ApiResult<_>>()?;
    Ok(web::Json(AssignmentList { items, next_cursor }))
}

/// One assignment (shoppers: only their own). Honours `If-None-Match` (304).
#[utoipa::path(
    tag = "assignments",
    security(("bearer" = []), ("api_key" = [])),
    params(
        ("id" = uuid::Uuid, Path, description = "Assignment id"),
        ("If-None-Match" = Option<String>, Header, description = "ETag the app holds"),
    ),
    responses(
        (status = 200, description = "The assignment", body = Assignment, headers(("ETag" = String))),
        (status = 304, description = "Unchanged since the given ETag"),
    )
)]
#[get("/v1/assignments/{id}")]
pub async fn get_assignment(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = parse_id(&id)?;
    let own = match caller.principal {
        crate::auth::caller::Principal::User {
            role: Role::Shopper,
            ..
        } => Some(caller.require_shopper()?),
        _ => {
            caller.require(Permission::AssignmentsRead)?;
            None
        }
    };
    let org = caller.organization_id.clone();
    let assignment = state
        .db
        .run(move |conn| {
            if let Some(shopper) = &own {
                service::visible_to_shopper(conn, &org, shopper, &id)?;
            }
            service::load_dto(conn, &org, &id, Utc::now().naive_utc())
        })
        .await?;
    assignment_response(Some(&req), StatusCode::OK, assignment)
}

/// Whom to offer the assignment to: the shoppers the fair-play rules allow (cooldown,
/// exclusions, certification, capacity), best first by reputation (managers, admins, keys with
/// `assignments:read`).
#[utoipa::path(
    tag = "assignments",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Assignment id"), CandidateQuery),
    responses((status = 200, description = "Eligible shoppers, best first", body = CandidateList))
)]
#[get("/v1/assignments/{id}/candidates")]
pub async fn candidates(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    query: ApiQuery<CandidateQuery>,
) -> ApiResult<web::Json<CandidateList>> {
    caller.require(Permission::AssignmentsRead)?;
    let id = parse_id(&id)?;
    let org = caller.organization_id.clone();
    let sort = query.sort.unwrap_or_default();
    let limit = query
        .limit
        .unwrap_or(20)
        .clamp(1, service::MAX_CANDIDATES as i64) as usize;
    let items = state
        .db
        .run(move |conn| service::candidates(conn, &org, &id, sort, limit, Utc::now().naive_utc()))
        .await?;
    Ok(web::Json(CandidateList { items }))
}

/// Every status change of an assignment: who, when, from, to and why (managers, admins, keys).
#[utoipa::path(
    tag = "assignments",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Assignment id")),
    responses((status = 200, description = "Oldest first", body = History))
)]
#[get("/v1/assignments/{id}/history")]
pub async fn history(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<web::Json<History>> {
    caller.require(Permission::AssignmentsRead)?;
    let id = parse_id(&id)?;
    let org = caller.organization_id.clone();
    let items = state
        .db
        .run(move |conn| service::history(conn, &org, &id))
        .await?;
    Ok(web::Json(History { items }))
}

/// Runs a manager's action and answers with the assignment.
async fn manage<F>(
    state: &AppState,
    caller: &Caller,
    id: &str,
    action: F,
) -> ApiResult<HttpResponse>
where
    F: FnOnce(
            &mut crate::db::DbConn,
            Actor,
            &str,
            chrono::NaiveDateTime,
        ) -> ApiResult<super::model::AssignmentRow>
        + Send
        + 'static,
{
    caller.require(Permission::AssignmentsWrite)?;
    let id = parse_id(id)?;
    let (org, user) = caller.owned_ids();
    let assignment = state
        .db
        .transaction(move |conn| {
            let now = Utc::now().naive_utc();
            action(
                conn,
                Actor {
                    organization_id: &org,
                    user_id: user.as_deref(),
                },
                &id,
                now,
            )?;
            service::load_dto(conn, &org, &id, now)
        })
        .await?;
    assignment_response(None, StatusCode::OK, assignment)
}

/// Runs the shopper's own action and answers with the assignment.
async fn as_shopper<F>(
    state: &AppState,
    caller: &Caller,
    id: &str,
    action: F,
) -> ApiResult<HttpResponse>
where
    F: FnOnce(
            &mut crate::db::DbConn,
            &str,
            &str,
            &str,
            chrono::NaiveDateTime,
        ) -> ApiResult<super::model::AssignmentRow>
        + Send
        + 'static,
{
    let me = caller.require_shopper()?;
    let id = parse_id(id)?;
    let org = caller.organization_id.clone();
    let assignment = state
        .db
        .transaction(move |conn| {
            let now = Utc::now().naive_utc();
            action(conn, &org, &me, &id, now)?;
            service::load_dto(conn, &org, &id, now)
        })
        .await?;
    assignment_response(None, StatusCode::OK, assignment)
}

/// Offers an open assignment to one shopper, after the fair-play checks (422 names the rule).
#[utoipa::path(
    tag = "assignments",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Assignment id")),
    request_body = ShopperChoice,
    responses(
        (status = 200, description = "Assigned", body = Assignment),
        (status = 409, description = "Not open; `current_state` says what it is", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/assignments/{id}/offer")]
pub async fn offer(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: ApiJson<ShopperChoice>,
) -> ApiResult<HttpResponse> {
    let shopper_id = body.0.shopper_id.to_string();
    manage(&state, &caller, &id, move |conn, actor, id, now| {
        service::offer(conn, actor, id, &shopper_id, now)
    })
    .await
}

/// Gives an assigned or accepted assignment to another shopper (fair-play checks apply).
#[utoipa::path(
    tag = "assignments",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Assignment id")),
    request_body = ShopperChoice,
    responses(
        (status = 200, description = "Reassigned", body = Assignment),
        (status = 409, description = "Not assigned or accepted", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/assignments/{id}/reassign")]
pub async fn reassign(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: ApiJson<ShopperChoice>,
) -> ApiResult<HttpResponse> {
    let shopper_id = body.0.shopper_id.to_string();
    manage(&state, &caller, &id, move |conn, actor, id, now| {
        service::reassign(conn, actor, id, &shopper_id, None, now)
    })
    .await
}

/// Calls an assignment off before anything was submitted.
#[utoipa::path(
    tag = "assignments",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Assignment id")),
    request_body(content = Option<Reason>, description = "Optional reason"),
    responses(
        (status = 200, description = "Cancelled", body = Assignment),
        (status = 409, description = "Already submitted or finished", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/assignments/{id}/cancel")]
pub async fn cancel(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: OptionalJson<Reason>,
) -> ApiResult<HttpResponse> {
    let reason = body.0.reason;
    manage(&state, &caller, &id, move |conn, actor, id, now| {
        service::cancel(conn, actor, id, reason, now)
    })
    .await
}

/// Puts an expired assignment back on the job board with a new window.
#[utoipa::path(
    tag = "assignments",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Assignment id")),
    request_body = Reopen,
    responses(
        (status = 200, description = "Open again", body = Assignment),
        (status = 409, description = "Not expired", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/assignments/{id}/reopen")]
pub async fn reopen(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: ApiJson<Reopen>,
) -> ApiResult<HttpResponse> {
    let (start, end) = (
        body.0.window_start.naive_utc(),
        body.0.window_end.naive_utc(),
    );
    manage(&state, &caller, &id, move |conn, actor, id, now| {
        service::reopen(conn, actor, id, start, end, now)
    })
    .await
}

/// The shopper takes an offer made to them, or an open job from the board. Of two shoppers
/// taking the same job at once, one wins and the other gets 409.
#[utoipa::path(
    tag = "assignments",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Assignment id")),
    responses(
        (status = 200, description = "Accepted", body = Assignment),
        (status = 409, description = "Taken by someone else, or not open", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A fair-play rule refuses it; the field names the rule", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/assignments/{id}/accept")]
pub async fn accept(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    as_shopper(&state, &caller, &id, |conn, org, me, id, now| {
        service::accept(conn, org, me, id, now)
    })
    .await
}

/// The shopper gives the assignment back to the job board.
#[utoipa::path(
    tag = "assignments",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Assignment id")),
    request_body(content = Option<Reason>, description = "Optional reason"),
    responses(
        (status = 200, description = "Back on the board", body = Assignment),
        (status = 409, description = "Not assigned to or accepted by the shopper", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/assignments/{id}/decline")]
pub async fn decline(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: OptionalJson<Reason>,
) -> ApiResult<HttpResponse> {
    let reason = body.0.reason;
    as_shopper(&state, &caller, &id, move |conn, org, me, id, now| {
        service::decline(conn, org, me, id, reason, now)
    })
    .await
}

/// The shopper checks in on site with their position and the phone's clock. A position outside
/// the location's geofence is accepted and flagged (`outside_geofence`), never refused.
#[utoipa::path(
    tag = "assignments",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Assignment id")),
    request_body = CheckInRequest,
    responses(
        (status = 200, description = "Checked in", body = Assignment),
        (status = 409, description = "Not accepted, or the window ended", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/assignments/{id}/check-in")]
pub async fn check_in(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: ApiJson<CheckInRequest>,
) -> ApiResult<HttpResponse> {
    let input = body.0;
    as_shopper(&state, &caller, &id, move |conn, org, me, id, now| {
        service::check_in(conn, org, me, id, input, now)
    })
    .await
}

/// Open jobs the signed-in shopper is eligible for, nearest first when a position is given.
#[utoipa::path(
    tag = "assignments",
    security(("bearer" = [])),
    params(BoardQuery),
    responses((status = 200, description = "The jobs", body = JobBoard))
)]
#[get("/v1/job-board")]
pub async fn job_board(
    state: web::Data<AppState>,
    presented: Presented,
    query: ApiQuery<BoardQuery>,
) -> ApiResult<web::Json<JobBoard>> {
    let query = query.into_inner();
    let limit = query.limit.unwrap_or(50);
    let position = match (query.latitude, query.longitude) {
        (Some(lat), Some(lon)) => Some((lat, lon)),
        (None, None) => None,
        // A rule across parameters: each is well formed, the pair is not valid.
        _ => {
            return Err(ApiError::unprocessable(
                "latitude",
                "give latitude and longitude together",
            ))
        }
    };
    // Authentication and the board in one database call (see `Presented`).
    let items = state
        .db
        .run(move |conn| {
            let caller = presented.confirm(conn)?;
            let me = caller.require_shopper()?;
            service::job_board(
                conn,
                &caller.organization_id,
                &me,
                caller.identity.as_deref(),
                position,
                limit as usize,
                Utc::now().naive_utc(),
            )
        })
        .await?;
    Ok(web::Json(JobBoard { items }))
}

/// Everything the shopper's app needs offline, changed since `since`: their assignments, the
/// checklist versions those use, and the ids of all they hold now.
#[utoipa::path(
    tag = "assignments",
    security(("bearer" = [])),
    params(super::dto::SyncQuery),
    responses((status = 200, description = "Changes and a new cursor", body = super::dto::Sync))
)]
#[get("/v1/me/sync")]
pub async fn sync(
    state: web::Data<AppState>,
    presented: Presented,
    query: web::Query<super::dto::SyncQuery>,
) -> ApiResult<web::Json<super::dto::Sync>> {
    let since = query.since.clone();
    // Authentication and the sync in one database call (see `Presented`).
    let result = state
        .db
        .run(move |conn| {
            let caller = presented.confirm(conn)?;
            let me = caller.require_shopper()?;
            let since = since
                .as_deref()
                .map(service::parse_sync_cursor)
                .transpose()?;
            service::sync(
                conn,
                &caller.organization_id,
                &me,
                since,
                Utc::now().naive_utc(),
            )
        })
        .await?;
    Ok(web::Json(result))
}

/// A checklist version by its id: managers and keys read any; a shopper reads those of their
/// own assignments.
#[utoipa::path(
    tag = "checklists",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Checklist version id")),
    responses((status = 200, description = "The version", body = crate::checklists::dto::ChecklistVersion))
)]
#[get("/v1/checklist-versions/{id}")]
pub async fn checklist_version(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<web::Json<crate::checklists::dto::ChecklistVersion>> {
    let id = parse_id(&id)?;
    let as_shopper = match caller.principal {
        crate::auth::caller::Principal::User {
            role: Role::Shopper,
            ..
        } => Some(caller.require_shopper()?),
        _ => {
            caller.require(Permission::StandardsRead)?;
            None
        }
    };
    let org = caller.organization_id.clone();
    let version = state
        .db
        .run(move |conn| {
            let not_found = || ApiError::NotFound("no such checklist version".into());
            if let Some(me) = &as_shopper {
                if !repo::shopper_uses_checklist(conn, me, &id)? {
                    return Err(not_found());
                }
            }
            let row = crate::checklists::repo::find_version_by_id(conn, &org, &id)?
                .ok_or_else(not_found)?;
            crate::checklists::service::to_dto(conn, row)
        })
        .await?;
    Ok(web::Json(version))
}

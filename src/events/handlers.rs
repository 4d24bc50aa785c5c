use actix_web::{get, web};

use super::dto::{EventFeed, EventType, FeedQuery};
use super::outbox::{self, Position};
use crate::auth::caller::Caller;
use crate::auth::rules::Permission;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::http::ApiQuery;
use crate::state::AppState;

const DEFAULT_FEED_PAGE: i64 = 100;
const MAX_FEED_PAGE: i64 = 500;

/// The organization's events in feed order, after a cursor (managers, admins, keys with
/// `events:read`). Keep `next_cursor` and ask again with it: no event can later appear before
/// it, even one whose transaction started earlier and committed later. Events are kept; a
/// reader may start from the beginning at any time.
#[utoipa::path(
    tag = "events",
    security(("bearer" = []), ("api_key" = [])),
    params(FeedQuery),
    responses((status = 200, description = "One page of events", body = EventFeed))
)]
#[get("/v1/events")]
pub async fn feed(
    state: web::Data<AppState>,
    caller: Caller,
    query: ApiQuery<FeedQuery>,
) -> ApiResult<web::Json<EventFeed>> {
    caller.require(Permission::EventsRead)?;
    let query = query.into_inner();
    let after = match query.after.as_deref().filter(|a| !a.is_empty()) {
        Some(cursor) => Position::parse("after", cursor)?,
        None => Position::default(),
    };
    let types = match query.types.as_deref() {
        None => None,
        Some(list) => {
            let mut types = Vec::new();
            let mut problems = Vec::new();
            for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                match EventType::parse(name) {
                    Some(t) => types.push(t),
                    None => problems.push(FieldError::new(
                        "types",
                        format!("{name:?} is not an event type"),
                    )),
                }
            }
            if !problems.is_empty() {
                return Err(ApiError::Unprocessable(problems));
            }
            Some(types)
        }
    };
    let limit = query
        .limit
        .unwrap_or(DEFAULT_FEED_PAGE)
        .clamp(1, MAX_FEED_PAGE);
    let org = caller.organization_id.clone();
    let rows = state
        .db
        .run(move |conn| outbox::read(conn, Some(&org), after, types.as_deref(), limit + 1))
        .await?;
    let more = rows.len() as i64 > limit;
    let rows = &rows[..rows.len().min(limit as usize)];
    let next = rows.last().map_or(after, |r| r.position());
    Ok(web::Json(EventFeed {
        items: rows.iter().map(|r| r.to_dto()).collect::<ApiResult<_>>()?,
        next_cursor: next.cursor(),
        more,
    }))
}

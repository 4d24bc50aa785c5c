//! Management responses: managers rate the expectations they believe customers hold, for a
//! scope (a location, a region or the whole organization) and a period. `E_m` of the five-gaps
//! report averages the answers about every scope that contains the report's.

use std::collections::BTreeMap;

use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::Audience;
use super::responses::{self, Answers, Rating};
use super::store::{self, Cell, NewResponse};
use crate::auth::caller::Caller;
use crate::auth::rules::Permission;
use crate::contract::types::Label;
use crate::db::schema::{locations, survey_instrument_versions as versions, survey_responses};
use crate::db::DbConn;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::http::{next_cursor, parse_id, ApiJson, ApiQuery, PageQuery};
use crate::reports::rules::{span_too_long, MAX_SPAN_YEARS};
use crate::standards::dto::{Channel, Dimension};
use crate::state::AppState;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ManagementResponseInput {
    /// A published management instrument version of the organization.
    pub instrument_version_id: uuid::Uuid,
    /// The location the answers are about; leave out (with `region`) for the organization.
    #[serde(default)]
    pub location_id: Option<uuid::Uuid>,
    /// The region the answers are about (not with `location_id`).
    #[serde(default)]
    #[schema(value_type = Option<Label>)]
    pub region: Option<String>,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    /// At most 200.
    #[schema(max_items = 200)]
    pub ratings: Vec<Rating>,
    #[serde(default)]
    #[schema(schema_with = responses::importance_schema)]
    pub importance: Option<BTreeMap<Dimension, i32>>,
    /// The channel managers believe customers prefer.
    #[serde(default)]
    pub preferred_channel: Option<Channel>,
}

/// A management answer as recorded: its scope (a location, a region, or neither for the whole
/// organization), period, ratings and who gave it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ManagementResponse {
    pub id: uuid::Uuid,
    pub instrument_version_id: uuid::Uuid,
    pub location_id: Option<uuid::Uuid>,
    /// The region the answers are about (absent for a location's or the organization's).
    pub region: Option<String>,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub ratings: Vec<Rating>,
    #[schema(schema_with = responses::importance_schema)]
    pub importance: Option<BTreeMap<Dimension, i32>>,
    pub preferred_channel: Option<Channel>,
    /// The user who answered (absent when an API key recorded it).
    pub respondent_id: Option<uuid::Uuid>,
    /// Doubtful-data flags (for example `straight_lined`); flagged answers still count.
    pub flags: Vec<String>,
    pub received_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ManagementResponseList {
    pub items: Vec<ManagementResponse>,
    pub next_cursor: Option<String>,
}

/// Filters of the management-response list, with its page.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ManagementResponseQuery {
    /// Items per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// Opaque cursor from a previous page's `next_cursor` (empty: the first page).
    pub cursor: Option<String>,
    /// Answers about this location.
    pub location_id: Option<uuid::Uuid>,
    /// Answers about this region as a whole.
    #[param(value_type = Option<Label>)]
    pub region: Option<String>,
    /// Answers to this instrument version.
    pub instrument_version_id: Option<uuid::Uuid>,
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = survey_responses)]
struct ResponseRow {
    id: String,
    instrument_version_id: String,
    respondent_id: Option<String>,
    location_id: String,
    region: String,
    period_start: NaiveDate,
    period_end: NaiveDate,
    answers: String,
    flags: String,
    received_at: NaiveDateTime,
}

fn to_dto(row: ResponseRow) -> ApiResult<ManagementResponse> {
    let answers: Answers = serde_json::from_str(&row.answers).map_err(ApiError::internal)?;
    let uuid = |s: &str| s.parse::<uuid::Uuid>().map_err(ApiError::internal);
    Ok(ManagementResponse {
        id: uuid(&row.id)?,
        instrument_version_id: uuid(&row.instrument_version_id)?,
        location_id: (!row.location_id.is_empty())
            .then(|| uuid(&row.location_id))
            .transpose()?,
        region: (row.location_id.is_empty() && !row.region.is_empty()).then_some(row.region),
        period_from: row.period_start,
        period_to: row.period_end,
        ratings: answers.ratings,
        importance: answers.importance,
        preferred_channel: answers.preferred_channel,
        respondent_id: row.respondent_id.as_deref().map(uuid).transpose()?,
        flags: serde_json::from_str(&row.flags).map_err(ApiError::internal)?,
        received_at: row.received_at.and_utc(),
    })
}

fn find(conn: &mut DbConn, org: &str, id: &str) -> ApiResult<ManagementResponse> {
    let row: ResponseRow = survey_responses::table
        .filter(survey_responses::organization_id.eq(org))
        .filter(survey_responses::audience.eq(Audience::Management.as_str()))
        .filter(survey_responses::id.eq(id))
        .select(ResponseRow::as_select())
        .get_result(conn)
        .optional()?
        .ok_or_else(|| ApiError::NotFound("no such management response".into()))?;
    to_dto(row)
}

fn record(
    conn: &mut DbConn,
    org: &str,
    by: Option<&str>,
    input: ManagementResponseInput,
    now: NaiveDateTime,
) -> ApiResult<ManagementResponse> {
    let mut problems = Vec::new();
    let version_id = input.instrument_version_id.to_string();
    let audience: Option<String> = versions::table
        .filter(versions::id.eq(&version_id))
        .filter(versions::organization_id.eq(org))
        .filter(versions::status.eq("published"))
        .select(versions::audience)
        .get_result(conn)
        .optional()?;
    match audience.as_deref() {
        None => problems.push(FieldError::new(
            "instrument_version_id",
            "must be a published survey-instrument version of this organization",
        )),
        Some(a) if a != Audience::Management.as_str() => problems.push(FieldError::new(
            "instrument_version_id",
            "must be a management instrument",
        )),
        Some(_) => {}
    }
    if input.period_from > input.period_to {
        problems.push(FieldError::new(
            "period_from",
            "must not be after period_to",
        ));
    } else if span_too_long(input.period_from, input.period_to) {
        problems.push(FieldError::new(
            "period_to",
            format!("a period spans at most {MAX_SPAN_YEARS} years"),
        ));
    }
    let (location_id, region) = match (&input.location_id, &input.region) {
        (Some(_), Some(_)) => {
            problems.push(FieldError::new(
                "region",
                "give a location or a region, not both (a location's region is known)",
            ));
            (String::new(), String::new())
        }
        (Some(id), None) => {
            let region: Option<String> = locations::table
                .filter(locations::id.eq(id.to_string()))
                .filter(locations::organization_id.eq(org))
                .select(locations::region)
                .get_result(conn)
                .optional()?;
            match region {
                Some(region) => (id.to_string(), region),
                None => {
                    problems.push(FieldError::new("location_id", "no such location"));
                    (String::new(), String::new())
                }
            }
        }
        (None, Some(region)) => (String::new(), region.trim().to_string()),
        (None, None) => (String::new(), String::new()),
    };
    crate::validation::reject_if_any(problems)?;
    let (content, book) = store::instrument_and_book(conn, &version_id)?;
    let answers = Answers {
        ratings: input.ratings,
        importance: input.importance,
        preferred_channel: input.preferred_channel,
    };
    crate::validation::reject_if_any(responses::check(
        Audience::Management,
        &content,
        None,
        &answers,
    ))?;
    let id = uuid::Uuid::now_v7();
    let language = content.languages.first().cloned().unwrap_or_default();
    let response = NewResponse {
        id: id.to_string(),
        cell: Cell {
            organization_id: org.to_string(),
            audience: Audience::Management,
            location_id: location_id.clone(),
            region: region.clone(),
            segment: String::new(),
            channel: String::new(),
            period_start: input.period_from,
            period_end: input.period_to,
        },
        instrument_version_id: version_id,
        link_id: None,
        invitation_id: None,
        respondent_id: by.map(str::to_string),
        language,
        answers,
    };
    store::record(conn, &content, &book, response, now)?;
    find(conn, org, &id.to_string())
}

/// Records a manager's answers to the management instrument for a scope and period (managers,
/// admins). Send an `Idempotency-Key` to make a retry harmless.
#[utoipa::path(
    tag = "surveys",
    security(("bearer" = [])),
    request_body = ManagementResponseInput,
    responses((status = 201, description = "Recorded", body = ManagementResponse))
)]
#[post("/v1/management-responses")]
pub async fn record_management_response(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<ManagementResponseInput>,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::SurveysWrite)?;
    let org = caller.organization_id.clone();
    let by = caller.user_id().map(str::to_string);
    let recorded = state
        .db
        .transaction(move |conn| {
            record(
                conn,
                &org,
                by.as_deref(),
                body.into_inner(),
                Utc::now().naive_utc(),
            )
        })
        .await?;
    Ok(HttpResponse::Created().json(recorded))
}

/// The organization's management answers, oldest first (managers, admins, keys with
/// `surveys:read`).
#[utoipa::path(
    tag = "surveys",
    security(("bearer" = []), ("api_key" = [])),
    params(ManagementResponseQuery),
    responses((status = 200, description = "One page of answers", body = ManagementResponseList))
)]
#[get("/v1/management-responses")]
pub async fn list_management_responses(
    state: web::Data<AppState>,
    caller: Caller,
    query: ApiQuery<ManagementResponseQuery>,
) -> ApiResult<web::Json<ManagementResponseList>> {
    caller.require(Permission::SurveysRead)?;
    let query = query.into_inner();
    let page = PageQuery {
        limit: query.limit,
        cursor: query.cursor.clone(),
    };
    let (limit, after) = (page.limit()?, page.after()?);
    let org = caller.organization_id.clone();
    let mut rows = state
        .db
        .run(move |conn| {
            let mut q = survey_responses::table
                .filter(survey_responses::organization_id.eq(&org))
                .filter(survey_responses::audience.eq(Audience::Management.as_str()))
                .select(ResponseRow::as_select())
                .order(survey_responses::id.asc())
                .limit(limit + 1)
                .into_boxed();
            if let Some(after) = after {
                q = q.filter(survey_responses::id.gt(after));
            }
            if let Some(location) = query.location_id {
                q = q.filter(survey_responses::location_id.eq(location.to_string()));
            }
            if let Some(region) = query.region {
                q = q
                    .filter(survey_responses::location_id.eq(""))
                    .filter(survey_responses::region.eq(region));
            }
            if let Some(version) = query.instrument_version_id {
                q = q.filter(survey_responses::instrument_version_id.eq(version.to_string()));
            }
            Ok(q.load(conn)?)
        })
        .await?;
    let next_cursor = next_cursor(&mut rows, limit, |r: &ResponseRow| r.id.as_str());
    let items = rows.into_iter().map(to_dto).collect::<ApiResult<_>>()?;
    Ok(web::Json(ManagementResponseList { items, next_cursor }))
}

/// One management answer.
#[utoipa::path(
    tag = "surveys",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Management response id")),
    responses((status = 200, description = "The answer", body = ManagementResponse))
)]
#[get("/v1/management-responses/{id}")]
pub async fn get_management_response(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<web::Json<ManagementResponse>> {
    caller.require(Permission::SurveysRead)?;
    let id = parse_id(&id)?;
    let org = caller.organization_id.clone();
    Ok(web::Json(
        state.db.run(move |conn| find(conn, &org, &id)).await?,
    ))
}

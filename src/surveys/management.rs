//! Management responses: managers rate the expectations they believe customers hold, for a
//! scope (a location, a region or the whole organization) and a period. `E_m` of the five-gaps
//! report averages the answers about every scope that contains the report's.

use std::collections::BTreeMap;

use actix_web::{post, web, HttpResponse};
use chrono::{NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::dto::Audience;
use super::responses::{self, Answers, Rating};
use super::store::{self, Cell, NewResponse, Stored};
use crate::auth::caller::Caller;
use crate::auth::rules::Permission;
use crate::contract::types::Label;
use crate::db::schema::{locations, survey_instrument_versions as versions};
use crate::db::DbConn;
use crate::error::{ApiResult, FieldError};
use crate::http::ApiJson;
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

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ManagementResponse {
    pub id: uuid::Uuid,
    pub instrument_version_id: uuid::Uuid,
    pub location_id: Option<uuid::Uuid>,
    pub region: Option<String>,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub flags: Vec<String>,
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
    let flags = match store::record(conn, &content, &book, response, now)? {
        Stored::New { flags } | Stored::Replayed { flags } => flags,
    };
    Ok(ManagementResponse {
        id,
        instrument_version_id: input.instrument_version_id,
        location_id: input.location_id,
        region: (!region.is_empty() && location_id.is_empty()).then_some(region),
        period_from: input.period_from,
        period_to: input.period_to,
        flags,
    })
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

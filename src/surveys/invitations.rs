//! One-time invitation codes for post-sale research: imported as a list (from the company's
//! CRM), each spent by one response. Only a code's SHA-256 is kept: a code is a secret until it
//! is used. A spent code answers 409; a revoked, expired or unknown one 404. Codes are unique
//! across the service (an import that repeats a known code is refused, nothing imported).

use std::collections::HashSet;

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::dto::Audience;
use super::public::{self, CustomerResponse, ResponseReceipt, SurveyForm, Target};
use super::store::Stored;
use crate::auth::caller::Caller;
use crate::auth::rules::Permission;
use crate::auth::tokens::sha256_hex;
use crate::contract::types::InvitationCode;
use crate::db::schema::{locations, survey_instrument_versions as versions, survey_invitations};
use crate::db::DbConn;
use crate::error::{ApiError, ApiResult, FieldError, Problem};
use crate::http::{next_cursor, parse_id, ApiJson, ApiQuery, PageQuery};
use crate::standards::dto::Channel;
use crate::state::AppState;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvitationImport {
    /// A published customer instrument version of the organization.
    pub instrument_version_id: uuid::Uuid,
    pub location_id: uuid::Uuid,
    /// The channel the answers are about (the sale's).
    pub channel: Channel,
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
    /// 1 to 10,000 codes, each once.
    #[schema(value_type = Vec<InvitationCode>, min_items = 1, max_items = 10000)]
    pub codes: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct InvitationImported {
    pub imported: usize,
    /// The invitations' ids, in the order of the codes.
    pub ids: Vec<uuid::Uuid>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InvitationState {
    Open,
    Spent,
    Revoked,
    Expired,
}

/// An invitation as listed (never its code).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Invitation {
    pub id: uuid::Uuid,
    pub instrument_version_id: uuid::Uuid,
    pub location_id: uuid::Uuid,
    pub channel: Channel,
    pub state: InvitationState,
    pub expires_at: Option<DateTime<Utc>>,
    pub spent_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct InvitationList {
    pub items: Vec<Invitation>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = survey_invitations)]
struct Row {
    id: String,
    organization_id: String,
    instrument_version_id: String,
    location_id: String,
    channel: String,
    code_hash: String,
    expires_at: Option<NaiveDateTime>,
    revoked_at: Option<NaiveDateTime>,
    spent_at: Option<NaiveDateTime>,
    response_id: Option<String>,
    created_by: Option<String>,
    created_at: NaiveDateTime,
}

impl Row {
    fn state(&self, now: NaiveDateTime) -> InvitationState {
        if self.spent_at.is_some() {
            InvitationState::Spent
        } else if self.revoked_at.is_some() {
            InvitationState::Revoked
        } else if self.expires_at.is_some_and(|end| now >= end) {
            InvitationState::Expired
        } else {
            InvitationState::Open
        }
    }
}

fn to_dto(row: Row, now: NaiveDateTime) -> ApiResult<Invitation> {
    Ok(Invitation {
        id: row.id.parse().map_err(ApiError::internal)?,
        instrument_version_id: row
            .instrument_version_id
            .parse()
            .map_err(ApiError::internal)?,
        location_id: row.location_id.parse().map_err(ApiError::internal)?,
        channel: Channel::parse(&row.channel)
            .ok_or_else(|| ApiError::internal("unknown channel stored"))?,
        state: row.state(now),
        expires_at: row.expires_at.map(|t| t.and_utc()),
        spent_at: row.spent_at.map(|t| t.and_utc()),
        revoked_at: row.revoked_at.map(|t| t.and_utc()),
        created_at: row.created_at.and_utc(),
    })
}

fn code_hash(code: &str) -> String {
    sha256_hex(&format!("shopgap-invitation:{}", code.trim()))
}

fn import(
    conn: &mut DbConn,
    org: &str,
    by: Option<&str>,
    input: InvitationImport,
    now: NaiveDateTime,
) -> ApiResult<InvitationImported> {
    let mut problems = Vec::new();
    let audience: Option<String> = versions::table
        .filter(versions::id.eq(input.instrument_version_id.to_string()))
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
        Some(a) if a != Audience::Customer.as_str() => problems.push(FieldError::new(
            "instrument_version_id",
            "must be a customer instrument",
        )),
        Some(_) => {}
    }
    let known: i64 = locations::table
        .filter(locations::id.eq(input.location_id.to_string()))
        .filter(locations::organization_id.eq(org))
        .count()
        .get_result(conn)?;
    if known == 0 {
        problems.push(FieldError::new("location_id", "no such location"));
    }
    if input.expires_at.is_some_and(|t| t.naive_utc() <= now) {
        problems.push(FieldError::new("expires_at", "must be in the future"));
    }
    let hashes: Vec<String> = input.codes.iter().map(|c| code_hash(c)).collect();
    let mut seen = HashSet::new();
    for (i, hash) in hashes.iter().enumerate() {
        if !seen.insert(hash) {
            problems.push(FieldError::new(format!("codes[{i}]"), "is listed twice"));
        }
    }
    let taken: HashSet<String> = hashes
        .chunks(500)
        .map(|chunk| {
            survey_invitations::table
                .filter(survey_invitations::code_hash.eq_any(chunk))
                .select(survey_invitations::code_hash)
                .load::<String>(conn)
        })
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
        .collect();
    for (i, hash) in hashes.iter().enumerate() {
        if taken.contains(hash) {
            problems.push(FieldError::new(
                format!("codes[{i}]"),
                "was imported before; codes are used once",
            ));
        }
    }
    crate::validation::reject_if_any(problems)?;
    let rows: Vec<Row> = hashes
        .into_iter()
        .map(|code_hash| Row {
            id: uuid::Uuid::now_v7().to_string(),
            organization_id: org.to_string(),
            instrument_version_id: input.instrument_version_id.to_string(),
            location_id: input.location_id.to_string(),
            channel: input.channel.as_str().to_string(),
            code_hash,
            expires_at: input.expires_at.map(|t| t.naive_utc()),
            revoked_at: None,
            spent_at: None,
            response_id: None,
            created_by: by.map(str::to_string),
            created_at: now,
        })
        .collect();
    for row in &rows {
        diesel::insert_into(survey_invitations::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(InvitationImported {
        imported: rows.len(),
        ids: rows
            .iter()
            .map(|r| r.id.parse().map_err(ApiError::internal))
            .collect::<ApiResult<_>>()?,
    })
}

fn find(conn: &mut DbConn, org: &str, id: &str) -> ApiResult<Row> {
    survey_invitations::table
        .filter(survey_invitations::id.eq(id))
        .filter(survey_invitations::organization_id.eq(org))
        .select(Row::as_select())
        .get_result(conn)
        .optional()?
        .ok_or_else(|| ApiError::NotFound("no such invitation".into()))
}

fn by_code(conn: &mut DbConn, code: &str) -> ApiResult<Option<Row>> {
    Ok(survey_invitations::table
        .filter(survey_invitations::code_hash.eq(code_hash(code)))
        .select(Row::as_select())
        .get_result(conn)
        .optional()?)
}

fn spent() -> ApiError {
    ApiError::Conflict {
        detail: "this invitation code was used already".into(),
        current_state: Some("spent".into()),
    }
}

/// Imports invitation codes (managers, admins): all of them or, when any is refused, none.
#[utoipa::path(
    tag = "surveys",
    security(("bearer" = [])),
    request_body = InvitationImport,
    responses((status = 201, description = "Imported", body = InvitationImported))
)]
#[post("/v1/survey-invitations")]
pub async fn import_invitations(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<InvitationImport>,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::SurveysWrite)?;
    let org = caller.organization_id.clone();
    let by = caller.user_id().map(str::to_string);
    let imported = state
        .db
        .transaction(move |conn| {
            import(
                conn,
                &org,
                by.as_deref(),
                body.into_inner(),
                Utc::now().naive_utc(),
            )
        })
        .await?;
    Ok(HttpResponse::Created().json(imported))
}

/// The organization's invitations, without their codes (managers, admins, keys with
/// `surveys:read`).
#[utoipa::path(
    tag = "surveys",
    security(("bearer" = []), ("api_key" = [])),
    params(PageQuery),
    responses((status = 200, description = "One page of invitations", body = InvitationList))
)]
#[get("/v1/survey-invitations")]
pub async fn list_invitations(
    state: web::Data<AppState>,
    caller: Caller,
    page: ApiQuery<PageQuery>,
) -> ApiResult<web::Json<InvitationList>> {
    caller.require(Permission::SurveysRead)?;
    let limit = page.limit()?;
    let after = page.after()?;
    let org = caller.organization_id.clone();
    let mut rows = state
        .db
        .run(move |conn| {
            let mut query = survey_invitations::table
                .filter(survey_invitations::organization_id.eq(&org))
                .select(Row::as_select())
                .order(survey_invitations::id.asc())
                .limit(limit + 1)
                .into_boxed();
            if let Some(after) = after {
                query = query.filter(survey_invitations::id.gt(after));
            }
            Ok(query.load(conn)?)
        })
        .await?;
    let next_cursor = next_cursor(&mut rows, limit, |r: &Row| r.id.as_str());
    let now = Utc::now().naive_utc();
    let items = rows
        .into_iter()
        .map(|r| to_dto(r, now))
        .collect::<ApiResult<_>>()?;
    Ok(web::Json(InvitationList { items, next_cursor }))
}

/// Revokes an unspent invitation (managers, admins); a spent one stays spent (409).
#[utoipa::path(
    tag = "surveys",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Invitation id")),
    responses(
        (status = 200, description = "The revoked invitation", body = Invitation),
        (status = 409, description = "The invitation was used already", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/survey-invitations/{id}/revoke")]
pub async fn revoke_invitation(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<web::Json<Invitation>> {
    caller.require(Permission::SurveysWrite)?;
    let id = parse_id(&id)?;
    let org = caller.organization_id.clone();
    let now = Utc::now().naive_utc();
    let row = state
        .db
        .transaction(move |conn| {
            let row = find(conn, &org, &id)?;
            if row.spent_at.is_some() {
                return Err(spent());
            }
            if row.revoked_at.is_none() {
                diesel::update(survey_invitations::table.find(&row.id))
                    .set(survey_invitations::revoked_at.eq(now))
                    .execute(conn)?;
            }
            find(conn, &org, &id)
        })
        .await?;
    Ok(web::Json(to_dto(row, now)?))
}

/// A survey's form for an invitation code (no credentials). A spent code is 409.
#[utoipa::path(
    tag = "public",
    params(("code" = String, Path, description = "The invitation code")),
    responses(
        (status = 200, description = "The form", body = SurveyForm),
        (status = 409, description = "The code was used already", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests from this address", body = Problem, content_type = "application/problem+json",
         headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
#[get("/public/v1/invitations/{code}")]
pub async fn invitation_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    code: web::Path<String>,
) -> ApiResult<web::Json<SurveyForm>> {
    state
        .public_limits
        .check(public::client_address(&req), None)?;
    let code = code.into_inner();
    let content = state
        .db
        .run(move |conn| {
            let row = by_code(conn, &code)?.ok_or_else(public::closed)?;
            match row.state(Utc::now().naive_utc()) {
                InvitationState::Open => {}
                InvitationState::Spent => return Err(spent()),
                _ => return Err(public::closed()),
            }
            Ok(super::store::instrument_and_book(conn, &row.instrument_version_id)?.0)
        })
        .await?;
    Ok(web::Json(public::form_of(content)))
}

/// Answers a survey with an invitation code (no credentials): the code is spent by this
/// response. The same answers again are 200 with the first receipt; a spent code is 409.
#[utoipa::path(
    tag = "public",
    params(("code" = String, Path, description = "The invitation code")),
    request_body = CustomerResponse,
    responses(
        (status = 201, description = "Recorded; the code is spent", body = ResponseReceipt),
        (status = 200, description = "Already recorded (a resend)", body = ResponseReceipt),
        (status = 409, description = "The code was used already", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests from this address", body = Problem, content_type = "application/problem+json",
         headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
#[post("/public/v1/invitations/{code}/responses")]
pub async fn answer_invitation(
    state: web::Data<AppState>,
    req: HttpRequest,
    code: web::Path<String>,
    body: ApiJson<CustomerResponse>,
) -> ApiResult<HttpResponse> {
    state
        .public_limits
        .check(public::client_address(&req), None)?;
    let code = code.into_inner();
    let input = body.into_inner();
    let response_id = input.response_id;
    let stored = state
        .db
        .transaction(move |conn| {
            let now = Utc::now().naive_utc();
            let row = by_code(conn, &code)?.ok_or_else(public::closed)?;
            match row.state(now) {
                InvitationState::Open => {}
                // The response that spent it, sent again: answer as a resend would be.
                InvitationState::Spent
                    if row.response_id.as_deref() == Some(&input.response_id.to_string()) => {}
                InvitationState::Spent => return Err(spent()),
                _ => return Err(public::closed()),
            }
            let target = Target {
                organization_id: row.organization_id.clone(),
                instrument_version_id: row.instrument_version_id.clone(),
                location_id: row.location_id.clone(),
                channel: row.channel.clone(),
                link_id: None,
                invitation_id: Some(row.id.clone()),
            };
            let stored = public::take_response(conn, &target, input, now)?;
            if matches!(stored, Stored::New { .. }) {
                let n = diesel::update(
                    survey_invitations::table
                        .filter(survey_invitations::id.eq(&row.id))
                        .filter(survey_invitations::spent_at.is_null()),
                )
                .set((
                    survey_invitations::spent_at.eq(now),
                    survey_invitations::response_id.eq(response_id.to_string()),
                ))
                .execute(conn)?;
                if n != 1 {
                    // Spent by another response at the same moment: this one is not kept.
                    return Err(spent());
                }
            }
            Ok(stored)
        })
        .await?;
    Ok(public::receipt(response_id, stored))
}

//! Survey links: one per published customer instrument version × location × channel, printed
//! as a QR code at the point of sale or on a receipt. Managers create, list and revoke them;
//! customers answer through `/public/v1/surveys/{token}` (see `public`).

use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use rand::Rng;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::dto::Audience;
use crate::auth::caller::Caller;
use crate::auth::rules::Permission;
use crate::db::schema::{locations, survey_instrument_versions as versions, survey_links};
use crate::db::DbConn;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::http::{next_cursor, parse_id, ApiJson, ApiQuery, PageQuery};
use crate::standards::dto::Channel;
use crate::state::AppState;

/// Where the public form of a link lives, below the server's address.
pub fn public_path(token: &str) -> String {
    format!("/public/v1/surveys/{token}")
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSurveyLink {
    /// A published customer instrument version of the organization.
    pub instrument_version_id: uuid::Uuid,
    pub location_id: uuid::Uuid,
    /// The channel the answers are about (a QR code at the counter: `in_person`).
    pub channel: Channel,
    /// When the link stops taking answers (default: never).
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SurveyLink {
    pub id: uuid::Uuid,
    pub instrument_version_id: uuid::Uuid,
    pub location_id: uuid::Uuid,
    pub channel: Channel,
    /// The public address's last part: not a secret (it is printed), it only lets someone
    /// answer this survey.
    pub token: String,
    /// The public form's path; its QR code is at `qr.svg` and `qr.png`.
    pub public_path: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SurveyLinkList {
    pub items: Vec<SurveyLink>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = survey_links)]
pub struct LinkRow {
    pub id: String,
    pub organization_id: String,
    pub instrument_version_id: String,
    pub location_id: String,
    pub channel: String,
    pub token: String,
    pub expires_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
    pub created_by: Option<String>,
    pub created_at: NaiveDateTime,
}

impl LinkRow {
    /// Whether the link takes answers at `now`.
    pub fn is_open(&self, now: NaiveDateTime) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|end| now < end)
    }
}

fn to_dto(row: LinkRow) -> ApiResult<SurveyLink> {
    Ok(SurveyLink {
        id: row.id.parse().map_err(ApiError::internal)?,
        instrument_version_id: row
            .instrument_version_id
            .parse()
            .map_err(ApiError::internal)?,
        location_id: row.location_id.parse().map_err(ApiError::internal)?,
        channel: Channel::parse(&row.channel)
            .ok_or_else(|| ApiError::internal("unknown channel stored"))?,
        public_path: public_path(&row.token),
        token: row.token,
        expires_at: row.expires_at.map(|t| t.and_utc()),
        revoked_at: row.revoked_at.map(|t| t.and_utc()),
        created_at: row.created_at.and_utc(),
    })
}

/// 22 random characters of `A-Z a-z 0-9` (about 131 bits): not guessable, short enough for a
/// small QR code.
fn new_token() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::thread_rng();
    (0..22)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

fn create(
    conn: &mut DbConn,
    org: &str,
    by: Option<&str>,
    input: NewSurveyLink,
    now: NaiveDateTime,
) -> ApiResult<LinkRow> {
    let mut problems = Vec::new();
    let version: Option<(String, String)> = versions::table
        .filter(versions::id.eq(input.instrument_version_id.to_string()))
        .filter(versions::organization_id.eq(org))
        .filter(versions::status.eq("published"))
        .select((versions::id, versions::audience))
        .get_result(conn)
        .optional()?;
    match version {
        None => problems.push(FieldError::new(
            "instrument_version_id",
            "must be a published survey-instrument version of this organization",
        )),
        Some((_, audience)) if audience != Audience::Customer.as_str() => problems.push(
            FieldError::new("instrument_version_id", "must be a customer instrument"),
        ),
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
    crate::validation::reject_if_any(problems)?;
    let row = LinkRow {
        id: uuid::Uuid::now_v7().to_string(),
        organization_id: org.to_string(),
        instrument_version_id: input.instrument_version_id.to_string(),
        location_id: input.location_id.to_string(),
        channel: input.channel.as_str().to_string(),
        token: new_token(),
        expires_at: input.expires_at.map(|t| t.naive_utc()),
        revoked_at: None,
        created_by: by.map(str::to_string),
        created_at: now,
    };
    diesel::insert_into(survey_links::table)
        .values(&row)
        .execute(conn)?;
    Ok(row)
}

pub fn find(conn: &mut DbConn, org: &str, id: &str) -> ApiResult<LinkRow> {
    survey_links::table
        .filter(survey_links::id.eq(id))
        .filter(survey_links::organization_id.eq(org))
        .select(LinkRow::as_select())
        .get_result(conn)
        .optional()?
        .ok_or_else(|| ApiError::NotFound("no such survey link".into()))
}

pub fn find_by_token(conn: &mut DbConn, token: &str) -> ApiResult<Option<LinkRow>> {
    Ok(survey_links::table
        .filter(survey_links::token.eq(token))
        .select(LinkRow::as_select())
        .get_result(conn)
        .optional()?)
}

/// Creates a survey link (managers, admins): a published customer instrument version, a
/// location and a channel. Print its QR code (`qr.svg`, `qr.png`) where customers see it.
#[utoipa::path(
    tag = "surveys",
    security(("bearer" = [])),
    request_body = NewSurveyLink,
    responses((status = 201, description = "The link", body = SurveyLink, headers(("Location" = String))))
)]
#[post("/v1/survey-links")]
pub async fn create_link(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<NewSurveyLink>,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::SurveysWrite)?;
    let org = caller.organization_id.clone();
    let by = caller.user_id().map(str::to_string);
    let row = state
        .db
        .transaction(move |conn| {
            create(
                conn,
                &org,
                by.as_deref(),
                body.into_inner(),
                Utc::now().naive_utc(),
            )
        })
        .await?;
    let link = to_dto(row)?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/v1/survey-links/{}", link.id)))
        .json(link))
}

/// The organization's survey links (managers, admins, keys with `surveys:read`).
#[utoipa::path(
    tag = "surveys",
    security(("bearer" = []), ("api_key" = [])),
    params(PageQuery),
    responses((status = 200, description = "One page of links", body = SurveyLinkList))
)]
#[get("/v1/survey-links")]
pub async fn list_links(
    state: web::Data<AppState>,
    caller: Caller,
    page: ApiQuery<PageQuery>,
) -> ApiResult<web::Json<SurveyLinkList>> {
    caller.require(Permission::SurveysRead)?;
    let limit = page.limit()?;
    let after = page.after()?;
    let org = caller.organization_id.clone();
    let mut rows = state
        .db
        .run(move |conn| {
            let mut query = survey_links::table
                .filter(survey_links::organization_id.eq(&org))
                .select(LinkRow::as_select())
                .order(survey_links::id.asc())
                .limit(limit + 1)
                .into_boxed();
            if let Some(after) = after {
                query = query.filter(survey_links::id.gt(after));
            }
            Ok(query.load(conn)?)
        })
        .await?;
    let next_cursor = next_cursor(&mut rows, limit, |r: &LinkRow| r.id.as_str());
    let items = rows.into_iter().map(to_dto).collect::<ApiResult<_>>()?;
    Ok(web::Json(SurveyLinkList { items, next_cursor }))
}

/// One survey link.
#[utoipa::path(
    tag = "surveys",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Survey link id")),
    responses((status = 200, description = "The link", body = SurveyLink))
)]
#[get("/v1/survey-links/{id}")]
pub async fn get_link(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<web::Json<SurveyLink>> {
    caller.require(Permission::SurveysRead)?;
    let id = parse_id(&id)?;
    let org = caller.organization_id.clone();
    let row = state.db.run(move |conn| find(conn, &org, &id)).await?;
    Ok(web::Json(to_dto(row)?))
}

/// Revokes a link (managers, admins): it stops taking answers at once; answers already given
/// still count. Revoking again changes nothing.
#[utoipa::path(
    tag = "surveys",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Survey link id")),
    responses((status = 200, description = "The revoked link", body = SurveyLink))
)]
#[post("/v1/survey-links/{id}/revoke")]
pub async fn revoke_link(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<web::Json<SurveyLink>> {
    caller.require(Permission::SurveysWrite)?;
    let id = parse_id(&id)?;
    let org = caller.organization_id.clone();
    let row = state
        .db
        .transaction(move |conn| {
            let row = find(conn, &org, &id)?;
            if row.revoked_at.is_none() {
                diesel::update(survey_links::table.find(&row.id))
                    .set(survey_links::revoked_at.eq(Utc::now().naive_utc()))
                    .execute(conn)?;
            }
            find(conn, &org, &id)
        })
        .await?;
    Ok(web::Json(to_dto(row)?))
}

/// The absolute address of a link's public form, as the caller reached this server (behind a
/// proxy, from its `Forwarded` or `X-Forwarded-*` headers).
fn public_url(req: &HttpRequest, token: &str) -> String {
    let info = req.connection_info();
    format!("{}://{}{}", info.scheme(), info.host(), public_path(token))
}

async fn link_url(
    state: &AppState,
    caller: &Caller,
    req: &HttpRequest,
    id: &str,
) -> ApiResult<String> {
    caller.require(Permission::SurveysRead)?;
    let id = parse_id(id)?;
    let org = caller.organization_id.clone();
    let row = state.db.run(move |conn| find(conn, &org, &id)).await?;
    Ok(public_url(req, &row.token))
}

/// The link's public address as a QR code, in SVG.
#[utoipa::path(
    tag = "surveys",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Survey link id")),
    responses((status = 200, description = "The QR code", content_type = "image/svg+xml", body = String))
)]
#[get("/v1/survey-links/{id}/qr.svg")]
pub async fn link_qr_svg(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let url = link_url(&state, &caller, &req, &id).await?;
    let svg = super::qr::svg(&url)?;
    Ok(HttpResponse::Ok().content_type("image/svg+xml").body(svg))
}

/// The link's public address as a QR code, in PNG.
#[utoipa::path(
    tag = "surveys",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Survey link id")),
    responses((status = 200, description = "The QR code", content_type = "image/png", body = Vec<u8>))
)]
#[get("/v1/survey-links/{id}/qr.png")]
pub async fn link_qr_png(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let url = link_url(&state, &caller, &req, &id).await?;
    let png = super::qr::png(&url)?;
    Ok(HttpResponse::Ok().content_type("image/png").body(png))
}

//! The public survey endpoints: no account, under their own prefix `/public/v1/`. They show a
//! survey's own texts and take answers, and say nothing else about the organization (no name,
//! no location, no ids beyond the link's token). Unknown, revoked and expired links all answer
//! the same 404.
//!
//! Rate limits (per process; several processes behind a balancer each allow as much): per
//! client address, `SHOPGAP_PUBLIC_RATE_PER_MINUTE` requests a minute (default 30); per link,
//! 20 times as many answers. Over a limit: 429 with `Retry-After`.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::Utc;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::dto::{Audience, ChannelQuestion, Localized, RatingScale, TextDirection};
use super::links;
use super::responses::{self, Answers, Rating};
use super::rules::text_directions;
use super::store::{self, Cell, NewResponse, Stored};
use crate::contract::types::LanguageTag;
use crate::error::{ApiError, ApiResult, Problem};
use crate::http::ApiJson;
use crate::locations::dto::Segment;
use crate::standards::dto::{Channel, Dimension};
use crate::state::AppState;

/// The limits of the public endpoints, shared by the workers of one process.
pub struct PublicLimits {
    per_address: DefaultKeyedRateLimiter<IpAddr>,
    per_link: DefaultKeyedRateLimiter<String>,
    checks: AtomicU64,
}

impl PublicLimits {
    pub fn new(per_address_per_minute: u32) -> Self {
        let per_minute =
            |n: u32| Quota::per_minute(NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN));
        PublicLimits {
            per_address: RateLimiter::keyed(per_minute(per_address_per_minute)),
            per_link: RateLimiter::keyed(per_minute(per_address_per_minute.saturating_mul(20))),
            checks: AtomicU64::new(0),
        }
    }

    fn retry_after<K: std::hash::Hash + Eq + Clone>(
        limiter: &DefaultKeyedRateLimiter<K>,
        key: &K,
    ) -> Result<(), ApiError> {
        limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            ApiError::TooManyRequests {
                retry_after_secs: wait.as_secs() + 1,
            }
        })
    }

    /// Counts a request from `address` (and, for an answer, to `link`); 429 past a limit.
    pub fn check(&self, address: IpAddr, link: Option<&str>) -> ApiResult<()> {
        // Forget idle keys now and then, so the maps do not grow without bound.
        if self.checks.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
            self.per_address.retain_recent();
            self.per_link.retain_recent();
        }
        Self::retry_after(&self.per_address, &address)?;
        if let Some(link) = link {
            Self::retry_after(&self.per_link, &link.to_string())?;
        }
        Ok(())
    }
}

/// The client's address as the socket sees it (a proxy's own address behind a proxy, which
/// then shares one budget: put the limit in the proxy too).
pub fn client_address(req: &HttpRequest) -> IpAddr {
    req.peer_addr()
        .map(|a| a.ip())
        .unwrap_or(IpAddr::from([0, 0, 0, 0]))
}

/// One statement of the form, in every language of the survey.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FormItem {
    pub key: String,
    #[schema(schema_with = super::dto::localized)]
    pub expectation_prompt: Localized,
    #[schema(schema_with = super::dto::optional_localized)]
    pub perception_prompt: Option<Localized>,
}

/// What a customer's app shows: the survey's own texts and scale, nothing else.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SurveyForm {
    #[schema(value_type = Vec<LanguageTag>)]
    pub languages: Vec<String>,
    pub text_directions: BTreeMap<String, TextDirection>,
    pub scale: RatingScale,
    #[schema(schema_with = super::dto::localized)]
    pub title: Localized,
    #[schema(schema_with = super::dto::optional_localized)]
    pub introduction: Option<Localized>,
    pub items: Vec<FormItem>,
    #[schema(schema_with = super::dto::optional_localized)]
    pub importance_prompt: Option<Localized>,
    pub channel_question: Option<ChannelQuestion>,
}

/// A customer's answers.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerResponse {
    /// Made by the app once per response: sending it again (after a lost answer) is harmless.
    pub response_id: uuid::Uuid,
    /// The language the survey was answered in (one of the survey's).
    #[schema(value_type = LanguageTag)]
    pub language: String,
    /// Business or consumer customer (default: the location's segment).
    #[serde(default)]
    pub segment: Option<Segment>,
    /// At most 200.
    #[schema(max_items = 200)]
    pub ratings: Vec<Rating>,
    #[serde(default)]
    #[schema(schema_with = responses::importance_schema)]
    pub importance: Option<BTreeMap<Dimension, i32>>,
    #[serde(default)]
    pub preferred_channel: Option<Channel>,
}

/// What the app keeps as proof the answers arrived.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ResponseReceipt {
    pub response_id: uuid::Uuid,
    /// Doubtful patterns noticed (the answers still count), e.g. `straight_lined`.
    pub flags: Vec<String>,
}

pub fn closed() -> ApiError {
    ApiError::NotFound("this survey is closed or does not exist".into())
}

/// A survey's form, for a link's token (no credentials).
#[utoipa::path(
    tag = "public",
    params(("token" = String, Path, description = "The survey link's token")),
    responses(
        (status = 200, description = "The form", body = SurveyForm),
        (status = 429, description = "Too many requests from this address", body = Problem, content_type = "application/problem+json",
         headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
#[get("/public/v1/surveys/{token}")]
pub async fn survey_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> ApiResult<web::Json<SurveyForm>> {
    state.public_limits.check(client_address(&req), None)?;
    let token = token.into_inner();
    let content = state
        .db
        .run(move |conn| {
            let link = links::find_by_token(conn, &token)?
                .filter(|l| l.is_open(Utc::now().naive_utc()))
                .ok_or_else(closed)?;
            Ok(store::instrument_and_book(conn, &link.instrument_version_id)?.0)
        })
        .await?;
    Ok(web::Json(form_of(content)))
}

/// Where a customer's answers go: the survey, location and channel of a link or invitation.
pub struct Target {
    pub organization_id: String,
    pub instrument_version_id: String,
    pub location_id: String,
    pub channel: String,
    pub link_id: Option<String>,
    pub invitation_id: Option<String>,
}

/// Checks a customer's answers against the target's survey and stores them (idempotent by
/// response id), inside the caller's transaction.
pub fn take_response(
    conn: &mut crate::db::DbConn,
    target: &Target,
    input: CustomerResponse,
    now: chrono::NaiveDateTime,
) -> ApiResult<Stored> {
    let (content, book) = store::instrument_and_book(conn, &target.instrument_version_id)?;
    let answers = Answers {
        ratings: input.ratings,
        importance: input.importance,
        preferred_channel: input.preferred_channel,
    };
    crate::validation::reject_if_any(responses::check(
        Audience::Customer,
        &content,
        Some(&input.language),
        &answers,
    ))?;
    let location =
        crate::locations::repo::find(conn, &target.organization_id, &target.location_id)?;
    let day = crate::reports::rollups::local_day(now, &location.time_zone);
    let segment = match input.segment {
        Some(s) => s.as_str().to_string(),
        None => location.segment.clone(),
    };
    let response = NewResponse {
        id: input.response_id.to_string(),
        cell: Cell {
            organization_id: target.organization_id.clone(),
            audience: Audience::Customer,
            location_id: target.location_id.clone(),
            region: location.region.clone(),
            segment,
            channel: target.channel.clone(),
            period_start: day,
            period_end: day,
        },
        instrument_version_id: target.instrument_version_id.clone(),
        link_id: target.link_id.clone(),
        invitation_id: target.invitation_id.clone(),
        respondent_id: None,
        language: input.language,
        answers,
    };
    store::record(conn, &content, &book, response, now)
}

/// 201 with the receipt for new answers, 200 for a resend.
pub fn receipt(response_id: uuid::Uuid, stored: Stored) -> HttpResponse {
    match stored {
        Stored::New { flags } => {
            HttpResponse::Created().json(ResponseReceipt { response_id, flags })
        }
        Stored::Replayed { flags } => {
            HttpResponse::Ok().json(ResponseReceipt { response_id, flags })
        }
    }
}

/// The form of a survey version: its own texts, nothing about the organization.
pub fn form_of(content: super::dto::InstrumentContent) -> SurveyForm {
    SurveyForm {
        text_directions: text_directions(&content.languages),
        languages: content.languages,
        scale: content.scale,
        title: content.title,
        introduction: content.introduction,
        items: content
            .items
            .into_iter()
            .map(|i| FormItem {
                key: i.key,
                expectation_prompt: i.expectation_prompt,
                perception_prompt: i.perception_prompt,
            })
            .collect(),
        importance_prompt: content.importance_prompt,
        channel_question: content.channel_question,
    }
}

/// Answers a survey through its link (no credentials). Idempotent by `response_id`: the same
/// answers again are 200 with the first receipt; other answers under the same id are 409.
#[utoipa::path(
    tag = "public",
    params(("token" = String, Path, description = "The survey link's token")),
    request_body = CustomerResponse,
    responses(
        (status = 201, description = "Recorded", body = ResponseReceipt),
        (status = 200, description = "Already recorded (a resend)", body = ResponseReceipt),
        (status = 409, description = "Other answers were recorded under this response id", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests from this address or to this link", body = Problem, content_type = "application/problem+json",
         headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
#[post("/public/v1/surveys/{token}/responses")]
pub async fn answer_survey(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
    body: ApiJson<CustomerResponse>,
) -> ApiResult<HttpResponse> {
    let token = token.into_inner();
    state
        .public_limits
        .check(client_address(&req), Some(&token))?;
    let input = body.into_inner();
    let response_id = input.response_id;
    let stored = state
        .db
        .transaction(move |conn| {
            let now = Utc::now().naive_utc();
            let link = links::find_by_token(conn, &token)?
                .filter(|l| l.is_open(now))
                .ok_or_else(closed)?;
            let target = Target {
                organization_id: link.organization_id,
                instrument_version_id: link.instrument_version_id,
                location_id: link.location_id,
                channel: link.channel,
                link_id: Some(link.id),
                invitation_id: None,
            };
            take_response(conn, &target, input, now)
        })
        .await?;
    Ok(receipt(response_id, stored))
}

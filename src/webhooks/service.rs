//! Webhook endpoints and their delivery log, as stored.

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;

use super::dto::{
    DeliveryAttempt, DeliveryState, QueuedDelivery, WebhookEndpoint, WebhookEndpointInput,
};
use super::rules::{check_url, UrlPolicy};
use super::secrets;
use crate::db::schema::{events, webhook_attempts, webhook_deliveries, webhook_endpoints};
use crate::db::DbConn;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::events::dto::{EventType, TestEventData};
use crate::events::outbox;
use crate::versioning::check_revision;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = webhook_endpoints, treat_none_as_null = true)]
pub struct EndpointRow {
    pub id: String,
    pub organization_id: String,
    pub url: String,
    pub description: String,
    pub event_types: String,
    pub active: bool,
    pub secret_sealed: String,
    pub previous_secret_sealed: Option<String>,
    pub previous_secret_until: Option<NaiveDateTime>,
    pub failing_since: Option<NaiveDateTime>,
    pub disabled_reason: Option<String>,
    pub version: i32,
    pub created_by: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl EndpointRow {
    pub fn event_types(&self) -> Vec<EventType> {
        serde_json::from_str(&self.event_types).unwrap_or_default()
    }

    /// Whether the endpoint takes events of this type.
    pub fn wants(&self, event_type: &str) -> bool {
        let types = self.event_types();
        types.is_empty() || types.iter().any(|t| t.as_str() == event_type)
    }

    /// The secrets that sign a delivery now: the current one, and the previous one while its
    /// overlap lasts.
    pub fn signing_secrets(&self, key: &[u8; 32], now: NaiveDateTime) -> ApiResult<Vec<String>> {
        let mut out = vec![secrets::open(key, &self.id, &self.secret_sealed)?];
        if let (Some(sealed), Some(until)) =
            (&self.previous_secret_sealed, self.previous_secret_until)
        {
            if now < until {
                out.push(secrets::open(key, &self.id, sealed)?);
            }
        }
        Ok(out)
    }
}

pub fn to_dto(row: &EndpointRow, now: NaiveDateTime) -> ApiResult<WebhookEndpoint> {
    Ok(WebhookEndpoint {
        id: row.id.parse().map_err(ApiError::internal)?,
        url: row.url.clone(),
        description: row.description.clone(),
        event_types: row.event_types(),
        active: row.active,
        disabled_reason: row.disabled_reason.clone(),
        failing_since: row.failing_since.map(|t| t.and_utc()),
        previous_secret_expires_at: row
            .previous_secret_until
            .filter(|until| *until > now)
            .map(|t| t.and_utc()),
        revision: row.version,
        created_at: row.created_at.and_utc(),
        updated_at: row.updated_at.and_utc(),
    })
}

fn checked(input: &WebhookEndpointInput, policy: UrlPolicy) -> ApiResult<(String, String)> {
    let mut problems = Vec::new();
    let url = match check_url(&input.url, policy) {
        Ok(url) => url.to_string(),
        Err(why) => {
            problems.push(FieldError::new("url", why));
            String::new()
        }
    };
    if input.description.chars().count() > 500 {
        problems.push(FieldError::new("description", "at most 500 characters"));
    }
    if input.event_types.contains(&EventType::WebhookTest) {
        problems.push(FieldError::new(
            "event_types",
            "webhook.test is sent on request only; leave it out",
        ));
    }
    crate::validation::reject_if_any(problems)?;
    let mut types = input.event_types.clone();
    types.sort();
    types.dedup();
    Ok((
        url,
        serde_json::to_string(&types).map_err(ApiError::internal)?,
    ))
}

/// Creates an endpoint; returns it with its new secret (in clear, this once).
pub fn create(
    conn: &mut DbConn,
    key: &[u8; 32],
    policy: UrlPolicy,
    org: &str,
    by: Option<&str>,
    input: WebhookEndpointInput,
    now: NaiveDateTime,
) -> ApiResult<(EndpointRow, String)> {
    let (url, event_types) = checked(&input, policy)?;
    let id = uuid::Uuid::now_v7().to_string();
    let secret = secrets::generate();
    let row = EndpointRow {
        secret_sealed: secrets::seal(key, &id, &secret)?,
        id,
        organization_id: org.to_string(),
        url,
        description: input.description.trim().to_string(),
        event_types,
        active: input.active.unwrap_or(true),
        previous_secret_sealed: None,
        previous_secret_until: None,
        failing_since: None,
        disabled_reason: None,
        version: 1,
        created_by: by.map(str::to_string),
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(webhook_endpoints::table)
        .values(&row)
        .execute(conn)?;
    Ok((row, secret))
}

pub fn find(conn: &mut DbConn, org: &str, id: &str) -> ApiResult<EndpointRow> {
    webhook_endpoints::table
        .filter(webhook_endpoints::id.eq(id))
        .filter(webhook_endpoints::organization_id.eq(org))
        .select(EndpointRow::as_select())
        .get_result(conn)
        .optional()?
        .ok_or_else(|| ApiError::NotFound("no such webhook endpoint".into()))
}

pub fn list(
    conn: &mut DbConn,
    org: &str,
    after: Option<String>,
    limit: i64,
) -> ApiResult<Vec<EndpointRow>> {
    let mut query = webhook_endpoints::table
        .filter(webhook_endpoints::organization_id.eq(org))
        .select(EndpointRow::as_select())
        .order(webhook_endpoints::id.asc())
        .limit(limit + 1)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(webhook_endpoints::id.gt(after));
    }
    Ok(query.load(conn)?)
}

fn save(conn: &mut DbConn, current: &EndpointRow, next: &EndpointRow) -> ApiResult<()> {
    let n = diesel::update(
        webhook_endpoints::table
            .filter(webhook_endpoints::id.eq(&current.id))
            .filter(webhook_endpoints::version.eq(current.version)),
    )
    .set(next)
    .execute(conn)?;
    if n != 1 {
        return Err(ApiError::PreconditionFailed(
            "the webhook endpoint changed while saving".into(),
        ));
    }
    Ok(())
}

/// Replaces an endpoint's settings. Turning a disabled endpoint on again clears its failure
/// record; deliveries that gave up stay failed until redelivered.
#[allow(clippy::too_many_arguments)]
pub fn replace(
    conn: &mut DbConn,
    policy: UrlPolicy,
    org: &str,
    id: &str,
    input: WebhookEndpointInput,
    expected: Option<i32>,
    now: NaiveDateTime,
) -> ApiResult<EndpointRow> {
    let current = find(conn, org, id)?;
    check_revision(expected, current.version)?;
    let (url, event_types) = checked(&input, policy)?;
    let active = input.active.unwrap_or(true);
    let reenabled = active && !current.active;
    let next = EndpointRow {
        url,
        description: input.description.trim().to_string(),
        event_types,
        active,
        failing_since: if reenabled {
            None
        } else {
            current.failing_since
        },
        disabled_reason: if active {
            None
        } else {
            current.disabled_reason.clone()
        },
        version: current.version + 1,
        updated_at: now,
        ..current.clone()
    };
    save(conn, &current, &next)?;
    Ok(next)
}

/// Deletes an endpoint with its deliveries and their log.
pub fn delete(conn: &mut DbConn, org: &str, id: &str) -> ApiResult<()> {
    let current = find(conn, org, id)?;
    diesel::delete(webhook_attempts::table.filter(webhook_attempts::endpoint_id.eq(&current.id)))
        .execute(conn)?;
    diesel::delete(
        webhook_deliveries::table.filter(webhook_deliveries::endpoint_id.eq(&current.id)),
    )
    .execute(conn)?;
    diesel::delete(webhook_endpoints::table.filter(webhook_endpoints::id.eq(&current.id)))
        .execute(conn)?;
    Ok(())
}

/// A new secret; the current one keeps signing beside it for `overlap` (so receivers can
/// switch without losing a delivery). Returns the endpoint and the new secret.
pub fn rotate(
    conn: &mut DbConn,
    key: &[u8; 32],
    org: &str,
    id: &str,
    overlap: TimeDelta,
    now: NaiveDateTime,
) -> ApiResult<(EndpointRow, String)> {
    let current = find(conn, org, id)?;
    let secret = secrets::generate();
    let next = EndpointRow {
        secret_sealed: secrets::seal(key, &current.id, &secret)?,
        previous_secret_sealed: (overlap > TimeDelta::zero())
            .then(|| current.secret_sealed.clone()),
        previous_secret_until: (overlap > TimeDelta::zero()).then(|| now + overlap),
        version: current.version + 1,
        updated_at: now,
        ..current.clone()
    };
    save(conn, &current, &next)?;
    Ok((next, secret))
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = webhook_deliveries)]
pub struct NewDelivery {
    pub id: String,
    pub organization_id: String,
    pub endpoint_id: String,
    pub event_id: String,
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub lease_until: Option<NaiveDateTime>,
    pub last_status: Option<i32>,
    pub created_at: NaiveDateTime,
    pub delivered_at: Option<NaiveDateTime>,
}

impl NewDelivery {
    pub fn due_now(org: &str, endpoint_id: &str, event_id: &str, now: NaiveDateTime) -> Self {
        NewDelivery {
            id: uuid::Uuid::now_v7().to_string(),
            organization_id: org.to_string(),
            endpoint_id: endpoint_id.to_string(),
            event_id: event_id.to_string(),
            state: DeliveryState::Pending.as_str().to_string(),
            attempts: 0,
            next_attempt_at: now,
            lease_until: None,
            last_status: None,
            created_at: now,
            delivered_at: None,
        }
    }
}

/// Queues a `webhook.test` event for this endpoint alone (it is in no feed and goes to no
/// other endpoint).
pub fn queue_test(
    conn: &mut DbConn,
    org: &str,
    id: &str,
    now: NaiveDateTime,
) -> ApiResult<QueuedDelivery> {
    let endpoint = find(conn, org, id)?;
    let event_id = outbox::record(
        conn,
        org,
        EventType::WebhookTest,
        &TestEventData {
            endpoint_id: endpoint.id.parse().map_err(ApiError::internal)?,
            message: "A test event from shopgap: this endpoint receives and verifies deliveries."
                .into(),
        },
        now,
    )?;
    let delivery = NewDelivery::due_now(org, &endpoint.id, &event_id, now);
    diesel::insert_into(webhook_deliveries::table)
        .values(&delivery)
        .execute(conn)?;
    Ok(QueuedDelivery {
        delivery_id: delivery.id.parse().map_err(ApiError::internal)?,
        event_id: event_id.parse().map_err(ApiError::internal)?,
    })
}

/// Delivers an event of the organization to this endpoint again (or for the first time, for
/// an event from before the endpoint existed), with the event's own id, as a fresh series of
/// attempts.
pub fn redeliver(
    conn: &mut DbConn,
    org: &str,
    id: &str,
    event_id: &str,
    now: NaiveDateTime,
) -> ApiResult<QueuedDelivery> {
    let endpoint = find(conn, org, id)?;
    let event = outbox::find(conn, org, event_id)?
        .ok_or_else(|| ApiError::unprocessable("event_id", "no such event"))?;
    let existing: Option<String> = webhook_deliveries::table
        .filter(webhook_deliveries::endpoint_id.eq(&endpoint.id))
        .filter(webhook_deliveries::event_id.eq(&event.id))
        .select(webhook_deliveries::id)
        .get_result(conn)
        .optional()?;
    let delivery_id = match existing {
        Some(delivery) => {
            diesel::update(webhook_deliveries::table.filter(webhook_deliveries::id.eq(&delivery)))
                .set((
                    webhook_deliveries::state.eq(DeliveryState::Pending.as_str()),
                    webhook_deliveries::attempts.eq(0),
                    webhook_deliveries::next_attempt_at.eq(now),
                    webhook_deliveries::lease_until.eq(None::<NaiveDateTime>),
                ))
                .execute(conn)?;
            delivery
        }
        None => {
            let delivery = NewDelivery::due_now(org, &endpoint.id, &event.id, now);
            diesel::insert_into(webhook_deliveries::table)
                .values(&delivery)
                .execute(conn)?;
            delivery.id
        }
    };
    Ok(QueuedDelivery {
        delivery_id: delivery_id.parse().map_err(ApiError::internal)?,
        event_id: event.id.parse().map_err(ApiError::internal)?,
    })
}

/// The delivery log of an endpoint, newest attempt first.
pub fn attempts(
    conn: &mut DbConn,
    org: &str,
    id: &str,
    event_id: Option<String>,
    before: Option<String>,
    limit: i64,
) -> ApiResult<Vec<(String, DeliveryAttempt)>> {
    let endpoint = find(conn, org, id)?;
    let mut query = webhook_attempts::table
        .inner_join(webhook_deliveries::table)
        .inner_join(events::table.on(events::id.eq(webhook_deliveries::event_id)))
        .filter(webhook_attempts::endpoint_id.eq(&endpoint.id))
        .select((
            webhook_attempts::id,
            webhook_attempts::delivery_id,
            webhook_deliveries::event_id,
            events::event_type,
            webhook_attempts::attempt,
            webhook_attempts::started_at,
            webhook_attempts::status_code,
            webhook_attempts::latency_ms,
            webhook_attempts::error,
            webhook_attempts::response_excerpt,
            webhook_deliveries::state,
        ))
        .order(webhook_attempts::id.desc())
        .limit(limit + 1)
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(webhook_attempts::id.lt(before));
    }
    if let Some(event_id) = event_id {
        query = query.filter(webhook_deliveries::event_id.eq(event_id));
    }
    #[allow(clippy::type_complexity)]
    let rows: Vec<(
        String,
        String,
        String,
        String,
        i32,
        NaiveDateTime,
        Option<i32>,
        i32,
        Option<String>,
        Option<String>,
        String,
    )> = query.load(conn)?;
    let uuid = |s: &str| s.parse::<uuid::Uuid>().map_err(ApiError::internal);
    rows.into_iter()
        .map(|r| {
            Ok((
                r.0.clone(),
                DeliveryAttempt {
                    id: uuid(&r.0)?,
                    delivery_id: uuid(&r.1)?,
                    event_id: uuid(&r.2)?,
                    event_type: EventType::parse(&r.3)
                        .ok_or_else(|| ApiError::internal("unknown event type stored"))?,
                    attempt: r.4,
                    started_at: r.5.and_utc(),
                    status_code: r.6,
                    latency_ms: r.7,
                    error: r.8,
                    response_excerpt: r.9,
                    delivery_state: DeliveryState::parse(&r.10)
                        .ok_or_else(|| ApiError::internal("unknown delivery state stored"))?,
                },
            ))
        })
        .collect()
}

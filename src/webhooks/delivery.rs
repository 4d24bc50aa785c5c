//! Delivery workers, inside the server process and off the request path.
//!
//! Each tick a worker (1) fans new events out to the endpoints that want them, moving a shared
//! cursor in the same transaction as the deliveries it creates, (2) claims due deliveries by
//! setting a lease with a conditional update (only one process wins a row, on SQLite and on
//! PostgreSQL alike), (3) sends them, and (4) records each attempt and what follows: delivered,
//! a later retry, or given up. A process killed mid-delivery leaves a lease that runs out; the
//! delivery is then sent again with the same `webhook-id`: at least once, as the Standard
//! Webhooks specification allows.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{NaiveDateTime, TimeDelta, Utc};
use diesel::prelude::*;
use prometheus::{IntCounterVec, IntGauge};

use super::dto::DeliveryState;
use super::rules::{self, excerpt, forbidden_address, retry_delay, should_disable, UrlPolicy};
use super::service::{EndpointRow, NewDelivery};
use crate::db::schema::{outbox_cursors, webhook_attempts, webhook_deliveries, webhook_endpoints};
use crate::db::DbConn;
use crate::error::{ApiError, ApiResult};
use crate::events::outbox::{self, Position, StoredEvent};
use crate::per_backend;
use crate::state::AppState;

/// How long a claimed delivery is a worker's own: well above the request timeout.
pub const LEASE: TimeDelta = TimeDelta::seconds(30);
/// Connecting to a receiver, and the whole request, may take this long.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// The most of a receiver's answer that is read.
pub const MAX_RESPONSE_BYTES: usize = 4096;
/// Events fanned out, and deliveries claimed, per round; deliveries in flight at once per
/// process (each its own task, so a slow receiver holds one slot, not the others).
const DISPATCH_BATCH: i64 = 500;
const CLAIM_BATCH: i64 = 32;
const IN_FLIGHT: usize = 64;
/// Fewer free slots than this: wait `SLOT_WAIT` for more before claiming.
const MIN_CLAIM: usize = 8;
const SLOT_WAIT: Duration = Duration::from_millis(10);
const TICK: Duration = Duration::from_millis(200);
/// A round that drained the queue waits this long before the next, so work gathers
/// into fewer, larger rounds: each round takes the database's write lock (on SQLite the only
/// one) to fan out and to claim, and small rounds at full speed took it hundreds of times a
/// second from the requests that write the events. Delivery waits at most this much longer.
const GATHER: Duration = Duration::from_millis(50);
const CURSOR: &str = "webhooks";

/// What the worker needs besides the database.
#[derive(Clone)]
pub struct WorkerMetrics {
    pub queue_depth: IntGauge,
    pub attempts: IntCounterVec,
}

/// Fans events after the shared cursor out to the active endpoints that want them, in one
/// transaction with the cursor's move (the cursor row is locked first, so two processes never
/// fan out the same events). Endpoints get events from their creation on. Returns how many
/// events were read.
pub fn dispatch(conn: &mut DbConn, limit: i64) -> ApiResult<usize> {
    // An update that changes nothing still takes the row's lock (PostgreSQL); SQLite writes
    // one transaction at a time anyway.
    diesel::update(outbox_cursors::table.find(CURSOR))
        .set(outbox_cursors::name.eq(CURSOR))
        .execute(conn)?;
    let (tx_order, seq): (i64, i64) = outbox_cursors::table
        .find(CURSOR)
        .select((outbox_cursors::tx_order, outbox_cursors::seq))
        .get_result(conn)?;
    let events = outbox::read(conn, None, Position { tx_order, seq }, None, limit)?;
    let Some(last) = events.last().map(StoredEvent::position) else {
        return Ok(0);
    };
    let mut orgs: Vec<&str> = events.iter().map(|e| e.organization_id.as_str()).collect();
    orgs.sort_unstable();
    orgs.dedup();
    let endpoints: Vec<EndpointRow> = webhook_endpoints::table
        .filter(webhook_endpoints::organization_id.eq_any(&orgs))
        .filter(webhook_endpoints::active.eq(true))
        .select(EndpointRow::as_select())
        .load(conn)?;
    let mut deliveries = Vec::new();
    for event in &events {
        for endpoint in endpoints.iter().filter(|e| {
            e.organization_id == event.organization_id
                && e.created_at <= event.occurred_at
                && e.wants(&event.event_type)
        }) {
            deliveries.push(NewDelivery::due_now(
                &event.organization_id,
                &endpoint.id,
                &event.id,
                event.occurred_at,
            ));
        }
    }
    // One by one: a redelivery may have queued one of them already.
    for delivery in &deliveries {
        let insert = diesel::insert_into(webhook_deliveries::table)
            .values(delivery)
            .on_conflict_do_nothing();
        per_backend!(conn, |c| insert.execute(c))?;
    }
    diesel::update(outbox_cursors::table.find(CURSOR))
        .set((
            outbox_cursors::tx_order.eq(last.tx_order),
            outbox_cursors::seq.eq(last.seq),
        ))
        .execute(conn)?;
    Ok(events.len())
}

/// Whether events wait to be fanned out: a read, so an idle worker writes nothing.
pub fn has_new_events(conn: &mut DbConn) -> ApiResult<bool> {
    let (tx_order, seq): (i64, i64) = outbox_cursors::table
        .find(CURSOR)
        .select((outbox_cursors::tx_order, outbox_cursors::seq))
        .get_result(conn)?;
    Ok(!outbox::read(conn, None, Position { tx_order, seq }, None, 1)?.is_empty())
}

/// A delivery this worker holds the lease of.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub delivery_id: String,
    /// This attempt's number (1 = the first).
    pub attempt: i32,
    pub event: StoredEvent,
    pub endpoint: EndpointRow,
}

/// Due, unleased deliveries of active endpoints, the longest waiting first.
fn claim_candidates(
    conn: &mut DbConn,
    now: NaiveDateTime,
    limit: i64,
) -> ApiResult<Vec<(String, i32, String, EndpointRow)>> {
    Ok(webhook_deliveries::table
        .inner_join(webhook_endpoints::table)
        .filter(webhook_deliveries::state.eq(DeliveryState::Pending.as_str()))
        .filter(webhook_deliveries::next_attempt_at.le(now))
        .filter(
            webhook_deliveries::lease_until
                .is_null()
                .or(webhook_deliveries::lease_until.lt(now)),
        )
        .filter(webhook_endpoints::active.eq(true))
        .order(webhook_deliveries::next_attempt_at.asc())
        .limit(limit)
        .select((
            webhook_deliveries::id,
            webhook_deliveries::attempts,
            webhook_deliveries::event_id,
            EndpointRow::as_select(),
        ))
        .load(conn)?)
}

/// Claims up to `limit` due deliveries of active endpoints: one statement takes them all (a
/// row another process took meanwhile is left out by the lease condition), one reads their
/// events.
pub fn claim(conn: &mut DbConn, now: NaiveDateTime, limit: i64) -> ApiResult<Vec<Claimed>> {
    let due = claim_candidates(conn, now, limit)?;
    if due.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<&str> = due.iter().map(|d| d.0.as_str()).collect();
    let update = diesel::update(
        webhook_deliveries::table
            .filter(webhook_deliveries::id.eq_any(&ids))
            .filter(webhook_deliveries::state.eq(DeliveryState::Pending.as_str()))
            .filter(
                webhook_deliveries::lease_until
                    .is_null()
                    .or(webhook_deliveries::lease_until.lt(now)),
            ),
    )
    .set((
        webhook_deliveries::lease_until.eq(Some(now + LEASE)),
        webhook_deliveries::attempts.eq(webhook_deliveries::attempts + 1),
    ))
    .returning((webhook_deliveries::id, webhook_deliveries::attempts));
    let won: HashMap<String, i32> = per_backend!(conn, |c| update.get_results(c))?
        .into_iter()
        .collect();
    let event_ids: Vec<&str> = due
        .iter()
        .filter(|d| won.contains_key(&d.0))
        .map(|d| d.2.as_str())
        .collect();
    let events: HashMap<String, StoredEvent> = crate::db::schema::events::table
        .filter(crate::db::schema::events::id.eq_any(&event_ids))
        .select(StoredEvent::as_select())
        .load::<StoredEvent>(conn)?
        .into_iter()
        .map(|e| (e.id.clone(), e))
        .collect();
    Ok(due
        .into_iter()
        .filter_map(|(id, _, event_id, endpoint)| {
            let attempt = *won.get(&id)?;
            let event = events.get(&event_id)?.clone();
            Some(Claimed {
                delivery_id: id,
                attempt,
                event,
                endpoint,
            })
        })
        .collect())
}

/// What one attempt brought.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub started_at: NaiveDateTime,
    pub status_code: Option<u16>,
    pub latency_ms: i32,
    pub error: Option<String>,
    pub response_excerpt: Option<String>,
}

impl Outcome {
    pub fn succeeded(&self) -> bool {
        self.status_code.is_some_and(|s| (200..300).contains(&s))
    }
}

#[derive(Insertable)]
#[diesel(table_name = webhook_attempts)]
struct NewAttempt {
    id: String,
    delivery_id: String,
    endpoint_id: String,
    organization_id: String,
    attempt: i32,
    started_at: NaiveDateTime,
    status_code: Option<i32>,
    latency_ms: i32,
    error: Option<String>,
    response_excerpt: Option<String>,
}

/// Records finished attempts and what follows from each, releasing their leases, in a few
/// statements for the whole batch: the log rows in one insert, the deliveries that succeeded
/// in one update per status; failures (the rare case) one by one.
pub fn record(
    conn: &mut DbConn,
    finished: &[(Claimed, Outcome)],
    scale: f64,
    now: NaiveDateTime,
) -> ApiResult<()> {
    let rows: Vec<NewAttempt> = finished
        .iter()
        .map(|(claimed, outcome)| NewAttempt {
            id: uuid::Uuid::now_v7().to_string(),
            delivery_id: claimed.delivery_id.clone(),
            endpoint_id: claimed.endpoint.id.clone(),
            organization_id: claimed.endpoint.organization_id.clone(),
            attempt: claimed.attempt,
            started_at: outcome.started_at,
            status_code: outcome.status_code.map(i32::from),
            latency_ms: outcome.latency_ms,
            error: outcome.error.clone(),
            response_excerpt: outcome.response_excerpt.clone(),
        })
        .collect();
    for chunk in rows.chunks(200) {
        let insert = diesel::insert_into(webhook_attempts::table).values(chunk);
        per_backend!(conn, |c| insert.execute(c))?;
    }
    let mut delivered: HashMap<i32, Vec<&str>> = HashMap::new();
    let mut healthy: Vec<&str> = Vec::new();
    for (claimed, outcome) in finished {
        match outcome.status_code.filter(|_| outcome.succeeded()) {
            Some(status) => {
                delivered
                    .entry(i32::from(status))
                    .or_default()
                    .push(&claimed.delivery_id);
                healthy.push(&claimed.endpoint.id);
            }
            None => after_failure(conn, claimed, outcome, scale, now)?,
        }
    }
    for (status, ids) in delivered {
        diesel::update(webhook_deliveries::table.filter(webhook_deliveries::id.eq_any(ids)))
            .set((
                webhook_deliveries::state.eq(DeliveryState::Delivered.as_str()),
                webhook_deliveries::delivered_at.eq(Some(now)),
                webhook_deliveries::lease_until.eq(None::<NaiveDateTime>),
                webhook_deliveries::last_status.eq(Some(status)),
            ))
            .execute(conn)?;
    }
    if !healthy.is_empty() {
        healthy.sort_unstable();
        healthy.dedup();
        // Only an endpoint that was failing changes (most batches write nothing here).
        diesel::update(
            webhook_endpoints::table
                .filter(webhook_endpoints::id.eq_any(healthy))
                .filter(webhook_endpoints::failing_since.is_not_null()),
        )
        .set(webhook_endpoints::failing_since.eq(None::<NaiveDateTime>))
        .execute(conn)?;
    }
    Ok(())
}

/// A failed attempt: the next one scheduled (or the delivery given up), the endpoint's failure
/// record kept, and the endpoint disabled when it has failed for long enough.
fn after_failure(
    conn: &mut DbConn,
    claimed: &Claimed,
    outcome: &Outcome,
    scale: f64,
    now: NaiveDateTime,
) -> ApiResult<()> {
    let delivery =
        webhook_deliveries::table.filter(webhook_deliveries::id.eq(&claimed.delivery_id));
    let status = outcome.status_code.map(i32::from);
    let endpoint = webhook_endpoints::table.filter(webhook_endpoints::id.eq(&claimed.endpoint.id));
    match retry_delay(claimed.attempt, scale) {
        Some(wait) => diesel::update(delivery)
            .set((
                webhook_deliveries::next_attempt_at.eq(now + wait),
                webhook_deliveries::lease_until.eq(None::<NaiveDateTime>),
                webhook_deliveries::last_status.eq(status),
            ))
            .execute(conn)?,
        None => diesel::update(delivery)
            .set((
                webhook_deliveries::state.eq(DeliveryState::Failed.as_str()),
                webhook_deliveries::lease_until.eq(None::<NaiveDateTime>),
                webhook_deliveries::last_status.eq(status),
            ))
            .execute(conn)?,
    };
    let failing_since: Option<NaiveDateTime> = webhook_endpoints::table
        .find(&claimed.endpoint.id)
        .select(webhook_endpoints::failing_since)
        .get_result(conn)?;
    let since = failing_since.unwrap_or(outcome.started_at);
    let failures: i64 = webhook_attempts::table
        .filter(webhook_attempts::endpoint_id.eq(&claimed.endpoint.id))
        .filter(webhook_attempts::started_at.ge(since))
        .count()
        .get_result(conn)?;
    let failures = i32::try_from(failures).unwrap_or(i32::MAX);
    if should_disable(Some(since), failures, now, scale) {
        diesel::update(endpoint)
            .set((
                webhook_endpoints::failing_since.eq(Some(since)),
                webhook_endpoints::active.eq(false),
                webhook_endpoints::disabled_reason.eq(Some(format!(
                    "every delivery failed since {} ({failures} attempts); make it active again once the receiver works",
                    since.and_utc().to_rfc3339()
                ))),
            ))
            .execute(conn)?;
    } else if failing_since.is_none() {
        diesel::update(endpoint)
            .set(webhook_endpoints::failing_since.eq(Some(since)))
            .execute(conn)?;
    }
    Ok(())
}

/// Resolves names like the system does, then drops every address the policy forbids, so a
/// name cannot lead a delivery to this machine or a private network (also when its DNS answer
/// changes between the check and the call).
struct GuardedResolver;

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| forbidden_address(a.ip()).is_none())
                .collect();
            if addrs.is_empty() {
                return Err(format!("{host} resolves to no public address").into());
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The HTTP client of deliveries: no redirects, no proxies, short timeouts, and (unless the
/// policy allows private addresses) only public addresses.
pub fn client(policy: UrlPolicy) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .user_agent(concat!("shopgap-webhooks/", env!("CARGO_PKG_VERSION")));
    if !policy.allow_private {
        builder = builder.dns_resolver(Arc::new(GuardedResolver));
    }
    builder.build().expect("a plain HTTP client builds")
}

/// Sends one attempt: the event as the body, signed for every secret that signs now.
pub async fn send(
    client: &reqwest::Client,
    policy: UrlPolicy,
    key: &[u8; 32],
    claimed: &Claimed,
) -> Outcome {
    let started = Instant::now();
    let started_at = Utc::now();
    let fail = |error: String| Outcome {
        started_at: started_at.naive_utc(),
        status_code: None,
        latency_ms: i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX),
        error: Some(error),
        response_excerpt: None,
    };
    // The URL is checked again: the policy may have tightened since the endpoint was saved.
    let url = match rules::check_url(&claimed.endpoint.url, policy) {
        Ok(url) => url,
        Err(why) => return fail(format!("the URL is not allowed: {why}")),
    };
    let body = match claimed
        .event
        .to_dto()
        .and_then(|e| serde_json::to_vec(&e).map_err(ApiError::internal))
    {
        Ok(body) => body,
        Err(e) => return fail(format!("the event could not be prepared: {e}")),
    };
    let secrets = match claimed
        .endpoint
        .signing_secrets(key, started_at.naive_utc())
    {
        Ok(secrets) => secrets,
        Err(e) => return fail(e.to_string()),
    };
    let timestamp = started_at.timestamp();
    let signature = match rules::signature_header(&claimed.event.id, timestamp, &body, &secrets) {
        Ok(s) => s,
        Err(e) => return fail(format!("signing failed: {e}")),
    };
    let request = client
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", &claimed.event.id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(body);
    let mut response = match request.send().await {
        Ok(r) => r,
        Err(e) => return fail(describe(&e)),
    };
    let status = response.status().as_u16();
    let mut read = Vec::new();
    while read.len() < MAX_RESPONSE_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => read.extend_from_slice(&chunk),
            _ => break,
        }
    }
    read.truncate(MAX_RESPONSE_BYTES);
    Outcome {
        started_at: started_at.naive_utc(),
        status_code: Some(status),
        latency_ms: i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX),
        error: None,
        response_excerpt: Some(excerpt(&read)),
    }
}

fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    let mut text = format!("{kind}: {e}");
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    text.chars().take(rules::EXCERPT_CHARS).collect()
}

/// A finished attempt on its way to the log, holding its delivery slot until recorded.
pub struct Finished {
    claimed: Claimed,
    outcome: Outcome,
    _slot: tokio::sync::OwnedSemaphorePermit,
}

/// Records finished attempts in batches: one transaction for all that finished meanwhile, so a
/// busy worker takes the database's write lock once per batch, not twice per delivery.
async fn record_batches(
    state: AppState,
    metrics: Option<WorkerMetrics>,
    mut finished: tokio::sync::mpsc::Receiver<Finished>,
) {
    let scale = state.config.webhooks.time_scale;
    while let Some(first) = finished.recv().await {
        let mut batch = vec![first];
        while batch.len() < IN_FLIGHT {
            match finished.try_recv() {
                Ok(more) => batch.push(more),
                Err(_) => break,
            }
        }
        if let Some(m) = &metrics {
            for f in &batch {
                let outcome = if f.outcome.succeeded() {
                    "delivered"
                } else {
                    "failed"
                };
                m.attempts.with_label_values(&[outcome]).inc();
            }
        }
        let attempts: Vec<(Claimed, Outcome)> = batch
            .iter()
            .map(|f| (f.claimed.clone(), f.outcome.clone()))
            .collect();
        let result = state
            .db
            .transaction(move |conn| record(conn, &attempts, scale, Utc::now().naive_utc()))
            .await;
        if let Err(e) = result {
            // The leases run out and the deliveries are tried again.
            tracing::warn!(error = %e, "recording webhook attempts failed");
        }
        drop(batch);
    }
}

/// What a round found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Round {
    /// Nothing was due.
    Idle,
    /// Fewer deliveries were due than there was room for: the queue is drained for now.
    Drained,
    /// As many as there was room for: more are likely waiting.
    Full,
}

/// One round: fan out, claim what fits in the free slots, and start each delivery as its own
/// task (a slow receiver holds one slot, not the round).
pub async fn run_once(
    state: &AppState,
    client: &reqwest::Client,
    slots: &Arc<tokio::sync::Semaphore>,
    finished: &tokio::sync::mpsc::Sender<Finished>,
) -> ApiResult<Round> {
    if state.db.run(has_new_events).await? {
        state
            .db
            .transaction(|conn| dispatch(conn, DISPATCH_BATCH))
            .await?;
    }
    if slots.available_permits() < MIN_CLAIM {
        // (Nearly) every slot is busy: wait for one to come free, then a moment for others, so
        // a round claims several deliveries rather than one each time a slot frees.
        drop(slots.acquire().await.map_err(ApiError::internal)?);
        tokio::time::sleep(SLOT_WAIT).await;
    }
    let free = slots.available_permits().clamp(1, CLAIM_BATCH as usize);
    let now = Utc::now().naive_utc();
    // Looked for with a read first: an idle worker takes no write lock.
    if state
        .db
        .run(move |conn| Ok(claim_candidates(conn, now, 1)?.is_empty()))
        .await?
    {
        return Ok(Round::Idle);
    }
    let claimed = state
        .db
        .transaction(move |conn| claim(conn, now, free as i64))
        .await?;
    let n = claimed.len();
    let policy = state.config.webhooks.policy();
    for one in claimed {
        let slot = slots
            .clone()
            .acquire_owned()
            .await
            .map_err(ApiError::internal)?;
        let (client, key, finished) = (client.clone(), state.config.secret_key, finished.clone());
        actix_web::rt::spawn(async move {
            let outcome = send(&client, policy, &key, &one).await;
            let _ = finished
                .send(Finished {
                    claimed: one,
                    outcome,
                    _slot: slot,
                })
                .await;
        });
    }
    Ok(match n {
        0 => Round::Idle,
        n if n >= free => Round::Full,
        _ => Round::Drained,
    })
}

/// Deliveries waiting to be sent (due or not).
pub fn queue_depth(conn: &mut DbConn) -> ApiResult<i64> {
    Ok(webhook_deliveries::table
        .filter(webhook_deliveries::state.eq(DeliveryState::Pending.as_str()))
        .count()
        .get_result(conn)?)
}

/// Runs deliveries for as long as the server's runtime lives.
pub fn spawn_worker(state: AppState, metrics: Option<WorkerMetrics>) {
    actix_web::rt::spawn(async move {
        let client = client(state.config.webhooks.policy());
        let slots = Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT));
        let (finished, to_record) = tokio::sync::mpsc::channel(IN_FLIGHT);
        actix_web::rt::spawn(record_batches(state.clone(), metrics.clone(), to_record));
        let mut last_depth = Instant::now() - Duration::from_secs(60);
        loop {
            if let Some(m) = &metrics {
                if last_depth.elapsed() > Duration::from_secs(5) {
                    last_depth = Instant::now();
                    if let Ok(depth) = state.db.run(queue_depth).await {
                        m.queue_depth.set(depth);
                    }
                }
            }
            let pause = match run_once(&state, &client, &slots, &finished).await {
                Ok(Round::Full) => continue,
                Ok(Round::Drained) => GATHER,
                Ok(Round::Idle) => TICK,
                Err(e) => {
                    tracing::warn!(error = %e, "webhook delivery round failed");
                    TICK
                }
            };
            tokio::time::sleep(pause).await;
        }
    });
}

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::events::dto::EventType;

/// A new webhook endpoint.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookEndpointInput {
    /// Where events are POSTed: https (http only when the server allows it for development),
    /// no credentials in it; an address on a private network is refused unless the server
    /// allows it.
    #[schema(max_length = 2000)]
    pub url: String,
    #[serde(default)]
    #[schema(max_length = 500)]
    pub description: String,
    /// The event types to receive; empty: every type.
    #[serde(default)]
    #[schema(max_items = 50)]
    pub event_types: Vec<EventType>,
    /// Default true.
    #[serde(default)]
    pub active: Option<bool>,
}

/// A webhook endpoint. Its secret is shown only when it is created or rotated.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WebhookEndpoint {
    pub id: uuid::Uuid,
    pub url: String,
    pub description: String,
    /// Empty: every type.
    pub event_types: Vec<EventType>,
    pub active: bool,
    /// Why the endpoint was turned off by the server (continuous failure); cleared when it is
    /// made active again.
    pub disabled_reason: Option<String>,
    /// Since when every attempt has failed.
    pub failing_since: Option<DateTime<Utc>>,
    /// Until when the previous secret also signs, after a rotation.
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
    /// The ETag for `If-Match`.
    pub revision: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An endpoint with its signing secret, shown this once.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WebhookEndpointWithSecret {
    pub endpoint: WebhookEndpoint,
    /// `whsec_…`: verify each delivery's `webhook-signature` with it (any Standard Webhooks
    /// library does). It cannot be read again.
    pub secret: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WebhookEndpointList {
    pub items: Vec<WebhookEndpoint>,
    pub next_cursor: Option<String>,
}

/// A rotation: how long the old secret keeps signing beside the new one.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateSecretInput {
    /// Hours both secrets sign (0 to 168, default 24): time to deploy the new one.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 168)]
    pub overlap_hours: Option<i64>,
}

/// Which event to deliver again.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedeliverInput {
    pub event_id: uuid::Uuid,
}

/// A delivery queued (again): it goes out within moments, with the event's own id.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct QueuedDelivery {
    pub delivery_id: uuid::Uuid,
    pub event_id: uuid::Uuid,
}

/// The state of one event's delivery to one endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Waiting for its next attempt.
    Pending,
    Delivered,
    /// Every attempt failed; redeliver to try again.
    Failed,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Delivered, Self::Failed]
            .into_iter()
            .find(|d| d.as_str() == s)
    }
}

/// One attempt, as the delivery log shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeliveryAttempt {
    pub id: uuid::Uuid,
    pub delivery_id: uuid::Uuid,
    pub event_id: uuid::Uuid,
    pub event_type: EventType,
    /// 1 for the first attempt of this delivery.
    pub attempt: i32,
    pub started_at: DateTime<Utc>,
    /// The receiver's HTTP status; absent when no answer came (see `error`).
    pub status_code: Option<i32>,
    pub latency_ms: i32,
    pub error: Option<String>,
    /// The start of the receiver's answer (at most 1,024 characters).
    pub response_excerpt: Option<String>,
    /// The delivery's state now.
    pub delivery_state: DeliveryState,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeliveryAttemptList {
    pub items: Vec<DeliveryAttempt>,
    pub next_cursor: Option<String>,
}

/// Filters of the delivery log, newest first, with its page.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AttemptQuery {
    /// Items per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// Opaque cursor from a previous page's `next_cursor` (empty: the first page).
    pub cursor: Option<String>,
    /// Only the attempts of this event.
    pub event_id: Option<uuid::Uuid>,
}

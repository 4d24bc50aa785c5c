use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::rules::Status;
use crate::contract::types::CurrencyCode;
use crate::locations::dto::Segment;
use crate::standards::dto::Channel;

/// Where and when the shopper checked in.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CheckIn {
    #[serde(serialize_with = "crate::json_time::serialize")]
    pub at: DateTime<Utc>,
    pub latitude: f64,
    pub longitude: f64,
    pub accuracy_m: Option<f64>,
    /// The phone's clock at check-in.
    #[serde(serialize_with = "crate::json_time::option::serialize")]
    pub device_time: Option<DateTime<Utc>>,
    /// Distance from the location, in metres.
    pub distance_m: f64,
    /// Farther than the location's geofence radius: kept, and flagged for the reviewer.
    pub outside_geofence: bool,
}

/// One mystery shop.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Assignment {
    pub id: uuid::Uuid,
    pub location_id: uuid::Uuid,
    pub location_code: String,
    pub location_name: String,
    pub checklist_version_id: uuid::Uuid,
    pub channel: Channel,
    pub segment: Segment,
    /// What to ask and which persona to play.
    pub scenario: String,
    #[serde(serialize_with = "crate::json_time::serialize")]
    pub window_start: DateTime<Utc>,
    #[serde(serialize_with = "crate::json_time::serialize")]
    pub window_end: DateTime<Utc>,
    /// The shopper's fee in the currency's minor unit (cents).
    pub fee_cents: i64,
    #[schema(value_type = CurrencyCode)]
    pub currency: String,
    /// The most the shop's reimbursements may total, in the currency's minor unit.
    pub reimbursement_cap_minor: i64,
    /// A certification (quiz) the job requires beyond any its checklist requires.
    pub required_quiz_id: Option<uuid::Uuid>,
    /// The other half of a double shop: two shoppers on the same location, checklist and day,
    /// whose answers are compared for rater agreement.
    pub partner_assignment_id: Option<uuid::Uuid>,
    pub shopper_id: Option<uuid::Uuid>,
    pub status: Status,
    pub wave_id: Option<uuid::Uuid>,
    pub version: i32,
    pub check_in: Option<CheckIn>,
    #[serde(serialize_with = "crate::json_time::serialize")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::json_time::serialize")]
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAssignment {
    pub location_id: uuid::Uuid,
    /// A published checklist version whose channel the location serves.
    pub checklist_version_id: uuid::Uuid,
    /// Default: the location's segment.
    pub segment: Option<Segment>,
    /// What to ask and which persona to play (at most 5,000 characters).
    #[serde(default)]
    #[schema(max_length = 5000)]
    pub scenario: String,
    pub window_start: DateTime<Utc>,
    /// After `window_start`, and in the future.
    pub window_end: DateTime<Utc>,
    /// The shopper's fee in the currency's minor unit (cents), 0 or more.
    #[serde(default)]
    #[schema(minimum = 0)]
    pub fee_cents: i64,
    /// ISO 4217 code (default `EUR`).
    #[schema(value_type = Option<CurrencyCode>)]
    pub currency: Option<String>,
    /// The most its reimbursements may total, in the currency's minor unit (default: the
    /// organization's `reimbursement_cap_minor`).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 100000000)]
    pub reimbursement_cap_minor: Option<i64>,
    /// A published certification quiz the shopper must have passed to take the job.
    #[serde(default)]
    pub required_quiz_id: Option<uuid::Uuid>,
    /// Offer it to this shopper at once; without one it goes on the job board.
    pub shopper_id: Option<uuid::Uuid>,
    /// Plan it as the second half of a double shop with this assignment (same location and
    /// checklist version, overlapping window, not yet paired): the two are done by two
    /// shoppers on the same day and their answers compared.
    #[serde(default)]
    pub pair_with: Option<uuid::Uuid>,
}

/// Many shops at once: a checklist × locations × N shops each, in one transaction.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWave {
    pub checklist_version_id: uuid::Uuid,
    /// The locations (at least one, each once); locations × shops at most 10,000.
    #[schema(schema_with = location_set)]
    pub location_ids: Vec<uuid::Uuid>,
    /// Shops per location (1 to 100).
    #[schema(minimum = 1, maximum = 100)]
    pub shops_per_location: u32,
    #[serde(default)]
    #[schema(max_length = 5000)]
    pub scenario: String,
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
    #[serde(default)]
    #[schema(minimum = 0)]
    pub fee_cents: i64,
    #[schema(value_type = Option<CurrencyCode>)]
    pub currency: Option<String>,
    #[serde(default)]
    #[schema(minimum = 0, maximum = 100000000)]
    pub reimbursement_cap_minor: Option<i64>,
    #[serde(default)]
    pub required_quiz_id: Option<uuid::Uuid>,
    /// Plan every shop as a double shop: two assignments, for two shoppers on the same day,
    /// each naming the other (the wave then creates twice as many).
    #[serde(default)]
    pub double_shops: bool,
}

/// Location ids: at least one, each once.
fn location_set() -> utoipa::openapi::schema::ArrayBuilder {
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(
            utoipa::openapi::schema::ObjectBuilder::new()
                .schema_type(utoipa::openapi::schema::Type::String)
                .format(Some(utoipa::openapi::schema::SchemaFormat::KnownFormat(
                    utoipa::openapi::schema::KnownFormat::Uuid,
                ))),
        )
        .min_items(Some(1))
        .unique_items(true)
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Wave {
    pub id: uuid::Uuid,
    /// How many assignments the wave created.
    pub created: usize,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AssignmentList {
    pub items: Vec<Assignment>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AssignmentFilter {
    pub status: Option<Status>,
    pub location_id: Option<uuid::Uuid>,
    pub region: Option<String>,
    pub shopper_id: Option<uuid::Uuid>,
    pub wave_id: Option<uuid::Uuid>,
    /// Windows ending at or after this time.
    pub window_from: Option<DateTime<Utc>>,
    /// Windows starting at or before this time.
    pub window_to: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShopperChoice {
    pub shopper_id: uuid::Uuid,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reopen {
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckInRequest {
    #[schema(minimum = -90.0, maximum = 90.0)]
    pub latitude: f64,
    #[schema(minimum = -180.0, maximum = 180.0)]
    pub longitude: f64,
    /// The position's accuracy in metres, 0 or more.
    #[schema(minimum = 0.0)]
    pub accuracy_m: Option<f64>,
    pub device_time: Option<DateTime<Utc>>,
}

/// What happened to an assignment: `create`, then the actions of its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HistoryAction {
    Create,
    Offer,
    Accept,
    Decline,
    Reassign,
    Cancel,
    Expire,
    Reopen,
    Submit,
    Approve,
    Return,
    Reject,
}

/// One status change.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HistoryEntry {
    #[schema(value_type = HistoryAction)]
    pub action: String,
    pub from_status: Option<Status>,
    pub to_status: Status,
    /// Who did it (none for the system, e.g. expiry).
    pub actor_id: Option<uuid::Uuid>,
    /// The shopper concerned, where there is one.
    pub shopper_id: Option<uuid::Uuid>,
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct History {
    pub items: Vec<HistoryEntry>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BoardQuery {
    /// The shopper's position: nearest jobs first when given (with `longitude`; one without
    /// the other is 422).
    #[param(minimum = -90, maximum = 90)]
    pub latitude: Option<f64>,
    #[param(minimum = -180, maximum = 180)]
    pub longitude: Option<f64>,
    /// At most this many jobs (1 to 200, default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

/// An open job the shopper may take.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Job {
    pub assignment: Assignment,
    pub region: String,
    pub address: String,
    pub latitude: f64,
    pub longitude: f64,
    /// From the shopper's position, when given.
    pub distance_m: Option<f64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct JobBoard {
    pub items: Vec<Job>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SyncQuery {
    /// The `cursor` of the previous sync; absent for a first, full sync.
    pub since: Option<String>,
}

/// What the app needs offline, changed since its last sync.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Sync {
    /// The shopper's assignments that changed (may repeat a few from the previous sync).
    pub assignments: Vec<Assignment>,
    /// Every assignment the shopper holds now: drop cached ones not listed (taken back,
    /// cancelled or expired).
    pub held_assignment_ids: Vec<uuid::Uuid>,
    /// The checklist versions of the changed assignments (immutable: cache them by id).
    pub checklist_versions: Vec<crate::checklists::dto::ChecklistVersion>,
    /// Pass as `since` next time.
    pub cursor: String,
    /// More changes wait: sync again at once with the new cursor.
    pub more: bool,
    pub server_time: DateTime<Utc>,
}

/// What the candidates for an offer are ranked by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CandidateSort {
    /// The reputation's one figure (see `Reputation.score`).
    #[default]
    Score,
    OnTimeRate,
    MeanGrade,
    ShopsDone,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CandidateQuery {
    /// Default `score`.
    pub sort: Option<CandidateSort>,
    /// 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
}

/// A shopper the fair-play rules allow for the assignment, with their reputation.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Candidate {
    pub shopper_id: uuid::Uuid,
    pub display_name: String,
    pub reputation: crate::shoppers::reputation::Reputation,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CandidateList {
    /// Best first.
    pub items: Vec<Candidate>,
}

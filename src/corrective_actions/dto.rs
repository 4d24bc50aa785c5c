use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub use super::rules::{Delivered, Kind, Status};
use crate::contract::types::{Code, CurrencyCode, LongText, Name, Note};

/// A corrective action to open on a location × standard gap.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenAction {
    pub location_id: uuid::Uuid,
    /// The code of a standard in one of the organization's published standards books.
    #[schema(value_type = Code)]
    pub standard: String,
    pub kind: Kind,
    /// Who carries it out: an active manager or admin of the organization.
    pub owner_id: uuid::Uuid,
    pub due_date: NaiveDate,
    /// What will be done.
    #[schema(value_type = LongText)]
    pub plan: String,
    /// Verifying re-shops planned when it is marked done. Default 1.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 10)]
    pub reshop_count: Option<i32>,
    /// Days before opening (ending on the opening day) over which the baseline is measured.
    /// Default 90.
    #[serde(default)]
    #[schema(minimum = 7, maximum = 365)]
    pub baseline_days: Option<i32>,
}

/// The editable part of an action (while its owner still has work to do).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionChanges {
    pub kind: Kind,
    pub owner_id: uuid::Uuid,
    pub due_date: NaiveDate,
    #[schema(value_type = LongText)]
    pub plan: String,
    #[schema(minimum = 1, maximum = 10)]
    pub reshop_count: i32,
}

/// Marking the work done plans the verifying re-shops: ordinary assignments at the location,
/// indistinguishable from any other shop for the shopper.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkDone {
    /// A published checklist version (of a channel the location serves) with an item on the
    /// standard. Default: the most recently published such version.
    #[serde(default)]
    pub checklist_version_id: Option<uuid::Uuid>,
    /// Offer the re-shops to this shopper (eligibility applies); default: on the job board.
    #[serde(default)]
    pub shopper_id: Option<uuid::Uuid>,
    /// Days each re-shop's window stays open, from now. Default 14.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 90)]
    pub window_days: Option<i32>,
    /// Default: the scenario, fee and currency of the location's latest assignment on that
    /// checklist, so the re-shop looks like any other shop.
    #[serde(default)]
    #[schema(value_type = Option<LongText>)]
    pub scenario: Option<String>,
    #[serde(default)]
    #[schema(minimum = 0, maximum = 100_000_000)]
    pub fee_cents: Option<i64>,
    #[serde(default)]
    #[schema(value_type = Option<CurrencyCode>)]
    pub currency: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<Note>)]
    pub note: Option<String>,
}

/// Why, for a move that takes a reason.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveNote {
    #[serde(default)]
    #[schema(value_type = Option<Note>)]
    pub note: Option<String>,
}

/// The baseline, frozen when the action was opened.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Baseline {
    pub from: NaiveDate,
    pub to: NaiveDate,
    #[serde(flatten)]
    pub delivered: Delivered,
    /// The standard's target when the action was opened.
    pub target: f64,
}

/// After minus before: has the action worked?
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Effect {
    /// Approved visits from the day it was marked done, over as many days as the baseline.
    pub after_from: NaiveDate,
    pub after_to: NaiveDate,
    pub after: Delivered,
    /// Delivered after minus before (absent until both have visits).
    pub difference: Option<f64>,
    /// 95 % Newcombe hybrid-score interval of the difference.
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    /// The interval lies wholly above 0.
    pub improved: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReshopState {
    /// Waiting to be shopped and approved.
    Planned,
    /// Approved: counts toward the verdict.
    Approved,
    /// Rejected, expired or cancelled: another re-shop took its place.
    Replaced,
    /// Called off with the action.
    Cancelled,
}

impl ReshopState {
    pub fn as_str(self) -> &'static str {
        match self {
            ReshopState::Planned => "planned",
            ReshopState::Approved => "approved",
            ReshopState::Replaced => "replaced",
            ReshopState::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Planned,
            Self::Approved,
            Self::Replaced,
            Self::Cancelled,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
}

/// A verifying re-shop: an assignment linked to the action (the link is shown to staff only).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Reshop {
    pub assignment_id: uuid::Uuid,
    /// Which time the action was marked done (1 = the first).
    pub round: i32,
    pub state: ReshopState,
    /// Compliance on the standard, once approved (absent when the visit did not observe it).
    pub compliance: Option<f64>,
}

/// A corrective action on a location × standard.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CorrectiveAction {
    pub id: uuid::Uuid,
    pub location_id: uuid::Uuid,
    #[schema(value_type = Code)]
    pub location_code: String,
    #[schema(value_type = Code)]
    pub standard: String,
    pub kind: Kind,
    pub status: Status,
    /// Past its due date with the owner's work not done (derived, never stored).
    pub overdue: bool,
    pub owner_id: uuid::Uuid,
    pub due_date: NaiveDate,
    #[schema(value_type = LongText)]
    pub plan: String,
    pub reshop_count: i32,
    pub baseline: Baseline,
    /// When it was last marked done.
    pub done_at: Option<DateTime<Utc>>,
    /// How many times it was marked done.
    pub round: i32,
    pub reshops: Vec<Reshop>,
    /// Mean compliance on the standard over the last decided round's re-shops.
    pub verified_compliance: Option<f64>,
    pub decided_at: Option<DateTime<Utc>>,
    /// Once marked done: delivered since, against the baseline.
    pub effect: Option<Effect>,
    /// Changes with every change; the `ETag` carries it.
    pub revision: i32,
    pub created_by: Option<uuid::Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CorrectiveActionList {
    pub items: Vec<CorrectiveAction>,
    pub next_cursor: Option<String>,
}

/// (It shares the query string with `PageQuery`, so it cannot refuse the fields it does not
/// hold, like the other listings' filters.)
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActionFilter {
    /// Statuses (comma-separated).
    #[param(value_type = Option<Vec<Status>>, style = Form, explode = false, min_items = 1, max_items = 6)]
    pub status: Option<String>,
    pub location_id: Option<uuid::Uuid>,
    #[param(value_type = Option<Code>)]
    pub standard: Option<String>,
    pub owner_id: Option<uuid::Uuid>,
    pub kind: Option<Kind>,
    /// Only actions past their due date with work left (`true`), or only the others.
    pub overdue: Option<bool>,
}

/// One change in an action's life.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActionHistoryEntry {
    /// `opened`, `edited`, `started`, `done`, `verified`, `not_verified`, `reopened`,
    /// `cancelled`, `training_recorded`, `reshop_replaced`.
    pub change: String,
    pub from_status: Option<Status>,
    pub to_status: Status,
    /// Who (absent when the system decided, e.g. on a re-shop's approval).
    pub actor_id: Option<uuid::Uuid>,
    pub note: Option<String>,
    pub at: DateTime<Utc>,
}

/// A training session to record on an action.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrainingInput {
    pub held_on: NaiveDate,
    /// Standard codes covered, from the organization's published books. Default: the action's.
    #[serde(default)]
    #[schema(value_type = Option<Vec<Code>>, max_items = 50)]
    pub standards: Option<Vec<String>>,
    /// Names of the published books' protocols taught (greeting and guiding a visitor,
    /// transferring an anxious caller, …).
    #[serde(default)]
    #[schema(value_type = Vec<Name>, max_items = 50)]
    pub protocols: Vec<String>,
    #[schema(minimum = 0, maximum = 100_000)]
    pub attendees: i32,
    #[serde(default)]
    #[schema(value_type = Option<Note>)]
    pub notes: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrainingSession {
    pub id: uuid::Uuid,
    pub action_id: uuid::Uuid,
    pub held_on: NaiveDate,
    #[schema(value_type = Vec<Code>)]
    pub standards: Vec<String>,
    #[schema(value_type = Vec<Name>)]
    pub protocols: Vec<String>,
    pub attendees: i32,
    pub notes: String,
    pub recorded_by: Option<uuid::Uuid>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SuggestionQuery {
    /// The trailing window in days, ending today. Default 90.
    #[param(minimum = 7, maximum = 365)]
    pub days: Option<i32>,
}

/// A location × standard gap that is significant and reliable with no open action.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Suggestion {
    pub location_id: uuid::Uuid,
    #[schema(value_type = Code)]
    pub location_code: String,
    #[schema(value_type = Code)]
    pub standard: String,
    pub standard_text: Option<String>,
    pub n: i64,
    pub delivered: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    pub target: f64,
    /// Target minus delivered.
    pub gap: f64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SuggestionList {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The largest shortfall first.
    pub items: Vec<Suggestion>,
}

/// What worked, by kind of action.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KindEffect {
    pub kind: Kind,
    /// Actions of the kind marked done at least once.
    pub actions: i64,
    /// Of those, how many have visits before and after.
    pub measured: i64,
    pub improved: i64,
    /// Mean of their differences (absent when none is measured).
    pub mean_difference: Option<f64>,
}

/// Every action marked done at least once, with its effect, and the summary by kind.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EffectsReport {
    pub by_kind: Vec<KindEffect>,
    pub actions: Vec<CorrectiveAction>,
}

/// An open corrective action, as a location's scorecard lists it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActionSummary {
    pub id: uuid::Uuid,
    #[schema(value_type = Code)]
    pub standard: String,
    pub status: Status,
    pub due_date: NaiveDate,
    /// Past its due date with the owner's work not done.
    pub overdue: bool,
}

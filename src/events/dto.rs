//! Event types and their payloads. A payload is a subset of what the API returns for the
//! object, never more: shoppers appear by id only, as assignments show them to managers.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::assignments::rules::Status as AssignmentStatus;
use crate::standards::dto::Channel;
use crate::submissions::dto::SubmissionStatus;
use crate::surveys::dto::Audience;

/// What happened. `webhook.test` is only ever sent to the one endpoint that asked for it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
pub enum EventType {
    #[serde(rename = "assignment.created")]
    AssignmentCreated,
    #[serde(rename = "assignment.offered")]
    AssignmentOffered,
    #[serde(rename = "assignment.reassigned")]
    AssignmentReassigned,
    #[serde(rename = "assignment.accepted")]
    AssignmentAccepted,
    #[serde(rename = "assignment.declined")]
    AssignmentDeclined,
    #[serde(rename = "assignment.cancelled")]
    AssignmentCancelled,
    #[serde(rename = "assignment.expired")]
    AssignmentExpired,
    #[serde(rename = "assignment.reopened")]
    AssignmentReopened,
    #[serde(rename = "assignment.submitted")]
    AssignmentSubmitted,
    #[serde(rename = "assignment.approved")]
    AssignmentApproved,
    #[serde(rename = "assignment.returned")]
    AssignmentReturned,
    #[serde(rename = "assignment.rejected")]
    AssignmentRejected,
    #[serde(rename = "submission.submitted")]
    SubmissionSubmitted,
    #[serde(rename = "submission.approved")]
    SubmissionApproved,
    #[serde(rename = "submission.returned")]
    SubmissionReturned,
    #[serde(rename = "submission.rejected")]
    SubmissionRejected,
    #[serde(rename = "submission.edited")]
    SubmissionEdited,
    #[serde(rename = "survey_response.received")]
    SurveyResponseReceived,
    #[serde(rename = "gap.significant")]
    GapSignificant,
    #[serde(rename = "corrective_action.opened")]
    CorrectiveActionOpened,
    #[serde(rename = "corrective_action.changed")]
    CorrectiveActionChanged,
    #[serde(rename = "corrective_action.verified")]
    CorrectiveActionVerified,
    #[serde(rename = "corrective_action.not_verified")]
    CorrectiveActionNotVerified,
    #[serde(rename = "webhook.test")]
    WebhookTest,
}

impl EventType {
    pub const ALL: [EventType; 24] = [
        EventType::AssignmentCreated,
        EventType::AssignmentOffered,
        EventType::AssignmentReassigned,
        EventType::AssignmentAccepted,
        EventType::AssignmentDeclined,
        EventType::AssignmentCancelled,
        EventType::AssignmentExpired,
        EventType::AssignmentReopened,
        EventType::AssignmentSubmitted,
        EventType::AssignmentApproved,
        EventType::AssignmentReturned,
        EventType::AssignmentRejected,
        EventType::SubmissionSubmitted,
        EventType::SubmissionApproved,
        EventType::SubmissionReturned,
        EventType::SubmissionRejected,
        EventType::SubmissionEdited,
        EventType::SurveyResponseReceived,
        EventType::GapSignificant,
        EventType::CorrectiveActionOpened,
        EventType::CorrectiveActionChanged,
        EventType::CorrectiveActionVerified,
        EventType::CorrectiveActionNotVerified,
        EventType::WebhookTest,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::AssignmentCreated => "assignment.created",
            EventType::AssignmentOffered => "assignment.offered",
            EventType::AssignmentReassigned => "assignment.reassigned",
            EventType::AssignmentAccepted => "assignment.accepted",
            EventType::AssignmentDeclined => "assignment.declined",
            EventType::AssignmentCancelled => "assignment.cancelled",
            EventType::AssignmentExpired => "assignment.expired",
            EventType::AssignmentReopened => "assignment.reopened",
            EventType::AssignmentSubmitted => "assignment.submitted",
            EventType::AssignmentApproved => "assignment.approved",
            EventType::AssignmentReturned => "assignment.returned",
            EventType::AssignmentRejected => "assignment.rejected",
            EventType::SubmissionSubmitted => "submission.submitted",
            EventType::SubmissionApproved => "submission.approved",
            EventType::SubmissionReturned => "submission.returned",
            EventType::SubmissionRejected => "submission.rejected",
            EventType::SubmissionEdited => "submission.edited",
            EventType::SurveyResponseReceived => "survey_response.received",
            EventType::GapSignificant => "gap.significant",
            EventType::CorrectiveActionOpened => "corrective_action.opened",
            EventType::CorrectiveActionChanged => "corrective_action.changed",
            EventType::CorrectiveActionVerified => "corrective_action.verified",
            EventType::CorrectiveActionNotVerified => "corrective_action.not_verified",
            EventType::WebhookTest => "webhook.test",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// The event an assignment action (as its history names it) causes.
    pub fn of_assignment_action(action: &str) -> Option<Self> {
        Some(match action {
            "create" => EventType::AssignmentCreated,
            "offer" => EventType::AssignmentOffered,
            "reassign" => EventType::AssignmentReassigned,
            "accept" => EventType::AssignmentAccepted,
            "decline" => EventType::AssignmentDeclined,
            "cancel" => EventType::AssignmentCancelled,
            "expire" => EventType::AssignmentExpired,
            "reopen" => EventType::AssignmentReopened,
            "submit" => EventType::AssignmentSubmitted,
            "approve" => EventType::AssignmentApproved,
            "return" => EventType::AssignmentReturned,
            "reject" => EventType::AssignmentRejected,
            _ => return None,
        })
    }

    /// The event a submission's new status causes.
    pub fn of_submission_status(status: SubmissionStatus) -> Option<Self> {
        Some(match status {
            SubmissionStatus::Submitted => EventType::SubmissionSubmitted,
            SubmissionStatus::Approved => EventType::SubmissionApproved,
            SubmissionStatus::Returned => EventType::SubmissionReturned,
            SubmissionStatus::Rejected => EventType::SubmissionRejected,
            _ => return None,
        })
    }
}

/// An assignment changed state (a subset of `Assignment`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AssignmentEventData {
    pub assignment_id: uuid::Uuid,
    pub location_id: uuid::Uuid,
    pub checklist_version_id: uuid::Uuid,
    pub wave_id: Option<uuid::Uuid>,
    pub status: AssignmentStatus,
    pub previous_status: Option<AssignmentStatus>,
    /// The shopper it is offered to or held by.
    pub shopper_id: Option<uuid::Uuid>,
    /// Who made the change (absent for the system or an API key).
    pub actor_id: Option<uuid::Uuid>,
    pub reason: Option<String>,
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
}

/// A submission was submitted, reviewed or edited (a subset of `Submission`; the answers are
/// read from the API).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SubmissionEventData {
    pub submission_id: uuid::Uuid,
    pub assignment_id: uuid::Uuid,
    pub location_id: uuid::Uuid,
    pub shopper_id: uuid::Uuid,
    pub status: SubmissionStatus,
    /// The submission's version (its ETag) after the change.
    pub version: i32,
    /// 0 to 100.
    pub visit_score: Option<f64>,
    pub critical_failure: bool,
    /// The kinds of doubtful-data flags raised (details on the submission).
    pub flags: Vec<String>,
    /// The item an edit changed.
    pub edited_item: Option<String>,
}

/// A survey response was recorded (customer or management; the ratings are read from the API).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SurveyResponseEventData {
    pub response_id: uuid::Uuid,
    pub audience: Audience,
    pub instrument_version_id: uuid::Uuid,
    pub location_id: Option<uuid::Uuid>,
    pub region: Option<String>,
    pub channel: Option<Channel>,
    pub language: String,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub flags: Vec<String>,
}

/// An approval made a location × standard shortfall significant (the 95 % Wilson interval of
/// delivered lies below the target) and reliable (at least the organization's minimum sample)
/// over the trailing 90 days.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct GapEventData {
    pub location_id: uuid::Uuid,
    #[schema(value_type = crate::contract::types::Code)]
    pub standard: String,
    pub window_from: NaiveDate,
    pub window_to: NaiveDate,
    pub n: i64,
    pub delivered: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    pub target: f64,
    /// Target minus delivered.
    pub gap: f64,
    /// The approved visit that tipped it over.
    pub submission_id: uuid::Uuid,
}

/// A corrective action was opened or changed, or its re-shops decided it (a subset of
/// `CorrectiveAction`; its baseline, re-shops and effect are read from the API).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CorrectiveActionEventData {
    pub action_id: uuid::Uuid,
    pub location_id: uuid::Uuid,
    #[schema(value_type = crate::contract::types::Code)]
    pub standard: String,
    pub kind: crate::corrective_actions::rules::Kind,
    pub status: crate::corrective_actions::rules::Status,
    pub previous_status: Option<crate::corrective_actions::rules::Status>,
    /// What happened, as the action's history names it (`opened`, `edited`, `started`,
    /// `done`, `verified`, `not_verified`, `reopened`, `cancelled`, `training_recorded`,
    /// `reshop_replaced`).
    pub change: String,
    pub owner_id: uuid::Uuid,
    pub due_date: NaiveDate,
    /// How many times it was marked done.
    pub round: i32,
    /// The mean compliance on the standard over the deciding round's re-shops.
    pub verified_compliance: Option<f64>,
    /// Who made the change (absent for the system or an API key).
    pub actor_id: Option<uuid::Uuid>,
    /// The action's revision (its ETag) after the change.
    pub revision: i32,
}

/// A test event an admin asked to send to one endpoint.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TestEventData {
    pub endpoint_id: uuid::Uuid,
    pub message: String,
}

/// An event's payload, by type: `assignment.*`, `submission.*`, `survey_response.received`,
/// `gap.significant`, `corrective_action.*`, `webhook.test`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum EventData {
    Assignment(AssignmentEventData),
    Submission(SubmissionEventData),
    SurveyResponse(SurveyResponseEventData),
    Gap(GapEventData),
    CorrectiveAction(CorrectiveActionEventData),
    Test(TestEventData),
}

/// One event, as the feed lists it and as a webhook delivers it (the body of the request):
/// the Standard Webhooks payload shape, with the event's id.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Event {
    /// Stable: the same on every delivery attempt (`webhook-id`).
    pub id: uuid::Uuid,
    #[serde(rename = "type")]
    pub event_type: EventType,
    /// When the change happened.
    pub timestamp: DateTime<Utc>,
    pub data: EventData,
}

/// One page of the feed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EventFeed {
    pub items: Vec<Event>,
    /// Where to read on from next time (also when the page is empty): no event can later
    /// appear before it.
    pub next_cursor: String,
    /// More events are ready now.
    pub more: bool,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    /// A `next_cursor` from an earlier page; absent: from the first event.
    pub after: Option<String>,
    /// Event types (comma-separated, at least one); absent: every type.
    #[param(value_type = Option<Vec<EventType>>, style = Form, explode = false, min_items = 1, max_items = 50)]
    pub types: Option<String>,
    /// Events per page, 1 to 500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

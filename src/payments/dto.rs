use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::contract::types::{CurrencyCode, ItemKey, Note};
use crate::money::Money;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExpenseCategory {
    Meal,
    Purchase,
    Parking,
    Travel,
    Other,
}

impl ExpenseCategory {
    pub fn as_str(self) -> &'static str {
        match self {
            ExpenseCategory::Meal => "meal",
            ExpenseCategory::Purchase => "purchase",
            ExpenseCategory::Parking => "parking",
            ExpenseCategory::Travel => "travel",
            ExpenseCategory::Other => "other",
        }
    }
}

/// One line of what the shopper spent for the shop, claimed with the submission.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpenseClaim {
    /// Chosen by the app, unique in the submission; the reviewer decides by it.
    #[schema(value_type = ItemKey)]
    pub key: String,
    pub category: ExpenseCategory,
    #[schema(max_length = 500)]
    pub description: Option<String>,
    /// In the currency's minor unit (cents), more than 0.
    #[schema(minimum = 1, maximum = 100000000)]
    pub amount_minor: i64,
    /// The assignment's currency.
    #[schema(value_type = CurrencyCode)]
    pub currency: String,
    /// The receipt: an attachment of this submission (upload it as `kind=receipt`).
    pub receipt_attachment_id: Option<uuid::Uuid>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReimbursementStatus {
    /// Waiting for the review.
    Claimed,
    Approved,
    Refused,
}

impl ReimbursementStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReimbursementStatus::Claimed => "claimed",
            ReimbursementStatus::Approved => "approved",
            ReimbursementStatus::Refused => "refused",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Claimed, Self::Approved, Self::Refused]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// A claimed expense and the reviewer's decision on it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Reimbursement {
    pub id: uuid::Uuid,
    pub key: String,
    pub category: ExpenseCategory,
    pub description: String,
    pub claimed: Money,
    pub receipt_attachment_id: Option<uuid::Uuid>,
    pub status: ReimbursementStatus,
    /// What is paid: the claim, or less when the reviewer approved part of it.
    pub approved: Option<Money>,
    pub decision_note: Option<String>,
    pub decided_by: Option<uuid::Uuid>,
    pub decided_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approved,
    Refused,
}

/// The reviewer's decision on one expense line, given with the approval.
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReimbursementDecision {
    pub decision: Decision,
    /// For an approval, the part to pay (default the whole claim, at most the claim).
    #[schema(minimum = 0, maximum = 100000000)]
    pub amount_minor: Option<i64>,
    /// Why: required to refuse a line or to pay less than claimed.
    #[schema(value_type = Option<Note>)]
    pub note: Option<String>,
}

/// Decisions by expense key; a line the approval does not name is approved as claimed.
pub type Decisions = BTreeMap<String, ReimbursementDecision>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PayableKind {
    /// The shop's fee.
    Fee,
    /// An approved expense.
    Reimbursement,
    /// Taking back a paid line of a shop rejected after payment (negative).
    Clawback,
}

impl PayableKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PayableKind::Fee => "fee",
            PayableKind::Reimbursement => "reimbursement",
            PayableKind::Clawback => "clawback",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Fee, Self::Reimbursement, Self::Clawback]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PayableStatus {
    /// Owed, in no batch yet.
    Pending,
    /// In an open batch.
    Scheduled,
    Paid,
    /// Dropped before payment (the shop was rejected).
    Voided,
}

/// One line of what a shopper earns.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Payable {
    pub id: uuid::Uuid,
    pub kind: PayableKind,
    pub shopper_id: uuid::Uuid,
    pub submission_id: uuid::Uuid,
    pub assignment_id: uuid::Uuid,
    pub reimbursement_id: Option<uuid::Uuid>,
    /// The paid line a claw-back takes back.
    pub reverses_id: Option<uuid::Uuid>,
    pub money: Money,
    /// When it became payable: the approval (or the late rejection, for a claw-back).
    pub earned_at: DateTime<Utc>,
    pub status: PayableStatus,
    pub batch_id: Option<uuid::Uuid>,
    pub voided_at: Option<DateTime<Utc>>,
}

/// What a shopper is owed and was paid, per currency, with their latest lines.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Earnings {
    pub shopper_id: uuid::Uuid,
    /// Owed and in no batch yet.
    pub pending: Vec<Money>,
    /// In a batch not yet paid.
    pub scheduled: Vec<Money>,
    /// Paid, over all time.
    pub paid: Vec<Money>,
    /// The latest 200 lines, newest first (voided ones included).
    pub lines: Vec<Payable>,
}

/// What one paid batch paid one shopper.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Statement {
    pub batch_id: uuid::Uuid,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub paid_at: DateTime<Utc>,
    pub reference: Option<String>,
    pub totals: Vec<Money>,
    pub lines: Vec<Payable>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StatementList {
    /// Newest first.
    pub items: Vec<Statement>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BatchStatus {
    Open,
    Paid,
    Cancelled,
}

impl BatchStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            BatchStatus::Open => "open",
            BatchStatus::Paid => "paid",
            BatchStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Open, Self::Paid, Self::Cancelled]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// Gather what is payable: every line earned in the period (UTC days, both included) that is
/// in no batch yet.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBatch {
    pub period_from: NaiveDate,
    /// Not before `period_from`, and not after today.
    pub period_to: NaiveDate,
    #[schema(value_type = Option<Note>)]
    pub note: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkPaid {
    /// The payment provider's or payroll's reference.
    #[schema(value_type = Option<Note>)]
    pub reference: Option<String>,
}

/// One shopper's part of a batch in one currency.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ShopperTotal {
    pub shopper_id: uuid::Uuid,
    pub shopper_name: String,
    pub shopper_email: String,
    /// Shops with a fee line in the batch.
    pub shops: i64,
    pub fees: Money,
    pub reimbursements: Money,
    /// Negative, or zero.
    pub clawbacks: Money,
    pub total: Money,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PaymentBatch {
    pub id: uuid::Uuid,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub status: BatchStatus,
    pub note: Option<String>,
    pub reference: Option<String>,
    pub lines: i64,
    pub shoppers: i64,
    /// Per currency.
    pub totals: Vec<Money>,
    pub created_by: Option<uuid::Uuid>,
    pub created_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
}

/// A batch with every shopper's totals (one entry per shopper and currency).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PaymentBatchDetail {
    pub batch: PaymentBatch,
    pub shoppers: Vec<ShopperTotal>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PaymentBatchList {
    pub items: Vec<PaymentBatch>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BatchFilter {
    pub status: Option<BatchStatus>,
}

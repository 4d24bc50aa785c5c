use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::contract::types::{Code, Label};
// Named by the contract's types of parameters and fields (the fields stay text in Rust).
#[allow(unused_imports)]
use crate::locations::dto::Segment;
#[allow(unused_imports)]
use crate::standards::dto::{Channel, Dimension};

/// What a gap report groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    Standard,
    Dimension,
    Location,
    Region,
    Channel,
    Segment,
    Month,
    Week,
}

impl std::str::FromStr for GroupBy {
    type Err = ();
    fn from_str(name: &str) -> Result<Self, ()> {
        serde_json::from_value(serde_json::Value::String(name.to_string())).map_err(|_| ())
    }
}

/// What a trend measures: a standard, a dimension or the visit score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TrendSubject {
    Standard,
    Dimension,
    Visit,
}

/// The periods of a trend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TrendGrain {
    Month,
    Week,
}

/// Filters and grouping of the gap report. Lists are comma-separated, at most 100 values each
/// (422 naming the parameter beyond that).
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct GapQuery {
    /// First day (inclusive), by each visit's start date, local at its location. Default: all
    /// history.
    pub from: Option<NaiveDate>,
    /// Last day (inclusive), by the same local date. Default: today (the latest local date
    /// among the organization's locations, so a visit just after local midnight counts).
    pub to: Option<NaiveDate>,
    /// Location ids (comma-separated, at most 100).
    #[param(value_type = Option<Vec<uuid::Uuid>>, style = Form, explode = false, max_items = 100)]
    pub location_id: Option<String>,
    /// Regions (comma-separated, at most 100), as recorded on each visit when it was approved:
    /// its location's region then. Moving a location later does not move its past visits.
    #[param(value_type = Option<Vec<Label>>, style = Form, explode = false, max_items = 100)]
    pub region: Option<String>,
    /// Channels (comma-separated, at most 100): the channel of the visit's checklist.
    #[param(value_type = Option<Vec<Channel>>, style = Form, explode = false, max_items = 100)]
    pub channel: Option<String>,
    /// Segments (comma-separated, at most 100), as recorded on each visit when it was approved:
    /// its assignment's segment.
    #[param(value_type = Option<Vec<Segment>>, style = Form, explode = false, max_items = 100)]
    pub segment: Option<String>,
    /// Checklist ids (comma-separated, at most 100): every version of each checklist.
    #[param(value_type = Option<Vec<uuid::Uuid>>, style = Form, explode = false, max_items = 100)]
    pub checklist_id: Option<String>,
    /// Standard codes (comma-separated, at most 100).
    #[param(value_type = Option<Vec<Code>>, style = Form, explode = false, max_items = 100)]
    pub standard: Option<String>,
    /// SERVQUAL dimensions (comma-separated, at most 100): the standards in them, or the
    /// dimensions themselves when grouping by dimension.
    #[param(value_type = Option<Vec<Dimension>>, style = Form, explode = false, max_items = 100)]
    pub dimension: Option<String>,
    /// One or two groupings (comma-separated), one of them `standard` or `dimension` (a gap is
    /// measured against a target). Default `standard`.
    #[param(value_type = Option<Vec<GroupBy>>, style = Form, explode = false, min_items = 1, max_items = 2)]
    pub group_by: Option<String>,
}

/// The gap report: one row per group, the largest shortfall first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GapReport {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    #[schema(value_type = Vec<GroupBy>)]
    pub group_by: Vec<String>,
    /// The organization's minimum sample: rows with fewer visits are not `reliable`.
    pub min_sample_size: i32,
    pub rows: Vec<GapRow>,
}

/// One group's delivery against its target.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GapRow {
    /// Standard code (when grouped by standard).
    #[schema(value_type = Option<Code>)]
    pub standard: Option<String>,
    /// The standard's text, from the latest published book that defines it.
    pub standard_text: Option<String>,
    /// SERVQUAL dimension (of the standard, or the group).
    #[schema(value_type = Option<Dimension>)]
    pub dimension: Option<String>,
    #[schema(value_type = Option<uuid::Uuid>)]
    pub location_id: Option<String>,
    #[schema(value_type = Option<Code>)]
    pub location_code: Option<String>,
    pub region: Option<String>,
    #[schema(value_type = Option<Segment>)]
    pub segment: Option<String>,
    #[schema(value_type = Option<Channel>)]
    pub channel: Option<String>,
    /// `YYYY-MM` or ISO week `YYYY-Www`.
    pub period: Option<String>,
    /// Approved visits in which the standard (or dimension) was observed.
    pub n: i64,
    /// Mean of those visits' compliance, 0 to 1.
    pub delivered: f64,
    /// The standard's target; for a dimension, the mean target of its standards.
    pub target: Option<f64>,
    /// Target minus delivered: positive is a shortfall.
    pub gap: Option<f64>,
    /// 95 % Wilson interval of `delivered`.
    pub ci_low: f64,
    pub ci_high: f64,
    /// The interval lies wholly below the target: the shortfall is real, not noise.
    pub significant: Option<bool>,
    /// `n` reaches the organization's minimum sample.
    pub reliable: bool,
    /// An open corrective action on this location × standard (rows of one location and one
    /// standard only).
    pub open_action_id: Option<uuid::Uuid>,
}

/// Filters of the location scorecard.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ScorecardQuery {
    /// The location.
    #[param(value_type = uuid::Uuid)]
    pub location_id: String,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Channels of the visits' checklists (comma-separated, at most 100).
    #[param(value_type = Option<Vec<Channel>>, style = Form, explode = false, max_items = 100)]
    pub channel: Option<String>,
    /// Checklist ids (comma-separated, at most 100).
    #[param(value_type = Option<Vec<uuid::Uuid>>, style = Form, explode = false, max_items = 100)]
    pub checklist_id: Option<String>,
}

/// A mean over visits with its 95 % Wilson interval (visit scores on 0 to 100).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Estimate {
    pub n: i64,
    pub mean: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
}

/// The location the scorecard is about.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScorecardLocation {
    #[schema(value_type = uuid::Uuid)]
    pub id: String,
    #[schema(value_type = Code)]
    pub code: String,
    pub name: String,
    pub region: String,
    #[schema(value_type = Segment)]
    pub segment: String,
}

/// One location's visit scores and standards, next to its region and the organization.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Scorecard {
    pub location: ScorecardLocation,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// The location's visit score (0 to 100).
    pub visit_score: Estimate,
    /// Visits with a failed critical item (their visit score is 0).
    pub critical_failures: i64,
    /// Visits per tenth of the score: `[0, 10)`, `[10, 20)`, … `[90, 100]`.
    pub distribution: Vec<i64>,
    /// The same for every visit of its (current) region, as recorded when approved.
    pub region_visit_score: Estimate,
    /// The same for every location of the organization.
    pub organization_visit_score: Estimate,
    /// The location's standards, the largest shortfall first.
    pub standards: Vec<GapRow>,
    /// Its open corrective actions, the overdue first.
    pub corrective_actions: Vec<crate::corrective_actions::dto::ActionSummary>,
    /// How many of them are past their due date with work left.
    pub overdue_actions: i64,
}

/// What a trend or ranking measures and where.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TrendQuery {
    /// A standard code; or `dimension`; or neither, for the visit score.
    #[param(value_type = Option<Code>)]
    pub standard: Option<String>,
    /// A SERVQUAL dimension.
    #[param(value_type = Option<Dimension>)]
    pub dimension: Option<String>,
    /// Only this location (default: the organization).
    #[param(value_type = Option<uuid::Uuid>)]
    pub location_id: Option<String>,
    /// Only these regions (comma-separated, at most 100), as recorded on each visit when it was
    /// approved.
    #[param(value_type = Option<Vec<Label>>, style = Form, explode = false, max_items = 100)]
    pub region: Option<String>,
    /// `month` (default) or `week`.
    pub grain: Option<TrendGrain>,
    /// Default: the first day of the month eleven months before `to`.
    pub from: Option<NaiveDate>,
    /// Default: today (the latest local date among the locations).
    pub to: Option<NaiveDate>,
    /// Channels of the visits' checklists (comma-separated, at most 100).
    #[param(value_type = Option<Vec<Channel>>, style = Form, explode = false, max_items = 100)]
    pub channel: Option<String>,
    /// Checklist ids (comma-separated, at most 100).
    #[param(value_type = Option<Vec<uuid::Uuid>>, style = Form, explode = false, max_items = 100)]
    pub checklist_id: Option<String>,
}

/// Delivered (or the visit score) per period, with the change against the period before.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Trend {
    /// What is measured.
    #[schema(value_type = TrendSubject)]
    pub subject: String,
    /// The standard code or dimension; absent for the visit score.
    pub key: Option<String>,
    #[schema(value_type = TrendGrain)]
    pub grain: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The target (standards and dimensions).
    pub target: Option<f64>,
    pub points: Vec<TrendPoint>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrendPoint {
    /// `YYYY-MM` or `YYYY-Www`.
    pub period: String,
    pub n: i64,
    /// Mean compliance 0 to 1 (the visit score: 0 to 100); absent in a period without visits.
    pub delivered: Option<f64>,
    pub gap: Option<f64>,
    /// Delivered minus the previous period's (absent when either has no visits).
    pub change: Option<f64>,
    /// The 95 % Wilson interval of `delivered`, on its scale (absent in a period without visits).
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
}

/// Filters of the ranking.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RankingQuery {
    /// Rank by this standard's delivery; by the visit score when absent.
    #[param(value_type = Option<Code>)]
    pub standard: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Regions (comma-separated, at most 100), as recorded on each visit when it was approved.
    #[param(value_type = Option<Vec<Label>>, style = Form, explode = false, max_items = 100)]
    pub region: Option<String>,
    /// Segments (comma-separated, at most 100), as recorded on each visit when it was approved
    /// (the assignment's segment).
    #[param(value_type = Option<Vec<Segment>>, style = Form, explode = false, max_items = 100)]
    pub segment: Option<String>,
    /// Channels of the visits' checklists (comma-separated, at most 100).
    #[param(value_type = Option<Vec<Channel>>, style = Form, explode = false, max_items = 100)]
    pub channel: Option<String>,
    /// Checklist ids (comma-separated, at most 100).
    #[param(value_type = Option<Vec<uuid::Uuid>>, style = Form, explode = false, max_items = 100)]
    pub checklist_id: Option<String>,
}

/// Locations best first, each with its interval, so a manager sees which differences are real.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Ranking {
    /// `visit_score` or the standard code.
    pub by: String,
    pub target: Option<f64>,
    pub min_sample_size: i32,
    pub rows: Vec<RankingRow>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RankingRow {
    pub rank: usize,
    #[schema(value_type = uuid::Uuid)]
    pub location_id: String,
    #[schema(value_type = Code)]
    pub location_code: String,
    /// The location's current region.
    pub region: String,
    pub n: i64,
    /// Mean compliance 0 to 1, or the visit score 0 to 100.
    pub value: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    /// Target minus value (standards only).
    pub gap: Option<f64>,
    pub reliable: bool,
}

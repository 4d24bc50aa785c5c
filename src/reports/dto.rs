use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Filters and grouping of the gap report. Lists are comma-separated.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct GapQuery {
    /// First day (inclusive), by each visit's local date at its location. Default: all history.
    pub from: Option<NaiveDate>,
    /// Last day (inclusive). Default: today.
    pub to: Option<NaiveDate>,
    /// Location ids.
    pub location_id: Option<String>,
    /// Regions.
    pub region: Option<String>,
    /// Channels (`in_person`, `phone`, …).
    pub channel: Option<String>,
    /// Segments (`b2c`, `b2b`, …).
    pub segment: Option<String>,
    /// Checklist ids.
    pub checklist_id: Option<String>,
    /// Standard codes.
    pub standard: Option<String>,
    /// SERVQUAL dimensions.
    pub dimension: Option<String>,
    /// One or two of `standard`, `dimension`, `location`, `region`, `channel`, `segment`,
    /// `month`, `week`, one of them `standard` or `dimension`. Default `standard`.
    pub group_by: Option<String>,
    /// `json` (default) or `csv`; `Accept: text/csv` also asks for CSV.
    pub format: Option<String>,
}

/// The gap report: one row per group, the largest shortfall first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GapReport {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub group_by: Vec<String>,
    /// The organization's minimum sample: rows with fewer visits are not `reliable`.
    pub min_sample_size: i32,
    pub rows: Vec<GapRow>,
}

/// One group's delivery against its target.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GapRow {
    /// Standard code (when grouped by standard).
    pub standard: Option<String>,
    /// The standard's text, from the latest published book that defines it.
    pub standard_text: Option<String>,
    /// SERVQUAL dimension (of the standard, or the group).
    pub dimension: Option<String>,
    pub location_id: Option<String>,
    pub location_code: Option<String>,
    pub region: Option<String>,
    pub segment: Option<String>,
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
}

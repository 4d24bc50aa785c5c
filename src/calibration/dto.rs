use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Which months a calibration report covers, and whose figures.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CalibrationQuery {
    /// A day of the first month (by each visit's local start date). Default: eleven months
    /// before `to`'s month.
    pub from: Option<NaiveDate>,
    /// A day of the last month. Default: today (the latest local date among the locations).
    pub to: Option<NaiveDate>,
    /// One standard, by code.
    #[param(max_length = 64)]
    pub standard: Option<String>,
    /// One shopper.
    pub shopper_id: Option<uuid::Uuid>,
}

/// Where a shopper's leniency stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CalibrationVerdict {
    /// The whole 95 % interval lies above zero: rates higher than the other shoppers.
    Lenient,
    /// The whole interval lies below zero: rates lower than the others.
    Harsh,
    /// Not distinguishable from the others (or too few visits to tell).
    InLine,
}

/// One shopper's leniency on one standard.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ShopperCalibration {
    pub shopper_id: uuid::Uuid,
    pub shopper_name: String,
    pub standard_code: String,
    /// The shopper's approved visits that other shoppers' visits (same standard, location and
    /// month) can be compared with.
    pub n: i64,
    /// Mean over those visits of (the shopper's compliance − the other shoppers' mean
    /// compliance on the standard at that location that month), from −1 to 1: above zero the
    /// shopper rates more leniently than the others.
    pub leniency: f64,
    /// 95 % t-interval of the leniency (from n = 2).
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    pub verdict: CalibrationVerdict,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CalibrationReport {
    /// First day of the first month covered.
    pub from: NaiveDate,
    /// Last day of the last month covered.
    pub to: NaiveDate,
    /// Significantly lenient or harsh first (largest difference first), then the rest.
    pub rows: Vec<ShopperCalibration>,
}

/// Which months a rater-agreement report covers.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AgreementQuery {
    /// A day of the first month. Default: eleven months before `to`'s month.
    pub from: Option<NaiveDate>,
    /// A day of the last month. Default: today (the latest local date among the locations).
    pub to: Option<NaiveDate>,
    /// Only pairs this shopper is in.
    pub shopper_id: Option<uuid::Uuid>,
}

/// How two shoppers agreed over the double shops they did together.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RaterPair {
    pub shopper_a: uuid::Uuid,
    pub shopper_a_name: String,
    pub shopper_b: uuid::Uuid,
    pub shopper_b_name: String,
    /// Double shops both approved and done on the same day.
    pub double_shops: i64,
    /// Items both scored (neither N/A nor unanswered) over those shops.
    pub items: i64,
    /// Share of those items on which both gave the same score, 0 to 100.
    pub percent_agreement: Option<f64>,
    /// Cohen's kappa over the same items, with each item's score share as its category:
    /// agreement beyond chance, 1 perfect, 0 chance. Null when chance agreement is certain
    /// (both always gave the same single score).
    pub kappa: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AgreementReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Most double shops first.
    pub pairs: Vec<RaterPair>,
}

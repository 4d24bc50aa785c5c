use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::contract::types::{Code, LongText};
use crate::standards::dto::Channel;

/// Where a promise was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PromiseSource {
    Advertisement,
    WebSite,
    Brochure,
    Contract,
    SocialMedia,
    Other,
}

impl PromiseSource {
    pub const ALL: [PromiseSource; 6] = [
        PromiseSource::Advertisement,
        PromiseSource::WebSite,
        PromiseSource::Brochure,
        PromiseSource::Contract,
        PromiseSource::SocialMedia,
        PromiseSource::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PromiseSource::Advertisement => "advertisement",
            PromiseSource::WebSite => "web_site",
            PromiseSource::Brochure => "brochure",
            PromiseSource::Contract => "contract",
            PromiseSource::SocialMedia => "social_media",
            PromiseSource::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<PromiseSource> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// A promise to record, or its new content.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PromiseInput {
    /// The code of a standard in one of the organization's published standards books.
    #[schema(value_type = Code)]
    pub standard: String,
    /// What customers are told, word for word.
    #[schema(value_type = LongText)]
    pub text: String,
    pub source: PromiseSource,
    /// The channels the promise speaks of (at least one, each once).
    #[schema(schema_with = crate::standards::dto::channel_set)]
    pub channels: Vec<Channel>,
    /// The first day the promise is made.
    pub valid_from: NaiveDate,
    /// The last day; absent while it is still made.
    #[serde(default)]
    pub valid_to: Option<NaiveDate>,
    /// The share of interactions promised to meet the standard, 0 to 1 ("always" = 1.0, "nine
    /// calls in ten" = 0.9).
    #[schema(minimum = 0.0, maximum = 1.0)]
    pub promised_level: f64,
}

/// A recorded promise. (Its content's fields are repeated rather than flattened from
/// `PromiseInput`: that one refuses unknown fields, and a flattened copy would make the
/// contract refuse this object's own `id` and `revision`.)
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Promise {
    pub id: uuid::Uuid,
    #[schema(value_type = Code)]
    pub standard: String,
    #[schema(value_type = LongText)]
    pub text: String,
    pub source: PromiseSource,
    pub channels: Vec<Channel>,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub promised_level: f64,
    /// Changes with every replacement; the `ETag` carries it.
    pub revision: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PromiseList {
    pub items: Vec<Promise>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PromiseFilter {
    /// Only promises about this standard.
    #[param(value_type = Option<Code>)]
    pub standard: Option<String>,
    /// Only promises made on this day.
    pub valid_on: Option<NaiveDate>,
}

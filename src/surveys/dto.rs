//! Survey instruments (PRODUCT.md section 8), as clients write and read them: the customer
//! questionnaire (expectation and perception of each item) and the management one (the
//! expectation managers believe customers hold), in every language the program runs in.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::contract::types::{Code, LanguageTag, Name};
use crate::error::FieldError;
use crate::standards::dto::{BookDocument, Channel, Dimension, VersionStatus};

/// Who answers an instrument.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// Customers rate what an excellent company would do (expectation) and what this company
    /// did (perception).
    Customer,
    /// Managers rate the expectation they believe customers hold.
    Management,
}

impl Audience {
    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Customer => "customer",
            Audience::Management => "management",
        }
    }

    pub fn parse(s: &str) -> Option<Audience> {
        [Audience::Customer, Audience::Management]
            .into_iter()
            .find(|a| a.as_str() == s)
    }
}

/// Which way a language's text runs, so an app lays the form out right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TextDirection {
    Ltr,
    Rtl,
}

/// A text in each of the instrument's languages, keyed by language tag (`en`, `ar`, `fa`,
/// `fr-CA`).
pub type Localized = BTreeMap<String, String>;

/// The contract of a [`Localized`] text: 1 to 20 language tags, each with a text.
pub fn localized() -> utoipa::openapi::schema::ObjectBuilder {
    use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, Type};
    use utoipa::openapi::{RefOr, Schema};
    ObjectBuilder::new()
        .description(Some(
            "A text per language, keyed by language tag (e.g. `en`, `ar`, `fa`, `fr-CA`).",
        ))
        .property_names(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(2))
                .max_length(Some(16))
                .pattern(Some(r"^[A-Za-z][A-Za-z0-9]*(-[A-Za-z0-9]+)*$")),
        ))
        .additional_properties(Some(AdditionalProperties::RefOr(RefOr::<Schema>::Ref(
            utoipa::openapi::Ref::from_schema_name("LongText"),
        ))))
        .min_properties(Some(1))
        .max_properties(Some(20))
}

/// [`localized`], or null.
pub fn optional_localized() -> utoipa::openapi::Schema {
    use utoipa::openapi::schema::{OneOfBuilder, Type};
    utoipa::openapi::Schema::OneOf(
        OneOfBuilder::new()
            .item(localized())
            .item(utoipa::openapi::schema::ObjectBuilder::new().schema_type(Type::Null))
            .build(),
    )
}

/// The rating scale: a rating `v` becomes the level `(v - min) / (max - min)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingScale {
    /// Lowest rating (default 1).
    #[serde(default = "one")]
    #[schema(minimum = 0, maximum = 99, default = 1)]
    pub min: i32,
    /// Highest rating, above `min` (default 7).
    #[serde(default = "seven")]
    #[schema(minimum = 1, maximum = 100, default = 7)]
    pub max: i32,
}

impl Default for RatingScale {
    fn default() -> Self {
        RatingScale { min: 1, max: 7 }
    }
}

fn one() -> i32 {
    1
}

fn seven() -> i32 {
    7
}

/// One statement of an instrument, linked to a standard of the pinned book or only to a
/// dimension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SurveyItem {
    /// Stable across versions, unique within the instrument.
    #[schema(value_type = crate::contract::types::ItemKey)]
    pub key: String,
    /// The standard the item measures (its dimension comes from the book).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Code>)]
    pub standard: Option<String>,
    /// The dimension, for an item linked to no standard (with a standard it must be the
    /// standard's, or left out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dimension: Option<Dimension>,
    /// Customer instruments: what an excellent company would do. Management instruments: the
    /// expectation managers believe customers hold.
    #[schema(schema_with = localized)]
    pub expectation_prompt: Localized,
    /// Customer instruments only: what this company did on this visit or call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = optional_localized)]
    pub perception_prompt: Option<Localized>,
}

/// The optional question about the preferred contact channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelQuestion {
    #[schema(schema_with = localized)]
    pub prompt: Localized,
    /// The channels offered (at least two, each once).
    #[schema(schema_with = crate::standards::dto::channel_set)]
    pub channels: Vec<Channel>,
}

/// Everything an instrument version says besides its name, pin and audience.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct InstrumentContent {
    /// The languages the instrument is written in, the first being the default; every text
    /// has each of them (at most 20).
    #[schema(value_type = Vec<LanguageTag>, max_items = 20)]
    pub languages: Vec<String>,
    pub scale: RatingScale,
    #[schema(schema_with = localized)]
    pub title: Localized,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = optional_localized)]
    pub introduction: Option<Localized>,
    /// At most 200.
    #[schema(max_items = 200)]
    pub items: Vec<SurveyItem>,
    /// When present, respondents split 100 importance points over the five dimensions; this
    /// asks for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = optional_localized)]
    pub importance_prompt: Option<Localized>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_question: Option<ChannelQuestion>,
}

/// An instrument's name, pin, audience and content: what creating one, editing its draft and
/// importing take. A draft may be incomplete: what publishing would refuse is listed in the
/// version's `problems`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InstrumentInput {
    #[schema(value_type = Name)]
    pub name: String,
    pub audience: Audience,
    /// The published standards-book version whose standard codes the items name.
    pub standards_book_version_id: uuid::Uuid,
    #[schema(value_type = Vec<LanguageTag>, max_items = 20)]
    pub languages: Vec<String>,
    #[serde(default)]
    pub scale: RatingScale,
    #[schema(schema_with = localized)]
    pub title: Localized,
    #[serde(default)]
    #[schema(schema_with = optional_localized)]
    pub introduction: Option<Localized>,
    #[serde(default)]
    #[schema(max_items = 200)]
    pub items: Vec<SurveyItem>,
    #[serde(default)]
    #[schema(schema_with = optional_localized)]
    pub importance_prompt: Option<Localized>,
    #[serde(default)]
    pub channel_question: Option<ChannelQuestion>,
}

impl InstrumentInput {
    pub fn content(&self) -> InstrumentContent {
        InstrumentContent {
            languages: self.languages.clone(),
            scale: self.scale,
            title: self.title.clone(),
            introduction: self.introduction.clone(),
            items: self.items.clone(),
            importance_prompt: self.importance_prompt.clone(),
            channel_question: self.channel_question.clone(),
        }
    }
}

/// One version of an instrument, whole.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct InstrumentVersion {
    /// The version's own id: what survey links and management responses pin.
    pub id: uuid::Uuid,
    pub instrument_id: uuid::Uuid,
    pub name: String,
    pub version: i32,
    pub status: VersionStatus,
    pub revision: i32,
    pub audience: Audience,
    pub standards_book_version_id: uuid::Uuid,
    #[serde(flatten)]
    pub content: InstrumentContent,
    /// The direction each language's text runs in.
    pub text_directions: BTreeMap<String, TextDirection>,
    /// For a draft: what publishing it would refuse now (empty when it can be published).
    pub problems: Vec<FieldError>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct InstrumentVersionSummary {
    pub id: uuid::Uuid,
    pub version: i32,
    pub status: VersionStatus,
    pub audience: Audience,
    pub published_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Instrument {
    pub id: uuid::Uuid,
    pub name: String,
    /// Newest first.
    pub versions: Vec<InstrumentVersionSummary>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct InstrumentList {
    pub items: Vec<Instrument>,
    pub next_cursor: Option<String>,
}

pub const INSTRUMENT_FORMAT: &str = "shopgap.survey_instrument/v1";

/// An instrument version with the standards book it is pinned to, as one portable document.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InstrumentDocument {
    /// Always `shopgap.survey_instrument/v1`.
    #[schema(pattern = r"^shopgap\.survey_instrument/v1$")]
    pub format: String,
    #[schema(value_type = Name)]
    pub name: String,
    pub audience: Audience,
    #[schema(value_type = Vec<LanguageTag>, max_items = 20)]
    pub languages: Vec<String>,
    #[serde(default)]
    pub scale: RatingScale,
    #[schema(schema_with = localized)]
    pub title: Localized,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = optional_localized)]
    pub introduction: Option<Localized>,
    #[serde(default)]
    #[schema(max_items = 200)]
    pub items: Vec<SurveyItem>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = optional_localized)]
    pub importance_prompt: Option<Localized>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_question: Option<ChannelQuestion>,
    /// The pinned book; on import, an identical published version is reused, otherwise it is
    /// published as a new book.
    pub standards_book: BookDocument,
}

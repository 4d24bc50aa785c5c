//! The content of a checklist (the questionnaire a shopper fills), as clients write and read it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::contract::types::Name;
use crate::error::FieldError;
use crate::standards::dto::{BookDocument, Channel, VersionStatus};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemType {
    /// Scored: the compliant answer scores 1, the other 0.
    YesNo,
    /// Scored: `(value - min) / (max - min)`.
    Scale,
    /// Scored: 1 when the value meets the target by the comparator, else 0.
    Number,
    /// Scored: the chosen option's points over the highest option's points.
    Choice,
    /// Unscored free text.
    Text,
    /// Unscored date and time (RFC 3339).
    Datetime,
    /// Unscored: attached photos, receipts, audio or PDFs.
    Evidence,
}

impl ItemType {
    pub fn is_scored(self) -> bool {
        matches!(
            self,
            ItemType::YesNo | ItemType::Scale | ItemType::Number | ItemType::Choice
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Comparator {
    /// Complies when the value is at most the target (e.g. seconds to greet).
    Lte,
    /// Complies when the value is at least the target.
    Gte,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceKind {
    Photo,
    Receipt,
    Audio,
    Pdf,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChoiceOption {
    /// What the app sends as the answer.
    #[schema(max_length = 200)]
    pub value: String,
    #[schema(max_length = 200)]
    pub label: String,
    /// Points for this option, ≥ 0.
    pub points: f64,
}

/// Settings that depend on the item's type; a setting that does not apply to the type is an error.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemOptions {
    /// `yes_no`: the answer that complies (default `true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compliant_answer: Option<bool>,
    /// `scale`: lowest value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// `scale`: highest value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// `number`: how the value is compared with the target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comparator: Option<Comparator>,
    /// `number`: the target value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<f64>,
    /// `number`: the unit, e.g. `seconds`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 50)]
    pub unit: Option<String>,
    /// `choice`: the options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_items = 100)]
    pub choices: Option<Vec<ChoiceOption>>,
    /// `evidence`: kinds accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence_kinds: Option<Vec<EvidenceKind>>,
    /// `evidence`: how many attachments are needed (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_count: Option<u32>,
}

fn one() -> f64 {
    1.0
}

fn yes() -> bool {
    true
}

/// An item's texts in another language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemText {
    #[schema(max_length = 2000)]
    pub prompt: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 2000)]
    pub help: Option<String>,
}

/// The contract of a map keyed by language tag whose values are `value`.
pub fn by_language(value: &str, description: &str) -> utoipa::openapi::schema::ObjectBuilder {
    use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, Type};
    ObjectBuilder::new()
        .description(Some(description))
        .property_names(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(2))
                .max_length(Some(16))
                .pattern(Some(r"^[A-Za-z][A-Za-z0-9]*(-[A-Za-z0-9]+)*$")),
        ))
        .additional_properties(Some(AdditionalProperties::RefOr(
            utoipa::openapi::Ref::from_schema_name(value).into(),
        )))
        .max_properties(Some(20))
}

fn item_translations() -> utoipa::openapi::schema::ObjectBuilder {
    by_language(
        "ItemText",
        "The item's prompt and help in other languages, keyed by language tag (e.g. `ar`, `fa`, `fr`).",
    )
}

fn title_translations() -> utoipa::openapi::schema::ObjectBuilder {
    by_language(
        "LongText",
        "The section's title in other languages, keyed by language tag.",
    )
}

/// One question of a checklist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Item {
    /// Stable across versions, unique within the checklist (`a-z`, `0-9`, `_`, `-`, `.`; a
    /// draft may hold another key, which publishing refuses).
    #[schema(max_length = 64)]
    pub key: String,
    #[schema(max_length = 2000)]
    pub prompt: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 2000)]
    pub help: Option<String>,
    #[serde(rename = "type")]
    pub item_type: ItemType,
    /// Relative weight, > 0 (default 1).
    #[serde(default = "one")]
    pub weight: f64,
    /// The standard the item measures (scored types need one; unscored types have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 32)]
    pub standard: Option<String>,
    /// Must be answered (or marked N/A where allowed) to submit (default true).
    #[serde(default = "yes")]
    pub required: bool,
    /// The shopper may answer N/A (not observed).
    #[serde(default)]
    pub allow_na: bool,
    /// A failure here makes the visit score 0.
    #[serde(default)]
    pub critical: bool,
    #[serde(default)]
    pub options: ItemOptions,
    /// The prompt and help in other languages, so a shopper's app can show the checklist in
    /// the shopper's language. Publishing needs every item and section in each language used.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schema(schema_with = item_translations)]
    pub translations: BTreeMap<String, ItemText>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Section {
    #[schema(max_length = 200)]
    pub title: String,
    /// Multiplies the weights of the section's items (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<f64>,
    /// At most 1,000 items in all the checklist's sections.
    #[schema(max_items = 1000)]
    pub items: Vec<Item>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schema(schema_with = title_translations)]
    pub title_translations: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ChecklistContent {
    pub sections: Vec<Section>,
}

impl ChecklistContent {
    pub fn items(&self) -> impl Iterator<Item = (&Section, &Item)> {
        self.sections
            .iter()
            .flat_map(|s| s.items.iter().map(move |i| (s, i)))
    }
}

/// A checklist's name, pin and content: what creating one, editing its draft and importing take.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChecklistInput {
    #[schema(value_type = Name)]
    pub name: String,
    /// The published standards-book version the checklist scores against.
    pub standards_book_version_id: uuid::Uuid,
    /// The channel the checklist observes.
    pub channel: Channel,
    /// At most 100 sections. A draft may be incomplete: what publishing would refuse is listed
    /// in the version's `problems`.
    #[serde(default)]
    #[schema(max_items = 100)]
    pub sections: Vec<Section>,
}

/// One version of a checklist, whole.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ChecklistVersion {
    /// The version's own id: what assignments pin.
    pub id: uuid::Uuid,
    pub checklist_id: uuid::Uuid,
    pub name: String,
    pub version: i32,
    pub status: VersionStatus,
    pub revision: i32,
    pub standards_book_version_id: uuid::Uuid,
    pub channel: Channel,
    pub sections: Vec<Section>,
    /// For a draft: what publishing it would refuse now (empty when it can be published).
    pub problems: Vec<FieldError>,
    /// The languages the checklist is translated into (its items' `translations`), with the
    /// direction their text runs in.
    pub translations: BTreeMap<String, crate::surveys::dto::TextDirection>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ChecklistVersionSummary {
    pub id: uuid::Uuid,
    pub version: i32,
    pub status: VersionStatus,
    pub channel: Channel,
    pub published_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Checklist {
    pub id: uuid::Uuid,
    pub name: String,
    /// Newest first.
    pub versions: Vec<ChecklistVersionSummary>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ChecklistList {
    pub items: Vec<Checklist>,
    pub next_cursor: Option<String>,
}

pub const CHECKLIST_FORMAT: &str = "shopgap.checklist/v1";

/// A checklist version with the standards book it is pinned to, as one portable document.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChecklistDocument {
    /// Always `shopgap.checklist/v1`.
    #[schema(pattern = r"^shopgap\.checklist/v1$")]
    pub format: String,
    #[schema(value_type = Name)]
    pub name: String,
    pub channel: Channel,
    #[schema(max_items = 100)]
    pub sections: Vec<Section>,
    /// The pinned book; on import, an identical published version is reused, otherwise it is
    /// published as a new book.
    pub standards_book: BookDocument,
}

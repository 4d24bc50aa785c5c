//! The content of a standards book, as clients write and read it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::contract::types::{Code, LongText, Name};

/// A service channel: where an interaction with a customer happens.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    InPerson,
    Phone,
    Email,
    Chat,
    Web,
    SocialMedia,
    SelfService,
    MobileApp,
    Video,
    Sms,
}

impl Channel {
    pub const ALL: [Channel; 10] = [
        Channel::InPerson,
        Channel::Phone,
        Channel::Email,
        Channel::Chat,
        Channel::Web,
        Channel::SocialMedia,
        Channel::SelfService,
        Channel::MobileApp,
        Channel::Video,
        Channel::Sms,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::InPerson => "in_person",
            Channel::Phone => "phone",
            Channel::Email => "email",
            Channel::Chat => "chat",
            Channel::Web => "web",
            Channel::SocialMedia => "social_media",
            Channel::SelfService => "self_service",
            Channel::MobileApp => "mobile_app",
            Channel::Video => "video",
            Channel::Sms => "sms",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// The SERVQUAL dimension a standard measures.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    /// Physical facilities, equipment, appearance of personnel.
    Tangibles,
    /// Performing the promised service dependably and accurately.
    Reliability,
    /// Willingness to help customers and provide prompt service.
    Responsiveness,
    /// Knowledge and courtesy of staff and their ability to inspire trust.
    Assurance,
    /// Caring, individualized attention.
    Empathy,
}

/// A written service standard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Standard {
    /// Unique within the book, e.g. `GRT-01`.
    #[schema(value_type = Code)]
    pub code: String,
    /// What staff must do.
    #[schema(value_type = LongText)]
    pub text: String,
    pub dimension: Dimension,
    /// Channels the standard applies to (at least one, each once).
    #[schema(schema_with = channel_set)]
    pub channels: Vec<Channel>,
    /// Share of observations that must comply, 0 to 1 (e.g. 0.9).
    #[schema(minimum = 0.0, maximum = 1.0)]
    pub target: f64,
    /// Relative importance, > 0 (default 1).
    #[serde(default = "one")]
    #[schema(exclusive_minimum = 0.0, default = 1.0)]
    pub weight: f64,
    /// An optional measurable norm, e.g. "greet within 30 seconds".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<LongText>)]
    pub norm: Option<String>,
}

/// A set of channels: at least one, each once.
pub fn channel_set() -> utoipa::openapi::schema::ArrayBuilder {
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(utoipa::openapi::Ref::from_schema_name("Channel"))
        .min_items(Some(1))
        .unique_items(true)
}

fn one() -> f64 {
    1.0
}

/// One step of a protocol, linked to the standards it carries out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProtocolStep {
    #[schema(value_type = LongText)]
    pub text: String,
    /// Codes of the book's standards this step carries out (at least one).
    #[schema(value_type = Vec<Code>, min_items = 1)]
    pub standards: Vec<String>,
}

/// A procedure for a specific situation (greeting and seating a visitor, transferring an anxious
/// caller, …): ordered steps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Protocol {
    #[schema(value_type = Name)]
    pub name: String,
    #[schema(value_type = LongText)]
    pub situation: String,
    /// In order (at least one).
    #[schema(min_items = 1)]
    pub steps: Vec<ProtocolStep>,
}

/// Everything a standards book version says.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BookContent {
    /// How the company treats customers, in 8 to 12 short statements.
    #[serde(default)]
    #[schema(value_type = Vec<LongText>)]
    pub principles: Vec<String>,
    #[serde(default)]
    pub standards: Vec<Standard>,
    #[serde(default)]
    pub protocols: Vec<Protocol>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VersionStatus {
    /// Editable.
    Draft,
    /// Immutable; checklists may pin it.
    Published,
}

/// A book's name and content: what creating a book, editing its draft and importing take.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookInput {
    #[schema(value_type = Name)]
    pub name: String,
    /// How the company treats customers, in 8 to 12 short statements (others draw a warning).
    #[serde(default)]
    #[schema(value_type = Vec<LongText>)]
    pub principles: Vec<String>,
    #[serde(default)]
    pub standards: Vec<Standard>,
    #[serde(default)]
    pub protocols: Vec<Protocol>,
}

impl BookInput {
    pub fn into_parts(self) -> (String, BookContent) {
        (
            self.name,
            BookContent {
                principles: self.principles,
                standards: self.standards,
                protocols: self.protocols,
            },
        )
    }
}

/// One version of a standards book, whole.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BookVersion {
    /// The version's own id: what checklists pin.
    pub id: uuid::Uuid,
    pub book_id: uuid::Uuid,
    pub name: String,
    /// 1, 2, 3, … per book.
    pub version: i32,
    pub status: VersionStatus,
    /// Changes with every edit of a draft; the `ETag` carries it.
    pub revision: i32,
    #[serde(flatten)]
    pub content: BookContent,
    /// Advice that does not block publishing (e.g. the number of principles).
    pub warnings: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
}

/// A version as listed.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VersionSummary {
    pub id: uuid::Uuid,
    pub version: i32,
    pub status: VersionStatus,
    pub published_at: Option<DateTime<Utc>>,
}

/// A book and its versions.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Book {
    pub id: uuid::Uuid,
    pub name: String,
    /// Newest first.
    pub versions: Vec<VersionSummary>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BookList {
    pub items: Vec<Book>,
    pub next_cursor: Option<String>,
}

/// A book version as a portable document, for export and import.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookDocument {
    /// Always `shopgap.standards_book/v1`.
    #[schema(pattern = r"^shopgap\.standards_book/v1$")]
    pub format: String,
    #[schema(value_type = Name)]
    pub name: String,
    #[schema(value_type = Vec<LongText>)]
    pub principles: Vec<String>,
    pub standards: Vec<Standard>,
    pub protocols: Vec<Protocol>,
}

impl BookDocument {
    pub fn new(name: String, content: BookContent) -> Self {
        BookDocument {
            format: BOOK_FORMAT.into(),
            name,
            principles: content.principles,
            standards: content.standards,
            protocols: content.protocols,
        }
    }

    pub fn into_input(self) -> BookInput {
        BookInput {
            name: self.name,
            principles: self.principles,
            standards: self.standards,
            protocols: self.protocols,
        }
    }
}

pub const BOOK_FORMAT: &str = "shopgap.standards_book/v1";

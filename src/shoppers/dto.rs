use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::contract::types::{Code, Label, LanguageTag};

use crate::locations::dto::Segment;

/// A location where the shopper is known to staff: they are never sent there.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Exclusion {
    pub location_id: uuid::Uuid,
    pub location_code: String,
    pub location_name: String,
    pub reason: Option<String>,
    /// Who recorded it (the shopper themself or a manager).
    pub created_by: Option<uuid::Uuid>,
    pub created_at: DateTime<Utc>,
}

/// What the program knows about a shopper for planning.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ShopperProfile {
    pub user_id: uuid::Uuid,
    pub display_name: String,
    pub home_region: Option<String>,
    /// Languages the shopper can shop in (e.g. `de`, `en`, `pt-BR`).
    pub languages: Vec<String>,
    /// Customer segments the shopper can credibly play.
    pub segments: Vec<Segment>,
    pub exclusions: Vec<Exclusion>,
    /// Increases with every change; the `ETag` carries it (0 before the first save).
    pub version: i32,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProfile {
    #[schema(value_type = Option<Label>)]
    pub home_region: Option<String>,
    /// Languages the shopper can work in (at most 20), e.g. `de`, `en-GB`, `fa`.
    #[serde(default)]
    #[schema(value_type = Vec<LanguageTag>, max_items = 20)]
    pub languages: Vec<String>,
    #[serde(default)]
    pub segments: Vec<Segment>,
}

/// Names a location by id or by code (shoppers know codes from the job board).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddExclusion {
    pub location_id: Option<uuid::Uuid>,
    #[schema(value_type = Option<Code>)]
    pub location_code: Option<String>,
    /// Why (e.g. "my cousin works there"), at most 500 characters.
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}

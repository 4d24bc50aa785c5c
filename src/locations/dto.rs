use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::contract::types::{Code, Label, Name};
use crate::error::FieldError;
use crate::standards::dto::{channel_set, Channel};

/// Business or consumer customers: they expect different things.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Segment {
    B2c,
    B2b,
}

impl Segment {
    pub fn as_str(self) -> &'static str {
        match self {
            Segment::B2c => "b2c",
            Segment::B2b => "b2b",
        }
    }

    pub fn parse(s: &str) -> Option<Segment> {
        match s {
            "b2c" => Some(Segment::B2c),
            "b2b" => Some(Segment::B2b),
            _ => None,
        }
    }
}

/// A place (branch, store, call centre) whose service is shopped.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Location {
    pub id: uuid::Uuid,
    /// Unique within the organization.
    pub code: String,
    pub name: String,
    pub region: String,
    pub segment: Segment,
    pub address: String,
    pub latitude: f64,
    pub longitude: f64,
    /// Check-ins farther than this from the location are flagged.
    pub geofence_radius_m: i32,
    /// IANA time zone, e.g. `Europe/Berlin`: a visit counts for its local date here.
    pub time_zone: String,
    pub channels: Vec<Channel>,
    pub active: bool,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new location. `geofence_radius_m` defaults to the organization's setting.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateLocation {
    /// Unique within the organization, e.g. `BER-01`.
    #[schema(value_type = Code)]
    pub code: String,
    #[schema(value_type = Name)]
    pub name: String,
    #[schema(value_type = Label)]
    pub region: String,
    pub segment: Segment,
    #[serde(default)]
    #[schema(max_length = 500)]
    pub address: String,
    #[schema(minimum = -90.0, maximum = 90.0)]
    pub latitude: f64,
    #[schema(minimum = -180.0, maximum = 180.0)]
    pub longitude: f64,
    /// Metres, 10 to 100,000 (default: the organization's setting).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 10, maximum = 100_000)]
    pub geofence_radius_m: Option<i32>,
    /// An IANA time zone such as `Europe/Berlin` (a name the server's time-zone database
    /// knows).
    #[schema(min_length = 1, max_length = 64)]
    pub time_zone: String,
    /// Channels the location serves (at least one, each once).
    #[schema(schema_with = channel_set)]
    pub channels: Vec<Channel>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
}

/// A partial update: only the fields present change.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateLocation {
    #[schema(value_type = Option<Code>)]
    pub code: Option<String>,
    #[schema(value_type = Option<Name>)]
    pub name: Option<String>,
    #[schema(value_type = Option<Label>)]
    pub region: Option<String>,
    pub segment: Option<Segment>,
    #[schema(max_length = 500)]
    pub address: Option<String>,
    #[schema(minimum = -90.0, maximum = 90.0)]
    pub latitude: Option<f64>,
    #[schema(minimum = -180.0, maximum = 180.0)]
    pub longitude: Option<f64>,
    #[schema(minimum = 10, maximum = 100_000)]
    pub geofence_radius_m: Option<i32>,
    #[schema(min_length = 1, max_length = 64)]
    pub time_zone: Option<String>,
    #[schema(schema_with = channel_set)]
    pub channels: Option<Vec<Channel>>,
    pub active: Option<bool>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LocationList {
    pub items: Vec<Location>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LocationFilter {
    pub region: Option<String>,
    pub segment: Option<Segment>,
    /// Locations that serve this channel.
    pub channel: Option<Channel>,
    /// Case-insensitive text in the code, name or address.
    pub q: Option<String>,
    pub active: Option<bool>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportOptions {
    /// Keep the valid rows even when others have errors (default: all or nothing).
    pub partial: Option<bool>,
}

/// What a CSV import did. Row numbers count data rows from 1 (the header is row 0).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LocationImportReport {
    pub created: usize,
    /// Problems by row (`rows[3].latitude`); the rows named were not imported.
    pub errors: Vec<FieldError>,
}

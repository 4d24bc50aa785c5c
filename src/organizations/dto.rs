use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::contract::types::Name;

use super::model::OrganizationRow;

/// An organization (tenant) and the settings its program runs by.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Organization {
    pub id: uuid::Uuid,
    pub name: String,
    pub settings: OrganizationSettings,
    /// Increases with every change; the `ETag` carries it.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrganizationSettings {
    /// Days after a shop during which the same shopper may not shop the same location again.
    pub cooldown_days: i32,
    /// Assignments a shopper may hold at once (assigned or accepted).
    pub max_active_assignments: i32,
    /// Visits a gap needs before reports call it reliable.
    pub min_sample_size: i32,
    /// Default geofence radius of new locations, in metres.
    pub geofence_radius_m: i32,
    /// Whether shoppers see the scores of their own approved shops.
    pub shoppers_see_scores: bool,
    /// The default cap on a shop's reimbursements, in the minor unit of the shop's currency
    /// (cents): copied onto each assignment planned without a cap of its own.
    pub reimbursement_cap_minor: i64,
}

impl From<OrganizationRow> for Organization {
    fn from(row: OrganizationRow) -> Self {
        Organization {
            id: row.id.parse().unwrap_or_default(),
            name: row.name,
            settings: OrganizationSettings {
                cooldown_days: row.cooldown_days,
                max_active_assignments: row.max_active_assignments,
                min_sample_size: row.min_sample_size,
                geofence_radius_m: row.geofence_radius_m,
                shoppers_see_scores: row.shoppers_see_scores,
                reimbursement_cap_minor: row.reimbursement_cap_minor,
            },
            version: row.version,
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
        }
    }
}

/// A partial update: only the fields present change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOrganization {
    #[schema(value_type = Option<Name>)]
    pub name: Option<String>,
    #[schema(minimum = 0, maximum = 3650)]
    pub cooldown_days: Option<i32>,
    #[schema(minimum = 1, maximum = 1000)]
    pub max_active_assignments: Option<i32>,
    #[schema(minimum = 1, maximum = 100000)]
    pub min_sample_size: Option<i32>,
    #[schema(minimum = 10, maximum = 100000)]
    pub geofence_radius_m: Option<i32>,
    pub shoppers_see_scores: Option<bool>,
    #[schema(minimum = 0, maximum = 100000000)]
    pub reimbursement_cap_minor: Option<i64>,
}

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::organizations;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = organizations)]
pub struct OrganizationRow {
    pub id: String,
    pub name: String,
    pub cooldown_days: i32,
    pub max_active_assignments: i32,
    pub min_sample_size: i32,
    pub geofence_radius_m: i32,
    pub shoppers_see_scores: bool,
    /// Default cap on a shop's reimbursements, in the minor unit of the shop's currency.
    pub reimbursement_cap_minor: i64,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Settings a PATCH may change; `None` leaves the column as it is.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = organizations)]
pub struct OrganizationChanges {
    pub name: Option<String>,
    pub cooldown_days: Option<i32>,
    pub max_active_assignments: Option<i32>,
    pub min_sample_size: Option<i32>,
    pub geofence_radius_m: Option<i32>,
    pub shoppers_see_scores: Option<bool>,
    pub reimbursement_cap_minor: Option<i64>,
}

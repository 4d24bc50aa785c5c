use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{shopper_exclusions, shopper_profiles};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = shopper_profiles)]
pub struct ProfileRow {
    pub user_id: String,
    pub organization_id: String,
    pub home_region: Option<String>,
    /// JSON arrays.
    pub languages: String,
    pub segments: String,
    pub version: i32,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = shopper_exclusions)]
pub struct ExclusionRow {
    pub shopper_id: String,
    pub location_id: String,
    pub organization_id: String,
    pub reason: Option<String>,
    pub created_by: Option<String>,
    pub created_at: NaiveDateTime,
}

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{assignment_events, assignments};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = assignments)]
pub struct AssignmentRow {
    pub id: String,
    pub organization_id: String,
    pub location_id: String,
    pub checklist_version_id: String,
    pub channel: String,
    pub segment: String,
    pub scenario: String,
    pub window_start: NaiveDateTime,
    pub window_end: NaiveDateTime,
    pub fee_cents: i64,
    pub currency: String,
    pub shopper_id: Option<String>,
    pub status: String,
    pub wave_id: Option<String>,
    pub version: i32,
    pub created_by: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub submitted_at: Option<NaiveDateTime>,
    pub check_in_at: Option<NaiveDateTime>,
    pub check_in_latitude: Option<f64>,
    pub check_in_longitude: Option<f64>,
    pub check_in_accuracy_m: Option<f64>,
    pub check_in_device_time: Option<NaiveDateTime>,
    pub check_in_distance_m: Option<f64>,
    /// The most its reimbursements may total, in the currency's minor unit.
    pub reimbursement_cap_minor: i64,
    /// A certification (quiz) the job requires beyond its checklist's.
    pub required_quiz_id: Option<String>,
    /// The other half of a double shop (two shoppers on the same location, checklist and day).
    pub partner_assignment_id: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = assignment_events)]
pub struct EventRow {
    pub id: String,
    pub assignment_id: String,
    pub organization_id: String,
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub actor_id: Option<String>,
    pub shopper_id: Option<String>,
    pub reason: Option<String>,
    pub at: NaiveDateTime,
}

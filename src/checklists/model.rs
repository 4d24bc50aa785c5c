use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::checklist_versions;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = checklist_versions)]
pub struct ChecklistVersionRow {
    pub id: String,
    pub checklist_id: String,
    pub organization_id: String,
    pub version: i32,
    pub status: String,
    pub revision: i32,
    pub name: String,
    /// The published standards-book version the checklist is pinned to.
    pub book_version_id: String,
    pub channel: String,
    /// `ChecklistContent` as JSON.
    pub content: String,
    pub created_by: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub published_at: Option<NaiveDateTime>,
    pub published_by: Option<String>,
}

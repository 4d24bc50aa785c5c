use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::standards_book_versions;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = standards_book_versions)]
pub struct BookVersionRow {
    pub id: String,
    pub book_id: String,
    pub organization_id: String,
    pub version: i32,
    pub status: String,
    pub revision: i32,
    pub name: String,
    /// `BookContent` as JSON.
    pub content: String,
    /// SHA-256 of the exported document: finds an identical published version on import.
    pub content_hash: String,
    pub created_by: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub published_at: Option<NaiveDateTime>,
    pub published_by: Option<String>,
}

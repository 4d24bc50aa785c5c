use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::survey_instrument_versions;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = survey_instrument_versions)]
pub struct InstrumentVersionRow {
    pub id: String,
    pub instrument_id: String,
    pub organization_id: String,
    pub version: i32,
    pub status: String,
    pub revision: i32,
    pub name: String,
    /// The published standards-book version the items' standard codes belong to.
    pub book_version_id: String,
    pub audience: String,
    /// `InstrumentContent` as JSON.
    pub content: String,
    pub created_by: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub published_at: Option<NaiveDateTime>,
    pub published_by: Option<String>,
}

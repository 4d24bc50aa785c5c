//! Evidence attachments (photos, receipts, audio, PDF): uploaded per file under an id the phone
//! chooses (retries are safe), checked against an allow-list by the bytes' signature as well as
//! the declared type, size-limited, SHA-256 recorded, stored through `object_store`.

pub mod handlers;
pub mod rules;
pub mod storage;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::checklists::dto::EvidenceKind;
use crate::db::schema::attachments;
use crate::db::DbConn;
use crate::error::ApiResult;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = attachments)]
pub struct AttachmentRow {
    pub id: String,
    pub organization_id: String,
    pub submission_id: String,
    pub shopper_id: String,
    pub item_key: Option<String>,
    pub kind: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub object_path: String,
    pub created_at: NaiveDateTime,
    /// Images: how their analysis stands (see `photos::service`); `None` for other files.
    pub analysis: Option<String>,
    pub analysis_note: Option<String>,
    pub perceptual_hash: Option<i64>,
    /// The Exif capture time, in UTC.
    pub captured_at: Option<NaiveDateTime>,
}

/// An attachment of `org_id`. Ids are the phone's and unique per organization only, so the
/// organization is part of the key: another organization's id is simply not there.
pub fn find(conn: &mut DbConn, org_id: &str, id: &str) -> ApiResult<Option<AttachmentRow>> {
    Ok(attachments::table
        .find((org_id, id))
        .select(AttachmentRow::as_select())
        .get_result::<AttachmentRow>(conn)
        .optional()?)
}

pub fn insert(conn: &mut DbConn, row: &AttachmentRow) -> ApiResult<()> {
    diesel::insert_into(attachments::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn of_submission(conn: &mut DbConn, submission_id: &str) -> ApiResult<Vec<AttachmentRow>> {
    let query = attachments::table
        .filter(attachments::submission_id.eq(submission_id))
        .order(attachments::created_at.asc());
    // On the backend's own connection: read by every submission (see `per_backend!`).
    Ok(crate::per_backend!(conn, |c| query
        .select(AttachmentRow::as_select())
        .load(c))?)
}

/// The evidence kinds attached to each item of a submission (its attachments, as
/// [`of_submission`] reads them), for validation.
pub fn evidence_by_item(
    rows: &[AttachmentRow],
) -> std::collections::HashMap<String, Vec<EvidenceKind>> {
    let mut map: std::collections::HashMap<String, Vec<EvidenceKind>> =
        std::collections::HashMap::new();
    for row in rows {
        if let (Some(key), Ok(kind)) = (
            row.item_key.clone(),
            serde_json::from_value::<EvidenceKind>(serde_json::Value::String(row.kind.clone())),
        ) {
            map.entry(key).or_default().push(kind);
        }
    }
    map
}

pub fn routes(cfg: &mut crate::app::Routes) {
    cfg.service(handlers::upload_evidence)
        .service(handlers::download_evidence);
}

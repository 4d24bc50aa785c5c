use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::InstrumentVersionRow;
use crate::db::schema::survey_instrument_versions as versions;
use crate::db::DbConn;
use crate::error::{ApiError, ApiResult};

/// (instrument id, version id, version, status, audience, published_at), newest first.
pub type VersionSummaryRow = (String, String, i32, String, String, Option<NaiveDateTime>);

pub fn version_summaries(
    conn: &mut DbConn,
    instrument_ids: &[String],
) -> ApiResult<Vec<VersionSummaryRow>> {
    Ok(versions::table
        .filter(versions::instrument_id.eq_any(instrument_ids))
        .select((
            versions::instrument_id,
            versions::id,
            versions::version,
            versions::status,
            versions::audience,
            versions::published_at,
        ))
        .order((versions::instrument_id.asc(), versions::version.desc()))
        .load(conn)?)
}

pub fn find_version(
    conn: &mut DbConn,
    org_id: &str,
    instrument_id: &str,
    version: i32,
) -> ApiResult<InstrumentVersionRow> {
    versions::table
        .filter(versions::organization_id.eq(org_id))
        .filter(versions::instrument_id.eq(instrument_id))
        .filter(versions::version.eq(version))
        .select(InstrumentVersionRow::as_select())
        .get_result(conn)
        .optional()?
        .ok_or_else(|| ApiError::NotFound("no such version of this survey instrument".into()))
}

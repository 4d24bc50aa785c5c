//! Recording, listing, replacing and withdrawing promises, inside the caller's transaction.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::dto::{Promise, PromiseFilter, PromiseInput, PromiseSource};
use super::rules::{self, Validity};
use crate::db::schema::promises;
use crate::db::DbConn;
use crate::error::{ApiError, ApiResult};
use crate::standards::dto::Channel;
use crate::validation::reject_if_any;
use crate::versioning::check_revision;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = promises, treat_none_as_null = true)]
struct Row {
    id: String,
    organization_id: String,
    standard_code: String,
    text: String,
    source: String,
    /// A JSON array of channel names.
    channels: String,
    valid_from: NaiveDate,
    valid_to: Option<NaiveDate>,
    promised_level: f64,
    revision: i32,
    created_by: Option<String>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

fn to_dto(row: Row) -> ApiResult<Promise> {
    Ok(Promise {
        id: row.id.parse().map_err(ApiError::internal)?,
        standard: row.standard_code,
        text: row.text,
        source: PromiseSource::parse(&row.source)
            .ok_or_else(|| ApiError::internal("unknown promise source stored"))?,
        channels: serde_json::from_str(&row.channels).map_err(ApiError::internal)?,
        valid_from: row.valid_from,
        valid_to: row.valid_to,
        promised_level: row.promised_level,
        revision: row.revision,
        created_at: row.created_at.and_utc(),
        updated_at: row.updated_at.and_utc(),
    })
}

fn check(conn: &mut DbConn, org: &str, input: &PromiseInput) -> ApiResult<()> {
    let known = crate::reports::service::standards_of(conn, org)?.contains_key(&input.standard);
    reject_if_any(rules::validate(input, known))
}

fn find_row(conn: &mut DbConn, org: &str, id: &str) -> ApiResult<Row> {
    promises::table
        .filter(promises::id.eq(id))
        .filter(promises::organization_id.eq(org))
        .select(Row::as_select())
        .get_result(conn)
        .optional()?
        .ok_or_else(|| ApiError::NotFound("no such promise".into()))
}

pub fn create(
    conn: &mut DbConn,
    org: &str,
    by: Option<&str>,
    input: PromiseInput,
    now: NaiveDateTime,
) -> ApiResult<Promise> {
    check(conn, org, &input)?;
    let row = Row {
        id: uuid::Uuid::now_v7().to_string(),
        organization_id: org.to_string(),
        standard_code: input.standard,
        text: input.text,
        source: input.source.as_str().to_string(),
        channels: serde_json::to_string(&input.channels).map_err(ApiError::internal)?,
        valid_from: input.valid_from,
        valid_to: input.valid_to,
        promised_level: input.promised_level,
        revision: 1,
        created_by: by.map(str::to_string),
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(promises::table)
        .values(&row)
        .execute(conn)?;
    to_dto(row)
}

pub fn find(conn: &mut DbConn, org: &str, id: &str) -> ApiResult<Promise> {
    to_dto(find_row(conn, org, id)?)
}

/// Replaces a promise's content (`expected`, from `If-Match`, must be its revision).
pub fn replace(
    conn: &mut DbConn,
    org: &str,
    id: &str,
    input: PromiseInput,
    expected: Option<i32>,
    now: NaiveDateTime,
) -> ApiResult<Promise> {
    let current = find_row(conn, org, id)?;
    check_revision(expected, current.revision)?;
    check(conn, org, &input)?;
    let row = Row {
        standard_code: input.standard,
        text: input.text,
        source: input.source.as_str().to_string(),
        channels: serde_json::to_string(&input.channels).map_err(ApiError::internal)?,
        valid_from: input.valid_from,
        valid_to: input.valid_to,
        promised_level: input.promised_level,
        revision: current.revision + 1,
        updated_at: now,
        ..current.clone()
    };
    let n = diesel::update(
        promises::table
            .filter(promises::id.eq(&current.id))
            .filter(promises::revision.eq(current.revision)),
    )
    .set(&row)
    .execute(conn)?;
    if n != 1 {
        return Err(ApiError::PreconditionFailed(
            "the promise changed while saving".into(),
        ));
    }
    to_dto(row)
}

pub fn delete(conn: &mut DbConn, org: &str, id: &str) -> ApiResult<()> {
    let n = diesel::delete(
        promises::table
            .filter(promises::id.eq(id))
            .filter(promises::organization_id.eq(org)),
    )
    .execute(conn)?;
    if n == 0 {
        return Err(ApiError::NotFound("no such promise".into()));
    }
    Ok(())
}

/// One page in id order, with one more than `limit` when there are more.
pub fn list(
    conn: &mut DbConn,
    org: &str,
    filter: &PromiseFilter,
    after: Option<&str>,
    limit: i64,
) -> ApiResult<Vec<Promise>> {
    let mut query = promises::table
        .filter(promises::organization_id.eq(org))
        .select(Row::as_select())
        .order(promises::id.asc())
        .limit(limit + 1)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(promises::id.gt(after.to_string()));
    }
    if let Some(code) = &filter.standard {
        query = query.filter(promises::standard_code.eq(code.clone()));
    }
    if let Some(day) = filter.valid_on {
        query = query
            .filter(promises::valid_from.le(day))
            .filter(promises::valid_to.is_null().or(promises::valid_to.ge(day)));
    }
    query.load(conn)?.into_iter().map(to_dto).collect()
}

/// The validity of every promise of the organization, by standard code (for gap 4).
pub fn validities(
    conn: &mut DbConn,
    org: &str,
) -> ApiResult<std::collections::HashMap<String, Vec<Validity>>> {
    let rows: Vec<(String, String, NaiveDate, Option<NaiveDate>, f64)> = promises::table
        .filter(promises::organization_id.eq(org))
        .select((
            promises::standard_code,
            promises::channels,
            promises::valid_from,
            promises::valid_to,
            promises::promised_level,
        ))
        .load(conn)?;
    let mut out: std::collections::HashMap<String, Vec<Validity>> = Default::default();
    for (code, channels, valid_from, valid_to, promised_level) in rows {
        let channels: Vec<Channel> = serde_json::from_str(&channels).map_err(ApiError::internal)?;
        out.entry(code).or_default().push(Validity {
            valid_from,
            valid_to,
            channels,
            promised_level,
        });
    }
    Ok(out)
}

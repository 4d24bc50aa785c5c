//! Recording survey responses and keeping their roll-ups, inside the caller's transaction.
//! A response is added to `survey_rollups` in the same transaction that stores it, so the
//! five-gaps report never reads responses; `rebuild` recomputes the roll-ups from the
//! responses and gives the same table (the sums are integers, see `responses`).

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::dto::{Audience, InstrumentContent};
use super::responses::{self, Answers, Contribution};
use crate::auth::tokens::sha256_hex;
use crate::db::schema::{survey_responses, survey_rollups};
use crate::db::DbConn;
use crate::error::{ApiError, ApiResult};
use crate::events::dto::{EventType, SurveyResponseEventData};
use crate::events::outbox;
use crate::standards::dto::BookContent;
use crate::standards::dto::Channel;

/// Where and when a response belongs (the roll-up cell, less the subject).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    pub organization_id: String,
    pub audience: Audience,
    /// '' for a management response about a region or the organization.
    pub location_id: String,
    /// '' for a management response about the organization.
    pub region: String,
    /// '' for a management response.
    pub segment: String,
    /// '' for a management response.
    pub channel: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
}

/// A response to store.
#[derive(Debug, Clone)]
pub struct NewResponse {
    pub id: String,
    pub cell: Cell,
    pub instrument_version_id: String,
    pub link_id: Option<String>,
    pub invitation_id: Option<String>,
    pub respondent_id: Option<String>,
    pub language: String,
    pub answers: Answers,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = survey_responses)]
struct ResponseRow {
    id: String,
    organization_id: String,
    audience: String,
    instrument_version_id: String,
    link_id: Option<String>,
    invitation_id: Option<String>,
    respondent_id: Option<String>,
    location_id: String,
    region: String,
    segment: String,
    channel: String,
    period_start: NaiveDate,
    period_end: NaiveDate,
    language: String,
    answers: String,
    fingerprint: String,
    flags: String,
    received_at: NaiveDateTime,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Insertable, Queryable, Selectable)]
#[diesel(table_name = survey_rollups)]
pub struct RollupRow {
    pub organization_id: String,
    pub audience: String,
    /// `day` and `month` (customer responses are counted in both), `span` (a management answer
    /// over its period).
    pub grain: String,
    pub subject_key: String,
    pub location_id: String,
    pub region: String,
    pub segment: String,
    pub channel: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub responses: i64,
    pub n_expectation: i64,
    pub sum_expectation: i64,
    pub sumsq_expectation: i64,
    pub n_perception: i64,
    pub sum_perception: i64,
    pub sumsq_perception: i64,
    pub n_difference: i64,
    pub sum_difference: i64,
    pub sumsq_difference: i64,
}

/// What storing a response did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored {
    /// Stored now, with these flags.
    New { flags: Vec<String> },
    /// The same response was stored before (a resend): nothing changed.
    Replayed { flags: Vec<String> },
}

/// The month `day` falls in: its first and last day.
pub fn month_of(day: NaiveDate) -> (NaiveDate, NaiveDate) {
    let first = day.with_day(1).unwrap_or(day);
    let next = first
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(NaiveDate::MAX);
    (first, next.pred_opt().unwrap_or(first))
}

/// The whole months within `[from, to]`, as one span (first day of the first, last day of the
/// last), or `None` when no month lies wholly inside.
pub fn whole_months(from: NaiveDate, to: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
    let (first_start, _) = month_of(from);
    let start = if first_start == from {
        from
    } else {
        month_of(from).1.succ_opt()?
    };
    let (_, last_end) = month_of(to);
    let end = if last_end == to {
        to
    } else {
        month_of(to).0.pred_opt()?
    };
    (start <= end).then_some((start, end))
}

/// A response's roll-up rows for one subject: a customer's in its day's cell and its month's
/// (reports read month cells for whole months, day cells for the rest, so their work does not
/// grow with the days they span); a management answer's in its period's.
fn rows_of(cell: &Cell, c: &Contribution) -> Vec<RollupRow> {
    let row = row_of(cell, c);
    match cell.audience {
        Audience::Management => vec![RollupRow {
            grain: "span".into(),
            ..row
        }],
        Audience::Customer => {
            let (first, last) = month_of(cell.period_start);
            vec![
                RollupRow {
                    grain: "month".into(),
                    period_start: first,
                    period_end: last,
                    ..row.clone()
                },
                RollupRow {
                    grain: "day".into(),
                    ..row
                },
            ]
        }
    }
}

fn row_of(cell: &Cell, c: &Contribution) -> RollupRow {
    let part = |v: Option<i64>| match v {
        Some(v) => (1, v, v * v),
        None => (0, 0, 0),
    };
    let (n_e, s_e, q_e) = part(c.expectation);
    let (n_p, s_p, q_p) = part(c.perception);
    let (n_d, s_d, q_d) = part(c.difference);
    RollupRow {
        organization_id: cell.organization_id.clone(),
        audience: cell.audience.as_str().to_string(),
        grain: String::new(),
        subject_key: c.subject_key.clone(),
        location_id: cell.location_id.clone(),
        region: cell.region.clone(),
        segment: cell.segment.clone(),
        channel: cell.channel.clone(),
        period_start: cell.period_start,
        period_end: cell.period_end,
        responses: 1.max(c.count),
        n_expectation: n_e,
        sum_expectation: s_e,
        sumsq_expectation: q_e,
        n_perception: n_p,
        sum_perception: s_p,
        sumsq_perception: q_p,
        n_difference: n_d,
        sum_difference: s_d,
        sumsq_difference: q_d,
    }
}

fn add_rows(conn: &mut DbConn, rows: &[RollupRow]) -> ApiResult<()> {
    use diesel::upsert::excluded;
    use survey_rollups::dsl as r;
    for row in rows {
        crate::per_backend!(conn, |c| {
            diesel::insert_into(survey_rollups::table)
                .values(row)
                .on_conflict((
                    r::organization_id,
                    r::audience,
                    r::grain,
                    r::subject_key,
                    r::location_id,
                    r::region,
                    r::segment,
                    r::channel,
                    r::period_start,
                    r::period_end,
                ))
                .do_update()
                .set((
                    r::responses.eq(r::responses + excluded(r::responses)),
                    r::n_expectation.eq(r::n_expectation + excluded(r::n_expectation)),
                    r::sum_expectation.eq(r::sum_expectation + excluded(r::sum_expectation)),
                    r::sumsq_expectation.eq(r::sumsq_expectation + excluded(r::sumsq_expectation)),
                    r::n_perception.eq(r::n_perception + excluded(r::n_perception)),
                    r::sum_perception.eq(r::sum_perception + excluded(r::sum_perception)),
                    r::sumsq_perception.eq(r::sumsq_perception + excluded(r::sumsq_perception)),
                    r::n_difference.eq(r::n_difference + excluded(r::n_difference)),
                    r::sum_difference.eq(r::sum_difference + excluded(r::sum_difference)),
                    r::sumsq_difference.eq(r::sumsq_difference + excluded(r::sumsq_difference)),
                ))
                .execute(c)
        })?;
    }
    Ok(())
}

/// The fingerprint of what a response says (a resend must say the same).
fn fingerprint(response: &NewResponse) -> ApiResult<String> {
    let canonical = serde_json::to_string(&(
        &response.instrument_version_id,
        &response.link_id,
        &response.invitation_id,
        &response.cell.segment,
        response.language.to_ascii_lowercase(),
        &response.answers,
    ))
    .map_err(ApiError::internal)?;
    Ok(sha256_hex(&canonical))
}

/// Stores a checked response and adds it to the roll-ups. A response id seen before answers
/// `Replayed` when it says the same, and 409 when it says something else (or belongs to
/// another survey).
pub fn record(
    conn: &mut DbConn,
    content: &InstrumentContent,
    book: &BookContent,
    response: NewResponse,
    now: NaiveDateTime,
) -> ApiResult<Stored> {
    let print = fingerprint(&response)?;
    let existing: Option<(String, String)> = survey_responses::table
        .filter(survey_responses::id.eq(&response.id))
        .select((survey_responses::fingerprint, survey_responses::flags))
        .get_result(conn)
        .optional()?;
    if let Some((stored, flags)) = existing {
        return if stored == print {
            Ok(Stored::Replayed {
                flags: serde_json::from_str(&flags).map_err(ApiError::internal)?,
            })
        } else {
            Err(ApiError::conflict(
                "a different response was already received under this response id",
            ))
        };
    }
    let flags = responses::flags(&response.answers);
    let row = ResponseRow {
        id: response.id.clone(),
        organization_id: response.cell.organization_id.clone(),
        audience: response.cell.audience.as_str().to_string(),
        instrument_version_id: response.instrument_version_id.clone(),
        link_id: response.link_id.clone(),
        invitation_id: response.invitation_id.clone(),
        respondent_id: response.respondent_id.clone(),
        location_id: response.cell.location_id.clone(),
        region: response.cell.region.clone(),
        segment: response.cell.segment.clone(),
        channel: response.cell.channel.clone(),
        period_start: response.cell.period_start,
        period_end: response.cell.period_end,
        language: response.language.clone(),
        answers: serde_json::to_string(&response.answers).map_err(ApiError::internal)?,
        fingerprint: print,
        flags: serde_json::to_string(&flags).map_err(ApiError::internal)?,
        received_at: now,
    };
    diesel::insert_into(survey_responses::table)
        .values(&row)
        .execute(conn)
        .map_err(|e| match ApiError::from(e) {
            // Two sends of one response at the same moment: the other one stored it.
            ApiError::Conflict { .. } => {
                ApiError::conflict("this response id was being received at the same moment; retry")
            }
            other => other,
        })?;
    let rows: Vec<RollupRow> = responses::contributions(content, book, &response.answers)
        .iter()
        .flat_map(|c| rows_of(&response.cell, c))
        .collect();
    add_rows(conn, &rows)?;
    let cell = &response.cell;
    let uuid = |s: &str| s.parse::<uuid::Uuid>().map_err(ApiError::internal);
    let data = SurveyResponseEventData {
        response_id: uuid(&response.id)?,
        audience: cell.audience,
        instrument_version_id: uuid(&response.instrument_version_id)?,
        location_id: (!cell.location_id.is_empty())
            .then(|| uuid(&cell.location_id))
            .transpose()?,
        region: (!cell.region.is_empty()).then(|| cell.region.clone()),
        channel: Channel::parse(&cell.channel),
        language: response.language.clone(),
        period_from: cell.period_start,
        period_to: cell.period_end,
        flags: flags.clone(),
    };
    outbox::record(
        conn,
        &cell.organization_id,
        EventType::SurveyResponseReceived,
        &data,
        now,
    )?;
    Ok(Stored::New { flags })
}

/// Recomputes the survey roll-ups of an organization (every organization's when `None`) from
/// the stored responses. Returns the responses counted.
pub fn rebuild(conn: &mut DbConn, organization: Option<&str>) -> ApiResult<usize> {
    if let DbConn::Postgres(c) = conn {
        diesel::sql_query("LOCK TABLE survey_rollups IN EXCLUSIVE MODE").execute(c)?;
    }
    let mut query = survey_responses::table
        .select(ResponseRow::as_select())
        .order(survey_responses::id)
        .into_boxed();
    let mut delete = diesel::delete(survey_rollups::table).into_boxed();
    if let Some(org) = organization {
        query = query.filter(survey_responses::organization_id.eq(org.to_string()));
        delete = delete.filter(survey_rollups::organization_id.eq(org.to_string()));
    }
    delete.execute(conn)?;
    let stored: Vec<ResponseRow> = query.load(conn)?;
    let mut instruments: HashMap<String, (InstrumentContent, BookContent)> = HashMap::new();
    type Key = (
        String,
        String,
        String,
        String,
        String,
        String,
        String,
        String,
        NaiveDate,
        NaiveDate,
    );
    let mut totals: BTreeMap<Key, RollupRow> = BTreeMap::new();
    for row in &stored {
        if !instruments.contains_key(&row.instrument_version_id) {
            let loaded = instrument_and_book(conn, &row.instrument_version_id)?;
            instruments.insert(row.instrument_version_id.clone(), loaded);
        }
        let (content, book) = &instruments[&row.instrument_version_id];
        let answers: Answers = serde_json::from_str(&row.answers).map_err(ApiError::internal)?;
        let cell = Cell {
            organization_id: row.organization_id.clone(),
            audience: Audience::parse(&row.audience)
                .ok_or_else(|| ApiError::internal("unknown audience stored"))?,
            location_id: row.location_id.clone(),
            region: row.region.clone(),
            segment: row.segment.clone(),
            channel: row.channel.clone(),
            period_start: row.period_start,
            period_end: row.period_end,
        };
        for r in responses::contributions(content, book, &answers)
            .iter()
            .flat_map(|c| rows_of(&cell, c))
        {
            let key = (
                r.organization_id.clone(),
                r.audience.clone(),
                r.grain.clone(),
                r.subject_key.clone(),
                r.location_id.clone(),
                r.region.clone(),
                r.segment.clone(),
                r.channel.clone(),
                r.period_start,
                r.period_end,
            );
            match totals.entry(key) {
                std::collections::btree_map::Entry::Vacant(slot) => {
                    slot.insert(r);
                }
                std::collections::btree_map::Entry::Occupied(mut slot) => {
                    let total = slot.get_mut();
                    total.responses += r.responses;
                    total.n_expectation += r.n_expectation;
                    total.sum_expectation += r.sum_expectation;
                    total.sumsq_expectation += r.sumsq_expectation;
                    total.n_perception += r.n_perception;
                    total.sum_perception += r.sum_perception;
                    total.sumsq_perception += r.sumsq_perception;
                    total.n_difference += r.n_difference;
                    total.sum_difference += r.sum_difference;
                    total.sumsq_difference += r.sumsq_difference;
                }
            }
        }
    }
    let rows: Vec<RollupRow> = totals.into_values().collect();
    add_rows(conn, &rows)?;
    Ok(stored.len())
}

/// An organization's survey roll-ups in key order (to compare with a rebuild).
pub fn rollups_of(conn: &mut DbConn, org: &str) -> ApiResult<Vec<RollupRow>> {
    use survey_rollups::dsl as r;
    Ok(r::survey_rollups
        .filter(r::organization_id.eq(org))
        .select(RollupRow::as_select())
        .order((
            r::audience,
            r::grain,
            r::subject_key,
            r::location_id,
            r::region,
            r::segment,
            r::channel,
            r::period_start,
            r::period_end,
        ))
        .load(conn)?)
}

/// An instrument version's content and its pinned book.
pub fn instrument_and_book(
    conn: &mut DbConn,
    version_id: &str,
) -> ApiResult<(InstrumentContent, BookContent)> {
    use crate::db::schema::{standards_book_versions as books, survey_instrument_versions as v};
    let (content, book_version_id): (String, String) = v::table
        .filter(v::id.eq(version_id))
        .select((v::content, v::book_version_id))
        .get_result(conn)?;
    let book: String = books::table
        .filter(books::id.eq(book_version_id))
        .select(books::content)
        .get_result(conn)?;
    Ok((
        serde_json::from_str(&content).map_err(ApiError::internal)?,
        serde_json::from_str(&book).map_err(ApiError::internal)?,
    ))
}

/// Summed roll-ups, as the five-gaps report reads them.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Sums {
    pub responses: i64,
    pub n: [i64; 3],
    pub sum: [i64; 3],
    pub sumsq: [i64; 3],
}

impl Sums {
    pub fn add(&mut self, other: &Sums) {
        self.responses += other.responses;
        for i in 0..3 {
            self.n[i] += other.n[i];
            self.sum[i] += other.sum[i];
            self.sumsq[i] += other.sumsq[i];
        }
    }
}

/// Which of a roll-up's three series.
pub const EXPECTATION: usize = 0;
pub const PERCEPTION: usize = 1;
pub const DIFFERENCE: usize = 2;

/// The filters of a five-gaps report, as the roll-ups see them.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub location_ids: Option<Vec<String>>,
    /// The regions of those locations (management answers about a region count for its
    /// locations), or the regions asked for.
    pub regions: Option<Vec<String>>,
    pub segments: Option<Vec<String>>,
    pub channels: Option<Vec<String>>,
}

/// What customer sums are split by besides their subject (a ladder's grouping).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SplitBy {
    #[default]
    Nothing,
    Location,
    Region,
    /// Calendar month `YYYY-MM` of the cell (month cells and the day cells around them).
    Month,
}

/// Sums per subject key, as the database adds them up.
#[derive(Debug, QueryableByName)]
struct SubjectSums {
    #[diesel(sql_type = diesel::sql_types::Text)]
    subject_key: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    split_key: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Date>)]
    cell_start: Option<NaiveDate>,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    responses: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n_expectation: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    sum_expectation: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    sumsq_expectation: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n_perception: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    sum_perception: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    sumsq_perception: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n_difference: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    sum_difference: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    sumsq_difference: i64,
}

/// Summed customer roll-ups per split key and subject key, within the scope: the database adds
/// the cells up (one row per subject and split comes back, however many responses there are;
/// split by month, one per cell start, folded into months here). The split key is empty when
/// nothing splits.
pub fn customer_sums(
    conn: &mut DbConn,
    org: &str,
    scope: &Scope,
    split: SplitBy,
) -> ApiResult<BTreeMap<(String, String), Sums>> {
    use crate::reports::service::{Bind, Sql};
    let (split_column, cell_start) = match split {
        SplitBy::Nothing => ("''", "CAST(NULL AS DATE)"),
        SplitBy::Location => ("location_id", "CAST(NULL AS DATE)"),
        SplitBy::Region => ("region", "CAST(NULL AS DATE)"),
        SplitBy::Month => ("''", "period_start"),
    };
    let mut q = Sql::default();
    q.push(&format!(
        "SELECT subject_key, {split_column} AS split_key, {cell_start} AS cell_start"
    ));
    for column in [
        "responses",
        "n_expectation",
        "sum_expectation",
        "sumsq_expectation",
        "n_perception",
        "sum_perception",
        "sumsq_perception",
        "n_difference",
        "sum_difference",
        "sumsq_difference",
    ] {
        q.push(&format!(", CAST(SUM({column}) AS BIGINT) AS {column}"));
    }
    q.push(" FROM survey_rollups WHERE organization_id = ")
        .bind(Bind::Text(org.to_string()))
        .push(" AND audience = ")
        .bind(Bind::Text(Audience::Customer.as_str().to_string()));
    match (scope.from, scope.to) {
        (Some(from), Some(to)) => match whole_months(from, to) {
            // Month cells for the whole months, day cells for the days around them.
            Some((start, end)) => {
                q.push(" AND ((grain = 'month' AND period_start >= ")
                    .bind(Bind::Date(start))
                    .push(" AND period_end <= ")
                    .bind(Bind::Date(end))
                    .push(") OR (grain = 'day' AND period_start >= ")
                    .bind(Bind::Date(from))
                    .push(" AND period_start <= ")
                    .bind(Bind::Date(to))
                    .push(" AND (period_start < ")
                    .bind(Bind::Date(start))
                    .push(" OR period_start > ")
                    .bind(Bind::Date(end))
                    .push(")))");
            }
            None => {
                q.push(" AND grain = 'day' AND period_start >= ")
                    .bind(Bind::Date(from))
                    .push(" AND period_start <= ")
                    .bind(Bind::Date(to));
            }
        },
        // A report's range always has both ends or neither (`date_range`); all history reads
        // month cells.
        _ => {
            q.push(" AND grain = 'month'");
        }
    }
    let texts = |values: &[String]| {
        values
            .iter()
            .map(|v| Bind::Text(v.clone()))
            .collect::<Vec<_>>()
    };
    if let Some(ids) = &scope.location_ids {
        q.push(" AND ").any("location_id", texts(ids));
    } else if let Some(regions) = &scope.regions {
        q.push(" AND ").any("region", texts(regions));
    }
    if let Some(segments) = &scope.segments {
        q.push(" AND ").any("segment", texts(segments));
    }
    if let Some(channels) = &scope.channels {
        q.push(" AND ").any("channel", texts(channels));
    }
    q.push(" GROUP BY subject_key");
    match split {
        SplitBy::Nothing => {}
        SplitBy::Location | SplitBy::Region => {
            q.push(&format!(", {split_column}"));
        }
        SplitBy::Month => {
            q.push(", period_start");
        }
    }
    let mut out: BTreeMap<(String, String), Sums> = BTreeMap::new();
    for r in q.load::<SubjectSums>(conn)? {
        let split_key = match r.cell_start {
            Some(start) => start.format("%Y-%m").to_string(),
            None => r.split_key,
        };
        out.entry((split_key, r.subject_key))
            .or_default()
            .add(&Sums {
                responses: r.responses,
                n: [r.n_expectation, r.n_perception, r.n_difference],
                sum: [r.sum_expectation, r.sum_perception, r.sum_difference],
                sumsq: [r.sumsq_expectation, r.sumsq_perception, r.sumsq_difference],
            });
    }
    Ok(out)
}

/// Management roll-ups (one per answer and subject) whose periods overlap the scope's.
pub fn management_rows(conn: &mut DbConn, org: &str, scope: &Scope) -> ApiResult<Vec<RollupRow>> {
    use survey_rollups::dsl as r;
    let mut query = r::survey_rollups
        .filter(r::organization_id.eq(org))
        .filter(r::audience.eq(Audience::Management.as_str()))
        .select(RollupRow::as_select())
        .into_boxed();
    if let Some(from) = scope.from {
        query = query.filter(r::period_end.ge(from));
    }
    if let Some(to) = scope.to {
        query = query.filter(r::period_start.le(to));
    }
    Ok(query.load(conn)?)
}

/// Summed management roll-ups per subject key: answers about a scope that contains the
/// report's scope (the organization always; the region of a location; the location itself),
/// for periods that overlap the scope's dates.
pub fn management_sums(rows: &[RollupRow], scope: &Scope) -> BTreeMap<String, Sums> {
    let overlaps = |row: &RollupRow| {
        scope.from.is_none_or(|from| row.period_end >= from)
            && scope.to.is_none_or(|to| row.period_start <= to)
    };
    let contains = |row: &RollupRow| {
        if row.region.is_empty() {
            return true;
        }
        let region_ok = scope
            .regions
            .as_ref()
            .is_some_and(|regions| regions.len() == 1 && regions[0] == row.region);
        if row.location_id.is_empty() {
            return region_ok;
        }
        scope
            .location_ids
            .as_ref()
            .is_some_and(|ids| ids.len() == 1 && ids[0] == row.location_id)
    };
    let mut out: BTreeMap<String, Sums> = BTreeMap::new();
    for row in rows.iter().filter(|r| overlaps(r) && contains(r)) {
        out.entry(row.subject_key.clone()).or_default().add(&Sums {
            responses: row.responses,
            n: [row.n_expectation, row.n_perception, row.n_difference],
            sum: [row.sum_expectation, row.sum_perception, row.sum_difference],
            sumsq: [
                row.sumsq_expectation,
                row.sumsq_perception,
                row.sumsq_difference,
            ],
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn whole_months_are_found_inside_a_range() {
        assert_eq!(
            month_of(d("2026-02-14")),
            (d("2026-02-01"), d("2026-02-28"))
        );
        assert_eq!(
            month_of(d("2024-12-31")),
            (d("2024-12-01"), d("2024-12-31"))
        );
        assert_eq!(
            whole_months(d("2026-01-15"), d("2026-04-10")),
            Some((d("2026-02-01"), d("2026-03-31")))
        );
        assert_eq!(
            whole_months(d("2026-01-01"), d("2026-01-31")),
            Some((d("2026-01-01"), d("2026-01-31")))
        );
        assert_eq!(whole_months(d("2026-01-02"), d("2026-01-31")), None);
        assert_eq!(whole_months(d("2026-01-15"), d("2026-02-10")), None);
        assert_eq!(whole_months(d("2026-03-05"), d("2026-03-05")), None);
    }
}

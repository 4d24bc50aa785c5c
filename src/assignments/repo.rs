use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::dto::AssignmentFilter;
use super::model::{AssignmentRow, EventRow};
use super::rules::Status;
use crate::db::reuse::Reuse;
use crate::db::schema::{assignment_events as events, assignments, locations, shopper_exclusions};
use crate::db::DbConn;
use crate::error::{ApiError, ApiResult};
use crate::per_backend;

/// An assignment with its location's code and name.
pub type AssignmentView = (AssignmentRow, String, String);

pub fn insert_many(conn: &mut DbConn, rows: &[AssignmentRow]) -> ApiResult<()> {
    for chunk in rows.chunks(200) {
        let insert = diesel::insert_into(assignments::table).values(chunk);
        per_backend!(conn, |c| insert.execute(c))?;
    }
    Ok(())
}

pub fn insert_events(conn: &mut DbConn, rows: &[EventRow]) -> ApiResult<()> {
    if let [one] = rows {
        // The common case, kept prepared.
        let insert = diesel::insert_into(events::table).values(one);
        per_backend!(conn, |c| Reuse::new(&insert).execute(c))?;
        return Ok(());
    }
    for chunk in rows.chunks(500) {
        let insert = diesel::insert_into(events::table).values(chunk);
        per_backend!(conn, |c| insert.execute(c))?;
    }
    Ok(())
}

pub fn find(conn: &mut DbConn, org_id: &str, id: &str) -> ApiResult<AssignmentRow> {
    assignments::table
        .filter(assignments::id.eq(id))
        .select(AssignmentRow::as_select())
        .get_result::<AssignmentRow>(conn)
        .optional()?
        .filter(|row| row.organization_id == org_id)
        .ok_or_else(|| ApiError::NotFound("no such assignment".into()))
}

/// An assignment with its location, in one statement (submit reads both).
pub fn find_with_location(
    conn: &mut DbConn,
    org_id: &str,
    id: &str,
) -> ApiResult<(AssignmentRow, crate::locations::model::LocationRow)> {
    let query = assignments::table
        .inner_join(locations::table)
        .filter(assignments::id.eq(id));
    // On the backend's own connection: read by every submission (see `per_backend!`). The
    // selection is typed by backend, so it is written in each.
    let found: Option<(AssignmentRow, crate::locations::model::LocationRow)> =
        per_backend!(conn, |c| query
            .select((
                AssignmentRow::as_select(),
                crate::locations::model::LocationRow::as_select(),
            ))
            .get_result(c))
        .optional()?;
    found
        .filter(|(row, _)| row.organization_id == org_id)
        .ok_or_else(|| ApiError::NotFound("no such assignment".into()))
}

/// Makes `id` the other half of `partner_id`'s double shop.
pub fn set_partner(
    conn: &mut DbConn,
    id: &str,
    partner_id: &str,
    now: NaiveDateTime,
) -> ApiResult<()> {
    diesel::update(assignments::table.find(id))
        .set((
            assignments::partner_assignment_id.eq(partner_id),
            assignments::version.eq(assignments::version + 1),
            assignments::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn view(conn: &mut DbConn, org_id: &str, id: &str) -> ApiResult<AssignmentView> {
    assignments::table
        .inner_join(locations::table)
        .filter(assignments::id.eq(id))
        .select((AssignmentRow::as_select(), locations::code, locations::name))
        .get_result::<AssignmentView>(conn)
        .optional()?
        .filter(|(row, _, _)| row.organization_id == org_id)
        .ok_or_else(|| ApiError::NotFound("no such assignment".into()))
}

/// One page; `only_shopper` limits it to one shopper's assignments.
pub fn list(
    conn: &mut DbConn,
    org_id: &str,
    filter: &AssignmentFilter,
    only_shopper: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> ApiResult<Vec<AssignmentView>> {
    let mut query = assignments::table
        .inner_join(locations::table)
        .filter(assignments::organization_id.eq(org_id))
        .select((AssignmentRow::as_select(), locations::code, locations::name))
        .order(assignments::id.asc())
        .limit(limit + 1)
        .into_boxed();
    if let Some(status) = filter.status {
        query = query.filter(assignments::status.eq(status.as_str()));
    }
    if let Some(location) = filter.location_id {
        query = query.filter(assignments::location_id.eq(location.to_string()));
    }
    if let Some(region) = &filter.region {
        query = query.filter(locations::region.eq(region.clone()));
    }
    if let Some(shopper) = filter.shopper_id {
        query = query.filter(assignments::shopper_id.eq(shopper.to_string()));
    }
    if let Some(wave) = filter.wave_id {
        query = query.filter(assignments::wave_id.eq(wave.to_string()));
    }
    if let Some(from) = filter.window_from {
        query = query.filter(assignments::window_end.ge(from.naive_utc()));
    }
    if let Some(to) = filter.window_to {
        query = query.filter(assignments::window_start.le(to.naive_utc()));
    }
    if let Some(shopper) = only_shopper {
        query = query.filter(assignments::shopper_id.eq(shopper.to_string()));
    }
    if let Some(after) = after {
        query = query.filter(assignments::id.gt(after.to_string()));
    }
    Ok(query.load(conn)?)
}

/// Moves `current` to `to` (with its shopper and window as given) if nobody moved it first.
pub fn save_transition(
    conn: &mut DbConn,
    current: &AssignmentRow,
    next: &AssignmentRow,
) -> ApiResult<bool> {
    let update = diesel::update(
        assignments::table
            .filter(assignments::id.eq(&current.id))
            .filter(assignments::version.eq(current.version)),
    )
    .set((
        assignments::status.eq(&next.status),
        assignments::shopper_id.eq(&next.shopper_id),
        assignments::window_start.eq(next.window_start),
        assignments::window_end.eq(next.window_end),
        assignments::version.eq(current.version + 1),
        assignments::updated_at.eq(next.updated_at),
        assignments::check_in_at.eq(next.check_in_at),
        assignments::check_in_latitude.eq(next.check_in_latitude),
        assignments::check_in_longitude.eq(next.check_in_longitude),
        assignments::check_in_accuracy_m.eq(next.check_in_accuracy_m),
        assignments::check_in_device_time.eq(next.check_in_device_time),
        assignments::check_in_distance_m.eq(next.check_in_distance_m),
        assignments::submitted_at.eq(next.submitted_at),
    ));
    let n = per_backend!(conn, |c| Reuse::new(&update).execute(c))?;
    Ok(n == 1)
}

/// Assignments the shopper holds now (assigned, accepted, returned), except `except`.
pub fn count_active(conn: &mut DbConn, shopper_id: &str, except: Option<&str>) -> ApiResult<i64> {
    let active: Vec<&str> = Status::ALL
        .into_iter()
        .filter(|s| s.is_active())
        .map(Status::as_str)
        .collect();
    let mut query = assignments::table
        .filter(assignments::shopper_id.eq(shopper_id))
        .filter(assignments::status.eq_any(active))
        .into_boxed();
    if let Some(except) = except {
        query = query.filter(assignments::id.ne(except.to_string()));
    }
    Ok(query.count().get_result(conn)?)
}

pub fn last_submission(
    conn: &mut DbConn,
    shopper_id: &str,
    location_id: &str,
) -> ApiResult<Option<NaiveDateTime>> {
    Ok(assignments::table
        .filter(assignments::shopper_id.eq(shopper_id))
        .filter(assignments::location_id.eq(location_id))
        .filter(assignments::submitted_at.is_not_null())
        .select(diesel::dsl::max(assignments::submitted_at))
        .get_result::<Option<NaiveDateTime>>(conn)?)
}

/// Locations where the shopper submitted a shop since `since`.
pub fn recently_shopped(
    conn: &mut DbConn,
    shopper_id: &str,
    since: NaiveDateTime,
) -> ApiResult<Vec<String>> {
    Ok(assignments::table
        .filter(assignments::shopper_id.eq(shopper_id))
        .filter(assignments::submitted_at.ge(since))
        .select(assignments::location_id)
        .distinct()
        .load(conn)?)
}

pub fn is_excluded(conn: &mut DbConn, shopper_id: &str, location_id: &str) -> ApiResult<bool> {
    Ok(shopper_exclusions::table
        .find((shopper_id, location_id))
        .count()
        .get_result::<i64>(conn)?
        > 0)
}

/// An open job with its location's code, name, region, address and position.
pub type JobRow = (AssignmentRow, String, String, String, String, f64, f64);

/// Locations of the organization with open jobs whose window has not ended, except `skip`:
/// (location id, latitude, longitude, open jobs).
/// Jobs a shopper may not see: for want of a certification, those requiring one of `quiz_ids`
/// and those on one of `checklist_version_ids` (whose checklist requires one); and the other
/// halves of double shops the shopper holds or did (`partner_halves`).
#[derive(Debug, Default, Clone)]
pub struct HiddenJobs {
    pub quiz_ids: Vec<String>,
    pub checklist_version_ids: Vec<String>,
    pub partner_halves: Vec<String>,
}

/// What the job board needs to know about a shopper and the organization, read in one statement
/// (seven before, each a round trip on PostgreSQL and a statement prepared afresh on SQLite).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct BoardFacts {
    /// Assignments held (assigned, accepted or returned).
    pub active: i64,
    /// Locations the shopper is excluded from or submitted a shop at since the cooldown began.
    pub skip: Vec<String>,
    /// The other halves of the double shops the shopper holds or did.
    pub partner_halves: Vec<String>,
    /// The quizzes the shopper has passed (a quiz once per pass).
    pub passed_quizzes: Vec<String>,
    /// The organization's quizzes with a published version: (quiz, version, the checklist that
    /// version gates or ""), every published version (`certification::rules::missing_quizzes`
    /// takes the latest).
    pub published_quizzes: Vec<(String, i32, String)>,
    /// When asked for: the organization's active locations with open jobs, from the roll-up the
    /// database keeps on every assignment write (`location_open_jobs`), one row per location
    /// however many jobs are open.
    pub places: Vec<Place>,
}

/// A location with open jobs, as the job board shows it beside each job there.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    pub id: String,
    pub code: String,
    pub name: String,
    pub region: String,
    pub address: String,
    pub latitude: f64,
    pub longitude: f64,
    pub open_jobs: i64,
}

impl Place {
    /// A job here, with the fields the board shows of its location.
    pub fn job(&self, row: AssignmentRow) -> JobRow {
        (
            row,
            self.code.clone(),
            self.name.clone(),
            self.region.clone(),
            self.address.clone(),
            self.latitude,
            self.longitude,
        )
    }
}

#[derive(QueryableByName)]
struct Fact {
    #[diesel(sql_type = diesel::sql_types::Text)]
    kind: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    value: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    detail: String,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    version: i32,
    #[diesel(sql_type = diesel::sql_types::Double)]
    latitude: f64,
    #[diesel(sql_type = diesel::sql_types::Double)]
    longitude: f64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    open_jobs: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    code: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    region: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    address: String,
}

/// The statement of [`board_facts`], with the organization's places or without.
fn board_facts_sql(with_places: bool) -> String {
    let active: Vec<String> = Status::ALL
        .into_iter()
        .filter(|s| s.is_active())
        .map(|s| format!("'{}'", s.as_str()))
        .collect();
    // The first branch types the columns for both backends; the others fill what they lack.
    // Parameters by first appearance ($1, $2, $3): SQLite numbers named ones that way.
    let zeros = "CAST(0 AS DOUBLE PRECISION), CAST(0 AS DOUBLE PRECISION), CAST(0 AS BIGINT), \
                 '', '', '', ''";
    let none = format!("'', 0, {zeros}");
    let mut sql = format!(
        "SELECT 'active' AS kind, CAST(COUNT(*) AS TEXT) AS value, '' AS detail, 0 AS version, \
         CAST(0 AS DOUBLE PRECISION) AS latitude, CAST(0 AS DOUBLE PRECISION) AS longitude, \
         CAST(0 AS BIGINT) AS open_jobs, '' AS code, '' AS name, '' AS region, '' AS address \
         FROM assignments WHERE shopper_id = $1 AND status IN ({active}) \
         UNION ALL SELECT 'skip', location_id, {none} FROM shopper_exclusions \
         WHERE shopper_id = $1 \
         UNION ALL SELECT 'skip', location_id, {none} FROM assignments \
         WHERE shopper_id = $1 AND submitted_at >= $2 \
         UNION ALL SELECT 'partner', partner_assignment_id, {none} FROM assignments \
         WHERE shopper_id = $1 AND partner_assignment_id IS NOT NULL \
         UNION ALL SELECT 'passed', quiz_id, {none} FROM quiz_attempts \
         WHERE shopper_id = $1 AND passed \
         UNION ALL SELECT 'quiz', quiz_id, checklist_id, version, {zeros} \
         FROM quiz_versions WHERE organization_id = $3 AND status = '{published}'",
        active = active.join(", "),
        published = crate::standards::dto::VersionStatus::Published.as_str(),
    );
    if with_places {
        sql.push_str(
            " UNION ALL SELECT 'place', l.id, '', 0, l.latitude, l.longitude, o.open_jobs, \
             l.code, l.name, l.region, l.address FROM location_open_jobs o JOIN locations l ON l.id = o.location_id \
             WHERE o.organization_id = $3 AND o.open_jobs > 0 AND l.active",
        );
    }
    sql
}

pub fn board_facts(
    conn: &mut DbConn,
    org_id: &str,
    shopper_id: &str,
    cooldown_start: NaiveDateTime,
    with_places: bool,
) -> ApiResult<BoardFacts> {
    static SQL: std::sync::LazyLock<[String; 2]> =
        std::sync::LazyLock::new(|| [board_facts_sql(false), board_facts_sql(true)]);
    let query = diesel::sql_query(SQL[usize::from(with_places)].as_str())
        .bind::<diesel::sql_types::Text, _>(shopper_id)
        .bind::<diesel::sql_types::Timestamp, _>(cooldown_start)
        .bind::<diesel::sql_types::Text, _>(org_id);
    // Fixed text, so kept prepared: diesel parses a `sql_query` afresh on every run.
    let facts: Vec<Fact> = per_backend!(conn, |c| Reuse::new(&query).load(c))?;
    let mut out = BoardFacts::default();
    for fact in facts {
        match fact.kind.as_str() {
            "active" => out.active = fact.value.parse().map_err(ApiError::internal)?,
            "skip" => out.skip.push(fact.value),
            "partner" => out.partner_halves.push(fact.value),
            "passed" => out.passed_quizzes.push(fact.value),
            "quiz" => out
                .published_quizzes
                .push((fact.value, fact.version, fact.detail)),
            _ => out.places.push(Place {
                id: fact.value,
                code: fact.code,
                name: fact.name,
                region: fact.region,
                address: fact.address,
                latitude: fact.latitude,
                longitude: fact.longitude,
                open_jobs: fact.open_jobs,
            }),
        }
    }
    out.skip.sort();
    out.skip.dedup();
    Ok(out)
}

/// The filters every open-jobs read shares: open, window not ended, not hidden from the shopper.
/// A hiding filter is written only when it hides something: `x <> ALL('{}')` holds for every
/// row, and with it in the text PostgreSQL's generic plan expected one row and chose to read and
/// sort every open job at the location (25 ms at 1,000), so it planned each board anew instead
/// (a bind of 0.10 ms at 100,000 open jobs against 0.02 with a kept plan); without them the
/// generic plan reads the page from the index and stops.
macro_rules! open_job_filters {
    ($query:expr, $uncertified:expr, $now:expr) => {{
        let mut query = $query
            .filter(assignments::status.eq(Status::Open.as_str()))
            .filter(assignments::window_end.gt($now));
        let hidden: &HiddenJobs = $uncertified;
        if !hidden.quiz_ids.is_empty() {
            query = query.filter(
                assignments::required_quiz_id
                    .is_null()
                    .or(assignments::required_quiz_id.ne_all(hidden.quiz_ids.clone())),
            );
        }
        if !hidden.checklist_version_ids.is_empty() {
            query = query.filter(
                assignments::checklist_version_id.ne_all(hidden.checklist_version_ids.clone()),
            );
        }
        if !hidden.partner_halves.is_empty() {
            query = query.filter(assignments::id.ne_all(hidden.partner_halves.clone()));
        }
        query.order((assignments::window_end.asc(), assignments::id.asc()))
    }};
}

/// Open jobs at `places` (active locations of the organization, from [`board_facts`]), soonest-
/// ending first. No join: the board has the places' fields already, and PostgreSQL's generic
/// plan for the join walked the locations once per job (0.45 of 0.65 ms at 50 jobs).
///
/// The search goes by `assignments_location_open` (location, status, window end), and the tenant
/// is checked on the rows (the rule for lookups by id, see `crate::db`): filtering by
/// organization in SQL would make the organization's index, which walks all its open jobs, a
/// candidate.
pub fn open_jobs_at(
    conn: &mut DbConn,
    org_id: &str,
    places: &[String],
    uncertified: &HiddenJobs,
    now: NaiveDateTime,
    limit: i64,
) -> ApiResult<Vec<AssignmentRow>> {
    let query = open_job_filters!(assignments::table.into_boxed(), uncertified, now)
        .limit(limit)
        .select(AssignmentRow::as_select());
    let query = match places {
        // One location by equality: the index then yields its jobs in the page's order and the
        // read stops at the page. PostgreSQL plans `= ANY(array)` as a scan of every open job
        // there and a sort (at a location with 1,000 open jobs, 1.8 ms against 0.1 ms).
        [id] => query.filter(assignments::location_id.eq(id.clone())),
        ids => query.filter(assignments::location_id.eq_any(ids.to_vec())),
    };
    let rows: Vec<AssignmentRow> = query.load(conn)?;
    Ok(rows
        .into_iter()
        .filter(|row| row.organization_id == org_id)
        .collect())
}

/// Open jobs anywhere in the organization but at `skip`, soonest-ending first, with their
/// locations: by the organization's open jobs, soonest-ending first, stopping at the page.
pub fn open_jobs_anywhere(
    conn: &mut DbConn,
    org_id: &str,
    skip: &[String],
    uncertified: &HiddenJobs,
    now: NaiveDateTime,
    limit: i64,
) -> ApiResult<Vec<JobRow>> {
    let query = open_job_filters!(
        assignments::table.inner_join(locations::table).into_boxed(),
        uncertified,
        now
    )
    .filter(locations::active.eq(true))
    .filter(assignments::organization_id.eq(org_id))
    .filter(assignments::location_id.ne_all(skip.to_vec()))
    .limit(limit)
    .select((
        AssignmentRow::as_select(),
        locations::code,
        locations::name,
        locations::region,
        locations::address,
        locations::latitude,
        locations::longitude,
    ));
    Ok(query.load(conn)?)
}

pub fn events_of(conn: &mut DbConn, assignment_id: &str) -> ApiResult<Vec<EventRow>> {
    Ok(events::table
        .filter(events::assignment_id.eq(assignment_id))
        .order((events::at.asc(), events::id.asc()))
        .select(EventRow::as_select())
        .load(conn)?)
}

/// Assignments whose window ended with nothing submitted (at most `limit`).
pub fn due_for_expiry(
    conn: &mut DbConn,
    now: NaiveDateTime,
    limit: i64,
) -> ApiResult<Vec<AssignmentRow>> {
    let unsubmitted: Vec<&str> = Status::ALL
        .into_iter()
        .filter(|s| s.expires_unsubmitted())
        .map(Status::as_str)
        .collect();
    Ok(assignments::table
        .filter(assignments::status.eq_any(unsubmitted))
        .filter(assignments::window_end.le(now))
        .limit(limit)
        .select(AssignmentRow::as_select())
        .load(conn)?)
}

/// The shopper's assignments changed after `since`, oldest change first (at most `limit`).
pub fn changed_for_shopper(
    conn: &mut DbConn,
    shopper_id: &str,
    since: Option<NaiveDateTime>,
    limit: i64,
) -> ApiResult<Vec<AssignmentView>> {
    let mut query = assignments::table
        .inner_join(locations::table)
        .filter(assignments::shopper_id.eq(shopper_id))
        .select((AssignmentRow::as_select(), locations::code, locations::name))
        .order((assignments::updated_at.asc(), assignments::id.asc()))
        .limit(limit)
        .into_boxed();
    if let Some(since) = since {
        query = query.filter(assignments::updated_at.gt(since));
    }
    Ok(query.load(conn)?)
}

/// Ids of the assignments the shopper holds now (not finished).
pub fn held_ids(conn: &mut DbConn, shopper_id: &str) -> ApiResult<Vec<String>> {
    let held: Vec<&str> = [
        Status::Assigned,
        Status::Accepted,
        Status::Submitted,
        Status::Returned,
    ]
    .into_iter()
    .map(Status::as_str)
    .collect();
    Ok(assignments::table
        .filter(assignments::shopper_id.eq(shopper_id))
        .filter(assignments::status.eq_any(held))
        .order(assignments::id.asc())
        .select(assignments::id)
        .load(conn)?)
}

/// Whether the shopper holds (or held) an assignment on this checklist version.
pub fn shopper_uses_checklist(
    conn: &mut DbConn,
    shopper_id: &str,
    checklist_version_id: &str,
) -> ApiResult<bool> {
    Ok(assignments::table
        .filter(assignments::shopper_id.eq(shopper_id))
        .filter(assignments::checklist_version_id.eq(checklist_version_id))
        .count()
        .get_result::<i64>(conn)?
        > 0)
}

/// Recounts the job board's roll-up of open jobs per location (every organization's when `None`)
/// from the assignments, inside the caller's transaction: `shopgap rebuild-rollups`. The triggers
/// keep it exact on every write; this is for a database edited around them. Returns the locations
/// with open jobs.
pub fn recount_open_jobs(conn: &mut DbConn, organization: Option<&str>) -> ApiResult<usize> {
    if let DbConn::Postgres(c) = conn {
        diesel::sql_query("LOCK TABLE location_open_jobs IN EXCLUSIVE MODE").execute(c)?;
    }
    let org = organization.unwrap_or("");
    diesel::sql_query("DELETE FROM location_open_jobs WHERE $1 = '' OR organization_id = $1")
        .bind::<diesel::sql_types::Text, _>(org)
        .execute(conn)?;
    Ok(diesel::sql_query(
        "INSERT INTO location_open_jobs (location_id, organization_id, open_jobs) \
         SELECT location_id, organization_id, count(*) FROM assignments \
         WHERE status = 'open' AND ($1 = '' OR organization_id = $1) \
         GROUP BY location_id, organization_id",
    )
    .bind::<diesel::sql_types::Text, _>(org)
    .execute(conn)?)
}

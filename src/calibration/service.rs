//! The calibration roll-ups, moved in the transaction that approves a visit (`sign` 1) or takes
//! an approval back (`sign` -1: a late rejection, or before an approved visit is rescored), and
//! the reports read from them.
//!
//! Decisions (PRODUCT.md section 12 leaves them open):
//! - "The same period" is the calendar month of the visit's local start date, as in the gap
//!   roll-ups; a report's range covers the whole months it touches.
//! - Leniency compares compliance per standard, the figure the gap report is built from.
//! - A double shop counts for agreement once both halves are approved and were done on the
//!   same local day; an item counts when both shoppers scored it (neither N/A nor unscored),
//!   and its category is the share of its points (see `rules::category`).

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::upsert::excluded;

use super::dto::{
    AgreementQuery, AgreementReport, CalibrationQuery, CalibrationReport, CalibrationVerdict,
    RaterPair, ShopperCalibration,
};
use super::rules::{agreement, category, differences, leniency, verdict, Moments, Verdict};
use crate::assignments::repo as assignments;
use crate::db::schema::{
    calibration_cells as cells, rater_agreement, rater_pairs, shopper_leniency as lenient,
    submissions, users,
};
use crate::db::{json_rows, DbConn};
use crate::error::{ApiError, ApiResult};
use crate::locations::repo as locations;
use crate::per_backend;
use crate::reports::rollups::local_day;
use crate::reports::rules::Grain;
use crate::scoring::rules::{item_score, ItemOutcome, VisitScore};
use crate::submissions::model::SubmissionRow;
use crate::submissions::service::{effective_answers, scoring_inputs};
use crate::submissions::{repo as submission_repo, rules::to_scoring};

/// Adds an approved visit to the calibration roll-ups (`sign` 1) or takes it away (-1).
pub fn apply(conn: &mut DbConn, row: &SubmissionRow, sign: i64) -> ApiResult<()> {
    let assignment = assignments::find(conn, &row.organization_id, &row.assignment_id)?;
    let location = locations::find(conn, &row.organization_id, &assignment.location_id)?;
    let day = visit_day(row, &location.time_zone);
    apply_leniency(
        conn,
        row,
        &assignment.location_id,
        Grain::Month.start_of(day),
        sign,
    )?;
    apply_agreement(conn, row, &assignment, day, &location.time_zone, sign)
}

/// A visit's local start date (as the gap roll-ups date it).
fn visit_day(row: &SubmissionRow, time_zone: &str) -> NaiveDate {
    let started = row
        .visit_start
        .or(row.submitted_at)
        .unwrap_or(row.received_at);
    local_day(started, time_zone)
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = cells)]
struct CellRow {
    organization_id: String,
    location_id: String,
    period_start: NaiveDate,
    standard_code: String,
    shopper_id: String,
    n: i64,
    sum_value: f64,
    sum_squares: f64,
}

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = lenient)]
struct LeniencyRow {
    organization_id: String,
    shopper_id: String,
    standard_code: String,
    period_start: NaiveDate,
    n: i64,
    sum_diff: f64,
    sum_squares_diff: f64,
}

/// The leniency upsert: a visit's deltas as JSON rows (`db::json_rows`), and how a delta meets
/// the stored one: the moments add up.
static LENIENCY_UPSERT: std::sync::LazyLock<json_rows::Insert> = std::sync::LazyLock::new(|| {
    const COLUMNS: [(&str, &str); 7] = [
        ("organization_id", "text"),
        ("shopper_id", "text"),
        ("standard_code", "text"),
        ("period_start", "date"),
        ("n", "bigint"),
        ("sum_diff", "double precision"),
        ("sum_squares_diff", "double precision"),
    ];
    const TAIL: &str = "ON CONFLICT (organization_id, shopper_id, standard_code, period_start) \
         DO UPDATE SET n = shopper_leniency.n + excluded.n, \
         sum_diff = shopper_leniency.sum_diff + excluded.sum_diff, \
         sum_squares_diff = shopper_leniency.sum_squares_diff + excluded.sum_squares_diff";
    json_rows::Insert::new("shopper_leniency", &COLUMNS, TAIL)
});

/// Moves the visit's cells and, since a cell's mean of "the others" changes for everyone in
/// it, the leniency of every shopper in those cells (a handful: shoppers of one location in
/// one month).
fn apply_leniency(
    conn: &mut DbConn,
    row: &SubmissionRow,
    location_id: &str,
    month: NaiveDate,
    sign: i64,
) -> ApiResult<()> {
    let Some(scores) = row.scores.as_deref() else {
        return Ok(());
    };
    let score: VisitScore = serde_json::from_str(scores).map_err(ApiError::internal)?;
    if score.standards.is_empty() {
        return Ok(());
    }
    let org = row.organization_id.as_str();
    let existing: Vec<CellRow> = cells::table
        .filter(cells::organization_id.eq(org))
        .filter(cells::location_id.eq(location_id))
        .filter(cells::period_start.eq(month))
        .filter(cells::standard_code.eq_any(score.standards.keys()))
        .select(CellRow::as_select())
        .load(conn)?;
    let mut new_cells = Vec::new();
    let mut deltas = Vec::new();
    for (code, compliance) in &score.standards {
        let mut by_shopper: BTreeMap<String, Moments> = existing
            .iter()
            .filter(|c| &c.standard_code == code)
            .map(|c| {
                let m = Moments {
                    n: c.n,
                    sum: c.sum_value,
                    sum_squares: c.sum_squares,
                };
                (c.shopper_id.clone(), m)
            })
            .collect();
        let before = by_shopper.clone();
        let mine = by_shopper.entry(row.shopper_id.clone()).or_default();
        *mine = mine.add(compliance.value, sign);
        let after = by_shopper;
        let total =
            |m: &BTreeMap<String, Moments>| m.values().fold(Moments::default(), |t, c| t.plus(*c));
        let (total_before, total_after) = (total(&before), total(&after));
        for (shopper, now) in &after {
            let was = before.get(shopper).copied().unwrap_or_default();
            let old = differences(was, total_before).unwrap_or_default();
            let new = differences(*now, total_after).unwrap_or_default();
            let delta = new.minus(old);
            if delta != Moments::default() {
                deltas.push(LeniencyRow {
                    organization_id: org.to_string(),
                    shopper_id: shopper.clone(),
                    standard_code: code.clone(),
                    period_start: month,
                    n: delta.n,
                    sum_diff: delta.sum,
                    sum_squares_diff: delta.sum_squares,
                });
            }
        }
        let mine = after[&row.shopper_id];
        new_cells.push(CellRow {
            organization_id: org.to_string(),
            location_id: location_id.to_string(),
            period_start: month,
            standard_code: code.clone(),
            shopper_id: row.shopper_id.clone(),
            n: mine.n,
            sum_value: mine.sum,
            sum_squares: mine.sum_squares,
        });
    }
    // One statement per row: diesel writes no multi-row upsert for SQLite (a visit has a
    // handful of standards).
    for cell in &new_cells {
        let upsert = diesel::insert_into(cells::table)
            .values(cell)
            .on_conflict((
                cells::organization_id,
                cells::location_id,
                cells::period_start,
                cells::standard_code,
                cells::shopper_id,
            ))
            .do_update()
            .set((
                cells::n.eq(excluded(cells::n)),
                cells::sum_value.eq(excluded(cells::sum_value)),
                cells::sum_squares.eq(excluded(cells::sum_squares)),
            ));
        per_backend!(conn, |c| upsert.execute(c))?;
    }
    // The leniencies in one statement: every shopper of the cell moves, so at a location shopped
    // daily that is one row per shopper and standard of its month (some 1,000 at 100 visits a
    // month), each its own upsert before. The rows go as one JSON array (`db::json_rows`).
    if !deltas.is_empty() {
        LENIENCY_UPSERT.execute(conn, &deltas)?;
    }
    if sign < 0 {
        // Cells and leniencies with no visits left go, so the tables always equal a rebuild.
        diesel::delete(
            cells::table
                .filter(cells::organization_id.eq(org))
                .filter(cells::location_id.eq(location_id))
                .filter(cells::period_start.eq(month))
                .filter(cells::n.le(0)),
        )
        .execute(conn)?;
        diesel::delete(
            lenient::table
                .filter(lenient::organization_id.eq(org))
                .filter(lenient::period_start.eq(month))
                .filter(lenient::n.le(0)),
        )
        .execute(conn)?;
    }
    Ok(())
}

/// Adds (or takes away) a double shop's comparison when this visit and its other half are both
/// approved and were done on the same local day.
fn apply_agreement(
    conn: &mut DbConn,
    row: &SubmissionRow,
    assignment: &crate::assignments::model::AssignmentRow,
    day: NaiveDate,
    time_zone: &str,
    sign: i64,
) -> ApiResult<()> {
    let Some(partner) = &assignment.partner_assignment_id else {
        return Ok(());
    };
    let other: Option<SubmissionRow> = submissions::table
        .filter(submissions::organization_id.eq(&row.organization_id))
        .filter(submissions::assignment_id.eq(partner))
        .filter(submissions::status.eq("approved"))
        .filter(submissions::id.ne(&row.id))
        .select(SubmissionRow::as_select())
        .first(conn)
        .optional()?;
    let Some(other) = other else {
        return Ok(());
    };
    if other.shopper_id == row.shopper_id || visit_day(&other, time_zone) != day {
        return Ok(());
    }
    let inputs = scoring_inputs(conn, &row.organization_id, assignment)?;
    let checklist = &inputs.0;
    let mine = to_scoring(&effective_answers(
        row,
        &submission_repo::edits_of(conn, &row.id)?,
    )?);
    let theirs = to_scoring(&effective_answers(
        &other,
        &submission_repo::edits_of(conn, &other.id)?,
    )?);
    // Shopper a is the one whose id sorts first, so a pair has one row whoever was approved last.
    let (a, b, a_answers, b_answers) = if row.shopper_id < other.shopper_id {
        (&row.shopper_id, &other.shopper_id, &mine, &theirs)
    } else {
        (&other.shopper_id, &row.shopper_id, &theirs, &mine)
    };
    let mut confusion: BTreeMap<(String, String), i64> = BTreeMap::new();
    for (_, item) in checklist.items() {
        if let (ItemOutcome::Score(x), ItemOutcome::Score(y)) = (
            item_score(item, a_answers.get(&item.key)),
            item_score(item, b_answers.get(&item.key)),
        ) {
            *confusion.entry((category(x), category(y))).or_default() += sign;
        }
    }
    let org = row.organization_id.as_str();
    let month = Grain::Month.start_of(day);
    let rows: Vec<_> = confusion
        .into_iter()
        .map(|((ca, cb), n)| {
            (
                rater_agreement::organization_id.eq(org),
                rater_agreement::shopper_a.eq(a),
                rater_agreement::shopper_b.eq(b),
                rater_agreement::period_start.eq(month),
                rater_agreement::category_a.eq(ca),
                rater_agreement::category_b.eq(cb),
                rater_agreement::n.eq(n),
            )
        })
        .collect();
    for row in &rows {
        let upsert = diesel::insert_into(rater_agreement::table)
            .values(row)
            .on_conflict((
                rater_agreement::organization_id,
                rater_agreement::shopper_a,
                rater_agreement::shopper_b,
                rater_agreement::period_start,
                rater_agreement::category_a,
                rater_agreement::category_b,
            ))
            .do_update()
            .set(rater_agreement::n.eq(rater_agreement::n + excluded(rater_agreement::n)));
        per_backend!(conn, |c| upsert.execute(c))?;
    }
    let shop = (
        rater_pairs::organization_id.eq(org),
        rater_pairs::shopper_a.eq(a),
        rater_pairs::shopper_b.eq(b),
        rater_pairs::period_start.eq(month),
        rater_pairs::shops.eq(sign),
    );
    let upsert = diesel::insert_into(rater_pairs::table)
        .values(shop)
        .on_conflict((
            rater_pairs::organization_id,
            rater_pairs::shopper_a,
            rater_pairs::shopper_b,
            rater_pairs::period_start,
        ))
        .do_update()
        .set(rater_pairs::shops.eq(rater_pairs::shops + excluded(rater_pairs::shops)));
    per_backend!(conn, |c| upsert.execute(c))?;
    if sign < 0 {
        diesel::delete(
            rater_agreement::table
                .filter(rater_agreement::organization_id.eq(org))
                .filter(rater_agreement::shopper_a.eq(a))
                .filter(rater_agreement::shopper_b.eq(b))
                .filter(rater_agreement::n.le(0)),
        )
        .execute(conn)?;
        diesel::delete(
            rater_pairs::table
                .filter(rater_pairs::organization_id.eq(org))
                .filter(rater_pairs::shopper_a.eq(a))
                .filter(rater_pairs::shopper_b.eq(b))
                .filter(rater_pairs::shops.le(0)),
        )
        .execute(conn)?;
    }
    Ok(())
}

/// Recounts the calibration roll-ups of an organization (every organization's when `None`) from
/// its approved visits, inside the caller's transaction: after the migration that introduced
/// them, and with `shopgap rebuild-rollups`. Returns the visits counted.
pub fn rebuild(conn: &mut DbConn, organization: Option<&str>) -> ApiResult<usize> {
    if let DbConn::Postgres(c) = conn {
        // Approvals made meanwhile wait for the recount instead of racing it.
        diesel::sql_query("LOCK TABLE calibration_cells, shopper_leniency, rater_agreement, rater_pairs IN EXCLUSIVE MODE")
            .execute(c)?;
    }
    let mut approved = submissions::table
        .filter(submissions::status.eq("approved"))
        .order(submissions::id)
        .select(SubmissionRow::as_select())
        .into_boxed();
    match organization {
        Some(org) => {
            let org = org.to_string();
            diesel::delete(cells::table.filter(cells::organization_id.eq(&org))).execute(conn)?;
            diesel::delete(lenient::table.filter(lenient::organization_id.eq(&org)))
                .execute(conn)?;
            diesel::delete(
                rater_agreement::table.filter(rater_agreement::organization_id.eq(&org)),
            )
            .execute(conn)?;
            diesel::delete(rater_pairs::table.filter(rater_pairs::organization_id.eq(&org)))
                .execute(conn)?;
            approved = approved.filter(submissions::organization_id.eq(org));
        }
        None => {
            diesel::delete(cells::table).execute(conn)?;
            diesel::delete(lenient::table).execute(conn)?;
            diesel::delete(rater_agreement::table).execute(conn)?;
            diesel::delete(rater_pairs::table).execute(conn)?;
        }
    }
    let approved: Vec<SubmissionRow> = approved.load(conn)?;
    for row in &approved {
        apply(conn, row, 1)?;
    }
    Ok(approved.len())
}

/// Whole months from the month of `from` to that of `to` (default: the twelve months to today).
fn months(
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    today: NaiveDate,
) -> ApiResult<(NaiveDate, NaiveDate)> {
    let to = to.unwrap_or(today);
    let from = from.unwrap_or_else(|| Grain::Month.start_of(to) - chrono::Months::new(11));
    if from > to {
        return Err(ApiError::unprocessable("from", "must not be after to"));
    }
    if to.years_since(from).unwrap_or(0) >= 10 {
        return Err(ApiError::unprocessable(
            "to",
            "a calibration report spans at most 10 years",
        ));
    }
    let first = Grain::Month.start_of(from);
    Ok((first, Grain::Month.end_of(Grain::Month.start_of(to))))
}

/// Display names of an organization's users by id.
fn names(
    conn: &mut DbConn,
    org: &str,
    ids: &BTreeSet<String>,
) -> ApiResult<BTreeMap<String, String>> {
    Ok(users::table
        .filter(users::organization_id.eq(org))
        .filter(users::id.eq_any(ids))
        .select((users::id, users::display_name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect())
}

fn uuid(id: &str) -> ApiResult<uuid::Uuid> {
    id.parse().map_err(ApiError::internal)
}

/// Each shopper's leniency per standard over the months of the query: significantly lenient or
/// harsh first (largest difference first), then the rest.
pub fn calibration(
    conn: &mut DbConn,
    org: &str,
    query: &CalibrationQuery,
    today: NaiveDate,
) -> ApiResult<CalibrationReport> {
    let (from, to) = months(query.from, query.to, today)?;
    let mut select = lenient::table
        .filter(lenient::organization_id.eq(org))
        .filter(lenient::period_start.between(from, to))
        .select(LeniencyRow::as_select())
        .into_boxed();
    if let Some(shopper) = query.shopper_id {
        select = select.filter(lenient::shopper_id.eq(shopper.to_string()));
    }
    if let Some(code) = &query.standard {
        select = select.filter(lenient::standard_code.eq(code.clone()));
    }
    let mut sums: BTreeMap<(String, String), Moments> = BTreeMap::new();
    for r in select.load(conn)? {
        let m = sums.entry((r.shopper_id, r.standard_code)).or_default();
        *m = m.plus(Moments {
            n: r.n,
            sum: r.sum_diff,
            sum_squares: r.sum_squares_diff,
        });
    }
    let shoppers: BTreeSet<String> = sums.keys().map(|(s, _)| s.clone()).collect();
    let names = names(conn, org, &shoppers)?;
    let mut rows = Vec::new();
    for ((shopper, code), m) in sums {
        let Some(l) = leniency(m) else { continue };
        let v = verdict(&l);
        rows.push(ShopperCalibration {
            shopper_id: uuid(&shopper)?,
            shopper_name: names.get(&shopper).cloned().unwrap_or_default(),
            standard_code: code,
            n: l.n,
            leniency: l.mean,
            ci_low: l.interval.map(|i| i.0),
            ci_high: l.interval.map(|i| i.1),
            verdict: match v {
                Verdict::Lenient => CalibrationVerdict::Lenient,
                Verdict::Harsh => CalibrationVerdict::Harsh,
                Verdict::InLine => CalibrationVerdict::InLine,
            },
        });
    }
    rows.sort_by(|a, b| {
        let significant = |r: &ShopperCalibration| r.verdict != CalibrationVerdict::InLine;
        significant(b)
            .cmp(&significant(a))
            .then(b.leniency.abs().total_cmp(&a.leniency.abs()))
            .then(a.shopper_name.cmp(&b.shopper_name))
            .then(a.standard_code.cmp(&b.standard_code))
    });
    Ok(CalibrationReport { from, to, rows })
}

/// Percent agreement and Cohen's kappa per pair of shoppers over their double shops in the
/// months of the query, most double shops first.
pub fn agreement_report(
    conn: &mut DbConn,
    org: &str,
    query: &AgreementQuery,
    today: NaiveDate,
) -> ApiResult<AgreementReport> {
    let (from, to) = months(query.from, query.to, today)?;
    let mut select = rater_agreement::table
        .filter(rater_agreement::organization_id.eq(org))
        .filter(rater_agreement::period_start.between(from, to))
        .select((
            rater_agreement::shopper_a,
            rater_agreement::shopper_b,
            rater_agreement::category_a,
            rater_agreement::category_b,
            rater_agreement::n,
        ))
        .into_boxed();
    let mut shops = rater_pairs::table
        .filter(rater_pairs::organization_id.eq(org))
        .filter(rater_pairs::period_start.between(from, to))
        .select((
            rater_pairs::shopper_a,
            rater_pairs::shopper_b,
            rater_pairs::shops,
        ))
        .into_boxed();
    if let Some(shopper) = query.shopper_id {
        let s = shopper.to_string();
        select = select.filter(
            rater_agreement::shopper_a
                .eq(s.clone())
                .or(rater_agreement::shopper_b.eq(s.clone())),
        );
        shops = shops.filter(
            rater_pairs::shopper_a
                .eq(s.clone())
                .or(rater_pairs::shopper_b.eq(s)),
        );
    }
    type Confusion = BTreeMap<(String, String), i64>;
    let mut pairs: BTreeMap<(String, String), (i64, Confusion)> = BTreeMap::new();
    for (a, b, shops) in shops.load::<(String, String, i64)>(conn)? {
        pairs.entry((a, b)).or_default().0 += shops;
    }
    for (a, b, ca, cb, n) in select.load::<(String, String, String, String, i64)>(conn)? {
        *pairs
            .entry((a, b))
            .or_default()
            .1
            .entry((ca, cb))
            .or_default() += n;
    }
    let ids: BTreeSet<String> = pairs
        .keys()
        .flat_map(|(a, b)| [a.clone(), b.clone()])
        .collect();
    let names = names(conn, org, &ids)?;
    let mut rows = Vec::new();
    for ((a, b), (double_shops, confusion)) in pairs {
        let figures = agreement(&confusion);
        rows.push(RaterPair {
            shopper_a: uuid(&a)?,
            shopper_a_name: names.get(&a).cloned().unwrap_or_default(),
            shopper_b: uuid(&b)?,
            shopper_b_name: names.get(&b).cloned().unwrap_or_default(),
            double_shops,
            items: figures.items,
            percent_agreement: figures.agreement.map(|p| 100.0 * p),
            kappa: figures.kappa,
        });
    }
    rows.sort_by(|x, y| {
        y.double_shops
            .cmp(&x.double_shops)
            .then(x.shopper_a_name.cmp(&y.shopper_a_name))
            .then(x.shopper_b_name.cmp(&y.shopper_b_name))
    });
    Ok(AgreementReport {
        from,
        to,
        pairs: rows,
    })
}

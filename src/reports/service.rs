//! Reports answered from the roll-ups only.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use diesel::prelude::*;

use super::dto::{
    Estimate, GapQuery, GapReport, GapRow, GroupBy as GroupKey, Ranking, RankingQuery, RankingRow,
    Scorecard, ScorecardLocation, ScorecardQuery, Trend, TrendGrain, TrendPoint, TrendQuery,
};
use super::rules::{
    cover, from_units, significant_shortfall, span_too_long, wilson, Grain, Subject, MAX_SPAN_YEARS,
};
use crate::db::schema::{locations, standards_book_versions};
use crate::db::DbConn;
use crate::error::{ApiError, ApiResult};
use crate::organizations::repo as organizations;
use crate::standards::dto::BookContent;
use diesel::sql_types::{BigInt, Date, Text};

/// `a,b, c` → `["a", "b", "c"]`; absent or blank → `None` (no filter).
pub(crate) fn split_list(value: &Option<String>) -> Option<Vec<String>> {
    let items: Vec<String> = value
        .as_deref()?
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    (!items.is_empty()).then_some(items)
}

/// Comma-separated filters, split. (Their values and sizes were checked against the contract
/// when the query was read.)
fn lists<const N: usize>(fields: [&Option<String>; N]) -> [Option<Vec<String>>; N] {
    fields.map(split_list)
}

fn parse_group_by(query: &GapQuery) -> ApiResult<Vec<GroupKey>> {
    let [names] = lists([&query.group_by]);
    let names = names.unwrap_or_else(|| vec!["standard".into()]);
    let mut keys = Vec::new();
    for name in &names {
        let key = name.parse::<GroupKey>().map_err(|_| {
            ApiError::unprocessable(
                "group_by",
                format!("unknown grouping {name:?}; use standard, dimension, location, region, channel, segment, month or week"),
            )
        })?;
        if keys.contains(&key) {
            return Err(ApiError::unprocessable(
                "group_by",
                format!("{name} is given twice"),
            ));
        }
        keys.push(key);
    }
    if keys.len() > 2 {
        return Err(ApiError::unprocessable(
            "group_by",
            "group by one or two keys",
        ));
    }
    let subjects = keys
        .iter()
        .filter(|k| matches!(k, GroupKey::Standard | GroupKey::Dimension))
        .count();
    if subjects != 1 {
        return Err(ApiError::unprocessable(
            "group_by",
            "group by exactly one of standard or dimension (a gap is measured against a standard's target)",
        ));
    }
    if keys.contains(&GroupKey::Month) && keys.contains(&GroupKey::Week) {
        return Err(ApiError::unprocessable(
            "group_by",
            "month or week, not both",
        ));
    }
    Ok(keys)
}

/// What the organization's standards are: code → (text, dimension, target), from its published
/// book versions, the most recently published definition winning.
pub(crate) fn standards_of(
    conn: &mut DbConn,
    org: &str,
) -> ApiResult<HashMap<String, (String, String, f64)>> {
    let contents: Vec<String> = standards_book_versions::table
        .filter(standards_book_versions::organization_id.eq(org))
        .filter(standards_book_versions::status.eq("published"))
        .order((
            standards_book_versions::published_at.asc(),
            standards_book_versions::id.asc(),
        ))
        .select(standards_book_versions::content)
        .load(conn)?;
    let mut out = HashMap::new();
    for content in contents {
        let book: BookContent = serde_json::from_str(&content).map_err(ApiError::internal)?;
        for s in book.standards {
            let dimension = serde_json::to_value(s.dimension)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            out.insert(s.code, (s.text, dimension, s.target));
        }
    }
    Ok(out)
}

struct Place {
    code: String,
    name: String,
    region: String,
    segment: String,
}

/// "Today" for the organization's reports at `now`: the latest local date among its locations'
/// time zones (see [`super::rules::today_at`]).
pub fn today(conn: &mut DbConn, org: &str, now: DateTime<Utc>) -> ApiResult<NaiveDate> {
    let zones: Vec<String> = locations::table
        .filter(locations::organization_id.eq(org))
        .select(locations::time_zone)
        .distinct()
        .load(conn)?;
    Ok(super::rules::today_at(
        now,
        zones.iter().map(String::as_str),
    ))
}

fn places_of(conn: &mut DbConn, org: &str) -> ApiResult<HashMap<String, Place>> {
    let rows: Vec<(String, String, String, String, String)> = locations::table
        .filter(locations::organization_id.eq(org))
        .select((
            locations::id,
            locations::code,
            locations::name,
            locations::region,
            locations::segment,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, code, name, region, segment)| {
            let place = Place {
                code,
                name,
                region,
                segment,
            };
            (id, place)
        })
        .collect())
}

fn period_label(grain: Grain, day: NaiveDate) -> String {
    let start = grain.start_of(day);
    match grain {
        Grain::Week => {
            let week = start.iso_week();
            format!("{}-W{:02}", week.year(), week.week())
        }
        _ => format!("{}-{:02}", start.year(), start.month()),
    }
}

/// What the reports need to know about the organization, read once per request: its minimum
/// sample, its standards (code → text, dimension, target) and its locations.
pub struct OrgFacts {
    min_sample_size: i32,
    standards: HashMap<String, (String, String, f64)>,
    places: HashMap<String, Place>,
}

impl OrgFacts {
    pub fn load(conn: &mut DbConn, org: &str) -> ApiResult<Self> {
        Ok(OrgFacts {
            min_sample_size: organizations::find(conn, org)?.min_sample_size,
            standards: standards_of(conn, org)?,
            places: places_of(conn, org)?,
        })
    }
}

/// A dimension's target: the mean target of the organization's standards in it.
fn dimension_targets(standards: &HashMap<String, (String, String, f64)>) -> HashMap<String, f64> {
    let mut sums: HashMap<String, (f64, u32)> = HashMap::new();
    // In code order: a float sum depends on its order, and the same report must give the same
    // figures in every process.
    let mut codes: Vec<&String> = standards.keys().collect();
    codes.sort();
    for (_, dimension, target) in codes.into_iter().map(|c| &standards[c]) {
        let e = sums.entry(dimension.clone()).or_default();
        e.0 += target;
        e.1 += 1;
    }
    sums.into_iter()
        .map(|(d, (sum, count))| (d, sum / f64::from(count)))
        .collect()
}

/// The period a report covers: none given is all history; only `to`, the 50 years before it;
/// only `from`, up to today.
pub(super) fn date_range(
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    today: NaiveDate,
) -> ApiResult<Option<(NaiveDate, NaiveDate)>> {
    if from.is_none() && to.is_none() {
        return Ok(None);
    }
    let to = to.unwrap_or(today);
    let from = from.unwrap_or_else(|| Grain::Month.start_of(to) - Months::new(12 * 50));
    if from > to {
        return Err(ApiError::unprocessable("from", "must not be after to"));
    }
    if span_too_long(from, to) {
        return Err(ApiError::unprocessable(
            "to",
            format!("a report spans at most {MAX_SPAN_YEARS} years"),
        ));
    }
    Ok(Some((from, to)))
}

/// Which roll-up cells a report reads.
struct CellFilter {
    range: Option<(NaiveDate, NaiveDate)>,
    /// The organization's latest local date: cells that begin later hold no visit yet, so a
    /// reading of the range may subtract them for free (`rules::cover`).
    today: NaiveDate,
    /// The period a report grouped by period breaks its figures down by (a report that is not
    /// reads whole years where it can); see `rules::cover` for the cells read.
    grain: Grain,
    locations: Option<Vec<String>>,
    /// Regions and segments as recorded on each visit when it was approved.
    regions: Option<Vec<String>>,
    segments: Option<Vec<String>>,
    channels: Option<Vec<String>>,
    checklists: Option<Vec<String>>,
    subject_keys: Option<Vec<String>>,
}

/// Which cell keys a report keeps apart; the others are summed over by the database.
#[derive(Debug, Clone, Copy, Default)]
struct By {
    subject_key: bool,
    location: bool,
    region: bool,
    segment: bool,
    channel: bool,
    period: bool,
}

/// Summed roll-up cells. Keys not grouped by are empty (`period_start` is then the earliest).
#[derive(Debug, QueryableByName)]
struct CellSum {
    #[diesel(sql_type = Text)]
    subject_key: String,
    #[diesel(sql_type = Text)]
    location_id: String,
    #[diesel(sql_type = Text)]
    region: String,
    #[diesel(sql_type = Text)]
    segment: String,
    #[diesel(sql_type = Text)]
    channel: String,
    #[diesel(sql_type = Date)]
    period_start: NaiveDate,
    #[diesel(sql_type = BigInt)]
    n: i64,
    #[diesel(sql_type = BigInt)]
    sum_units: i64,
    #[diesel(sql_type = BigInt)]
    critical_failures: i64,
}

pub(crate) enum Bind {
    Text(String),
    Date(NaiveDate),
}

/// SQL text with numbered placeholders and their values, in order of first use.
#[derive(Default)]
pub(crate) struct Sql {
    text: String,
    binds: Vec<Bind>,
}

impl Sql {
    /// Runs the query and reads its rows.
    pub(crate) fn load<T>(&self, conn: &mut DbConn) -> ApiResult<Vec<T>>
    where
        T: diesel::QueryableByName<diesel::pg::Pg>
            + diesel::QueryableByName<diesel::sqlite::Sqlite>
            + 'static,
    {
        Ok(crate::per_backend!(conn, |c| {
            let mut query = diesel::sql_query(&self.text).into_boxed();
            for b in &self.binds {
                query = match b {
                    Bind::Text(v) => query.bind::<Text, _>(v),
                    Bind::Date(v) => query.bind::<Date, _>(*v),
                };
            }
            query.load::<T>(c)
        })?)
    }

    pub(crate) fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    pub(crate) fn bind(&mut self, value: Bind) -> &mut Self {
        self.binds.push(value);
        self.text.push_str(&format!("${}", self.binds.len()));
        self
    }

    /// `column IN ($i, …)`; never empty (an empty list matches nothing).
    pub(crate) fn any(
        &mut self,
        column: &str,
        values: impl IntoIterator<Item = Bind>,
    ) -> &mut Self {
        self.push(column).push(" IN (");
        let mut empty = true;
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(v);
            empty = false;
        }
        if empty {
            self.push("NULL");
        }
        self.push(")")
    }
}

/// Sums the roll-up cells a report reads, grouped by `by`, in the database: a report moves
/// one row per group instead of every cell (a year of 100 locations × 12 standards is some
/// 15,000 month and edge-day cells, but 1,200 groups by standard and location).
fn sum_cells(
    conn: &mut DbConn,
    org: &str,
    subject: Subject,
    f: &CellFilter,
    by: By,
) -> ApiResult<Vec<CellSum>> {
    // One branch per grain read (and per sign), so that each searches the primary key by
    // organization, subject, grain and period (an OR across grains made SQLite scan every
    // period). Cells a cover subtracts are read negated: every sum below is then exact, and
    // callers that group by period label a subtracted day by the period it lies in.
    //
    // A report broken down by period reads periods of its grain (and finer, at the edges); one
    // that is not reads whole years where it can.
    let top = if by.period { f.grain } else { Grain::Year };
    let branches: Vec<(Grain, i64, Option<Vec<NaiveDate>>)> = match f.range {
        None => vec![(top, 1, None)],
        Some((from, to)) => {
            let covered = cover(from, to, top, f.today);
            let mut branches: Vec<(Grain, i64, Option<Vec<NaiveDate>>)> = Vec::new();
            for c in covered {
                match branches
                    .iter_mut()
                    .find(|(g, sign, _)| *g == c.grain && *sign == c.sign)
                {
                    Some((_, _, Some(starts))) => starts.push(c.start),
                    _ => branches.push((c.grain, c.sign, Some(vec![c.start]))),
                }
            }
            branches
        }
    };
    if branches.is_empty() {
        return Ok(Vec::new());
    }
    let column = |grouped: bool, name: &'static str| if grouped { name } else { "''" };
    let mut q = Sql::default();
    q.push(&format!(
        "SELECT {} AS subject_key, {} AS location_id, {} AS region, {} AS segment, \
         {} AS channel, {} AS period_start, \
         CAST(SUM(n) AS BIGINT) AS n, CAST(SUM(sum_units) AS BIGINT) AS sum_units, \
         CAST(SUM(critical_failures) AS BIGINT) AS critical_failures FROM (",
        column(by.subject_key, "subject_key"),
        column(by.location, "location_id"),
        column(by.region, "region"),
        column(by.segment, "segment"),
        column(by.channel, "channel"),
        if by.period {
            "period_start"
        } else {
            "MIN(period_start)"
        },
    ));
    for (i, (grain, sign, starts)) in branches.into_iter().enumerate() {
        if i > 0 {
            q.push(" UNION ALL ");
        }
        q.push(if sign < 0 {
            "SELECT subject_key, location_id, region, segment, channel, period_start, -n AS n, \
             -sum_units AS sum_units, -critical_failures AS critical_failures FROM rollups WHERE organization_id = "
        } else {
            "SELECT subject_key, location_id, region, segment, channel, period_start, n, \
             sum_units, critical_failures FROM rollups WHERE organization_id = "
        })
        .bind(Bind::Text(org.into()))
        .push(" AND subject = ")
        .bind(Bind::Text(subject.as_str().into()))
        .push(" AND grain = ")
        .bind(Bind::Text(grain.as_str().into()));
        if let Some(starts) = starts {
            q.push(" AND ")
                .any("period_start", starts.into_iter().map(Bind::Date));
        }
        let lists = [
            ("location_id", &f.locations),
            ("region", &f.regions),
            ("segment", &f.segments),
            ("channel", &f.channels),
            ("checklist_id", &f.checklists),
            ("subject_key", &f.subject_keys),
        ];
        for (name, values) in lists {
            if let Some(values) = values {
                q.push(" AND ")
                    .any(name, values.iter().map(|v| Bind::Text(v.clone())));
            }
        }
    }
    q.push(") AS cells");
    let groups: Vec<&str> = [
        (by.subject_key, "subject_key"),
        (by.location, "location_id"),
        (by.region, "region"),
        (by.segment, "segment"),
        (by.channel, "channel"),
        (by.period, "period_start"),
    ]
    .into_iter()
    .filter_map(|(on, name)| on.then_some(name))
    .collect();
    if !groups.is_empty() {
        q.push(" GROUP BY ").push(&groups.join(", "));
    }
    // Without grouping, SUM over no cells is one row of NULLs; the HAVING drops it.
    q.push(" HAVING COUNT(*) > 0");
    let rows = q.load::<CellSum>(conn)?;
    Ok(rows)
}

/// The gap report over the roll-ups, per PRODUCT.md §5.
pub fn gap_report(
    conn: &mut DbConn,
    org: &str,
    query: &GapQuery,
    today: NaiveDate,
) -> ApiResult<GapReport> {
    let facts = OrgFacts::load(conn, org)?;
    gap_report_with(conn, org, &facts, query, today)
}

/// The gap report with the organization's facts already read (for reports built on it).
pub(crate) fn gap_report_with(
    conn: &mut DbConn,
    org: &str,
    facts: &OrgFacts,
    query: &GapQuery,
    today: NaiveDate,
) -> ApiResult<GapReport> {
    let keys = parse_group_by(query)?;
    let subject = if keys.contains(&GroupKey::Dimension) {
        Subject::Dimension
    } else {
        Subject::Standard
    };
    let period_grain = if keys.contains(&GroupKey::Week) {
        Grain::Week
    } else {
        Grain::Month
    };
    let range = date_range(query.from, query.to, today)?;
    let (standards, places) = (&facts.standards, &facts.places);

    let [locations, regions, segments, channels, checklists, codes, dimensions] = lists([
        &query.location_id,
        &query.region,
        &query.segment,
        &query.channel,
        &query.checklist_id,
        &query.standard,
        &query.dimension,
    ]);
    // Standards by code and dimension become one list of subject keys.
    let subject_filter: Option<Vec<String>> = match subject {
        Subject::Dimension => match (&codes, &dimensions) {
            (Some(_), _) => {
                return Err(ApiError::unprocessable(
                    "standard",
                    "filter by standard when grouping by standard, not by dimension",
                ))
            }
            (None, d) => d.clone(),
        },
        _ => match (codes, &dimensions) {
            (None, None) => None,
            (codes, dimensions) => {
                let of_dimensions = |code: &String| {
                    dimensions.as_ref().is_none_or(|d| {
                        standards
                            .get(code)
                            .is_some_and(|(_, dim, _)| d.contains(dim))
                    })
                };
                Some(match codes {
                    Some(codes) => codes.into_iter().filter(of_dimensions).collect(),
                    None => standards
                        .keys()
                        .filter(|c| of_dimensions(c))
                        .cloned()
                        .collect(),
                })
            }
        },
    };

    let by = By {
        subject_key: true,
        location: keys.contains(&GroupKey::Location),
        region: keys.contains(&GroupKey::Region),
        segment: keys.contains(&GroupKey::Segment),
        channel: keys.contains(&GroupKey::Channel),
        period: keys
            .iter()
            .any(|k| matches!(k, GroupKey::Month | GroupKey::Week)),
    };
    let cells = sum_cells(
        conn,
        org,
        subject,
        &CellFilter {
            range,
            today,
            grain: period_grain,
            locations,
            regions,
            segments,
            channels,
            checklists,
            subject_keys: subject_filter,
        },
        by,
    )?;

    // Sum the cells per group.
    type Group = Vec<Option<String>>;
    let mut groups: BTreeMap<Group, (i64, i64)> = BTreeMap::new();
    for cell in &cells {
        let group: Group = keys
            .iter()
            .map(|k| match k {
                GroupKey::Standard | GroupKey::Dimension => Some(cell.subject_key.clone()),
                GroupKey::Location => Some(cell.location_id.clone()),
                GroupKey::Region => Some(cell.region.clone()),
                GroupKey::Segment => Some(cell.segment.clone()),
                GroupKey::Channel => Some(cell.channel.clone()),
                GroupKey::Month => Some(period_label(Grain::Month, cell.period_start)),
                GroupKey::Week => Some(period_label(Grain::Week, cell.period_start)),
            })
            .collect();
        let total = groups.entry(group).or_default();
        total.0 += cell.n;
        total.1 += cell.sum_units;
    }

    let dimension_targets = dimension_targets(standards);
    let mut rows: Vec<GapRow> = groups
        .into_iter()
        .filter(|(_, (n, _))| *n > 0)
        .map(|(group, (n, units))| {
            let mut row = GapRow {
                standard: None,
                standard_text: None,
                dimension: None,
                location_id: None,
                location_code: None,
                region: None,
                segment: None,
                channel: None,
                period: None,
                n,
                delivered: from_units(units) / n as f64,
                target: None,
                gap: None,
                ci_low: 0.0,
                ci_high: 1.0,
                significant: None,
                reliable: n >= i64::from(facts.min_sample_size),
                open_action_id: None,
            };
            for (key, value) in keys.iter().zip(group) {
                match key {
                    GroupKey::Standard => {
                        let known = value.as_ref().and_then(|c| standards.get(c));
                        row.standard_text = known.map(|s| s.0.clone());
                        row.dimension = known.map(|s| s.1.clone());
                        row.target = known.map(|s| s.2);
                        row.standard = value;
                    }
                    GroupKey::Dimension => {
                        row.target = value
                            .as_ref()
                            .and_then(|d| dimension_targets.get(d).copied());
                        row.dimension = value;
                    }
                    GroupKey::Location => {
                        row.location_code = value
                            .as_ref()
                            .and_then(|id| places.get(id))
                            .map(|p| p.code.clone());
                        row.location_id = value;
                    }
                    GroupKey::Region => row.region = value,
                    GroupKey::Segment => row.segment = value,
                    GroupKey::Channel => row.channel = value,
                    GroupKey::Month | GroupKey::Week => row.period = value,
                }
            }
            let (low, high) = wilson(row.delivered, n);
            row.ci_low = low;
            row.ci_high = high;
            row.gap = row.target.map(|t| t - row.delivered);
            row.significant = row
                .target
                .map(|t| significant_shortfall(row.delivered, high, t));
            row
        })
        .collect();
    // Rows of one location and one standard show its open corrective action.
    let one_location = match (&keys.contains(&GroupKey::Location), &query.location_id) {
        (true, _) => None,
        (false, Some(ids)) if !ids.contains(',') => Some(ids.trim().to_string()),
        _ => Some(String::new()),
    };
    if keys.contains(&GroupKey::Standard) && one_location.as_deref() != Some("") {
        let open: HashMap<(String, String), String> =
            crate::corrective_actions::service::open_actions(conn, org, one_location.as_deref())?
                .into_iter()
                .map(|a| ((a.location_id, a.standard), a.id))
                .collect();
        if !open.is_empty() {
            for row in &mut rows {
                let location = row.location_id.clone().or_else(|| one_location.clone());
                if let (Some(l), Some(c)) = (location, row.standard.clone()) {
                    row.open_action_id = open.get(&(l, c)).and_then(|id| id.parse().ok());
                }
            }
        }
    }
    // The largest shortfall first; rows without a target last.
    rows.sort_by(|a, b| {
        b.gap
            .unwrap_or(f64::NEG_INFINITY)
            .total_cmp(&a.gap.unwrap_or(f64::NEG_INFINITY))
    });
    Ok(GapReport {
        from: range.map(|(f, _)| f),
        to: range.map(|(_, t)| t),
        group_by: split_list(&query.group_by).unwrap_or_else(|| vec!["standard".into()]),
        min_sample_size: facts.min_sample_size,
        rows,
    })
}

/// A mean over `n` visits from summed units, with its Wilson interval, times `scale`.
fn estimate(n: i64, units: i64, scale: f64) -> Estimate {
    if n <= 0 {
        return Estimate {
            n: 0,
            mean: None,
            ci_low: None,
            ci_high: None,
        };
    }
    let p = from_units(units) / n as f64;
    let (low, high) = wilson(p, n);
    Estimate {
        n,
        mean: Some(p * scale),
        ci_low: Some(low * scale),
        ci_high: Some(high * scale),
    }
}

/// A location's visit scores, their distribution and critical failures, next to its region's and
/// the organization's, and its standards ranked by gap.
pub fn scorecard(
    conn: &mut DbConn,
    org: &str,
    query: &ScorecardQuery,
    today: NaiveDate,
) -> ApiResult<Scorecard> {
    let range = date_range(query.from, query.to, today)?;
    let [channels, checklists] = lists([&query.channel, &query.checklist_id]);
    let facts = OrgFacts::load(conn, org)?;
    let places = &facts.places;
    let place = places
        .get(&query.location_id)
        .ok_or_else(|| ApiError::NotFound("no such location".into()))?;
    let filter = |locations: Option<Vec<String>>| CellFilter {
        range,
        today,
        grain: Grain::Month,
        locations,
        regions: None,
        segments: None,
        channels: channels.clone(),
        checklists: checklists.clone(),
        subject_keys: None,
    };
    let per_location = By {
        location: true,
        region: true,
        ..By::default()
    };
    let visits = sum_cells(conn, org, Subject::Visit, &filter(None), per_location)?;
    let (mut here, mut region, mut all) = ((0, 0), (0, 0), (0, 0));
    let mut critical_failures = 0;
    for cell in &visits {
        all = (all.0 + cell.n, all.1 + cell.sum_units);
        // The region's visits: those recorded in the location's region when approved.
        if cell.region == place.region {
            region = (region.0 + cell.n, region.1 + cell.sum_units);
        }
        if cell.location_id == query.location_id {
            here = (here.0 + cell.n, here.1 + cell.sum_units);
            critical_failures += cell.critical_failures;
        }
    }
    let mut distribution = vec![0; 10];
    for cell in sum_cells(
        conn,
        org,
        Subject::VisitBucket,
        &filter(Some(vec![query.location_id.clone()])),
        By {
            subject_key: true,
            ..By::default()
        },
    )? {
        if let Ok(tenth) = cell.subject_key.parse::<usize>() {
            if let Some(slot) = distribution.get_mut(tenth) {
                *slot += cell.n;
            }
        }
    }
    let standards = gap_report_with(
        conn,
        org,
        &facts,
        &GapQuery {
            from: query.from,
            to: query.to,
            location_id: Some(query.location_id.clone()),
            channel: query.channel.clone(),
            checklist_id: query.checklist_id.clone(),
            ..Default::default()
        },
        today,
    )?
    .rows;
    let actions =
        crate::corrective_actions::service::location_summary(conn, org, &query.location_id, today)?;
    Ok(Scorecard {
        location: ScorecardLocation {
            id: query.location_id.clone(),
            code: place.code.clone(),
            name: place.name.clone(),
            region: place.region.clone(),
            segment: place.segment.clone(),
        },
        from: range.map(|r| r.0),
        to: range.map(|r| r.1),
        visit_score: estimate(here.0, here.1, 100.0),
        critical_failures,
        distribution,
        region_visit_score: estimate(region.0, region.1, 100.0),
        organization_visit_score: estimate(all.0, all.1, 100.0),
        standards,
        overdue_actions: actions.iter().filter(|a| a.overdue).count() as i64,
        corrective_actions: actions,
    })
}

/// What a trend or ranking measures: a standard, a dimension, or the visit score.
fn measured(
    standard: &Option<String>,
    dimension: &Option<String>,
) -> ApiResult<(Subject, Option<String>, f64)> {
    match (standard, dimension) {
        (Some(_), Some(_)) => Err(ApiError::unprocessable(
            "dimension",
            "a standard or a dimension, not both",
        )),
        (Some(code), None) => Ok((Subject::Standard, Some(code.clone()), 1.0)),
        (None, Some(dimension)) => Ok((Subject::Dimension, Some(dimension.clone()), 1.0)),
        (None, None) => Ok((Subject::Visit, None, 100.0)),
    }
}

/// Delivered per month or ISO week for a standard, a dimension or the visit score, for the
/// organization, a region or a location, with the change against the previous period.
pub fn trend(
    conn: &mut DbConn,
    org: &str,
    query: &TrendQuery,
    today: NaiveDate,
) -> ApiResult<Trend> {
    let grain = match query.grain {
        None | Some(TrendGrain::Month) => Grain::Month,
        Some(TrendGrain::Week) => Grain::Week,
    };
    let (subject, key, scale) = measured(&query.standard, &query.dimension)?;
    let to = query.to.unwrap_or(today);
    let from = query
        .from
        .unwrap_or_else(|| Grain::Month.start_of(to) - Months::new(11));
    let (from, to) = date_range(Some(from), Some(to), today)?.expect("both given");
    let [regions, channels, checklists] =
        lists([&query.region, &query.channel, &query.checklist_id]);
    let places = places_of(conn, org)?;
    if let Some(id) = &query.location_id {
        if !places.contains_key(id) {
            return Err(ApiError::NotFound("no such location".into()));
        }
    }
    let locations = query.location_id.clone().map(|id| vec![id]);
    let cells = sum_cells(
        conn,
        org,
        subject,
        &CellFilter {
            range: Some((from, to)),
            today,
            grain,
            locations,
            regions,
            segments: None,
            channels,
            checklists,
            subject_keys: key.clone().map(|k| vec![k]),
        },
        By {
            period: true,
            ..By::default()
        },
    )?;
    let mut per_period: HashMap<String, (i64, i64)> = HashMap::new();
    for cell in &cells {
        let total = per_period
            .entry(period_label(grain, cell.period_start))
            .or_default();
        total.0 += cell.n;
        total.1 += cell.sum_units;
    }
    let standards = standards_of(conn, org)?;
    let target = match (subject, &key) {
        (Subject::Standard, Some(code)) => standards.get(code).map(|s| s.2),
        (Subject::Dimension, Some(d)) => dimension_targets(&standards).get(d).copied(),
        _ => None,
    };
    let mut points = Vec::new();
    let mut previous: Option<f64> = None;
    let mut start = grain.start_of(from);
    while start <= to {
        let label = period_label(grain, start);
        let (n, units) = per_period.get(&label).copied().unwrap_or_default();
        let estimate = estimate(n, units, scale);
        let delivered = estimate.mean;
        points.push(TrendPoint {
            period: label,
            n,
            delivered,
            gap: target.zip(delivered).map(|(t, d)| t - d),
            change: delivered.zip(previous).map(|(d, p)| d - p),
            ci_low: estimate.ci_low,
            ci_high: estimate.ci_high,
        });
        previous = delivered;
        start = grain.end_of(start) + chrono::Days::new(1);
    }
    Ok(Trend {
        subject: subject.as_str().into(),
        key,
        grain: grain.as_str().into(),
        from,
        to,
        target,
        points,
    })
}

/// Locations by the visit score or by delivery on one standard, best first, with intervals.
pub fn ranking(
    conn: &mut DbConn,
    org: &str,
    query: &RankingQuery,
    today: NaiveDate,
) -> ApiResult<Ranking> {
    let (subject, key, scale) = measured(&query.standard, &None)?;
    let range = date_range(query.from, query.to, today)?;
    let [regions, segments, channels, checklists] = lists([
        &query.region,
        &query.segment,
        &query.channel,
        &query.checklist_id,
    ]);
    let places = places_of(conn, org)?;
    let cells = sum_cells(
        conn,
        org,
        subject,
        &CellFilter {
            range,
            today,
            grain: Grain::Month,
            locations: None,
            regions,
            segments,
            channels,
            checklists,
            subject_keys: key.clone().map(|k| vec![k]),
        },
        By {
            location: true,
            ..By::default()
        },
    )?;
    let mut per_location: HashMap<String, (i64, i64)> = HashMap::new();
    for cell in &cells {
        let total = per_location.entry(cell.location_id.clone()).or_default();
        total.0 += cell.n;
        total.1 += cell.sum_units;
    }
    let organization = organizations::find(conn, org)?;
    let standards = standards_of(conn, org)?;
    let target = key
        .as_ref()
        .and_then(|code| standards.get(code).map(|s| s.2));
    let mut rows: Vec<RankingRow> = per_location
        .into_iter()
        .filter(|(_, (n, _))| *n > 0)
        .filter_map(|(id, (n, units))| {
            let place = places.get(&id)?;
            let p = from_units(units) / n as f64;
            let (low, high) = wilson(p, n);
            Some(RankingRow {
                rank: 0,
                location_code: place.code.clone(),
                region: place.region.clone(),
                location_id: id,
                n,
                value: p * scale,
                ci_low: low * scale,
                ci_high: high * scale,
                gap: target.map(|t| t - p),
                reliable: n >= i64::from(organization.min_sample_size),
            })
        })
        .collect();
    rows.sort_by(|a, b| {
        b.value
            .total_cmp(&a.value)
            .then_with(|| a.location_code.cmp(&b.location_code))
    });
    for (i, row) in rows.iter_mut().enumerate() {
        row.rank = i + 1;
    }
    Ok(Ranking {
        by: key.unwrap_or_else(|| "visit_score".into()),
        target,
        min_sample_size: organization.min_sample_size,
        rows,
    })
}

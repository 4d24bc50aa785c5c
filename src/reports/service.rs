//! Reports answered from the roll-ups only.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, Months, NaiveDate, TimeDelta};
use diesel::prelude::*;

use super::dto::{GapQuery, GapReport, GapRow};
use super::rollups::RollupRow;
use super::rules::{cover, from_units, wilson, Grain, Subject};
use crate::db::schema::{locations, rollups, standards_book_versions};
use crate::db::DbConn;
use crate::error::{ApiError, ApiResult};
use crate::organizations::repo as organizations;
use crate::standards::dto::BookContent;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GroupKey {
    Standard,
    Dimension,
    Location,
    Region,
    Channel,
    Segment,
    Month,
    Week,
}

impl GroupKey {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "standard" => GroupKey::Standard,
            "dimension" => GroupKey::Dimension,
            "location" => GroupKey::Location,
            "region" => GroupKey::Region,
            "channel" => GroupKey::Channel,
            "segment" => GroupKey::Segment,
            "month" => GroupKey::Month,
            "week" => GroupKey::Week,
            _ => return None,
        })
    }
}

/// `a,b, c` → `["a", "b", "c"]`; absent or blank → `None` (no filter).
fn list(value: &Option<String>) -> Option<Vec<String>> {
    let items: Vec<String> = value
        .as_deref()?
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    (!items.is_empty()).then_some(items)
}

fn parse_group_by(query: &GapQuery) -> ApiResult<Vec<GroupKey>> {
    let names = list(&query.group_by).unwrap_or_else(|| vec!["standard".into()]);
    let mut keys = Vec::new();
    for name in &names {
        let key = GroupKey::parse(name).ok_or_else(|| {
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
fn standards_of(conn: &mut DbConn, org: &str) -> ApiResult<HashMap<String, (String, String, f64)>> {
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
    region: String,
    segment: String,
}

fn places_of(conn: &mut DbConn, org: &str) -> ApiResult<HashMap<String, Place>> {
    let rows: Vec<(String, String, String, String)> = locations::table
        .filter(locations::organization_id.eq(org))
        .select((
            locations::id,
            locations::code,
            locations::region,
            locations::segment,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, code, region, segment)| {
            (
                id,
                Place {
                    code,
                    region,
                    segment,
                },
            )
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

/// The gap report over the roll-ups, per PRODUCT.md §5.
pub fn gap_report(
    conn: &mut DbConn,
    org: &str,
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
    let to = query.to.unwrap_or(today);
    let range = match (query.from, query.to) {
        (None, None) => None,
        (from, _) => {
            let from = from.unwrap_or_else(|| Grain::Month.start_of(to) - Months::new(12 * 50));
            if from > to {
                return Err(ApiError::unprocessable("from", "must not be after to"));
            }
            if to - from > TimeDelta::days(366 * 50) {
                return Err(ApiError::unprocessable(
                    "to",
                    "a report spans at most 50 years",
                ));
            }
            Some((from, to))
        }
    };
    let organization = organizations::find(conn, org)?;
    let standards = standards_of(conn, org)?;
    let places = places_of(conn, org)?;

    // Locations by id, region and segment become one list of location ids.
    let wanted_ids = list(&query.location_id);
    let regions = list(&query.region);
    let segments = list(&query.segment);
    let location_filter: Option<Vec<String>> =
        if wanted_ids.is_some() || regions.is_some() || segments.is_some() {
            Some(
                places
                    .iter()
                    .filter(|(id, p)| {
                        wanted_ids.as_ref().is_none_or(|w| w.contains(id))
                            && regions.as_ref().is_none_or(|r| r.contains(&p.region))
                            && segments.as_ref().is_none_or(|s| s.contains(&p.segment))
                    })
                    .map(|(id, _)| id.clone())
                    .collect(),
            )
        } else {
            None
        };
    // Standards by code and dimension become one list of subject keys.
    let codes = list(&query.standard);
    let dimensions = list(&query.dimension);
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

    let mut q = rollups::table
        .filter(rollups::organization_id.eq(org))
        .filter(rollups::subject.eq(subject.as_str()))
        .select(RollupRow::as_select())
        .into_boxed();
    match range {
        Some((from, to)) => {
            let covered = cover(from, to, period_grain);
            let whole: Vec<NaiveDate> = covered
                .iter()
                .filter(|(g, _)| *g != Grain::Day)
                .map(|(_, d)| *d)
                .collect();
            let days: Vec<NaiveDate> = covered
                .iter()
                .filter(|(g, _)| *g == Grain::Day)
                .map(|(_, d)| *d)
                .collect();
            q = q.filter(
                rollups::grain
                    .eq(period_grain.as_str())
                    .and(rollups::period_start.eq_any(whole))
                    .or(rollups::grain
                        .eq("day")
                        .and(rollups::period_start.eq_any(days))),
            );
        }
        None => q = q.filter(rollups::grain.eq(period_grain.as_str())),
    }
    if let Some(ids) = location_filter {
        q = q.filter(rollups::location_id.eq_any(ids));
    }
    if let Some(channels) = list(&query.channel) {
        q = q.filter(rollups::channel.eq_any(channels));
    }
    if let Some(checklists) = list(&query.checklist_id) {
        q = q.filter(rollups::checklist_id.eq_any(checklists));
    }
    if let Some(subjects) = subject_filter {
        q = q.filter(rollups::subject_key.eq_any(subjects));
    }
    let cells: Vec<RollupRow> = q.load(conn)?;

    // Sum the cells per group.
    type Group = Vec<Option<String>>;
    let mut groups: BTreeMap<Group, (i64, i64)> = BTreeMap::new();
    for cell in &cells {
        let place = places.get(&cell.location_id);
        let group: Group = keys
            .iter()
            .map(|k| match k {
                GroupKey::Standard | GroupKey::Dimension => Some(cell.subject_key.clone()),
                GroupKey::Location => Some(cell.location_id.clone()),
                GroupKey::Region => place.map(|p| p.region.clone()),
                GroupKey::Segment => place.map(|p| p.segment.clone()),
                GroupKey::Channel => Some(cell.channel.clone()),
                GroupKey::Month => Some(period_label(Grain::Month, cell.period_start)),
                GroupKey::Week => Some(period_label(Grain::Week, cell.period_start)),
            })
            .collect();
        let total = groups.entry(group).or_default();
        total.0 += cell.n;
        total.1 += cell.sum_units;
    }

    let dimension_targets: HashMap<&str, f64> = {
        let mut sums: HashMap<&str, (f64, u32)> = HashMap::new();
        for (_, dimension, target) in standards.values() {
            let e = sums.entry(dimension.as_str()).or_default();
            e.0 += target;
            e.1 += 1;
        }
        sums.into_iter()
            .map(|(d, (s, c))| (d, s / f64::from(c)))
            .collect()
    };
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
                reliable: n >= i64::from(organization.min_sample_size),
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
                            .as_deref()
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
            row.significant = row.target.map(|t| high < t);
            row
        })
        .collect();
    // The largest shortfall first; rows without a target last.
    rows.sort_by(|a, b| {
        b.gap
            .unwrap_or(f64::NEG_INFINITY)
            .total_cmp(&a.gap.unwrap_or(f64::NEG_INFINITY))
    });
    Ok(GapReport {
        from: range.map(|(f, _)| f),
        to: range.map(|(_, t)| t),
        group_by: list(&query.group_by).unwrap_or_else(|| vec!["standard".into()]),
        min_sample_size: organization.min_sample_size,
        rows,
    })
}

/// The report as CSV, one line per row, for spreadsheets.
pub fn gap_csv(report: &GapReport) -> ApiResult<String> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record([
        "standard",
        "standard_text",
        "dimension",
        "location_id",
        "location_code",
        "region",
        "segment",
        "channel",
        "period",
        "n",
        "delivered",
        "target",
        "gap",
        "ci_low",
        "ci_high",
        "significant",
        "reliable",
    ])
    .map_err(ApiError::internal)?;
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let number = |v: Option<f64>| v.map(|x| format!("{x:.6}")).unwrap_or_default();
    for r in &report.rows {
        out.write_record([
            text(&r.standard),
            text(&r.standard_text),
            text(&r.dimension),
            text(&r.location_id),
            text(&r.location_code),
            text(&r.region),
            text(&r.segment),
            text(&r.channel),
            text(&r.period),
            r.n.to_string(),
            number(Some(r.delivered)),
            number(r.target),
            number(r.gap),
            number(Some(r.ci_low)),
            number(Some(r.ci_high)),
            r.significant.map(|b| b.to_string()).unwrap_or_default(),
            r.reliable.to_string(),
        ])
        .map_err(ApiError::internal)?;
    }
    String::from_utf8(out.into_inner().map_err(ApiError::internal)?).map_err(ApiError::internal)
}

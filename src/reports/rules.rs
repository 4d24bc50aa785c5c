//! The arithmetic of the reports, free of HTTP and SQL: which roll-up cells a visit adds to, how
//! a date range is covered by whole months (or weeks) and edge days, and the Wilson interval.

use chrono::{Datelike, Days, NaiveDate};

use crate::scoring::rules::VisitScore;

/// Fixed-point units per 1.0: sums of integers are exact in any order, so removing a visit
/// leaves exactly what was there before it, and a rebuild agrees with the running totals.
pub const UNITS: f64 = 1e9;

pub fn to_units(fraction: f64) -> i64 {
    (fraction * UNITS).round() as i64
}

pub fn from_units(units: i64) -> f64 {
    units as f64 / UNITS
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Grain {
    Day,
    Week,
    Month,
    /// Calendar years: read by reports that do not break their figures down by period, so a
    /// year's range is a few cells per group however dense the history.
    Year,
}

impl Grain {
    pub const ALL: [Grain; 4] = [Grain::Day, Grain::Week, Grain::Month, Grain::Year];

    pub fn as_str(self) -> &'static str {
        match self {
            Grain::Day => "day",
            Grain::Week => "week",
            Grain::Month => "month",
            Grain::Year => "year",
        }
    }

    /// The first day of the period of this grain that holds `day` (weeks are ISO weeks).
    pub fn start_of(self, day: NaiveDate) -> NaiveDate {
        match self {
            Grain::Day => day,
            Grain::Week => day - Days::new(day.weekday().num_days_from_monday().into()),
            Grain::Month => day.with_day(1).expect("day 1 exists"),
            Grain::Year => day.with_ordinal(1).expect("day 1 exists"),
        }
    }

    /// The last day of the period that starts on `start`.
    pub fn end_of(self, start: NaiveDate) -> NaiveDate {
        match self {
            Grain::Day => start,
            Grain::Week => start + Days::new(6),
            Grain::Month => {
                let next = if start.month() == 12 {
                    NaiveDate::from_ymd_opt(start.year() + 1, 1, 1)
                } else {
                    NaiveDate::from_ymd_opt(start.year(), start.month() + 1, 1)
                };
                next.expect("a next month exists")
                    .pred_opt()
                    .expect("a day before")
            }
            Grain::Year => NaiveDate::from_ymd_opt(start.year(), 12, 31).expect("31 December"),
        }
    }
}

/// What a roll-up row counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subject {
    Standard,
    Dimension,
    Visit,
    VisitBucket,
}

impl Subject {
    pub fn as_str(self) -> &'static str {
        match self {
            Subject::Standard => "standard",
            Subject::Dimension => "dimension",
            Subject::Visit => "visit",
            Subject::VisitBucket => "visit_bucket",
        }
    }
}

/// One visit's share of one roll-up cell (before the location, channel and checklist keys).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contribution {
    pub subject: Subject,
    pub subject_key: String,
    pub grain: Grain,
    pub period_start: NaiveDate,
    pub n: i64,
    pub sum_units: i64,
    pub critical_failures: i64,
}

/// The cells a visit adds to (`sign` 1) or takes from (`sign` -1): every standard and dimension
/// it observed, its visit score and the tenth that score falls in, for the day, ISO week and
/// month of its local date.
pub fn contributions(score: &VisitScore, local_day: NaiveDate, sign: i64) -> Vec<Contribution> {
    let mut cells: Vec<(Subject, String, i64, i64)> = Vec::new();
    for (code, c) in &score.standards {
        cells.push((Subject::Standard, code.clone(), to_units(c.value), 0));
    }
    for (dimension, c) in &score.dimensions {
        let key = serde_json::to_value(dimension)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        cells.push((Subject::Dimension, key, to_units(c.value), 0));
    }
    if let Some(visit) = score.visit_score {
        let critical = i64::from(score.critical_failure);
        cells.push((
            Subject::Visit,
            String::new(),
            to_units(visit / 100.0),
            critical,
        ));
        cells.push((Subject::VisitBucket, bucket(visit).to_string(), 0, 0));
    }
    let mut out = Vec::with_capacity(cells.len() * Grain::ALL.len());
    for grain in Grain::ALL {
        for (subject, key, units, critical) in &cells {
            out.push(Contribution {
                subject: *subject,
                subject_key: key.clone(),
                grain,
                period_start: grain.start_of(local_day),
                n: sign,
                sum_units: sign * units,
                critical_failures: sign * critical,
            });
        }
    }
    out
}

/// The tenth of 0..100 a visit score falls in: 0 for [0, 10), …, 9 for [90, 100].
pub fn bucket(visit_score: f64) -> u8 {
    ((visit_score / 10.0).floor().clamp(0.0, 9.0)) as u8
}

/// One roll-up period read by a report, added (`sign` 1) or taken away (`sign` -1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cover {
    pub grain: Grain,
    pub start: NaiveDate,
    pub sign: i64,
}

impl Cover {
    fn plus(grain: Grain, start: NaiveDate) -> Self {
        Cover {
            grain,
            start,
            sign: 1,
        }
    }

    fn negated(self) -> Self {
        Cover {
            sign: -self.sign,
            ..self
        }
    }
}

/// A date range as roll-up periods of `grain` and finer: the whole `grain` periods inside it,
/// and for each period the range only partly covers, the cheaper of two exact readings:
///
/// - the days inside, read the same way one grain finer (a year's months; a month's whole ISO
///   weeks, only weeks lying within that month so that they still sum into it, and single days;
///   a week's days); or
/// - the whole period minus the days outside the range, read that way and subtracted.
///
/// A reading costs the cells it reads that begin by `today` (the organization's latest local
/// date): a cell that begins later holds no visit yet, so it is an empty stretch of the index.
/// So the year to 2026-12-03 reads 2026 as "the year, less the rest of December" (one cell
/// with visits) rather than eleven months and three days (14), and December 2025 from the 4th
/// as "December less its first three days" (4) rather than four days, three weeks and three
/// more days (10). Cells below a month are day and week history; once visits are frequent
/// every one of them is as full as a year (a location's standards), so the number read with
/// visits in them is what a report's time grows with.
///
/// The summed rows give exactly the range whatever lies in the cells: a subtracted cell was
/// added into the period it lies in by the same visits, under the same keys, and a visit dated
/// after `today` is read (or subtracted) like any other. Every cell lies within one period of
/// `grain`, so a report grouped by that grain can label each by the period it lies in.
pub fn cover(from: NaiveDate, to: NaiveDate, grain: Grain, today: NaiveDate) -> Vec<Cover> {
    // Cells with visits first; then fewer cells (fewer binds) between readings that cost the same.
    let cost = |cells: &[Cover]| {
        let dated = cells.iter().filter(|c| c.start <= today).count();
        (dated, cells.len())
    };
    let mut out = Vec::new();
    let mut day = from;
    while day <= to {
        let start = grain.start_of(day);
        let end = grain.end_of(start);
        let (low, high) = (day, end.min(to));
        if low == start && high == end {
            out.push(Cover::plus(grain, start));
        } else {
            let inside = finer(low, high, grain, today);
            let mut whole = vec![Cover::plus(grain, start)];
            if low > start {
                let before = finer(start, low.pred_opt().expect("after start"), grain, today);
                whole.extend(before.into_iter().map(Cover::negated));
            }
            if high < end {
                let after = finer(high.succ_opt().expect("before end"), end, grain, today);
                whole.extend(after.into_iter().map(Cover::negated));
            }
            out.extend(if cost(&whole) < cost(&inside) {
                whole
            } else {
                inside
            });
        }
        day = high + Days::new(1);
    }
    out
}

/// `from..=to`, lying within one `grain` period, read one grain finer (see [`cover`]).
fn finer(from: NaiveDate, to: NaiveDate, grain: Grain, today: NaiveDate) -> Vec<Cover> {
    match grain {
        Grain::Year => cover(from, to, Grain::Month, today),
        _ => fill(from, to, grain)
            .into_iter()
            .map(|(g, d)| Cover::plus(g, d))
            .collect(),
    }
}

/// Days `from..=to` of one partial `grain` period (or any range, for the day grain) as whole
/// ISO weeks lying in one month (when the grain is a month) and single days.
fn fill(from: NaiveDate, to: NaiveDate, grain: Grain) -> Vec<(Grain, NaiveDate)> {
    let mut out = Vec::new();
    let mut day = from;
    while day <= to {
        let week_end = Grain::Week.end_of(day);
        if grain == Grain::Month
            && Grain::Week.start_of(day) == day
            && week_end <= to
            && week_end.month() == day.month()
        {
            out.push((Grain::Week, day));
            day = week_end + Days::new(1);
        } else {
            out.push((Grain::Day, day));
            day = day + Days::new(1);
        }
    }
    out
}

/// "Today" for a report: the latest local date among the organization's locations' time zones
/// at `now` (UTC's date when it has none, or only zones this build does not know).
///
/// A visit counts on its local date at its location, so a report whose default range ended at
/// UTC's date would leave out, until UTC's midnight, every visit made after local midnight east
/// of UTC (in Tokyo, the whole morning). The latest zone's date takes them in; a date any later
/// (the world's latest, UTC+14) would only add periods no visit can have reached yet.
pub fn today_at<'a>(
    now: chrono::DateTime<chrono::Utc>,
    time_zones: impl IntoIterator<Item = &'a str>,
) -> NaiveDate {
    time_zones
        .into_iter()
        .filter_map(|zone| zone.parse::<chrono_tz::Tz>().ok())
        .map(|tz| now.with_timezone(&tz).date_naive())
        .max()
        .unwrap_or_else(|| now.date_naive())
}

/// The longest period a report (or a belief it reads) spans: 50 years. Reports enumerate the
/// months of a period, so the bound keeps every report's work bounded.
pub const MAX_SPAN_YEARS: i64 = 50;

/// Whether `from..=to` spans more than [`MAX_SPAN_YEARS`].
pub fn span_too_long(from: NaiveDate, to: NaiveDate) -> bool {
    to - from > chrono::TimeDelta::days(366 * MAX_SPAN_YEARS)
}

/// z of a two-sided 95 % interval.
const Z95: f64 = 1.96;

/// The 95 % Wilson score interval for a proportion `p` observed over `n` visits.
///
/// At p = 0 and p = 1 the ends come from their closed forms (0 and z²/(n + z²); n/(n + z²) and
/// 1): the general formula, in floating point, gives 0.9999999999999999 as the upper end of a
/// perfect record for some n, and a standard delivered perfectly against a target of 1 would
/// then read as a significant shortfall. The interval always contains `p`.
pub fn wilson(p: f64, n: i64) -> (f64, f64) {
    if n <= 0 {
        return (0.0, 1.0);
    }
    let p = p.clamp(0.0, 1.0);
    let n = n as f64;
    let z2 = Z95 * Z95;
    if p >= 1.0 {
        return (n / (n + z2), 1.0);
    }
    if p <= 0.0 {
        return (0.0, z2 / (n + z2));
    }
    let denominator = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denominator;
    let half = Z95 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denominator;
    ((centre - half).clamp(0.0, p), (centre + half).clamp(p, 1.0))
}

/// A shortfall is significant when the whole interval lies below the target; never when what
/// was delivered reaches the target, whatever rounding did to the interval.
pub fn significant_shortfall(delivered: f64, ci_high: f64, target: f64) -> bool {
    delivered < target && ci_high < target
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::scoring::rules::Compliance;
    use crate::standards::dto::Dimension;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn periods_start_on_mondays_and_firsts() {
        // 2026-11-25 is a Wednesday.
        assert_eq!(Grain::Week.start_of(d(2026, 11, 25)), d(2026, 11, 23));
        assert_eq!(Grain::Week.start_of(d(2026, 11, 23)), d(2026, 11, 23));
        assert_eq!(Grain::Week.start_of(d(2027, 1, 1)), d(2026, 12, 28));
        assert_eq!(Grain::Month.start_of(d(2026, 11, 25)), d(2026, 11, 1));
        assert_eq!(Grain::Month.end_of(d(2026, 12, 1)), d(2026, 12, 31));
        assert_eq!(Grain::Month.end_of(d(2028, 2, 1)), d(2028, 2, 29));
        assert_eq!(Grain::Year.start_of(d(2026, 11, 25)), d(2026, 1, 1));
        assert_eq!(Grain::Year.end_of(d(2026, 1, 1)), d(2026, 12, 31));
    }

    fn plus(grain: Grain, start: NaiveDate) -> Cover {
        Cover {
            grain,
            start,
            sign: 1,
        }
    }

    /// A "today" after every range below: every cell read may hold visits.
    const LATER: NaiveDate = NaiveDate::from_ymd_opt(2100, 1, 1).unwrap();

    fn minus(grain: Grain, start: NaiveDate) -> Cover {
        Cover {
            grain,
            start,
            sign: -1,
        }
    }

    #[test]
    fn a_range_is_covered_by_whole_periods_and_edge_days() {
        let covered = cover(d(2026, 10, 30), d(2026, 12, 2), Grain::Month, LATER);
        assert_eq!(
            covered,
            vec![
                plus(Grain::Day, d(2026, 10, 30)),
                plus(Grain::Day, d(2026, 10, 31)),
                plus(Grain::Month, d(2026, 11, 1)),
                plus(Grain::Day, d(2026, 12, 1)),
                plus(Grain::Day, d(2026, 12, 2)),
            ]
        );
        let weeks = cover(d(2026, 11, 22), d(2026, 12, 7), Grain::Week, LATER);
        assert_eq!(
            weeks,
            vec![
                plus(Grain::Day, d(2026, 11, 22)),
                plus(Grain::Week, d(2026, 11, 23)),
                plus(Grain::Week, d(2026, 11, 30)),
                plus(Grain::Day, d(2026, 12, 7)),
            ]
        );
        // Whole weeks inside a partial month stand in for their days; a week across the end of
        // a month does not (it would count in two months).
        let edges = cover(d(2026, 10, 19), d(2026, 11, 30), Grain::Month, LATER);
        assert_eq!(
            edges,
            vec![
                plus(Grain::Week, d(2026, 10, 19)),
                plus(Grain::Day, d(2026, 10, 26)),
                plus(Grain::Day, d(2026, 10, 27)),
                plus(Grain::Day, d(2026, 10, 28)),
                plus(Grain::Day, d(2026, 10, 29)),
                plus(Grain::Day, d(2026, 10, 30)),
                plus(Grain::Day, d(2026, 10, 31)),
                plus(Grain::Month, d(2026, 11, 1)),
            ]
        );
        assert!(cover(d(2026, 1, 2), d(2026, 1, 1), Grain::Month, LATER).is_empty());
    }

    #[test]
    fn a_mostly_covered_period_is_read_as_the_whole_minus_what_lies_outside() {
        // A year to 2026-12-03: December 2025 from the 4th is the month minus three days.
        let year = cover(d(2025, 12, 4), d(2026, 12, 3), Grain::Month, LATER);
        assert_eq!(year.len(), 1 + 3 + 11 + 3, "{year:?}");
        assert_eq!(
            year[..4],
            [
                plus(Grain::Month, d(2025, 12, 1)),
                minus(Grain::Day, d(2025, 12, 1)),
                minus(Grain::Day, d(2025, 12, 2)),
                minus(Grain::Day, d(2025, 12, 3)),
            ]
        );
        assert_eq!(year[year.len() - 1], plus(Grain::Day, d(2026, 12, 3)));
        // Read with years (a report not broken down by period), the same range in the past:
        // nine cells.
        let by_year = cover(d(2025, 12, 4), d(2026, 12, 3), Grain::Year, LATER);
        assert_eq!(
            by_year,
            vec![
                plus(Grain::Month, d(2025, 12, 1)),
                minus(Grain::Day, d(2025, 12, 1)),
                minus(Grain::Day, d(2025, 12, 2)),
                minus(Grain::Day, d(2025, 12, 3)),
                plus(Grain::Year, d(2026, 1, 1)),
                minus(Grain::Month, d(2026, 12, 1)),
                plus(Grain::Day, d(2026, 12, 1)),
                plus(Grain::Day, d(2026, 12, 2)),
                plus(Grain::Day, d(2026, 12, 3)),
            ]
        );
        // Outside days both before and after, within one month.
        let middle = cover(d(2026, 10, 2), d(2026, 10, 30), Grain::Month, LATER);
        assert_eq!(
            middle,
            vec![
                plus(Grain::Month, d(2026, 10, 1)),
                minus(Grain::Day, d(2026, 10, 1)),
                minus(Grain::Day, d(2026, 10, 31)),
            ]
        );
        // A week less its Sunday.
        let week = cover(d(2026, 11, 23), d(2026, 11, 28), Grain::Week, LATER);
        assert_eq!(
            week,
            vec![
                plus(Grain::Week, d(2026, 11, 23)),
                minus(Grain::Day, d(2026, 11, 29)),
            ]
        );
    }

    #[test]
    fn every_day_of_a_range_is_covered_exactly_once() {
        // Counting each day with its sign: every day inside once, every day outside zero times,
        // for ranges starting and ending on every day of two years' worth of offsets.
        // Today after the range, at its end, and within it.
        let first = d(2025, 12, 17);
        for grain in Grain::ALL {
            for length in [0u64, 1, 5, 17, 30, 45, 200, 364, 445, 800] {
                for offset in 0u64..40 {
                    let from = first + Days::new(offset * 3);
                    let to = from + Days::new(length);
                    for today in [LATER, to, from + Days::new(length / 2)] {
                        covered_exactly_once(from, to, grain, today);
                    }
                }
            }
        }
    }

    fn covered_exactly_once(from: NaiveDate, to: NaiveDate, grain: Grain, today: NaiveDate) {
        let mut count: BTreeMap<NaiveDate, i64> = BTreeMap::new();
        let covered = cover(from, to, grain, today);
        for c in &covered {
            let mut day = c.start;
            while day <= c.grain.end_of(c.start) {
                *count.entry(day).or_default() += c.sign;
                day = day + Days::new(1);
            }
        }
        count.retain(|_, n| *n != 0);
        let expected: BTreeMap<NaiveDate, i64> = from
            .iter_days()
            .take_while(|x| *x <= to)
            .map(|x| (x, 1))
            .collect();
        assert_eq!(count, expected, "{grain:?} {from} {to}");
        // Every cell lies within one period of the report's grain (a report grouped by period
        // labels it so), and a subtracted one within a coarser cell that is added.
        for c in &covered {
            let last = c.grain.end_of(c.start);
            assert_eq!(grain.start_of(c.start), grain.start_of(last), "{c:?}");
            if c.sign < 0 {
                assert!(covered.iter().any(|p| p.sign > 0
                    && p.grain > c.grain
                    && p.start <= c.start
                    && last <= p.grain.end_of(p.start)));
            }
        }
        // Counting the cells that begin by today (later ones are free): a partial month costs
        // at most 10 at an edge of a longer range (14 before subtracting), and a dozen within
        // one month; read with years, a range costs no more than read by its months.
        let dated = |cells: &[Cover]| cells.iter().filter(|c| c.start <= today).count();
        let edge = covered
            .iter()
            .filter(|c| c.grain < Grain::Month && c.start <= today)
            .count();
        if grain >= Grain::Month {
            assert!(edge <= 2 * 12, "{grain:?} {from} {to}: {edge}");
        }
        if grain == Grain::Year {
            let by_month = cover(from, to, Grain::Month, today);
            assert!(dated(&covered) <= dated(&by_month), "{from} {to}");
        }
    }

    #[test]
    fn cells_after_today_cost_nothing() {
        // The year to today, 2026-12-03: 2026 is one cell with visits, less the rest of
        // December (no visits yet); December 2025 from the 4th is the month less three days.
        let today = d(2026, 12, 3);
        let year = cover(d(2025, 12, 4), today, Grain::Year, today);
        let dated: Vec<Cover> = year.iter().copied().filter(|c| c.start <= today).collect();
        assert_eq!(
            dated,
            vec![
                plus(Grain::Month, d(2025, 12, 1)),
                minus(Grain::Day, d(2025, 12, 1)),
                minus(Grain::Day, d(2025, 12, 2)),
                minus(Grain::Day, d(2025, 12, 3)),
                plus(Grain::Year, d(2026, 1, 1)),
            ]
        );
        assert!(year
            .iter()
            .filter(|c| c.start > today)
            .all(|c| c.sign < 0 && c.grain < Grain::Month));
        // The same range in the past reads the rest of December as the month less its days.
        assert_eq!(cover(d(2025, 12, 4), today, Grain::Year, LATER).len(), 9);
        // December to date grouped by week: this week less its Monday (30 November) and its
        // days to come is two cells with visits, against three days.
        let month = cover(d(2026, 12, 1), today, Grain::Week, today);
        assert_eq!(
            month,
            vec![
                plus(Grain::Week, d(2026, 11, 30)),
                minus(Grain::Day, d(2026, 11, 30)),
                minus(Grain::Day, d(2026, 12, 4)),
                minus(Grain::Day, d(2026, 12, 5)),
                minus(Grain::Day, d(2026, 12, 6)),
            ]
        );
    }

    #[test]
    fn wilson_matches_worked_values() {
        // p = 0.5, n = 10: centre 0.5, half-width 1.96·sqrt(0.025 + 0.009604)/1.38416 = 0.2634.
        let (lo, hi) = wilson(0.5, 10);
        assert!(
            (lo - 0.2366).abs() < 1e-4 && (hi - 0.7634).abs() < 1e-4,
            "{lo} {hi}"
        );
        // p = 1, n = 5: the upper bound is 1, the lower 5/(5 + 3.8416) = 0.5655.
        let (lo, hi) = wilson(1.0, 5);
        assert!((lo - 0.5655).abs() < 1e-4 && hi == 1.0, "{lo} {hi}");
        assert_eq!(wilson(0.3, 0), (0.0, 1.0));
    }

    #[test]
    fn wilson_ends_are_exact_and_a_perfect_record_is_never_a_shortfall() {
        for n in 1..=2000 {
            let z2 = 1.96f64 * 1.96;
            let nf = n as f64;
            assert_eq!(wilson(1.0, n), (nf / (nf + z2), 1.0), "n = {n}");
            assert_eq!(wilson(0.0, n), (0.0, z2 / (nf + z2)), "n = {n}");
            let (_, high) = wilson(1.0, n);
            assert!(!significant_shortfall(1.0, high, 1.0), "n = {n}");
        }
    }

    proptest::proptest! {
        #[test]
        fn wilson_holds_its_estimate_and_stays_in_range(k in 0i64..=2000, extra in 0i64..=2000) {
            let n = k + extra.max(1);
            let p = k as f64 / n as f64;
            let (low, high) = wilson(p, n);
            proptest::prop_assert!(0.0 <= low && low <= p && p <= high && high <= 1.0);
        }

        #[test]
        fn delivery_at_or_above_target_is_never_significant(
            delivered in 0.0f64..=1.0, target in 0.0f64..=1.0, n in 1i64..=2000
        ) {
            let (_, high) = wilson(delivered, n);
            if delivered >= target {
                proptest::prop_assert!(!significant_shortfall(delivered, high, target));
            }
        }
    }

    #[test]
    fn a_visit_adds_to_every_cell_it_observed_and_removing_it_cancels() {
        let score = VisitScore {
            raw_score: Some(80.0),
            visit_score: Some(0.0),
            critical_failure: true,
            sections: vec![],
            standards: BTreeMap::from([(
                "GRT-01".to_string(),
                Compliance {
                    value: 0.75,
                    weight: 4.0,
                    items: 2,
                },
            )]),
            dimensions: BTreeMap::from([(
                Dimension::Empathy,
                Compliance {
                    value: 0.75,
                    weight: 4.0,
                    items: 2,
                },
            )]),
        };
        let day = d(2026, 11, 25);
        let added = contributions(&score, day, 1);
        assert_eq!(added.len(), 4 * 4);
        assert!(added
            .iter()
            .any(|c| c.grain == Grain::Year && c.period_start == d(2026, 1, 1)));
        let standard = added
            .iter()
            .find(|c| c.subject == Subject::Standard && c.grain == Grain::Week)
            .unwrap();
        assert_eq!(standard.period_start, d(2026, 11, 23));
        assert_eq!(standard.sum_units, 750_000_000);
        let visit = added
            .iter()
            .find(|c| c.subject == Subject::Visit && c.grain == Grain::Month)
            .unwrap();
        assert_eq!(
            (visit.n, visit.sum_units, visit.critical_failures),
            (1, 0, 1)
        );
        let removed = contributions(&score, day, -1);
        for (a, r) in added.iter().zip(&removed) {
            assert_eq!(
                (
                    a.n + r.n,
                    a.sum_units + r.sum_units,
                    a.critical_failures + r.critical_failures
                ),
                (0, 0, 0)
            );
        }
        assert_eq!(bucket(100.0), 9);
        assert_eq!(bucket(0.0), 0);
        assert_eq!(bucket(59.99), 5);
    }

    #[test]
    fn today_is_the_latest_local_date_among_the_locations() {
        use chrono::TimeZone;
        // 23:30 UTC on 3 December: already the 4th in Berlin and Tokyo, still the 3rd in New York.
        let now = chrono::Utc
            .with_ymd_and_hms(2026, 12, 3, 23, 30, 0)
            .unwrap();
        assert_eq!(today_at(now, ["America/New_York"]), d(2026, 12, 3));
        assert_eq!(
            today_at(now, ["America/New_York", "Europe/Berlin"]),
            d(2026, 12, 4)
        );
        assert_eq!(today_at(now, []), d(2026, 12, 3));
        assert_eq!(today_at(now, ["Not/AZone"]), d(2026, 12, 3));
        // West of UTC only: the date there, not UTC's.
        let morning = chrono::Utc.with_ymd_and_hms(2026, 12, 4, 2, 0, 0).unwrap();
        assert_eq!(today_at(morning, ["America/New_York"]), d(2026, 12, 3));
    }
}

//! The five-gaps ladder report (PRODUCT.md section 8): per standard or dimension, customer
//! expectation and perception, management's view of the expectation, the target, delivered
//! and the promised level, with gaps 1 to 5. Survey figures come from `survey_rollups`,
//! delivered from the visit roll-ups (the gap report), promises from their table.
//!
//! Decisions: management answers count when their scope contains the report's scope: the
//! organization's always, a region's when the report asks for exactly that region (or one
//! location in it), a location's when it asks for exactly that location. A dimension's `R` is
//! the mean promised level of its standards that have a promise, as its `T` is their mean
//! target. Without `from`/`to` the report covers all history.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::{GapQuery, GapRow};
use super::ladder::{self, Delivered, Gap, Inputs, Mean};
use super::service::{date_range, gap_report, split_list, standards_of};
use crate::contract::types::{Code, Label};
use crate::db::DbConn;
use crate::error::ApiResult;
use crate::locations::dto::Segment;
use crate::organizations::repo as organizations;
use crate::promises::rules::promised_level;
use crate::standards::dto::{Channel, Dimension};
use crate::surveys::store::{self, Scope, SplitBy, Sums, DIFFERENCE, EXPECTATION, PERCEPTION};

/// What a row of the ladder is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LadderSubject {
    #[default]
    Standard,
    Dimension,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FiveGapsQuery {
    /// First day (inclusive): visits and customer responses by their local date, management
    /// answers and promises by overlap. Default: all history.
    pub from: Option<NaiveDate>,
    /// Last day (inclusive). Default: today (the latest local date among the locations).
    pub to: Option<NaiveDate>,
    /// Location ids (comma-separated, at most 100).
    #[param(value_type = Option<Vec<uuid::Uuid>>, style = Form, explode = false, max_items = 100)]
    pub location_id: Option<String>,
    /// Regions (comma-separated, at most 100).
    #[param(value_type = Option<Vec<Label>>, style = Form, explode = false, max_items = 100)]
    pub region: Option<String>,
    /// Channels (comma-separated, at most 100): of the visits' checklists and the survey links.
    #[param(value_type = Option<Vec<Channel>>, style = Form, explode = false, max_items = 100)]
    pub channel: Option<String>,
    /// Segments (comma-separated, at most 100).
    #[param(value_type = Option<Vec<Segment>>, style = Form, explode = false, max_items = 100)]
    pub segment: Option<String>,
    /// Standard codes (comma-separated, at most 100).
    #[param(value_type = Option<Vec<Code>>, style = Form, explode = false, max_items = 100)]
    pub standard: Option<String>,
    /// One row per standard (default) or per dimension.
    pub subject: Option<LadderSubject>,
    /// One ladder per location, region or calendar month as well, like the gap report's
    /// grouping. Management answers count in a group when their scope contains it (a
    /// location's group: the organization's, its region's and its own) and, by month, when
    /// their period overlaps the month.
    pub group_by: Option<LadderGroup>,
}

/// A ladder's grouping beside its subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LadderGroup {
    Location,
    Region,
    Month,
}

/// Delivered as the gap report measures it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeliveredFigure {
    pub value: f64,
    pub n: i64,
    pub ci_low: f64,
    pub ci_high: f64,
}

/// One standard's (or dimension's) ladder.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LadderRow {
    #[schema(value_type = Option<Code>)]
    pub standard: Option<String>,
    pub dimension: Option<Dimension>,
    /// The group's location (grouped by location).
    #[schema(value_type = Option<uuid::Uuid>)]
    pub location_id: Option<String>,
    #[schema(value_type = Option<Code>)]
    pub location_code: Option<String>,
    /// The group's region (grouped by region; by location, the location's region now).
    pub region: Option<String>,
    /// The group's month `YYYY-MM` (grouped by month).
    pub period: Option<String>,
    /// `E_c`: what customers expect.
    pub customer_expectation: Option<Mean>,
    /// `P_c`: what customers perceived.
    pub customer_perception: Option<Mean>,
    /// `E_m`: what managers believe customers expect.
    pub management_expectation: Option<Mean>,
    /// `T`.
    pub target: Option<f64>,
    /// `D`.
    pub delivered: Option<DeliveredFigure>,
    /// `R`: the highest level promised during the period.
    pub promised: Option<f64>,
    /// Gap 1 = E_c − E_m (Welch interval).
    pub gap1_knowledge: Gap,
    /// Gap 2 = E_m − T.
    pub gap2_standards: Gap,
    /// Gap 3 = T − D (Wilson interval of D).
    pub gap3_delivery: Gap,
    /// Gap 4 = R − D.
    pub gap4_communication: Gap,
    /// Gap 5 = E_c − P_c (paired).
    pub gap5_customer: Gap,
    /// E_c − D, which is exactly gap 1 + gap 2 + gap 3.
    pub expectation_vs_delivered: Option<f64>,
}

/// The share of responses preferring a channel, customers beside managers' belief.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChannelPreference {
    pub channel: Channel,
    pub customer_share: Option<f64>,
    pub customer_n: i64,
    pub management_share: Option<f64>,
    pub management_n: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FiveGapsReport {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub subject: LadderSubject,
    pub group_by: Option<LadderGroup>,
    pub min_sample_size: i32,
    /// Grouped: the groups in order (location code, region or month), each group's rows in
    /// subject order.
    pub rows: Vec<LadderRow>,
    /// Mean over customer responses with importance points of Σ_d (points_d / 100)(E_d − P_d).
    pub weighted_gap5: Option<Mean>,
    pub channel_preferences: Vec<ChannelPreference>,
    /// The rows flattened, for CSV.
    #[serde(skip)]
    #[schema(ignore)]
    pub csv_rows: Vec<LadderCsvRow>,
}

/// A ladder row as one CSV line: each figure and each gap's value, interval, `significant`,
/// `reliable` and missing inputs (separated by `;`).
#[derive(Debug, Clone, Serialize)]
pub struct LadderCsvRow {
    pub standard: Option<String>,
    pub dimension: Option<String>,
    pub location_code: Option<String>,
    pub region: Option<String>,
    pub period: Option<String>,
    pub e_c: Option<f64>,
    pub e_c_n: i64,
    pub p_c: Option<f64>,
    pub p_c_n: i64,
    pub e_m: Option<f64>,
    pub e_m_n: i64,
    pub target: Option<f64>,
    pub delivered: Option<f64>,
    pub delivered_n: i64,
    pub promised: Option<f64>,
    pub gap1: Option<f64>,
    pub gap1_ci_low: Option<f64>,
    pub gap1_ci_high: Option<f64>,
    pub gap1_significant: bool,
    pub gap1_reliable: bool,
    pub gap1_missing: String,
    pub gap2: Option<f64>,
    pub gap2_ci_low: Option<f64>,
    pub gap2_ci_high: Option<f64>,
    pub gap2_significant: bool,
    pub gap2_reliable: bool,
    pub gap2_missing: String,
    pub gap3: Option<f64>,
    pub gap3_ci_low: Option<f64>,
    pub gap3_ci_high: Option<f64>,
    pub gap3_significant: bool,
    pub gap3_reliable: bool,
    pub gap3_missing: String,
    pub gap4: Option<f64>,
    pub gap4_ci_low: Option<f64>,
    pub gap4_ci_high: Option<f64>,
    pub gap4_significant: bool,
    pub gap4_reliable: bool,
    pub gap4_missing: String,
    pub gap5: Option<f64>,
    pub gap5_ci_low: Option<f64>,
    pub gap5_ci_high: Option<f64>,
    pub gap5_significant: bool,
    pub gap5_reliable: bool,
    pub gap5_missing: String,
    pub expectation_vs_delivered: Option<f64>,
}

impl From<&LadderRow> for LadderCsvRow {
    fn from(r: &LadderRow) -> Self {
        let gap = |g: &Gap| {
            (
                g.value,
                g.ci_low,
                g.ci_high,
                g.significant,
                g.reliable,
                g.missing.join(";"),
            )
        };
        let (gap1, gap1_ci_low, gap1_ci_high, gap1_significant, gap1_reliable, gap1_missing) =
            gap(&r.gap1_knowledge);
        let (gap2, gap2_ci_low, gap2_ci_high, gap2_significant, gap2_reliable, gap2_missing) =
            gap(&r.gap2_standards);
        let (gap3, gap3_ci_low, gap3_ci_high, gap3_significant, gap3_reliable, gap3_missing) =
            gap(&r.gap3_delivery);
        let (gap4, gap4_ci_low, gap4_ci_high, gap4_significant, gap4_reliable, gap4_missing) =
            gap(&r.gap4_communication);
        let (gap5, gap5_ci_low, gap5_ci_high, gap5_significant, gap5_reliable, gap5_missing) =
            gap(&r.gap5_customer);
        let figure = |m: &Option<Mean>| (m.map(|m| m.value), m.map_or(0, |m| m.n));
        let (e_c, e_c_n) = figure(&r.customer_expectation);
        let (p_c, p_c_n) = figure(&r.customer_perception);
        let (e_m, e_m_n) = figure(&r.management_expectation);
        LadderCsvRow {
            standard: r.standard.clone(),
            dimension: r.dimension.map(dimension_key),
            location_code: r.location_code.clone(),
            region: r.region.clone(),
            period: r.period.clone(),
            e_c,
            e_c_n,
            p_c,
            p_c_n,
            e_m,
            e_m_n,
            target: r.target,
            delivered: r.delivered.as_ref().map(|d| d.value),
            delivered_n: r.delivered.as_ref().map_or(0, |d| d.n),
            promised: r.promised,
            gap1,
            gap1_ci_low,
            gap1_ci_high,
            gap1_significant,
            gap1_reliable,
            gap1_missing,
            gap2,
            gap2_ci_low,
            gap2_ci_high,
            gap2_significant,
            gap2_reliable,
            gap2_missing,
            gap3,
            gap3_ci_low,
            gap3_ci_high,
            gap3_significant,
            gap3_reliable,
            gap3_missing,
            gap4,
            gap4_ci_low,
            gap4_ci_high,
            gap4_significant,
            gap4_reliable,
            gap4_missing,
            gap5,
            gap5_ci_low,
            gap5_ci_high,
            gap5_significant,
            gap5_reliable,
            gap5_missing,
            expectation_vs_delivered: r.expectation_vs_delivered,
        }
    }
}

/// One row to be: its roll-up key, what it is about, its target and the standards whose
/// promises make its promised level.
struct Subject {
    key: String,
    code: Option<String>,
    dimension: Option<Dimension>,
    target: Option<f64>,
    codes: Vec<String>,
}

/// One ladder of a grouped report: its key in the roll-ups and the delivered rows, what it
/// shows, and the scope management answers must contain.
struct Group {
    key: String,
    location_id: Option<String>,
    location_code: Option<String>,
    region: Option<String>,
    period: Option<String>,
    management_scope: Scope,
    /// The days promises are read over.
    days: (NaiveDate, NaiveDate),
}

fn dimension_key(d: Dimension) -> String {
    serde_json::to_value(d)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn mean(sums: Option<&Sums>, series: usize) -> Option<Mean> {
    sums.and_then(|s| ladder::mean_of(s.n[series], s.sum[series], s.sumsq[series]))
}

fn preferences(
    customer: &BTreeMap<String, Sums>,
    management: &BTreeMap<String, Sums>,
) -> Vec<ChannelPreference> {
    let counts = |sums: &BTreeMap<String, Sums>| -> BTreeMap<Channel, i64> {
        sums.iter()
            .filter_map(|(k, s)| {
                Channel::parse(k.strip_prefix("channel:")?).map(|c| (c, s.responses))
            })
            .collect()
    };
    let (c, m) = (counts(customer), counts(management));
    let (ct, mt): (i64, i64) = (c.values().sum(), m.values().sum());
    let share = |n: i64, total: i64| (total > 0).then(|| n as f64 / total as f64);
    Channel::ALL
        .into_iter()
        .filter(|ch| c.contains_key(ch) || m.contains_key(ch))
        .map(|ch| {
            let (cn, mn) = (
                c.get(&ch).copied().unwrap_or(0),
                m.get(&ch).copied().unwrap_or(0),
            );
            ChannelPreference {
                channel: ch,
                customer_share: share(cn, ct),
                customer_n: cn,
                management_share: share(mn, mt),
                management_n: mn,
            }
        })
        .collect()
}

pub fn report(
    conn: &mut DbConn,
    org: &str,
    query: &FiveGapsQuery,
    today: NaiveDate,
) -> ApiResult<FiveGapsReport> {
    let range = date_range(query.from, query.to, today)?;
    let subject = query.subject.unwrap_or_default();
    let min_sample = organizations::find(conn, org)?.min_sample_size;
    let scope = Scope {
        from: range.map(|r| r.0),
        to: range.map(|r| r.1),
        location_ids: split_list(&query.location_id),
        regions: split_list(&query.region),
        segments: split_list(&query.segment),
        channels: split_list(&query.channel),
    };
    let split = match query.group_by {
        None => SplitBy::Nothing,
        Some(LadderGroup::Location) => SplitBy::Location,
        Some(LadderGroup::Region) => SplitBy::Region,
        Some(LadderGroup::Month) => SplitBy::Month,
    };
    let customer = store::customer_sums(conn, org, &scope, split)?;
    let management_rows = store::management_rows(conn, org, &scope)?;
    let subject_grouping = match subject {
        LadderSubject::Standard => "standard",
        LadderSubject::Dimension => "dimension",
    };
    let delivered_rows = gap_report(
        conn,
        org,
        &GapQuery {
            from: query.from,
            to: query.to,
            location_id: query.location_id.clone(),
            region: query.region.clone(),
            channel: query.channel.clone(),
            segment: query.segment.clone(),
            standard: query.standard.clone(),
            group_by: Some(match query.group_by {
                None => subject_grouping.to_string(),
                Some(LadderGroup::Location) => format!("{subject_grouping},location"),
                Some(LadderGroup::Region) => format!("{subject_grouping},region"),
                Some(LadderGroup::Month) => format!("{subject_grouping},month"),
            }),
            ..Default::default()
        },
        today,
    )?
    .rows;
    let locations = crate::locations::repo::codes_and_regions(conn, org)?;
    let (from, to) = range.unwrap_or((NaiveDate::MIN, NaiveDate::MAX));
    let groups = groups_of(
        query.group_by,
        &scope,
        (from, to),
        &customer,
        &delivered_rows,
        &locations,
    );
    let subjects = subjects_of(
        subject,
        &standards_of(conn, org)?,
        &split_list(&query.standard),
    );
    let promises = crate::promises::service::validities(conn, org)?;
    let only_channel = match split_list(&query.channel).as_deref() {
        Some([one]) => Channel::parse(one),
        _ => None,
    };
    let mut rows = Vec::new();
    for group in &groups {
        let management = store::management_sums(&management_rows, &group.management_scope);
        let promised_on = |code: &str| {
            promises
                .get(code)
                .and_then(|p| promised_level(p, group.days.0, group.days.1, only_channel))
        };
        for s in &subjects {
            let promised = match &s.code {
                Some(code) => promised_on(code),
                None => {
                    let levels: Vec<f64> = s.codes.iter().filter_map(|c| promised_on(c)).collect();
                    (!levels.is_empty()).then(|| levels.iter().sum::<f64>() / levels.len() as f64)
                }
            };
            let in_group = |r: &&GapRow| match query.group_by {
                None => true,
                Some(LadderGroup::Location) => r.location_id.as_deref() == Some(&group.key),
                Some(LadderGroup::Region) => r.region.as_deref() == Some(&group.key),
                Some(LadderGroup::Month) => r.period.as_deref() == Some(&group.key),
            };
            let delivered = delivered_rows
                .iter()
                .filter(in_group)
                .find(|r| match subject {
                    LadderSubject::Standard => r.standard.as_deref() == s.code.as_deref(),
                    LadderSubject::Dimension => {
                        r.dimension.as_deref() == s.dimension.map(dimension_key).as_deref()
                    }
                })
                .map(|r| Delivered {
                    value: r.delivered,
                    n: r.n,
                    ci_low: r.ci_low,
                    ci_high: r.ci_high,
                });
            let sums = customer.get(&(group.key.clone(), s.key.clone()));
            let inputs = Inputs {
                customer_expectation: mean(sums, EXPECTATION),
                customer_perception: mean(sums, PERCEPTION),
                customer_difference: mean(sums, DIFFERENCE),
                management_expectation: mean(management.get(&s.key), EXPECTATION),
                target: s.target,
                delivered,
                promised,
            };
            let has_any = inputs.customer_expectation.is_some()
                || inputs.customer_perception.is_some()
                || inputs.management_expectation.is_some()
                || inputs.delivered.is_some()
                || inputs.promised.is_some();
            if !has_any {
                continue;
            }
            let gaps = ladder::gaps(&inputs, i64::from(min_sample));
            rows.push(LadderRow {
                standard: s.code.clone(),
                dimension: s.dimension,
                location_id: group.location_id.clone(),
                location_code: group.location_code.clone(),
                region: group.region.clone(),
                period: group.period.clone(),
                customer_expectation: inputs.customer_expectation,
                customer_perception: inputs.customer_perception,
                management_expectation: inputs.management_expectation,
                target: s.target,
                delivered: delivered.map(|d| DeliveredFigure {
                    value: d.value,
                    n: d.n,
                    ci_low: d.ci_low,
                    ci_high: d.ci_high,
                }),
                promised,
                gap1_knowledge: gaps.knowledge,
                gap2_standards: gaps.standards,
                gap3_delivery: gaps.delivery,
                gap4_communication: gaps.communication,
                gap5_customer: gaps.customer,
                expectation_vs_delivered: gaps.expectation_vs_delivered,
            });
        }
    }
    // The organization-wide figures: weighted gap 5 and channel preferences over the whole
    // scope, whatever the grouping.
    let whole = |sums: &BTreeMap<(String, String), Sums>| -> BTreeMap<String, Sums> {
        let mut out: BTreeMap<String, Sums> = BTreeMap::new();
        for ((_, key), s) in sums {
            out.entry(key.clone()).or_default().add(s);
        }
        out
    };
    let customer_whole = whole(&customer);
    let management_whole =
        store::management_sums(&management_rows, &management_scope(&scope, &locations));
    Ok(FiveGapsReport {
        csv_rows: rows.iter().map(LadderCsvRow::from).collect(),
        from: range.map(|r| r.0),
        to: range.map(|r| r.1),
        subject,
        group_by: query.group_by,
        min_sample_size: min_sample,
        rows,
        weighted_gap5: mean(customer_whole.get("weighted_gap5"), DIFFERENCE),
        channel_preferences: preferences(&customer_whole, &management_whole),
    })
}

/// The scope management answers must contain for a report's scope: one location's region's
/// answers apply to it.
fn management_scope(scope: &Scope, locations: &HashMap<String, (String, String)>) -> Scope {
    let mut out = scope.clone();
    if let Some([only]) = scope.location_ids.as_deref() {
        out.regions = locations.get(only).map(|(_, region)| vec![region.clone()]);
    }
    out
}

/// The groups of a report, in order: one when ungrouped; otherwise every location, region or
/// month with customer responses or visits in the scope.
fn groups_of(
    group_by: Option<LadderGroup>,
    scope: &Scope,
    (from, to): (NaiveDate, NaiveDate),
    customer: &BTreeMap<(String, String), Sums>,
    delivered: &[GapRow],
    locations: &HashMap<String, (String, String)>,
) -> Vec<Group> {
    let Some(group_by) = group_by else {
        return vec![Group {
            key: String::new(),
            location_id: None,
            location_code: None,
            region: None,
            period: None,
            management_scope: management_scope(scope, locations),
            days: (from, to),
        }];
    };
    let mut keys: Vec<String> = customer.keys().map(|(k, _)| k.clone()).collect();
    keys.extend(delivered.iter().filter_map(|r| match group_by {
        LadderGroup::Location => r.location_id.clone(),
        LadderGroup::Region => r.region.clone(),
        LadderGroup::Month => r.period.clone(),
    }));
    keys.sort();
    keys.dedup();
    let mut groups: Vec<Group> = keys
        .into_iter()
        .filter_map(|key| {
            let mut group = Group {
                key: key.clone(),
                location_id: None,
                location_code: None,
                region: None,
                period: None,
                management_scope: scope.clone(),
                days: (from, to),
            };
            match group_by {
                LadderGroup::Location => {
                    let (code, region) = locations.get(&key)?;
                    group.location_code = Some(code.clone());
                    group.region = Some(region.clone());
                    group.management_scope.location_ids = Some(vec![key.clone()]);
                    group.management_scope.regions = Some(vec![region.clone()]);
                    group.location_id = Some(key);
                }
                LadderGroup::Region => {
                    group.management_scope.location_ids = None;
                    group.management_scope.regions = Some(vec![key.clone()]);
                    group.region = Some(key);
                }
                LadderGroup::Month => {
                    let first = NaiveDate::parse_from_str(&format!("{key}-01"), "%Y-%m-%d").ok()?;
                    let (start, end) = store::month_of(first);
                    group.days = (start.max(from), end.min(to));
                    group.management_scope = management_scope(scope, locations);
                    group.management_scope.from = Some(group.days.0);
                    group.management_scope.to = Some(group.days.1);
                    group.period = Some(key);
                }
            }
            Some(group)
        })
        .collect();
    if group_by == LadderGroup::Location {
        groups.sort_by(|a, b| a.location_code.cmp(&b.location_code));
    }
    groups
}

/// The rows to be, in order: the book's standards (or those asked for) by code, or the five
/// dimensions.
fn subjects_of(
    subject: LadderSubject,
    standards: &HashMap<String, (String, String, f64)>,
    only: &Option<Vec<String>>,
) -> Vec<Subject> {
    let dimension_of = |name: &str| {
        serde_json::from_value::<Dimension>(serde_json::Value::String(name.to_string())).ok()
    };
    match subject {
        LadderSubject::Standard => {
            let mut codes: Vec<&String> = standards
                .keys()
                .filter(|code| only.as_ref().is_none_or(|o| o.contains(code)))
                .collect();
            codes.sort();
            codes
                .into_iter()
                .map(|code| {
                    let (_, dimension, target) = &standards[code];
                    Subject {
                        key: format!("standard:{code}"),
                        code: Some(code.clone()),
                        dimension: dimension_of(dimension),
                        target: Some(*target),
                        codes: vec![code.clone()],
                    }
                })
                .collect()
        }
        LadderSubject::Dimension => [
            Dimension::Tangibles,
            Dimension::Reliability,
            Dimension::Responsiveness,
            Dimension::Assurance,
            Dimension::Empathy,
        ]
        .into_iter()
        .map(|d| {
            let name = dimension_key(d);
            let mut codes: Vec<String> = standards
                .iter()
                .filter(|(_, (_, dim, _))| *dim == name)
                .map(|(c, _)| c.clone())
                .collect();
            codes.sort();
            let targets: Vec<f64> = codes.iter().map(|c| standards[c].2).collect();
            Subject {
                key: format!("dimension:{name}"),
                code: None,
                dimension: Some(d),
                target: (!targets.is_empty())
                    .then(|| targets.iter().sum::<f64>() / targets.len() as f64),
                codes,
            }
        })
        .collect(),
    }
}

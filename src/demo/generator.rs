//! `shopgap demo-data`: fills the demo organization with a history of mystery shops that looks
//! real and is the same for the same seed, through the same domain code the API runs.
//!
//! Decisions:
//! - Only the demo organization is filled (created with its accounts when missing), so the data
//!   always has the standards and checklist it is built on: the demo book and the 40-item
//!   showroom audit (`demo/audit-checklist.yaml`, published on first use).
//! - Every visit goes through the lifecycle with a simulated clock: created and offered three
//!   days before the visit, accepted, checked in at the location, submitted (validated, scored,
//!   flagged) and approved a few hours to days later, which writes the roll-ups. Nothing is
//!   inserted behind the services' back, so the data is what the API would have stored.
//! - Reproducible: the same seed gives the same locations, shoppers, visits and answers. Ids and
//!   the "identical to the previous shop" flag are not part of that (ids are UUIDv7 of the real
//!   clock; with several workers the order in which one shopper's shops land can differ).
//! - Visits are spread evenly over the past `days` days, at 100-odd locations of varied quality:
//!   some standards are harder to deliver than others, good locations improve over the year, and
//!   shoppers differ a little in strictness. Shoppers are chosen so the organization's
//!   cooldown (no shopper back at a location within it) holds, as the services check it.
//! - Fast: visits are written in batches of one transaction each; on PostgreSQL several workers
//!   write at once, each owning a share of the locations (roll-up cells are per location, so
//!   they never wait on each other).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{NaiveDateTime, TimeDelta, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

use super::{ensure_demo, new_user_row, Credential, DemoChecklist, DEMO_ORGANIZATION};
use crate::assignments::dto::{CheckInRequest, CreateAssignment};
use crate::assignments::service::{self as assignments, Actor as AssignmentActor};
use crate::auth::password::hash_password_blocking;
use crate::auth::rules::Role;
use crate::checklists::dto::{ChecklistContent, ChecklistInput, Comparator, Item, ItemType};
use crate::checklists::repo as checklists_repo;
use crate::checklists::service as checklists;
use crate::config::Config;
use crate::db::{write_transaction, DbConn, Pool};
use crate::error::{ApiError, ApiResult};
use crate::locations::dto::{CreateLocation, Segment};
use crate::locations::model::LocationRow;
use crate::locations::service as locations;
use crate::organizations::model::OrganizationRow;
use crate::organizations::repo as organizations;
use crate::payments::dto::{CreateBatch, ExpenseCategory, ExpenseClaim, MarkPaid};
use crate::standards::dto::Channel;
use crate::standards::service::Actor;
use crate::submissions::dto::{Position, ReviewInput, SubmissionContent, SubmissionStatus};
use crate::submissions::rules::AnswerInput;
use crate::submissions::service as submissions;
use crate::users::repo as users;

mod surveys;

const AUDIT_CHECKLIST: &str = include_str!("../../demo/audit-checklist.yaml");
const MANAGER_EMAIL: &str = "manager@demo-motors.example.com";
/// The password every generated shopper gets (they are demo accounts).
pub const SHOPPER_PASSWORD: &str = "generated-shopper";
/// Visits written per transaction.
const BATCH: usize = 200;
/// A shop is offered three days before the visit and submitted up to four hours after it, and
/// the cooldown runs from submission to the next offer: visits of one shopper at one location
/// are planned this much further apart than the cooldown.
const COOLDOWN_MARGIN_DAYS: i32 = 4;

/// What to generate.
#[derive(Debug, Clone)]
pub struct Plan {
    pub locations: usize,
    pub shoppers: usize,
    /// Approved visits to add.
    pub visits: usize,
    /// Customer survey responses to add (see `surveys`).
    pub responses: usize,
    /// They are spread over this many days before now.
    pub days: u32,
    pub seed: u64,
    /// Concurrent writers (PostgreSQL; SQLite has one writer anyway).
    pub workers: usize,
    /// The latest this many visits are not approved: most wait in the review queue (some of
    /// them flagged, one in five after a return and a correction), one in five is returned to
    /// its shopper with an item comment.
    pub awaiting_review: usize,
}

/// What was generated.
#[derive(Debug)]
pub struct Summary {
    pub organization_id: String,
    pub checklist_version_id: String,
    pub locations: usize,
    pub shoppers: usize,
    pub visits: usize,
    pub responses: usize,
    pub management_responses: usize,
    /// Corrective actions opened in the history, with training and verifying re-shops.
    pub corrective_actions: usize,
    /// Managers' beliefs about their delivery recorded (self-assessments).
    pub self_assessments: usize,
    /// Shoppers' attempts at the certification quiz (every shopper passed, some at the second).
    pub quiz_attempts: usize,
    /// Monthly payment batches, paid, of every full month of the history.
    pub payment_batches: usize,
    /// Demo accounts created on the way (when the demo organization did not exist).
    pub credentials: Vec<Credential>,
}

/// A location's latent quality and how it changes over the period.
struct Site {
    row: LocationRow,
    quality: f64,
    improvement: f64,
}

/// One planned shop.
struct Visit {
    at: NaiveDateTime,
    site: usize,
    shopper: usize,
    seed: u64,
    outcome: Outcome,
    /// Something a reviewer should weigh (a flag), for the review queue's showcase.
    doubt: Doubt,
}

/// A flag a visit left for review is made to carry, so the queue shows what flags look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Doubt {
    None,
    ShortVisit,
    OutsideGeofence,
}

/// How a generated shop ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Approved,
    /// Submitted, waiting in the review queue.
    AwaitingReview,
    /// Returned to the shopper with an item comment, not yet corrected.
    Returned,
    /// Returned, corrected by the shopper and submitted again: back in the queue.
    Resubmitted,
}

impl Outcome {
    /// The `i`-th of the visits left unapproved at the end of the history.
    fn unapproved(i: usize) -> Self {
        match i % 5 {
            1 => Outcome::Returned,
            3 => Outcome::Resubmitted,
            _ => Outcome::AwaitingReview,
        }
    }
}

fn invalid(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::unprocessable(field, message.into())
}

fn check_plan(plan: &Plan, cooldown_days: i32) -> ApiResult<()> {
    if plan.locations == 0 || plan.locations > 100_000 {
        return Err(invalid("locations", "between 1 and 100,000"));
    }
    if plan.shoppers == 0 || plan.shoppers > 100_000 {
        return Err(invalid("shoppers", "between 1 and 100,000"));
    }
    if plan.visits > 10_000_000 {
        return Err(invalid("visits", "at most 10,000,000"));
    }
    if plan.days == 0 || plan.days > 3650 {
        return Err(invalid("days", "between 1 and 3650"));
    }
    // A shopper may shop a location once per cooldown: each location needs enough shoppers for
    // the visits it gets within one cooldown period, with room for the random spread. The
    // busiest location gets up to 1.5 times the average (weights 1 to 3); each worker has its
    // own shoppers.
    let per_location = 1.5 * plan.visits as f64 / plan.locations as f64;
    let per_cooldown = per_location * f64::from(cooldown_days.max(0) + COOLDOWN_MARGIN_DAYS)
        / f64::from(plan.days);
    let needed = ((per_cooldown * 1.5).ceil() as usize + 2) * plan.workers.max(1);
    if cooldown_days > 0 && plan.shoppers < needed {
        return Err(invalid(
            "shoppers",
            format!(
                "{} visits at {} locations over {} days with the organization's {}-day cooldown need at least {needed} shoppers ({} workers)",
                plan.visits, plan.locations, plan.days, cooldown_days, plan.workers.max(1)
            ),
        ));
    }
    Ok(())
}

/// Generates `plan` into the demo organization. `progress` is called with the visits done so
/// far (from the workers' threads).
pub fn generate(pool: &Pool, plan: &Plan, progress: &(dyn Fn(u64) + Sync)) -> ApiResult<Summary> {
    let mut conn = pool.get().map_err(ApiError::internal)?;
    let conn = &mut *conn;
    let credentials = match organizations::find_by_name(conn, DEMO_ORGANIZATION)? {
        Some(_) => Vec::new(),
        None => ensure_demo(conn)?,
    };
    let org = organizations::find_by_name(conn, DEMO_ORGANIZATION)?
        .ok_or_else(|| ApiError::internal("the demo organization was not created"))?;
    // SQLite has one writer at a time: more workers would only queue.
    let plan = &Plan {
        workers: match conn {
            DbConn::Sqlite(_) => 1,
            DbConn::Postgres(_) => plan.workers.clamp(1, 16),
        },
        ..plan.clone()
    };
    check_plan(plan, org.cooldown_days)?;
    let manager = users::find_by_email(conn, &org.id, MANAGER_EMAIL)?
        .ok_or_else(|| ApiError::unprocessable("organization", "the demo manager is missing"))?;
    let now = Utc::now().naive_utc();
    let mut rng = StdRng::seed_from_u64(plan.seed);
    let version_id = write_transaction(conn, |conn| audit_checklist(conn, &org.id, now))?;
    let checklist = {
        let version = checklists_repo::find_version_by_id(conn, &org.id, &version_id)?
            .ok_or_else(|| ApiError::internal("the audit checklist vanished"))?;
        checklists::content_of(&version)?
    };
    let sites = write_transaction(conn, |conn| ensure_sites(conn, &org, plan, &mut rng, now))?;
    let shoppers = write_transaction(conn, |conn| ensure_shoppers(conn, &org.id, plan))?;
    let earlier = earlier_shops(conn, &org.id, &sites, &shoppers)?;
    let mut visits = schedule(plan, &org, &mut rng, now, earlier)?;
    let first_unapproved = visits.len().saturating_sub(plan.awaiting_review);
    for (i, v) in visits.iter_mut().skip(first_unapproved).enumerate() {
        v.outcome = Outcome::unapproved(i);
        v.doubt = match i % 10 {
            0 => Doubt::OutsideGeofence,
            5 => Doubt::ShortVisit,
            _ => Doubt::None,
        };
    }
    let workers = plan.workers.max(1);
    let done = AtomicU64::new(0);
    let job = Job {
        org: &org,
        manager: &manager.id,
        version_id: &version_id,
        checklist: &checklist,
        sites: &sites,
        shoppers: &shoppers,
        now,
        config: Config::with_secret(b"demo-data: no tokens are issued"),
    };
    let quiz_attempts = write_transaction(conn, |conn| job.certify(conn, i64::from(plan.days)))?;
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|worker| {
                let share: Vec<&Visit> = visits
                    .iter()
                    .filter(|v| v.site % workers == worker)
                    .collect();
                let (job, done) = (&job, &done);
                scope.spawn(move || -> ApiResult<()> {
                    let mut conn = pool.get().map_err(ApiError::internal)?;
                    for (i, batch) in share.chunks(BATCH).enumerate() {
                        if worker == 0 && i > 0 && i % ANALYZE_EVERY_BATCHES == 0 {
                            refresh_statistics(&mut conn)?;
                        }
                        if worker == 0 && i > 0 && i % VACUUM_EVERY_BATCHES == 0 {
                            vacuum_cells(&mut conn)?;
                        }
                        write_transaction(&mut conn, |conn| {
                            batch.iter().try_for_each(|v| job.shop(conn, v))
                        })?;
                        let total = done.fetch_add(batch.len() as u64, Ordering::Relaxed);
                        progress(total + batch.len() as u64);
                    }
                    Ok(())
                })
            })
            .collect();
        handles.into_iter().try_for_each(|h| {
            h.join()
                .map_err(|_| ApiError::internal("a worker panicked"))?
        })
    })?;
    let (responses, management_responses) = write_transaction(conn, |conn| {
        surveys::generate(conn, &org.id, &sites, plan, &manager.id, now)
    })?;
    let corrective_actions = write_transaction(conn, |conn| {
        job.recovery(conn, i64::from(plan.days), &mut rng)
    })?;
    let self_assessments = write_transaction(conn, |conn| job.self_assessments(conn, &mut rng))?;
    let payment_batches = write_transaction(conn, |conn| job.payroll(conn, i64::from(plan.days)))?;
    Ok(Summary {
        organization_id: org.id.clone(),
        checklist_version_id: version_id,
        locations: sites.len(),
        shoppers: shoppers.len(),
        visits: visits.len(),
        responses,
        management_responses,
        corrective_actions,
        self_assessments,
        quiz_attempts,
        payment_batches,
        credentials,
    })
}

/// What a shopper spent on a demo visit: parking on one in three, a meal on one in five (no
/// receipts: the demo has no files, so these carry the `expense_without_receipt` flag).
fn demo_expenses(rng: &mut StdRng) -> Vec<ExpenseClaim> {
    let mut out = Vec::new();
    if rng.gen_ratio(1, 3) {
        out.push(ExpenseClaim {
            key: "parking".into(),
            category: ExpenseCategory::Parking,
            description: Some("Car park opposite the showroom".into()),
            amount_minor: rng.gen_range(3..10) * 100,
            currency: "EUR".into(),
            receipt_attachment_id: None,
        });
    }
    if rng.gen_ratio(1, 5) {
        out.push(ExpenseClaim {
            key: "coffee".into(),
            category: ExpenseCategory::Meal,
            description: Some("Coffee while waiting for the test drive".into()),
            amount_minor: rng.gen_range(250..900),
            currency: "EUR".into(),
            receipt_attachment_id: None,
        });
    }
    out
}

/// On PostgreSQL, tables filled in bulk are analyzed every this many batches of the first
/// worker (some 10,000 visits): the planner otherwise keeps the estimates of empty tables
/// until autovacuum runs (or forever where it is off), and lookups degrade to scans.
const ANALYZE_EVERY_BATCHES: usize = 25;

/// On PostgreSQL, the cells the generated visits add to in place (roll-ups, survey roll-ups,
/// leniency, calibration, reputation) are vacuumed every this many batches of the first worker
/// (some 2,000 visits), as autovacuum would: where it is off, their dead versions pile up (at
/// 100,000 visits the leniency table held 77,000 rows in 6.9 GB; vacuumed, 35 MB instead of
/// 88 at 10,000).
const VACUUM_EVERY_BATCHES: usize = 5;

fn vacuum_cells(conn: &mut DbConn) -> ApiResult<()> {
    use diesel::connection::SimpleConnection;
    if let DbConn::Postgres(c) = conn {
        // Outside any transaction (VACUUM cannot run in one): the worker is between batches.
        c.batch_execute(
            "VACUUM shopper_leniency, rollups, calibration_cells, survey_rollups, \
             shopper_reputation",
        )?;
    }
    Ok(())
}

fn refresh_statistics(conn: &mut DbConn) -> ApiResult<()> {
    use diesel::RunQueryDsl;
    if let DbConn::Postgres(c) = conn {
        diesel::sql_query(
            "ANALYZE assignments, assignment_events, submissions, rollups, users, locations",
        )
        .execute(c)?;
    }
    Ok(())
}

/// The published 40-item audit checklist's version id, published on the demo book on first use.
fn audit_checklist(conn: &mut DbConn, org: &str, now: NaiveDateTime) -> ApiResult<String> {
    let demo: DemoChecklist = yaml_serde::from_str(AUDIT_CHECKLIST).map_err(ApiError::internal)?;
    let mut book_version = None;
    for row in crate::checklists::service::STORE.list_documents(conn, org, None, 10_000)? {
        let latest = checklists_repo::latest_version(conn, &row.id)?;
        if latest.status != "published" {
            continue;
        }
        if row.name == demo.name {
            return Ok(latest.id);
        }
        if latest.channel == Channel::InPerson.as_str() {
            book_version.get_or_insert(latest.book_version_id);
        }
    }
    let book_version = book_version.ok_or_else(|| {
        ApiError::unprocessable(
            "organization",
            "the demo organization has no published in-person checklist to take the standards book from",
        )
    })?;
    let actor = Actor {
        organization_id: org,
        user_id: None,
    };
    let input = ChecklistInput {
        name: demo.name,
        standards_book_version_id: book_version.parse().map_err(ApiError::internal)?,
        channel: demo.channel,
        sections: demo.sections,
    };
    Ok(checklists::create(conn, actor, input, true, now)?.id)
}

const REGIONS: [(&str, f64, f64); 6] = [
    ("North", 53.55, 9.99),
    ("East", 52.52, 13.40),
    ("West", 51.23, 6.78),
    ("South", 48.14, 11.58),
    ("Southwest", 48.78, 9.18),
    ("Central", 50.11, 8.68),
];
const TOWNS: [&str; 12] = [
    "Altstadt", "Hafen", "Nord", "Süd", "Ost", "West", "Mitte", "Bahnhof", "Ring", "Park", "Markt",
    "Feld",
];

/// The generated locations (`GEN-0001`, …): created when missing, their latent quality drawn
/// from the seed either way.
fn ensure_sites(
    conn: &mut DbConn,
    org: &OrganizationRow,
    plan: &Plan,
    rng: &mut StdRng,
    now: NaiveDateTime,
) -> ApiResult<Vec<Site>> {
    let codes: Vec<String> = (1..=plan.locations)
        .map(|i| format!("GEN-{i:04}"))
        .collect();
    let existing = crate::locations::repo::existing_codes(conn, &org.id, &codes)?;
    let mut sites = Vec::new();
    for (i, code) in codes.into_iter().enumerate() {
        let (region, lat, lon) = REGIONS[i % REGIONS.len()];
        let (dlat, dlon): (f64, f64) = (rng.gen_range(-0.3..0.3), rng.gen_range(-0.4..0.4));
        let segment = if rng.gen_bool(0.2) {
            Segment::B2b
        } else {
            Segment::B2c
        };
        let quality = rng.gen_range(0.55..0.97);
        let improvement = rng.gen_range(-0.03..0.08);
        let town = TOWNS[i % TOWNS.len()];
        if !existing.contains(&code) {
            let input = CreateLocation {
                code: code.clone(),
                name: format!("Demo Motors {region} {town} {}", i / TOWNS.len() + 1),
                region: region.into(),
                segment,
                address: format!("Autostraße {}, {region}", i + 1),
                latitude: lat + dlat,
                longitude: lon + dlon,
                geofence_radius_m: None,
                time_zone: "Europe/Berlin".into(),
                channels: vec![Channel::InPerson, Channel::Phone],
                active: Some(true),
            };
            locations::create(conn, &org.id, input, now)?;
        }
        let row = crate::locations::repo::find_by_code(conn, &org.id, &code)?;
        sites.push(Site {
            row,
            quality,
            improvement,
        });
    }
    Ok(sites)
}

/// The generated shoppers' user ids (`shopper-0001@generated.demo-motors.example.com`, …),
/// created when missing with the password [`SHOPPER_PASSWORD`].
fn ensure_shoppers(conn: &mut DbConn, org: &str, plan: &Plan) -> ApiResult<Vec<String>> {
    let hash = hash_password_blocking(SHOPPER_PASSWORD)?;
    let mut ids = Vec::new();
    for i in 1..=plan.shoppers {
        let email = format!("shopper-{i:04}@generated.demo-motors.example.com");
        let id = match users::find_by_email(conn, org, &email)? {
            Some(user) => user.id,
            None => {
                let row = new_user_row(
                    org,
                    &email,
                    &format!("Generated Shopper {i}"),
                    Role::Shopper,
                    hash.clone(),
                );
                users::insert(conn, &row)?;
                row.id
            }
        };
        ids.push(id);
    }
    Ok(ids)
}

/// When each generated shopper last submitted at each generated location (an earlier run's
/// shops), keyed by their indexes, so that this run keeps the cooldown too.
fn earlier_shops(
    conn: &mut DbConn,
    org: &str,
    sites: &[Site],
    shoppers: &[String],
) -> ApiResult<HashMap<(usize, usize), NaiveDateTime>> {
    use crate::db::schema::assignments;
    use diesel::prelude::*;
    let site_index: HashMap<&str, usize> = sites
        .iter()
        .enumerate()
        .map(|(i, s)| (s.row.id.as_str(), i))
        .collect();
    let shopper_index: HashMap<&str, usize> = shoppers
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i))
        .collect();
    let rows: Vec<(Option<String>, String, Option<NaiveDateTime>)> = assignments::table
        .filter(assignments::organization_id.eq(org))
        .filter(assignments::submitted_at.is_not_null())
        .group_by((assignments::shopper_id, assignments::location_id))
        .select((
            assignments::shopper_id,
            assignments::location_id,
            diesel::dsl::max(assignments::submitted_at),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(shopper, location, at)| {
            let shopper = *shopper_index.get(shopper?.as_str())?;
            let site = *site_index.get(location.as_str())?;
            Some(((site, shopper), at?))
        })
        .collect())
}

/// The visits in time order, each with a location and a shopper the cooldown allows. With
/// several workers, locations and shoppers are dealt to them alike (by index modulo workers),
/// so that no two workers ever wait on the same shopper's lock or the same roll-up cells.
fn schedule(
    plan: &Plan,
    org: &OrganizationRow,
    rng: &mut StdRng,
    now: NaiveDateTime,
    earlier: HashMap<(usize, usize), NaiveDateTime>,
) -> ApiResult<Vec<Visit>> {
    let span = TimeDelta::days(i64::from(plan.days)).num_seconds();
    // Visits end at least two hours before now, so that every step of their lifecycle is past.
    let first = now - TimeDelta::days(i64::from(plan.days));
    let mut times: Vec<NaiveDateTime> = (0..plan.visits)
        .map(|_| {
            let t = first + TimeDelta::seconds(rng.gen_range(0..span));
            let day = t.date().and_hms_opt(0, 0, 0).expect("midnight");
            // Opening hours, 08:00–17:00 UTC (09:00–18:00 in Germany in winter).
            day + TimeDelta::minutes(rng.gen_range(8 * 60..17 * 60))
        })
        .filter(|t| *t <= now - TimeDelta::hours(2))
        .collect();
    while times.len() < plan.visits {
        times.push(now - TimeDelta::hours(rng.gen_range(3..48)));
    }
    times.sort();
    let cooldown = TimeDelta::days(i64::from(org.cooldown_days.max(0) + COOLDOWN_MARGIN_DAYS));
    let classes = plan.workers.max(1);
    let eligible = |s: usize, site: usize, at: NaiveDateTime, last: &HashMap<_, NaiveDateTime>| {
        s % classes == site % classes && last.get(&(site, s)).is_none_or(|t| at - *t > cooldown)
    };
    // Busier locations get more visits: weights from 1 to 3.
    let weights: Vec<f64> = (0..plan.locations)
        .map(|_| rng.gen_range(1.0..3.0))
        .collect();
    let total: f64 = weights.iter().sum();
    // Every location is visited in the last third of the period, so that the dashboard's
    // default views (the last 90 days) show all of them whatever the draw: the first visits of
    // that third go to the locations not yet visited in it.
    let recent = now - TimeDelta::seconds(span / 3);
    let mut unvisited: Vec<usize> = (0..plan.locations).collect();
    let mut last = earlier;
    let mut visits = Vec::with_capacity(times.len());
    for at in times {
        let mut pick = rng.gen_range(0.0..total);
        let drawn = weights
            .iter()
            .position(|w| {
                pick -= w;
                pick < 0.0
            })
            .unwrap_or(plan.locations - 1);
        let site = if at >= recent && !unvisited.is_empty() {
            unvisited.remove(0)
        } else {
            drawn
        };
        if at >= recent {
            unvisited.retain(|s| *s != site);
        }
        let shopper = (0..256)
            .map(|_| rng.gen_range(0..plan.shoppers))
            .find(|s| eligible(*s, site, at, &last))
            .or_else(|| (0..plan.shoppers).find(|s| eligible(*s, site, at, &last)))
            .ok_or_else(|| {
                invalid(
                    "shoppers",
                    "too few shoppers for this many visits under the organization's cooldown",
                )
            })?;
        last.insert((site, shopper), at);
        visits.push(Visit {
            at,
            site,
            shopper,
            seed: rng.gen(),
            outcome: Outcome::Approved,
            doubt: Doubt::None,
        });
    }
    Ok(visits)
}

/// What every shop of a run shares.
struct Job<'a> {
    org: &'a OrganizationRow,
    manager: &'a str,
    version_id: &'a str,
    checklist: &'a ChecklistContent,
    sites: &'a [Site],
    shoppers: &'a [String],
    now: NaiveDateTime,
    config: Config,
}

impl Job<'_> {
    /// One shop through its whole lifecycle, on the simulated clock.
    fn shop(&self, conn: &mut DbConn, v: &Visit) -> ApiResult<()> {
        let mut rng = StdRng::seed_from_u64(v.seed);
        let site = &self.sites[v.site];
        let shopper = self.shoppers[v.shopper].as_str();
        let org = self.org.id.as_str();
        let created = v.at - TimeDelta::days(3);
        let assignment = assignments::create(
            conn,
            AssignmentActor {
                organization_id: org,
                user_id: Some(self.manager),
            },
            CreateAssignment {
                location_id: site.row.id.parse().map_err(ApiError::internal)?,
                checklist_version_id: self.version_id.parse().map_err(ApiError::internal)?,
                segment: None,
                scenario: "Ask about a family car and financing.".into(),
                window_start: created.and_utc(),
                window_end: (v.at + TimeDelta::days(4)).and_utc(),
                fee_cents: 4500,
                currency: None,
                reimbursement_cap_minor: None,
                required_quiz_id: None,
                pair_with: None,
                shopper_id: Some(shopper.parse().map_err(ApiError::internal)?),
            },
            created,
        )?;
        let accepted = created + TimeDelta::hours(rng.gen_range(1..48));
        assignments::accept(conn, org, shopper, &assignment.id, accepted)?;
        self.carry_out(conn, &assignment.id, v, &mut rng)
    }

    /// The visit of an accepted assignment: check-in, submission and review as `v.outcome` says.
    fn carry_out(
        &self,
        conn: &mut DbConn,
        assignment_id: &str,
        v: &Visit,
        rng: &mut StdRng,
    ) -> ApiResult<()> {
        let site = &self.sites[v.site];
        let shopper = self.shoppers[v.shopper].as_str();
        let org = self.org.id.as_str();
        let visit_length = if rng.gen_bool(0.01) || v.doubt == Doubt::ShortVisit {
            TimeDelta::minutes(3)
        } else {
            TimeDelta::minutes(rng.gen_range(15..60))
        };
        let end = v.at + visit_length;
        let submitted = (end + TimeDelta::minutes(rng.gen_range(5..180))).min(self.now);
        let approved = (submitted + TimeDelta::hours(rng.gen_range(2..72))).min(self.now);
        // Most check in at the door; a few from the car park across the road or further.
        let off = if rng.gen_bool(0.03) { 0.01 } else { 0.0004 };
        // The showcase's doubtful check-in is half a kilometre north, well outside the geofence.
        let north = if v.doubt == Doubt::OutsideGeofence {
            0.005
        } else {
            0.0
        };
        let (lat, lon) = (
            site.row.latitude + north + rng.gen_range(-off..off),
            site.row.longitude + rng.gen_range(-off..off),
        );
        assignments::check_in(
            conn,
            org,
            shopper,
            assignment_id,
            CheckInRequest {
                latitude: lat,
                longitude: lon,
                accuracy_m: Some(rng.gen_range(3.0..25.0)),
                device_time: Some(v.at.and_utc()),
            },
            v.at,
        )?;
        let delivery = self.delivery(site, v, rng);
        // Pay draws from a stream of its own, so the visits' other draws stay as they were.
        let mut pay = StdRng::seed_from_u64(v.seed ^ 0x5EED_FA11);
        let expenses = match v.outcome {
            Outcome::Approved => demo_expenses(&mut pay),
            _ => Vec::new(),
        };
        let content = SubmissionContent {
            assignment_id: assignment_id.parse().map_err(ApiError::internal)?,
            answers: answers(self.checklist, &delivery, v.at, end, rng),
            visit_start: Some(v.at.and_utc()),
            visit_end: Some(end.and_utc()),
            position: Some(Position {
                latitude: lat,
                longitude: lon,
                accuracy_m: Some(10.0),
            }),
            narrative: Some(NARRATIVES[rng.gen_range(0..NARRATIVES.len())].into()),
            device: Some("demo-data".into()),
            app_version: Some(env!("CARGO_PKG_VERSION").into()),
            sent_at: Some(submitted.and_utc()),
            expenses,
        };
        let id = uuid::Uuid::now_v7().to_string();
        let (row, _) = submissions::submit(
            conn,
            &self.config,
            org,
            shopper,
            &id,
            submissions::Sent::new(content.clone())?,
            None,
            submitted,
        )?;
        let (decision, input) = match v.outcome {
            Outcome::AwaitingReview => return Ok(()),
            Outcome::Approved => (
                SubmissionStatus::Approved,
                ReviewInput {
                    grade: Some([3, 4, 4, 4, 5, 5][pay.gen_range(0..6)]),
                    ..ReviewInput::default()
                },
            ),
            Outcome::Returned | Outcome::Resubmitted => {
                (SubmissionStatus::Returned, self.return_note(&content))
            }
        };
        submissions::review(
            conn,
            org,
            Some(self.manager),
            &id,
            decision,
            input,
            Some(row.version),
            approved,
        )?;
        if v.outcome == Outcome::Resubmitted {
            let corrected = SubmissionContent {
                narrative: Some(format!(
                    "{} The consultant did not use my name; I had missed that item.",
                    content.narrative.as_deref().unwrap_or_default()
                )),
                sent_at: Some(self.now.and_utc()),
                ..content
            };
            submissions::submit(
                conn,
                &self.config,
                org,
                shopper,
                &id,
                submissions::Sent::new(corrected)?,
                None,
                self.now,
            )?;
        }
        Ok(())
    }

    /// A reviewer's return: the personal-address item asked about.
    fn return_note(&self, content: &SubmissionContent) -> ReviewInput {
        let item = self
            .checklist
            .sections
            .iter()
            .flat_map(|s| &s.items)
            .find(|i| i.standard.as_deref() == Some("PERS-01"))
            .or_else(|| self.checklist.sections.iter().flat_map(|s| &s.items).next())
            .map(|i| i.key.clone())
            .filter(|key| content.answers.contains_key(key));
        ReviewInput {
            comment: Some("Please check one answer before I approve.".into()),
            item_comments: item
                .map(|key| {
                    std::iter::once((
                        key,
                        "Did the consultant really use your name? The narrative says otherwise."
                            .to_string(),
                    ))
                    .collect()
                })
                .unwrap_or_default(),
            ..ReviewInput::default()
        }
    }

    /// What the managers believed about their delivery last quarter, organization-wide and for
    /// a few locations (the self-assessment beside the delivered, PRODUCT.md section 8): a
    /// little better than delivered, as managers tend to. Skipped when beliefs exist.
    fn self_assessments(&self, conn: &mut DbConn, rng: &mut StdRng) -> ApiResult<usize> {
        use crate::reports::self_assessments::{self as beliefs, RecordSelfAssessment};
        let org = self.org.id.as_str();
        if !beliefs::list(conn, org, &Default::default())?.is_empty() {
            return Ok(0);
        }
        let mut codes: Vec<String> = self
            .checklist
            .sections
            .iter()
            .flat_map(|s| &s.items)
            .filter_map(|i| i.standard.clone())
            .collect();
        codes.sort();
        codes.dedup();
        let (from, to) = (
            (self.now - TimeDelta::days(90)).date(),
            self.now.date() - TimeDelta::days(1),
        );
        let scopes =
            std::iter::once(None).chain(self.sites.iter().take(3).map(|s| Some(s.row.id.clone())));
        let mut recorded = 0;
        for location_id in scopes {
            for code in &codes {
                let input = RecordSelfAssessment {
                    location_id: location_id.clone(),
                    standard: code.clone(),
                    period_from: from,
                    period_to: to,
                    believed: (rng.gen_range(0.86..0.99_f64) * 100.0).round() / 100.0,
                    note: None,
                };
                beliefs::record(conn, org, Some(self.manager), input, self.now)?;
                recorded += 1;
            }
        }
        Ok(recorded)
    }

    /// Service recovery in the history (PRODUCT.md section 9): on the largest gaps as they stood
    /// 75 days ago (half the history when it is shorter than 150 days), corrective actions of
    /// several kinds were opened, training held, and most of the work done a fifth of the way
    /// to today, each checked by a verifying re-shop three days later (its verdict is what the
    /// location delivered then); one action is still in progress past its due date and one was
    /// only opened. Skipped when the organization has actions already.
    fn recovery(&self, conn: &mut DbConn, days: i64, rng: &mut StdRng) -> ApiResult<usize> {
        use crate::corrective_actions::dto::{MarkDone, OpenAction, TrainingInput};
        use crate::corrective_actions::rules::{Kind, Move};
        use crate::corrective_actions::service as actions;
        use diesel::prelude::*;
        let org = self.org.id.as_str();
        let existing: i64 = crate::db::schema::corrective_actions::table
            .filter(crate::db::schema::corrective_actions::organization_id.eq(org))
            .count()
            .get_result(conn)?;
        if existing > 0 {
            return Ok(0);
        }
        let back = if days >= 150 { 75 } else { (days / 2).max(1) };
        let opened = self.now - TimeDelta::days(back);
        let work = TimeDelta::days((back / 5).max(1));
        let gaps = actions::suggestions(conn, org, 90, opened.date())?;
        let kinds = [
            Kind::Training,
            Kind::Coaching,
            Kind::Process,
            Kind::Training,
            Kind::Staffing,
            Kind::Other,
        ];
        let protocols = actions::published_protocols(conn, org)?;
        let by = Some(self.manager);
        let mut opened_count = 0;
        for (i, (gap, kind)) in gaps.items.iter().zip(kinds).enumerate() {
            let action = actions::open(
                conn,
                org,
                by,
                OpenAction {
                    location_id: gap.location_id,
                    standard: gap.standard.clone(),
                    kind,
                    owner_id: self.manager.parse().map_err(ApiError::internal)?,
                    due_date: (opened + work * 2).date(),
                    plan: format!(
                        "{} on {}: {}",
                        kind.as_str(),
                        gap.standard,
                        gap.standard_text.as_deref().unwrap_or("the standard")
                    ),
                    reshop_count: Some(1),
                    baseline_days: None,
                },
                opened,
            )?;
            opened_count += 1;
            let id = action.id.to_string();
            if i == 5 {
                continue;
            }
            actions::apply_move(
                conn,
                org,
                by,
                &id,
                Move::Start,
                None,
                None,
                opened + TimeDelta::days(1),
            )?;
            if matches!(kind, Kind::Training | Kind::Coaching) {
                let taught: Vec<String> = protocols
                    .iter()
                    .filter(|(_, codes)| codes.contains(&gap.standard))
                    .map(|(name, _)| name.clone())
                    .take(2)
                    .collect();
                actions::record_training(
                    conn,
                    org,
                    by,
                    &id,
                    TrainingInput {
                        held_on: (opened + work / 2).date(),
                        standards: None,
                        protocols: taught,
                        attendees: rng.gen_range(3..14),
                        notes: Some("Role play with the whole floor team.".into()),
                    },
                    opened + work / 2,
                )?;
            }
            if i == 4 {
                continue;
            }
            let done_at = opened + work;
            let done = actions::mark_done(conn, org, by, &id, MarkDone::default(), None, done_at)?;
            let Some(reshop) = done.reshops.first() else {
                continue;
            };
            let Some(site) = self
                .sites
                .iter()
                .position(|s| s.row.id == gap.location_id.to_string())
            else {
                continue;
            };
            // The first shopper the fair-play rules let take it.
            let accepted = done_at + TimeDelta::hours(rng.gen_range(2..24));
            let start = rng.gen_range(0..self.shoppers.len());
            let taker = (0..self.shoppers.len())
                .map(|k| (start + k) % self.shoppers.len())
                .find(|&k| {
                    assignments::accept(
                        conn,
                        org,
                        &self.shoppers[k],
                        &reshop.assignment_id.to_string(),
                        accepted,
                    )
                    .is_ok()
                });
            if let Some(shopper) = taker {
                let visit = Visit {
                    at: done_at + TimeDelta::days(3),
                    site,
                    shopper,
                    seed: rng.gen(),
                    outcome: Outcome::Approved,
                    doubt: Doubt::None,
                };
                self.carry_out(conn, &reshop.assignment_id.to_string(), &visit, rng)?;
            }
        }
        Ok(opened_count)
    }

    /// The certification quiz of the audit checklist (made once), passed by every shopper of
    /// the plan who has not yet (one in seven at the second attempt), before their first shop.
    fn certify(&self, conn: &mut DbConn, days: i64) -> ApiResult<usize> {
        use crate::certification::dto::{AttemptInput, QuizInput};
        use crate::certification::service as certification;
        let org = self.org.id.as_str();
        let actor = crate::versioning::Actor {
            organization_id: org,
            user_id: Some(self.manager),
        };
        let start = self.now - TimeDelta::days(days + 1);
        let checklist = checklists_repo::find_version_by_id(conn, org, self.version_id)?
            .ok_or_else(|| ApiError::internal("the audit checklist vanished"))?
            .checklist_id;
        let input: QuizInput = serde_json::from_value(json!({
            "name": "Mystery shopper basics",
            "checklist_id": checklist,
            "pass_mark_percent": 75,
            "max_attempts": 3,
            "introduction": "Pass this before your first showroom visit.",
            "questions": [
                {"key": "discretion", "text": "May you tell staff that you are a mystery shopper?",
                 "options": [{"key": "yes", "text": "Yes, after the visit"}, {"key": "no", "text": "No, never"}],
                 "correct": ["no"]},
                {"key": "timing", "text": "What do you note during the visit?",
                 "options": [{"key": "times", "text": "The times of greeting and offer"},
                             {"key": "names", "text": "The consultant's name"},
                             {"key": "opinion", "text": "Whether you liked the car"}],
                 "correct": ["times", "names"]},
                {"key": "photos", "text": "Where do you take the photos?",
                 "options": [{"key": "outside", "text": "Outside, discreetly"}, {"key": "inside", "text": "Inside, openly"}],
                 "correct": ["outside"]},
                {"key": "report", "text": "When is the report due?",
                 "options": [{"key": "window", "text": "Before the assignment's window ends"}, {"key": "week", "text": "Within a week"}],
                 "correct": ["window"]},
            ],
        }))
        .map_err(ApiError::internal)?;
        // Once: a later run of `demo-data` adds visits and pays them, with the quiz it has.
        let quiz_id = match certification::STORE
            .list_documents(conn, org, None, 1)?
            .pop()
        {
            Some(quiz) => quiz.id,
            None => certification::create(conn, actor, input, true, start)?.quiz_id,
        };
        let right: std::collections::BTreeMap<String, Vec<String>> = [
            ("discretion", vec!["no"]),
            ("timing", vec!["times", "names"]),
            ("photos", vec!["outside"]),
            ("report", vec!["window"]),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.into_iter().map(str::to_string).collect()))
        .collect();
        let mut attempts = 0;
        for (i, shopper) in self.shoppers.iter().enumerate() {
            if certification::certifications(conn, org, shopper)?
                .iter()
                .any(|c| c.passed)
            {
                continue;
            }
            let at = start + TimeDelta::hours(i as i64);
            if i % 7 == 3 {
                let mut wrong = right.clone();
                wrong.insert("discretion".into(), vec!["yes".into()]);
                wrong.insert("photos".into(), vec!["inside".into()]);
                let attempt = AttemptInput {
                    quiz_version_id: None,
                    answers: wrong,
                };
                certification::take(conn, org, shopper, &quiz_id, attempt, at)?;
                attempts += 1;
            }
            let attempt = AttemptInput {
                quiz_version_id: None,
                answers: right.clone(),
            };
            certification::take(
                conn,
                org,
                shopper,
                &quiz_id,
                attempt,
                at + TimeDelta::minutes(30),
            )?;
            attempts += 1;
        }
        Ok(attempts)
    }

    /// A paid payment batch for every full month of the history (the current month stays
    /// payable); months paid by an earlier run are skipped.
    fn payroll(&self, conn: &mut DbConn, days: i64) -> ApiResult<usize> {
        use chrono::{Datelike, NaiveDate};
        let org = self.org.id.as_str();
        let start = self.now - TimeDelta::days(days + 1);
        // Monthly batches, each paid three days after its month ended.
        let first_of = |d: NaiveDate| NaiveDate::from_ymd_opt(d.year(), d.month(), 1);
        let mut month = first_of(start.date()).ok_or_else(|| ApiError::internal("a month"))?;
        let this_month = first_of(self.now.date()).ok_or_else(|| ApiError::internal("a month"))?;
        let mut batches = 0;
        while month < this_month {
            let next = month
                .checked_add_months(chrono::Months::new(1))
                .ok_or_else(|| ApiError::internal("a month"))?;
            let made_at = next.and_hms_opt(9, 0, 0).unwrap_or_default() + TimeDelta::days(1);
            let batch = crate::payments::service::create_batch(
                conn,
                org,
                Some(self.manager),
                CreateBatch {
                    period_from: month,
                    period_to: next - TimeDelta::days(1),
                    note: Some(format!("Shops of {}", month.format("%B %Y"))),
                },
                made_at.min(self.now),
            );
            match batch {
                Ok(batch) => {
                    crate::payments::service::mark_paid(
                        conn,
                        org,
                        Some(self.manager),
                        &batch.batch.id.to_string(),
                        MarkPaid {
                            reference: Some(format!("SEPA-{}", month.format("%Y-%m"))),
                        },
                        (made_at + TimeDelta::days(2)).min(self.now),
                    )?;
                    batches += 1;
                }
                // A month with no approved shop has nothing to pay.
                Err(ApiError::Unprocessable(_)) => {}
                Err(other) => return Err(other),
            }
            month = next;
        }
        Ok(batches)
    }

    /// How likely staff at this visit deliver each standard (by code).
    fn delivery(&self, site: &Site, v: &Visit, rng: &mut StdRng) -> Delivery {
        let elapsed = (v.at - (self.now - TimeDelta::days(365)))
            .num_days()
            .clamp(0, 365) as f64;
        // Shoppers differ a little in how strictly they rate; two of them a lot (one lenient,
        // one harsh), for the calibration report to find.
        let strictness = (v.shopper % 9) as f64 * 0.01 - 0.04
            + match v.shopper {
                3 => -0.12,
                7 => 0.12,
                _ => 0.0,
            };
        let level = site.quality + site.improvement * elapsed / 365.0 - strictness
            + rng.gen_range(-0.08..0.08);
        Delivery { level }
    }
}

/// The chance that staff deliver, per standard.
struct Delivery {
    level: f64,
}

impl Delivery {
    fn chance(&self, item: &Item) -> f64 {
        // Some standards are harder: using the customer's name and agreeing a next step are
        // the classic gaps; badges and cleanliness are easy.
        let difficulty = match item.standard.as_deref() {
            Some("PERS-01") => -0.25,
            Some("FOLLOW-01") => -0.18,
            Some("DOOR-01") => -0.12,
            Some("INFO-01") => -0.08,
            Some("SEAT-01") => -0.05,
            Some("BADGE-01") => 0.12,
            Some("CLEAN-01") => 0.08,
            Some("GRT-01") => 0.1,
            _ => 0.0,
        };
        let p = (self.level + difficulty).clamp(0.02, 0.995);
        if item.critical {
            // Critical standards fail rarely: staff know what costs the whole visit.
            1.0 - (1.0 - p) / 4.0
        } else {
            p
        }
    }
}

const NARRATIVES: [&str; 4] = [
    "Busy Saturday; two consultants on the floor.",
    "Quiet morning, I was the only customer.",
    "Asked about a family car with a trade-in.",
    "Asked about leasing an electric car.",
];

/// Answers to every item, as a shopper's app sends them.
fn answers(
    checklist: &ChecklistContent,
    delivery: &Delivery,
    start: NaiveDateTime,
    end: NaiveDateTime,
    rng: &mut StdRng,
) -> std::collections::BTreeMap<String, AnswerInput> {
    let mut out = std::collections::BTreeMap::new();
    for (_, item) in checklist.items() {
        let p = delivery.chance(item);
        let delivered = rng.gen_bool(p);
        let value: Option<Value> = match item.item_type {
            _ if item.allow_na && rng.gen_bool(0.08) => {
                out.insert(
                    item.key.clone(),
                    AnswerInput {
                        value: None,
                        na: true,
                        comment: None,
                    },
                );
                continue;
            }
            ItemType::YesNo => {
                let compliant = item.options.compliant_answer.unwrap_or(true);
                Some(json!(if delivered { compliant } else { !compliant }))
            }
            ItemType::Scale => {
                let (min, max) = (
                    item.options.min.unwrap_or(1.0),
                    item.options.max.unwrap_or(5.0),
                );
                let x = (p + rng.gen_range(-0.25..0.25)).clamp(0.0, 1.0);
                Some(json!((min + (max - min) * x).round() as i64))
            }
            ItemType::Number => {
                let target = item.options.target.unwrap_or(0.0);
                let value = match (item.options.comparator, delivered) {
                    (Some(Comparator::Gte), true) => target + rng.gen_range(0.0..=target.abs()),
                    (Some(Comparator::Gte), false) => target * rng.gen_range(0.1..0.95),
                    (_, true) => (target * rng.gen_range(0.1..=1.0)).floor(),
                    (_, false) => (target * rng.gen_range(1.05..6.0)).ceil(),
                };
                Some(json!(value))
            }
            ItemType::Choice => {
                let mut choices = item.options.choices.clone().unwrap_or_default();
                choices.sort_by(|a, b| b.points.total_cmp(&a.points));
                let pick = if delivered || choices.len() < 2 {
                    0
                } else {
                    rng.gen_range(1..choices.len())
                };
                choices.get(pick).map(|c| json!(c.value))
            }
            ItemType::Datetime => {
                let at = if item.key.contains("arriv") {
                    start
                } else {
                    end
                };
                Some(json!(at.and_utc().to_rfc3339()))
            }
            ItemType::Text if rng.gen_bool(0.2) => Some(json!(
                "The consultant was friendly but had to look up most prices."
            )),
            ItemType::Text | ItemType::Evidence => None,
        };
        if let Some(value) = value {
            out.insert(
                item.key.clone(),
                AnswerInput {
                    value: Some(value),
                    na: false,
                    comment: None,
                },
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(visits: usize, shoppers: usize) -> Plan {
        Plan {
            locations: 100,
            shoppers,
            visits,
            responses: 0,
            days: 365,
            seed: 1,
            workers: 1,
            awaiting_review: 0,
        }
    }

    #[test]
    fn a_plan_needs_enough_shoppers_for_the_cooldown() {
        // 1,000 visits a year per location, 1,500 at the busiest, are 140 in 30 + 4 days:
        // 140 × 1.5 + 2 shoppers.
        assert!(check_plan(&plan(100_000, 200), 30).is_err());
        assert!(check_plan(&plan(100_000, 212), 30).is_ok());
        assert!(check_plan(&plan(100_000, 1), 0).is_ok());
    }

    #[test]
    fn the_same_seed_schedules_the_same_visits() {
        let org = crate::demo::new_organization_row("x");
        let now = chrono::NaiveDate::from_ymd_opt(2026, 6, 1)
            .unwrap()
            .and_hms_opt(12, 0, 0)
            .unwrap();
        let run = || {
            let mut rng = StdRng::seed_from_u64(7);
            schedule(&plan(5_000, 200), &org, &mut rng, now, HashMap::new()).unwrap()
        };
        let (a, b) = (run(), run());
        assert_eq!(a.len(), 5_000);
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(
                (x.at, x.site, x.shopper, x.seed),
                (y.at, y.site, y.shopper, y.seed)
            );
        }
        // In time order, inside the period, and never a shopper back within the cooldown.
        assert!(a.windows(2).all(|w| w[0].at <= w[1].at));
        assert!(a.iter().all(|v| v.at <= now - TimeDelta::hours(2)));
        let mut last: HashMap<(usize, usize), NaiveDateTime> = HashMap::new();
        for v in &a {
            if let Some(t) = last.insert((v.site, v.shopper), v.at) {
                assert!(v.at - t > TimeDelta::days(34));
            }
        }
    }
}

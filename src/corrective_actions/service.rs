//! Corrective actions: opening (with the baseline frozen), editing, the moves of the state
//! machine with their history and events, training sessions, suggestions, the verifying
//! re-shops and the effect. Everything runs in the caller's transaction.

use std::collections::{BTreeMap, HashSet};

use chrono::{Days, NaiveDate, NaiveDateTime, TimeDelta};
use diesel::prelude::*;

use super::dto::{
    ActionChanges, ActionFilter, ActionHistoryEntry, ActionSummary, Baseline, CorrectiveAction,
    Effect, EffectsReport, KindEffect, MarkDone, OpenAction, Reshop, ReshopState, Suggestion,
    SuggestionList, TrainingInput, TrainingSession,
};
use super::rules::{self, newcombe, transition, verdict, Delivered, Kind, Move, Status};
use crate::assignments::dto::CreateAssignment;
use crate::assignments::service::{self as assignments, Actor};
use crate::auth::rules::Role;
use crate::checklists::dto::ChecklistContent;
use crate::db::schema::{
    assignments as assignment_table, checklist_versions, corrective_action_events,
    corrective_actions, standards_book_versions, submissions, training_sessions,
    verification_reshops,
};
use crate::db::{lock_for_transaction, DbConn};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::events::dto::{CorrectiveActionEventData, EventType};
use crate::events::outbox;
use crate::locations::repo as locations;
use crate::reports::alerts::{window_sums, WindowSums};
use crate::reports::dto::GapQuery;
use crate::reports::rules::from_units;
use crate::reports::service::{gap_report_with, standards_of, OrgFacts};
use crate::scoring::rules::VisitScore;
use crate::standards::dto::{BookContent, Channel};
use crate::validation::reject_if_any;

/// Default days of the baseline window and of the suggestions' window.
pub const DEFAULT_WINDOW_DAYS: i32 = 90;
/// Default days a verifying re-shop's window stays open.
pub const DEFAULT_RESHOP_WINDOW_DAYS: i32 = 14;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = corrective_actions, treat_none_as_null = true)]
struct Row {
    id: String,
    organization_id: String,
    location_id: String,
    standard_code: String,
    kind: String,
    status: String,
    owner_id: String,
    due_date: NaiveDate,
    plan: String,
    reshop_count: i32,
    target: f64,
    baseline_from: NaiveDate,
    baseline_to: NaiveDate,
    baseline_n: i64,
    baseline_units: i64,
    done_at: Option<NaiveDateTime>,
    round: i32,
    verified_compliance: Option<f64>,
    decided_at: Option<NaiveDateTime>,
    revision: i32,
    created_by: Option<String>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl Row {
    fn status(&self) -> ApiResult<Status> {
        self.status.parse().map_err(ApiError::internal)
    }

    fn kind(&self) -> ApiResult<Kind> {
        Kind::parse(&self.kind).ok_or_else(|| ApiError::internal("unknown action kind stored"))
    }

    fn baseline_days(&self) -> u64 {
        (self.baseline_to - self.baseline_from).num_days().max(0) as u64 + 1
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = corrective_action_events)]
struct HistoryRow {
    id: String,
    action_id: String,
    organization_id: String,
    change: String,
    from_status: Option<String>,
    to_status: String,
    actor_id: Option<String>,
    note: Option<String>,
    at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = training_sessions)]
struct TrainingRow {
    id: String,
    action_id: String,
    organization_id: String,
    held_on: NaiveDate,
    standards: String,
    protocols: String,
    attendees: i32,
    notes: String,
    recorded_by: Option<String>,
    created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = verification_reshops)]
struct ReshopRow {
    assignment_id: String,
    action_id: String,
    organization_id: String,
    round: i32,
    state: String,
    compliance: Option<f64>,
    created_at: NaiveDateTime,
}

fn uuid(s: &str) -> ApiResult<uuid::Uuid> {
    s.parse().map_err(ApiError::internal)
}

fn find_row(conn: &mut DbConn, org: &str, id: &str) -> ApiResult<Row> {
    corrective_actions::table
        .filter(corrective_actions::id.eq(id))
        .filter(corrective_actions::organization_id.eq(org))
        .select(Row::as_select())
        .get_result(conn)
        .optional()?
        .ok_or_else(|| ApiError::NotFound("no such corrective action".into()))
}

/// The row, locked for this transaction, checked against `If-Match`.
fn current(conn: &mut DbConn, org: &str, id: &str, expected: Option<i32>) -> ApiResult<Row> {
    lock_for_transaction(conn, id)?;
    let row = find_row(conn, org, id)?;
    if let Some(e) = expected {
        if e != row.revision {
            return Err(ApiError::PreconditionFailed(format!(
                "the corrective action changed; its revision is now {}",
                row.revision
            )));
        }
    }
    Ok(row)
}

fn illegal(e: rules::IllegalMove) -> ApiError {
    ApiError::Conflict {
        detail: e.to_string(),
        current_state: Some(e.from.as_str().to_string()),
    }
}

/// The local date of `now` at the location (the day reports file its visits under).
fn local_today(conn: &mut DbConn, org: &str, location_id: &str, now: NaiveDateTime) -> NaiveDate {
    locations::find(conn, org, location_id)
        .map(|l| crate::reports::rollups::local_day(now, &l.time_zone))
        .unwrap_or(now.date())
}

/// Delivered on `code` at the location over `[from, to]`, from the day roll-ups.
fn delivered_over(
    conn: &mut DbConn,
    org: &str,
    location_id: &str,
    code: &str,
    (from, to): (NaiveDate, NaiveDate),
) -> ApiResult<(WindowSums, Delivered)> {
    if to < from {
        return Ok((WindowSums::default(), Delivered::of(0, 0.0)));
    }
    let sums = window_sums(conn, org, location_id, &[code.to_string()], (from, to))?
        .remove(code)
        .unwrap_or_default();
    let mean = if sums.n > 0 {
        from_units(sums.sum_units) / sums.n as f64
    } else {
        0.0
    };
    Ok((sums, Delivered::of(sums.n, mean)))
}

/// Delivered from the local day the action was (last) marked done, over as many days as the
/// baseline (so both sides cover comparable spans, and the after side stops growing), against
/// the baseline.
fn effect_of(
    conn: &mut DbConn,
    row: &Row,
    time_zone: &str,
    baseline: Delivered,
    today: NaiveDate,
) -> ApiResult<Option<Effect>> {
    let Some(done_at) = row.done_at else {
        return Ok(None);
    };
    let from = crate::reports::rollups::local_day(done_at, time_zone);
    let end = from
        .checked_add_days(Days::new(row.baseline_days() - 1))
        .unwrap_or(NaiveDate::MAX);
    let to = end.min(today);
    let (_, after) = delivered_over(
        conn,
        &row.organization_id,
        &row.location_id,
        &row.standard_code,
        (from, to),
    )?;
    let difference = newcombe(baseline, after);
    Ok(Some(Effect {
        after_from: from,
        after_to: end,
        after,
        difference: difference.map(|d| d.difference),
        ci_low: difference.map(|d| d.ci_low),
        ci_high: difference.map(|d| d.ci_high),
        improved: difference.is_some_and(|d| d.improved()),
    }))
}

/// The action as the API shows it; `overdue` and the effect are judged on `now`'s local date at
/// the location (read once, for its code and time zone).
fn to_dto(conn: &mut DbConn, row: Row, now: NaiveDateTime) -> ApiResult<CorrectiveAction> {
    let status = row.status()?;
    let location = locations::find(conn, &row.organization_id, &row.location_id)?;
    let today = crate::reports::rollups::local_day(now, &location.time_zone);
    let reshops: Vec<ReshopRow> = verification_reshops::table
        .filter(verification_reshops::action_id.eq(&row.id))
        .order((
            verification_reshops::round.asc(),
            verification_reshops::created_at.asc(),
            verification_reshops::assignment_id.asc(),
        ))
        .select(ReshopRow::as_select())
        .load(conn)?;
    let baseline = Delivered::of(
        row.baseline_n,
        if row.baseline_n > 0 {
            from_units(row.baseline_units) / row.baseline_n as f64
        } else {
            0.0
        },
    );
    let effect = effect_of(conn, &row, &location.time_zone, baseline, today)?;
    Ok(CorrectiveAction {
        id: uuid(&row.id)?,
        location_id: uuid(&row.location_id)?,
        location_code: location.code,
        standard: row.standard_code.clone(),
        kind: row.kind()?,
        status,
        overdue: rules::overdue(status, row.due_date, today),
        owner_id: uuid(&row.owner_id)?,
        due_date: row.due_date,
        plan: row.plan.clone(),
        reshop_count: row.reshop_count,
        baseline: Baseline {
            from: row.baseline_from,
            to: row.baseline_to,
            delivered: baseline,
            target: row.target,
        },
        done_at: row.done_at.map(|t| t.and_utc()),
        round: row.round,
        reshops: reshops
            .into_iter()
            .map(|r| {
                Ok(Reshop {
                    assignment_id: uuid(&r.assignment_id)?,
                    round: r.round,
                    state: ReshopState::parse(&r.state)
                        .ok_or_else(|| ApiError::internal("unknown re-shop state stored"))?,
                    compliance: r.compliance,
                })
            })
            .collect::<ApiResult<_>>()?,
        verified_compliance: row.verified_compliance,
        decided_at: row.decided_at.map(|t| t.and_utc()),
        effect,
        revision: row.revision,
        created_by: row.created_by.as_deref().and_then(|s| s.parse().ok()),
        created_at: row.created_at.and_utc(),
        updated_at: row.updated_at.and_utc(),
    })
}

/// Saves the row (revision and time moved on), its history entry and its event.
fn save_change(
    conn: &mut DbConn,
    row: &mut Row,
    change: &str,
    from: Option<Status>,
    actor: Option<&str>,
    note: Option<String>,
    now: NaiveDateTime,
) -> ApiResult<()> {
    let to = row.status()?;
    if from.is_some() {
        row.revision += 1;
        row.updated_at = now;
        diesel::update(corrective_actions::table.find(&row.id))
            .set(&*row)
            .execute(conn)?;
    } else {
        diesel::insert_into(corrective_actions::table)
            .values(&*row)
            .execute(conn)?;
    }
    diesel::insert_into(corrective_action_events::table)
        .values(HistoryRow {
            id: uuid::Uuid::now_v7().to_string(),
            action_id: row.id.clone(),
            organization_id: row.organization_id.clone(),
            change: change.to_string(),
            from_status: from.map(|s| s.as_str().to_string()),
            to_status: to.as_str().to_string(),
            actor_id: actor.map(str::to_string),
            note,
            at: now,
        })
        .execute(conn)?;
    let event_type = match change {
        "opened" => EventType::CorrectiveActionOpened,
        "verified" => EventType::CorrectiveActionVerified,
        "not_verified" => EventType::CorrectiveActionNotVerified,
        _ => EventType::CorrectiveActionChanged,
    };
    outbox::record(
        conn,
        &row.organization_id,
        event_type,
        &CorrectiveActionEventData {
            action_id: uuid(&row.id)?,
            location_id: uuid(&row.location_id)?,
            standard: row.standard_code.clone(),
            kind: row.kind()?,
            status: to,
            previous_status: from,
            change: change.to_string(),
            owner_id: uuid(&row.owner_id)?,
            due_date: row.due_date,
            round: row.round,
            verified_compliance: row.verified_compliance,
            actor_id: actor.and_then(|a| a.parse().ok()),
            revision: row.revision,
        },
        now,
    )?;
    Ok(())
}

/// The owner must be an active manager or admin of the organization.
fn check_owner(conn: &mut DbConn, org: &str, owner: &uuid::Uuid, errors: &mut Vec<FieldError>) {
    let ok = crate::users::repo::find_in_org(conn, org, &owner.to_string()).is_ok_and(|u| {
        u.active && matches!(u.role.parse::<Role>(), Ok(Role::Admin | Role::Manager))
    });
    if !ok {
        errors.push(FieldError::new(
            "owner_id",
            "must be an active manager or admin of this organization",
        ));
    }
}

pub fn open(
    conn: &mut DbConn,
    org: &str,
    by: Option<&str>,
    input: OpenAction,
    now: NaiveDateTime,
) -> ApiResult<CorrectiveAction> {
    let mut errors = Vec::new();
    let standards = standards_of(conn, org)?;
    let target = match standards.get(&input.standard) {
        Some((_, _, target)) => *target,
        None => {
            errors.push(FieldError::new(
                "standard",
                "is not a standard of the organization's published standards books",
            ));
            0.0
        }
    };
    let location = locations::find(conn, org, &input.location_id.to_string()).ok();
    if location.is_none() {
        errors.push(FieldError::new(
            "location_id",
            "no such location in this organization",
        ));
    }
    check_owner(conn, org, &input.owner_id, &mut errors);
    let today = location
        .as_ref()
        .map(|l| crate::reports::rollups::local_day(now, &l.time_zone))
        .unwrap_or(now.date());
    if input.due_date < today {
        errors.push(FieldError::new("due_date", "must not be in the past"));
    }
    reject_if_any(errors)?;
    let location = location.ok_or_else(|| ApiError::internal("checked above"))?;
    let days = input
        .baseline_days
        .unwrap_or(DEFAULT_WINDOW_DAYS)
        .clamp(1, 3660) as u64;
    let from = today
        .checked_sub_days(Days::new(days - 1))
        .unwrap_or(NaiveDate::MIN);
    let (sums, _) = delivered_over(conn, org, &location.id, &input.standard, (from, today))?;
    let mut row = Row {
        id: uuid::Uuid::now_v7().to_string(),
        organization_id: org.to_string(),
        location_id: location.id.clone(),
        standard_code: input.standard,
        kind: input.kind.as_str().to_string(),
        status: Status::Open.as_str().to_string(),
        owner_id: input.owner_id.to_string(),
        due_date: input.due_date,
        plan: input.plan.trim().to_string(),
        reshop_count: input.reshop_count.unwrap_or(1),
        target,
        baseline_from: from,
        baseline_to: today,
        baseline_n: sums.n,
        baseline_units: sums.sum_units,
        done_at: None,
        round: 0,
        verified_compliance: None,
        decided_at: None,
        revision: 1,
        created_by: by.map(str::to_string),
        created_at: now,
        updated_at: now,
    };
    save_change(conn, &mut row, "opened", None, by, None, now)?;
    to_dto(conn, row, now)
}

pub fn find(
    conn: &mut DbConn,
    org: &str,
    id: &str,
    now: NaiveDateTime,
) -> ApiResult<CorrectiveAction> {
    let row = find_row(conn, org, id)?;
    to_dto(conn, row, now)
}

pub fn list(
    conn: &mut DbConn,
    org: &str,
    filter: &ActionFilter,
    after: Option<&str>,
    limit: i64,
    now: NaiveDateTime,
) -> ApiResult<Vec<CorrectiveAction>> {
    let mut query = corrective_actions::table
        .filter(corrective_actions::organization_id.eq(org))
        .select(Row::as_select())
        .order(corrective_actions::id.asc())
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(corrective_actions::id.gt(after.to_string()));
    }
    if let Some(statuses) = crate::reports::service::split_list(&filter.status) {
        query = query.filter(corrective_actions::status.eq_any(statuses));
    }
    if let Some(location) = filter.location_id {
        query = query.filter(corrective_actions::location_id.eq(location.to_string()));
    }
    if let Some(code) = &filter.standard {
        query = query.filter(corrective_actions::standard_code.eq(code.clone()));
    }
    if let Some(owner) = filter.owner_id {
        query = query.filter(corrective_actions::owner_id.eq(owner.to_string()));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(corrective_actions::kind.eq(kind.as_str()));
    }
    let mut out = Vec::new();
    match filter.overdue {
        // Overdue is derived (it depends on today at each location), so it is filtered here:
        // the candidates (work left, due before tomorrow anywhere) are read in pages.
        Some(wanted) => {
            let pending: Vec<&str> = Status::ALL
                .into_iter()
                .filter(|s| s.is_pending_work())
                .map(Status::as_str)
                .collect();
            if wanted {
                query = query
                    .filter(corrective_actions::status.eq_any(pending))
                    .filter(corrective_actions::due_date.lt(now.date() + TimeDelta::days(1)));
            }
            for row in query.load(conn)? {
                let dto = to_dto(conn, row, now)?;
                if dto.overdue == wanted {
                    out.push(dto);
                    if out.len() as i64 > limit {
                        break;
                    }
                }
            }
        }
        None => {
            for row in query.limit(limit + 1).load(conn)? {
                out.push(to_dto(conn, row, now)?);
            }
        }
    }
    Ok(out)
}

/// Replaces the editable fields (while the owner still has work to do).
pub fn update(
    conn: &mut DbConn,
    org: &str,
    by: Option<&str>,
    id: &str,
    changes: ActionChanges,
    expected: Option<i32>,
    now: NaiveDateTime,
) -> ApiResult<CorrectiveAction> {
    let mut row = current(conn, org, id, expected)?;
    let status = row.status()?;
    if !rules::editable(status) {
        return Err(ApiError::Conflict {
            detail: format!("a corrective action that is {status} can no longer be edited"),
            current_state: Some(status.as_str().to_string()),
        });
    }
    let mut errors = Vec::new();
    if changes.owner_id.to_string() != row.owner_id {
        check_owner(conn, org, &changes.owner_id, &mut errors);
    }
    reject_if_any(errors)?;
    let mut changed = Vec::new();
    if changes.kind.as_str() != row.kind {
        changed.push("kind");
    }
    if changes.owner_id.to_string() != row.owner_id {
        changed.push("owner_id");
    }
    if changes.due_date != row.due_date {
        changed.push("due_date");
    }
    if changes.plan.trim() != row.plan {
        changed.push("plan");
    }
    if changes.reshop_count != row.reshop_count {
        changed.push("reshop_count");
    }
    if changed.is_empty() {
        return to_dto(conn, row, now);
    }
    row.kind = changes.kind.as_str().to_string();
    row.owner_id = changes.owner_id.to_string();
    row.due_date = changes.due_date;
    row.plan = changes.plan.trim().to_string();
    row.reshop_count = changes.reshop_count;
    save_change(
        conn,
        &mut row,
        "edited",
        Some(status),
        by,
        Some(format!("changed {}", changed.join(", "))),
        now,
    )?;
    to_dto(conn, row, now)
}

/// A move the caller makes (start, reopen, cancel); marking done is [`mark_done`].
#[allow(clippy::too_many_arguments)]
pub fn apply_move(
    conn: &mut DbConn,
    org: &str,
    by: Option<&str>,
    id: &str,
    attempted: Move,
    note: Option<String>,
    expected: Option<i32>,
    now: NaiveDateTime,
) -> ApiResult<CorrectiveAction> {
    let mut row = current(conn, org, id, expected)?;
    let from = row.status()?;
    let to = transition(from, attempted).map_err(illegal)?;
    if attempted == Move::Cancel && note.as_deref().is_none_or(|n| n.trim().is_empty()) {
        return Err(ApiError::unprocessable(
            "note",
            "say why the action is cancelled",
        ));
    }
    row.status = to.as_str().to_string();
    let change = match attempted {
        Move::Start => "started",
        Move::Reopen => "reopened",
        Move::Cancel => "cancelled",
        _ => return Err(ApiError::internal("not a caller's move")),
    };
    save_change(conn, &mut row, change, Some(from), by, note, now)?;
    if attempted == Move::Cancel {
        cancel_planned_reshops(conn, org, &row.id, by, now)?;
    }
    to_dto(conn, row, now)
}

/// Calls off the re-shops still waiting when the action is cancelled (a shop already submitted
/// stays: the shopper's work is reviewed like any other).
fn cancel_planned_reshops(
    conn: &mut DbConn,
    org: &str,
    action_id: &str,
    by: Option<&str>,
    now: NaiveDateTime,
) -> ApiResult<()> {
    let planned: Vec<String> = verification_reshops::table
        .filter(verification_reshops::action_id.eq(action_id))
        .filter(verification_reshops::state.eq(ReshopState::Planned.as_str()))
        .select(verification_reshops::assignment_id)
        .load(conn)?;
    let actor = Actor {
        organization_id: org,
        user_id: by,
    };
    diesel::update(
        verification_reshops::table
            .filter(verification_reshops::action_id.eq(action_id))
            .filter(verification_reshops::state.eq(ReshopState::Planned.as_str())),
    )
    .set(verification_reshops::state.eq(ReshopState::Cancelled.as_str()))
    .execute(conn)?;
    for assignment in planned {
        match assignments::cancel(
            conn,
            actor,
            &assignment,
            Some("no longer needed".into()),
            now,
        ) {
            Ok(_) | Err(ApiError::Conflict { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The published checklist version the re-shops use: the one asked for, checked, or the most
/// recently published one that observes the standard on a channel the location serves.
fn reshop_checklist(
    conn: &mut DbConn,
    org: &str,
    code: &str,
    channels: &[Channel],
    asked: Option<uuid::Uuid>,
) -> ApiResult<String> {
    let mut query = checklist_versions::table
        .filter(checklist_versions::organization_id.eq(org))
        .filter(checklist_versions::status.eq("published"))
        .order((
            checklist_versions::published_at.desc(),
            checklist_versions::id.desc(),
        ))
        .select((
            checklist_versions::id,
            checklist_versions::channel,
            checklist_versions::content,
        ))
        .into_boxed();
    if let Some(id) = asked {
        query = query.filter(checklist_versions::id.eq(id.to_string()));
    }
    let versions: Vec<(String, String, String)> = query.load(conn)?;
    for (id, channel, content) in versions {
        let serves = Channel::parse(&channel).is_some_and(|c| channels.contains(&c));
        let content: ChecklistContent =
            serde_json::from_str(&content).map_err(ApiError::internal)?;
        let observes = content
            .items()
            .any(|(_, item)| item.standard.as_deref() == Some(code));
        if serves && observes {
            return Ok(id);
        }
    }
    Err(ApiError::unprocessable(
        "checklist_version_id",
        match asked {
            Some(_) => format!(
                "must be a published checklist version of this organization with an item on {code}, of a channel the location serves"
            ),
            None => format!(
                "no published checklist observes {code} on a channel the location serves; publish one, or name one"
            ),
        },
    ))
}

/// What a re-shop looks like: the scenario, fee and currency of the location's latest
/// assignment on the same checklist version (else any latest one there), so it looks like
/// every other shop.
fn ordinary_terms(
    conn: &mut DbConn,
    org: &str,
    location_id: &str,
    checklist_version_id: &str,
) -> ApiResult<Option<(String, i64, String)>> {
    let latest = |conn: &mut DbConn, same_checklist: bool| {
        let mut q = assignment_table::table
            .filter(assignment_table::organization_id.eq(org))
            .filter(assignment_table::location_id.eq(location_id))
            .order(assignment_table::created_at.desc())
            .select((
                assignment_table::scenario,
                assignment_table::fee_cents,
                assignment_table::currency,
            ))
            .into_boxed();
        if same_checklist {
            q = q.filter(assignment_table::checklist_version_id.eq(checklist_version_id));
        }
        q.first::<(String, i64, String)>(conn).optional()
    };
    Ok(match latest(conn, true)? {
        Some(t) => Some(t),
        None => latest(conn, false)?,
    })
}

/// The re-shops' plan, fixed when the action is marked done and reused for replacements.
struct ReshopPlan {
    checklist_version_id: uuid::Uuid,
    shopper_id: Option<uuid::Uuid>,
    window: TimeDelta,
    scenario: String,
    fee_cents: i64,
    currency: String,
}

fn plan_reshops(
    conn: &mut DbConn,
    row: &Row,
    plan: &ReshopPlan,
    count: i32,
    by: Option<&str>,
    now: NaiveDateTime,
) -> ApiResult<()> {
    let actor = Actor {
        organization_id: &row.organization_id,
        user_id: by,
    };
    for _ in 0..count {
        let assignment = assignments::create(
            conn,
            actor,
            CreateAssignment {
                location_id: uuid(&row.location_id)?,
                checklist_version_id: plan.checklist_version_id,
                segment: None,
                scenario: plan.scenario.clone(),
                window_start: now.and_utc(),
                window_end: (now + plan.window).and_utc(),
                fee_cents: plan.fee_cents,
                currency: Some(plan.currency.clone()),
                reimbursement_cap_minor: None,
                required_quiz_id: None,
                pair_with: None,
                shopper_id: plan.shopper_id,
            },
            now,
        )?;
        diesel::insert_into(verification_reshops::table)
            .values(ReshopRow {
                assignment_id: assignment.id,
                action_id: row.id.clone(),
                organization_id: row.organization_id.clone(),
                round: row.round,
                state: ReshopState::Planned.as_str().to_string(),
                compliance: None,
                created_at: now,
            })
            .execute(conn)?;
    }
    Ok(())
}

/// Marks the work done and plans the round's verifying re-shops in the same transaction.
#[allow(clippy::too_many_arguments)]
pub fn mark_done(
    conn: &mut DbConn,
    org: &str,
    by: Option<&str>,
    id: &str,
    input: MarkDone,
    expected: Option<i32>,
    now: NaiveDateTime,
) -> ApiResult<CorrectiveAction> {
    let mut row = current(conn, org, id, expected)?;
    let from = row.status()?;
    let to = transition(from, Move::Done).map_err(illegal)?;
    let location = locations::find(conn, org, &row.location_id)?;
    let channels: Vec<Channel> =
        serde_json::from_str(&location.channels).map_err(ApiError::internal)?;
    let checklist = reshop_checklist(
        conn,
        org,
        &row.standard_code,
        &channels,
        input.checklist_version_id,
    )?;
    let usual = ordinary_terms(conn, org, &row.location_id, &checklist)?;
    let plan = ReshopPlan {
        checklist_version_id: uuid(&checklist)?,
        shopper_id: input.shopper_id,
        window: TimeDelta::days(i64::from(
            input.window_days.unwrap_or(DEFAULT_RESHOP_WINDOW_DAYS),
        )),
        scenario: input
            .scenario
            .or_else(|| usual.as_ref().map(|u| u.0.clone()))
            .unwrap_or_else(|| {
                "Visit as an ordinary customer and note what you experience.".into()
            }),
        fee_cents: input
            .fee_cents
            .or_else(|| usual.as_ref().map(|u| u.1))
            .unwrap_or(0),
        currency: input
            .currency
            .or_else(|| usual.as_ref().map(|u| u.2.clone()))
            .unwrap_or_else(|| "EUR".into()),
    };
    row.status = to.as_str().to_string();
    row.done_at = Some(now);
    row.round += 1;
    row.verified_compliance = None;
    row.decided_at = None;
    save_change(conn, &mut row, "done", Some(from), by, input.note, now)?;
    plan_reshops(conn, &row, &plan, row.reshop_count, by, now)?;
    to_dto(conn, row, now)
}

/// What happened to an assignment, as far as verification cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReshopOutcome {
    Approved,
    /// Rejected (also after approval), expired or cancelled: it needs a replacement.
    Lost,
}

/// Called for every assignment that was approved, rejected, expired or cancelled, in that
/// change's transaction: a verifying re-shop among them records its compliance and, when it
/// was the round's last, decides the action; a lost one is replaced by a new re-shop on the
/// same terms while the action still awaits verification. Assignments that are no re-shop cost
/// one indexed read.
pub fn after_assignment_changes(
    conn: &mut DbConn,
    changes: &[(String, ReshopOutcome)],
    now: NaiveDateTime,
) -> ApiResult<()> {
    if changes.is_empty() {
        return Ok(());
    }
    let ids: Vec<&str> = changes.iter().map(|(id, _)| id.as_str()).collect();
    let linked: Vec<ReshopRow> = verification_reshops::table
        .filter(verification_reshops::assignment_id.eq_any(&ids))
        .select(ReshopRow::as_select())
        .load(conn)?;
    for reshop in linked {
        let outcome = changes
            .iter()
            .find(|(id, _)| *id == reshop.assignment_id)
            .map(|(_, o)| *o)
            .ok_or_else(|| ApiError::internal("re-shop outcome"))?;
        reshop_changed(conn, reshop, outcome, now)?;
    }
    Ok(())
}

fn reshop_changed(
    conn: &mut DbConn,
    reshop: ReshopRow,
    outcome: ReshopOutcome,
    now: NaiveDateTime,
) -> ApiResult<()> {
    let org = reshop.organization_id.clone();
    let mut row = current(conn, &org, &reshop.action_id, None)?;
    let status = row.status()?;
    // Only the current round of an action still waiting for its verdict counts.
    if status != Status::AwaitingVerification || reshop.round != row.round {
        return Ok(());
    }
    let link = verification_reshops::table.find(&reshop.assignment_id);
    match outcome {
        ReshopOutcome::Approved => {
            let compliance = approved_compliance(conn, &reshop.assignment_id, &row.standard_code)?;
            diesel::update(link)
                .set((
                    verification_reshops::state.eq(ReshopState::Approved.as_str()),
                    verification_reshops::compliance.eq(compliance),
                ))
                .execute(conn)?;
            let approved: Vec<Option<f64>> = verification_reshops::table
                .filter(verification_reshops::action_id.eq(&row.id))
                .filter(verification_reshops::round.eq(row.round))
                .filter(verification_reshops::state.eq(ReshopState::Approved.as_str()))
                .select(verification_reshops::compliance)
                .load(conn)?;
            if approved.len() as i32 >= row.reshop_count {
                let (passed, mean) = verdict(&approved, row.target);
                let to = transition(status, Move::Decide { passed }).map_err(illegal)?;
                row.status = to.as_str().to_string();
                row.verified_compliance = mean;
                row.decided_at = Some(now);
                let note = match mean {
                    Some(m) => format!(
                        "mean compliance {m:.3} over {} re-shop(s) against the target {:.3}",
                        approved.len(),
                        row.target
                    ),
                    None => "no re-shop observed the standard".to_string(),
                };
                let change = if passed { "verified" } else { "not_verified" };
                save_change(conn, &mut row, change, Some(status), None, Some(note), now)?;
            }
        }
        ReshopOutcome::Lost => {
            if reshop.state == ReshopState::Replaced.as_str() {
                return Ok(());
            }
            diesel::update(link)
                .set((
                    verification_reshops::state.eq(ReshopState::Replaced.as_str()),
                    verification_reshops::compliance.eq(None::<f64>),
                ))
                .execute(conn)?;
            let old = crate::assignments::repo::find(conn, &org, &reshop.assignment_id)?;
            let plan = ReshopPlan {
                checklist_version_id: uuid(&old.checklist_version_id)?,
                shopper_id: None,
                window: old.window_end - old.window_start,
                scenario: old.scenario.clone(),
                fee_cents: old.fee_cents,
                currency: old.currency.clone(),
            };
            plan_reshops(conn, &row, &plan, 1, None, now)?;
            save_change(
                conn,
                &mut row,
                "reshop_replaced",
                Some(status),
                None,
                Some(format!(
                    "re-shop {} was {}; a new one is on the job board",
                    reshop.assignment_id, old.status
                )),
                now,
            )?;
        }
    }
    Ok(())
}

/// The approved submission's compliance on `code` (none when it did not observe it).
fn approved_compliance(
    conn: &mut DbConn,
    assignment_id: &str,
    code: &str,
) -> ApiResult<Option<f64>> {
    let scores: Option<Option<String>> = submissions::table
        .filter(submissions::assignment_id.eq(assignment_id))
        .filter(submissions::status.eq("approved"))
        .select(submissions::scores)
        .first(conn)
        .optional()?;
    let Some(Some(scores)) = scores else {
        return Ok(None);
    };
    let score: VisitScore = serde_json::from_str(&scores).map_err(ApiError::internal)?;
    Ok(score.standards.get(code).map(|c| c.value))
}

pub fn history(conn: &mut DbConn, org: &str, id: &str) -> ApiResult<Vec<ActionHistoryEntry>> {
    find_row(conn, org, id)?;
    let rows: Vec<HistoryRow> = corrective_action_events::table
        .filter(corrective_action_events::action_id.eq(id))
        .order((
            corrective_action_events::at.asc(),
            corrective_action_events::id.asc(),
        ))
        .select(HistoryRow::as_select())
        .load(conn)?;
    rows.into_iter()
        .map(|r| {
            Ok(ActionHistoryEntry {
                change: r.change,
                from_status: r
                    .from_status
                    .as_deref()
                    .map(str::parse)
                    .transpose()
                    .map_err(ApiError::internal)?,
                to_status: r.to_status.parse().map_err(ApiError::internal)?,
                actor_id: r.actor_id.as_deref().and_then(|a| a.parse().ok()),
                note: r.note,
                at: r.at.and_utc(),
            })
        })
        .collect()
}

/// The protocols of the organization's published books: name → the standard codes its steps
/// carry out.
pub fn published_protocols(conn: &mut DbConn, org: &str) -> ApiResult<Vec<(String, Vec<String>)>> {
    let contents: Vec<String> = standards_book_versions::table
        .filter(standards_book_versions::organization_id.eq(org))
        .filter(standards_book_versions::status.eq("published"))
        .select(standards_book_versions::content)
        .load(conn)?;
    let mut out = Vec::new();
    for content in contents {
        let book: BookContent = serde_json::from_str(&content).map_err(ApiError::internal)?;
        for p in book.protocols {
            let codes = p.steps.iter().flat_map(|s| s.standards.clone()).collect();
            out.push((p.name, codes));
        }
    }
    Ok(out)
}

fn training_dto(row: TrainingRow) -> ApiResult<TrainingSession> {
    Ok(TrainingSession {
        id: uuid(&row.id)?,
        action_id: uuid(&row.action_id)?,
        held_on: row.held_on,
        standards: serde_json::from_str(&row.standards).map_err(ApiError::internal)?,
        protocols: serde_json::from_str(&row.protocols).map_err(ApiError::internal)?,
        attendees: row.attendees,
        notes: row.notes,
        recorded_by: row.recorded_by.as_deref().and_then(|s| s.parse().ok()),
        created_at: row.created_at.and_utc(),
    })
}

/// Records a training session held for the action (while it is open, any state but final).
pub fn record_training(
    conn: &mut DbConn,
    org: &str,
    by: Option<&str>,
    id: &str,
    input: TrainingInput,
    now: NaiveDateTime,
) -> ApiResult<TrainingSession> {
    let mut row = current(conn, org, id, None)?;
    let status = row.status()?;
    if !status.is_open() {
        return Err(ApiError::Conflict {
            detail: format!("training cannot be recorded on a corrective action that is {status}"),
            current_state: Some(status.as_str().to_string()),
        });
    }
    let codes = input
        .standards
        .unwrap_or_else(|| vec![row.standard_code.clone()]);
    let mut errors = Vec::new();
    let known = standards_of(conn, org)?;
    for (i, code) in codes.iter().enumerate() {
        if !known.contains_key(code) {
            errors.push(FieldError::new(
                format!("standards[{i}]"),
                format!("{code} is not a standard of the organization's published books"),
            ));
        }
    }
    let protocols: HashSet<String> = published_protocols(conn, org)?
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    for (i, name) in input.protocols.iter().enumerate() {
        if !protocols.contains(name) {
            errors.push(FieldError::new(
                format!("protocols[{i}]"),
                format!("{name:?} is not a protocol of the organization's published books"),
            ));
        }
    }
    let today = local_today(conn, org, &row.location_id, now);
    if input.held_on > today {
        errors.push(FieldError::new("held_on", "must not be in the future"));
    }
    reject_if_any(errors)?;
    let session = TrainingRow {
        id: uuid::Uuid::now_v7().to_string(),
        action_id: row.id.clone(),
        organization_id: org.to_string(),
        held_on: input.held_on,
        standards: serde_json::to_string(&codes).map_err(ApiError::internal)?,
        protocols: serde_json::to_string(&input.protocols).map_err(ApiError::internal)?,
        attendees: input.attendees,
        notes: input.notes.unwrap_or_default().trim().to_string(),
        recorded_by: by.map(str::to_string),
        created_at: now,
    };
    diesel::insert_into(training_sessions::table)
        .values(&session)
        .execute(conn)?;
    save_change(
        conn,
        &mut row,
        "training_recorded",
        Some(status),
        by,
        Some(format!(
            "training on {} for {} attendee(s)",
            session.held_on, session.attendees
        )),
        now,
    )?;
    training_dto(session)
}

pub fn trainings(conn: &mut DbConn, org: &str, id: &str) -> ApiResult<Vec<TrainingSession>> {
    find_row(conn, org, id)?;
    training_sessions::table
        .filter(training_sessions::action_id.eq(id))
        .order((
            training_sessions::held_on.asc(),
            training_sessions::id.asc(),
        ))
        .select(TrainingRow::as_select())
        .load(conn)?
        .into_iter()
        .map(training_dto)
        .collect()
}

/// Where an open action is, as reports need it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = corrective_actions)]
pub struct OpenActionRef {
    pub id: String,
    pub location_id: String,
    #[diesel(column_name = standard_code)]
    pub standard: String,
    pub status: String,
    pub due_date: NaiveDate,
}

/// Open actions by location and standard (the scorecard and the gap report show them).
pub fn open_actions(
    conn: &mut DbConn,
    org: &str,
    location: Option<&str>,
) -> ApiResult<Vec<OpenActionRef>> {
    let open: Vec<&str> = Status::ALL
        .into_iter()
        .filter(|s| s.is_open())
        .map(Status::as_str)
        .collect();
    let mut query = corrective_actions::table
        .filter(corrective_actions::organization_id.eq(org))
        .filter(corrective_actions::status.eq_any(open))
        .select(OpenActionRef::as_select())
        .order(corrective_actions::id.asc())
        .into_boxed();
    if let Some(l) = location {
        query = query.filter(corrective_actions::location_id.eq(l.to_string()));
    }
    Ok(query.load(conn)?)
}

/// Location × standard gaps over the trailing `days` that are significant and reliable with no
/// open action, the largest shortfall first (from the roll-ups, via the gap report).
pub fn suggestions(
    conn: &mut DbConn,
    org: &str,
    days: i32,
    today: NaiveDate,
) -> ApiResult<SuggestionList> {
    let from = today
        .checked_sub_days(Days::new(days.max(1) as u64 - 1))
        .unwrap_or(NaiveDate::MIN);
    let facts = OrgFacts::load(conn, org)?;
    let query = GapQuery {
        from: Some(from),
        to: Some(today),
        group_by: Some("standard,location".into()),
        ..GapQuery::default()
    };
    let report = gap_report_with(conn, org, &facts, &query, today)?;
    let taken: HashSet<(String, String)> = open_actions(conn, org, None)?
        .into_iter()
        .map(|a| (a.location_id, a.standard))
        .collect();
    let mut items = Vec::new();
    for row in report.rows {
        let (Some(code), Some(location), Some(target), Some(gap)) =
            (row.standard, row.location_id, row.target, row.gap)
        else {
            continue;
        };
        if row.significant != Some(true) || !row.reliable {
            continue;
        }
        if taken.contains(&(location.clone(), code.clone())) {
            continue;
        }
        items.push(Suggestion {
            location_id: uuid(&location)?,
            location_code: row.location_code.unwrap_or_default(),
            standard: code,
            standard_text: row.standard_text,
            n: row.n,
            delivered: row.delivered,
            ci_low: row.ci_low,
            ci_high: row.ci_high,
            target,
            gap,
        });
    }
    Ok(SuggestionList {
        from,
        to: today,
        items,
    })
}

/// Every action marked done at least once, with its effect, and what worked by kind.
pub fn effects(conn: &mut DbConn, org: &str, now: NaiveDateTime) -> ApiResult<EffectsReport> {
    let rows: Vec<Row> = corrective_actions::table
        .filter(corrective_actions::organization_id.eq(org))
        .filter(corrective_actions::done_at.is_not_null())
        .filter(corrective_actions::status.ne(Status::Cancelled.as_str()))
        .order(corrective_actions::id.asc())
        .select(Row::as_select())
        .load(conn)?;
    let mut actions = Vec::new();
    let mut by_kind: BTreeMap<Kind, (i64, i64, i64, f64)> = BTreeMap::new();
    for row in rows {
        let dto = to_dto(conn, row, now)?;
        let entry = by_kind.entry(dto.kind).or_default();
        entry.0 += 1;
        if let Some(d) = dto.effect.as_ref().and_then(|e| e.difference) {
            entry.1 += 1;
            entry.3 += d;
            if dto.effect.as_ref().is_some_and(|e| e.improved) {
                entry.2 += 1;
            }
        }
        actions.push(dto);
    }
    Ok(EffectsReport {
        by_kind: by_kind
            .into_iter()
            .map(|(kind, (n, measured, improved, sum))| KindEffect {
                kind,
                actions: n,
                measured,
                improved,
                mean_difference: (measured > 0).then(|| sum / measured as f64),
            })
            .collect(),
        actions,
    })
}

/// The open actions of one location (for its scorecard), the overdue first.
pub fn location_summary(
    conn: &mut DbConn,
    org: &str,
    location_id: &str,
    today: NaiveDate,
) -> ApiResult<Vec<ActionSummary>> {
    let mut out = Vec::new();
    for a in open_actions(conn, org, Some(location_id))? {
        let status: Status = a.status.parse().map_err(ApiError::internal)?;
        out.push(ActionSummary {
            id: uuid(&a.id)?,
            standard: a.standard,
            status,
            due_date: a.due_date,
            overdue: rules::overdue(status, a.due_date, today),
        });
    }
    out.sort_by(|a, b| b.overdue.cmp(&a.overdue).then(a.due_date.cmp(&b.due_date)));
    Ok(out)
}

//! The assignment workflows: planning (one or a wave), offers, the shopper's accept, decline and
//! check-in, manager actions, expiry and the job board. Each runs in the caller's transaction;
//! every status change is recorded with who, when, from, to and why.

use chrono::{NaiveDateTime, SubsecRound, TimeDelta};

use super::dto::{
    Assignment, CheckIn, CheckInRequest, CreateAssignment, CreateWave, HistoryEntry, Job,
};
use super::model::{AssignmentRow, EventRow};
use super::repo::{self, AssignmentView};
use super::rules::{check_eligibility, transition, Action, EligibilityFacts, Status};
use crate::auth::identities::Identity;
use crate::checklists::repo as checklists;
use crate::corrective_actions::service::{self as corrective_actions, ReshopOutcome};
use crate::db::{lock_for_transaction, DbConn};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::events::dto::{AssignmentEventData, EventType};
use crate::events::outbox::{self, NewEvent};
use crate::locations::dto::Segment;
use crate::locations::model::LocationRow;
use crate::locations::repo as locations;
use crate::locations::rules::distance_m;
use crate::organizations::repo as organizations;
use crate::shoppers::reputation::{self, Counts};
use crate::shoppers::service::find_shopper;
use crate::standards::dto::{Channel, VersionStatus};
use crate::validation::reject_if_any;

/// Who acts on an assignment.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    pub organization_id: &'a str,
    pub user_id: Option<&'a str>,
}

/// The plan shared by single assignments and waves, checked.
struct Plan {
    checklist_version_id: String,
    channel: Channel,
    scenario: String,
    window_start: NaiveDateTime,
    window_end: NaiveDateTime,
    fee_cents: i64,
    currency: String,
    reimbursement_cap_minor: i64,
    required_quiz_id: Option<String>,
}

#[allow(clippy::too_many_arguments)]
fn plan(
    conn: &mut DbConn,
    org: &str,
    checklist_version_id: &uuid::Uuid,
    scenario: String,
    window_start: NaiveDateTime,
    window_end: NaiveDateTime,
    fee_cents: i64,
    currency: Option<String>,
    pay: (Option<i64>, Option<uuid::Uuid>),
    now: NaiveDateTime,
) -> ApiResult<Plan> {
    let (cap, required_quiz) = pay;
    let mut errors = Vec::new();
    if window_end <= window_start {
        errors.push(FieldError::new("window_end", "must be after window_start"));
    } else if window_end <= now {
        errors.push(FieldError::new("window_end", "must be in the future"));
    }
    let currency = currency.unwrap_or_else(|| "EUR".into());
    if let Err(why) = crate::money::check_currency(&currency) {
        errors.push(FieldError::new("currency", why));
    }
    if let Some(quiz) = required_quiz {
        if !crate::certification::service::is_published(conn, org, &quiz.to_string())? {
            errors.push(FieldError::new(
                "required_quiz_id",
                "must be a quiz of this organization with a published version",
            ));
        }
    }
    let reimbursement_cap_minor = match cap {
        Some(cap) => cap,
        None => organizations::find(conn, org)?.reimbursement_cap_minor,
    };
    let version = checklists::find_version_by_id(conn, org, &checklist_version_id.to_string())?
        .filter(|v| v.status == VersionStatus::Published.as_str());
    let channel = match &version {
        Some(v) => {
            Channel::parse(&v.channel).ok_or_else(|| ApiError::internal("unknown channel"))?
        }
        None => {
            errors.push(FieldError::new(
                "checklist_version_id",
                "must be a published checklist version of this organization",
            ));
            Channel::InPerson
        }
    };
    reject_if_any(errors)?;
    Ok(Plan {
        checklist_version_id: checklist_version_id.to_string(),
        channel,
        scenario: scenario.trim().to_string(),
        window_start,
        window_end,
        fee_cents,
        currency,
        reimbursement_cap_minor,
        required_quiz_id: required_quiz.map(|q| q.to_string()),
    })
}

/// The location, checked to be active and to serve the checklist's channel.
fn plannable_location(
    conn: &mut DbConn,
    org: &str,
    id: &uuid::Uuid,
    channel: Channel,
    field: &str,
) -> ApiResult<LocationRow> {
    let location = locations::find(conn, org, &id.to_string())
        .map_err(|_| ApiError::unprocessable(field, "no such location in this organization"))?;
    let channels: Vec<Channel> =
        serde_json::from_str(&location.channels).map_err(ApiError::internal)?;
    if !location.active {
        return Err(ApiError::unprocessable(
            field,
            format!("location {} is not active", location.code),
        ));
    }
    if !channels.contains(&channel) {
        return Err(ApiError::unprocessable(
            field,
            format!(
                "location {} does not serve the {} channel",
                location.code,
                channel.as_str()
            ),
        ));
    }
    Ok(location)
}

fn new_row(
    org: &str,
    plan: &Plan,
    location: &LocationRow,
    segment: Option<Segment>,
    wave: Option<&str>,
    by: Option<&str>,
    now: NaiveDateTime,
) -> AssignmentRow {
    AssignmentRow {
        id: uuid::Uuid::now_v7().to_string(),
        organization_id: org.to_string(),
        location_id: location.id.clone(),
        checklist_version_id: plan.checklist_version_id.clone(),
        channel: plan.channel.as_str().to_string(),
        segment: segment.map_or_else(|| location.segment.clone(), |s| s.as_str().to_string()),
        scenario: plan.scenario.clone(),
        window_start: plan.window_start,
        window_end: plan.window_end,
        fee_cents: plan.fee_cents,
        currency: plan.currency.clone(),
        shopper_id: None,
        status: Status::Open.as_str().to_string(),
        wave_id: wave.map(str::to_string),
        version: 1,
        created_by: by.map(str::to_string),
        created_at: now,
        updated_at: now,
        submitted_at: None,
        check_in_at: None,
        check_in_latitude: None,
        check_in_longitude: None,
        check_in_accuracy_m: None,
        check_in_device_time: None,
        check_in_distance_m: None,
        reimbursement_cap_minor: plan.reimbursement_cap_minor,
        required_quiz_id: plan.required_quiz_id.clone(),
        partner_assignment_id: None,
    }
}

/// Makes `a` and `b` the two halves of a double shop.
fn pair(a: &mut AssignmentRow, b: &mut AssignmentRow) {
    a.partner_assignment_id = Some(b.id.clone());
    b.partner_assignment_id = Some(a.id.clone());
}

fn event(
    row: &AssignmentRow,
    action: &str,
    from: Option<Status>,
    to: Status,
    actor: Option<&str>,
    reason: Option<String>,
    now: NaiveDateTime,
) -> EventRow {
    EventRow {
        id: uuid::Uuid::now_v7().to_string(),
        assignment_id: row.id.clone(),
        organization_id: row.organization_id.clone(),
        action: action.to_string(),
        from_status: from.map(|s| s.as_str().to_string()),
        to_status: to.as_str().to_string(),
        actor_id: actor.map(str::to_string),
        shopper_id: row.shopper_id.clone(),
        reason,
        at: now,
    }
}

/// Records history entries (`entries[i]` is about `rows[i]`, as it is after the change) and
/// the events they cause, in the caller's transaction; `also` are events of the same change
/// written after them in the same statement (a submission's own event beside its assignment's).
fn record_changes(
    conn: &mut DbConn,
    rows: &[AssignmentRow],
    entries: &[EventRow],
    also: Vec<NewEvent>,
) -> ApiResult<()> {
    repo::insert_events(conn, entries)?;
    outbox::record_all(conn, &outbox_events(rows, entries, also)?)?;
    follow_reshops(conn, rows, entries)
}

/// The outbox events of history entries (`entries[i]` is about `rows[i]`), then `also`.
fn outbox_events(
    rows: &[AssignmentRow],
    entries: &[EventRow],
    also: Vec<NewEvent>,
) -> ApiResult<Vec<NewEvent>> {
    let uuid = |s: &str| s.parse::<uuid::Uuid>().map_err(ApiError::internal);
    let mut events = Vec::with_capacity(entries.len() + also.len());
    for (row, entry) in rows.iter().zip(entries) {
        let Some(event_type) = EventType::of_assignment_action(&entry.action) else {
            continue;
        };
        let status = |s: &str| s.parse::<Status>().map_err(ApiError::internal);
        let data = AssignmentEventData {
            assignment_id: uuid(&row.id)?,
            location_id: uuid(&row.location_id)?,
            checklist_version_id: uuid(&row.checklist_version_id)?,
            wave_id: row.wave_id.as_deref().map(uuid).transpose()?,
            status: status(&entry.to_status)?,
            previous_status: entry.from_status.as_deref().map(status).transpose()?,
            shopper_id: entry.shopper_id.as_deref().map(uuid).transpose()?,
            actor_id: entry.actor_id.as_deref().and_then(|a| a.parse().ok()),
            reason: entry.reason.clone(),
            window_start: row.window_start.and_utc(),
            window_end: row.window_end.and_utc(),
        };
        events.push(NewEvent::new(
            &row.organization_id,
            event_type,
            &data,
            entry.at,
        )?);
    }
    events.extend(also);
    Ok(events)
}

/// Verifying re-shops of corrective actions follow their assignment's outcome.
fn follow_reshops(
    conn: &mut DbConn,
    rows: &[AssignmentRow],
    entries: &[EventRow],
) -> ApiResult<()> {
    let outcomes: Vec<(String, ReshopOutcome)> = rows
        .iter()
        .zip(entries)
        .filter_map(|(row, entry)| {
            let outcome = match entry.action.as_str() {
                "approve" => ReshopOutcome::Approved,
                "reject" | "expire" | "cancel" => ReshopOutcome::Lost,
                _ => return None,
            };
            Some((row.id.clone(), outcome))
        })
        .collect();
    let now = entries.last().map(|e| e.at);
    match now {
        Some(now) => corrective_actions::after_assignment_changes(conn, &outcomes, now),
        None => Ok(()),
    }
}

/// One transition's writes besides the assignment itself: its history entry, its outbox events
/// and the shopper's reputation counts (if it moves them).
///
/// On PostgreSQL the three are one statement (`WithWrites`): two round trips fewer on every
/// step, a fifth of a submission's. They are independent rows of three tables, so running them
/// on one snapshot changes nothing.
fn write_step(
    conn: &mut DbConn,
    entry: &EventRow,
    events: &[NewEvent],
    counts: Option<&Counts>,
) -> ApiResult<()> {
    use crate::db::reuse::Reuse;
    use crate::db::schema::{assignment_events, events as outbox_table};
    use crate::db::with_writes::WithWrites;
    use diesel::RunQueryDsl;
    match conn {
        // Batches of up to four events keep a handful of prepared shapes, as `outbox` does.
        DbConn::Postgres(c) if (1..=4).contains(&events.len()) => {
            let history = diesel::insert_into(assignment_events::table).values(entry);
            let outbox = diesel::insert_into(outbox_table::table).values(events);
            match counts.map(reputation::add_counts) {
                Some(upsert) => Reuse::new(&WithWrites {
                    first: vec![&history, &outbox],
                    last: &upsert,
                })
                .execute(c)?,
                None => Reuse::new(&WithWrites {
                    first: vec![&history],
                    last: &outbox,
                })
                .execute(c)?,
            };
            Ok(())
        }
        conn => {
            repo::insert_events(conn, std::slice::from_ref(entry))?;
            outbox::record_all(conn, events)?;
            if let Some(counts) = counts {
                let upsert = reputation::add_counts(counts);
                crate::per_backend!(conn, |c| Reuse::new(&upsert).execute(c))?;
            }
            Ok(())
        }
    }
}

pub fn create(
    conn: &mut DbConn,
    actor: Actor,
    input: CreateAssignment,
    now: NaiveDateTime,
) -> ApiResult<AssignmentRow> {
    let org = actor.organization_id;
    let plan = plan(
        conn,
        org,
        &input.checklist_version_id,
        input.scenario,
        input.window_start.naive_utc(),
        input.window_end.naive_utc(),
        input.fee_cents,
        input.currency,
        (input.reimbursement_cap_minor, input.required_quiz_id),
        now,
    )?;
    let location = plannable_location(conn, org, &input.location_id, plan.channel, "location_id")?;
    let mut row = new_row(
        org,
        &plan,
        &location,
        input.segment,
        None,
        actor.user_id,
        now,
    );
    if let Some(partner) = input.pair_with {
        let mut partner = pairable(conn, org, &partner.to_string(), &row)?;
        pair(&mut row, &mut partner);
        repo::set_partner(conn, &partner.id, &row.id, now)?;
    }
    repo::insert_many(conn, std::slice::from_ref(&row))?;
    record_changes(
        conn,
        std::slice::from_ref(&row),
        &[event(
            &row,
            "create",
            None,
            Status::Open,
            actor.user_id,
            None,
            now,
        )],
        Vec::new(),
    )?;
    match input.shopper_id {
        Some(shopper) => offer(conn, actor, &row.id, &shopper.to_string(), now),
        None => Ok(row),
    }
}

/// The assignment a new one is planned as the other half of (`pair_with`): of this
/// organization, on the same location and checklist version, with an overlapping window, not
/// finished and not paired yet. Anything else is 422 on `pair_with`.
fn pairable(
    conn: &mut DbConn,
    org: &str,
    partner_id: &str,
    new: &AssignmentRow,
) -> ApiResult<AssignmentRow> {
    let invalid = |why: &str| ApiError::unprocessable("pair_with", why.to_string());
    let partner = repo::find(conn, org, partner_id)
        .map_err(|_| invalid("no such assignment in this organization"))?;
    let status: Status = partner.status.parse().map_err(ApiError::internal)?;
    if partner.partner_assignment_id.is_some() {
        return Err(invalid("that assignment is already half of a double shop"));
    }
    if !matches!(status, Status::Open | Status::Assigned | Status::Accepted) {
        return Err(invalid("that assignment is no longer open for work"));
    }
    if partner.location_id != new.location_id
        || partner.checklist_version_id != new.checklist_version_id
    {
        return Err(invalid(
            "a double shop is two shops of the same location and checklist version",
        ));
    }
    if partner.window_end <= new.window_start || new.window_end <= partner.window_start {
        return Err(invalid("the two halves' windows must overlap"));
    }
    Ok(partner)
}

pub const MAX_WAVE: usize = 10_000;

pub fn create_wave(
    conn: &mut DbConn,
    actor: Actor,
    input: CreateWave,
    now: NaiveDateTime,
) -> ApiResult<(String, usize)> {
    let org = actor.organization_id;
    let plan = plan(
        conn,
        org,
        &input.checklist_version_id,
        input.scenario,
        input.window_start.naive_utc(),
        input.window_end.naive_utc(),
        input.fee_cents,
        input.currency,
        (input.reimbursement_cap_minor, input.required_quiz_id),
        now,
    )?;
    let mut errors = Vec::new();
    let per_shop = if input.double_shops { 2 } else { 1 };
    if input.location_ids.len() * input.shops_per_location as usize * per_shop > MAX_WAVE {
        errors.push(FieldError::new(
            "location_ids",
            format!("a wave creates at most {MAX_WAVE} assignments"),
        ));
    }
    let mut places = Vec::new();
    for (i, id) in input.location_ids.iter().enumerate() {
        match plannable_location(conn, org, id, plan.channel, &format!("location_ids[{i}]")) {
            Ok(l) => places.push(l),
            Err(ApiError::Unprocessable(e)) => errors.extend(e),
            Err(other) => return Err(other),
        }
    }
    reject_if_any(errors)?;
    let wave = uuid::Uuid::now_v7().to_string();
    let mut rows = Vec::new();
    for location in &places {
        for _ in 0..input.shops_per_location {
            let mut row = new_row(org, &plan, location, None, Some(&wave), actor.user_id, now);
            if input.double_shops {
                let mut other =
                    new_row(org, &plan, location, None, Some(&wave), actor.user_id, now);
                pair(&mut row, &mut other);
                rows.push(row);
                rows.push(other);
            } else {
                rows.push(row);
            }
        }
    }
    repo::insert_many(conn, &rows)?;
    let events: Vec<EventRow> = rows
        .iter()
        .map(|r| event(r, "create", None, Status::Open, actor.user_id, None, now))
        .collect();
    record_changes(conn, &rows, &events, Vec::new())?;
    Ok((wave, rows.len()))
}

/// The fair-play check for giving `row` to `shopper_id`.
fn ensure_eligible(
    conn: &mut DbConn,
    row: &AssignmentRow,
    shopper_id: &str,
    now: NaiveDateTime,
) -> ApiResult<()> {
    lock_for_transaction(conn, shopper_id)?;
    let org = organizations::find(conn, &row.organization_id)?;
    let shopper = find_shopper(conn, &row.organization_id, shopper_id).map_err(|_| {
        ApiError::unprocessable("shopper_id", "no such shopper in this organization")
    })?;
    let facts = eligibility_facts(conn, &org, row, &shopper, now)?;
    check_eligibility(&facts).map_err(|why| {
        ApiError::Unprocessable(vec![FieldError::new(
            format!("eligibility.{}", why.rule()),
            why.to_string(),
        )])
    })
}

/// What the fair-play rules look at for giving `row` to `shopper`.
fn eligibility_facts(
    conn: &mut DbConn,
    org: &crate::organizations::model::OrganizationRow,
    row: &AssignmentRow,
    shopper: &crate::users::model::UserRow,
    now: NaiveDateTime,
) -> ApiResult<EligibilityFacts> {
    let shopper_id = shopper.id.as_str();
    Ok(EligibilityFacts {
        shopper_active: shopper.active,
        excluded_at_location: repo::is_excluded(conn, shopper_id, &row.location_id)?,
        missing_certifications: crate::certification::service::missing_for(conn, row, shopper_id)?,
        last_submission_at_location: repo::last_submission(conn, shopper_id, &row.location_id)?,
        cooldown_days: org.cooldown_days,
        active_assignments: repo::count_active(conn, shopper_id, Some(&row.id))?,
        holds_other_half: match &row.partner_assignment_id {
            Some(partner) => {
                repo::find(conn, &row.organization_id, partner)?
                    .shopper_id
                    .as_deref()
                    == Some(shopper_id)
            }
            None => false,
        },
        max_active_assignments: org.max_active_assignments,
        now,
    })
}

/// The most candidates one answer lists.
pub const MAX_CANDIDATES: usize = 100;

/// Shoppers the fair-play rules allow for an open (or offered) assignment, best first by
/// `sort`, each with their reputation: whom to offer it to.
pub fn candidates(
    conn: &mut DbConn,
    org_id: &str,
    id: &str,
    sort: super::dto::CandidateSort,
    limit: usize,
    now: NaiveDateTime,
) -> ApiResult<Vec<super::dto::Candidate>> {
    use crate::shoppers::reputation::{self, Reputation};
    let row = repo::find(conn, org_id, id)?;
    let org = organizations::find(conn, org_id)?;
    let shoppers = crate::users::repo::active_shoppers(conn, org_id)?;
    let ids: Vec<String> = shoppers.iter().map(|s| s.id.clone()).collect();
    let counts = reputation::counts_of(conn, org_id, &ids)?;
    let mut ranked: Vec<(Reputation, crate::users::model::UserRow)> = shoppers
        .into_iter()
        .map(|s| {
            let c = counts
                .iter()
                .find(|c| c.shopper_id == s.id)
                .cloned()
                .unwrap_or_default();
            let id = s.id.parse().map_err(ApiError::internal)?;
            Ok((reputation::reputation(id, &c), s))
        })
        .collect::<ApiResult<_>>()?;
    let key = |r: &Reputation| -> Option<f64> {
        match sort {
            super::dto::CandidateSort::Score => r.score,
            super::dto::CandidateSort::OnTimeRate => r.on_time_rate,
            super::dto::CandidateSort::MeanGrade => r.mean_grade,
            super::dto::CandidateSort::ShopsDone => Some(r.shops_done as f64),
        }
    };
    // Best first; shoppers with nothing to rank by last, then by name.
    ranked.sort_by(|(a, sa), (b, sb)| {
        match (key(a), key(b)) {
            (Some(x), Some(y)) => y.total_cmp(&x),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        }
        .then_with(|| sa.display_name.cmp(&sb.display_name))
    });
    let mut out = Vec::new();
    for (reputation, shopper) in ranked {
        if out.len() >= limit {
            break;
        }
        if row.shopper_id.as_deref() == Some(shopper.id.as_str()) {
            continue;
        }
        let facts = eligibility_facts(conn, &org, &row, &shopper, now)?;
        if check_eligibility(&facts).is_ok() {
            out.push(super::dto::Candidate {
                shopper_id: reputation.shopper_id,
                display_name: shopper.display_name,
                reputation,
            });
        }
    }
    Ok(out)
}

/// Applies `action` to `row` (with `next` describing any other change), recording it. A state
/// that does not allow the action, or a concurrent change, is 409 with the current state.
fn apply(
    conn: &mut DbConn,
    row: &AssignmentRow,
    action: Action,
    actor: Option<&str>,
    reason: Option<String>,
    now: NaiveDateTime,
    change: impl FnOnce(&mut AssignmentRow),
) -> ApiResult<AssignmentRow> {
    apply_with(conn, row, action, actor, reason, now, change, Vec::new())
}

/// [`apply`], writing the events `also` with the assignment's own, in one statement.
#[allow(clippy::too_many_arguments)]
fn apply_with(
    conn: &mut DbConn,
    row: &AssignmentRow,
    action: Action,
    actor: Option<&str>,
    reason: Option<String>,
    now: NaiveDateTime,
    change: impl FnOnce(&mut AssignmentRow),
    also: Vec<NewEvent>,
) -> ApiResult<AssignmentRow> {
    let from: Status = row.status.parse().map_err(ApiError::internal)?;
    let to = transition(from, action).map_err(|e| ApiError::Conflict {
        detail: e.to_string(),
        current_state: Some(from.as_str().to_string()),
    })?;
    let mut next = row.clone();
    next.status = to.as_str().to_string();
    next.updated_at = now;
    change(&mut next);
    next.version = row.version + 1;
    // As stored: PostgreSQL keeps microseconds, so the row returned equals a later read.
    for t in [
        &mut next.updated_at,
        &mut next.window_start,
        &mut next.window_end,
    ]
    .into_iter()
    .chain(next.submitted_at.as_mut())
    .chain(next.check_in_at.as_mut())
    .chain(next.check_in_device_time.as_mut())
    {
        *t = t.trunc_subsecs(6);
    }
    if !repo::save_transition(conn, row, &next)? {
        let current = repo::find(conn, &row.organization_id, &row.id)?;
        return Err(ApiError::Conflict {
            detail: format!(
                "the assignment changed at the same moment; it is now {}",
                current.status
            ),
            current_state: Some(current.status),
        });
    }
    let entries = [event(
        &next,
        action.name(),
        Some(from),
        to,
        actor,
        reason,
        now,
    )];
    let rows = std::slice::from_ref(&next);
    let events = outbox_events(rows, &entries, also)?;
    let counts = reputation::step_counts(row, action, now)?;
    write_step(conn, &entries[0], &events, counts.as_ref())?;
    follow_reshops(conn, rows, &entries)?;
    // `next` is what `save_transition` stored (every field it writes, the version moved by one):
    // no need to read it back.
    Ok(next)
}

/// Refuses work on an assignment whose window has ended (it is expired, whether or not the
/// sweeper has written that yet).
fn ensure_window_open(row: &AssignmentRow, now: NaiveDateTime) -> ApiResult<()> {
    let status: Status = row.status.parse().map_err(ApiError::internal)?;
    if status.expires_unsubmitted() && row.window_end <= now {
        return Err(ApiError::Conflict {
            detail: "the assignment's window has ended".into(),
            current_state: Some(Status::Expired.as_str().into()),
        });
    }
    Ok(())
}

pub fn offer(
    conn: &mut DbConn,
    actor: Actor,
    id: &str,
    shopper_id: &str,
    now: NaiveDateTime,
) -> ApiResult<AssignmentRow> {
    let row = repo::find(conn, actor.organization_id, id)?;
    ensure_window_open(&row, now)?;
    transition(
        row.status.parse().map_err(ApiError::internal)?,
        Action::Offer,
    )
    .map_err(|e| ApiError::Conflict {
        detail: e.to_string(),
        current_state: Some(row.status.clone()),
    })?;
    ensure_eligible(conn, &row, shopper_id, now)?;
    apply(conn, &row, Action::Offer, actor.user_id, None, now, |n| {
        n.shopper_id = Some(shopper_id.to_string())
    })
}

pub fn reassign(
    conn: &mut DbConn,
    actor: Actor,
    id: &str,
    shopper_id: &str,
    reason: Option<String>,
    now: NaiveDateTime,
) -> ApiResult<AssignmentRow> {
    let row = repo::find(conn, actor.organization_id, id)?;
    ensure_window_open(&row, now)?;
    transition(
        row.status.parse().map_err(ApiError::internal)?,
        Action::Reassign,
    )
    .map_err(|e| ApiError::Conflict {
        detail: e.to_string(),
        current_state: Some(row.status.clone()),
    })?;
    if row.shopper_id.as_deref() == Some(shopper_id) {
        return Err(ApiError::unprocessable(
            "shopper_id",
            "the assignment is already this shopper's",
        ));
    }
    ensure_eligible(conn, &row, shopper_id, now)?;
    apply(
        conn,
        &row,
        Action::Reassign,
        actor.user_id,
        reason,
        now,
        |n| {
            n.shopper_id = Some(shopper_id.to_string());
            clear_check_in(n);
        },
    )
}

fn clear_check_in(n: &mut AssignmentRow) {
    n.check_in_at = None;
    n.check_in_latitude = None;
    n.check_in_longitude = None;
    n.check_in_accuracy_m = None;
    n.check_in_device_time = None;
    n.check_in_distance_m = None;
}

/// A shopper takes an offer made to them, or an open job from the board. Of two shoppers taking
/// the same open job at once, exactly one wins; the other gets 409.
pub fn accept(
    conn: &mut DbConn,
    org: &str,
    shopper_id: &str,
    id: &str,
    now: NaiveDateTime,
) -> ApiResult<AssignmentRow> {
    let row = repo::find(conn, org, id)?;
    let own = row.shopper_id.as_deref() == Some(shopper_id);
    if !own && row.status != Status::Open.as_str() {
        // Taken by someone else (or no longer on the board): the loser of a race learns that
        // it is gone, not who has it.
        return Err(ApiError::Conflict {
            detail: "this job is no longer available".into(),
            current_state: Some(effective_status(&row, now)?.as_str().to_string()),
        });
    }
    ensure_window_open(&row, now)?;
    let status: Status = row.status.parse().map_err(ApiError::internal)?;
    transition(status, Action::Accept).map_err(|e| ApiError::Conflict {
        detail: e.to_string(),
        current_state: Some(row.status.clone()),
    })?;
    ensure_eligible(conn, &row, shopper_id, now)?;
    apply(
        conn,
        &row,
        Action::Accept,
        Some(shopper_id),
        None,
        now,
        |n| n.shopper_id = Some(shopper_id.to_string()),
    )
}

pub fn decline(
    conn: &mut DbConn,
    org: &str,
    shopper_id: &str,
    id: &str,
    reason: Option<String>,
    now: NaiveDateTime,
) -> ApiResult<AssignmentRow> {
    let row = visible_to_shopper(conn, org, shopper_id, id)?;
    apply(
        conn,
        &row,
        Action::Decline,
        Some(shopper_id),
        reason,
        now,
        |n| {
            n.shopper_id = None;
            clear_check_in(n);
        },
    )
}

pub fn check_in(
    conn: &mut DbConn,
    org: &str,
    shopper_id: &str,
    id: &str,
    input: CheckInRequest,
    now: NaiveDateTime,
) -> ApiResult<AssignmentRow> {
    let row = visible_to_shopper(conn, org, shopper_id, id)?;
    if row.status != Status::Accepted.as_str() {
        return Err(ApiError::Conflict {
            detail: format!(
                "check in on an accepted assignment; this one is {}",
                row.status
            ),
            current_state: Some(row.status.clone()),
        });
    }
    ensure_window_open(&row, now)?;
    let location = locations::find(conn, org, &row.location_id)?;
    let distance = distance_m(
        location.latitude,
        location.longitude,
        input.latitude,
        input.longitude,
    );
    let mut next = row.clone();
    next.updated_at = now;
    next.check_in_at = Some(now);
    next.check_in_latitude = Some(input.latitude);
    next.check_in_longitude = Some(input.longitude);
    next.check_in_accuracy_m = input.accuracy_m;
    next.check_in_device_time = input.device_time.map(|t| t.naive_utc());
    next.check_in_distance_m = Some(distance);
    if !repo::save_transition(conn, &row, &next)? {
        return Err(ApiError::conflict(
            "the assignment changed at the same moment; retry",
        ));
    }
    repo::find(conn, org, id)
}

pub fn cancel(
    conn: &mut DbConn,
    actor: Actor,
    id: &str,
    reason: Option<String>,
    now: NaiveDateTime,
) -> ApiResult<AssignmentRow> {
    let row = repo::find(conn, actor.organization_id, id)?;
    apply(
        conn,
        &row,
        Action::Cancel,
        actor.user_id,
        reason,
        now,
        |_| {},
    )
}

pub fn reopen(
    conn: &mut DbConn,
    actor: Actor,
    id: &str,
    start: NaiveDateTime,
    end: NaiveDateTime,
    now: NaiveDateTime,
) -> ApiResult<AssignmentRow> {
    if end <= start {
        return Err(ApiError::unprocessable(
            "window_end",
            "must be after window_start",
        ));
    }
    if end <= now {
        return Err(ApiError::unprocessable(
            "window_end",
            "must be in the future",
        ));
    }
    let mut row = repo::find(conn, actor.organization_id, id)?;
    // An assignment past its window is expired even if the sweeper has not written it yet.
    if row
        .status
        .parse::<Status>()
        .map_err(ApiError::internal)?
        .expires_unsubmitted()
        && row.window_end <= now
    {
        row = apply(conn, &row, Action::Expire, None, None, now, |_| {})?;
    }
    apply(conn, &row, Action::Reopen, actor.user_id, None, now, |n| {
        n.window_start = start;
        n.window_end = end;
        n.shopper_id = None;
        clear_check_in(n);
    })
}

/// Marks every assignment whose window ended with nothing submitted as expired; returns how many.
pub fn expire_due(conn: &mut DbConn, now: NaiveDateTime) -> ApiResult<usize> {
    let due = repo::due_for_expiry(conn, now, 1000)?;
    let mut expired = 0;
    for row in due {
        match apply(
            conn,
            &row,
            Action::Expire,
            None,
            Some("the window ended".into()),
            now,
            |_| {},
        ) {
            Ok(_) => expired += 1,
            Err(ApiError::Conflict { .. }) => {}
            Err(other) => return Err(other),
        }
    }
    Ok(expired)
}

/// A shopper sees their own assignments; anything else is 404, like a missing one.
pub fn visible_to_shopper(
    conn: &mut DbConn,
    org: &str,
    shopper_id: &str,
    id: &str,
) -> ApiResult<AssignmentRow> {
    let row = repo::find(conn, org, id)?;
    if row.shopper_id.as_deref() == Some(shopper_id) {
        Ok(row)
    } else {
        Err(ApiError::NotFound("no such assignment".into()))
    }
}

/// [`visible_to_shopper`] with the assignment's location, read in the same statement.
pub fn visible_to_shopper_with_location(
    conn: &mut DbConn,
    org: &str,
    shopper_id: &str,
    id: &str,
) -> ApiResult<(AssignmentRow, crate::locations::model::LocationRow)> {
    let (row, location) = repo::find_with_location(conn, org, id)?;
    if row.shopper_id.as_deref() == Some(shopper_id) {
        Ok((row, location))
    } else {
        Err(ApiError::NotFound("no such assignment".into()))
    }
}

/// The status a reader should see: past its window an unsubmitted assignment is expired, even
/// before the sweeper writes it.
pub fn effective_status(row: &AssignmentRow, now: NaiveDateTime) -> ApiResult<Status> {
    let status: Status = row.status.parse().map_err(ApiError::internal)?;
    Ok(if status.expires_unsubmitted() && row.window_end <= now {
        Status::Expired
    } else {
        status
    })
}

pub fn to_dto(
    view: AssignmentView,
    geofence_radius_m: Option<i32>,
    now: NaiveDateTime,
) -> ApiResult<Assignment> {
    let (row, code, name) = view;
    let status = effective_status(&row, now)?;
    let check_in = match (
        row.check_in_at,
        row.check_in_latitude,
        row.check_in_longitude,
        row.check_in_distance_m,
    ) {
        (Some(at), Some(latitude), Some(longitude), Some(distance_m)) => Some(CheckIn {
            at: at.and_utc(),
            latitude,
            longitude,
            accuracy_m: row.check_in_accuracy_m,
            device_time: row.check_in_device_time.map(|t| t.and_utc()),
            distance_m,
            outside_geofence: geofence_radius_m.is_some_and(|r| distance_m > f64::from(r)),
        }),
        _ => None,
    };
    Ok(Assignment {
        id: row.id.parse().map_err(ApiError::internal)?,
        location_id: row.location_id.parse().map_err(ApiError::internal)?,
        location_code: code,
        location_name: name,
        checklist_version_id: row
            .checklist_version_id
            .parse()
            .map_err(ApiError::internal)?,
        channel: Channel::parse(&row.channel)
            .ok_or_else(|| ApiError::internal("unknown channel"))?,
        segment: Segment::parse(&row.segment)
            .ok_or_else(|| ApiError::internal("unknown segment"))?,
        scenario: row.scenario,
        window_start: row.window_start.and_utc(),
        window_end: row.window_end.and_utc(),
        fee_cents: row.fee_cents,
        currency: row.currency,
        reimbursement_cap_minor: row.reimbursement_cap_minor,
        required_quiz_id: row.required_quiz_id.and_then(|q| q.parse().ok()),
        partner_assignment_id: row.partner_assignment_id.and_then(|p| p.parse().ok()),
        shopper_id: row.shopper_id.and_then(|s| s.parse().ok()),
        status,
        wave_id: row.wave_id.and_then(|s| s.parse().ok()),
        version: row.version,
        check_in,
        created_at: row.created_at.and_utc(),
        updated_at: row.updated_at.and_utc(),
    })
}

/// One assignment as the API shows it (with the geofence verdict of its check-in).
pub fn load_dto(
    conn: &mut DbConn,
    org: &str,
    id: &str,
    now: NaiveDateTime,
) -> ApiResult<Assignment> {
    let view = repo::view(conn, org, id)?;
    let radius = locations::find(conn, org, &view.0.location_id)?.geofence_radius_m;
    to_dto(view, Some(radius), now)
}

pub fn history(conn: &mut DbConn, org: &str, id: &str) -> ApiResult<Vec<HistoryEntry>> {
    repo::find(conn, org, id)?;
    repo::events_of(conn, id)?
        .into_iter()
        .map(|e| {
            Ok(HistoryEntry {
                action: e.action,
                from_status: e
                    .from_status
                    .map(|s| s.parse())
                    .transpose()
                    .map_err(ApiError::internal)?,
                to_status: e.to_status.parse().map_err(ApiError::internal)?,
                actor_id: e.actor_id.and_then(|s| s.parse().ok()),
                shopper_id: e.shopper_id.and_then(|s| s.parse().ok()),
                reason: e.reason,
                at: e.at.and_utc(),
            })
        })
        .collect()
}

/// Open jobs the shopper is eligible for: nearest first when a position is given, otherwise the
/// soonest-ending first. Empty when the shopper holds as many assignments as allowed.
///
/// `identity`: the shopper's own session, confirmed moments ago (`auth::identities`). It holds
/// the organization's rules and that the account is an active shopper's, kept exactly as the
/// identity itself is (forgotten by every write that changes them), so neither is read again:
/// two of a board's statements, each a round trip on PostgreSQL.
pub fn job_board(
    conn: &mut DbConn,
    org_id: &str,
    shopper_id: &str,
    identity: Option<&Identity>,
    position: Option<(f64, f64)>,
    limit: usize,
    now: NaiveDateTime,
) -> ApiResult<Vec<Job>> {
    let own = identity.filter(|i| {
        i.user.id.to_string() == shopper_id
            && i.organization.id == org_id
            && i.user.active
            && i.user.role == crate::auth::rules::Role::Shopper
    });
    let org = match own {
        Some(identity) => identity.organization.clone(),
        None => {
            let org = organizations::find(conn, org_id)?;
            if !find_shopper(conn, org_id, shopper_id)?.active {
                return Ok(Vec::new());
            }
            org
        }
    };
    let cooldown_start = now - TimeDelta::days(i64::from(org.cooldown_days));
    let facts = repo::board_facts(conn, org_id, shopper_id, cooldown_start, position.is_some())?;
    if facts.active >= i64::from(org.max_active_assignments) {
        return Ok(Vec::new());
    }
    let mut uncertified = crate::certification::service::hidden_jobs(
        conn,
        &facts.published_quizzes,
        &facts.passed_quizzes,
    )?;
    uncertified.partner_halves = facts.partner_halves;
    let skip = facts.skip;
    let page = limit as i64;
    let mut jobs: Vec<(Option<f64>, repo::JobRow)> = match position {
        // Nearest first: rank the locations with open jobs (the roll-up's one row each) by
        // distance, then read jobs at the nearest ones, a few locations a query, until the page
        // is full. Each query reads O(page) rows however many jobs are open (`board_batch`).
        Some((lat, lon)) => {
            let mut places: Vec<(f64, repo::Place)> = facts
                .places
                .into_iter()
                .filter(|p| skip.binary_search(&p.id).is_err())
                .map(|p| (distance_m(lat, lon, p.latitude, p.longitude), p))
                .collect();
            places.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.id.cmp(&b.1.id)));
            let mut jobs = Vec::new();
            let mut rest = places.as_slice();
            while (jobs.len() as i64) < page && !rest.is_empty() {
                let needed = page - jobs.len() as i64;
                let counts: Vec<i64> = rest.iter().map(|p| p.1.open_jobs).collect();
                let (batch, later) = rest.split_at(super::rules::board_batch(&counts, needed));
                rest = later;
                let ids: Vec<String> = batch.iter().map(|p| p.1.id.clone()).collect();
                // One location: its soonest-ending jobs up to the page. Several: all of theirs
                // (the counts bound them; `needed` more in case jobs opened since they were
                // read), then nearest first.
                let fetch = match batch {
                    [_] => needed,
                    _ => batch.iter().map(|p| p.1.open_jobs).sum::<i64>() + needed,
                };
                let rows = repo::open_jobs_at(conn, org_id, &ids, &uncertified, now, fetch)?;
                let mut found: Vec<(Option<f64>, repo::JobRow)> = rows
                    .into_iter()
                    .filter_map(|row| {
                        let (distance, place) = batch.iter().find(|p| p.1.id == row.location_id)?;
                        Some((Some(*distance), place.job(row)))
                    })
                    .collect();
                found.sort_by(|a, b| a.0.unwrap_or(0.0).total_cmp(&b.0.unwrap_or(0.0)));
                found.truncate(needed as usize);
                jobs.extend(found);
            }
            jobs
        }
        None => repo::open_jobs_anywhere(conn, org_id, &skip, &uncertified, now, page)?
            .into_iter()
            .map(|job| (None, job))
            .collect(),
    };
    // Stable: jobs at the same distance keep their soonest-ending-first order.
    jobs.sort_by(|a, b| a.0.unwrap_or(0.0).total_cmp(&b.0.unwrap_or(0.0)));
    jobs.truncate(limit);
    jobs.into_iter()
        .map(
            |(distance_m, (row, code, name, region, address, latitude, longitude))| {
                Ok(Job {
                    assignment: to_dto((row, code, name), None, now)?,
                    region,
                    address,
                    latitude,
                    longitude,
                    distance_m,
                })
            },
        )
        .collect()
}

/// How far back a sync cursor reaches behind the server's clock: a transaction that commits a
/// little after a sync read, with an earlier timestamp, is still caught by the next sync.
pub const SYNC_OVERLAP: TimeDelta = TimeDelta::seconds(10);
pub const SYNC_PAGE: i64 = 500;

pub fn parse_sync_cursor(raw: &str) -> ApiResult<NaiveDateTime> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(raw)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(&s).ok())
        .map(|t| t.naive_utc())
        .ok_or_else(|| {
            ApiError::InvalidInput(vec![FieldError::new("since", "not a cursor from this API")])
        })
}

fn sync_cursor(t: NaiveDateTime) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(
        t.and_utc()
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
    )
}

pub fn sync(
    conn: &mut DbConn,
    org: &str,
    shopper_id: &str,
    since: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> ApiResult<super::dto::Sync> {
    let changed = repo::changed_for_shopper(conn, shopper_id, since, SYNC_PAGE + 1)?;
    let more = changed.len() as i64 > SYNC_PAGE;
    let changed: Vec<AssignmentView> = changed.into_iter().take(SYNC_PAGE as usize).collect();
    let newest = changed.last().map(|v| v.0.updated_at);
    // Next time: after the last change sent when a page was cut short; otherwise from a little
    // before now, so changes committed late with earlier timestamps are caught (and a few
    // recent ones repeated, which the app applies idempotently).
    let cursor_at = match newest {
        Some(newest) if more => newest,
        _ => now - SYNC_OVERLAP,
    };
    let mut version_ids: Vec<String> = changed
        .iter()
        .map(|v| v.0.checklist_version_id.clone())
        .collect();
    version_ids.sort();
    version_ids.dedup();
    let mut checklist_versions = Vec::new();
    for id in version_ids {
        if let Some(row) = checklists::find_version_by_id(conn, org, &id)? {
            checklist_versions.push(crate::checklists::service::to_dto(conn, row)?);
        }
    }
    let mut assignments = Vec::new();
    for view in changed {
        let radius = locations::find(conn, org, &view.0.location_id)?.geofence_radius_m;
        assignments.push(to_dto(view, Some(radius), now)?);
    }
    Ok(super::dto::Sync {
        assignments,
        held_assignment_ids: repo::held_ids(conn, shopper_id)?
            .into_iter()
            .filter_map(|id| id.parse().ok())
            .collect(),
        checklist_versions,
        cursor: sync_cursor(cursor_at),
        more,
        server_time: now.and_utc(),
    })
}

/// The assignment side of a submission: `submit` (the shop counts for the cooldown from now),
/// or a reviewer's `approve`, `return` or `reject`. `submission_events` (the submission's own
/// events of the same step) are written after the assignment's, in the same statement.
pub fn record_submission_step(
    conn: &mut DbConn,
    row: &AssignmentRow,
    action: Action,
    actor: Option<&str>,
    reason: Option<String>,
    submission_events: Vec<NewEvent>,
    now: NaiveDateTime,
) -> ApiResult<AssignmentRow> {
    let submitted = |next: &mut AssignmentRow| {
        if action == Action::Submit {
            next.submitted_at = Some(now);
        }
    };
    apply_with(
        conn,
        row,
        action,
        actor,
        reason,
        now,
        submitted,
        submission_events,
    )
}

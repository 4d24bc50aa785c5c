//! Saving, submitting and reviewing submissions. Every write holds a lock on the submission id
//! for its transaction, so the same submission sent several times at once is handled one at a
//! time: the first stores it, the others find it and answer the same.

use super::rules::{ExpenseWithoutReceipt, ExpensesOverCap};
use crate::payments::rules as pay_rules;
use crate::payments::service as payments;
use crate::shoppers::reputation;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, LazyLock, Mutex};

use chrono::{NaiveDateTime, SubsecRound, TimeDelta};

use super::dto::{
    Edit, EditInput, Review, ReviewInput, Submission, SubmissionContent, SubmissionStatus,
};
use super::model::{EditRow, SubmissionRow};
use super::repo;
use super::rules::{
    check_visit, flags, to_scoring, validate_answers, AnswerInput, Flag, FlagFacts,
};
use crate::assignments::model::AssignmentRow;
use crate::assignments::repo as assignments;
use crate::assignments::rules::{Action, Status};
use crate::assignments::service as assignment_flow;
use crate::auth::tokens::sha256_hex;
use crate::checklists::dto::ChecklistContent;
use crate::checklists::repo as checklists;
use crate::checklists::service as checklist_service;
use crate::config::Config;
use crate::db::{lock_for_transaction, DbConn};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::events::dto::{EventType, SubmissionEventData};
use crate::events::outbox::{self, NewEvent};
use crate::locations::repo as locations;
use crate::locations::rules::distance_m;
use crate::organizations::repo as organizations;
use crate::reports::{alerts, rollups};
use crate::scoring::rules::{score_visit, VisitScore};
use crate::standards::dto::BookContent;
use crate::standards::repo as books;
use crate::standards::service as book_service;
use crate::validation::reject_if_any;

/// The content as stored, and its digest (what tells a replay from a change): serialized once.
struct Stored {
    text: String,
    hash: String,
}

/// What the shopper sent, with its stored form. Made by the handler before its transaction, so
/// that on SQLite the single writer thread does not spend its time serializing and hashing (3 %
/// of that thread's time on ingest, perf).
pub struct Sent {
    content: SubmissionContent,
    stored: Stored,
}

impl Sent {
    pub fn new(content: SubmissionContent) -> ApiResult<Sent> {
        let text = serde_json::to_string(&content).map_err(ApiError::internal)?;
        let stored = Stored {
            hash: sha256_hex(&text),
            text,
        };
        Ok(Sent { content, stored })
    }
}

fn status_of(row: &SubmissionRow) -> ApiResult<SubmissionStatus> {
    SubmissionStatus::parse(&row.status)
        .ok_or_else(|| ApiError::internal("unknown submission status"))
}

/// What a write finds: the submission as it stands (if any) and the shopper's assignment.
struct Context {
    existing: Option<SubmissionRow>,
    assignment: AssignmentRow,
    /// The assignment's location (its geofence for the flags), read with it.
    location: crate::locations::model::LocationRow,
    /// For a final submission, the shopper's previous shop on the same checklist version.
    previous: Option<SubmissionRow>,
}

/// Common checks of every shopper write. `Ok(Err(row))` replays a final submission sent again
/// with the same content.
fn prepare(
    conn: &mut DbConn,
    org: &str,
    shopper: &str,
    id: &str,
    content: &SubmissionContent,
    hash: &str,
    with_previous: bool,
) -> ApiResult<Result<Context, SubmissionRow>> {
    lock_for_transaction(conn, id)?;
    let assignment_id = content.assignment_id.to_string();
    // Both reads first (they change nothing), then the checks in their order: what the
    // submission is decides before whether the assignment is the shopper's.
    let visible =
        assignment_flow::visible_to_shopper_with_location(conn, org, shopper, &assignment_id);
    let previous_of = match &visible {
        Ok((assignment, _)) if with_previous => {
            Some((shopper, assignment.checklist_version_id.as_str()))
        }
        _ => None,
    };
    let found = repo::find_for_write(conn, id, &assignment_id, previous_of)?;
    let existing = found.mine;
    if let Some(row) = &existing {
        if row.organization_id != org || row.shopper_id != shopper {
            return Err(ApiError::NotFound("no such submission".into()));
        }
        if row.assignment_id != content.assignment_id.to_string() {
            return Err(ApiError::conflict(
                "this submission belongs to another assignment",
            ));
        }
        if !status_of(row)?.editable() {
            return if row.content_hash == hash {
                Ok(Err(row.clone()))
            } else {
                Err(ApiError::Conflict {
                    detail: "this submission was already submitted with different content".into(),
                    current_state: Some(row.status.clone()),
                })
            };
        }
    }
    let (assignment, location) = visible
        .map_err(|_| ApiError::unprocessable("assignment_id", "not an assignment of yours"))?;
    if found.on_assignment.is_some() {
        return Err(ApiError::conflict(
            "the assignment already has another submission",
        ));
    }
    let status: Status = assignment.status.parse().map_err(ApiError::internal)?;
    if !matches!(status, Status::Accepted | Status::Returned) {
        return Err(ApiError::Conflict {
            detail: format!(
                "submissions are made on accepted (or returned) assignments; this one is {status}"
            ),
            current_state: Some(status.as_str().into()),
        });
    }
    Ok(Ok(Context {
        existing,
        assignment,
        location,
        previous: found.previous,
    }))
}

fn base_row(
    id: &str,
    org: &str,
    shopper: &str,
    content: &SubmissionContent,
    stored: Stored,
    existing: &Option<SubmissionRow>,
    now: NaiveDateTime,
) -> SubmissionRow {
    SubmissionRow {
        id: id.to_string(),
        organization_id: org.to_string(),
        assignment_id: content.assignment_id.to_string(),
        shopper_id: shopper.to_string(),
        status: existing.as_ref().map_or_else(
            || SubmissionStatus::Draft.as_str().to_string(),
            |e| e.status.clone(),
        ),
        content: stored.text,
        content_hash: stored.hash,
        visit_start: content.visit_start.map(|t| t.naive_utc()),
        visit_end: content.visit_end.map(|t| t.naive_utc()),
        received_at: now,
        clock_skew_seconds: content
            .sent_at
            .map(|sent| (now - sent.naive_utc()).num_seconds()),
        flags: "[]".into(),
        scores: None,
        raw_score: None,
        visit_score: None,
        critical_failure: false,
        review: existing.as_ref().and_then(|e| e.review.clone()),
        version: existing.as_ref().map_or(1, |e| e.version + 1),
        created_at: existing.as_ref().map_or(now, |e| e.created_at),
        updated_at: now,
        submitted_at: None,
        reviewed_at: existing.as_ref().and_then(|e| e.reviewed_at),
        reviewed_by: existing.as_ref().and_then(|e| e.reviewed_by.clone()),
        region: existing.as_ref().and_then(|e| e.region.clone()),
        segment: existing.as_ref().and_then(|e| e.segment.clone()),
        grade: existing.as_ref().and_then(|e| e.grade),
    }
}

/// Saves a draft (again and again: the same content changes nothing but the receipt time).
pub fn save_draft(
    conn: &mut DbConn,
    org: &str,
    shopper: &str,
    id: &str,
    sent: Sent,
    now: NaiveDateTime,
) -> ApiResult<SubmissionRow> {
    // As stored: PostgreSQL keeps microseconds, so the row answered equals a later read.
    let now = now.trunc_subsecs(6);
    let Sent { content, stored } = sent;
    let ctx = match prepare(conn, org, shopper, id, &content, &stored.hash, false)? {
        Ok(ctx) => ctx,
        Err(replayed) => return Ok(replayed),
    };
    let row = base_row(id, org, shopper, &content, stored, &ctx.existing, now);
    repo::save(conn, &row, ctx.existing.is_some())?;
    Ok(row)
}

/// Final submission: checked against the pinned checklist and the window (422 lists every
/// problem and changes nothing), scored, flagged, stored once. Returns the row and what its
/// API shape needs besides ([`assemble`]), mostly known here already: a first submission has no
/// edits, and no claims unless it makes them. Whether shoppers see scores is read from the
/// organization unless the caller's identity already holds it (`see_scores`).
#[allow(clippy::too_many_arguments)]
pub fn submit(
    conn: &mut DbConn,
    config: &Config,
    org: &str,
    shopper: &str,
    id: &str,
    sent: Sent,
    see_scores: Option<bool>,
    now: NaiveDateTime,
) -> ApiResult<(SubmissionRow, DtoFacts)> {
    // As stored: PostgreSQL keeps microseconds, so the row answered equals a later read.
    let now = now.trunc_subsecs(6);
    let Sent { content, stored } = sent;
    let ctx = match prepare(conn, org, shopper, id, &content, &stored.hash, true)? {
        Ok(ctx) => ctx,
        Err(replayed) => {
            let facts = dto_facts(conn, &replayed, false)?;
            return Ok((replayed, facts));
        }
    };
    let a = &ctx.assignment;
    let inputs = scoring_inputs(conn, org, a)?;
    let (checklist, book) = (&inputs.0, &inputs.1);

    // An attachment references a stored submission (a foreign key on both backends): a first
    // write, with no draft before it, has none, and skips the read (one round trip of the eight
    // a submission makes on PostgreSQL).
    let attached = if ctx.existing.is_some() {
        crate::attachments::of_submission(conn, id)?
    } else {
        Vec::new()
    };
    let evidence = crate::attachments::evidence_by_item(&attached);
    let mut errors = validate_answers(checklist, &content.answers, &evidence);
    let attachment_ids: std::collections::HashSet<String> =
        attached.iter().map(|a| a.id.clone()).collect();
    errors.extend(pay_rules::check_claims(
        &content.expenses,
        &a.currency,
        &attachment_ids,
    ));
    match (content.visit_start, content.visit_end) {
        (Some(start), Some(end)) => errors.extend(check_visit(
            start.naive_utc(),
            end.naive_utc(),
            a.window_start,
            a.window_end,
        )),
        (start, end) => {
            if start.is_none() {
                errors.push(FieldError::new("visit_start", "required to submit"));
            }
            if end.is_none() {
                errors.push(FieldError::new("visit_end", "required to submit"));
            }
        }
    }
    reject_if_any(errors)?;

    let scores = score_visit(checklist, book, &to_scoring(&content.answers));
    let location = &ctx.location;
    let position = content
        .position
        .as_ref()
        .map(|p| (p.latitude, p.longitude))
        .or(a.check_in_latitude.zip(a.check_in_longitude));
    let previous = &ctx.previous;
    let previous_content: Option<SubmissionContent> = previous
        .as_ref()
        .and_then(|p| serde_json::from_str(&p.content).ok());
    let visit_length = match (content.visit_start, content.visit_end) {
        (Some(s), Some(e)) => e - s,
        _ => TimeDelta::zero(),
    };
    let mut found: Vec<Flag> = flags(&FlagFacts {
        distance_m: position
            .map(|(lat, lon)| distance_m(location.latitude, location.longitude, lat, lon)),
        geofence_radius_m: location.geofence_radius_m,
        clock_skew: content.sent_at.map(|sent| now - sent.naive_utc()),
        max_clock_skew: TimeDelta::from_std(config.max_clock_skew).unwrap_or(TimeDelta::MAX),
        visit_length,
        min_visit: TimeDelta::from_std(config.min_visit).unwrap_or(TimeDelta::zero()),
        answers: &content.answers,
        previous: previous
            .as_ref()
            .zip(previous_content.as_ref())
            .map(|(p, c)| (p.id.as_str(), &c.answers)),
    });

    if let Some(claimed) = pay_rules::claimed_over_cap(&content.expenses, a.reimbursement_cap_minor)
    {
        found.push(Flag::ExpensesOverCap(ExpensesOverCap {
            kind: Default::default(),
            claimed_minor: claimed,
            cap_minor: a.reimbursement_cap_minor,
            currency: a.currency.clone(),
        }));
    }
    for claim in content
        .expenses
        .iter()
        .filter(|c| c.receipt_attachment_id.is_none())
    {
        found.push(Flag::ExpenseWithoutReceipt(ExpenseWithoutReceipt {
            kind: Default::default(),
            expense_key: claim.key.clone(),
        }));
    }

    // What the photo worker has found so far (nothing without attachments); later findings
    // are added by the worker.
    if !attached.is_empty() {
        found.extend(crate::photos::service::photo_flags(
            conn,
            &config.photos,
            org,
            id,
            content
                .visit_start
                .zip(content.visit_end)
                .map(|(s, e)| (s.naive_utc(), e.naive_utc())),
        )?);
    }
    // A first submission has no claims stored yet (drafts keep theirs in the content).
    let claims_stored = ctx.existing.is_some() || !content.expenses.is_empty();
    let mut row = base_row(id, org, shopper, &content, stored, &ctx.existing, now);
    row.status = SubmissionStatus::Submitted.as_str().into();
    row.flags = serde_json::to_string(&found).map_err(ApiError::internal)?;
    row.scores = Some(serde_json::to_string(&scores).map_err(ApiError::internal)?);
    row.raw_score = scores.raw_score;
    row.visit_score = scores.visit_score;
    row.critical_failure = scores.critical_failure;
    row.submitted_at = Some(now);
    repo::save(conn, &row, ctx.existing.is_some())?;
    if claims_stored {
        payments::store_claims(conn, org, id, shopper, &content.expenses, now)?;
    }
    if ctx.existing.is_some() {
        // A resubmission after a return: the shopper's answers now stand over the reviewer's
        // earlier edits of the same items (they were scored from those answers just above).
        let answered: Vec<String> = content.answers.keys().cloned().collect();
        repo::supersede_edits(conn, id, &answered, now)?;
    }
    let submitted = submission_event(
        &row,
        &a.location_id,
        EventType::SubmissionSubmitted,
        None,
        now,
    )?;
    assignment_flow::record_submission_step(
        conn,
        a,
        Action::Submit,
        Some(shopper),
        None,
        vec![submitted],
        now,
    )?;
    let resubmitted = ctx.existing.is_some();
    let facts = DtoFacts {
        show_scores: match see_scores {
            Some(known) => known,
            None => organizations::find(conn, org)?.shoppers_see_scores,
        },
        edits: if resubmitted {
            repo::edits_of(conn, id)?
        } else {
            Vec::new()
        },
        attachments: attached,
        reimbursements: if claims_stored {
            payments::reimbursements_of(conn, id)?
        } else {
            Vec::new()
        },
        written: Some(Written {
            content,
            flags: found,
            scores,
        }),
    };
    Ok((row, facts))
}

/// After an approval: `gap.significant` for each standard of the visit whose shortfall at the
/// location it made significant and reliable (`reports::alerts`).
fn record_gap_crossings(
    conn: &mut DbConn,
    row: &SubmissionRow,
    assignment: &AssignmentRow,
    now: NaiveDateTime,
) -> ApiResult<()> {
    let Some(scores) = row.scores.as_deref() else {
        return Ok(());
    };
    let score: VisitScore = serde_json::from_str(scores).map_err(ApiError::internal)?;
    let inputs = scoring_inputs(conn, &row.organization_id, assignment)?;
    let targets: HashMap<&str, f64> = inputs
        .1
        .standards
        .iter()
        .map(|s| (s.code.as_str(), s.target))
        .collect();
    let location = locations::find(conn, &row.organization_id, &assignment.location_id)?;
    let started = row
        .visit_start
        .or(row.submitted_at)
        .unwrap_or(row.received_at);
    let visit = alerts::ApprovedVisit {
        organization_id: &row.organization_id,
        submission_id: &row.id,
        location_id: &assignment.location_id,
        day: rollups::local_day(started, &location.time_zone),
        standards: score
            .standards
            .iter()
            .filter_map(|(code, c)| {
                let target = *targets.get(code.as_str())?;
                let one = alerts::WindowSums {
                    n: 1,
                    sum_units: crate::reports::rules::to_units(c.value),
                };
                Some((code.clone(), (one, target)))
            })
            .collect(),
        min_sample: i64::from(organizations::find(conn, &row.organization_id)?.min_sample_size),
    };
    alerts::record_crossings(conn, &visit, now)?;
    Ok(())
}

/// Writes the event a submission's change causes, in the caller's transaction.
fn record_event(
    conn: &mut DbConn,
    row: &SubmissionRow,
    location_id: &str,
    event_type: EventType,
    edited_item: Option<String>,
    now: NaiveDateTime,
) -> ApiResult<()> {
    let event = submission_event(row, location_id, event_type, edited_item, now)?;
    outbox::record_all(conn, &[event])
}

/// The event a submission's change causes, to be written by the caller.
fn submission_event(
    row: &SubmissionRow,
    location_id: &str,
    event_type: EventType,
    edited_item: Option<String>,
    now: NaiveDateTime,
) -> ApiResult<NewEvent> {
    let uuid = |s: &str| s.parse::<uuid::Uuid>().map_err(ApiError::internal);
    let flags: Vec<serde_json::Value> = serde_json::from_str(&row.flags).unwrap_or_default();
    let data = SubmissionEventData {
        submission_id: uuid(&row.id)?,
        assignment_id: uuid(&row.assignment_id)?,
        location_id: uuid(location_id)?,
        shopper_id: uuid(&row.shopper_id)?,
        status: status_of(row)?,
        version: row.version,
        visit_score: row.visit_score,
        critical_failure: row.critical_failure,
        flags: flags
            .iter()
            .filter_map(|f| f.get("kind")?.as_str().map(str::to_string))
            .collect(),
        edited_item,
    };
    NewEvent::new(&row.organization_id, event_type, &data, now)
}

/// Adds an approved visit to every roll-up read by reports (`sign` 1), or takes it away (-1),
/// inside the caller's transaction: the gap roll-ups and shopper calibration.
fn count_approved(conn: &mut DbConn, row: &SubmissionRow, sign: i64) -> ApiResult<()> {
    rollups::apply(conn, row, sign)?;
    crate::calibration::service::apply(conn, row, sign)
}

/// Recomputes a scored visit's scores from its effective answers and, when it is approved,
/// moves its roll-ups with them. Used by maintenance after the supersession rule was
/// introduced; returns whether anything changed.
pub fn rescore(conn: &mut DbConn, current: &SubmissionRow) -> ApiResult<bool> {
    if current.scores.is_none() {
        return Ok(false);
    }
    let org = &current.organization_id;
    let assignment = assignments::find(conn, org, &current.assignment_id)?;
    let inputs = scoring_inputs(conn, org, &assignment)?;
    let answers = effective_answers(current, &repo::edits_of(conn, &current.id)?)?;
    let scores = score_visit(&inputs.0, &inputs.1, &to_scoring(&answers));
    let text = serde_json::to_string(&scores).map_err(ApiError::internal)?;
    if current.scores.as_deref() == Some(text.as_str()) {
        return Ok(false);
    }
    let approved = status_of(current)? == SubmissionStatus::Approved;
    if approved {
        count_approved(conn, current, -1)?;
    }
    let mut row = current.clone();
    row.scores = Some(text);
    row.raw_score = scores.raw_score;
    row.visit_score = scores.visit_score;
    row.critical_failure = scores.critical_failure;
    repo::save(conn, &row, true)?;
    if approved {
        count_approved(conn, &row, 1)?;
    }
    Ok(true)
}

/// Parsed checklist and standards-book versions by (organization, checklist version id).
/// Assignments pin published versions, and a published version never changes, so each is
/// read and parsed once per process instead of on every submission.
pub(crate) type ScoringInputs = Arc<(ChecklistContent, BookContent)>;
static SCORING_INPUTS: LazyLock<Mutex<HashMap<(String, String), ScoringInputs>>> =
    LazyLock::new(Default::default);
const SCORING_INPUTS_KEPT: usize = 512;

/// The checklist and standards book an assignment is scored with.
pub(crate) fn scoring_inputs(
    conn: &mut DbConn,
    org: &str,
    a: &AssignmentRow,
) -> ApiResult<ScoringInputs> {
    let key = (org.to_string(), a.checklist_version_id.clone());
    if let Some(found) = cache().get(&key) {
        return Ok(found.clone());
    }
    let version = checklists::find_version_by_id(conn, org, &a.checklist_version_id)?
        .ok_or_else(|| ApiError::internal("assignment without its checklist version"))?;
    let checklist = checklist_service::content_of(&version)?;
    let book = book_service::content_of(&books::find_by_id(conn, org, &version.book_version_id)?)?;
    let inputs = Arc::new((checklist, book));
    if version.status == "published" {
        let mut cache = cache();
        if cache.len() >= SCORING_INPUTS_KEPT {
            cache.clear();
        }
        cache.insert(key, inputs.clone());
    }
    Ok(inputs)
}

fn cache() -> std::sync::MutexGuard<'static, HashMap<(String, String), ScoringInputs>> {
    SCORING_INPUTS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The answers as scored: the shopper's latest submitted answers with every reviewer edit still
/// in force applied in order. This is the one place the rule lives: an edit superseded by a
/// resubmission (see [`submit`]) is history, not an answer. Scores, the API's
/// `effective_answers`, the export and the roll-ups all read the answers from here.
pub(crate) fn effective_answers(
    row: &SubmissionRow,
    edits: &[EditRow],
) -> ApiResult<BTreeMap<String, AnswerInput>> {
    let content: SubmissionContent =
        serde_json::from_str(&row.content).map_err(ApiError::internal)?;
    let mut answers = content.answers;
    for edit in edits.iter().filter(|e| e.superseded_at.is_none()) {
        answers.insert(
            edit.item_key.clone(),
            serde_json::from_str(&edit.new_answer).map_err(ApiError::internal)?,
        );
    }
    Ok(answers)
}

/// A reviewer changes one answer of a submitted (or approved) shop, saying why. The shopper's
/// original is kept, the edit is recorded, and the scores are recomputed. `If-Match` required.
#[allow(clippy::too_many_arguments)]
pub fn edit(
    conn: &mut DbConn,
    org: &str,
    reviewer: Option<&str>,
    id: &str,
    input: EditInput,
    expected: Option<i32>,
    now: NaiveDateTime,
) -> ApiResult<SubmissionRow> {
    let expected = expected.ok_or_else(|| {
        ApiError::PreconditionRequired("send If-Match with the submission's ETag, so two reviewers cannot overwrite each other".into())
    })?;
    lock_for_transaction(conn, id)?;
    let current = repo::find_in_org(conn, org, id)?;
    if current.version != expected {
        return Err(ApiError::PreconditionFailed(format!(
            "the submission changed; its version is now {}",
            current.version
        )));
    }
    if !matches!(
        status_of(&current)?,
        SubmissionStatus::Submitted | SubmissionStatus::Approved
    ) {
        return Err(ApiError::Conflict {
            detail: format!(
                "answers are edited on submitted or approved shops; this one is {}",
                current.status
            ),
            current_state: Some(current.status.clone()),
        });
    }
    let assignment = assignments::find(conn, org, &current.assignment_id)?;
    let inputs = scoring_inputs(conn, org, &assignment)?;
    let (checklist, book) = (&inputs.0, &inputs.1);
    if !checklist.items().any(|(_, i)| i.key == input.item_key) {
        return Err(ApiError::unprocessable(
            "item_key",
            "no item of the checklist has this key",
        ));
    }
    let edits = repo::edits_of(conn, id)?;
    let mut answers = effective_answers(&current, &edits)?;
    let old = answers.insert(input.item_key.clone(), input.answer.clone());
    let prefix = format!("answers.{}", input.item_key);
    let problems: Vec<FieldError> = validate_answers(checklist, &answers, &HashMap::new())
        .into_iter()
        .filter(|e| e.field == prefix || e.field.starts_with(&format!("{prefix}.")))
        .map(|e| FieldError::new(e.field.replacen(&prefix, "answer", 1), e.message))
        .collect();
    reject_if_any(problems)?;
    let approved = status_of(&current)? == SubmissionStatus::Approved;
    if approved {
        // Taken away before the edit is recorded: the calibration roll-ups recompute what the
        // visit added from its answers as they stood.
        count_approved(conn, &current, -1)?;
    }
    repo::insert_edit(
        conn,
        &EditRow {
            id: uuid::Uuid::now_v7().to_string(),
            submission_id: id.to_string(),
            organization_id: org.to_string(),
            item_key: input.item_key.clone(),
            old_answer: old
                .map(|a| serde_json::to_string(&a))
                .transpose()
                .map_err(ApiError::internal)?,
            new_answer: serde_json::to_string(&input.answer).map_err(ApiError::internal)?,
            reason: input.reason.trim().to_string(),
            edited_by: reviewer.map(str::to_string),
            edited_at: now,
            superseded_at: None,
        },
    )?;
    let scores = score_visit(checklist, book, &to_scoring(&answers));
    let mut row = current;
    row.scores = Some(serde_json::to_string(&scores).map_err(ApiError::internal)?);
    row.raw_score = scores.raw_score;
    row.visit_score = scores.visit_score;
    row.critical_failure = scores.critical_failure;
    row.version += 1;
    row.updated_at = now;
    repo::save(conn, &row, true)?;
    if approved {
        count_approved(conn, &row, 1)?;
    }
    record_event(
        conn,
        &row,
        &assignment.location_id,
        EventType::SubmissionEdited,
        Some(input.item_key),
        now,
    )?;
    Ok(row)
}

/// A reviewer's decision on a submitted submission, guarded by `If-Match` (required).
#[allow(clippy::too_many_arguments)]
pub fn review(
    conn: &mut DbConn,
    org: &str,
    reviewer: Option<&str>,
    id: &str,
    decision: SubmissionStatus,
    input: ReviewInput,
    expected: Option<i32>,
    now: NaiveDateTime,
) -> ApiResult<SubmissionRow> {
    let expected = expected.ok_or_else(|| {
        ApiError::PreconditionRequired("send If-Match with the submission's ETag, so two reviewers cannot overwrite each other".into())
    })?;
    lock_for_transaction(conn, id)?;
    let current = repo::find_in_org(conn, org, id)?;
    if current.version != expected {
        return Err(ApiError::PreconditionFailed(format!(
            "the submission changed; its version is now {}",
            current.version
        )));
    }
    let was = status_of(&current)?;
    let late_rejection =
        was == SubmissionStatus::Approved && decision == SubmissionStatus::Rejected;
    if was != SubmissionStatus::Submitted && !late_rejection {
        return Err(ApiError::Conflict {
            detail: format!(
                "only a submitted submission can be reviewed (an approved one only rejected); this one is {}",
                current.status
            ),
            current_state: Some(current.status.clone()),
        });
    }
    if decision != SubmissionStatus::Approved && !input.reimbursements.is_empty() {
        return Err(ApiError::unprocessable(
            "reimbursements",
            "expenses are decided with the approval",
        ));
    }
    let (action, reason) = match decision {
        SubmissionStatus::Approved => (Action::Approve, input.comment.clone()),
        SubmissionStatus::Returned => (Action::Return, input.comment.clone()),
        SubmissionStatus::Rejected => {
            if input.comment.as_deref().is_none_or(|c| c.trim().is_empty()) {
                return Err(ApiError::unprocessable(
                    "comment",
                    "say why the shop is rejected",
                ));
            }
            (Action::Reject, input.comment.clone())
        }
        _ => return Err(ApiError::internal("not a review decision")),
    };
    let review = Review {
        decision,
        comment: input.comment,
        item_comments: input.item_comments,
        by: reviewer.and_then(|r| r.parse().ok()),
        at: now.and_utc(),
        grade: input.grade,
    };
    let assignment = assignments::find(conn, org, &current.assignment_id)?;
    let mut row = current.clone();
    row.status = decision.as_str().into();
    row.review = Some(serde_json::to_string(&review).map_err(ApiError::internal)?);
    row.version += 1;
    row.updated_at = now;
    row.reviewed_at = Some(now);
    row.reviewed_by = reviewer.map(str::to_string);
    if input.grade.is_some() {
        row.grade = input.grade;
    }
    if decision == SubmissionStatus::Approved {
        // What the visit counts under in reports, from now on: the location's region today
        // and the assignment's segment.
        let location = locations::find(conn, org, &assignment.location_id)?;
        row.region = Some(location.region);
        row.segment = Some(assignment.segment.clone());
    }
    repo::save(conn, &row, true)?;
    match decision {
        SubmissionStatus::Approved => {
            payments::on_approval(
                conn,
                &assignment,
                id,
                &row.shopper_id,
                &input.reimbursements,
                reviewer,
                now,
            )?;
            count_approved(conn, &row, 1)?;
            record_gap_crossings(conn, &row, &assignment, now)?;
        }
        _ if late_rejection => {
            payments::on_late_rejection(conn, id, now)?;
            count_approved(conn, &current, -1)?
        }
        SubmissionStatus::Rejected => payments::refuse_claims(conn, id, reviewer, now)?,
        _ => {}
    }
    reputation::record_grade(
        conn,
        &row.shopper_id,
        &row.organization_id,
        current.grade,
        row.grade,
        now,
    )?;
    let decided = EventType::of_submission_status(decision)
        .map(|event_type| submission_event(&row, &assignment.location_id, event_type, None, now))
        .transpose()?;
    assignment_flow::record_submission_step(
        conn,
        &assignment,
        action,
        reviewer,
        reason,
        decided.into_iter().collect(),
        now,
    )?;
    Ok(row)
}

/// The submission as the API shows it; scores only for reviewers, or for the shopper when the
/// organization shows them.
pub fn to_dto(conn: &mut DbConn, row: SubmissionRow, show_scores: bool) -> ApiResult<Submission> {
    let facts = dto_facts(conn, &row, show_scores)?;
    assemble(row, facts)
}

/// What a submission's API shape needs from the database besides its row.
pub struct DtoFacts {
    show_scores: bool,
    edits: Vec<EditRow>,
    attachments: Vec<crate::attachments::AttachmentRow>,
    reimbursements: Vec<crate::payments::dto::Reimbursement>,
    /// What the write just stored in the row's JSON columns, still parsed: the answer is built
    /// from these instead of parsing the text again (the content's parse was 3 % of the server's
    /// CPU on ingest). Serializing and parsing back gives these same values.
    written: Option<Written>,
}

/// The parsed forms of a row's `content`, `flags` and `scores`, as a write made them.
pub struct Written {
    content: SubmissionContent,
    flags: Vec<Flag>,
    scores: VisitScore,
}

/// Reads [`DtoFacts`]; [`assemble`] needs no connection, so a write can read these in its
/// transaction and build the answer after the commit, off the SQLite writer thread.
pub fn dto_facts(conn: &mut DbConn, row: &SubmissionRow, show_scores: bool) -> ApiResult<DtoFacts> {
    Ok(DtoFacts {
        show_scores: show_scores
            || organizations::find(conn, &row.organization_id)?.shoppers_see_scores,
        edits: repo::edits_of(conn, &row.id)?,
        attachments: crate::attachments::of_submission(conn, &row.id)?,
        reimbursements: payments::reimbursements_of(conn, &row.id)?,
        written: None,
    })
}

/// The submission as the API shows it.
pub fn assemble(row: SubmissionRow, facts: DtoFacts) -> ApiResult<Submission> {
    let show = facts.show_scores;
    let (content, flags, scores) = match facts.written {
        Some(w) => {
            // Every test's write checks the claim the shortcut rests on.
            debug_assert_eq!(
                (
                    serde_json::from_str::<SubmissionContent>(&row.content).ok(),
                    serde_json::from_str::<Vec<Flag>>(&row.flags).ok(),
                    row.scores
                        .as_deref()
                        .and_then(|s| serde_json::from_str::<VisitScore>(s).ok()),
                ),
                (
                    Some(w.content.clone()),
                    Some(w.flags.clone()),
                    Some(w.scores.clone())
                ),
                "the stored JSON parses back to what was written"
            );
            (w.content, w.flags, Some(w.scores).filter(|_| show))
        }
        None => (
            serde_json::from_str(&row.content).map_err(ApiError::internal)?,
            serde_json::from_str(&row.flags).map_err(ApiError::internal)?,
            row.scores
                .as_deref()
                .filter(|_| show)
                .map(serde_json::from_str::<VisitScore>)
                .transpose()
                .map_err(ApiError::internal)?,
        ),
    };
    let edit_rows = facts.edits;
    let effective = if edit_rows.iter().all(|e| e.superseded_at.is_some()) {
        None
    } else {
        Some(effective_answers(&row, &edit_rows)?)
    };
    let edits = edit_rows
        .into_iter()
        .map(|e| {
            Ok(Edit {
                item_key: e.item_key,
                old_answer: e
                    .old_answer
                    .as_deref()
                    .map(serde_json::from_str)
                    .transpose()
                    .map_err(ApiError::internal)?,
                new_answer: serde_json::from_str(&e.new_answer).map_err(ApiError::internal)?,
                reason: e.reason,
                edited_by: e.edited_by.and_then(|id| id.parse().ok()),
                edited_at: e.edited_at.and_utc(),
                superseded_at: e.superseded_at.map(|t| t.and_utc()),
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(Submission {
        id: row.id.parse().map_err(ApiError::internal)?,
        shopper_id: row.shopper_id.parse().map_err(ApiError::internal)?,
        status: status_of(&row)?,
        content,
        received_at: row.received_at.and_utc(),
        clock_skew_seconds: row.clock_skew_seconds,
        flags,
        scores,
        review: row
            .review
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(ApiError::internal)?,
        edits,
        attachments: facts
            .attachments
            .into_iter()
            .map(crate::attachments::handlers::dto)
            .collect::<ApiResult<_>>()?,
        reimbursements: facts.reimbursements,
        grade: row.grade,
        effective_answers: effective,
        version: row.version,
        created_at: row.created_at.and_utc(),
        updated_at: row.updated_at.and_utc(),
        submitted_at: row.submitted_at.map(|t| t.and_utc()),
    })
}

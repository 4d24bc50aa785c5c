//! Reimbursements, payables and payment batches in the database. Each runs in the caller's
//! transaction: a claim is stored with its submission, settled with the approval, and turned
//! into payable lines in the same transaction as the review that decided it.

use std::collections::{BTreeMap, HashMap};

use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use diesel::prelude::*;

use super::dto::{
    BatchStatus, CreateBatch, Decisions, Earnings, ExpenseCategory, ExpenseClaim, MarkPaid,
    Payable, PayableKind, PayableStatus, PaymentBatch, PaymentBatchDetail, Reimbursement,
    ReimbursementStatus, ShopperTotal, Statement,
};
use super::rules::{self, Claimed, OwedLine};
use crate::assignments::model::AssignmentRow;
use crate::db::schema::{payables, payment_batches, reimbursements, users};
use crate::db::{lock_for_transaction, DbConn};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::money::{totals, Money};
use crate::per_backend;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = reimbursements, treat_none_as_null = true)]
pub struct ReimbursementRow {
    pub id: String,
    pub organization_id: String,
    pub submission_id: String,
    pub shopper_id: String,
    pub line_key: String,
    pub category: String,
    pub description: String,
    pub amount_minor: i64,
    pub currency: String,
    pub receipt_attachment_id: Option<String>,
    pub status: String,
    pub approved_minor: Option<i64>,
    pub decision_note: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = payables)]
pub struct PayableRow {
    pub id: String,
    pub organization_id: String,
    pub shopper_id: String,
    pub submission_id: String,
    pub assignment_id: String,
    pub kind: String,
    pub reimbursement_id: Option<String>,
    pub reverses_id: Option<String>,
    pub amount_minor: i64,
    pub currency: String,
    pub earned_at: NaiveDateTime,
    pub batch_id: Option<String>,
    pub voided_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = payment_batches)]
pub struct BatchRow {
    pub id: String,
    pub organization_id: String,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub status: String,
    pub note: Option<String>,
    pub reference: Option<String>,
    pub created_by: Option<String>,
    pub created_at: NaiveDateTime,
    pub paid_at: Option<NaiveDateTime>,
    pub paid_by: Option<String>,
    pub cancelled_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
}

fn uuid(s: &str) -> ApiResult<uuid::Uuid> {
    s.parse().map_err(ApiError::internal)
}

fn claims_of(conn: &mut DbConn, submission_id: &str) -> ApiResult<Vec<ReimbursementRow>> {
    Ok(reimbursements::table
        .filter(reimbursements::submission_id.eq(submission_id))
        .order(reimbursements::id.asc())
        .select(ReimbursementRow::as_select())
        .load(conn)?)
}

/// Stores the submission's claims as sent (replacing the undecided ones of an earlier
/// submission, after a return).
pub fn store_claims(
    conn: &mut DbConn,
    org: &str,
    submission_id: &str,
    shopper_id: &str,
    claims: &[ExpenseClaim],
    now: NaiveDateTime,
) -> ApiResult<()> {
    diesel::delete(
        reimbursements::table
            .filter(reimbursements::submission_id.eq(submission_id))
            .filter(reimbursements::status.eq(ReimbursementStatus::Claimed.as_str())),
    )
    .execute(conn)?;
    let rows: Vec<ReimbursementRow> = claims
        .iter()
        .map(|c| ReimbursementRow {
            id: uuid::Uuid::now_v7().to_string(),
            organization_id: org.to_string(),
            submission_id: submission_id.to_string(),
            shopper_id: shopper_id.to_string(),
            line_key: c.key.clone(),
            category: c.category.as_str().to_string(),
            description: c.description.clone().unwrap_or_default().trim().to_string(),
            amount_minor: c.amount_minor,
            currency: c.currency.clone(),
            receipt_attachment_id: c.receipt_attachment_id.map(|r| r.to_string()),
            status: ReimbursementStatus::Claimed.as_str().to_string(),
            approved_minor: None,
            decision_note: None,
            decided_by: None,
            decided_at: None,
            created_at: now,
            updated_at: now,
        })
        .collect();
    if !rows.is_empty() {
        let insert = diesel::insert_into(reimbursements::table).values(&rows);
        per_backend!(conn, |c| insert.execute(c))?;
    }
    Ok(())
}

fn save_claim(conn: &mut DbConn, row: &ReimbursementRow) -> ApiResult<()> {
    diesel::update(reimbursements::table.find(&row.id))
        .set(row)
        .execute(conn)?;
    Ok(())
}

fn insert_payables(conn: &mut DbConn, rows: &[PayableRow]) -> ApiResult<()> {
    if !rows.is_empty() {
        let insert = diesel::insert_into(payables::table).values(rows);
        per_backend!(conn, |c| insert.execute(c))?;
    }
    Ok(())
}

fn payable(
    assignment: &AssignmentRow,
    submission_id: &str,
    shopper_id: &str,
    kind: PayableKind,
    amount_minor: i64,
    now: NaiveDateTime,
) -> PayableRow {
    PayableRow {
        id: uuid::Uuid::now_v7().to_string(),
        organization_id: assignment.organization_id.clone(),
        shopper_id: shopper_id.to_string(),
        submission_id: submission_id.to_string(),
        assignment_id: assignment.id.clone(),
        kind: kind.as_str().to_string(),
        reimbursement_id: None,
        reverses_id: None,
        amount_minor,
        currency: assignment.currency.clone(),
        earned_at: now,
        batch_id: None,
        voided_at: None,
        created_at: now,
    }
}

/// With the approval: settles every claim (422 when the decisions do not fit) and makes the
/// shop's fee and the approved expenses payable.
pub fn on_approval(
    conn: &mut DbConn,
    assignment: &AssignmentRow,
    submission_id: &str,
    shopper_id: &str,
    decisions: &Decisions,
    reviewer: Option<&str>,
    now: NaiveDateTime,
) -> ApiResult<()> {
    let claims = claims_of(conn, submission_id)?;
    let pending: Vec<&ReimbursementRow> = claims
        .iter()
        .filter(|c| c.status == ReimbursementStatus::Claimed.as_str())
        .collect();
    let claimed: Vec<Claimed> = pending
        .iter()
        .map(|c| Claimed {
            key: &c.line_key,
            amount_minor: c.amount_minor,
        })
        .collect();
    let settled = rules::settle(&claimed, decisions, assignment.reimbursement_cap_minor)
        .map_err(ApiError::Unprocessable)?;
    let mut lines = Vec::new();
    if assignment.fee_cents > 0 {
        lines.push(payable(
            assignment,
            submission_id,
            shopper_id,
            PayableKind::Fee,
            assignment.fee_cents,
            now,
        ));
    }
    for (row, s) in pending.into_iter().zip(settled) {
        let mut next = row.clone();
        next.status = if s.approved() {
            ReimbursementStatus::Approved
        } else {
            ReimbursementStatus::Refused
        }
        .as_str()
        .to_string();
        next.approved_minor = Some(s.approved_minor);
        next.decision_note = s.note.clone();
        next.decided_by = reviewer.map(str::to_string);
        next.decided_at = Some(now);
        next.updated_at = now;
        save_claim(conn, &next)?;
        if s.approved() {
            let mut line = payable(
                assignment,
                submission_id,
                shopper_id,
                PayableKind::Reimbursement,
                s.approved_minor,
                now,
            );
            line.reimbursement_id = Some(row.id.clone());
            lines.push(line);
        }
    }
    insert_payables(conn, &lines)
}

/// With a rejection of a submitted shop: its claims are refused with the shop.
pub fn refuse_claims(
    conn: &mut DbConn,
    submission_id: &str,
    reviewer: Option<&str>,
    now: NaiveDateTime,
) -> ApiResult<()> {
    for row in claims_of(conn, submission_id)? {
        if row.status != ReimbursementStatus::Claimed.as_str() {
            continue;
        }
        let mut next = row.clone();
        next.status = ReimbursementStatus::Refused.as_str().to_string();
        next.approved_minor = Some(0);
        next.decision_note = Some("the shop was rejected".into());
        next.decided_by = reviewer.map(str::to_string);
        next.decided_at = Some(now);
        next.updated_at = now;
        save_claim(conn, &next)?;
    }
    Ok(())
}

/// With a rejection after approval: unpaid lines drop out, paid ones are clawed back.
pub fn on_late_rejection(
    conn: &mut DbConn,
    submission_id: &str,
    now: NaiveDateTime,
) -> ApiResult<()> {
    let lines: Vec<(PayableRow, Option<String>)> = payables::table
        .left_join(payment_batches::table)
        .filter(payables::submission_id.eq(submission_id))
        .select((PayableRow::as_select(), payment_batches::status.nullable()))
        .load(conn)?;
    let clawed: Vec<String> = lines
        .iter()
        .filter_map(|(l, _)| l.reverses_id.clone())
        .collect();
    let owed: Vec<OwedLine> = lines
        .iter()
        .map(|(l, batch)| OwedLine {
            id: &l.id,
            kind: PayableKind::parse(&l.kind).unwrap_or(PayableKind::Fee),
            amount_minor: l.amount_minor,
            batch: batch.as_deref().and_then(BatchStatus::parse),
            settled: l.voided_at.is_some() || clawed.contains(&l.id),
        })
        .collect();
    let plan = rules::after_late_rejection(&owed);
    if !plan.void.is_empty() {
        diesel::update(payables::table.filter(payables::id.eq_any(&plan.void)))
            .set((
                payables::voided_at.eq(Some(now)),
                payables::batch_id.eq(None::<String>),
            ))
            .execute(conn)?;
    }
    let backs: Vec<PayableRow> = plan
        .claw_back
        .iter()
        .filter_map(|(id, amount)| {
            let (paid, _) = lines.iter().find(|(l, _)| &l.id == id)?;
            Some(PayableRow {
                id: uuid::Uuid::now_v7().to_string(),
                kind: PayableKind::Clawback.as_str().to_string(),
                reimbursement_id: paid.reimbursement_id.clone(),
                reverses_id: Some(paid.id.clone()),
                amount_minor: *amount,
                earned_at: now,
                batch_id: None,
                voided_at: None,
                created_at: now,
                ..paid.clone()
            })
        })
        .collect();
    insert_payables(conn, &backs)
}

pub fn reimbursements_of(conn: &mut DbConn, submission_id: &str) -> ApiResult<Vec<Reimbursement>> {
    claims_of(conn, submission_id)?
        .into_iter()
        .map(|r| {
            Ok(Reimbursement {
                id: uuid(&r.id)?,
                key: r.line_key,
                category: serde_json::from_value(serde_json::Value::String(r.category))
                    .unwrap_or(ExpenseCategory::Other),
                description: r.description,
                claimed: Money::new(r.amount_minor, &r.currency),
                receipt_attachment_id: r.receipt_attachment_id.and_then(|a| a.parse().ok()),
                status: ReimbursementStatus::parse(&r.status)
                    .ok_or_else(|| ApiError::internal("unknown reimbursement status"))?,
                approved: r.approved_minor.map(|a| Money::new(a, &r.currency)),
                decision_note: r.decision_note,
                decided_by: r.decided_by.and_then(|d| d.parse().ok()),
                decided_at: r.decided_at.map(|t| t.and_utc()),
            })
        })
        .collect()
}

fn status_of(line: &PayableRow, batch: Option<&str>) -> PayableStatus {
    if line.voided_at.is_some() {
        PayableStatus::Voided
    } else {
        match batch.and_then(BatchStatus::parse) {
            Some(BatchStatus::Paid) => PayableStatus::Paid,
            Some(BatchStatus::Open) => PayableStatus::Scheduled,
            _ => PayableStatus::Pending,
        }
    }
}

fn payable_dto(line: PayableRow, batch: Option<&str>) -> ApiResult<Payable> {
    let status = status_of(&line, batch);
    Ok(Payable {
        id: uuid(&line.id)?,
        kind: PayableKind::parse(&line.kind)
            .ok_or_else(|| ApiError::internal("unknown payable kind"))?,
        shopper_id: uuid(&line.shopper_id)?,
        submission_id: uuid(&line.submission_id)?,
        assignment_id: uuid(&line.assignment_id)?,
        reimbursement_id: line.reimbursement_id.and_then(|r| r.parse().ok()),
        reverses_id: line.reverses_id.and_then(|r| r.parse().ok()),
        money: Money::new(line.amount_minor, &line.currency),
        earned_at: line.earned_at.and_utc(),
        status,
        batch_id: line.batch_id.and_then(|b| b.parse().ok()),
        voided_at: line.voided_at.map(|t| t.and_utc()),
    })
}

/// The most lines an earnings answer lists.
const EARNINGS_LINES: i64 = 200;

/// A shopper's earnings: owed, scheduled and paid per currency, and their latest lines.
pub fn earnings(conn: &mut DbConn, org: &str, shopper_id: &str) -> ApiResult<Earnings> {
    // (amount, currency, voided at, the batch's status)
    let all: Vec<(i64, String, Option<NaiveDateTime>, Option<String>)> = payables::table
        .left_join(payment_batches::table)
        .filter(payables::organization_id.eq(org))
        .filter(payables::shopper_id.eq(shopper_id))
        .select((
            payables::amount_minor,
            payables::currency,
            payables::voided_at,
            payment_batches::status.nullable(),
        ))
        .load(conn)?;
    let mut pending = Vec::new();
    let mut scheduled = Vec::new();
    let mut paid = Vec::new();
    for (amount, currency, voided, batch) in &all {
        if voided.is_some() {
            continue;
        }
        match batch.as_deref().and_then(BatchStatus::parse) {
            Some(BatchStatus::Paid) => paid.push((*amount, currency.as_str())),
            Some(BatchStatus::Open) => scheduled.push((*amount, currency.as_str())),
            _ => pending.push((*amount, currency.as_str())),
        }
    }
    let latest: Vec<(PayableRow, Option<String>)> = payables::table
        .left_join(payment_batches::table)
        .filter(payables::organization_id.eq(org))
        .filter(payables::shopper_id.eq(shopper_id))
        .order((payables::earned_at.desc(), payables::id.desc()))
        .limit(EARNINGS_LINES)
        .select((PayableRow::as_select(), payment_batches::status.nullable()))
        .load(conn)?;
    Ok(Earnings {
        shopper_id: uuid(shopper_id)?,
        pending: totals(pending),
        scheduled: totals(scheduled),
        paid: totals(paid),
        lines: latest
            .into_iter()
            .map(|(l, b)| payable_dto(l, b.as_deref()))
            .collect::<ApiResult<_>>()?,
    })
}

/// What each paid batch paid the shopper, newest first.
pub fn statements(conn: &mut DbConn, org: &str, shopper_id: &str) -> ApiResult<Vec<Statement>> {
    let rows: Vec<(PayableRow, BatchRow)> = payables::table
        .inner_join(payment_batches::table)
        .filter(payables::organization_id.eq(org))
        .filter(payables::shopper_id.eq(shopper_id))
        .filter(payment_batches::status.eq(BatchStatus::Paid.as_str()))
        .order((payment_batches::paid_at.desc(), payables::earned_at.asc()))
        .select((PayableRow::as_select(), BatchRow::as_select()))
        .load(conn)?;
    let mut out: Vec<Statement> = Vec::new();
    let mut amounts: Vec<Vec<(i64, String)>> = Vec::new();
    for (line, batch) in rows {
        if out
            .last()
            .is_none_or(|s| s.batch_id.to_string() != batch.id)
        {
            out.push(Statement {
                batch_id: uuid(&batch.id)?,
                period_from: batch.period_from,
                period_to: batch.period_to,
                paid_at: batch.paid_at.unwrap_or(batch.updated_at).and_utc(),
                reference: batch.reference.clone(),
                totals: Vec::new(),
                lines: Vec::new(),
            });
            amounts.push(Vec::new());
        }
        if let (Some(s), Some(a)) = (out.last_mut(), amounts.last_mut()) {
            a.push((line.amount_minor, line.currency.clone()));
            s.lines
                .push(payable_dto(line, Some(BatchStatus::Paid.as_str()))?);
        }
    }
    for (s, a) in out.iter_mut().zip(amounts) {
        s.totals = totals(a.iter().map(|(m, c)| (*m, c.as_str())));
    }
    Ok(out)
}

fn find_batch(conn: &mut DbConn, org: &str, id: &str) -> ApiResult<BatchRow> {
    payment_batches::table
        .filter(payment_batches::id.eq(id))
        .filter(payment_batches::organization_id.eq(org))
        .select(BatchRow::as_select())
        .get_result(conn)
        .optional()?
        .ok_or_else(|| ApiError::NotFound("no such payment batch".into()))
}

/// A batch's lines with their shoppers' names and emails.
type BatchLine = (String, String, i64, String, String, String);

fn batch_lines(conn: &mut DbConn, batch_ids: &[String]) -> ApiResult<Vec<(String, BatchLine)>> {
    Ok(payables::table
        .inner_join(users::table.on(users::id.eq(payables::shopper_id)))
        .filter(payables::batch_id.eq_any(batch_ids))
        .select((
            payables::batch_id.assume_not_null(),
            (
                payables::shopper_id,
                payables::kind,
                payables::amount_minor,
                payables::currency,
                users::display_name,
                users::email,
            ),
        ))
        .load(conn)?)
}

fn batch_dto(row: BatchRow, lines: &[&BatchLine]) -> ApiResult<PaymentBatch> {
    let mut shoppers: Vec<&str> = lines.iter().map(|l| l.0.as_str()).collect();
    shoppers.sort();
    shoppers.dedup();
    Ok(PaymentBatch {
        id: uuid(&row.id)?,
        period_from: row.period_from,
        period_to: row.period_to,
        status: BatchStatus::parse(&row.status)
            .ok_or_else(|| ApiError::internal("unknown batch status"))?,
        note: row.note,
        reference: row.reference,
        lines: lines.len() as i64,
        shoppers: shoppers.len() as i64,
        totals: totals(lines.iter().map(|l| (l.2, l.3.as_str()))),
        created_by: row.created_by.and_then(|c| c.parse().ok()),
        created_at: row.created_at.and_utc(),
        paid_at: row.paid_at.map(|t| t.and_utc()),
        cancelled_at: row.cancelled_at.map(|t| t.and_utc()),
    })
}

/// Per shopper and currency, in name order.
fn shopper_totals(lines: &[&BatchLine]) -> ApiResult<Vec<ShopperTotal>> {
    let mut by: BTreeMap<(String, String, String, String), [i64; 4]> = BTreeMap::new();
    for (shopper, kind, amount, currency, name, email) in lines.iter().copied() {
        let sums = by
            .entry((
                name.clone(),
                shopper.clone(),
                currency.clone(),
                email.clone(),
            ))
            .or_default();
        match PayableKind::parse(kind) {
            Some(PayableKind::Fee) => {
                sums[0] += amount;
                sums[3] += 1;
            }
            Some(PayableKind::Reimbursement) => sums[1] += amount,
            Some(PayableKind::Clawback) => sums[2] += amount,
            None => return Err(ApiError::internal("unknown payable kind")),
        }
    }
    by.into_iter()
        .map(
            |((name, shopper, currency, email), [fees, expenses, backs, shops])| {
                Ok(ShopperTotal {
                    shopper_id: uuid(&shopper)?,
                    shopper_name: name,
                    shopper_email: email,
                    shops,
                    fees: Money::new(fees, &currency),
                    reimbursements: Money::new(expenses, &currency),
                    clawbacks: Money::new(backs, &currency),
                    total: Money::new(fees + expenses + backs, &currency),
                })
            },
        )
        .collect()
}

pub fn batch_detail(conn: &mut DbConn, org: &str, id: &str) -> ApiResult<PaymentBatchDetail> {
    let row = find_batch(conn, org, id)?;
    let lines = batch_lines(conn, std::slice::from_ref(&row.id))?;
    let mine: Vec<&BatchLine> = lines.iter().map(|(_, l)| l).collect();
    Ok(PaymentBatchDetail {
        shoppers: shopper_totals(&mine)?,
        batch: batch_dto(row, &mine)?,
    })
}

/// Creates a batch of every unbatched line earned in the period; 422 when there is none.
pub fn create_batch(
    conn: &mut DbConn,
    org: &str,
    by: Option<&str>,
    input: CreateBatch,
    now: NaiveDateTime,
) -> ApiResult<PaymentBatchDetail> {
    let mut errors = Vec::new();
    if input.period_to < input.period_from {
        errors.push(FieldError::new(
            "period_to",
            "must not be before period_from",
        ));
    }
    if input.period_to > now.date() {
        errors.push(FieldError::new("period_to", "must not be after today"));
    }
    crate::validation::reject_if_any(errors)?;
    lock_for_transaction(conn, &format!("payment-batches:{org}"))?;
    let row = BatchRow {
        id: uuid::Uuid::now_v7().to_string(),
        organization_id: org.to_string(),
        period_from: input.period_from,
        period_to: input.period_to,
        status: BatchStatus::Open.as_str().to_string(),
        note: input
            .note
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty()),
        reference: None,
        created_by: by.map(str::to_string),
        created_at: now,
        paid_at: None,
        paid_by: None,
        cancelled_at: None,
        updated_at: now,
    };
    let insert = diesel::insert_into(payment_batches::table).values(&row);
    per_backend!(conn, |c| insert.execute(c))?;
    let start = input.period_from.and_hms_opt(0, 0, 0).unwrap_or_default();
    let end = input.period_to.and_hms_opt(0, 0, 0).unwrap_or_default() + TimeDelta::days(1);
    let gathered = diesel::update(
        payables::table
            .filter(payables::organization_id.eq(org))
            .filter(payables::batch_id.is_null())
            .filter(payables::voided_at.is_null())
            .filter(payables::earned_at.ge(start))
            .filter(payables::earned_at.lt(end)),
    )
    .set(payables::batch_id.eq(Some(&row.id)))
    .execute(conn)?;
    if gathered == 0 {
        return Err(ApiError::unprocessable(
            "period_to",
            "nothing is payable in the period: every line earned then is in a batch already",
        ));
    }
    batch_detail(conn, org, &row.id)
}

pub fn list_batches(
    conn: &mut DbConn,
    org: &str,
    status: Option<BatchStatus>,
    after: Option<&str>,
    limit: i64,
) -> ApiResult<Vec<PaymentBatch>> {
    let mut query = payment_batches::table
        .filter(payment_batches::organization_id.eq(org))
        .order(payment_batches::id.desc())
        .limit(limit + 1)
        .select(BatchRow::as_select())
        .into_boxed();
    if let Some(s) = status {
        query = query.filter(payment_batches::status.eq(s.as_str()));
    }
    if let Some(after) = after {
        query = query.filter(payment_batches::id.lt(after.to_string()));
    }
    let rows: Vec<BatchRow> = query.load(conn)?;
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut lines: HashMap<String, Vec<BatchLine>> = HashMap::new();
    for (batch, line) in batch_lines(conn, &ids)? {
        lines.entry(batch).or_default().push(line);
    }
    rows.into_iter()
        .map(|r| {
            let mine = lines.remove(&r.id).unwrap_or_default();
            let refs: Vec<&BatchLine> = mine.iter().collect();
            batch_dto(r, &refs)
        })
        .collect()
}

fn ensure_open(row: &BatchRow, doing: &str) -> ApiResult<()> {
    if row.status != BatchStatus::Open.as_str() {
        return Err(ApiError::Conflict {
            detail: format!(
                "only an open batch can be {doing}; this one is {}",
                row.status
            ),
            current_state: Some(row.status.clone()),
        });
    }
    Ok(())
}

/// Records that the batch was paid; its lines are then paid, and never batched again.
pub fn mark_paid(
    conn: &mut DbConn,
    org: &str,
    by: Option<&str>,
    id: &str,
    input: MarkPaid,
    now: NaiveDateTime,
) -> ApiResult<PaymentBatchDetail> {
    lock_for_transaction(conn, &format!("payment-batches:{org}"))?;
    let row = find_batch(conn, org, id)?;
    ensure_open(&row, "marked paid")?;
    diesel::update(payment_batches::table.find(&row.id))
        .set((
            payment_batches::status.eq(BatchStatus::Paid.as_str()),
            payment_batches::reference.eq(input
                .reference
                .map(|r| r.trim().to_string())
                .filter(|r| !r.is_empty())),
            payment_batches::paid_at.eq(Some(now)),
            payment_batches::paid_by.eq(by),
            payment_batches::updated_at.eq(now),
        ))
        .execute(conn)?;
    batch_detail(conn, org, id)
}

/// Calls off an open batch: its lines are payable again, for the next batch.
pub fn cancel_batch(
    conn: &mut DbConn,
    org: &str,
    id: &str,
    now: NaiveDateTime,
) -> ApiResult<PaymentBatchDetail> {
    lock_for_transaction(conn, &format!("payment-batches:{org}"))?;
    let row = find_batch(conn, org, id)?;
    ensure_open(&row, "cancelled")?;
    diesel::update(payables::table.filter(payables::batch_id.eq(&row.id)))
        .set(payables::batch_id.eq(None::<String>))
        .execute(conn)?;
    diesel::update(payment_batches::table.find(&row.id))
        .set((
            payment_batches::status.eq(BatchStatus::Cancelled.as_str()),
            payment_batches::cancelled_at.eq(Some(now)),
            payment_batches::updated_at.eq(now),
        ))
        .execute(conn)?;
    batch_detail(conn, org, id)
}

/// The batch as the payroll's CSV: one row per shopper and currency, money as decimal text.
pub fn batch_csv(conn: &mut DbConn, org: &str, id: &str) -> ApiResult<String> {
    let detail = batch_detail(conn, org, id)?;
    let mut out = crate::csv_writer::CsvWriter::new(false);
    out.write_record([
        "batch_id",
        "period_from",
        "period_to",
        "batch_status",
        "shopper_id",
        "shopper_name",
        "shopper_email",
        "currency",
        "shops",
        "fees",
        "reimbursements",
        "clawbacks",
        "total",
    ])?;
    let batch = &detail.batch;
    for s in &detail.shoppers {
        out.write_record([
            batch.id.to_string().as_str(),
            &batch.period_from.to_string(),
            &batch.period_to.to_string(),
            batch.status.as_str(),
            &s.shopper_id.to_string(),
            &s.shopper_name,
            &s.shopper_email,
            &s.total.currency,
            &s.shops.to_string(),
            &s.fees.amount,
            &s.reimbursements.amount,
            &s.clawbacks.amount,
            &s.total.amount,
        ])?;
    }
    out.into_string()
}

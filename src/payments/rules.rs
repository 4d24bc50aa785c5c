//! The pay rules as pure functions: which expense claims a submission may carry, how the
//! reviewer's decisions settle them against the shop's cap, and what a late rejection does to
//! lines already batched or paid.

use std::collections::HashSet;

use super::dto::{BatchStatus, Decision, Decisions, ExpenseClaim, PayableKind};
use crate::error::FieldError;

/// What refuses a submission's claims: a key used twice, another currency than the shop's, a
/// receipt that is not one of the submission's attachments.
pub fn check_claims(
    claims: &[ExpenseClaim],
    shop_currency: &str,
    attachment_ids: &HashSet<String>,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut keys = HashSet::new();
    for (i, claim) in claims.iter().enumerate() {
        if !keys.insert(claim.key.as_str()) {
            errors.push(FieldError::new(
                format!("expenses[{i}].key"),
                format!("the key {:?} is used by an earlier expense", claim.key),
            ));
        }
        if claim.currency != shop_currency {
            errors.push(FieldError::new(
                format!("expenses[{i}].currency"),
                format!("expenses are paid in the shop's currency, {shop_currency}"),
            ));
        }
        if let Some(receipt) = claim.receipt_attachment_id {
            if !attachment_ids.contains(&receipt.to_string()) {
                errors.push(FieldError::new(
                    format!("expenses[{i}].receipt_attachment_id"),
                    "not an attachment of this submission (upload the receipt first)",
                ));
            }
        }
    }
    errors
}

/// The sum of the claims, and whether it is over the shop's cap (a flag, never a refusal: the
/// reviewer decides).
pub fn claimed_over_cap(claims: &[ExpenseClaim], cap_minor: i64) -> Option<i64> {
    let total: i64 = claims.iter().map(|c| c.amount_minor).sum();
    (total > cap_minor).then_some(total)
}

/// A claim line as the decision sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Claimed<'a> {
    pub key: &'a str,
    pub amount_minor: i64,
}

/// A settled line.
#[derive(Debug, Clone, PartialEq)]
pub struct Settled {
    pub key: String,
    pub approved_minor: i64,
    pub note: Option<String>,
}

impl Settled {
    pub fn approved(&self) -> bool {
        self.approved_minor > 0
    }
}

/// Settles every claim with the approval: a line not named is approved as claimed; refusing or
/// paying less needs a note; the approved total may not exceed the cap. 422 lists every problem.
pub fn settle(
    claims: &[Claimed],
    decisions: &Decisions,
    cap_minor: i64,
) -> Result<Vec<Settled>, Vec<FieldError>> {
    let mut errors = Vec::new();
    for key in decisions.keys() {
        if !claims.iter().any(|c| c.key == key) {
            errors.push(FieldError::new(
                format!("reimbursements.{key}"),
                "the submission claims no expense with this key",
            ));
        }
    }
    let mut settled = Vec::new();
    for claim in claims {
        let field = format!("reimbursements.{}", claim.key);
        let note = decisions
            .get(claim.key)
            .and_then(|d| d.note.as_deref())
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_string);
        let approved_minor = match decisions.get(claim.key) {
            None => claim.amount_minor,
            Some(d) => match d.decision {
                Decision::Refused => {
                    if d.amount_minor.is_some_and(|a| a > 0) {
                        errors.push(FieldError::new(
                            field.clone(),
                            "a refused line pays nothing; leave amount_minor out",
                        ));
                    }
                    0
                }
                Decision::Approved => {
                    let amount = d.amount_minor.unwrap_or(claim.amount_minor);
                    if amount > claim.amount_minor {
                        errors.push(FieldError::new(
                            field.clone(),
                            format!("at most the claim, {}", claim.amount_minor),
                        ));
                    } else if amount == 0 {
                        errors.push(FieldError::new(
                            field.clone(),
                            "approving nothing is refusing: say `refused`",
                        ));
                    }
                    amount
                }
            },
        };
        if approved_minor < claim.amount_minor && note.is_none() {
            errors.push(FieldError::new(
                field,
                "say why the line is refused or reduced (note)",
            ));
        }
        settled.push(Settled {
            key: claim.key.to_string(),
            approved_minor,
            note,
        });
    }
    let total: i64 = settled.iter().map(|s| s.approved_minor).sum();
    if total > cap_minor {
        errors.push(FieldError::new(
            "reimbursements",
            format!(
                "the approved expenses total {total}, over the shop's cap of {cap_minor}: refuse or reduce lines"
            ),
        ));
    }
    if errors.is_empty() {
        Ok(settled)
    } else {
        Err(errors)
    }
}

/// A payable line of a shop rejected after its approval.
#[derive(Debug, Clone, PartialEq)]
pub struct OwedLine<'a> {
    pub id: &'a str,
    pub kind: PayableKind,
    pub amount_minor: i64,
    /// Its batch's status, when it is in one.
    pub batch: Option<BatchStatus>,
    /// Already voided, or already clawed back.
    pub settled: bool,
}

/// What a late rejection does: lines not yet paid drop out (voided, leaving any open batch);
/// paid lines are taken back by a negative line in the next batch. Nothing is done twice.
#[derive(Debug, Default, PartialEq)]
pub struct LateRejection {
    pub void: Vec<String>,
    /// (the paid line, the amount to take back: its negation)
    pub claw_back: Vec<(String, i64)>,
}

pub fn after_late_rejection(lines: &[OwedLine]) -> LateRejection {
    let mut plan = LateRejection::default();
    for line in lines {
        if line.settled || line.kind == PayableKind::Clawback {
            continue;
        }
        match line.batch {
            Some(BatchStatus::Paid) => plan
                .claw_back
                .push((line.id.to_string(), -line.amount_minor)),
            _ => plan.void.push(line.id.to_string()),
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payments::dto::{ExpenseCategory, ReimbursementDecision};

    fn claim(key: &str, amount: i64, currency: &str) -> ExpenseClaim {
        ExpenseClaim {
            key: key.into(),
            category: ExpenseCategory::Meal,
            description: None,
            amount_minor: amount,
            currency: currency.into(),
            receipt_attachment_id: None,
        }
    }

    #[test]
    fn claims_are_in_the_shops_currency_with_their_own_receipts() {
        let receipt = uuid::Uuid::now_v7();
        let mut with_receipt = claim("meal", 1200, "EUR");
        with_receipt.receipt_attachment_id = Some(receipt);
        let known: HashSet<String> = [receipt.to_string()].into();
        assert!(check_claims(&[with_receipt.clone()], "EUR", &known).is_empty());
        let errors = check_claims(
            &[with_receipt.clone(), claim("meal", 5, "USD")],
            "EUR",
            &HashSet::new(),
        );
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "expenses[0].receipt_attachment_id",
                "expenses[1].key",
                "expenses[1].currency"
            ]
        );
        assert_eq!(
            claimed_over_cap(&[claim("a", 3000, "EUR"), claim("b", 2001, "EUR")], 5000),
            Some(5001)
        );
        assert_eq!(claimed_over_cap(&[claim("a", 5000, "EUR")], 5000), None);
    }

    fn decision(d: Decision, amount: Option<i64>, note: Option<&str>) -> ReimbursementDecision {
        ReimbursementDecision {
            decision: d,
            amount_minor: amount,
            note: note.map(str::to_string),
        }
    }

    #[test]
    fn unnamed_lines_are_approved_and_the_cap_holds() {
        let claims = [
            Claimed {
                key: "meal",
                amount_minor: 2500,
            },
            Claimed {
                key: "parking",
                amount_minor: 400,
            },
            Claimed {
                key: "gift",
                amount_minor: 3000,
            },
        ];
        let mut decisions = Decisions::new();
        decisions.insert(
            "gift".into(),
            decision(Decision::Refused, None, Some("not in the scenario")),
        );
        let settled = settle(&claims, &decisions, 5000).unwrap();
        assert_eq!(
            settled.iter().map(|s| s.approved_minor).collect::<Vec<_>>(),
            [2500, 400, 0]
        );
        assert!(!settled[2].approved());
        // Approving everything would be 5900, over the cap.
        let over = settle(&claims, &Decisions::new(), 5000).unwrap_err();
        assert_eq!(over[0].field, "reimbursements");
        assert!(over[0].message.contains("5900"), "{}", over[0].message);
        // Paying part of a line brings it under.
        decisions.insert(
            "gift".into(),
            decision(Decision::Approved, Some(2100), Some("the cap")),
        );
        assert_eq!(
            settle(&claims, &decisions, 5000).unwrap()[2].approved_minor,
            2100
        );
    }

    #[test]
    fn refusing_or_reducing_needs_a_reason_and_sense() {
        let claims = [Claimed {
            key: "meal",
            amount_minor: 2500,
        }];
        let no_note = Decisions::from([(
            "meal".to_string(),
            decision(Decision::Refused, None, Some("  ")),
        )]);
        assert_eq!(
            settle(&claims, &no_note, 5000).unwrap_err()[0].field,
            "reimbursements.meal"
        );
        let too_much = Decisions::from([(
            "meal".to_string(),
            decision(Decision::Approved, Some(2600), None),
        )]);
        assert!(settle(&claims, &too_much, 5000).unwrap_err()[0]
            .message
            .contains("at most"));
        let unknown = Decisions::from([(
            "taxi".to_string(),
            decision(Decision::Refused, None, Some("no")),
        )]);
        assert_eq!(
            settle(&claims, &unknown, 5000).unwrap_err()[0].field,
            "reimbursements.taxi"
        );
        let zero = Decisions::from([(
            "meal".to_string(),
            decision(Decision::Approved, Some(0), Some("x")),
        )]);
        assert!(settle(&claims, &zero, 5000).is_err());
    }

    #[test]
    fn a_late_rejection_voids_what_is_unpaid_and_claws_back_what_is_paid() {
        let lines = [
            OwedLine {
                id: "fee",
                kind: PayableKind::Fee,
                amount_minor: 4500,
                batch: Some(BatchStatus::Paid),
                settled: false,
            },
            OwedLine {
                id: "meal",
                kind: PayableKind::Reimbursement,
                amount_minor: 1200,
                batch: Some(BatchStatus::Open),
                settled: false,
            },
            OwedLine {
                id: "park",
                kind: PayableKind::Reimbursement,
                amount_minor: 300,
                batch: None,
                settled: false,
            },
            OwedLine {
                id: "old",
                kind: PayableKind::Fee,
                amount_minor: 10,
                batch: Some(BatchStatus::Paid),
                settled: true,
            },
            OwedLine {
                id: "back",
                kind: PayableKind::Clawback,
                amount_minor: -10,
                batch: None,
                settled: false,
            },
        ];
        assert_eq!(
            after_late_rejection(&lines),
            LateRejection {
                void: vec!["meal".into(), "park".into()],
                claw_back: vec![("fee".into(), -4500)],
            }
        );
    }
}

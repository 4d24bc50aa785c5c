//! The rules of service recovery (PRODUCT.md section 9), free of HTTP and SQL: the state machine
//! of a corrective action, when it is overdue, how its verifying re-shops decide it, and its
//! effect (after minus before, with the Newcombe hybrid-score interval).

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::reports::rules::wilson;

/// Where a corrective action stands. Named `ActionStatus` in the contract: the assignments'
/// `Status` has the name, and two schemas of one name would silently become one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = ActionStatus)]
pub enum Status {
    Open,
    InProgress,
    /// Marked done; its verifying re-shops are planned and not all approved yet.
    AwaitingVerification,
    /// The re-shops delivered the standard at or above its target. Final.
    Verified,
    /// They did not; the action may go back to `in_progress` (or be cancelled).
    NotVerified,
    /// Called off. Final.
    Cancelled,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::Open,
        Status::InProgress,
        Status::AwaitingVerification,
        Status::Verified,
        Status::NotVerified,
        Status::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::InProgress => "in_progress",
            Status::AwaitingVerification => "awaiting_verification",
            Status::Verified => "verified",
            Status::NotVerified => "not_verified",
            Status::Cancelled => "cancelled",
        }
    }

    /// Still being worked on: counts as the location's open action (scorecard, gap report,
    /// suggestions). A `not_verified` action is open: the gap it addressed is not closed.
    pub fn is_open(self) -> bool {
        !matches!(self, Status::Verified | Status::Cancelled)
    }

    /// Its owner still has work to do before the due date (`overdue` applies).
    pub fn is_pending_work(self) -> bool {
        matches!(
            self,
            Status::Open | Status::InProgress | Status::NotVerified
        )
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Status {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Status::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| format!("unknown corrective action status {s:?}"))
    }
}

/// What kind of remedy an action is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Training,
    Coaching,
    Process,
    Staffing,
    Other,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::Training,
        Kind::Coaching,
        Kind::Process,
        Kind::Staffing,
        Kind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Training => "training",
            Kind::Coaching => "coaching",
            Kind::Process => "process",
            Kind::Staffing => "staffing",
            Kind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Something that moves a corrective action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    /// Its owner starts the work.
    Start,
    /// The work is done: verifying re-shops are planned.
    Done,
    /// The last re-shop of the round was approved; `passed` is the verdict.
    Decide {
        passed: bool,
    },
    /// A `not_verified` action goes back to work.
    Reopen,
    Cancel,
}

impl Move {
    pub fn name(self) -> &'static str {
        match self {
            Move::Start => "start",
            Move::Done => "mark done",
            Move::Decide { .. } => "verify",
            Move::Reopen => "reopen",
            Move::Cancel => "cancel",
        }
    }
}

/// Refused: the move does not apply in the current state (answered 409 with the state).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IllegalMove {
    pub from: Status,
    pub attempted: Move,
}

impl fmt::Display for IllegalMove {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot {} a corrective action that is {}",
            self.attempted.name(),
            self.from
        )
    }
}

/// The state after `attempted`, or why not. `cancelled` is reachable from every state before a
/// final verdict; `not_verified` is no final verdict (it goes back to work).
pub fn transition(from: Status, attempted: Move) -> Result<Status, IllegalMove> {
    use Move as M;
    use Status as S;
    let to = match (from, attempted) {
        (S::Open, M::Start) => S::InProgress,
        (S::InProgress, M::Done) => S::AwaitingVerification,
        (S::AwaitingVerification, M::Decide { passed: true }) => S::Verified,
        (S::AwaitingVerification, M::Decide { passed: false }) => S::NotVerified,
        (S::NotVerified, M::Reopen) => S::InProgress,
        (S::Open | S::InProgress | S::AwaitingVerification | S::NotVerified, M::Cancel) => {
            S::Cancelled
        }
        _ => return Err(IllegalMove { from, attempted }),
    };
    Ok(to)
}

/// Whether its plan, owner and due date may still be edited.
pub fn editable(status: Status) -> bool {
    status.is_pending_work()
}

/// Past its due date with the owner's work not done: shown, never stored.
pub fn overdue(status: Status, due: NaiveDate, today: NaiveDate) -> bool {
    status.is_pending_work() && today > due
}

/// The verdict of a round of re-shops: `verified` when the mean compliance on the standard over
/// the approved re-shops that observed it reaches the target. A round in which no re-shop
/// observed the standard verifies nothing: `not_verified`, with no mean.
pub fn verdict(compliances: &[Option<f64>], target: f64) -> (bool, Option<f64>) {
    let observed: Vec<f64> = compliances.iter().flatten().copied().collect();
    if observed.is_empty() {
        return (false, None);
    }
    let mean = observed.iter().sum::<f64>() / observed.len() as f64;
    (mean >= target - 1e-12, Some(mean))
}

/// Delivered over a window: a mean of per-visit compliance with its Wilson interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct Delivered {
    /// Approved visits that observed the standard.
    pub n: i64,
    /// Their mean compliance, 0 to 1 (absent with no visits).
    pub delivered: Option<f64>,
    /// 95 % Wilson interval.
    pub ci_low: f64,
    pub ci_high: f64,
}

impl Delivered {
    pub fn of(n: i64, mean: f64) -> Self {
        if n <= 0 {
            return Delivered {
                n: 0,
                delivered: None,
                ci_low: 0.0,
                ci_high: 1.0,
            };
        }
        let (ci_low, ci_high) = wilson(mean, n);
        Delivered {
            n,
            delivered: Some(mean),
            ci_low,
            ci_high,
        }
    }
}

/// After minus before, with its 95 % interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Difference {
    pub difference: f64,
    pub ci_low: f64,
    pub ci_high: f64,
}

impl Difference {
    /// The whole interval lies above 0: the action made a difference, not noise.
    pub fn improved(&self) -> bool {
        self.ci_low > 0.0
    }
}

/// Newcombe's hybrid score interval (his method 10) for `after − before`, from the two
/// proportions and their Wilson intervals: δ − √((p₂−l₂)² + (u₁−p₁)²) to
/// δ + √((u₂−p₂)² + (p₁−l₁)²). None unless both windows have visits.
pub fn newcombe(before: Delivered, after: Delivered) -> Option<Difference> {
    let (p1, p2) = (before.delivered?, after.delivered?);
    let (l1, u1, l2, u2) = (before.ci_low, before.ci_high, after.ci_low, after.ci_high);
    let difference = p2 - p1;
    Some(Difference {
        difference,
        ci_low: difference - ((p2 - l2).powi(2) + (u1 - p1).powi(2)).sqrt(),
        ci_high: difference + ((u2 - p2).powi(2) + (p1 - l1).powi(2)).sqrt(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_moves() -> Vec<Move> {
        vec![
            Move::Start,
            Move::Done,
            Move::Decide { passed: true },
            Move::Decide { passed: false },
            Move::Reopen,
            Move::Cancel,
        ]
    }

    #[test]
    fn every_legal_and_illegal_move() {
        use Move as M;
        use Status as S;
        let legal: Vec<(Status, Move, Status)> = vec![
            (S::Open, M::Start, S::InProgress),
            (S::Open, M::Cancel, S::Cancelled),
            (S::InProgress, M::Done, S::AwaitingVerification),
            (S::InProgress, M::Cancel, S::Cancelled),
            (
                S::AwaitingVerification,
                M::Decide { passed: true },
                S::Verified,
            ),
            (
                S::AwaitingVerification,
                M::Decide { passed: false },
                S::NotVerified,
            ),
            (S::AwaitingVerification, M::Cancel, S::Cancelled),
            (S::NotVerified, M::Reopen, S::InProgress),
            (S::NotVerified, M::Cancel, S::Cancelled),
        ];
        let mut checked = 0;
        for from in Status::ALL {
            for m in all_moves() {
                let expected = legal
                    .iter()
                    .find(|(f, mv, _)| *f == from && *mv == m)
                    .map(|(_, _, to)| *to);
                match (transition(from, m), expected) {
                    (Ok(to), Some(want)) => assert_eq!(to, want, "{from} {m:?}"),
                    (Err(e), None) => {
                        assert_eq!(e.from, from);
                        assert!(e.to_string().contains(from.as_str()), "{e}");
                    }
                    (got, want) => panic!("{from} {m:?}: got {got:?}, expected {want:?}"),
                }
                checked += 1;
            }
        }
        assert_eq!(checked, 36);
        // Verified and cancelled are final.
        for m in all_moves() {
            assert!(transition(S::Verified, m).is_err());
            assert!(transition(S::Cancelled, m).is_err());
        }
    }

    #[test]
    fn statuses_round_trip_and_open_means_not_closed() {
        for s in Status::ALL {
            assert_eq!(s.as_str().parse::<Status>().unwrap(), s);
        }
        assert!("done".parse::<Status>().is_err());
        let open: Vec<Status> = Status::ALL.into_iter().filter(|s| s.is_open()).collect();
        assert_eq!(
            open,
            [
                Status::Open,
                Status::InProgress,
                Status::AwaitingVerification,
                Status::NotVerified
            ]
        );
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Some(k));
        }
    }

    #[test]
    fn overdue_is_past_the_due_date_with_work_left() {
        let due = NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
        let on = due;
        let after = due.succ_opt().unwrap();
        assert!(!overdue(Status::Open, due, on));
        assert!(overdue(Status::Open, due, after));
        assert!(overdue(Status::InProgress, due, after));
        assert!(overdue(Status::NotVerified, due, after));
        // Done (waiting for the re-shop) or closed: nothing left for the owner.
        assert!(!overdue(Status::AwaitingVerification, due, after));
        assert!(!overdue(Status::Verified, due, after));
        assert!(!overdue(Status::Cancelled, due, after));
    }

    #[test]
    fn the_verdict_is_the_mean_over_observing_reshops_against_the_target() {
        assert_eq!(verdict(&[Some(1.0)], 0.9), (true, Some(1.0)));
        assert_eq!(verdict(&[Some(0.5)], 0.9), (false, Some(0.5)));
        // (1 + 0.8) / 2 = 0.9: at the target is verified.
        let (passed, mean) = verdict(&[Some(1.0), Some(0.8)], 0.9);
        assert!(passed);
        assert!((mean.unwrap() - 0.9).abs() < 1e-12);
        // A re-shop that did not observe the standard does not count.
        assert_eq!(verdict(&[Some(1.0), None], 0.9), (true, Some(1.0)));
        assert_eq!(verdict(&[None], 0.9), (false, None));
        assert_eq!(verdict(&[], 0.9), (false, None));
    }

    #[test]
    fn newcombe_matches_a_hand_worked_case() {
        // Before: 2 of 10 compliant (p1 = 0.2); after: 9 of 10 (p2 = 0.9).
        let before = Delivered::of(10, 0.2);
        let after = Delivered::of(10, 0.9);
        // Wilson 95 %: 0.2 over 10 → (0.05668, 0.50983); 0.9 over 10 → (0.59585, 0.98212).
        assert!((before.ci_low - 0.056_68).abs() < 1e-4, "{before:?}");
        assert!((before.ci_high - 0.509_84).abs() < 1e-4, "{before:?}");
        assert!((after.ci_low - 0.595_85).abs() < 1e-4, "{after:?}");
        assert!((after.ci_high - 0.982_12).abs() < 1e-4, "{after:?}");
        let d = newcombe(before, after).unwrap();
        // δ = 0.7; low = 0.7 − √(0.30415² + 0.30984²) = 0.26582;
        // high = 0.7 + √(0.08212² + 0.14332²) = 0.86518.
        assert!((d.difference - 0.7).abs() < 1e-12);
        assert!((d.ci_low - 0.265_82).abs() < 1e-4, "{d:?}");
        assert!((d.ci_high - 0.865_18).abs() < 1e-4, "{d:?}");
        assert!(d.improved());
        // The same proportion before and after: the interval straddles 0.
        let same = newcombe(Delivered::of(10, 0.5), Delivered::of(10, 0.5)).unwrap();
        assert!(same.ci_low < 0.0 && same.ci_high > 0.0 && !same.improved());
        // No visits after: no effect yet.
        assert!(newcombe(before, Delivered::of(0, 0.0)).is_none());
    }
}

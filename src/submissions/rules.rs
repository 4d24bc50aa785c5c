//! Pure rules of a submission (PRODUCT.md sections 4 and 5): checking the answers against the
//! pinned checklist version, the visit against the assignment's window, and the flags that mark
//! doubtful but possibly honest data for the reviewer (flags never reject: a shopper's work is
//! never thrown away).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDateTime, TimeDelta};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::checklists::dto::{ChecklistContent, EvidenceKind, ItemType};
use crate::contract::types::AnswerValue;
use crate::error::FieldError;
use crate::scoring::rules::Answer;

/// A shopper's answer to one item: a value, or `na: true` (not applicable / not observed).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerInput {
    /// `true`/`false` for yes/no, a number for scale and number, an option value for choice,
    /// text, or an RFC 3339 time for datetime; absent for evidence items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<AnswerValue>)]
    pub value: Option<Value>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub na: bool,
    /// At most 10,000 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 10000)]
    pub comment: Option<String>,
}

/// Every problem of `answers` against `checklist`, with `evidence` the kinds of the attachments
/// linked to each item key. Empty when the submission may be final.
pub fn validate_answers(
    checklist: &ChecklistContent,
    answers: &BTreeMap<String, AnswerInput>,
    evidence: &HashMap<String, Vec<EvidenceKind>>,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let keys: HashMap<&str, ()> = checklist
        .items()
        .map(|(_, i)| (i.key.as_str(), ()))
        .collect();
    for key in answers.keys() {
        if !keys.contains_key(key.as_str()) {
            errors.push(FieldError::new(
                format!("answers.{key}"),
                "no item of the checklist has this key",
            ));
        }
    }
    for (_, item) in checklist.items() {
        let at = format!("answers.{}", item.key);
        let answer = answers.get(&item.key);
        if item.item_type == ItemType::Evidence {
            let o = &item.options;
            let accepted = o.evidence_kinds.as_deref().unwrap_or_default();
            let have = evidence.get(&item.key).map_or(0, |kinds| {
                kinds.iter().filter(|k| accepted.contains(k)).count()
            });
            let na = answer.is_some_and(|a| a.na);
            if na && !item.allow_na {
                errors.push(FieldError::new(
                    at.clone(),
                    "N/A is not allowed for this item",
                ));
            }
            let needed = o.min_count.unwrap_or(1) as usize;
            if item.required && !na && have < needed {
                errors.push(FieldError::new(
                    at,
                    format!("needs {needed} attachment(s) of kinds {accepted:?}; {have} attached"),
                ));
            }
            continue;
        }
        let Some(answer) = answer else {
            if item.required {
                errors.push(FieldError::new(
                    at,
                    "this item must be answered (or marked N/A where allowed)",
                ));
            }
            continue;
        };
        match (answer.na, &answer.value) {
            (true, Some(_)) => errors.push(FieldError::new(at, "give a value or N/A, not both")),
            (true, None) if !item.allow_na => {
                errors.push(FieldError::new(at, "N/A is not allowed for this item"))
            }
            (true, None) => {}
            (false, None) | (false, Some(Value::Null)) => {
                if item.required {
                    errors.push(FieldError::new(
                        at,
                        "this item must be answered (or marked N/A where allowed)",
                    ));
                }
            }
            (false, Some(value)) => {
                if let Some(problem) = value_problem(item, value) {
                    errors.push(FieldError::new(format!("{at}.value"), problem));
                }
            }
        }
    }
    errors
}

fn value_problem(item: &crate::checklists::dto::Item, value: &Value) -> Option<String> {
    let o = &item.options;
    match item.item_type {
        ItemType::YesNo => (!value.is_boolean()).then(|| "must be true or false".into()),
        // A scale is a rating in whole steps from its minimum (1, 2, … 5): the app offers those
        // points, so 2.5 is a client fault, not an opinion.
        ItemType::Scale => match (value.as_f64(), o.min, o.max) {
            (Some(v), Some(min), Some(max))
                if (min..=max).contains(&v) && (v - min).fract() == 0.0 =>
            {
                None
            }
            (Some(_), Some(min), Some(max)) => {
                Some(format!("must be a whole step between {min} and {max}"))
            }
            _ => Some("must be a number".into()),
        },
        ItemType::Number => match value.as_f64() {
            Some(v) if v.is_finite() => None,
            _ => Some("must be a number".into()),
        },
        ItemType::Choice => {
            let options = o.choices.as_deref().unwrap_or_default();
            match value.as_str() {
                Some(v) if options.iter().any(|c| c.value == v) => None,
                _ => Some(format!(
                    "must be one of {:?}",
                    options.iter().map(|c| c.value.as_str()).collect::<Vec<_>>()
                )),
            }
        }
        // Its length is the contract's (`AnswerText`).
        ItemType::Text => (!value.is_string()).then(|| "must be text".into()),
        ItemType::Datetime => match value.as_str().map(DateTime::parse_from_rfc3339) {
            Some(Ok(_)) => None,
            _ => Some("must be an RFC 3339 date and time".into()),
        },
        ItemType::Evidence => Some("evidence is attached, not answered".into()),
    }
}

/// The answers as the scoring rules read them.
pub fn to_scoring(answers: &BTreeMap<String, AnswerInput>) -> HashMap<String, Answer> {
    answers
        .iter()
        .filter_map(|(key, a)| match (a.na, &a.value) {
            (true, _) => Some((key.clone(), Answer::NotApplicable)),
            (false, Some(v)) if !v.is_null() => Some((key.clone(), Answer::Value(v.clone()))),
            _ => None,
        })
        .collect()
}

/// The visit must end after it starts and lie inside the assignment's window.
pub fn check_visit(
    start: NaiveDateTime,
    end: NaiveDateTime,
    window_start: NaiveDateTime,
    window_end: NaiveDateTime,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if end < start {
        errors.push(FieldError::new(
            "visit_end",
            "must not be before visit_start",
        ));
    }
    if start < window_start || start > window_end {
        errors.push(FieldError::new(
            "visit_start",
            "must be inside the assignment's window",
        ));
    }
    if end > window_end || end < window_start {
        errors.push(FieldError::new(
            "visit_end",
            "must be inside the assignment's window",
        ));
    }
    errors
}

/// Doubtful but possibly honest: shown to the reviewer, never a reason to refuse. `kind`
/// tells which; each kind is a schema of its own (a discriminated union, so generated clients
/// read each as its own type).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
#[schema(discriminator(property_name = "kind", mapping(
    ("outside_geofence" = "#/components/schemas/OutsideGeofence"),
    ("clock_skew" = "#/components/schemas/ClockSkew"),
    ("short_visit" = "#/components/schemas/ShortVisit"),
    ("identical_to_previous" = "#/components/schemas/IdenticalToPrevious"),
    ("expenses_over_cap" = "#/components/schemas/ExpensesOverCap"),
    ("expense_without_receipt" = "#/components/schemas/ExpenseWithoutReceipt"),
    ("reused_photo" = "#/components/schemas/ReusedPhoto"),
    ("photo_time" = "#/components/schemas/PhotoTime"),
)))]
pub enum Flag {
    OutsideGeofence(OutsideGeofence),
    ClockSkew(ClockSkew),
    ShortVisit(ShortVisit),
    IdenticalToPrevious(IdenticalToPrevious),
    ExpensesOverCap(ExpensesOverCap),
    ExpenseWithoutReceipt(ExpenseWithoutReceipt),
    ReusedPhoto(ReusedPhoto),
    PhotoTime(PhotoTime),
}

impl Flag {
    /// Flags found by the photo worker, which it may replace later (the others are found once,
    /// when the work is submitted).
    pub fn is_photo(&self) -> bool {
        matches!(self, Flag::ReusedPhoto(_) | Flag::PhotoTime(_))
    }
}

/// Every flag's `kind`, for filtering the review queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FlagKind {
    OutsideGeofence,
    ClockSkew,
    ShortVisit,
    IdenticalToPrevious,
    ExpensesOverCap,
    ExpenseWithoutReceipt,
    ReusedPhoto,
    PhotoTime,
}

impl FlagKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FlagKind::OutsideGeofence => "outside_geofence",
            FlagKind::ClockSkew => "clock_skew",
            FlagKind::ShortVisit => "short_visit",
            FlagKind::IdenticalToPrevious => "identical_to_previous",
            FlagKind::ExpensesOverCap => "expenses_over_cap",
            FlagKind::ExpenseWithoutReceipt => "expense_without_receipt",
            FlagKind::ReusedPhoto => "reused_photo",
            FlagKind::PhotoTime => "photo_time",
        }
    }
}

/// A flag's `kind`: one value per flag, so a stored flag reads back as exactly its variant.
macro_rules! flag_kind {
    ($kind:ident, $value:literal) => {
        #[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, ToSchema)]
        pub enum $kind {
            #[default]
            #[serde(rename = $value)]
            #[schema(rename = $value)]
            Kind,
        }
    };
}

flag_kind!(OutsideGeofenceKind, "outside_geofence");
flag_kind!(ClockSkewKind, "clock_skew");
flag_kind!(ShortVisitKind, "short_visit");
flag_kind!(IdenticalToPreviousKind, "identical_to_previous");
flag_kind!(ExpensesOverCapKind, "expenses_over_cap");
flag_kind!(ExpenseWithoutReceiptKind, "expense_without_receipt");
flag_kind!(ReusedPhotoKind, "reused_photo");
flag_kind!(PhotoTimeKind, "photo_time");

/// `reused_photo`: a photo of this submission is (nearly) the same image as one in another
/// submission of the organization: its perceptual hash lies within the configured Hamming
/// distance. Both submissions carry the flag, each naming the other.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ReusedPhoto {
    pub kind: ReusedPhotoKind,
    /// This submission's photo.
    #[schema(value_type = uuid::Uuid)]
    pub attachment_id: String,
    /// The submission holding the matching photo.
    #[schema(value_type = uuid::Uuid)]
    pub other_submission_id: String,
    #[schema(value_type = uuid::Uuid)]
    pub other_attachment_id: String,
    /// Bits in which the two 64-bit hashes differ (0: the same picture).
    pub distance: i32,
}

/// `photo_time`: a photo's embedded capture time lies outside the visit, beyond the tolerance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PhotoTime {
    pub kind: PhotoTimeKind,
    #[schema(value_type = uuid::Uuid)]
    pub attachment_id: String,
    pub captured_at: chrono::DateTime<chrono::Utc>,
    pub visit_start: chrono::DateTime<chrono::Utc>,
    pub visit_end: chrono::DateTime<chrono::Utc>,
    pub tolerance_minutes: i64,
}

/// `expenses_over_cap`: the claimed expenses add up to more than the shop's cap; the reviewer
/// refuses or reduces lines when approving.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ExpensesOverCap {
    pub kind: ExpensesOverCapKind,
    pub claimed_minor: i64,
    pub cap_minor: i64,
    pub currency: String,
}

/// `expense_without_receipt`: an expense line came without a receipt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ExpenseWithoutReceipt {
    pub kind: ExpenseWithoutReceiptKind,
    pub expense_key: String,
}

/// `outside_geofence`: the check-in or visit position was farther from the location than its
/// geofence radius.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OutsideGeofence {
    pub kind: OutsideGeofenceKind,
    /// Metres from the location.
    pub distance_m: f64,
    pub radius_m: i32,
}

/// `clock_skew`: the phone's clock differed from the server's by this many seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ClockSkew {
    pub kind: ClockSkewKind,
    pub seconds: i64,
}

/// `short_visit`: the visit lasted less than the configured minimum.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ShortVisit {
    pub kind: ShortVisitKind,
    pub minutes: i64,
    pub minimum_minutes: i64,
}

/// `identical_to_previous`: every answer equals the same shopper's previous shop on this
/// checklist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct IdenticalToPrevious {
    pub kind: IdenticalToPreviousKind,
    #[schema(value_type = uuid::Uuid)]
    pub previous_submission_id: String,
}

/// What the flags look at.
#[derive(Debug, Clone)]
pub struct FlagFacts<'a> {
    /// Distance of the check-in or visit position from the location, if one was given.
    pub distance_m: Option<f64>,
    pub geofence_radius_m: i32,
    /// Server receipt time minus the phone's time at sending.
    pub clock_skew: Option<TimeDelta>,
    pub max_clock_skew: TimeDelta,
    pub visit_length: TimeDelta,
    pub min_visit: TimeDelta,
    pub answers: &'a BTreeMap<String, AnswerInput>,
    /// The shopper's previous submission on the same checklist: its id and answers.
    pub previous: Option<(&'a str, &'a BTreeMap<String, AnswerInput>)>,
}

pub fn flags(f: &FlagFacts) -> Vec<Flag> {
    let mut flags = Vec::new();
    if let Some(distance) = f.distance_m {
        if distance > f64::from(f.geofence_radius_m) {
            flags.push(Flag::OutsideGeofence(OutsideGeofence {
                kind: Default::default(),
                distance_m: distance.round(),
                radius_m: f.geofence_radius_m,
            }));
        }
    }
    if let Some(skew) = f.clock_skew {
        if skew.abs() > f.max_clock_skew {
            flags.push(Flag::ClockSkew(ClockSkew {
                kind: Default::default(),
                seconds: skew.num_seconds(),
            }));
        }
    }
    if f.visit_length < f.min_visit {
        flags.push(Flag::ShortVisit(ShortVisit {
            kind: Default::default(),
            minutes: f.visit_length.num_minutes(),
            minimum_minutes: f.min_visit.num_minutes(),
        }));
    }
    if let Some((id, previous)) = f.previous {
        let values =
            |a: &BTreeMap<String, AnswerInput>| -> BTreeMap<String, (Option<Value>, bool)> {
                a.iter()
                    .map(|(k, v)| (k.clone(), (v.value.clone(), v.na)))
                    .collect()
            };
        if !f.answers.is_empty() && values(f.answers) == values(previous) {
            flags.push(Flag::IdenticalToPrevious(IdenticalToPrevious {
                kind: Default::default(),
                previous_submission_id: id.to_string(),
            }));
        }
    }
    flags
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checklists::dto::{ChoiceOption, Item, ItemOptions, Section};
    use serde_json::json;

    fn item(key: &str, item_type: ItemType, options: ItemOptions) -> Item {
        Item {
            translations: Default::default(),
            key: key.into(),
            prompt: key.into(),
            help: None,
            item_type,
            weight: 1.0,
            standard: None,
            required: true,
            allow_na: false,
            critical: false,
            options,
        }
    }

    fn checklist() -> ChecklistContent {
        let mut optional_note = item("note", ItemType::Text, ItemOptions::default());
        optional_note.required = false;
        let mut door = item("door", ItemType::YesNo, ItemOptions::default());
        door.allow_na = true;
        ChecklistContent {
            sections: vec![Section {
                title_translations: Default::default(),
                title: "A".into(),
                weight: None,
                items: vec![
                    item("greeted", ItemType::YesNo, ItemOptions::default()),
                    door,
                    item(
                        "friendly",
                        ItemType::Scale,
                        ItemOptions {
                            min: Some(1.0),
                            max: Some(5.0),
                            ..Default::default()
                        },
                    ),
                    item("seconds", ItemType::Number, ItemOptions::default()),
                    item(
                        "info",
                        ItemType::Choice,
                        ItemOptions {
                            choices: Some(vec![ChoiceOption {
                                value: "full".into(),
                                label: "Full".into(),
                                points: 1.0,
                            }]),
                            ..Default::default()
                        },
                    ),
                    item("left_at", ItemType::Datetime, ItemOptions::default()),
                    item(
                        "photo",
                        ItemType::Evidence,
                        ItemOptions {
                            evidence_kinds: Some(vec![EvidenceKind::Photo]),
                            min_count: Some(1),
                            ..Default::default()
                        },
                    ),
                    optional_note,
                ],
            }],
        }
    }

    fn answer(value: Value) -> AnswerInput {
        AnswerInput {
            value: Some(value),
            na: false,
            comment: None,
        }
    }

    fn good() -> BTreeMap<String, AnswerInput> {
        [
            ("greeted", answer(json!(true))),
            (
                "door",
                AnswerInput {
                    na: true,
                    ..Default::default()
                },
            ),
            ("friendly", answer(json!(4))),
            ("seconds", answer(json!(25.5))),
            ("info", answer(json!("full"))),
            ("left_at", answer(json!("2026-11-23T10:00:00Z"))),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    fn photo() -> HashMap<String, Vec<EvidenceKind>> {
        HashMap::from([("photo".to_string(), vec![EvidenceKind::Photo])])
    }

    #[test]
    fn a_complete_submission_passes_and_scores_what_it_says() {
        assert_eq!(validate_answers(&checklist(), &good(), &photo()), vec![]);
        let scoring = to_scoring(&good());
        assert_eq!(scoring["door"], Answer::NotApplicable);
        assert_eq!(scoring["greeted"], Answer::Value(json!(true)));
        assert!(!scoring.contains_key("note"));
    }

    #[test]
    fn every_offending_item_is_listed() {
        let mut bad = good();
        bad.remove("greeted");
        bad.insert("friendly".into(), answer(json!(9)));
        bad.insert("seconds".into(), answer(json!("fast")));
        bad.insert("info".into(), answer(json!("some")));
        bad.insert("left_at".into(), answer(json!("yesterday")));
        bad.insert(
            "door".into(),
            AnswerInput {
                value: Some(json!(true)),
                na: true,
                comment: None,
            },
        );
        bad.insert("ghost".into(), answer(json!(1)));
        let fields: Vec<String> = validate_answers(&checklist(), &bad, &HashMap::new())
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "answers.ghost",
                "answers.greeted",
                "answers.door",
                "answers.friendly.value",
                "answers.seconds.value",
                "answers.info.value",
                "answers.left_at.value",
                "answers.photo",
            ]
        );
    }

    #[test]
    fn scales_take_whole_steps_inside_their_bounds() {
        for (value, ok) in [
            (1.0, true),
            (5.0, true),
            (3.0, true),
            (2.5, false),
            (0.0, false),
            (6.0, false),
        ] {
            let mut answers = good();
            answers.insert("friendly".into(), answer(json!(value)));
            let errors = validate_answers(&checklist(), &answers, &photo());
            assert_eq!(errors.is_empty(), ok, "{value}: {errors:?}");
        }
    }

    #[test]
    fn na_only_where_allowed_and_evidence_of_accepted_kinds() {
        let mut na = good();
        na.insert(
            "greeted".into(),
            AnswerInput {
                na: true,
                ..Default::default()
            },
        );
        let errors = validate_answers(&checklist(), &na, &photo());
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "answers.greeted");
        let receipts = HashMap::from([("photo".to_string(), vec![EvidenceKind::Receipt])]);
        assert_eq!(
            validate_answers(&checklist(), &good(), &receipts)[0].field,
            "answers.photo"
        );
    }

    #[test]
    fn visits_must_fit_the_window() {
        let t = |h: i64| {
            DateTime::from_timestamp(1_800_000_000 + h * 3600, 0)
                .unwrap()
                .naive_utc()
        };
        assert!(check_visit(t(1), t(2), t(0), t(10)).is_empty());
        let fields: Vec<String> = check_visit(t(3), t(2), t(0), t(10))
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["visit_end"]);
        let fields: Vec<String> = check_visit(t(-1), t(11), t(0), t(10))
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["visit_start", "visit_end"]);
    }

    #[test]
    fn each_flag_and_none() {
        let answers = good();
        let previous = good();
        let facts = FlagFacts {
            distance_m: Some(80.0),
            geofence_radius_m: 150,
            clock_skew: Some(TimeDelta::seconds(30)),
            max_clock_skew: TimeDelta::minutes(10),
            visit_length: TimeDelta::minutes(20),
            min_visit: TimeDelta::minutes(5),
            answers: &answers,
            previous: None,
        };
        assert!(flags(&facts).is_empty());
        let all = FlagFacts {
            distance_m: Some(1200.4),
            clock_skew: Some(TimeDelta::minutes(-45)),
            visit_length: TimeDelta::minutes(2),
            previous: Some(("prev", &previous)),
            ..facts.clone()
        };
        assert_eq!(
            flags(&all),
            [
                Flag::OutsideGeofence(OutsideGeofence {
                    kind: Default::default(),
                    distance_m: 1200.0,
                    radius_m: 150
                }),
                Flag::ClockSkew(ClockSkew {
                    kind: Default::default(),
                    seconds: -2700
                }),
                Flag::ShortVisit(ShortVisit {
                    kind: Default::default(),
                    minutes: 2,
                    minimum_minutes: 5
                }),
                Flag::IdenticalToPrevious(IdenticalToPrevious {
                    kind: Default::default(),
                    previous_submission_id: "prev".into()
                }),
            ]
        );
        let mut different = good();
        different.insert("greeted".into(), answer(json!(false)));
        let other = FlagFacts {
            previous: Some(("prev", &different)),
            ..facts
        };
        assert!(flags(&other).is_empty());
    }
}

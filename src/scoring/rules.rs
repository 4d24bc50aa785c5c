//! Item and visit scores, exactly as PRODUCT.md section 5 defines them. Pure functions over a
//! checklist version, its standards book and a set of answers: no HTTP, no SQL.
//!
//! - item score `s` in [0, 1] or N/A; `yes_no` compliant = 1, `scale` (v-min)/(max-min),
//!   `number` 1 when it meets the target, `choice` points / highest points; `text`, `datetime`,
//!   `evidence` are unscored; N/A leaves the item out of numerator and denominator;
//! - `w` = section weight × item weight; visit raw score = 100 × Σw·s / Σw over scored, answered,
//!   non-N/A items; a critical item with s < 1 sets `critical_failure` and the visit score is 0;
//! - compliance on a standard (and on a SERVQUAL dimension) = Σw·s / Σw over its items.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::checklists::dto::{ChecklistContent, Comparator, Item, ItemType};
use crate::standards::dto::{BookContent, Dimension};

/// A shopper's answer to one item.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// Not applicable / not observed (only where the item allows it).
    NotApplicable,
    Value(Value),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ItemOutcome {
    Score(f64),
    NotApplicable,
    /// A type that is not scored (text, datetime, evidence).
    Unscored,
    /// No answer, or one that does not fit the item (validation reports those).
    Unanswered,
}

/// The score of one item under one answer.
pub fn item_score(item: &Item, answer: Option<&Answer>) -> ItemOutcome {
    if !item.item_type.is_scored() {
        return ItemOutcome::Unscored;
    }
    let value = match answer {
        None => return ItemOutcome::Unanswered,
        Some(Answer::NotApplicable) => return ItemOutcome::NotApplicable,
        Some(Answer::Value(v)) => v,
    };
    let o = &item.options;
    let score = match item.item_type {
        ItemType::YesNo => value.as_bool().map(|b| {
            if b == o.compliant_answer.unwrap_or(true) {
                1.0
            } else {
                0.0
            }
        }),
        ItemType::Scale => match (value.as_f64(), o.min, o.max) {
            (Some(v), Some(min), Some(max)) if max > min => {
                Some(((v - min) / (max - min)).clamp(0.0, 1.0))
            }
            _ => None,
        },
        ItemType::Number => match (value.as_f64(), o.comparator, o.target) {
            (Some(v), Some(Comparator::Lte), Some(t)) => Some(if v <= t { 1.0 } else { 0.0 }),
            (Some(v), Some(Comparator::Gte), Some(t)) => Some(if v >= t { 1.0 } else { 0.0 }),
            _ => None,
        },
        ItemType::Choice => {
            let choices = o.choices.as_deref().unwrap_or_default();
            let best = choices.iter().map(|c| c.points).fold(0.0, f64::max);
            value
                .as_str()
                .and_then(|chosen| choices.iter().find(|c| c.value == chosen))
                .filter(|_| best > 0.0)
                .map(|c| (c.points / best).clamp(0.0, 1.0))
        }
        ItemType::Text | ItemType::Datetime | ItemType::Evidence => None,
    };
    score.map_or(ItemOutcome::Unanswered, ItemOutcome::Score)
}

/// A weighted compliance figure: `value` = Σw·s / Σw, with the Σw and item count behind it, so
/// figures can be combined later without rescanning answers.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Compliance {
    /// 0 to 1.
    pub value: f64,
    /// Σw of the items observed.
    pub weight: f64,
    /// Items observed.
    pub items: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SectionScore {
    pub title: String,
    /// 0 to 100; absent when nothing in the section was scored.
    pub score: Option<f64>,
}

/// Every score of one visit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct VisitScore {
    /// 100 × Σw·s / Σw over scored, answered, non-N/A items; absent when there were none.
    pub raw_score: Option<f64>,
    /// The raw score, or 0 when a critical item failed.
    pub visit_score: Option<f64>,
    pub critical_failure: bool,
    pub sections: Vec<SectionScore>,
    /// Compliance per standard code observed in this visit.
    pub standards: BTreeMap<String, Compliance>,
    /// Compliance per SERVQUAL dimension observed in this visit.
    pub dimensions: BTreeMap<Dimension, Compliance>,
}

#[derive(Default, Clone, Copy)]
struct Sum {
    weighted: f64,
    weight: f64,
    items: u32,
}

impl Sum {
    fn add(&mut self, w: f64, s: f64) {
        self.weighted += w * s;
        self.weight += w;
        self.items += 1;
    }

    fn ratio(&self) -> Option<f64> {
        (self.weight > 0.0).then(|| (self.weighted / self.weight).clamp(0.0, 1.0))
    }

    fn compliance(&self) -> Option<Compliance> {
        self.ratio().map(|value| Compliance {
            value,
            weight: self.weight,
            items: self.items,
        })
    }
}

/// Scores a visit: `answers` by item key; items without an answer are left out.
pub fn score_visit(
    checklist: &ChecklistContent,
    book: &BookContent,
    answers: &HashMap<String, Answer>,
) -> VisitScore {
    let dimension_of: HashMap<&str, Dimension> = book
        .standards
        .iter()
        .map(|s| (s.code.as_str(), s.dimension))
        .collect();
    let mut total = Sum::default();
    let mut by_standard: BTreeMap<String, Sum> = BTreeMap::new();
    let mut by_dimension: BTreeMap<Dimension, Sum> = BTreeMap::new();
    let mut critical_failure = false;
    let mut sections = Vec::with_capacity(checklist.sections.len());
    for section in &checklist.sections {
        let section_weight = section.weight.unwrap_or(1.0);
        let mut in_section = Sum::default();
        for item in &section.items {
            let ItemOutcome::Score(s) = item_score(item, answers.get(&item.key)) else {
                continue;
            };
            let w = section_weight * item.weight;
            total.add(w, s);
            in_section.add(w, s);
            if let Some(code) = &item.standard {
                by_standard.entry(code.clone()).or_default().add(w, s);
                if let Some(d) = dimension_of.get(code.as_str()) {
                    by_dimension.entry(*d).or_default().add(w, s);
                }
            }
            if item.critical && s < 1.0 {
                critical_failure = true;
            }
        }
        sections.push(SectionScore {
            title: section.title.clone(),
            score: in_section.ratio().map(|r| 100.0 * r),
        });
    }
    let raw_score = total.ratio().map(|r| 100.0 * r);
    VisitScore {
        raw_score,
        visit_score: raw_score.map(|r| if critical_failure { 0.0 } else { r }),
        critical_failure,
        sections,
        standards: by_standard
            .into_iter()
            .filter_map(|(code, sum)| sum.compliance().map(|c| (code, c)))
            .collect(),
        dimensions: by_dimension
            .into_iter()
            .filter_map(|(d, sum)| sum.compliance().map(|c| (d, c)))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checklists::dto::{ChoiceOption, ItemOptions, Section};
    use crate::standards::dto::{Channel, Standard};
    use proptest::prelude::*;
    use serde_json::json;

    fn standard(code: &str, dimension: Dimension) -> Standard {
        Standard {
            code: code.into(),
            text: code.into(),
            dimension,
            channels: vec![Channel::InPerson],
            target: 0.9,
            weight: 1.0,
            norm: None,
        }
    }

    fn book() -> BookContent {
        BookContent {
            standards: vec![
                standard("GRT", Dimension::Responsiveness),
                standard("CLN", Dimension::Tangibles),
                standard("INF", Dimension::Assurance),
            ],
            ..Default::default()
        }
    }

    fn item(
        key: &str,
        item_type: ItemType,
        standard: Option<&str>,
        weight: f64,
        options: ItemOptions,
    ) -> Item {
        Item {
            translations: Default::default(),
            key: key.into(),
            prompt: key.into(),
            help: None,
            item_type,
            weight,
            standard: standard.map(str::to_string),
            required: true,
            allow_na: true,
            critical: false,
            options,
        }
    }

    fn yes_no(key: &str, standard: &str, weight: f64) -> Item {
        item(
            key,
            ItemType::YesNo,
            Some(standard),
            weight,
            ItemOptions::default(),
        )
    }

    fn scale(key: &str, standard: &str) -> Item {
        item(
            key,
            ItemType::Scale,
            Some(standard),
            1.0,
            ItemOptions {
                min: Some(1.0),
                max: Some(5.0),
                ..Default::default()
            },
        )
    }

    fn number(key: &str, comparator: Comparator, target: f64) -> Item {
        item(
            key,
            ItemType::Number,
            Some("GRT"),
            1.0,
            ItemOptions {
                comparator: Some(comparator),
                target: Some(target),
                ..Default::default()
            },
        )
    }

    fn choice(key: &str) -> Item {
        let option = |value: &str, points: f64| ChoiceOption {
            value: value.into(),
            label: value.into(),
            points,
        };
        item(
            key,
            ItemType::Choice,
            Some("INF"),
            1.0,
            ItemOptions {
                choices: Some(vec![
                    option("full", 4.0),
                    option("partial", 2.0),
                    option("none", 0.0),
                ]),
                ..Default::default()
            },
        )
    }

    fn v(value: Value) -> Option<Answer> {
        Some(Answer::Value(value))
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn yes_no_scores_the_compliant_answer() {
        let plain = yes_no("a", "GRT", 1.0);
        assert_eq!(
            item_score(&plain, v(json!(true)).as_ref()),
            ItemOutcome::Score(1.0)
        );
        assert_eq!(
            item_score(&plain, v(json!(false)).as_ref()),
            ItemOutcome::Score(0.0)
        );
        let inverted = item(
            "b",
            ItemType::YesNo,
            Some("GRT"),
            1.0,
            ItemOptions {
                compliant_answer: Some(false),
                ..Default::default()
            },
        );
        assert_eq!(
            item_score(&inverted, v(json!(false)).as_ref()),
            ItemOutcome::Score(1.0)
        );
        assert_eq!(
            item_score(&inverted, v(json!(true)).as_ref()),
            ItemOutcome::Score(0.0)
        );
        assert_eq!(
            item_score(&plain, v(json!("yes")).as_ref()),
            ItemOutcome::Unanswered
        );
    }

    #[test]
    fn scale_is_linear_between_its_bounds() {
        let s = scale("s", "GRT");
        assert_eq!(
            item_score(&s, v(json!(1)).as_ref()),
            ItemOutcome::Score(0.0)
        );
        assert_eq!(
            item_score(&s, v(json!(4)).as_ref()),
            ItemOutcome::Score(0.75)
        );
        assert_eq!(
            item_score(&s, v(json!(5)).as_ref()),
            ItemOutcome::Score(1.0)
        );
    }

    #[test]
    fn number_meets_the_target_or_not() {
        let lte = number("n", Comparator::Lte, 30.0);
        assert_eq!(
            item_score(&lte, v(json!(30)).as_ref()),
            ItemOutcome::Score(1.0)
        );
        assert_eq!(
            item_score(&lte, v(json!(30.5)).as_ref()),
            ItemOutcome::Score(0.0)
        );
        let gte = number("n", Comparator::Gte, 3.0);
        assert_eq!(
            item_score(&gte, v(json!(3)).as_ref()),
            ItemOutcome::Score(1.0)
        );
        assert_eq!(
            item_score(&gte, v(json!(2)).as_ref()),
            ItemOutcome::Score(0.0)
        );
    }

    #[test]
    fn choice_scores_points_over_the_best_option() {
        let c = choice("c");
        assert_eq!(
            item_score(&c, v(json!("full")).as_ref()),
            ItemOutcome::Score(1.0)
        );
        assert_eq!(
            item_score(&c, v(json!("partial")).as_ref()),
            ItemOutcome::Score(0.5)
        );
        assert_eq!(
            item_score(&c, v(json!("none")).as_ref()),
            ItemOutcome::Score(0.0)
        );
        assert_eq!(
            item_score(&c, v(json!("other")).as_ref()),
            ItemOutcome::Unanswered
        );
    }

    #[test]
    fn unscored_types_and_na() {
        for t in [ItemType::Text, ItemType::Datetime, ItemType::Evidence] {
            let i = item("u", t, None, 1.0, ItemOptions::default());
            assert_eq!(
                item_score(&i, v(json!("anything")).as_ref()),
                ItemOutcome::Unscored
            );
        }
        let s = yes_no("a", "GRT", 1.0);
        assert_eq!(
            item_score(&s, Some(&Answer::NotApplicable)),
            ItemOutcome::NotApplicable
        );
        assert_eq!(item_score(&s, None), ItemOutcome::Unanswered);
    }

    fn answers(pairs: &[(&str, Answer)]) -> HashMap<String, Answer> {
        pairs
            .iter()
            .map(|(k, a)| (k.to_string(), a.clone()))
            .collect()
    }

    #[test]
    fn a_visit_worked_out_by_hand() {
        // Section A (weight 2): greet yes (w1, s1), clean no (w3, s0), notes (text).
        // Section B (weight 1): scale 4 of 1..5 on GRT (s .75), choice partial on INF (s .5),
        // door N/A.
        let checklist = ChecklistContent {
            sections: vec![
                Section {
                    title_translations: Default::default(),
                    title: "A".into(),
                    weight: Some(2.0),
                    items: vec![
                        yes_no("greet", "GRT", 1.0),
                        yes_no("clean", "CLN", 3.0),
                        item("notes", ItemType::Text, None, 1.0, ItemOptions::default()),
                    ],
                },
                Section {
                    title_translations: Default::default(),
                    title: "B".into(),
                    weight: None,
                    items: vec![
                        scale("friendly", "GRT"),
                        choice("info"),
                        yes_no("door", "GRT", 1.0),
                    ],
                },
            ],
        };
        let score = score_visit(
            &checklist,
            &book(),
            &answers(&[
                ("greet", Answer::Value(json!(true))),
                ("clean", Answer::Value(json!(false))),
                ("notes", Answer::Value(json!("fine"))),
                ("friendly", Answer::Value(json!(4))),
                ("info", Answer::Value(json!("partial"))),
                ("door", Answer::NotApplicable),
            ]),
        );
        // w: greet 2, clean 6, friendly 1, info 1 → Σw = 10; Σw·s = 2 + 0 + .75 + .5 = 3.25.
        assert!(close(score.raw_score.unwrap(), 32.5));
        assert!(close(score.visit_score.unwrap(), 32.5));
        assert!(!score.critical_failure);
        assert!(close(score.sections[0].score.unwrap(), 100.0 * 2.0 / 8.0));
        assert!(close(score.sections[1].score.unwrap(), 100.0 * 1.25 / 2.0));
        let grt = score.standards["GRT"];
        assert!(close(grt.value, 2.75 / 3.0) && close(grt.weight, 3.0) && grt.items == 2);
        assert!(close(score.standards["CLN"].value, 0.0));
        assert!(close(score.standards["INF"].value, 0.5));
        assert!(close(
            score.dimensions[&Dimension::Responsiveness].value,
            2.75 / 3.0
        ));
        assert!(close(score.dimensions[&Dimension::Tangibles].value, 0.0));
        assert!(close(score.dimensions[&Dimension::Assurance].value, 0.5));
        assert!(!score.dimensions.contains_key(&Dimension::Empathy));
    }

    #[test]
    fn a_failed_critical_item_zeroes_the_visit_but_keeps_the_raw_score() {
        let mut critical = yes_no("badge", "CLN", 1.0);
        critical.critical = true;
        let checklist = ChecklistContent {
            sections: vec![Section {
                title_translations: Default::default(),
                title: "A".into(),
                weight: None,
                items: vec![yes_no("greet", "GRT", 3.0), critical],
            }],
        };
        let failed = score_visit(
            &checklist,
            &book(),
            &answers(&[
                ("greet", Answer::Value(json!(true))),
                ("badge", Answer::Value(json!(false))),
            ]),
        );
        assert!(failed.critical_failure);
        assert!(close(failed.raw_score.unwrap(), 75.0));
        assert_eq!(failed.visit_score, Some(0.0));
        // A critical item marked N/A is no failure.
        let na = score_visit(
            &checklist,
            &book(),
            &answers(&[
                ("greet", Answer::Value(json!(true))),
                ("badge", Answer::NotApplicable),
            ]),
        );
        assert!(!na.critical_failure);
        assert_eq!(na.visit_score, Some(100.0));
    }

    #[test]
    fn nothing_scored_means_no_score() {
        let checklist = ChecklistContent {
            sections: vec![Section {
                title_translations: Default::default(),
                title: "A".into(),
                weight: None,
                items: vec![yes_no("greet", "GRT", 1.0)],
            }],
        };
        let score = score_visit(
            &checklist,
            &book(),
            &answers(&[("greet", Answer::NotApplicable)]),
        );
        assert_eq!(score.raw_score, None);
        assert_eq!(score.visit_score, None);
        assert!(score.standards.is_empty());
        assert_eq!(score.sections[0].score, None);
    }

    /// A random checklist of yes/no, scale, number and choice items with random answers.
    fn visit() -> impl Strategy<Value = (ChecklistContent, Vec<(String, Answer)>)> {
        let one_item = (
            0usize..4,
            0.1f64..10.0,
            any::<bool>(),
            0usize..3,
            0u8..6,
            0.0f64..60.0,
            any::<bool>(),
        );
        (prop::collection::vec((0.1f64..5.0, prop::collection::vec(one_item, 1..8)), 1..4))
            .prop_map(|sections| {
                let codes = ["GRT", "CLN", "INF"];
                let mut answers = Vec::new();
                let mut n = 0;
                let sections = sections
                    .into_iter()
                    .map(|(weight, items)| Section {
                        title_translations: Default::default(),
                        title: "s".into(),
                        weight: Some(weight),
                        items: items
                            .into_iter()
                            .map(|(kind, w, critical, code, pick, seconds, na)| {
                                n += 1;
                                let key = format!("i{n}");
                                let (mut it, answer) = match kind {
                                    0 => (yes_no(&key, codes[code], w), json!(pick % 2 == 0)),
                                    1 => (scale(&key, codes[code]), json!(1 + pick % 5)),
                                    2 => (number(&key, Comparator::Lte, 30.0), json!(seconds)),
                                    _ => (
                                        choice(&key),
                                        json!(["full", "partial", "none"][pick as usize % 3]),
                                    ),
                                };
                                it.weight = w;
                                it.critical = critical && pick == 0;
                                answers.push((
                                    key,
                                    if na {
                                        Answer::NotApplicable
                                    } else {
                                        Answer::Value(answer)
                                    },
                                ));
                                it
                            })
                            .collect(),
                    })
                    .collect();
                (ChecklistContent { sections }, answers)
            })
    }

    proptest! {
        #[test]
        fn scores_stay_in_range((checklist, answers) in visit()) {
            let score = score_visit(&checklist, &book(), &answers.into_iter().collect());
            for s in [score.raw_score, score.visit_score].into_iter().flatten() {
                prop_assert!((0.0..=100.0).contains(&s));
            }
            for c in score.standards.values().chain(score.dimensions.values()) {
                prop_assert!((0.0..=1.0).contains(&c.value));
            }
            if score.critical_failure {
                prop_assert_eq!(score.visit_score, Some(0.0));
            }
        }

        #[test]
        fn permuting_answers_and_items_changes_nothing((checklist, answers) in visit(), seed in any::<u64>()) {
            let score = score_visit(&checklist, &book(), &answers.iter().cloned().collect());
            let mut reversed = answers.clone();
            reversed.reverse();
            prop_assert_eq!(&score, &score_visit(&checklist, &book(), &reversed.into_iter().collect()));
            // Items in another order within their sections give the same figures.
            let mut shuffled = checklist.clone();
            for section in &mut shuffled.sections {
                let len = section.items.len();
                section.items.rotate_left((seed as usize) % len);
            }
            let other = score_visit(&shuffled, &book(), &answers.into_iter().collect());
            prop_assert_eq!(score.raw_score.is_some(), other.raw_score.is_some());
            if let (Some(a), Some(b)) = (score.raw_score, other.raw_score) {
                prop_assert!(close(a, b));
            }
            prop_assert_eq!(score.critical_failure, other.critical_failure);
        }

        #[test]
        fn na_never_changes_the_other_items((checklist, answers) in visit(), pick in any::<prop::sample::Index>()) {
            // Marking one item N/A gives the same scores as a checklist without that item.
            let (key, _) = &answers[pick.index(answers.len())];
            let mut with_na: HashMap<String, Answer> = answers.iter().cloned().collect();
            with_na.insert(key.clone(), Answer::NotApplicable);
            let mut without = checklist.clone();
            for section in &mut without.sections {
                section.items.retain(|i| &i.key != key);
            }
            let a = score_visit(&checklist, &book(), &with_na);
            let b = score_visit(&without, &book(), &with_na);
            prop_assert_eq!(a.raw_score.map(|x| (x * 1e9).round()), b.raw_score.map(|x| (x * 1e9).round()));
            prop_assert_eq!(a.critical_failure, b.critical_failure);
            prop_assert_eq!(a.standards.keys().collect::<Vec<_>>(), b.standards.keys().collect::<Vec<_>>());
            for (code, c) in &a.standards {
                prop_assert!(close(c.value, b.standards[code].value));
            }
        }
    }
}

//! Survey responses, judged and reduced to roll-up contributions. Pure rules: no HTTP, no SQL.
//!
//! A rating `v` becomes the level `(v - min) / (max - min)`. A response's level on a subject (a
//! standard, or a dimension) is the mean of its items on that subject; roll-ups add those
//! per-response levels, their squares (for the t intervals) and, for customers, the per-response
//! differences expectation − perception (gap 5 is paired). Levels are kept in millionths, as
//! integers, so that sums do not depend on the order they are added in and `rebuild-rollups`
//! agrees exactly with the roll-ups kept on write; a figure is therefore exact to 1e-6.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::dto::{Audience, InstrumentContent};
use super::rules::{item_dimension, level};
use crate::contract::types::ItemKey;
use crate::error::FieldError;
use crate::standards::dto::{BookContent, Channel, Dimension};

/// Levels are stored as integers in millionths.
pub const UNITS: f64 = 1_000_000.0;

/// One item's ratings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rating {
    #[schema(value_type = ItemKey)]
    pub item: String,
    /// On the instrument's scale.
    #[schema(minimum = 0, maximum = 100)]
    pub expectation: Option<i32>,
    /// Customer instruments only, on the instrument's scale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0, maximum = 100)]
    pub perception: Option<i32>,
}

/// What a respondent answered, whoever they are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answers {
    pub ratings: Vec<Rating>,
    pub importance: Option<BTreeMap<Dimension, i32>>,
    pub preferred_channel: Option<Channel>,
}

/// Importance points over the five dimensions, summing to 100.
pub fn importance_schema() -> utoipa::openapi::Schema {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
    let points = || {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(0))
            .maximum(Some(100))
    };
    let mut object = ObjectBuilder::new()
        .description(Some(
            "Importance points over the five dimensions, summing to 100.",
        ))
        .additional_properties(Some(
            utoipa::openapi::schema::AdditionalProperties::FreeForm(false),
        ));
    for dimension in [
        "tangibles",
        "reliability",
        "responsiveness",
        "assurance",
        "empathy",
    ] {
        object = object.property(dimension, points()).required(dimension);
    }
    utoipa::openapi::Schema::OneOf(
        OneOfBuilder::new()
            .item(object)
            .item(ObjectBuilder::new().schema_type(Type::Null))
            .build(),
    )
}

/// What a response adds to one roll-up subject: sums in millionths of a level.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contribution {
    /// `standard:GRT-01`, `dimension:empathy`, `weighted_gap5` or `channel:chat`.
    pub subject_key: String,
    pub expectation: Option<i64>,
    pub perception: Option<i64>,
    /// Expectation − perception, over the items rated both ways.
    pub difference: Option<i64>,
    /// 1 for a `channel:` subject (a preference is a count).
    pub count: i64,
}

fn units(level: f64) -> i64 {
    (level * UNITS).round() as i64
}

/// Every problem with `answers` against the instrument (empty when it can be recorded).
pub fn check(
    audience: Audience,
    content: &InstrumentContent,
    language: Option<&str>,
    answers: &Answers,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if let Some(language) = language {
        if !content
            .languages
            .iter()
            .any(|l| l.eq_ignore_ascii_case(language))
        {
            errors.push(FieldError::new(
                "language",
                format!("must be one of {}", content.languages.join(", ")),
            ));
        }
    }
    if answers.ratings.is_empty() {
        errors.push(FieldError::new("ratings", "rate at least one item"));
    }
    let items: HashSet<&str> = content.items.iter().map(|i| i.key.as_str()).collect();
    let (min, max) = (content.scale.min, content.scale.max);
    let mut seen = HashSet::new();
    for (i, rating) in answers.ratings.iter().enumerate() {
        let at = |f: &str| format!("ratings[{i}].{f}");
        if !items.contains(rating.item.as_str()) {
            errors.push(FieldError::new(at("item"), "is not an item of the survey"));
        } else if !seen.insert(rating.item.as_str()) {
            errors.push(FieldError::new(at("item"), "is rated twice"));
        }
        let in_scale = |v: i32| (min..=max).contains(&v);
        match rating.expectation {
            Some(v) if !in_scale(v) => errors.push(FieldError::new(
                at("expectation"),
                format!("must be from {min} to {max}"),
            )),
            None if audience == Audience::Management => {
                errors.push(FieldError::new(at("expectation"), "is required"))
            }
            _ => {}
        }
        match (audience, rating.perception) {
            (Audience::Management, Some(_)) => errors.push(FieldError::new(
                at("perception"),
                "a management response rates only the expectation",
            )),
            (Audience::Customer, Some(v)) if !in_scale(v) => errors.push(FieldError::new(
                at("perception"),
                format!("must be from {min} to {max}"),
            )),
            (Audience::Customer, None) if rating.expectation.is_none() => {
                errors.push(FieldError::new(
                    at("expectation"),
                    "rate the expectation, the perception or both",
                ))
            }
            _ => {}
        }
    }
    match (&answers.importance, &content.importance_prompt) {
        (Some(_), None) => errors.push(FieldError::new(
            "importance",
            "this survey does not ask for importance points",
        )),
        (Some(points), Some(_)) => {
            let total: i32 = points.values().sum();
            if total != 100 {
                errors.push(FieldError::new(
                    "importance",
                    format!("the points must sum to 100, not {total}"),
                ));
            }
        }
        _ => {}
    }
    match (&answers.preferred_channel, &content.channel_question) {
        (Some(_), None) => errors.push(FieldError::new(
            "preferred_channel",
            "this survey does not ask for a preferred channel",
        )),
        (Some(channel), Some(question)) if !question.channels.contains(channel) => errors.push(
            FieldError::new("preferred_channel", "is not one of the channels offered"),
        ),
        _ => {}
    }
    errors
}

/// Doubtful patterns, flagged on the response (it still counts): the same rating for every
/// expectation and perception over five items or more ("straight-lining").
pub fn flags(answers: &Answers) -> Vec<String> {
    let values: Vec<i32> = answers
        .ratings
        .iter()
        .flat_map(|r| r.expectation.into_iter().chain(r.perception))
        .collect();
    let mut out = Vec::new();
    if answers.ratings.len() >= 5 && values.windows(2).all(|w| w[0] == w[1]) {
        out.push("straight_lined".to_string());
    }
    out
}

#[derive(Default)]
struct Levels {
    expectation: Vec<f64>,
    perception: Vec<f64>,
    differences: Vec<f64>,
}

fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// What a checked response adds to the roll-ups, subject by subject, in subject order.
pub fn contributions(
    content: &InstrumentContent,
    book: &BookContent,
    answers: &Answers,
) -> Vec<Contribution> {
    let (min, max) = (content.scale.min, content.scale.max);
    let items: HashMap<&str, _> = content.items.iter().map(|i| (i.key.as_str(), i)).collect();
    let mut subjects: BTreeMap<String, Levels> = BTreeMap::new();
    let mut dimensions: BTreeMap<Dimension, Levels> = BTreeMap::new();
    for rating in &answers.ratings {
        let Some(item) = items.get(rating.item.as_str()) else {
            continue;
        };
        let e = rating.expectation.map(|v| level(v, min, max));
        let p = rating.perception.map(|v| level(v, min, max));
        let add = |levels: &mut Levels| {
            levels.expectation.extend(e);
            levels.perception.extend(p);
            if let (Some(e), Some(p)) = (e, p) {
                levels.differences.push(e - p);
            }
        };
        if let Some(code) = &item.standard {
            add(subjects.entry(format!("standard:{code}")).or_default());
        }
        if let Some(d) = item_dimension(item.standard.as_deref(), item.dimension, book) {
            add(dimensions.entry(d).or_default());
        }
    }
    let mut weighted: Option<f64> = None;
    for (dimension, levels) in &dimensions {
        if let (Some(points), Some(e), Some(p)) = (
            &answers.importance,
            mean(&levels.expectation),
            mean(&levels.perception),
        ) {
            let share = f64::from(points.get(dimension).copied().unwrap_or(0)) / 100.0;
            *weighted.get_or_insert(0.0) += share * (e - p);
        }
    }
    for (dimension, levels) in dimensions {
        let key = serde_json::to_value(dimension)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        subjects.insert(format!("dimension:{key}"), levels);
    }
    let mut out: Vec<Contribution> = subjects
        .into_iter()
        .map(|(subject_key, levels)| Contribution {
            subject_key,
            expectation: mean(&levels.expectation).map(units),
            perception: mean(&levels.perception).map(units),
            difference: mean(&levels.differences).map(units),
            count: 0,
        })
        .collect();
    if let Some(w) = weighted {
        out.push(Contribution {
            subject_key: "weighted_gap5".into(),
            difference: Some(units(w)),
            ..Default::default()
        });
    }
    if let Some(channel) = answers.preferred_channel {
        out.push(Contribution {
            subject_key: format!("channel:{}", channel.as_str()),
            count: 1,
            ..Default::default()
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::standards::dto::Standard;
    use crate::surveys::dto::{ChannelQuestion, RatingScale, SurveyItem};

    fn book() -> BookContent {
        let standard = |code: &str, dimension| Standard {
            code: code.into(),
            text: "x".into(),
            dimension,
            channels: vec![Channel::InPerson],
            target: 0.9,
            weight: 1.0,
            norm: None,
        };
        BookContent {
            principles: vec![],
            standards: vec![
                standard("GRT-01", Dimension::Responsiveness),
                standard("INF-01", Dimension::Assurance),
            ],
            protocols: vec![],
        }
    }

    fn content() -> InstrumentContent {
        let item = |key: &str, standard: Option<&str>, dimension| SurveyItem {
            key: key.into(),
            standard: standard.map(str::to_string),
            dimension,
            expectation_prompt: [("en".to_string(), "e".to_string())].into(),
            perception_prompt: Some([("en".to_string(), "p".to_string())].into()),
        };
        InstrumentContent {
            languages: vec!["en".into(), "ar".into()],
            scale: RatingScale { min: 1, max: 7 },
            title: [("en".to_string(), "t".to_string())].into(),
            introduction: None,
            items: vec![
                item("greet", Some("GRT-01"), None),
                item("quick", None, Some(Dimension::Responsiveness)),
                item("fees", Some("INF-01"), None),
            ],
            importance_prompt: Some([("en".to_string(), "i".to_string())].into()),
            channel_question: Some(ChannelQuestion {
                prompt: [("en".to_string(), "c".to_string())].into(),
                channels: vec![Channel::Chat, Channel::Phone],
            }),
        }
    }

    fn rating(item: &str, e: Option<i32>, p: Option<i32>) -> Rating {
        Rating {
            item: item.into(),
            expectation: e,
            perception: p,
        }
    }

    fn answers() -> Answers {
        Answers {
            ratings: vec![
                rating("greet", Some(7), Some(4)),
                rating("quick", Some(5), Some(5)),
                rating("fees", Some(6), None),
            ],
            importance: Some(
                [
                    (Dimension::Tangibles, 10),
                    (Dimension::Reliability, 20),
                    (Dimension::Responsiveness, 40),
                    (Dimension::Assurance, 20),
                    (Dimension::Empathy, 10),
                ]
                .into(),
            ),
            preferred_channel: Some(Channel::Chat),
        }
    }

    #[test]
    fn a_response_adds_per_subject_levels_differences_and_its_preference() {
        let got = contributions(&content(), &book(), &answers());
        let find = |k: &str| got.iter().find(|c| c.subject_key == k).unwrap().clone();
        // greet: e = 6/6 = 1, p = 3/6 = 0.5.
        assert_eq!(
            find("standard:GRT-01"),
            Contribution {
                subject_key: "standard:GRT-01".into(),
                expectation: Some(1_000_000),
                perception: Some(500_000),
                difference: Some(500_000),
                count: 0,
            }
        );
        // Responsiveness: greet and quick; e = (1 + 4/6) / 2, p = (0.5 + 4/6) / 2.
        let r = find("dimension:responsiveness");
        assert_eq!(r.expectation, Some(833_333));
        assert_eq!(r.perception, Some(583_333));
        assert_eq!(r.difference, Some(250_000));
        // Fees rated only for expectation: no perception, no difference.
        let a = find("dimension:assurance");
        assert_eq!(
            (a.expectation, a.perception, a.difference),
            (Some(833_333), None, None)
        );
        // Weighted gap 5: only responsiveness has both: 0.4 × 0.25.
        assert_eq!(find("weighted_gap5").difference, Some(100_000));
        assert_eq!(find("channel:chat").count, 1);
    }

    #[test]
    fn every_problem_with_a_response_is_listed() {
        let mut bad = answers();
        bad.ratings.push(rating("greet", Some(8), Some(0)));
        bad.ratings.push(rating("nope", Some(3), None));
        bad.importance
            .as_mut()
            .unwrap()
            .insert(Dimension::Empathy, 30);
        bad.preferred_channel = Some(Channel::Email);
        let fields: Vec<String> = check(Audience::Customer, &content(), Some("fr"), &bad)
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            vec![
                "language",
                "ratings[3].item",
                "ratings[3].expectation",
                "ratings[3].perception",
                "ratings[4].item",
                "importance",
                "preferred_channel",
            ]
        );
        assert!(check(Audience::Customer, &content(), Some("AR"), &answers()).is_empty());
        let mut management = answers();
        management.ratings = vec![rating("greet", None, Some(3))];
        let fields: Vec<String> = check(Audience::Management, &content(), None, &management)
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            vec!["ratings[0].expectation", "ratings[0].perception"]
        );
    }

    #[test]
    fn straight_lining_is_flagged_not_dropped() {
        let same = Answers {
            ratings: (0..5)
                .map(|i| rating(&format!("i{i}"), Some(7), Some(7)))
                .collect(),
            importance: None,
            preferred_channel: None,
        };
        assert_eq!(flags(&same), vec!["straight_lined"]);
        assert!(flags(&answers()).is_empty());
    }
}

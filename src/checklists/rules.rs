//! What makes a checklist publishable, checked against the standards book it is pinned to.

use std::collections::{BTreeSet, HashMap, HashSet};

use super::dto::{ItemOptions, ItemType, Section};
use crate::error::FieldError;
use crate::standards::dto::{BookContent, Channel};

fn blank(s: &str) -> bool {
    s.trim().is_empty()
}

pub fn key_problem(key: &str) -> Option<&'static str> {
    if key.is_empty() || key.len() > 64 {
        Some("must be 1 to 64 characters")
    } else if !key
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-' | '.'))
    {
        Some("may hold only a-z, 0-9, '_', '-' and '.'")
    } else {
        None
    }
}

/// Problems that block even saving a draft, beyond the limits of each field the contract
/// states (the name, at most 100 sections): at most 1000 items in all.
pub fn validate_draft(_name: &str, sections: &[Section]) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let items: usize = sections.iter().map(|s| s.items.len()).sum();
    if items > 1000 {
        errors.push(FieldError::new(
            "sections",
            "at most 1000 items in all sections",
        ));
    }
    errors
}

/// The languages a checklist is translated into (besides the language of its prompts).
pub fn languages(sections: &[Section]) -> BTreeSet<String> {
    sections
        .iter()
        .flat_map(|s| {
            s.title_translations
                .keys()
                .chain(s.items.iter().flat_map(|i| i.translations.keys()))
        })
        .cloned()
        .collect()
}

/// A translation must be whole: every section title and every item prompt in each language any
/// of them uses, none empty (a shopper must never see half a checklist in another language).
pub fn translation_problems(sections: &[Section]) -> Vec<FieldError> {
    let languages = languages(sections);
    let mut errors = Vec::new();
    for (i, section) in sections.iter().enumerate() {
        for language in &languages {
            match section.title_translations.get(language) {
                None => errors.push(FieldError::new(
                    format!("sections[{i}].title_translations"),
                    format!("needs the title in {language}"),
                )),
                Some(t) if blank(t) => errors.push(FieldError::new(
                    format!("sections[{i}].title_translations.{language}"),
                    "must not be empty",
                )),
                Some(_) => {}
            }
        }
        for (j, item) in section.items.iter().enumerate() {
            for language in &languages {
                match item.translations.get(language) {
                    None => errors.push(FieldError::new(
                        format!("sections[{i}].items[{j}].translations"),
                        format!("needs the prompt in {language}"),
                    )),
                    Some(t) if blank(&t.prompt) => errors.push(FieldError::new(
                        format!("sections[{i}].items[{j}].translations.{language}.prompt"),
                        "must not be empty",
                    )),
                    Some(_) => {}
                }
            }
        }
    }
    errors
}

/// Every problem that keeps a checklist from being published (empty when it can be).
pub fn validate_for_publish(
    name: &str,
    channel: Channel,
    sections: &[Section],
    book: &BookContent,
) -> Vec<FieldError> {
    let mut errors = validate_draft(name, sections);
    let mut push = |field: String, message: String| errors.push(FieldError::new(field, message));
    let standards: HashMap<&str, &crate::standards::dto::Standard> = book
        .standards
        .iter()
        .map(|s| (s.code.as_str(), s))
        .collect();
    if sections.is_empty() {
        push(
            "sections".into(),
            "a checklist needs at least one section".into(),
        );
    }
    let mut keys = HashSet::new();
    let mut scored = 0;
    for (i, section) in sections.iter().enumerate() {
        if blank(&section.title) {
            push(format!("sections[{i}].title"), "must not be empty".into());
        }
        if section.weight.is_some_and(|w| !(w.is_finite() && w > 0.0)) {
            push(
                format!("sections[{i}].weight"),
                "must be greater than 0".into(),
            );
        }
        if section.items.is_empty() {
            push(
                format!("sections[{i}].items"),
                "a section needs at least one item".into(),
            );
        }
        for (j, item) in section.items.iter().enumerate() {
            let at = |f: &str| format!("sections[{i}].items[{j}].{f}");
            if let Some(p) = key_problem(&item.key) {
                push(at("key"), p.into());
            } else if !keys.insert(item.key.as_str()) {
                push(at("key"), format!("duplicate key {:?}", item.key));
            }
            if blank(&item.prompt) {
                push(at("prompt"), "must not be empty".into());
            }
            if !(item.weight.is_finite() && item.weight > 0.0) {
                push(at("weight"), "must be greater than 0".into());
            }
            if item.item_type.is_scored() {
                scored += 1;
                match item.standard.as_deref() {
                    None => push(
                        at("standard"),
                        "a scored item must measure a standard".into(),
                    ),
                    Some(code) => match standards.get(code) {
                        None => push(
                            at("standard"),
                            format!("no standard {code:?} in the pinned book"),
                        ),
                        Some(s) if !s.channels.contains(&channel) => push(
                            at("standard"),
                            format!(
                                "standard {code:?} does not apply to the {} channel",
                                channel.as_str()
                            ),
                        ),
                        Some(_) => {}
                    },
                }
            } else {
                if item.standard.is_some() {
                    push(at("standard"), "unscored items measure no standard".into());
                }
                if item.critical {
                    push(at("critical"), "only scored items can be critical".into());
                }
            }
            for (field, message) in option_problems(item.item_type, &item.options) {
                push(at(&format!("options.{field}")), message);
            }
        }
    }
    if !sections.is_empty() && scored == 0 {
        push(
            "sections".into(),
            "a checklist needs at least one scored item".into(),
        );
    }
    errors.extend(translation_problems(sections));
    errors
}

/// Options a type needs, and options it does not take.
fn option_problems(item_type: ItemType, o: &ItemOptions) -> Vec<(&'static str, String)> {
    let mut problems = Vec::new();
    let present: [(&'static str, bool, &[ItemType]); 9] = [
        (
            "compliant_answer",
            o.compliant_answer.is_some(),
            &[ItemType::YesNo],
        ),
        ("min", o.min.is_some(), &[ItemType::Scale]),
        ("max", o.max.is_some(), &[ItemType::Scale]),
        ("comparator", o.comparator.is_some(), &[ItemType::Number]),
        ("target", o.target.is_some(), &[ItemType::Number]),
        ("unit", o.unit.is_some(), &[ItemType::Number]),
        ("choices", o.choices.is_some(), &[ItemType::Choice]),
        (
            "evidence_kinds",
            o.evidence_kinds.is_some(),
            &[ItemType::Evidence],
        ),
        ("min_count", o.min_count.is_some(), &[ItemType::Evidence]),
    ];
    for (name, is_set, types) in present {
        if is_set && !types.contains(&item_type) {
            problems.push((name, format!("does not apply to {item_type:?} items")));
        }
    }
    match item_type {
        ItemType::Scale => match (o.min, o.max) {
            (Some(min), Some(max)) if min.is_finite() && max.is_finite() && min < max => {}
            (Some(_), Some(_)) => problems.push(("max", "must be greater than min".into())),
            _ => problems.push(("min", "a scale needs min and max".into())),
        },
        ItemType::Number => {
            if o.comparator.is_none() {
                problems.push((
                    "comparator",
                    "a number item needs a comparator (lte or gte)".into(),
                ));
            }
            if !o.target.is_some_and(f64::is_finite) {
                problems.push(("target", "a number item needs a target".into()));
            }
        }
        ItemType::Choice => {
            let choices = o.choices.as_deref().unwrap_or_default();
            if choices.is_empty() {
                problems.push(("choices", "a choice item needs options".into()));
            }
            let mut values = HashSet::new();
            for choice in choices {
                if blank(&choice.value) || !values.insert(choice.value.as_str()) {
                    problems.push((
                        "choices",
                        format!(
                            "option values must be unique and not empty ({:?})",
                            choice.value
                        ),
                    ));
                }
                if !(choice.points.is_finite() && choice.points >= 0.0) {
                    problems.push((
                        "choices",
                        format!("points of {:?} must be 0 or more", choice.value),
                    ));
                }
            }
            if !choices.is_empty() && !choices.iter().any(|c| c.points > 0.0) {
                problems.push(("choices", "at least one option must score points".into()));
            }
        }
        ItemType::Evidence => {
            if o.evidence_kinds.as_deref().unwrap_or_default().is_empty() {
                problems.push((
                    "evidence_kinds",
                    "name the kinds of evidence accepted".into(),
                ));
            }
            if o.min_count == Some(0) {
                problems.push(("min_count", "must be at least 1".into()));
            }
        }
        ItemType::YesNo | ItemType::Text | ItemType::Datetime => {}
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checklists::dto::{ChoiceOption, Comparator, Item};
    use crate::standards::dto::{Dimension, Standard};

    fn book() -> BookContent {
        BookContent {
            standards: vec![
                Standard {
                    code: "GRT-01".into(),
                    text: "Greet".into(),
                    dimension: Dimension::Responsiveness,
                    channels: vec![Channel::InPerson],
                    target: 0.9,
                    weight: 1.0,
                    norm: None,
                },
                Standard {
                    code: "PHN-01".into(),
                    text: "Answer within 3 rings".into(),
                    dimension: Dimension::Responsiveness,
                    channels: vec![Channel::Phone],
                    target: 0.9,
                    weight: 1.0,
                    norm: None,
                },
            ],
            ..Default::default()
        }
    }

    pub fn item(
        key: &str,
        item_type: ItemType,
        standard: Option<&str>,
        options: ItemOptions,
    ) -> Item {
        Item {
            translations: Default::default(),
            key: key.into(),
            prompt: "?".into(),
            help: None,
            item_type,
            weight: 1.0,
            standard: standard.map(str::to_string),
            required: true,
            allow_na: false,
            critical: false,
            options,
        }
    }

    #[test]
    fn a_sound_checklist_publishes() {
        let sections = vec![Section {
            title_translations: Default::default(),
            title: "Arrival".into(),
            weight: None,
            items: vec![
                item(
                    "greeted",
                    ItemType::YesNo,
                    Some("GRT-01"),
                    ItemOptions::default(),
                ),
                item(
                    "seconds",
                    ItemType::Number,
                    Some("GRT-01"),
                    ItemOptions {
                        comparator: Some(Comparator::Lte),
                        target: Some(30.0),
                        unit: Some("seconds".into()),
                        ..Default::default()
                    },
                ),
                item("notes", ItemType::Text, None, ItemOptions::default()),
            ],
        }];
        assert_eq!(
            validate_for_publish("Showroom", Channel::InPerson, &sections, &book()),
            vec![]
        );
    }

    #[test]
    fn every_problem_is_listed() {
        let mut critical_text = item(
            "notes",
            ItemType::Text,
            Some("GRT-01"),
            ItemOptions::default(),
        );
        critical_text.critical = true;
        let sections = vec![Section {
            title_translations: Default::default(),
            title: " ".into(),
            weight: Some(0.0),
            items: vec![
                item("greeted", ItemType::YesNo, None, ItemOptions::default()),
                item(
                    "greeted",
                    ItemType::YesNo,
                    Some("NOPE"),
                    ItemOptions::default(),
                ),
                item(
                    "phone",
                    ItemType::YesNo,
                    Some("PHN-01"),
                    ItemOptions::default(),
                ),
                item(
                    "scale",
                    ItemType::Scale,
                    Some("GRT-01"),
                    ItemOptions {
                        min: Some(5.0),
                        max: Some(1.0),
                        ..Default::default()
                    },
                ),
                item(
                    "choice",
                    ItemType::Choice,
                    Some("GRT-01"),
                    ItemOptions {
                        choices: Some(vec![]),
                        ..Default::default()
                    },
                ),
                item(
                    "zero",
                    ItemType::Choice,
                    Some("GRT-01"),
                    ItemOptions {
                        choices: Some(vec![ChoiceOption {
                            value: "a".into(),
                            label: "A".into(),
                            points: 0.0,
                        }]),
                        ..Default::default()
                    },
                ),
                item(
                    "Bad Key",
                    ItemType::Number,
                    Some("GRT-01"),
                    ItemOptions {
                        min: Some(1.0),
                        ..Default::default()
                    },
                ),
                critical_text,
                item("photo", ItemType::Evidence, None, ItemOptions::default()),
            ],
        }];
        let fields: Vec<String> =
            validate_for_publish("Showroom", Channel::InPerson, &sections, &book())
                .into_iter()
                .map(|e| e.field)
                .collect();
        assert_eq!(
            fields,
            [
                "sections[0].title",
                "sections[0].weight",
                "sections[0].items[0].standard",
                "sections[0].items[1].key",
                "sections[0].items[1].standard",
                "sections[0].items[2].standard",
                "sections[0].items[3].options.max",
                "sections[0].items[4].options.choices",
                "sections[0].items[5].options.choices",
                "sections[0].items[6].key",
                "sections[0].items[6].options.min",
                "sections[0].items[6].options.comparator",
                "sections[0].items[6].options.target",
                "sections[0].items[7].standard",
                "sections[0].items[7].critical",
                "sections[0].items[8].options.evidence_kinds",
            ]
        );
    }

    #[test]
    fn empty_checklists_do_not_publish_but_save() {
        assert!(validate_draft("Draft", &[]).is_empty());
        let fields: Vec<String> = validate_for_publish("Draft", Channel::Phone, &[], &book())
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["sections"]);
    }

    #[test]
    fn a_translation_is_whole_or_refused() {
        let mut a = item("a", ItemType::YesNo, Some("GRT-01"), ItemOptions::default());
        let b = item("b", ItemType::YesNo, Some("GRT-01"), ItemOptions::default());
        a.translations.insert(
            "ar".into(),
            crate::checklists::dto::ItemText {
                prompt: " ".into(),
                help: None,
            },
        );
        let sections = vec![Section {
            title_translations: Default::default(),
            title: "S".into(),
            weight: None,
            items: vec![a, b],
        }];
        let fields: Vec<String> = translation_problems(&sections)
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            vec![
                "sections[0].title_translations",
                "sections[0].items[0].translations.ar.prompt",
                "sections[0].items[1].translations",
            ]
        );
        assert_eq!(languages(&sections).into_iter().collect::<Vec<_>>(), ["ar"]);
    }
}

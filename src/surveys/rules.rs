//! What makes a survey instrument publishable, and how its texts are laid out. Pure rules:
//! no HTTP, no SQL.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::dto::{Audience, InstrumentContent, Localized, TextDirection};
use crate::error::FieldError;
use crate::standards::dto::{BookContent, Dimension};

/// Languages written right to left, by primary subtag (Arabic, Persian, Hebrew, Urdu, Pashto,
/// Sindhi, Uyghur, Central Kurdish, Dhivehi, Yiddish, Syriac, N'Ko, Aramaic).
const RTL_LANGUAGES: &[&str] = &[
    "ar", "fa", "he", "iw", "ur", "ps", "sd", "ug", "ckb", "dv", "yi", "syr", "nqo", "arc",
];
/// Scripts written right to left, for tags that name one (`az-Arab`, `ku-Arab`).
const RTL_SCRIPTS: &[&str] = &["arab", "hebr", "thaa", "syrc", "nkoo", "adlm", "rohg"];
/// Scripts written left to right, for tags that name one (`sd-Deva`, `pa-Guru`).
const LTR_SCRIPTS: &[&str] = &["latn", "cyrl", "deva", "guru", "grek"];

/// Which way text in `language` runs: a script subtag decides when there is one, else the
/// language.
pub fn text_direction(language: &str) -> TextDirection {
    let lower = language.to_ascii_lowercase();
    let mut parts = lower.split('-');
    let primary = parts.next().unwrap_or_default();
    for part in parts {
        if part.len() == 4 {
            if RTL_SCRIPTS.contains(&part) {
                return TextDirection::Rtl;
            }
            if LTR_SCRIPTS.contains(&part) {
                return TextDirection::Ltr;
            }
        }
    }
    if RTL_LANGUAGES.contains(&primary) {
        TextDirection::Rtl
    } else {
        TextDirection::Ltr
    }
}

pub fn text_directions(languages: &[String]) -> BTreeMap<String, TextDirection> {
    languages
        .iter()
        .map(|l| (l.clone(), text_direction(l)))
        .collect()
}

/// The level of a rating on a scale: `(v - min) / (max - min)`, in 0..=1.
pub fn level(rating: i32, min: i32, max: i32) -> f64 {
    f64::from(rating - min) / f64::from(max - min)
}

/// Problems that block even saving a draft, beyond what the contract states per field.
pub fn validate_draft(content: &InstrumentContent) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if content.scale.min >= content.scale.max {
        errors.push(FieldError::new("scale.max", "must be above scale.min"));
    }
    errors
}

/// Language tags compare without regard to case (`en-GB` is `en-gb`).
fn same_language(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// A text must have exactly the instrument's languages, each with words in it.
fn check_localized(
    field: &str,
    text: &Localized,
    languages: &[String],
    errors: &mut Vec<FieldError>,
) {
    for language in languages {
        match text.iter().find(|(l, _)| same_language(l, language)) {
            None => errors.push(FieldError::new(
                field,
                format!("needs a text in {language}"),
            )),
            Some((l, t)) if t.trim().is_empty() => {
                errors.push(FieldError::new(format!("{field}.{l}"), "must not be empty"))
            }
            Some(_) => {}
        }
    }
    for language in text.keys() {
        if !languages.iter().any(|l| same_language(l, language)) {
            errors.push(FieldError::new(
                format!("{field}.{language}"),
                "is not one of the instrument's languages",
            ));
        }
    }
}

/// Every problem that keeps an instrument from being published (empty when it can be),
/// against the standards book it is pinned to.
pub fn validate_for_publish(
    audience: Audience,
    content: &InstrumentContent,
    book: &BookContent,
) -> Vec<FieldError> {
    let mut errors = validate_draft(content);
    let languages = &content.languages;
    if languages.is_empty() {
        errors.push(FieldError::new("languages", "at least one language"));
    }
    let mut seen = HashSet::new();
    for (i, language) in languages.iter().enumerate() {
        if !seen.insert(language.to_ascii_lowercase()) {
            errors.push(FieldError::new(
                format!("languages[{i}]"),
                "is listed twice",
            ));
        }
    }
    check_localized("title", &content.title, languages, &mut errors);
    if let Some(intro) = &content.introduction {
        check_localized("introduction", intro, languages, &mut errors);
    }
    if let Some(prompt) = &content.importance_prompt {
        check_localized("importance_prompt", prompt, languages, &mut errors);
    }
    if let Some(question) = &content.channel_question {
        check_localized(
            "channel_question.prompt",
            &question.prompt,
            languages,
            &mut errors,
        );
        let distinct: HashSet<_> = question.channels.iter().collect();
        if distinct.len() < 2 {
            errors.push(FieldError::new(
                "channel_question.channels",
                "offer at least two channels",
            ));
        }
    }
    if content.items.is_empty() {
        errors.push(FieldError::new(
            "items",
            "an instrument needs at least one item",
        ));
    }
    let standards: HashMap<&str, Dimension> = book
        .standards
        .iter()
        .map(|s| (s.code.as_str(), s.dimension))
        .collect();
    let mut keys = HashSet::new();
    for (i, item) in content.items.iter().enumerate() {
        let at = |f: &str| format!("items[{i}].{f}");
        if !keys.insert(item.key.as_str()) {
            errors.push(FieldError::new(at("key"), "is used by another item"));
        }
        match (&item.standard, item.dimension) {
            (None, None) => errors.push(FieldError::new(
                at("standard"),
                "link the item to a standard or to a dimension",
            )),
            (Some(code), dimension) => match standards.get(code.as_str()) {
                None => errors.push(FieldError::new(
                    at("standard"),
                    format!("{code:?} is not a standard of the pinned book"),
                )),
                Some(own) if dimension.is_some_and(|d| d != *own) => errors.push(FieldError::new(
                    at("dimension"),
                    "differs from the standard's dimension; leave it out",
                )),
                Some(_) => {}
            },
            (None, Some(_)) => {}
        }
        check_localized(
            &at("expectation_prompt"),
            &item.expectation_prompt,
            languages,
            &mut errors,
        );
        match (audience, &item.perception_prompt) {
            (Audience::Customer, None) => errors.push(FieldError::new(
                at("perception_prompt"),
                "a customer item asks for perception too",
            )),
            (Audience::Customer, Some(p)) => {
                check_localized(&at("perception_prompt"), p, languages, &mut errors)
            }
            (Audience::Management, Some(_)) => errors.push(FieldError::new(
                at("perception_prompt"),
                "a management item asks only for the expectation; leave it out",
            )),
            (Audience::Management, None) => {}
        }
    }
    errors
}

/// The dimension an item measures: its standard's, else its own.
pub fn item_dimension(
    standard: Option<&str>,
    dimension: Option<Dimension>,
    book: &BookContent,
) -> Option<Dimension> {
    standard
        .and_then(|code| book.standards.iter().find(|s| s.code == code))
        .map(|s| s.dimension)
        .or(dimension)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::standards::dto::{Channel, Standard};
    use crate::surveys::dto::{ChannelQuestion, RatingScale, SurveyItem};

    fn text(pairs: &[(&str, &str)]) -> Localized {
        pairs
            .iter()
            .map(|(l, t)| (l.to_string(), t.to_string()))
            .collect()
    }

    fn book() -> BookContent {
        BookContent {
            principles: vec![],
            standards: vec![Standard {
                code: "GRT-01".into(),
                text: "Greet".into(),
                dimension: Dimension::Empathy,
                channels: vec![Channel::InPerson],
                target: 0.9,
                weight: 1.0,
                norm: None,
            }],
            protocols: vec![],
        }
    }

    fn item(key: &str, perception: bool) -> SurveyItem {
        SurveyItem {
            key: key.into(),
            standard: Some("GRT-01".into()),
            dimension: None,
            expectation_prompt: text(&[("en", "Staff greet you"), ("ar", "يرحب بك الموظفون")]),
            perception_prompt: perception
                .then(|| text(&[("en", "Staff greeted me"), ("ar", "رحب بي الموظفون")])),
        }
    }

    fn content(items: Vec<SurveyItem>) -> InstrumentContent {
        InstrumentContent {
            languages: vec!["en".into(), "ar".into()],
            scale: RatingScale::default(),
            title: text(&[("en", "Your visit"), ("ar", "زيارتك")]),
            introduction: None,
            items,
            importance_prompt: None,
            channel_question: None,
        }
    }

    #[test]
    fn right_to_left_languages_are_known_by_language_and_by_script() {
        for rtl in ["ar", "fa", "he", "ur", "ar-EG", "fa-IR", "az-Arab", "ckb"] {
            assert_eq!(text_direction(rtl), TextDirection::Rtl, "{rtl}");
        }
        for ltr in ["en", "fr", "fr-CA", "de", "az", "sd-Deva", "tr", "zh-Hant"] {
            assert_eq!(text_direction(ltr), TextDirection::Ltr, "{ltr}");
        }
    }

    #[test]
    fn ratings_become_levels_on_the_scale() {
        assert_eq!(level(1, 1, 7), 0.0);
        assert_eq!(level(7, 1, 7), 1.0);
        assert_eq!(level(4, 1, 7), 0.5);
        assert_eq!(level(3, 0, 10), 0.3);
    }

    #[test]
    fn a_complete_customer_instrument_publishes() {
        assert!(
            validate_for_publish(Audience::Customer, &content(vec![item("a", true)]), &book())
                .is_empty()
        );
        assert!(validate_for_publish(
            Audience::Management,
            &content(vec![item("a", false)]),
            &book()
        )
        .is_empty());
    }

    #[test]
    fn every_problem_is_listed_with_its_field() {
        let mut c = content(vec![item("a", false), item("a", true)]);
        c.items[1].standard = Some("NOPE".into());
        c.items[0].expectation_prompt.remove("ar");
        c.items[0]
            .expectation_prompt
            .insert("fr".into(), "Bonjour".into());
        c.title.insert("ar".into(), "  ".into());
        c.languages.push("EN".into());
        c.scale = RatingScale { min: 5, max: 5 };
        c.channel_question = Some(ChannelQuestion {
            prompt: text(&[("en", "How?"), ("ar", "كيف؟")]),
            channels: vec![Channel::Chat],
        });
        let fields: Vec<String> = validate_for_publish(Audience::Customer, &c, &book())
            .into_iter()
            .map(|e| e.field)
            .collect();
        for expected in [
            "scale.max",
            "languages[2]",
            "title.ar",
            "channel_question.channels",
            "items[0].expectation_prompt",
            "items[0].expectation_prompt.fr",
            "items[0].perception_prompt",
            "items[1].key",
            "items[1].standard",
        ] {
            assert!(
                fields.iter().any(|f| f == expected),
                "{expected} in {fields:?}"
            );
        }
    }

    #[test]
    fn management_items_ask_only_the_expectation_and_items_need_a_link() {
        let mut c = content(vec![item("a", true)]);
        c.items[0].standard = None;
        let fields: Vec<String> = validate_for_publish(Audience::Management, &c, &book())
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            vec!["items[0].standard", "items[0].perception_prompt"]
        );
        c.items[0].dimension = Some(Dimension::Tangibles);
        c.items[0].perception_prompt = None;
        assert!(validate_for_publish(Audience::Management, &c, &book()).is_empty());
        c.items[0].standard = Some("GRT-01".into());
        assert_eq!(
            validate_for_publish(Audience::Management, &c, &book())[0].field,
            "items[0].dimension"
        );
        assert_eq!(
            item_dimension(Some("GRT-01"), None, &book()),
            Some(Dimension::Empathy)
        );
        assert_eq!(
            item_dimension(None, Some(Dimension::Tangibles), &book()),
            Some(Dimension::Tangibles)
        );
    }
}

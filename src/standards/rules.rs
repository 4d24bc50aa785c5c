//! Rules of a standards book: what makes its content valid and what deserves a warning.

use std::collections::HashSet;

use super::dto::BookContent;
use crate::error::FieldError;

pub const MIN_PRINCIPLES: usize = 8;
pub const MAX_PRINCIPLES: usize = 12;
const MAX_TEXT: usize = 2000;

fn text_problem(value: &str, max: usize) -> Option<String> {
    if value.trim().is_empty() {
        Some("must not be empty".into())
    } else if value.chars().count() > max {
        Some(format!("must be at most {max} characters"))
    } else {
        None
    }
}

/// Standard codes: short, without spaces, so they can stand in reports and file names.
pub fn code_problem(code: &str) -> Option<String> {
    if code.is_empty() || code.len() > 32 {
        Some("must be 1 to 32 characters".into())
    } else if !code
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        Some("may hold only letters, digits, '-', '_' and '.'".into())
    } else {
        None
    }
}

/// Every problem of a book's name and content (an empty list when valid). Checked on every save.
pub fn validate_book(name: &str, content: &BookContent) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut push = |field: String, message: String| errors.push(FieldError::new(field, message));
    if let Some(p) = text_problem(name, 200) {
        push("name".into(), p);
    }
    for (i, principle) in content.principles.iter().enumerate() {
        if let Some(p) = text_problem(principle, MAX_TEXT) {
            push(format!("principles[{i}]"), p);
        }
    }
    let mut codes = HashSet::new();
    for (i, standard) in content.standards.iter().enumerate() {
        let at = |f: &str| format!("standards[{i}].{f}");
        if let Some(p) = code_problem(&standard.code) {
            push(at("code"), p);
        } else if !codes.insert(standard.code.as_str()) {
            push(at("code"), format!("duplicate code {:?}", standard.code));
        }
        if let Some(p) = text_problem(&standard.text, MAX_TEXT) {
            push(at("text"), p);
        }
        if standard.channels.is_empty() {
            push(at("channels"), "name at least one channel".into());
        }
        let unique: HashSet<_> = standard.channels.iter().collect();
        if unique.len() != standard.channels.len() {
            push(at("channels"), "names a channel twice".into());
        }
        if !(standard.target.is_finite() && (0.0..=1.0).contains(&standard.target)) {
            push(at("target"), "must be between 0 and 1".into());
        }
        if !(standard.weight.is_finite() && standard.weight > 0.0) {
            push(at("weight"), "must be greater than 0".into());
        }
        if let Some(norm) = &standard.norm {
            if let Some(p) = text_problem(norm, MAX_TEXT) {
                push(at("norm"), p);
            }
        }
    }
    let known: HashSet<&str> = content.standards.iter().map(|s| s.code.as_str()).collect();
    for (i, protocol) in content.protocols.iter().enumerate() {
        let at = |f: &str| format!("protocols[{i}].{f}");
        if let Some(p) = text_problem(&protocol.name, 200) {
            push(at("name"), p);
        }
        if let Some(p) = text_problem(&protocol.situation, MAX_TEXT) {
            push(at("situation"), p);
        }
        if protocol.steps.is_empty() {
            push(at("steps"), "a protocol needs at least one step".into());
        }
        for (j, step) in protocol.steps.iter().enumerate() {
            let at = |f: &str| format!("protocols[{i}].steps[{j}].{f}");
            if let Some(p) = text_problem(&step.text, MAX_TEXT) {
                push(at("text"), p);
            }
            if step.standards.is_empty() {
                push(at("standards"), "link at least one standard".into());
            }
            for (k, code) in step.standards.iter().enumerate() {
                if !known.contains(code.as_str()) {
                    push(
                        format!("protocols[{i}].steps[{j}].standards[{k}]"),
                        format!("no standard {code:?} in this book"),
                    );
                }
            }
        }
    }
    errors
}

/// What publishing additionally requires.
pub fn validate_for_publish(name: &str, content: &BookContent) -> Vec<FieldError> {
    let mut errors = validate_book(name, content);
    if content.standards.is_empty() {
        errors.push(FieldError::new(
            "standards",
            "a published book needs at least one standard",
        ));
    }
    errors
}

/// Advice shown with the book that never blocks publishing.
pub fn warnings(content: &BookContent) -> Vec<String> {
    let n = content.principles.len();
    let mut warnings = Vec::new();
    if n < MIN_PRINCIPLES {
        warnings.push(format!(
            "the book has {n} principles; a good statement of principles has {MIN_PRINCIPLES} to {MAX_PRINCIPLES}"
        ));
    } else if n > MAX_PRINCIPLES {
        warnings.push(format!(
            "the book has {n} principles; more than {MAX_PRINCIPLES} are hard to remember"
        ));
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::standards::dto::{Channel, Dimension, Protocol, ProtocolStep, Standard};

    fn standard(code: &str) -> Standard {
        Standard {
            code: code.into(),
            text: "Greet every visitor".into(),
            dimension: Dimension::Responsiveness,
            channels: vec![Channel::InPerson],
            target: 0.9,
            weight: 1.0,
            norm: Some("within 30 seconds".into()),
        }
    }

    fn fields(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn a_sound_book_passes() {
        let content = BookContent {
            principles: vec!["'Not my job' is never said to a customer".into()],
            standards: vec![standard("GRT-01"), standard("GRT-02")],
            protocols: vec![Protocol {
                name: "Greeting".into(),
                situation: "A visitor enters".into(),
                steps: vec![ProtocolStep {
                    text: "Stand and greet".into(),
                    standards: vec!["GRT-01".into()],
                }],
            }],
        };
        assert!(validate_for_publish("Service book", &content).is_empty());
        assert_eq!(warnings(&content).len(), 1);
    }

    #[test]
    fn every_problem_is_listed() {
        let mut bad = standard("GRT-01");
        bad.target = 1.5;
        bad.weight = 0.0;
        bad.text = " ".into();
        bad.channels = vec![];
        let content = BookContent {
            principles: vec!["".into()],
            standards: vec![standard("GRT-01"), bad, standard("has space")],
            protocols: vec![Protocol {
                name: "".into(),
                situation: "x".into(),
                steps: vec![ProtocolStep {
                    text: "x".into(),
                    standards: vec!["NOPE".into()],
                }],
            }],
        };
        assert_eq!(
            fields(&validate_book("", &content)),
            [
                "name",
                "principles[0]",
                "standards[1].code",
                "standards[1].text",
                "standards[1].channels",
                "standards[1].target",
                "standards[1].weight",
                "standards[2].code",
                "protocols[0].name",
                "protocols[0].steps[0].standards[0]",
            ]
        );
    }

    #[test]
    fn publishing_needs_a_standard_and_warns_on_principles() {
        let empty = BookContent::default();
        assert!(validate_book("x", &empty).is_empty());
        assert_eq!(fields(&validate_for_publish("x", &empty)), ["standards"]);
        let eight = BookContent {
            principles: (0..8).map(|i| format!("principle {i}")).collect(),
            ..Default::default()
        };
        assert!(warnings(&eight).is_empty());
        let thirteen = BookContent {
            principles: (0..13).map(|i| format!("principle {i}")).collect(),
            ..Default::default()
        };
        assert_eq!(warnings(&thirteen).len(), 1);
    }
}

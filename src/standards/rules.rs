//! Rules of a standards book: what makes its content valid and what deserves a warning.

use std::collections::HashSet;

use super::dto::BookContent;
use crate::error::FieldError;

pub const MIN_PRINCIPLES: usize = 8;
pub const MAX_PRINCIPLES: usize = 12;
/// The problems of a book's content that its schema cannot state (an empty list when there are
/// none), checked on every save: every field's own limits (lengths, code form, target 0 to 1,
/// weight above 0, channels) are in the contract, which checks them before this runs.
pub fn validate_book(content: &BookContent) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut push = |field: String, message: String| errors.push(FieldError::new(field, message));
    let mut codes = HashSet::new();
    for (i, standard) in content.standards.iter().enumerate() {
        if !codes.insert(standard.code.as_str()) {
            push(
                format!("standards[{i}].code"),
                format!("duplicate code {:?}", standard.code),
            );
        }
    }
    for (i, protocol) in content.protocols.iter().enumerate() {
        for (j, step) in protocol.steps.iter().enumerate() {
            for (k, code) in step.standards.iter().enumerate() {
                if !codes.contains(code.as_str()) {
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
pub fn validate_for_publish(content: &BookContent) -> Vec<FieldError> {
    let mut errors = validate_book(content);
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
        assert!(validate_for_publish(&content).is_empty());
        assert_eq!(warnings(&content).len(), 1);
    }

    #[test]
    fn duplicate_codes_and_unknown_links_are_listed() {
        let content = BookContent {
            principles: vec![],
            standards: vec![standard("GRT-01"), standard("GRT-01"), standard("GRT-02")],
            protocols: vec![Protocol {
                name: "Greeting".into(),
                situation: "x".into(),
                steps: vec![ProtocolStep {
                    text: "x".into(),
                    standards: vec!["GRT-02".into(), "NOPE".into()],
                }],
            }],
        };
        assert_eq!(
            fields(&validate_book(&content)),
            ["standards[1].code", "protocols[0].steps[0].standards[1]"]
        );
    }

    #[test]
    fn publishing_needs_a_standard_and_warns_on_principles() {
        let empty = BookContent::default();
        assert!(validate_book(&empty).is_empty());
        assert_eq!(fields(&validate_for_publish(&empty)), ["standards"]);
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

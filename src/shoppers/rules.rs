//! Checks on what shoppers and managers say about a shopper.

use crate::error::FieldError;

/// A language tag: letters, digits and hyphens, like `de`, `en-GB` or `pt-BR`.
pub fn language_problem(tag: &str) -> Option<&'static str> {
    let ok = (2..=16).contains(&tag.len())
        && tag
            .split('-')
            .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric()))
        && tag.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
    (!ok).then_some("must be a language tag such as de, en-GB or pt-BR")
}

pub fn validate_profile(home_region: Option<&str>, languages: &[String]) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if home_region.is_some_and(|r| r.trim().is_empty() || r.chars().count() > 100) {
        errors.push(FieldError::new(
            "home_region",
            "must be 1 to 100 characters",
        ));
    }
    if languages.len() > 20 {
        errors.push(FieldError::new("languages", "at most 20 languages"));
    }
    for (i, tag) in languages.iter().enumerate() {
        if let Some(p) = language_problem(tag) {
            errors.push(FieldError::new(format!("languages[{i}]"), p));
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_tags() {
        for ok in ["de", "en-GB", "pt-BR", "zh-Hant-TW"] {
            assert_eq!(language_problem(ok), None, "{ok}");
        }
        for bad in ["", "e", "en_GB", "-en", "en-", "1a", "toolonglanguagetag"] {
            assert!(language_problem(bad).is_some(), "{bad}");
        }
        let fields: Vec<String> = validate_profile(Some(" "), &["de".into(), "x".into()])
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["home_region", "languages[1]"]);
    }
}

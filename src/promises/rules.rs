//! Promise rules: what a valid promise is, and which level counts for a period. Pure.

use chrono::NaiveDate;

use super::dto::PromiseInput;
use crate::error::FieldError;
use crate::standards::dto::Channel;

/// Problems beyond what the contract states per field.
pub fn validate(input: &PromiseInput, known_standard: bool) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if !known_standard {
        errors.push(FieldError::new(
            "standard",
            "is not a standard of the organization's published standards books",
        ));
    }
    if input.valid_to.is_some_and(|to| to < input.valid_from) {
        errors.push(FieldError::new("valid_to", "must not be before valid_from"));
    }
    errors
}

/// The validity of a promise, as far as choosing `R` cares.
#[derive(Debug, Clone)]
pub struct Validity {
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub channels: Vec<Channel>,
    pub promised_level: f64,
}

/// `R`: the highest level promised during `[from, to]` (a promise counts when its validity
/// overlaps the period; with a `channel`, only promises that speak of it). `None` when nothing
/// was promised then, which leaves gap 4 uncomputable.
pub fn promised_level(
    promises: &[Validity],
    from: NaiveDate,
    to: NaiveDate,
    channel: Option<Channel>,
) -> Option<f64> {
    promises
        .iter()
        .filter(|p| p.valid_from <= to && p.valid_to.is_none_or(|end| end >= from))
        .filter(|p| channel.is_none_or(|c| p.channels.contains(&c)))
        .map(|p| p.promised_level)
        .fold(None, |best: Option<f64>, level| {
            Some(best.map_or(level, |b| b.max(level)))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn p(from: &str, to: Option<&str>, channels: &[Channel], level: f64) -> Validity {
        Validity {
            valid_from: d(from),
            valid_to: to.map(d),
            channels: channels.to_vec(),
            promised_level: level,
        }
    }

    #[test]
    fn the_highest_promise_overlapping_the_period_counts() {
        let promises = [
            p("2026-01-01", Some("2026-03-31"), &[Channel::Phone], 1.0),
            p("2026-04-01", None, &[Channel::Phone, Channel::Chat], 0.9),
            p("2025-01-01", Some("2025-12-31"), &[Channel::Chat], 0.5),
        ];
        assert_eq!(
            promised_level(&promises, d("2026-03-01"), d("2026-04-30"), None),
            Some(1.0)
        );
        assert_eq!(
            promised_level(&promises, d("2026-04-01"), d("2026-04-30"), None),
            Some(0.9)
        );
        // The boundaries are inclusive on both sides.
        assert_eq!(
            promised_level(&promises, d("2025-12-31"), d("2025-12-31"), None),
            Some(0.5)
        );
        assert_eq!(
            promised_level(
                &promises,
                d("2026-02-01"),
                d("2026-02-28"),
                Some(Channel::Chat)
            ),
            None
        );
        assert_eq!(
            promised_level(&promises, d("2024-01-01"), d("2024-12-31"), None),
            None
        );
    }

    #[test]
    fn a_promise_ends_no_earlier_than_it_starts_and_names_a_known_standard() {
        let mut input = PromiseInput {
            standard: "PHN-01".into(),
            text: "We answer within three rings".into(),
            source: super::super::dto::PromiseSource::Advertisement,
            channels: vec![Channel::Phone],
            valid_from: d("2026-01-01"),
            valid_to: Some(d("2026-01-01")),
            promised_level: 1.0,
        };
        assert!(validate(&input, true).is_empty());
        input.valid_to = Some(d("2025-12-31"));
        let fields: Vec<String> = validate(&input, false)
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, vec!["standard", "valid_to"]);
    }
}

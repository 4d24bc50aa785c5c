//! The quiz rules as pure functions: what a publishable quiz is, and how an attempt is scored.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use super::dto::QuizQuestion;
use crate::error::FieldError;

/// What keeps a quiz from being saved: repeated keys, correct answers that are not options.
/// (Counts and lengths are the contract's.)
pub fn validate(questions: &[QuizQuestion]) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    for (i, q) in questions.iter().enumerate() {
        if !seen.insert(q.key.as_str()) {
            errors.push(FieldError::new(
                format!("questions[{i}].key"),
                format!("the key {:?} is used by an earlier question", q.key),
            ));
        }
        let mut options = HashSet::new();
        for (j, o) in q.options.iter().enumerate() {
            if !options.insert(o.key.as_str()) {
                errors.push(FieldError::new(
                    format!("questions[{i}].options[{j}].key"),
                    format!("the key {:?} is used by an earlier option", o.key),
                ));
            }
        }
        let mut correct = HashSet::new();
        for (j, c) in q.correct.iter().enumerate() {
            if !options.contains(c.as_str()) {
                errors.push(FieldError::new(
                    format!("questions[{i}].correct[{j}]"),
                    format!("{c:?} is not an option of this question"),
                ));
            } else if !correct.insert(c.as_str()) {
                errors.push(FieldError::new(
                    format!("questions[{i}].correct[{j}]"),
                    format!("{c:?} is named twice"),
                ));
            }
        }
    }
    errors
}

/// How many questions `answers` got right: a question is right when the chosen options are
/// exactly its correct ones; one left out is wrong. Answers naming an unknown question or
/// option are refused (the app sent something it was not shown).
pub fn score(
    questions: &[QuizQuestion],
    answers: &BTreeMap<String, Vec<String>>,
) -> Result<i32, Vec<FieldError>> {
    let mut errors = Vec::new();
    for (key, chosen) in answers {
        match questions.iter().find(|q| &q.key == key) {
            None => errors.push(FieldError::new(
                format!("answers.{key}"),
                "not a question of this quiz",
            )),
            Some(q) => {
                for c in chosen {
                    if !q.options.iter().any(|o| &o.key == c) {
                        errors.push(FieldError::new(
                            format!("answers.{key}"),
                            format!("{c:?} is not an option of this question"),
                        ));
                    }
                }
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let right = questions
        .iter()
        .filter(|q| {
            let want: BTreeSet<&str> = q.correct.iter().map(String::as_str).collect();
            answers.get(&q.key).is_some_and(|chosen| {
                let got: BTreeSet<&str> = chosen.iter().map(String::as_str).collect();
                got == want
            })
        })
        .count();
    Ok(right as i32)
}

/// Passing is `correct / total >= pass mark`, compared in integers (no rounding).
pub fn passes(correct: i32, total: i32, pass_mark_percent: i32) -> bool {
    total > 0 && i64::from(correct) * 100 >= i64::from(pass_mark_percent) * i64::from(total)
}

/// The score in whole percent, rounded down (so 2 of 3 is 66, and passing 67 needs 3 of 3).
pub fn score_percent(correct: i32, total: i32) -> i32 {
    if total == 0 {
        0
    } else {
        (i64::from(correct) * 100 / i64::from(total)) as i32
    }
}

/// Of the organization's published quiz versions, (quiz, version, the checklist it gates or
/// ""), the quizzes a shopper who passed `passed` still lacks, and the checklists their latest
/// published versions gate: (quiz ids, checklist ids), each sorted, without repeats.
pub fn missing_quizzes(
    published: &[(String, i32, String)],
    passed: &[String],
) -> (Vec<String>, Vec<String>) {
    let mut latest: BTreeMap<&str, (i32, &str)> = BTreeMap::new();
    for (quiz, version, checklist) in published {
        let entry = latest.entry(quiz).or_insert((*version, checklist));
        if *version > entry.0 {
            *entry = (*version, checklist);
        }
    }
    let passed: HashSet<&str> = passed.iter().map(String::as_str).collect();
    let missing: Vec<(&str, &str)> = latest
        .into_iter()
        .filter(|(quiz, _)| !passed.contains(quiz))
        .map(|(quiz, (_, checklist))| (quiz, checklist))
        .collect();
    let checklists: BTreeSet<String> = missing
        .iter()
        .filter(|(_, checklist)| !checklist.is_empty())
        .map(|(_, checklist)| checklist.to_string())
        .collect();
    (
        missing
            .into_iter()
            .map(|(quiz, _)| quiz.to_string())
            .collect(),
        checklists.into_iter().collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certification::dto::QuizOption;

    #[test]
    fn a_shopper_lacks_the_quizzes_not_passed_and_their_latest_versions_gate_checklists() {
        let published = [
            ("q1".to_string(), 1, "c-old".to_string()),
            ("q1".to_string(), 2, "c1".to_string()),
            ("q2".to_string(), 1, String::new()),
            ("q3".to_string(), 1, "c3".to_string()),
        ];
        let passed = ["q3".to_string(), "q3".to_string()];
        let (quizzes, checklists) = missing_quizzes(&published, &passed);
        assert_eq!(quizzes, ["q1", "q2"]);
        assert_eq!(
            checklists,
            ["c1"],
            "the latest version's checklist only; q3 is passed"
        );
        assert_eq!(missing_quizzes(&[], &passed), (vec![], vec![]));
        let all: Vec<String> = ["q1", "q2", "q3"].map(String::from).to_vec();
        assert_eq!(missing_quizzes(&published, &all), (vec![], vec![]));
    }

    fn question(key: &str, options: &[&str], correct: &[&str]) -> QuizQuestion {
        QuizQuestion {
            key: key.into(),
            text: "?".into(),
            options: options
                .iter()
                .map(|o| QuizOption {
                    key: (*o).into(),
                    text: o.to_uppercase(),
                })
                .collect(),
            correct: correct.iter().map(|c| (*c).to_string()).collect(),
        }
    }

    fn answers(pairs: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect()))
            .collect()
    }

    #[test]
    fn a_quiz_names_each_key_once_and_only_correct_options() {
        let ok = [question("q1", &["a", "b"], &["a"])];
        assert!(validate(&ok).is_empty());
        let bad = [
            question("q1", &["a", "a"], &["c"]),
            question("q1", &["a", "b"], &["a", "a"]),
        ];
        let fields: Vec<String> = validate(&bad).into_iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                "questions[0].options[1].key",
                "questions[0].correct[0]",
                "questions[1].key",
                "questions[1].correct[1]"
            ]
        );
    }

    #[test]
    fn a_question_is_right_only_with_exactly_the_correct_options() {
        let quiz = [
            question("one", &["a", "b", "c"], &["b"]),
            question("several", &["a", "b", "c"], &["a", "c"]),
            question("skipped", &["a", "b"], &["a"]),
        ];
        assert_eq!(
            score(
                &quiz,
                &answers(&[("one", &["b"]), ("several", &["c", "a"])])
            ),
            Ok(2)
        );
        // A subset, a superset and the wrong one are all wrong.
        assert_eq!(
            score(
                &quiz,
                &answers(&[
                    ("one", &["b", "a"]),
                    ("several", &["a"]),
                    ("skipped", &["b"])
                ])
            ),
            Ok(0)
        );
        let refused = score(&quiz, &answers(&[("nope", &["a"]), ("one", &["z"])])).unwrap_err();
        assert_eq!(refused.len(), 2);
        assert_eq!(refused[0].field, "answers.nope");
    }

    #[test]
    fn passing_compares_exactly() {
        assert!(passes(4, 5, 80));
        assert!(!passes(3, 5, 80));
        assert!(!passes(2, 3, 67));
        assert!(passes(2, 3, 66));
        assert!(passes(3, 3, 100));
        assert!(!passes(0, 0, 1));
        assert_eq!(score_percent(2, 3), 66);
        assert_eq!(score_percent(0, 0), 0);
    }
}

//! Kinds of text the contract names once and fields refer to (`#[schema(value_type = …)]`): each
//! carries its limits in the document, where the contract's validator reads them. They exist
//! for the document only; the fields stay `String` in Rust.
#![allow(dead_code)]

use utoipa::ToSchema;

/// A name: 1 to 200 characters, not only spaces.
#[derive(ToSchema)]
#[schema(value_type = String, min_length = 1, max_length = 200, pattern = r"^[^\x00]*\S[^\x00]*$")]
pub struct Name(String);

/// A text a person reads: 1 to 2000 characters, not only spaces.
#[derive(ToSchema)]
#[schema(value_type = String, min_length = 1, max_length = 2000, pattern = r"^[^\x00]*\S[^\x00]*$")]
pub struct LongText(String);

/// A short label such as a region: 1 to 100 characters, not only spaces.
#[derive(ToSchema)]
#[schema(value_type = String, min_length = 1, max_length = 100, pattern = r"^[^\x00]*\S[^\x00]*$")]
pub struct Label(String);

/// A password: 10 to 128 characters, not only spaces.
#[derive(ToSchema)]
#[schema(value_type = String, min_length = 10, max_length = 128, pattern = r"^[^\x00]*\S[^\x00]*$")]
pub struct Password(String);

/// An ISO 4217 currency code such as `EUR`.
#[derive(ToSchema)]
#[schema(value_type = String, pattern = r"^[A-Z]{3}$")]
pub struct CurrencyCode(String);

/// An answer's value: `true`/`false`, a number, or text (an option's value, free text of at
/// most 10,000 characters, an RFC 3339 time); which one an item takes is its type's.
#[derive(ToSchema)]
#[serde(untagged)]
pub enum AnswerValue {
    YesNo(bool),
    Number(f64),
    Text(AnswerText),
}

/// An answer given as text: at most 10,000 characters.
#[derive(ToSchema)]
#[schema(value_type = String, max_length = 10000)]
pub struct AnswerText(String);

/// A free note: at most 2000 characters (it may be empty).
#[derive(ToSchema)]
#[schema(value_type = String, max_length = 2000)]
pub struct Note(String);

/// A code such as `GRT-01` or `BER-01`: 1 to 32 letters, digits, `-`, `_` and `.`.
#[derive(ToSchema)]
#[schema(value_type = String, min_length = 1, max_length = 32, pattern = r"^[A-Za-z0-9._-]+$")]
pub struct Code(String);

/// A checklist item's key: 1 to 64 of `a-z`, `0-9`, `_`, `-` and `.`, stable across versions.
#[derive(ToSchema)]
#[schema(value_type = String, min_length = 1, max_length = 64, pattern = r"^[a-z0-9._-]+$")]
pub struct ItemKey(String);

/// A language tag (BCP 47, simplified) such as `de`, `en-GB`, `pt-BR` or `fa`.
#[derive(ToSchema)]
#[schema(
    value_type = String,
    min_length = 2,
    max_length = 16,
    pattern = r"^[A-Za-z][A-Za-z0-9]*(-[A-Za-z0-9]+)*$"
)]
pub struct LanguageTag(String);

/// A one-time survey invitation code: 8 to 64 letters, digits and `-`.
#[derive(ToSchema)]
#[schema(value_type = String, min_length = 8, max_length = 64, pattern = r"^[A-Za-z0-9-]+$")]
pub struct InvitationCode(String);

/// Patterns of the contract, in words: what a client hears when a value does not fit one. A
/// test checks that every pattern in the document has its words here.
pub const PATTERN_WORDS: &[(&str, &str)] = &[
    (
        r"^[^\x00]*\S[^\x00]*$",
        "must not be empty or only spaces, nor contain NUL (U+0000)",
    ),
    (r"^[^\x00]*$", "must not contain NUL (U+0000)"),
    (
        r"^[A-Za-z0-9._-]+$",
        "may hold only letters, digits, '-', '_' and '.'",
    ),
    (
        r"^[a-z0-9._-]+$",
        "may hold only a-z, 0-9, '_', '-' and '.'",
    ),
    (
        r"^[A-Za-z][A-Za-z0-9]*(-[A-Za-z0-9]+)*$",
        "must be a language tag such as de, en-GB or pt-BR",
    ),
    (
        r"^shopgap\.standards_book/v1$",
        "must be shopgap.standards_book/v1",
    ),
    (r"^shopgap\.checklist/v1$", "must be shopgap.checklist/v1"),
    (
        r"^shopgap\.survey_instrument/v1$",
        "must be shopgap.survey_instrument/v1",
    ),
    (r"^[A-Z]{3}$", "must be an ISO 4217 code such as EUR"),
    (r"^[A-Za-z0-9-]+$", "may hold only letters, digits and '-'"),
];

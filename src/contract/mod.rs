//! The OpenAPI document is the server's own validator: every field rule a client can read in the
//! contract (lengths, ranges, patterns, enumerations, formats, required fields, item counts,
//! objects where objects are due) is enforced by checking the request against that very
//! document, compiled once per process. The `#[schema]` and `#[param]` attributes that generate
//! the document are the one place such a rule is written; the code holds only the rules a
//! schema cannot state (across fields, against stored data).
//!
//! Bodies are checked against the component schema of their type (`http::from_document`);
//! query strings against the operation's parameters (`http::ApiQuery`). Every violation is
//! named in a 422 with words a person can act on, never the implementation's type names.

use std::collections::HashMap;
use std::sync::LazyLock;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{JsonType, Registry, ValidationError, Validator};
use serde_json::{json, Value};

use crate::error::FieldError;

pub mod types;

/// Where the document is registered for `$ref` resolution (never fetched).
const BASE: &str = "urn:shopgap:openapi";

/// How a query parameter's text becomes a JSON value before it is checked.
#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Text,
    Integer,
    Number,
    Boolean,
    /// A comma-separated list (`style: form`, `explode: false`) of items of a kind.
    List(Box<Kind>),
}

struct QueryParam {
    name: String,
    kind: Kind,
    validator: Validator,
}

/// The compiled contract.
pub struct Contract {
    bodies: HashMap<String, Validator>,
    /// Query parameters by (method, path template).
    queries: HashMap<(String, String), Vec<QueryParam>>,
}

static CONTRACT: LazyLock<Contract> = LazyLock::new(|| {
    let document =
        serde_json::to_value(crate::openapi::openapi()).expect("the OpenAPI document serializes");
    Contract::compile(document).expect("the OpenAPI document compiles as JSON Schema")
});

/// The contract of this build (compiled on first use).
pub fn contract() -> &'static Contract {
    &CONTRACT
}

/// A JSON pointer as a URI fragment: characters a fragment may not hold (the braces of path
/// templates) percent-encoded.
fn uri_fragment(pointer: &str) -> String {
    pointer
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// `a/b~c` as a JSON pointer segment.
fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

impl Contract {
    fn compile(document: Value) -> Result<Self, String> {
        let registry = Registry::new()
            .add(BASE, document.clone())
            .and_then(|r| r.prepare())
            .map_err(|e| e.to_string())?;
        let build = |pointer: String| -> Result<Validator, String> {
            jsonschema::options()
                .with_registry(&registry)
                .should_validate_formats(true)
                .build(&json!({ "$ref": format!("{BASE}#{}", uri_fragment(&pointer)) }))
                .map_err(|e| format!("{pointer}: {e}"))
        };
        let mut bodies = HashMap::new();
        if let Some(schemas) = document
            .pointer("/components/schemas")
            .and_then(Value::as_object)
        {
            for name in schemas.keys() {
                let validator = build(format!("/components/schemas/{}", escape(name)))?;
                bodies.insert(name.clone(), validator);
            }
        }
        let mut queries = HashMap::new();
        let paths = document
            .get("paths")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        for (path, item) in paths {
            for method in ["get", "put", "post", "delete", "patch"] {
                let Some(parameters) = item
                    .get(method)
                    .and_then(|op| op.get("parameters"))
                    .and_then(Value::as_array)
                else {
                    continue;
                };
                let mut params = Vec::new();
                for (i, parameter) in parameters.iter().enumerate() {
                    if parameter.get("in").and_then(Value::as_str) != Some("query") {
                        continue;
                    }
                    let Some(schema) = parameter.get("schema") else {
                        continue;
                    };
                    let pointer =
                        format!("/paths/{}/{method}/parameters/{i}/schema", escape(&path));
                    params.push(QueryParam {
                        name: parameter["name"].as_str().unwrap_or_default().to_string(),
                        kind: kind_of(schema, &document),
                        validator: build(pointer)?,
                    });
                }
                queries.insert((method.to_ascii_uppercase(), path.clone()), params);
            }
        }
        Ok(Contract { bodies, queries })
    }

    /// Checks a request body against the schema of the type it is read as.
    pub fn check_body(&self, schema: &str, body: &Value) -> Result<(), Vec<FieldError>> {
        let Some(validator) = self.bodies.get(schema) else {
            // A body type outside the document is a bug in the contract, not the client's.
            tracing::error!(schema, "a request body type is missing from the contract");
            return Ok(());
        };
        // The common case first: deciding validity stops at nothing and builds no errors
        // (collecting them for a valid submission was 2 % of the server's CPU on ingest).
        if validator.is_valid(body) {
            return Ok(());
        }
        let problems: Vec<FieldError> = validator
            .iter_errors(body)
            .map(|e| field_error(&e, "body"))
            .collect();
        finish(problems)
    }

    /// Checks a query string against the query parameters the operation at `method` and the
    /// path template `path` documents. Parameters it does not document are left to the handler.
    pub fn check_query(
        &self,
        method: &str,
        path: &str,
        query: &str,
    ) -> Result<(), Vec<FieldError>> {
        let Some(params) = self.queries.get(&(method.to_string(), path.to_string())) else {
            return Ok(());
        };
        let pairs: Vec<(String, String)> = form_pairs(query);
        let mut problems = Vec::new();
        for param in params {
            for (_, text) in pairs.iter().filter(|(name, _)| *name == param.name) {
                match to_value(text, &param.kind) {
                    Ok(value) => problems.extend(
                        param
                            .validator
                            .iter_errors(&value)
                            .map(|e| field_error(&e, &param.name)),
                    ),
                    Err(message) => problems.push(FieldError::new(&param.name, message)),
                }
            }
        }
        finish(problems)
    }
}

/// The problems sorted by field, one per field (an empty text breaks both its length and its
/// pattern; the first word is enough).
fn finish(mut problems: Vec<FieldError>) -> Result<(), Vec<FieldError>> {
    if problems.is_empty() {
        return Ok(());
    }
    problems.sort_by(|a, b| a.field.cmp(&b.field));
    problems.dedup_by(|later, kept| later.field == kept.field);
    Err(problems)
}

/// `a=1&b=x%2Cy` as decoded pairs.
fn form_pairs(query: &str) -> Vec<(String, String)> {
    actix_web::web::Query::<Vec<(String, String)>>::from_query(query)
        .map(|q| q.into_inner())
        .unwrap_or_default()
}

/// What kind of value a parameter schema describes, following `$ref`s and leaving `null` out.
fn kind_of(schema: &Value, document: &Value) -> Kind {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let pointer = reference.trim_start_matches('#');
        return document
            .pointer(pointer)
            .map_or(Kind::Text, |s| kind_of(s, document));
    }
    for combinator in ["oneOf", "anyOf", "allOf"] {
        if let Some(branches) = schema.get(combinator).and_then(Value::as_array) {
            if let Some(branch) = branches
                .iter()
                .find(|b| b.get("type") != Some(&json!("null")))
            {
                return kind_of(branch, document);
            }
        }
    }
    let kind = match schema.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("string"),
        _ => "string",
    };
    match kind {
        "integer" => Kind::Integer,
        "number" => Kind::Number,
        "boolean" => Kind::Boolean,
        "array" => Kind::List(Box::new(
            schema
                .get("items")
                .map_or(Kind::Text, |items| kind_of(items, document)),
        )),
        _ => Kind::Text,
    }
}

/// A query parameter's text as the JSON value its schema describes.
fn to_value(text: &str, kind: &Kind) -> Result<Value, String> {
    Ok(match kind {
        Kind::Text => Value::String(text.to_string()),
        Kind::Integer => text
            .trim()
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| "must be a whole number".to_string())?,
        Kind::Number => text
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .map(Value::from)
            .ok_or_else(|| "must be a number".to_string())?,
        Kind::Boolean => match text.trim() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => return Err("must be true or false".into()),
        },
        // As `style: form, explode: false` writes a list: `a,b`; an empty value is one empty
        // item (which the item's schema then judges), as clients generated from the contract
        // read it.
        Kind::List(item) => Value::Array(
            text.split(',')
                .map(|s| to_value(s.trim(), item))
                .collect::<Result<_, _>>()?,
        ),
    })
}

/// `/scopes/1/name` under `root` → `scopes[1].name`; the root itself is `root`.
fn field_path(pointer: &str, root: &str) -> String {
    let mut out = if root == "body" {
        String::new()
    } else {
        root.to_string()
    };
    for segment in pointer.split('/').skip(1) {
        let segment = segment.replace("~1", "/").replace("~0", "~");
        if segment.parse::<usize>().is_ok() {
            out.push_str(&format!("[{segment}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&segment);
        }
    }
    if out.is_empty() {
        root.to_string()
    } else {
        out
    }
}

fn type_name(t: JsonType) -> &'static str {
    match t {
        JsonType::Null => "null",
        JsonType::Boolean => "true or false",
        JsonType::Integer => "a whole number",
        JsonType::Number => "a number",
        JsonType::String => "text",
        JsonType::Array => "a list",
        JsonType::Object => "an object",
    }
}

fn number(limit: &Value) -> String {
    match limit.as_f64() {
        Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
        _ => limit.to_string(),
    }
}

fn format_name(format: &str) -> String {
    match format {
        "uuid" => "a UUID".into(),
        "date" => "a date (YYYY-MM-DD)".into(),
        "date-time" => "an RFC 3339 time (2026-12-02T09:30:00Z)".into(),
        "email" => "an email address".into(),
        "uri" => "a URI".into(),
        other => format!("in the {other} format"),
    }
}

fn list(values: &Value) -> String {
    values
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_else(|| values.to_string())
}

/// One violation, named by the field it is at, in the API's words.
fn field_error(error: &ValidationError<'_>, root: &str) -> FieldError {
    let at = field_path(error.instance_path().as_str(), root);
    let message = match error.kind() {
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            let field = if at == root && root == "body" {
                name.to_string()
            } else {
                format!("{at}.{name}")
            };
            return FieldError::new(field, "is required");
        }
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            return FieldError::new(at, format!("has no field {}", unexpected.join(", ")));
        }
        ValidationErrorKind::Type { kind } => match kind {
            TypeKind::Single(t) => format!("must be {}", type_name(*t)),
            TypeKind::Multiple(set) => format!(
                "must be {}",
                set.iter()
                    .filter(|t| *t != JsonType::Null)
                    .map(type_name)
                    .collect::<Vec<_>>()
                    .join(" or ")
            ),
        },
        ValidationErrorKind::MinLength { limit } => match limit {
            1 => "must not be empty".into(),
            n => format!("must be at least {n} characters"),
        },
        ValidationErrorKind::MaxLength { limit } => format!("must be at most {limit} characters"),
        ValidationErrorKind::Minimum { limit } => format!("must be at least {}", number(limit)),
        ValidationErrorKind::Maximum { limit } => format!("must be at most {}", number(limit)),
        ValidationErrorKind::ExclusiveMinimum { limit } => {
            format!("must be more than {}", number(limit))
        }
        ValidationErrorKind::ExclusiveMaximum { limit } => {
            format!("must be less than {}", number(limit))
        }
        ValidationErrorKind::MinItems { limit } => match limit {
            1 => "must hold at least one value".into(),
            n => format!("must hold at least {n} values"),
        },
        ValidationErrorKind::MaxItems { limit } => format!("must hold at most {limit} values"),
        ValidationErrorKind::UniqueItems => "must not repeat a value".into(),
        ValidationErrorKind::Pattern { pattern } => types::PATTERN_WORDS
            .iter()
            .find(|(p, _)| p == pattern)
            .map_or_else(
                || format!("does not have the expected form ({pattern})"),
                |(_, words)| words.to_string(),
            ),
        ValidationErrorKind::Enum { options } => format!(
            "must be one of: {} (not {})",
            list(options),
            error.instance()
        ),
        ValidationErrorKind::Constant { expected_value } => {
            format!("must be {}", list(&json!([expected_value.as_ref()])))
        }
        ValidationErrorKind::Format { format } => format!("must be {}", format_name(format)),
        ValidationErrorKind::OneOfNotValid { .. } | ValidationErrorKind::AnyOf { .. } => {
            "does not have any of the allowed forms".into()
        }
        ValidationErrorKind::OneOfMultipleValid { .. } => {
            "fits more than one of the allowed forms".into()
        }
        ValidationErrorKind::MultipleOf { multiple_of } => {
            format!("must be a multiple of {multiple_of}")
        }
        _ => "is not valid here".into(),
    };
    FieldError::new(at, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_read_like_fields() {
        assert_eq!(field_path("", "body"), "body");
        assert_eq!(field_path("/email", "body"), "email");
        assert_eq!(field_path("/scopes/1", "body"), "scopes[1]");
        assert_eq!(field_path("/a/0/b~1c", "body"), "a[0].b/c");
        assert_eq!(field_path("/2", "channel"), "channel[2]");
        assert_eq!(field_path("", "limit"), "limit");
    }

    #[test]
    fn query_text_becomes_typed_values() {
        assert_eq!(to_value("12", &Kind::Integer), Ok(json!(12)));
        assert!(to_value("12.5", &Kind::Integer).is_err());
        assert_eq!(to_value("0.5", &Kind::Number), Ok(json!(0.5)));
        assert!(to_value("NaN", &Kind::Number).is_err());
        assert_eq!(to_value("true", &Kind::Boolean), Ok(json!(true)));
        assert!(to_value("yes", &Kind::Boolean).is_err());
        assert_eq!(
            to_value("a, b,,c", &Kind::List(Box::new(Kind::Text))),
            Ok(json!(["a", "b", "", "c"]))
        );
        assert_eq!(
            to_value("", &Kind::List(Box::new(Kind::Text))),
            Ok(json!([""]))
        );
        assert!(to_value("1,x", &Kind::List(Box::new(Kind::Integer))).is_err());
    }

    /// A small document standing for the real one.
    fn sample() -> Contract {
        Contract::compile(json!({
            "openapi": "3.1.0",
            "paths": {"/v1/things": {"get": {"parameters": [
                {"name": "limit", "in": "query", "schema": {"type": ["integer", "null"], "minimum": 1, "maximum": 200}},
                {"name": "channel", "in": "query", "style": "form", "explode": false,
                 "schema": {"type": ["array", "null"], "maxItems": 2, "items": {"$ref": "#/components/schemas/Channel"}}},
            ]}}},
            "components": {"schemas": {
                "Channel": {"type": "string", "enum": ["phone", "email"]},
                "Thing": {"type": "object", "additionalProperties": false, "required": ["name", "id"],
                    "properties": {
                        "name": {"type": "string", "minLength": 1, "maxLength": 5},
                        "id": {"type": "string", "format": "uuid"},
                        "tags": {"type": "array", "uniqueItems": true, "items": {"type": "string", "pattern": "^[a-z]+$"}},
                        "share": {"type": "number", "minimum": 0, "maximum": 1},
                    }},
            }},
        }))
        .unwrap()
    }

    #[test]
    fn bodies_are_checked_against_their_schema_in_the_apis_words() {
        let contract = sample();
        let ok = json!({"name": "a", "id": "0194a3c2-7c1e-7d3a-9f4e-3b2a1c0d9e8f"});
        assert!(contract.check_body("Thing", &ok).is_ok());
        let problems = contract
            .check_body(
                "Thing",
                &json!({"name": "toolong", "id": "x", "tags": ["a", "a", "B"], "share": 2, "extra": 1}),
            )
            .unwrap_err();
        let pairs: Vec<(&str, &str)> = problems
            .iter()
            .map(|p| (p.field.as_str(), p.message.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("body", "has no field extra"),
                ("id", "must be a UUID"),
                ("name", "must be at most 5 characters"),
                ("share", "must be at most 1"),
                ("tags", "must not repeat a value"),
                ("tags[2]", "does not have the expected form (^[a-z]+$)"),
            ]
        );
        // An array where an object is due is refused, without a word of Rust.
        let problems = contract
            .check_body(
                "Thing",
                &json!(["a", "0194a3c2-7c1e-7d3a-9f4e-3b2a1c0d9e8f"]),
            )
            .unwrap_err();
        assert_eq!(problems, [FieldError::new("body", "must be an object")]);
        let problems = contract.check_body("Thing", &json!({})).unwrap_err();
        assert_eq!(
            problems,
            [
                FieldError::new("id", "is required"),
                FieldError::new("name", "is required")
            ]
        );
    }

    #[test]
    fn query_parameters_are_checked_against_the_operation() {
        let contract = sample();
        assert!(contract
            .check_query("GET", "/v1/things", "limit=5&channel=phone,email")
            .is_ok());
        assert!(contract.check_query("GET", "/v1/things", "").is_ok());
        assert!(contract.check_query("GET", "/v1/other", "limit=x").is_ok());
        let problems = contract
            .check_query(
                "GET",
                "/v1/things",
                "limit=500&channel=phone,teleport,email",
            )
            .unwrap_err();
        let pairs: Vec<(&str, &str)> = problems
            .iter()
            .map(|p| (p.field.as_str(), p.message.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("channel", "must hold at most 2 values"),
                (
                    "channel[1]",
                    "must be one of: phone, email (not \"teleport\")"
                ),
                ("limit", "must be at most 200"),
            ]
        );
        let problems = contract
            .check_query("GET", "/v1/things", "limit=ten")
            .unwrap_err();
        assert_eq!(
            problems,
            [FieldError::new("limit", "must be a whole number")]
        );
    }

    #[test]
    fn every_pattern_of_the_contract_is_worded() {
        fn patterns(value: &Value, out: &mut Vec<String>) {
            match value {
                Value::Object(map) => {
                    for (key, v) in map {
                        match (key.as_str(), v) {
                            ("pattern", Value::String(p)) => out.push(p.clone()),
                            _ => patterns(v, out),
                        }
                    }
                }
                Value::Array(items) => items.iter().for_each(|v| patterns(v, out)),
                _ => {}
            }
        }
        let document = serde_json::to_value(crate::openapi::openapi()).unwrap();
        let mut found = Vec::new();
        patterns(&document, &mut found);
        for pattern in found {
            // Header formats are checked by the server's own code, not worded here.
            if pattern.starts_with("^[!-~]") || pattern.starts_with("^([!-)") {
                continue;
            }
            assert!(
                types::PATTERN_WORDS.iter().any(|(p, _)| *p == pattern),
                "pattern {pattern} has no words in contract::types::PATTERN_WORDS"
            );
        }
    }

    #[test]
    fn the_real_contract_compiles() {
        let contract = contract();
        assert!(contract.bodies.contains_key("LoginRequest"));
        assert!(contract
            .queries
            .contains_key(&("GET".to_string(), "/v1/reports/gaps".to_string())));
    }
}

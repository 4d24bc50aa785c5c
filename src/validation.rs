//! Turns `validator` results into the field list of a 422 problem.

use validator::{Validate, ValidationErrors, ValidationErrorsKind};

use crate::error::{ApiError, FieldError};

/// Flattens nested validation errors into `{field, message}` pairs with dotted/indexed paths.
pub fn field_errors(errors: &ValidationErrors) -> Vec<FieldError> {
    let mut out = Vec::new();
    collect(errors, "", &mut out);
    out.sort_by(|a, b| a.field.cmp(&b.field));
    out
}

fn collect(errors: &ValidationErrors, prefix: &str, out: &mut Vec<FieldError>) {
    for (field, kind) in errors.errors() {
        let path = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            ValidationErrorsKind::Field(list) => {
                for e in list {
                    let message = e
                        .message
                        .as_ref()
                        .map(|m| m.to_string())
                        .unwrap_or_else(|| format!("is not valid ({})", e.code));
                    out.push(FieldError::new(path.clone(), message));
                }
            }
            ValidationErrorsKind::Struct(inner) => collect(inner, &path, out),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    collect(inner, &format!("{path}[{index}]"), out);
                }
            }
        }
    }
}

/// Runs the derived checks and adds `extra` problems found by hand, answering 422 with all of
/// them together so a client fixes everything in one round.
pub fn validate_all<T: Validate>(value: &T, mut extra: Vec<FieldError>) -> Result<(), ApiError> {
    if let Err(errors) = value.validate() {
        extra.extend(field_errors(&errors));
    }
    if extra.is_empty() {
        Ok(())
    } else {
        extra.sort_by(|a, b| a.field.cmp(&b.field));
        Err(ApiError::Unprocessable(extra))
    }
}

/// 422 with `errors` when there are any.
pub fn reject_if_any(errors: Vec<FieldError>) -> Result<(), ApiError> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Unprocessable(errors))
    }
}

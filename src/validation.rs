//! The field list of a 422 problem. Field rules a schema can state are checked by the contract
//! (`crate::contract`); what is left here are the rules found by hand.

use crate::error::{ApiError, FieldError};

/// 422 with `errors` when there are any.
pub fn reject_if_any(errors: Vec<FieldError>) -> Result<(), ApiError> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Unprocessable(errors))
    }
}

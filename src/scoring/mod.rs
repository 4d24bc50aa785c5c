//! Scoring a visit against the standards: pure rules (PRODUCT.md section 5).

pub mod rules;

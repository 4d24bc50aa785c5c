//! Submissions: the shopper's filled checklist for an assignment. The pure rules come first;
//! the endpoints follow with the submission workflow.

pub mod rules;

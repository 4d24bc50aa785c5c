//! How far the shoppers themselves can be trusted (PRODUCT.md section 12): each shopper's
//! leniency per standard against other shoppers at the same locations and months, and the
//! agreement of two shoppers who did the same double shop. Both are read from roll-ups kept in
//! the transaction that approves (or un-approves) a visit, never from a scan of the answers.

pub mod dto;
pub mod handlers;
pub mod rules;
pub mod service;

pub fn routes(cfg: &mut crate::app::Routes) {
    cfg.service(handlers::shopper_calibration)
        .service(handlers::rater_agreement);
}

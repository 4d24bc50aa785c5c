//! Shopper pay (PRODUCT.md section 11): expense claims on a submission (settled by the reviewer
//! with the approval, against the shop's cap), payable lines (the fee and approved expenses of an
//! approved shop; claw-backs of paid lines when a shop is rejected later), payment batches
//! exported as CSV for the payroll and marked paid, and each shopper's earnings and statements.
//!
//! Money is an integer in the currency's minor unit everywhere (`crate::money`); amounts in
//! different currencies are never added up. A line is in at most one batch, so nothing is paid
//! twice; a line dropped before payment is voided, never deleted.

pub mod dto;
pub mod handlers;
pub mod rules;
pub mod service;

pub fn routes(cfg: &mut crate::app::Routes) {
    cfg.service(handlers::create_batch)
        .service(handlers::list_batches)
        .service(handlers::get_batch)
        .service(handlers::export_batch)
        .service(handlers::mark_paid)
        .service(handlers::cancel_batch)
        .service(handlers::my_earnings)
        .service(handlers::my_statements)
        .service(handlers::shopper_earnings);
}

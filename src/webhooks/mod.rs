//! Webhooks (PRODUCT.md section 10): endpoints an organization registers, deliveries of the
//! outbox's events signed per the Standard Webhooks specification, retried for about three
//! days, with a delivery log, redelivery, test events and secret rotation.

pub mod delivery;
pub mod dto;
pub mod handlers;
pub mod rules;
pub mod secrets;
pub mod service;

pub fn routes(cfg: &mut crate::app::Routes) {
    cfg.service(handlers::create_endpoint)
        .service(handlers::list_endpoints)
        .service(handlers::get_endpoint)
        .service(handlers::replace_endpoint)
        .service(handlers::delete_endpoint)
        .service(handlers::rotate_secret)
        .service(handlers::send_test)
        .service(handlers::redeliver)
        .service(handlers::list_attempts);
}

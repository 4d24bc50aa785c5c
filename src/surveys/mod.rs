//! The five gaps' instruments (PRODUCT.md section 8): survey instruments for customers and for
//! management, versioned like checklists and written in every language the program runs in.

pub mod dto;
pub mod handlers;
pub mod model;
pub mod repo;
pub mod rules;
pub mod service;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(handlers::create_instrument)
        .service(handlers::import_instrument)
        .service(handlers::list_instruments)
        .service(handlers::get_instrument)
        .service(handlers::get_instrument_version)
        .service(handlers::save_instrument_draft)
        .service(handlers::publish_instrument)
        .service(handlers::export_instrument)
        .service(handlers::export_instrument_yaml);
}

//! Locations: the branches, stores and lines whose service is shopped.

pub mod csv_import;
pub mod dto;
pub mod handlers;
pub mod model;
pub mod repo;
pub mod rules;
pub mod service;

pub fn routes(cfg: &mut crate::app::Routes) {
    cfg.service(handlers::create_location)
        .service(handlers::import_locations)
        .service(handlers::list_locations)
        .service(handlers::get_location)
        .service(handlers::update_location);
}

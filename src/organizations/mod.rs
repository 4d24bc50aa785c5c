//! Organizations (tenants) and their settings.

pub mod dto;
pub mod handlers;
pub mod model;
pub mod repo;

pub fn routes(cfg: &mut crate::app::Routes) {
    cfg.service(handlers::get_organization)
        .service(handlers::update_organization);
}

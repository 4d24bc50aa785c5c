//! Shopper profiles (home region, languages, segments) and exclusions: the locations where a
//! shopper is known to staff and must never be sent.

pub mod dto;
pub mod handlers;
pub mod model;
pub mod repo;
pub mod reputation;
pub mod service;

pub fn routes(cfg: &mut crate::app::Routes) {
    cfg.service(handlers::get_profile)
        .service(handlers::put_profile)
        .service(handlers::get_reputation)
        .service(handlers::add_exclusion)
        .service(handlers::remove_exclusion)
        .service(handlers::get_my_profile)
        .service(handlers::put_my_profile)
        .service(handlers::declare_exclusion);
}

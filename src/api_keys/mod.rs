//! API keys for integrators: scoped, shown once, stored as digests, revocable.

pub mod dto;
pub mod handlers;
pub mod model;
pub mod repo;

pub fn routes(cfg: &mut crate::app::Routes) {
    cfg.service(handlers::create_api_key)
        .service(handlers::list_api_keys)
        .service(handlers::revoke_api_key);
}

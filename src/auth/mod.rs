//! Authentication (passwords, tokens, sessions) and the caller every handler is authorized as.

pub mod caller;
pub mod dto;
pub mod handlers;
pub mod identities;
pub mod model;
pub mod password;
pub mod repo;
pub mod rules;
pub mod tokens;

pub fn routes(cfg: &mut crate::app::Routes) {
    cfg.service(handlers::login)
        .service(handlers::refresh)
        .service(handlers::logout)
        .service(handlers::me)
        .service(handlers::change_password);
}

//! People of an organization: admins, managers and shoppers.

pub mod dto;
pub mod handlers;
pub mod model;
pub mod repo;
pub mod rules;

pub fn routes(cfg: &mut crate::app::Routes) {
    cfg.service(handlers::create_user)
        .service(handlers::list_users)
        .service(handlers::get_user)
        .service(handlers::update_user)
        .service(handlers::deactivate_user)
        .service(handlers::reset_password);
}

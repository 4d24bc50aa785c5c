//! The five gaps' instruments (PRODUCT.md section 8): survey instruments for customers and for
//! management, versioned like checklists and written in every language the program runs in.

pub mod dto;
pub mod handlers;
pub mod invitations;
pub mod links;
pub mod management;
pub mod model;
pub mod public;
pub mod qr;
pub mod repo;
pub mod responses;
pub mod rules;
pub mod service;
pub mod store;

pub fn routes(cfg: &mut crate::app::Routes) {
    cfg.service(handlers::create_instrument)
        .service(handlers::import_instrument)
        .service(handlers::list_instruments)
        .service(handlers::get_instrument)
        .service(handlers::get_instrument_version)
        .service(handlers::save_instrument_draft)
        .service(handlers::publish_instrument)
        .service(handlers::export_instrument)
        .service(handlers::export_instrument_yaml)
        .service(links::create_link)
        .service(links::list_links)
        .service(links::get_link)
        .service(links::revoke_link)
        .service(links::link_qr_svg)
        .service(links::link_qr_png)
        .service(management::record_management_response)
        .service(management::list_management_responses)
        .service(management::get_management_response)
        .service(invitations::import_invitations)
        .service(invitations::list_invitations)
        .service(invitations::revoke_invitation)
        .service(invitations::invitation_form)
        .service(invitations::answer_invitation)
        .service(public::survey_form)
        .service(public::answer_survey);
}

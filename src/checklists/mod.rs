//! Checklists: the questionnaires shoppers fill, versioned and pinned to a published standards
//! book version and a channel.

pub mod dto;
pub mod handlers;
pub mod model;
pub mod repo;
pub mod rules;
pub mod service;

pub fn routes(cfg: &mut crate::app::Routes) {
    cfg.service(handlers::create_checklist)
        .service(handlers::import_checklist)
        .service(handlers::list_checklists)
        .service(handlers::get_checklist)
        .service(handlers::get_checklist_version)
        .service(handlers::save_checklist_draft)
        .service(handlers::publish_checklist)
        .service(handlers::export_checklist)
        .service(handlers::export_checklist_yaml);
}

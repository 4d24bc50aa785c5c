//! Submissions: the shopper's filled checklist for an assignment, keyed by the UUID the phone
//! chose, saved as drafts, submitted once, scored, flagged and reviewed.

pub mod dto;
pub mod handlers;
pub mod model;
pub mod repo;
pub mod rules;
pub mod service;

pub fn routes(cfg: &mut crate::app::Routes) {
    cfg.service(handlers::save_submission_draft)
        .service(handlers::submit)
        .service(handlers::get_submission)
        .service(handlers::list_submissions)
        .service(handlers::approve)
        .service(handlers::return_for_correction)
        .service(handlers::reject)
        .service(handlers::edit_answer);
}

//! Assignments: one mystery shop each, from planning through the job board to the shopper's
//! check-in, under the lifecycle and fair-play rules of `rules.rs`.

pub mod dto;
pub mod handlers;
pub mod model;
pub mod repo;
pub mod rules;
pub mod service;

pub fn routes(cfg: &mut crate::app::Routes) {
    cfg.service(handlers::create_assignment)
        .service(handlers::create_wave)
        .service(handlers::list_assignments)
        .service(handlers::get_assignment)
        .service(handlers::history)
        .service(handlers::candidates)
        .service(handlers::offer)
        .service(handlers::reassign)
        .service(handlers::cancel)
        .service(handlers::reopen)
        .service(handlers::accept)
        .service(handlers::decline)
        .service(handlers::check_in)
        .service(handlers::job_board)
        .service(handlers::sync)
        .service(handlers::checklist_version);
}

//! Service recovery (PRODUCT.md section 9): corrective actions on a location × standard gap,
//! with an owner, a due date, a plan, training sessions and a baseline frozen when opened;
//! marking one done plans verifying re-shops (ordinary assignments, linked here only), and the
//! approval of the last decides `verified` or `not_verified`. The effect is delivered after
//! minus before, with the Newcombe interval.

pub mod dto;
pub mod handlers;
pub mod rules;
pub mod service;

pub fn routes(cfg: &mut crate::app::Routes) {
    // The fixed paths before `{id}`, which would take them otherwise.
    cfg.service(handlers::suggestions)
        .service(handlers::effects)
        .service(handlers::open_action)
        .service(handlers::list_actions)
        .service(handlers::get_action)
        .service(handlers::update_action)
        .service(handlers::start_action)
        .service(handlers::mark_done)
        .service(handlers::reopen_action)
        .service(handlers::cancel_action)
        .service(handlers::action_history)
        .service(handlers::record_training)
        .service(handlers::list_training);
}

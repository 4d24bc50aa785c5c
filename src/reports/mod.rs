//! Gap reports: what staff delivered against the written standards, over approved visits.
//!
//! Reports never scan submissions. Approving a visit adds its per-standard, per-dimension and
//! visit-score values to `rollups` (per location, channel, checklist and day / ISO week /
//! month, in the location's time zone) in the same transaction; editing an approved visit takes
//! the old values away and adds the new ones; rejecting an approved visit (fraud found later)
//! takes them away. `shopgap rebuild-rollups` recomputes the table from the submissions.
//!
//! Decisions: a standard is identified by its code within the organization, and its target is
//! the one in the most recently published standards-book version that defines the code; region
//! and segment are the location's current ones (a location that moves region moves its history
//! with it).

pub mod alerts;
pub mod dto;
pub mod export;
pub mod five_gaps;
pub mod handlers;
pub mod ladder;
pub mod rollups;
pub mod rules;
pub mod self_assessments;
pub mod service;

pub fn routes(cfg: &mut crate::app::Routes) {
    cfg.service(handlers::gap_report)
        .service(handlers::five_gaps_report)
        .service(handlers::five_gaps_report_csv)
        .service(handlers::gap_report_csv)
        .service(handlers::scorecard)
        .service(handlers::scorecard_csv)
        .service(handlers::trend)
        .service(handlers::trend_csv)
        .service(handlers::ranking)
        .service(handlers::ranking_csv)
        .service(handlers::self_assessment_report)
        .service(handlers::self_assessment_report_csv)
        .service(handlers::record_self_assessment)
        .service(handlers::list_self_assessments)
        .service(handlers::list_self_assessments_csv)
        .service(handlers::delete_self_assessment)
        .service(handlers::export_submissions);
}

//! Certification (PRODUCT.md section 11): quizzes a shopper must pass before evaluating. A quiz
//! is a versioned document like a standards book (drafts edited in place, published versions
//! immutable); a shopper answers the latest published version. A job requires a quiz when it
//! names one (`required_quiz_id`) or when the quiz names the job's checklist; the fair-play rules
//! then refuse an uncertified shopper with `eligibility.not_certified`, and the job board leaves
//! such jobs out.
//!
//! Decisions: a pass of any version certifies (a program that wants everyone tested again
//! publishes a new quiz); attempts count across versions, up to the latest version's
//! `max_attempts`; an attempt answers with the score and the verdict but never says which
//! answers were wrong, so the next attempt is a test again.

pub mod dto;
pub mod handlers;
pub mod rules;
pub mod service;

pub fn routes(cfg: &mut crate::app::Routes) {
    cfg.service(handlers::create_quiz)
        .service(handlers::list_quizzes)
        .service(handlers::get_quiz)
        .service(handlers::get_quiz_version)
        .service(handlers::save_quiz_draft)
        .service(handlers::publish_quiz)
        .service(handlers::take_quiz)
        .service(handlers::list_quiz_attempts)
        .service(handlers::my_certifications);
}

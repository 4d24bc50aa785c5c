//! Promises (PRODUCT.md section 8): what marketing tells customers about a standard ("we always
//! answer within three rings" = 1.0), with its source, channels, validity and promised level.
//! Gap 4 (communication) is the highest level promised on a standard during a report's period
//! minus what staff delivered.

pub mod dto;
pub mod handlers;
pub mod rules;
pub mod service;

pub fn routes(cfg: &mut crate::app::Routes) {
    cfg.service(handlers::create_promise)
        .service(handlers::list_promises)
        .service(handlers::get_promise)
        .service(handlers::replace_promise)
        .service(handlers::delete_promise);
}

//! Events (PRODUCT.md section 10): every change an integrator cares about is written to an
//! outbox in the transaction of the change ([`outbox::record`]); integrators read them as a
//! feed with a cursor (`GET /v1/events`) or receive them by webhook (`crate::webhooks`).

pub mod dto;
pub mod handlers;
pub mod outbox;

pub fn routes(cfg: &mut crate::app::Routes) {
    cfg.service(handlers::feed);
}

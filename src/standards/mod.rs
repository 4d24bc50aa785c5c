//! Standards books: the company's written principles, standards and protocols, versioned.

pub mod dto;
pub mod handlers;
pub mod model;
pub mod repo;
pub mod rules;
pub mod service;

pub fn routes(cfg: &mut crate::app::Routes) {
    cfg.service(handlers::create_book)
        .service(handlers::import_book)
        .service(handlers::list_books)
        .service(handlers::get_book)
        .service(handlers::get_book_version)
        .service(handlers::save_book_draft)
        .service(handlers::publish_book)
        .service(handlers::export_book)
        .service(handlers::export_book_yaml);
}

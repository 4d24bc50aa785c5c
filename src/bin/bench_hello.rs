//! The reference `bench/load.sh` measures `GET /v1/me` against: an actix-web server with one
//! hello-world handler, built with the same profile, dependencies and allocator as shopgap (a
//! binary of this package, so `cargo build --release` builds it with no extra dependency build)
//! and started with the same number of workers (actix-web's default, one per core). What
//! `GET /v1/me` costs beyond it is shopgap's own: authentication, the database, the JSON. Not
//! part of the service.
//!
//!   cargo build --release
//!   SHOPGAP_BIND=127.0.0.1:18190 target/release/bench_hello
use actix_web::{get, App, HttpResponse, HttpServer};

/// The server's allocator (src/main.rs), so the comparison is of the work, not the allocators.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[get("/hello")]
async fn hello() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(r#"{"hello":"world"}"#)
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let bind = std::env::var("SHOPGAP_BIND").unwrap_or_else(|_| "127.0.0.1:18190".into());
    HttpServer::new(|| App::new().service(hello))
        .bind(bind)?
        .run()
        .await
}

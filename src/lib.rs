//! shopgap: a REST API that runs a company's mystery-shopping program and measures the service
//! delivery gap between its written standards and what staff actually do.
//!
//! `app` builds the HTTP application for `main` and for the tests alike; each domain module
//! (`auth`, `organizations`, `users`, `api_keys`, …) owns its routes, DTOs, rows and queries,
//! with its pure rules in `rules.rs`.

pub mod api_keys;
pub mod app;
pub mod assignments;
pub mod attachments;
pub mod auth;
pub mod calibration;
pub mod certification;
pub mod checklists;
pub mod config;
pub mod contract;
pub mod corrective_actions;
pub mod csv_writer;
pub mod dashboard;
pub mod db;
pub mod demo;
pub mod error;
pub mod events;
pub mod http;
pub mod idempotency;
pub mod json_time;
pub mod locations;
pub mod maintenance;
pub mod money;
pub mod openapi;
pub mod ops;
pub mod organizations;
pub mod payments;
pub mod photos;
pub mod promises;
pub mod reports;
pub mod scoring;
pub mod shoppers;
pub mod standards;
pub mod state;
pub mod submissions;
pub mod surveys;
pub mod users;
pub mod validation;
pub mod versioning;
pub mod webhooks;

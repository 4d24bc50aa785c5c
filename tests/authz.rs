//! The authorization matrix: every endpoint, called as every kind of caller, including another
//! organization's admin using this organization's ids. Later features add their rows here; the
//! last test fails when an endpoint of the OpenAPI document has no row.

mod common;

use common::{Org, TestApp};
use reqwest::Method;
use serde_json::{json, Value};
use shopgap::auth::rules::Role;
use shopgap::checklists::dto::ChecklistInput;
use shopgap::checklists::service as checklists;
use shopgap::standards::dto::BookInput;
use shopgap::standards::service::{self as standards, Actor};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Who {
    Admin,
    Manager,
    Shopper,
    /// An API key holding every scope.
    Key,
    /// An API key holding a scope unrelated to the endpoint.
    NarrowKey,
    Anonymous,
    /// The admin of another organization, calling with this organization's ids.
    Foreign,
}

const EVERYONE: [Who; 7] = [
    Who::Admin,
    Who::Manager,
    Who::Shopper,
    Who::Key,
    Who::NarrowKey,
    Who::Anonymous,
    Who::Foreign,
];

/// Objects of the first organization: fresh for each call that may change them, so mutating
/// calls do not interfere; shared by a row's reads and refused calls.
struct Targets {
    user_id: String,
    key_id: String,
    /// A standards book whose version 1 is a publishable draft.
    book_id: String,
    /// A published standards-book version.
    published_book_version_id: String,
    /// A checklist whose version 1 is a publishable draft.
    checklist_id: String,
    location_id: String,
    /// A published in-person checklist version.
    checklist_version_id: String,
    /// An open assignment (not the seeded shopper's).
    open_id: String,
    /// An assignment the seeded shopper has accepted.
    mine_id: String,
    /// An assignment whose window ended.
    expired_id: String,
    /// A submitted submission of the seeded shopper (version 1).
    submitted_id: String,
    /// A fresh id for a new submission.
    new_submission: String,
    /// A draft submission of the seeded shopper.
    draft_submission: String,
    /// A PDF attached to that draft.
    attachment_id: String,
    self_assessment_id: String,
    /// A customer survey instrument whose version 1 is a publishable draft.
    instrument_id: String,
    promise_id: String,
    /// Published customer and management instrument versions.
    customer_version_id: String,
    management_version_id: String,
    /// An open survey link at the location, and its public token.
    link_id: String,
    link_token: String,
    /// An open invitation (id and code).
    invitation_id: String,
    invitation_code: String,
    management_response_id: String,
    /// A webhook endpoint, and an event of the organization.
    webhook_id: String,
    event_id: String,
    /// Corrective actions at the location on S1: one open, one in progress.
    action_id: String,
    in_progress_action_id: String,
    /// The organization's manager (an owner for actions).
    manager_id: String,
    /// A published certification quiz, and one whose version 1 is a publishable draft.
    quiz_id: String,
    draft_quiz_id: String,
    /// An open payment batch (and a payable line in no batch, for a new one).
    batch_id: String,
    n: usize,
}

fn book_body(name: &str) -> Value {
    json!({
        "name": name,
        "standards": [{"code": "S1", "text": "Greet", "dimension": "empathy", "channels": ["in_person"], "target": 0.9}],
    })
}

fn location_body(n: usize) -> Value {
    json!({"code": format!("LOC-{n}"), "name": "Branch", "region": "North", "segment": "b2c",
           "latitude": 52.5, "longitude": 13.4, "time_zone": "Europe/Berlin", "channels": ["in_person"]})
}

fn submission_body(assignment: &str) -> Value {
    json!({"assignment_id": assignment, "answers": {"a": {"value": true}},
           "visit_start": (chrono::Utc::now() - chrono::Duration::minutes(30)).to_rfc3339(),
           "visit_end": (chrono::Utc::now() - chrono::Duration::minutes(5)).to_rfc3339()})
}

/// A JSON body sent with `If-Match`.
fn with_if_match(etag: &str, body: Value) -> Option<Value> {
    Some(json!({ "if_match": etag, "body": body }))
}

/// A body sent as raw bytes with its own content type.
fn raw(content_type: &str, text: &str) -> Option<Value> {
    Some(json!({ "raw": text, "content_type": content_type }))
}

/// A body sent as `text/csv` instead of JSON.
fn csv(text: String) -> Option<Value> {
    Some(json!({ "csv": text }))
}

fn checklist_sections() -> Value {
    json!([{"title": "A", "items": [{"key": "a", "prompt": "Greeted?", "type": "yes_no", "standard": "S1"}]}])
}

/// A customer instrument over the book of [`book_body`], in English and Arabic.
fn instrument_body(name: &str, book_version_id: &str) -> Value {
    json!({"name": name, "audience": "customer", "standards_book_version_id": book_version_id,
           "languages": ["en", "ar"], "title": {"en": "Your visit", "ar": "زيارتك"},
           "items": [{"key": "greet", "standard": "S1",
                      "expectation_prompt": {"en": "Staff greet you", "ar": "يرحب بك الموظفون"},
                      "perception_prompt": {"en": "Staff greeted me", "ar": "رحب بي الموظفون"}}]})
}

fn quiz_body() -> Value {
    json!({"name": "Discretion", "pass_mark_percent": 50, "max_attempts": 3,
           "questions": [{"key": "q1", "text": "Tell staff?", "options": [{"key": "yes", "text": "Yes"}, {"key": "no", "text": "No"}], "correct": ["no"]}]})
}

/// Yesterday and today (UTC): holds every payable line a test makes.
fn batch_period() -> Value {
    let today = chrono::Utc::now().date_naive();
    json!({"period_from": (today - chrono::Days::new(1)).to_string(), "period_to": today.to_string()})
}

fn promise_body() -> Value {
    json!({"standard": "S1", "text": "Always greeted", "source": "advertisement",
           "channels": ["in_person"], "valid_from": "2026-01-01", "promised_level": 1.0})
}

fn instrument_document() -> Value {
    let mut doc = instrument_body("Imported", "");
    let doc_map = doc.as_object_mut().unwrap();
    doc_map.remove("standards_book_version_id");
    doc_map.insert("format".into(), json!("shopgap.survey_instrument/v1"));
    doc_map.insert("standards_book".into(), book_document());
    doc
}

fn book_document() -> Value {
    let mut doc = book_body("Imported");
    doc["format"] = json!("shopgap.standards_book/v1");
    doc["principles"] = json!([]);
    doc["protocols"] = json!([]);
    doc
}

struct Row {
    method: Method,
    /// The path with `{id}` placeholders as the OpenAPI document names it.
    pattern: &'static str,
    path: fn(&Targets) -> String,
    body: fn(&Targets) -> Option<Value>,
    /// Expected status for Admin, Manager, Shopper, Key, NarrowKey, Anonymous, Foreign.
    expect: [u16; 7],
}

fn no_body(_: &Targets) -> Option<Value> {
    None
}

fn rows() -> Vec<Row> {
    vec![
        Row {
            method: Method::GET,
            pattern: "/healthz",
            path: |_| "/healthz".into(),
            body: no_body,
            expect: [200; 7],
        },
        Row {
            method: Method::GET,
            pattern: "/readyz",
            path: |_| "/readyz".into(),
            body: no_body,
            expect: [200; 7],
        },
        Row {
            method: Method::GET,
            pattern: "/metrics",
            path: |_| "/metrics".into(),
            body: no_body,
            expect: [200; 7],
        },
        Row {
            method: Method::POST,
            pattern: "/v1/auth/login",
            path: |_| "/v1/auth/login".into(),
            body: |t| {
                Some(
                    json!({"email": format!("nobody{}@example.com", t.n), "password": "wrong password"}),
                )
            },
            expect: [401; 7],
        },
        Row {
            method: Method::POST,
            pattern: "/v1/auth/refresh",
            path: |_| "/v1/auth/refresh".into(),
            body: |_| Some(json!({"refresh_token": "sgr_unknown"})),
            expect: [401; 7],
        },
        Row {
            method: Method::POST,
            pattern: "/v1/auth/logout",
            path: |_| "/v1/auth/logout".into(),
            body: |_| Some(json!({"refresh_token": "sgr_unknown"})),
            expect: [204; 7],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/me",
            path: |_| "/v1/me".into(),
            body: no_body,
            expect: [200, 200, 200, 200, 200, 401, 200],
        },
        Row {
            method: Method::POST,
            pattern: "/v1/me/password",
            path: |_| "/v1/me/password".into(),
            body: |_| {
                Some(json!({"current_password": "not it", "new_password": "a new long password"}))
            },
            expect: [422, 422, 422, 403, 403, 401, 422],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/organization",
            path: |_| "/v1/organization".into(),
            body: no_body,
            expect: [200, 200, 403, 200, 403, 401, 200],
        },
        Row {
            method: Method::PATCH,
            pattern: "/v1/organization",
            path: |_| "/v1/organization".into(),
            body: |_| Some(json!({"min_sample_size": 5})),
            expect: [200, 403, 403, 403, 403, 401, 200],
        },
        Row {
            method: Method::POST,
            pattern: "/v1/users",
            path: |_| "/v1/users".into(),
            body: |t| {
                Some(
                    json!({"email": format!("authz{}@example.com", t.n), "display_name": "X", "role": "shopper"}),
                )
            },
            expect: [201, 403, 403, 403, 403, 401, 201],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/users",
            path: |_| "/v1/users".into(),
            body: no_body,
            expect: [200, 200, 403, 200, 403, 401, 200],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/users/{id}",
            path: |t| format!("/v1/users/{}", t.user_id),
            body: no_body,
            expect: [200, 200, 403, 200, 403, 401, 404],
        },
        Row {
            method: Method::PATCH,
            pattern: "/v1/users/{id}",
            path: |t| format!("/v1/users/{}", t.user_id),
            body: |_| Some(json!({"display_name": "Renamed"})),
            expect: [200, 403, 403, 403, 403, 401, 404],
        },
        Row {
            method: Method::DELETE,
            pattern: "/v1/users/{id}",
            path: |t| format!("/v1/users/{}", t.user_id),
            body: no_body,
            expect: [204, 403, 403, 403, 403, 401, 404],
        },
        Row {
            method: Method::POST,
            pattern: "/v1/users/{id}/password-reset",
            path: |t| format!("/v1/users/{}/password-reset", t.user_id),
            body: no_body,
            expect: [200, 403, 403, 403, 403, 401, 404],
        },
        Row {
            method: Method::POST,
            pattern: "/v1/api-keys",
            path: |_| "/v1/api-keys".into(),
            body: |_| Some(json!({"name": "k", "scopes": ["users:read"]})),
            expect: [201, 403, 403, 403, 403, 401, 201],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/api-keys",
            path: |_| "/v1/api-keys".into(),
            body: no_body,
            expect: [200, 403, 403, 403, 403, 401, 200],
        },
        Row {
            method: Method::DELETE,
            pattern: "/v1/api-keys/{id}",
            path: |t| format!("/v1/api-keys/{}", t.key_id),
            body: no_body,
            expect: [204, 403, 403, 403, 403, 401, 404],
        },
        Row {
            method: Method::POST,
            pattern: "/v1/standards-books",
            path: |_| "/v1/standards-books".into(),
            body: |_| Some(book_body("New book")),
            expect: [201, 201, 403, 201, 403, 401, 201],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/standards-books",
            path: |_| "/v1/standards-books".into(),
            body: no_body,
            expect: [200, 200, 403, 200, 403, 401, 200],
        },
        Row {
            method: Method::POST,
            pattern: "/v1/standards-books/import",
            path: |_| "/v1/standards-books/import".into(),
            body: |_| Some(book_document()),
            expect: [201, 201, 403, 201, 403, 401, 201],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/standards-books/{id}",
            path: |t| format!("/v1/standards-books/{}", t.book_id),
            body: no_body,
            expect: [200, 200, 403, 200, 403, 401, 404],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/standards-books/{id}/versions/{version}",
            path: |t| format!("/v1/standards-books/{}/versions/1", t.book_id),
            body: no_body,
            expect: [200, 200, 403, 200, 403, 401, 404],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/standards-books/{id}/versions/{version}/export",
            path: |t| format!("/v1/standards-books/{}/versions/1/export", t.book_id),
            body: no_body,
            expect: [200, 200, 403, 200, 403, 401, 404],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/standards-books/{id}/versions/{version}/export.yaml",
            path: |t| format!("/v1/standards-books/{}/versions/1/export.yaml", t.book_id),
            body: no_body,
            expect: [200, 200, 403, 200, 403, 401, 404],
        },
        Row {
            method: Method::PUT,
            pattern: "/v1/standards-books/{id}/draft",
            path: |t| format!("/v1/standards-books/{}/draft", t.book_id),
            body: |_| Some(book_body("Edited")),
            expect: [200, 200, 403, 200, 403, 401, 404],
        },
        Row {
            method: Method::POST,
            pattern: "/v1/standards-books/{id}/draft/publish",
            path: |t| format!("/v1/standards-books/{}/draft/publish", t.book_id),
            body: no_body,
            expect: [200, 200, 403, 200, 403, 401, 404],
        },
        Row {
            method: Method::POST,
            pattern: "/v1/checklists",
            path: |_| "/v1/checklists".into(),
            body: |t| {
                Some(
                    json!({"name": "New", "channel": "in_person", "standards_book_version_id": t.published_book_version_id, "sections": checklist_sections()}),
                )
            },
            // Another organization cannot pin this organization's book: the id names nothing it owns.
            expect: [201, 201, 403, 201, 403, 401, 422],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/checklists",
            path: |_| "/v1/checklists".into(),
            body: no_body,
            expect: [200, 200, 403, 200, 403, 401, 200],
        },
        Row {
            method: Method::POST,
            pattern: "/v1/checklists/import",
            path: |_| "/v1/checklists/import".into(),
            body: |_| {
                Some(
                    json!({"format": "shopgap.checklist/v1", "name": "Imported", "channel": "in_person", "sections": checklist_sections(), "standards_book": book_document()}),
                )
            },
            expect: [201, 201, 403, 201, 403, 401, 201],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/checklists/{id}",
            path: |t| format!("/v1/checklists/{}", t.checklist_id),
            body: no_body,
            expect: [200, 200, 403, 200, 403, 401, 404],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/checklists/{id}/versions/{version}",
            path: |t| format!("/v1/checklists/{}/versions/1", t.checklist_id),
            body: no_body,
            expect: [200, 200, 403, 200, 403, 401, 404],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/checklists/{id}/versions/{version}/export",
            path: |t| format!("/v1/checklists/{}/versions/1/export", t.checklist_id),
            body: no_body,
            expect: [200, 200, 403, 200, 403, 401, 404],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/checklists/{id}/versions/{version}/export.yaml",
            path: |t| format!("/v1/checklists/{}/versions/1/export.yaml", t.checklist_id),
            body: no_body,
            expect: [200, 200, 403, 200, 403, 401, 404],
        },
        Row {
            method: Method::PUT,
            pattern: "/v1/checklists/{id}/draft",
            path: |t| format!("/v1/checklists/{}/draft", t.checklist_id),
            body: |t| {
                Some(
                    json!({"name": "Edited", "channel": "in_person", "standards_book_version_id": t.published_book_version_id, "sections": checklist_sections()}),
                )
            },
            expect: [200, 200, 403, 200, 403, 401, 404],
        },
        Row {
            method: Method::POST,
            pattern: "/v1/checklists/{id}/draft/publish",
            path: |t| format!("/v1/checklists/{}/draft/publish", t.checklist_id),
            body: no_body,
            expect: [200, 200, 403, 200, 403, 401, 404],
        },
        Row {
            method: Method::POST,
            pattern: "/v1/survey-instruments",
            path: |_| "/v1/survey-instruments".into(),
            body: |t| Some(instrument_body("New", &t.published_book_version_id)),
            // Integrators read surveys and never write them; another organization cannot pin
            // this organization's book.
            expect: [201, 201, 403, 403, 403, 401, 422],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/survey-instruments",
            path: |_| "/v1/survey-instruments".into(),
            body: no_body,
            expect: [200, 200, 403, 200, 403, 401, 200],
        },
        Row {
            method: Method::POST,
            pattern: "/v1/survey-instruments/import",
            path: |_| "/v1/survey-instruments/import".into(),
            body: |_| Some(instrument_document()),
            expect: [201, 201, 403, 403, 403, 401, 201],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/survey-instruments/{id}",
            path: |t| format!("/v1/survey-instruments/{}", t.instrument_id),
            body: no_body,
            expect: [200, 200, 403, 200, 403, 401, 404],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/survey-instruments/{id}/versions/{version}",
            path: |t| format!("/v1/survey-instruments/{}/versions/1", t.instrument_id),
            body: no_body,
            expect: [200, 200, 403, 200, 403, 401, 404],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/survey-instruments/{id}/versions/{version}/export",
            path: |t| {
                format!(
                    "/v1/survey-instruments/{}/versions/1/export",
                    t.instrument_id
                )
            },
            body: no_body,
            expect: [200, 200, 403, 200, 403, 401, 404],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/survey-instruments/{id}/versions/{version}/export.yaml",
            path: |t| {
                format!(
                    "/v1/survey-instruments/{}/versions/1/export.yaml",
                    t.instrument_id
                )
            },
            body: no_body,
            expect: [200, 200, 403, 200, 403, 401, 404],
        },
        Row {
            method: Method::PUT,
            pattern: "/v1/survey-instruments/{id}/draft",
            path: |t| format!("/v1/survey-instruments/{}/draft", t.instrument_id),
            body: |t| Some(instrument_body("Edited", &t.published_book_version_id)),
            expect: [200, 200, 403, 403, 403, 401, 404],
        },
        Row {
            method: Method::POST,
            pattern: "/v1/survey-instruments/{id}/draft/publish",
            path: |t| format!("/v1/survey-instruments/{}/draft/publish", t.instrument_id),
            body: no_body,
            expect: [200, 200, 403, 403, 403, 401, 404],
        },
        Row {
            method: Method::POST,
            pattern: "/v1/promises",
            path: |_| "/v1/promises".into(),
            body: |_| Some(promise_body()),
            // The foreign admin records a promise on its own organization's standard S1.
            expect: [201, 201, 403, 403, 403, 401, 201],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/promises",
            path: |_| "/v1/promises".into(),
            body: no_body,
            expect: [200, 200, 403, 200, 403, 401, 200],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/promises/{id}",
            path: |t| format!("/v1/promises/{}", t.promise_id),
            body: no_body,
            expect: [200, 200, 403, 200, 403, 401, 404],
        },
        Row {
            method: Method::PUT,
            pattern: "/v1/promises/{id}",
            path: |t| format!("/v1/promises/{}", t.promise_id),
            body: |_| Some(promise_body()),
            // The promise is not the foreign admin's: 404, whatever the body.
            expect: [200, 200, 403, 403, 403, 401, 404],
        },
        Row {
            method: Method::DELETE,
            pattern: "/v1/promises/{id}",
            path: |t| format!("/v1/promises/{}", t.promise_id),
            body: no_body,
            expect: [204, 204, 403, 403, 403, 401, 404],
        },
        Row {
            method: Method::POST,
            pattern: "/v1/survey-links",
            path: |_| "/v1/survey-links".into(),
            body: |t| {
                Some(
                    json!({"instrument_version_id": t.customer_version_id, "location_id": t.location_id, "channel": "in_person"}),
                )
            },
            // Another organization's instrument and location name nothing it owns.
            expect: [201, 201, 403, 403, 403, 401, 422],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/survey-links",
            path: |_| "/v1/survey-links".into(),
            body: no_body,
            expect: [200, 200, 403, 200, 403, 401, 200],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/survey-links/{id}",
            path: |t| format!("/v1/survey-links/{}", t.link_id),
            body: no_body,
            expect: [200, 200, 403, 200, 403, 401, 404],
        },
        Row {
            method: Method::POST,
            pattern: "/v1/survey-links/{id}/revoke",
            path: |t| format!("/v1/survey-links/{}/revoke", t.link_id),
            body: no_body,
            expect: [200, 200, 403, 403, 403, 401, 404],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/survey-links/{id}/qr.svg",
            path: |t| format!("/v1/survey-links/{}/qr.svg", t.link_id),
            body: no_body,
            expect: [200, 200, 403, 200, 403, 401, 404],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/survey-links/{id}/qr.png",
            path: |t| format!("/v1/survey-links/{}/qr.png", t.link_id),
            body: no_body,
            expect: [200, 200, 403, 200, 403, 401, 404],
        },
        Row {
            method: Method::POST,
            pattern: "/v1/management-responses",
            path: |_| "/v1/management-responses".into(),
            body: |t| {
                Some(
                    json!({"instrument_version_id": t.management_version_id, "period_from": "2026-01-01", "period_to": "2026-03-31",
                           "ratings": [{"item": "greet", "expectation": 5}]}),
                )
            },
            expect: [201, 201, 403, 403, 403, 401, 422],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/management-responses",
            path: |_| "/v1/management-responses".into(),
            body: no_body,
            expect: [200, 200, 403, 200, 403, 401, 200],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/management-responses/{id}",
            path: |t| format!("/v1/management-responses/{}", t.management_response_id),
            body: no_body,
            expect: [200, 200, 403, 200, 403, 401, 404],
        },
        Row {
            method: Method::POST,
            pattern: "/v1/webhooks",
            path: |_| "/v1/webhooks".into(),
            body: |t| {
                Some(
                    json!({"url": format!("https://hooks.example.com/new-{}", t.n), "event_types": ["survey_response.received"]}),
                )
            },
            // A foreign admin registers an endpoint of its own organization.
            expect: [201, 403, 403, 201, 403, 401, 201],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/webhooks",
            path: |_| "/v1/webhooks".into(),
            body: no_body,
            expect: [200, 403, 403, 200, 403, 401, 200],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/webhooks/{id}",
            path: |t| format!("/v1/webhooks/{}", t.webhook_id),
            body: no_body,
            expect: [200, 403, 403, 200, 403, 401, 404],
        },
        Row {
            method: Method::PUT,
            pattern: "/v1/webhooks/{id}",
            path: |t| format!("/v1/webhooks/{}", t.webhook_id),
            body: |t| Some(json!({"url": format!("https://hooks.example.com/moved-{}", t.n)})),
            expect: [200, 403, 403, 200, 403, 401, 404],
        },
        Row {
            method: Method::DELETE,
            pattern: "/v1/webhooks/{id}",
            path: |t| format!("/v1/webhooks/{}", t.webhook_id),
            body: no_body,
            expect: [204, 403, 403, 204, 403, 401, 404],
        },
        Row {
            method: Method::POST,
            pattern: "/v1/webhooks/{id}/rotate-secret",
            path: |t| format!("/v1/webhooks/{}/rotate-secret", t.webhook_id),
            body: |_| Some(json!({"overlap_hours": 2})),
            expect: [200, 403, 403, 200, 403, 401, 404],
        },
        Row {
            method: Method::POST,
            pattern: "/v1/webhooks/{id}/test",
            path: |t| format!("/v1/webhooks/{}/test", t.webhook_id),
            body: no_body,
            expect: [202, 403, 403, 202, 403, 401, 404],
        },
        Row {
            method: Method::POST,
            pattern: "/v1/webhooks/{id}/redeliver",
            path: |t| format!("/v1/webhooks/{}/redeliver", t.webhook_id),
            body: |t| Some(json!({"event_id": t.event_id})),
            expect: [202, 403, 403, 202, 403, 401, 404],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/webhooks/{id}/attempts",
            path: |t| format!("/v1/webhooks/{}/attempts", t.webhook_id),
            body: no_body,
            expect: [200, 403, 403, 200, 403, 401, 404],
        },
        Row {
            method: Method::POST,
            pattern: "/v1/quizzes",
            path: |_| "/v1/quizzes".into(),
            body: |_| Some(quiz_body()),
            expect: [201, 201, 403, 201, 403, 401, 201],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/quizzes",
            path: |_| "/v1/quizzes".into(),
            body: no_body,
            expect: [200, 200, 403, 200, 403, 401, 200],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/quizzes/{id}",
            path: |t| format!("/v1/quizzes/{}", t.quiz_id),
            body: no_body,
            expect: [200, 200, 403, 200, 403, 401, 404],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/quizzes/{id}/versions/{version}",
            path: |t| format!("/v1/quizzes/{}/versions/1", t.quiz_id),
            body: no_body,
            expect: [200, 200, 403, 200, 403, 401, 404],
        },
        Row {
            method: Method::PUT,
            pattern: "/v1/quizzes/{id}/draft",
            path: |t| format!("/v1/quizzes/{}/draft", t.draft_quiz_id),
            body: |_| Some(quiz_body()),
            expect: [200, 200, 403, 200, 403, 401, 404],
        },
        Row {
            method: Method::POST,
            pattern: "/v1/quizzes/{id}/draft/publish",
            path: |t| format!("/v1/quizzes/{}/draft/publish", t.draft_quiz_id),
            body: no_body,
            expect: [200, 200, 403, 200, 403, 401, 404],
        },
        Row {
            method: Method::POST,
            pattern: "/v1/quizzes/{id}/attempts",
            path: |t| format!("/v1/quizzes/{}/attempts", t.quiz_id),
            body: |_| Some(json!({"answers": {"q1": ["yes"]}})),
            // Only shoppers take quizzes; a foreign admin is no shopper at all.
            expect: [403, 403, 201, 403, 403, 401, 403],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/quizzes/{id}/attempts",
            path: |t| format!("/v1/quizzes/{}/attempts", t.quiz_id),
            body: no_body,
            expect: [200, 200, 200, 200, 403, 401, 404],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/me/certifications",
            path: |_| "/v1/me/certifications".into(),
            body: no_body,
            expect: [403, 403, 200, 403, 403, 401, 403],
        },
        Row {
            method: Method::POST,
            pattern: "/v1/payment-batches",
            path: |_| "/v1/payment-batches".into(),
            body: |_| Some(batch_period()),
            // Money leaves the organization: admins and keys only. The foreign admin's
            // organization owes nothing.
            expect: [201, 403, 403, 201, 403, 401, 422],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/payment-batches",
            path: |_| "/v1/payment-batches".into(),
            body: no_body,
            expect: [200, 200, 403, 200, 403, 401, 200],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/payment-batches/{id}",
            path: |t| format!("/v1/payment-batches/{}", t.batch_id),
            body: no_body,
            expect: [200, 200, 403, 200, 403, 401, 404],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/payment-batches/{id}/export.csv",
            path: |t| format!("/v1/payment-batches/{}/export.csv", t.batch_id),
            body: no_body,
            expect: [200, 200, 403, 200, 403, 401, 404],
        },
        Row {
            method: Method::POST,
            pattern: "/v1/payment-batches/{id}/paid",
            path: |t| format!("/v1/payment-batches/{}/paid", t.batch_id),
            body: |_| Some(json!({"reference": "SEPA-1"})),
            expect: [200, 403, 403, 200, 403, 401, 404],
        },
        Row {
            method: Method::POST,
            pattern: "/v1/payment-batches/{id}/cancel",
            path: |t| format!("/v1/payment-batches/{}/cancel", t.batch_id),
            body: no_body,
            expect: [200, 403, 403, 200, 403, 401, 404],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/me/earnings",
            path: |_| "/v1/me/earnings".into(),
            body: no_body,
            expect: [403, 403, 200, 403, 403, 401, 403],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/me/statements",
            path: |_| "/v1/me/statements".into(),
            body: no_body,
            expect: [403, 403, 200, 403, 403, 401, 403],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/shoppers/{id}/earnings",
            path: |t| format!("/v1/shoppers/{}/earnings", t.user_id),
            body: no_body,
            expect: [200, 200, 403, 200, 403, 401, 404],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/shoppers/{id}/reputation",
            path: |t| format!("/v1/shoppers/{}/reputation", t.user_id),
            body: no_body,
            expect: [200, 200, 403, 200, 403, 401, 404],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/assignments/{id}/candidates",
            path: |t| format!("/v1/assignments/{}/candidates", t.open_id),
            body: no_body,
            expect: [200, 200, 403, 200, 403, 401, 404],
        },
        Row {
            method: Method::POST,
            pattern: "/v1/corrective-actions",
            path: |_| "/v1/corrective-actions".into(),
            body: |t| {
                Some(
                    json!({"location_id": t.location_id, "standard": "S1", "kind": "training",
                            "owner_id": t.manager_id, "due_date": "2099-01-01", "plan": "Train the team"}),
                )
            },
            // A foreign admin names a location and owner its organization does not have.
            expect: [201, 201, 403, 201, 403, 401, 422],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/corrective-actions",
            path: |_| "/v1/corrective-actions".into(),
            body: no_body,
            expect: [200, 200, 403, 200, 403, 401, 200],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/corrective-actions/suggestions",
            path: |_| "/v1/corrective-actions/suggestions".into(),
            body: no_body,
            expect: [200, 200, 403, 200, 403, 401, 200],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/corrective-actions/effects",
            path: |_| "/v1/corrective-actions/effects".into(),
            body: no_body,
            expect: [200, 200, 403, 200, 403, 401, 200],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/corrective-actions/{id}",
            path: |t| format!("/v1/corrective-actions/{}", t.action_id),
            body: no_body,
            expect: [200, 200, 403, 200, 403, 401, 404],
        },
        Row {
            method: Method::PUT,
            pattern: "/v1/corrective-actions/{id}",
            path: |t| format!("/v1/corrective-actions/{}", t.action_id),
            body: |t| {
                Some(
                    json!({"kind": "coaching", "owner_id": t.manager_id, "due_date": "2099-02-01",
                            "plan": "Coach the team", "reshop_count": 2}),
                )
            },
            expect: [200, 200, 403, 200, 403, 401, 404],
        },
        Row {
            method: Method::POST,
            pattern: "/v1/corrective-actions/{id}/start",
            path: |t| format!("/v1/corrective-actions/{}/start", t.action_id),
            body: no_body,
            expect: [200, 200, 403, 200, 403, 401, 404],
        },
        Row {
            method: Method::POST,
            pattern: "/v1/corrective-actions/{id}/done",
            path: |t| format!("/v1/corrective-actions/{}/done", t.in_progress_action_id),
            body: no_body,
            expect: [200, 200, 403, 200, 403, 401, 404],
        },
        Row {
            method: Method::POST,
            pattern: "/v1/corrective-actions/{id}/reopen",
            path: |t| format!("/v1/corrective-actions/{}/reopen", t.action_id),
            body: no_body,
            // Only a `not_verified` action goes back to work: an open one is a conflict.
            expect: [409, 409, 403, 409, 403, 401, 404],
        },
        Row {
            method: Method::POST,
            pattern: "/v1/corrective-actions/{id}/cancel",
            path: |t| format!("/v1/corrective-actions/{}/cancel", t.action_id),
            body: |_| Some(json!({"note": "opened by mistake"})),
            expect: [200, 200, 403, 200, 403, 401, 404],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/corrective-actions/{id}/history",
            path: |t| format!("/v1/corrective-actions/{}/history", t.action_id),
            body: no_body,
            expect: [200, 200, 403, 200, 403, 401, 404],
        },
        Row {
            method: Method::POST,
            pattern: "/v1/corrective-actions/{id}/training-sessions",
            path: |t| format!("/v1/corrective-actions/{}/training-sessions", t.action_id),
            body: |_| Some(json!({"held_on": "2026-01-01", "attendees": 4})),
            expect: [201, 201, 403, 201, 403, 401, 404],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/corrective-actions/{id}/training-sessions",
            path: |t| format!("/v1/corrective-actions/{}/training-sessions", t.action_id),
            body: no_body,
            expect: [200, 200, 403, 200, 403, 401, 404],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/events",
            path: |_| "/v1/events?types=assignment.created".into(),
            body: no_body,
            // A foreign caller reads its own organization's feed.
            expect: [200, 200, 403, 200, 403, 401, 200],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/reports/five-gaps",
            path: |_| "/v1/reports/five-gaps?subject=dimension".into(),
            body: no_body,
            // The narrow key holds exactly `reports:read`; a foreign caller gets its own report.
            expect: [200, 200, 403, 200, 200, 401, 200],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/reports/shoppers/calibration",
            path: |_| "/v1/reports/shoppers/calibration".into(),
            body: no_body,
            // Reports of shoppers are for the organization's people and `reports:read` keys;
            // a foreign caller reads its own organization's (empty) report.
            expect: [200, 200, 403, 200, 200, 401, 200],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/reports/shoppers/agreement",
            path: |_| "/v1/reports/shoppers/agreement".into(),
            body: no_body,
            expect: [200, 200, 403, 200, 200, 401, 200],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/reports/five-gaps.csv",
            path: |_| "/v1/reports/five-gaps.csv".into(),
            body: no_body,
            expect: [200, 200, 403, 200, 200, 401, 200],
        },
        Row {
            method: Method::POST,
            pattern: "/v1/survey-invitations",
            path: |_| "/v1/survey-invitations".into(),
            body: |t| {
                Some(
                    json!({"instrument_version_id": t.customer_version_id, "location_id": t.location_id, "channel": "in_person",
                           "codes": [format!("AUTHZ-NEW-{}", t.n)]}),
                )
            },
            expect: [201, 201, 403, 403, 403, 401, 422],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/survey-invitations",
            path: |_| "/v1/survey-invitations".into(),
            body: no_body,
            expect: [200, 200, 403, 200, 403, 401, 200],
        },
        Row {
            method: Method::POST,
            pattern: "/v1/survey-invitations/{id}/revoke",
            path: |t| format!("/v1/survey-invitations/{}/revoke", t.invitation_id),
            body: no_body,
            expect: [200, 200, 403, 403, 403, 401, 404],
        },
        Row {
            method: Method::GET,
            pattern: "/public/v1/invitations/{code}",
            path: |t| format!("/public/v1/invitations/{}", t.invitation_code),
            body: no_body,
            expect: [200; 7],
        },
        Row {
            method: Method::POST,
            pattern: "/public/v1/invitations/{code}/responses",
            path: |t| format!("/public/v1/invitations/{}/responses", t.invitation_code),
            body: |_| {
                Some(
                    json!({"response_id": uuid::Uuid::new_v4(), "language": "en",
                           "ratings": [{"item": "greet", "expectation": 6, "perception": 4}]}),
                )
            },
            expect: [201; 7],
        },
        Row {
            method: Method::GET,
            pattern: "/public/v1/surveys/{token}",
            path: |t| format!("/public/v1/surveys/{}", t.link_token),
            body: no_body,
            // Public: whoever asks, with or without credentials.
            expect: [200; 7],
        },
        Row {
            method: Method::POST,
            pattern: "/public/v1/surveys/{token}/responses",
            path: |t| format!("/public/v1/surveys/{}/responses", t.link_token),
            body: |_| {
                Some(
                    json!({"response_id": uuid::Uuid::new_v4(), "language": "ar",
                           "ratings": [{"item": "greet", "expectation": 6, "perception": 4}]}),
                )
            },
            expect: [201; 7],
        },
        Row {
            method: Method::POST,
            pattern: "/v1/locations",
            path: |_| "/v1/locations".into(),
            body: |t| Some(location_body(t.n + 100_000)),
            expect: [201, 201, 403, 201, 403, 401, 201],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/locations",
            path: |_| "/v1/locations".into(),
            body: no_body,
            expect: [200, 200, 403, 200, 403, 401, 200],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/locations/{id}",
            path: |t| format!("/v1/locations/{}", t.location_id),
            body: no_body,
            expect: [200, 200, 403, 200, 403, 401, 404],
        },
        Row {
            method: Method::PATCH,
            pattern: "/v1/locations/{id}",
            path: |t| format!("/v1/locations/{}", t.location_id),
            body: |_| Some(json!({"name": "Renamed"})),
            expect: [200, 200, 403, 200, 403, 401, 404],
        },
        Row {
            method: Method::POST,
            pattern: "/v1/locations/import",
            path: |_| "/v1/locations/import".into(),
            body: |t| {
                csv(format!("code,name,region,segment,latitude,longitude,time_zone,channels\nCSV-{},Branch,North,b2c,52.5,13.4,Europe/Berlin,in_person\n", t.n))
            },
            expect: [201, 201, 403, 201, 403, 401, 201],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/shoppers/{id}/profile",
            path: |t| format!("/v1/shoppers/{}/profile", t.user_id),
            body: no_body,
            expect: [200, 200, 403, 200, 403, 401, 404],
        },
        Row {
            method: Method::PUT,
            pattern: "/v1/shoppers/{id}/profile",
            path: |t| format!("/v1/shoppers/{}/profile", t.user_id),
            body: |_| {
                Some(json!({"home_region": "North", "languages": ["de"], "segments": ["b2c"]}))
            },
            expect: [200, 200, 403, 403, 403, 401, 404],
        },
        Row {
            method: Method::POST,
            pattern: "/v1/shoppers/{id}/exclusions",
            path: |t| format!("/v1/shoppers/{}/exclusions", t.user_id),
            body: |t| Some(json!({"location_id": t.location_id})),
            expect: [201, 201, 403, 403, 403, 401, 404],
        },
        Row {
            method: Method::DELETE,
            pattern: "/v1/shoppers/{id}/exclusions/{location_id}",
            path: |t| format!("/v1/shoppers/{}/exclusions/{}", t.user_id, t.location_id),
            body: no_body,
            expect: [204, 204, 403, 403, 403, 401, 404],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/me/profile",
            path: |_| "/v1/me/profile".into(),
            body: no_body,
            expect: [403, 403, 200, 403, 403, 401, 403],
        },
        Row {
            method: Method::PUT,
            pattern: "/v1/me/profile",
            path: |_| "/v1/me/profile".into(),
            body: |_| Some(json!({"languages": ["en"]})),
            expect: [403, 403, 200, 403, 403, 401, 403],
        },
        Row {
            method: Method::POST,
            pattern: "/v1/me/exclusions",
            path: |_| "/v1/me/exclusions".into(),
            body: |t| Some(json!({"location_id": t.location_id})),
            expect: [403, 403, 201, 403, 403, 401, 403],
        },
        Row {
            method: Method::POST,
            pattern: "/v1/assignments",
            path: |_| "/v1/assignments".into(),
            body: |t| {
                Some(
                    json!({"location_id": t.location_id, "checklist_version_id": t.checklist_version_id,
                "window_start": "2020-01-01T00:00:00Z", "window_end": "2100-01-01T00:00:00Z"}),
                )
            },
            // Another organization's location and checklist name nothing the caller owns.
            expect: [201, 201, 403, 201, 403, 401, 422],
        },
        Row {
            method: Method::POST,
            pattern: "/v1/waves",
            path: |_| "/v1/waves".into(),
            body: |t| {
                Some(
                    json!({"location_ids": [t.location_id], "checklist_version_id": t.checklist_version_id, "shops_per_location": 2,
                "window_start": "2020-01-01T00:00:00Z", "window_end": "2100-01-01T00:00:00Z"}),
                )
            },
            expect: [201, 201, 403, 201, 403, 401, 422],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/assignments",
            path: |_| "/v1/assignments".into(),
            body: no_body,
            expect: [200, 200, 200, 200, 403, 401, 200],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/assignments/{id}",
            path: |t| format!("/v1/assignments/{}", t.open_id),
            // A shopper reads only their own.
            body: no_body,
            expect: [200, 200, 404, 200, 403, 401, 404],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/assignments/{id}/history",
            path: |t| format!("/v1/assignments/{}/history", t.mine_id),
            body: no_body,
            expect: [200, 200, 403, 200, 403, 401, 404],
        },
        Row {
            method: Method::POST,
            pattern: "/v1/assignments/{id}/offer",
            path: |t| format!("/v1/assignments/{}/offer", t.open_id),
            body: |t| Some(json!({"shopper_id": t.user_id})),
            expect: [200, 200, 403, 200, 403, 401, 404],
        },
        Row {
            method: Method::POST,
            pattern: "/v1/assignments/{id}/reassign",
            path: |t| format!("/v1/assignments/{}/reassign", t.mine_id),
            body: |t| Some(json!({"shopper_id": t.user_id})),
            expect: [200, 200, 403, 200, 403, 401, 404],
        },
        Row {
            method: Method::POST,
            pattern: "/v1/assignments/{id}/cancel",
            path: |t| format!("/v1/assignments/{}/cancel", t.open_id),
            body: |_| Some(json!({"reason": "test"})),
            expect: [200, 200, 403, 200, 403, 401, 404],
        },
        Row {
            method: Method::POST,
            pattern: "/v1/assignments/{id}/reopen",
            path: |t| format!("/v1/assignments/{}/reopen", t.expired_id),
            body: |_| {
                Some(
                    json!({"window_start": "2020-01-01T00:00:00Z", "window_end": "2100-01-01T00:00:00Z"}),
                )
            },
            expect: [200, 200, 403, 200, 403, 401, 404],
        },
        Row {
            method: Method::POST,
            pattern: "/v1/assignments/{id}/accept",
            path: |t| format!("/v1/assignments/{}/accept", t.open_id),
            body: no_body,
            expect: [403, 403, 200, 403, 403, 401, 403],
        },
        Row {
            method: Method::POST,
            pattern: "/v1/assignments/{id}/decline",
            path: |t| format!("/v1/assignments/{}/decline", t.mine_id),
            body: no_body,
            expect: [403, 403, 200, 403, 403, 401, 403],
        },
        Row {
            method: Method::POST,
            pattern: "/v1/assignments/{id}/check-in",
            path: |t| format!("/v1/assignments/{}/check-in", t.mine_id),
            body: |_| Some(json!({"latitude": 52.5, "longitude": 13.4})),
            expect: [403, 403, 200, 403, 403, 401, 403],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/job-board",
            path: |_| "/v1/job-board".into(),
            body: no_body,
            expect: [403, 403, 200, 403, 403, 401, 403],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/me/sync",
            path: |_| "/v1/me/sync".into(),
            body: no_body,
            expect: [403, 403, 200, 403, 403, 401, 403],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/checklist-versions/{id}",
            path: |t| format!("/v1/checklist-versions/{}", t.checklist_version_id),
            // The seeded shopper holds an assignment on it; the other organization does not own it.
            body: no_body,
            expect: [200, 200, 200, 200, 403, 401, 404],
        },
        Row {
            method: Method::PUT,
            pattern: "/v1/submissions/{id}",
            path: |t| format!("/v1/submissions/{}", t.new_submission),
            body: |t| Some(submission_body(&t.mine_id)),
            expect: [403, 403, 200, 403, 403, 401, 403],
        },
        Row {
            method: Method::POST,
            pattern: "/v1/submissions/{id}/submit",
            path: |t| format!("/v1/submissions/{}/submit", t.new_submission),
            body: |t| Some(submission_body(&t.mine_id)),
            expect: [403, 403, 200, 403, 403, 401, 403],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/submissions/{id}",
            path: |t| format!("/v1/submissions/{}", t.submitted_id),
            body: no_body,
            expect: [200, 200, 200, 200, 403, 401, 404],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/submissions",
            path: |_| "/v1/submissions".into(),
            body: no_body,
            expect: [200, 200, 200, 200, 403, 401, 200],
        },
        Row {
            method: Method::POST,
            pattern: "/v1/submissions/{id}/approve",
            path: |t| format!("/v1/submissions/{}/approve", t.submitted_id),
            body: |_| with_if_match("\"1\"", json!({})),
            expect: [200, 200, 403, 403, 403, 401, 404],
        },
        Row {
            method: Method::POST,
            pattern: "/v1/submissions/{id}/return",
            path: |t| format!("/v1/submissions/{}/return", t.submitted_id),
            body: |_| with_if_match("\"1\"", json!({"comment": "fix"})),
            expect: [200, 200, 403, 403, 403, 401, 404],
        },
        Row {
            method: Method::POST,
            pattern: "/v1/submissions/{id}/reject",
            path: |t| format!("/v1/submissions/{}/reject", t.submitted_id),
            body: |_| with_if_match("\"1\"", json!({"comment": "wrong branch"})),
            expect: [200, 200, 403, 403, 403, 401, 404],
        },
        Row {
            method: Method::POST,
            pattern: "/v1/submissions/{id}/edits",
            path: |t| format!("/v1/submissions/{}/edits", t.submitted_id),
            body: |_| {
                with_if_match(
                    "\"1\"",
                    json!({"item_key": "a", "answer": {"value": false}, "reason": "recording"}),
                )
            },
            expect: [200, 200, 403, 403, 403, 401, 404],
        },
        Row {
            method: Method::PUT,
            pattern: "/v1/submissions/{id}/attachments/{attachment_id}",
            path: |t| {
                format!(
                    "/v1/submissions/{}/attachments/{}",
                    t.draft_submission,
                    uuid::Uuid::new_v4()
                )
            },
            body: |_| raw("application/pdf", "%PDF-1.4 a receipt"),
            expect: [403, 403, 201, 403, 403, 401, 403],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/reports/gaps",
            path: |_| "/v1/reports/gaps?group_by=standard,location".into(),
            body: no_body,
            // The narrow key holds exactly `reports:read`; a foreign caller gets its own report.
            expect: [200, 200, 403, 200, 200, 401, 200],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/reports/gaps.csv",
            path: |_| "/v1/reports/gaps.csv?group_by=standard,location".into(),
            body: no_body,
            expect: [200, 200, 403, 200, 200, 401, 200],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/reports/scorecard",
            path: |t| format!("/v1/reports/scorecard?location_id={}", t.location_id),
            body: no_body,
            // Another organization's location is not found.
            expect: [200, 200, 403, 200, 200, 401, 404],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/reports/scorecard.csv",
            path: |t| format!("/v1/reports/scorecard.csv?location_id={}", t.location_id),
            body: no_body,
            expect: [200, 200, 403, 200, 200, 401, 404],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/reports/trend",
            path: |_| "/v1/reports/trend?grain=week".into(),
            body: no_body,
            expect: [200, 200, 403, 200, 200, 401, 200],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/reports/trend.csv",
            path: |_| "/v1/reports/trend.csv?grain=week".into(),
            body: no_body,
            expect: [200, 200, 403, 200, 200, 401, 200],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/reports/ranking",
            path: |_| "/v1/reports/ranking".into(),
            body: no_body,
            expect: [200, 200, 403, 200, 200, 401, 200],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/reports/ranking.csv",
            path: |_| "/v1/reports/ranking.csv".into(),
            body: no_body,
            expect: [200, 200, 403, 200, 200, 401, 200],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/reports/self-assessment",
            path: |_| "/v1/reports/self-assessment".into(),
            body: no_body,
            expect: [200, 200, 403, 200, 200, 401, 200],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/reports/self-assessment.csv",
            path: |_| "/v1/reports/self-assessment.csv".into(),
            body: no_body,
            expect: [200, 200, 403, 200, 200, 401, 200],
        },
        Row {
            method: Method::POST,
            pattern: "/v1/self-assessments",
            path: |_| "/v1/self-assessments".into(),
            // A period of its own per call, so every permitted caller records a new belief.
            body: |t| {
                Some(
                    json!({"standard": "S1", "believed": 0.8, "period_from": "2025-01-01",
                    "period_to": (chrono::NaiveDate::from_ymd_opt(2025, 3, 1).unwrap() + chrono::Days::new(t.n as u64)).to_string()}),
                )
            },
            // People only: keys never record beliefs.
            expect: [201, 201, 403, 403, 403, 401, 201],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/self-assessments",
            path: |_| "/v1/self-assessments".into(),
            body: no_body,
            expect: [200, 200, 403, 200, 200, 401, 200],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/self-assessments.csv",
            path: |_| "/v1/self-assessments.csv".into(),
            body: no_body,
            expect: [200, 200, 403, 200, 200, 401, 200],
        },
        Row {
            method: Method::DELETE,
            pattern: "/v1/self-assessments/{id}",
            path: |t| format!("/v1/self-assessments/{}", t.self_assessment_id),
            body: no_body,
            expect: [204, 204, 403, 403, 403, 401, 404],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/exports/submissions",
            path: |_| "/v1/exports/submissions".into(),
            body: no_body,
            // The narrow key holds only `reports:read`: the export's answers need
            // `submissions:read`.
            expect: [200, 200, 403, 200, 403, 401, 200],
        },
        Row {
            method: Method::GET,
            pattern: "/v1/attachments/{id}",
            path: |t| format!("/v1/attachments/{}", t.attachment_id),
            body: no_body,
            expect: [200, 200, 200, 200, 403, 401, 404],
        },
    ]
}

async fn targets(app: &TestApp, org: &Org, n: usize, workforce: bool) -> Targets {
    let mut conn = app.pool.get().unwrap();
    let user = shopgap::demo::new_user_row(
        &org.id,
        &format!("target{n}@example.com"),
        "Target",
        Role::Shopper,
        "x".into(),
    );
    shopgap::users::repo::insert(&mut conn, &user).unwrap();
    drop(conn);
    let key = app
        .post(
            "/v1/api-keys",
            Some(&org.admin.access_token),
            json!({"name": "target", "scopes": ["users:read"]}),
        )
        .await
        .expect(201);
    let mut conn = app.pool.get().unwrap();
    let actor = Actor {
        organization_id: &org.id,
        user_id: None,
    };
    let now = chrono::Utc::now().naive_utc();
    let input = |name: &str| serde_json::from_value::<BookInput>(book_body(name)).unwrap();
    let draft_book = standards::create(&mut conn, actor, input("Draft book"), false, now).unwrap();
    let published =
        standards::create(&mut conn, actor, input("Published book"), true, now).unwrap();
    let checklist = checklists::create(
        &mut conn,
        actor,
        serde_json::from_value::<ChecklistInput>(json!({
            "name": "Checklist", "channel": "in_person",
            "standards_book_version_id": published.id, "sections": checklist_sections(),
        }))
        .unwrap(),
        false,
        now,
    )
    .unwrap();
    let instrument = shopgap::surveys::service::create(
        &mut conn,
        actor,
        serde_json::from_value(instrument_body("Survey", &published.id)).unwrap(),
        false,
        now,
    )
    .unwrap();
    let promise = shopgap::promises::service::create(
        &mut conn,
        &org.id,
        None,
        serde_json::from_value(promise_body()).unwrap(),
        now,
    )
    .unwrap();
    let location = shopgap::locations::service::create(
        &mut conn,
        &org.id,
        serde_json::from_value(location_body(n)).unwrap(),
        now,
    )
    .unwrap();
    let survey = |audience: &str| {
        let mut body = instrument_body(audience, &published.id);
        body["audience"] = json!(audience);
        if audience == "management" {
            body["items"][0]
                .as_object_mut()
                .unwrap()
                .remove("perception_prompt");
        }
        serde_json::from_value(body).unwrap()
    };
    let customer_version =
        shopgap::surveys::service::create(&mut conn, actor, survey("customer"), true, now).unwrap();
    let management_version =
        shopgap::surveys::service::create(&mut conn, actor, survey("management"), true, now)
            .unwrap();
    let published_checklist = checklists::create(
        &mut conn,
        actor,
        serde_json::from_value::<ChecklistInput>(json!({
            "name": "Live", "channel": "in_person",
            "standards_book_version_id": published.id, "sections": checklist_sections(),
        }))
        .unwrap(),
        true,
        now,
    )
    .unwrap();
    let plan = |conn: &mut shopgap::db::DbConn| {
        let input = serde_json::from_value(json!({
            "location_id": location.id, "checklist_version_id": published_checklist.id,
            "window_start": (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339(),
            "window_end": (chrono::Utc::now() + chrono::Duration::days(3)).to_rfc3339(),
        }))
        .unwrap();
        let a = shopgap::assignments::service::Actor {
            organization_id: &org.id,
            user_id: None,
        };
        shopgap::assignments::service::create(conn, a, input, now)
            .unwrap()
            .id
    };
    let open_id = plan(&mut conn);
    let mine_id = plan(&mut conn);
    shopgap::assignments::service::accept(&mut conn, &org.id, &org.shopper.id, &mine_id, now)
        .unwrap();
    let expired_id = plan(&mut conn);
    {
        use diesel::prelude::*;
        use shopgap::db::schema::assignments;
        diesel::update(assignments::table.find(&expired_id))
            .set(assignments::window_end.eq(now - chrono::Duration::minutes(1)))
            .execute(&mut *conn)
            .unwrap();
    }
    let shopped = plan(&mut conn);
    shopgap::assignments::service::accept(&mut conn, &org.id, &org.shopper.id, &shopped, now)
        .unwrap();
    let submitted_id = uuid::Uuid::new_v4().to_string();
    shopgap::submissions::service::submit(
        &mut conn,
        &shopgap::config::Config::with_secret(common::JWT_SECRET),
        &org.id,
        &org.shopper.id,
        &submitted_id,
        shopgap::submissions::service::Sent::new(
            serde_json::from_value(submission_body(&shopped)).unwrap(),
        )
        .unwrap(),
        None,
        now,
    )
    .unwrap();
    let drafted = plan(&mut conn);
    shopgap::assignments::service::accept(&mut conn, &org.id, &org.shopper.id, &drafted, now)
        .unwrap();
    // Certification and pay: two quizzes, and payable lines of the submitted shop, one in an
    // open batch and one left for the next (written directly: the matrix is about access).
    let quiz = |conn: &mut shopgap::db::DbConn, publish: bool| {
        let input = serde_json::from_value(quiz_body()).unwrap();
        let actor = shopgap::versioning::Actor {
            organization_id: &org.id,
            user_id: None,
        };
        shopgap::certification::service::create(conn, actor, input, publish, now)
            .unwrap()
            .quiz_id
    };
    let (quiz_id, draft_quiz_id) = if workforce {
        (quiz(&mut conn, true), quiz(&mut conn, false))
    } else {
        (String::new(), String::new())
    };
    let line = |conn: &mut shopgap::db::DbConn| {
        use diesel::prelude::*;
        let row = shopgap::payments::service::PayableRow {
            id: uuid::Uuid::now_v7().to_string(),
            organization_id: org.id.clone(),
            shopper_id: org.shopper.id.clone(),
            submission_id: submitted_id.clone(),
            assignment_id: shopped.clone(),
            kind: "fee".into(),
            reimbursement_id: None,
            reverses_id: None,
            amount_minor: 4500,
            currency: "EUR".into(),
            earned_at: now,
            batch_id: None,
            voided_at: None,
            created_at: now,
        };
        diesel::insert_into(shopgap::db::schema::payables::table)
            .values(&row)
            .execute(conn)
            .unwrap();
    };
    let mut batch_id = String::new();
    if workforce {
        line(&mut conn);
        batch_id = shopgap::payments::service::create_batch(
            &mut conn,
            &org.id,
            None,
            serde_json::from_value(batch_period()).unwrap(),
            now,
        )
        .unwrap()
        .batch
        .id
        .to_string();
        line(&mut conn);
    }
    let draft_submission = uuid::Uuid::new_v4().to_string();
    shopgap::submissions::service::save_draft(
        &mut conn,
        &org.id,
        &org.shopper.id,
        &draft_submission,
        shopgap::submissions::service::Sent::new(
            serde_json::from_value(json!({"assignment_id": drafted})).unwrap(),
        )
        .unwrap(),
        now,
    )
    .unwrap();
    drop(conn);
    let attachment_id = uuid::Uuid::new_v4().to_string();
    app.send(
        app.client
            .put(format!(
                "{}/v1/submissions/{draft_submission}/attachments/{attachment_id}",
                app.base
            ))
            .bearer_auth(&org.shopper.access_token)
            .header("content-type", "application/pdf")
            .body("%PDF-1.4 receipt"),
    )
    .await
    .expect(201);
    let link = app
        .post(
            "/v1/survey-links",
            Some(&org.admin.access_token),
            json!({"instrument_version_id": customer_version.id, "location_id": location.id, "channel": "in_person"}),
        )
        .await
        .expect(201)
        .body;
    let invitation_code = format!("AUTHZ-CODE-{n}");
    let invitation = app
        .post(
            "/v1/survey-invitations",
            Some(&org.admin.access_token),
            json!({"instrument_version_id": customer_version.id, "location_id": location.id,
                   "channel": "in_person", "codes": [invitation_code]}),
        )
        .await
        .expect(201)
        .body;
    let management_response_id = app
        .post(
            "/v1/management-responses",
            Some(&org.admin.access_token),
            json!({"instrument_version_id": management_version.id, "period_from": "2026-01-01",
                   "period_to": "2026-03-31", "ratings": [{"item": "greet", "expectation": 5}]}),
        )
        .await
        .expect(201)
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let webhook_id = app
        .post(
            "/v1/webhooks",
            Some(&org.admin.access_token),
            json!({"url": format!("https://hooks.example.com/{n}"), "event_types": ["survey_response.received"]}),
        )
        .await
        .expect(201)
        .body["endpoint"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // Any event of the organization (read from the table: on PostgreSQL the feed shows an
    // event only once every older transaction of the cluster has ended).
    let event_id: String = {
        use diesel::prelude::*;
        use shopgap::db::schema::events;
        events::table
            .filter(events::organization_id.eq(&org.id))
            .select(events::id)
            .first(&mut app.pool.get().unwrap())
            .unwrap()
    };
    let open_action = |plan: &'static str| {
        json!({"location_id": location.id, "standard": "S1", "kind": "training",
               "owner_id": org.manager.id, "due_date": "2099-01-01", "plan": plan})
    };
    let action_id = app
        .post(
            "/v1/corrective-actions",
            Some(&org.admin.access_token),
            open_action("Train"),
        )
        .await
        .expect(201)
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let in_progress_action_id = app
        .post(
            "/v1/corrective-actions",
            Some(&org.admin.access_token),
            open_action("Coach"),
        )
        .await
        .expect(201)
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.post(
        &format!("/v1/corrective-actions/{in_progress_action_id}/start"),
        Some(&org.admin.access_token),
        json!({}),
    )
    .await
    .expect(200);
    let self_assessment_id = app
        .post(
            "/v1/self-assessments",
            Some(&org.admin.access_token),
            json!({"standard": "S1", "believed": 0.9, "period_from": "2026-01-01", "period_to": (chrono::NaiveDate::from_ymd_opt(2026, 2, 1).unwrap() + chrono::Days::new(n as u64)).to_string()}),
        )
        .await
        .expect(201)
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    Targets {
        self_assessment_id,
        draft_submission,
        attachment_id,
        submitted_id,
        new_submission: uuid::Uuid::new_v4().to_string(),
        checklist_version_id: published_checklist.id,
        open_id,
        mine_id,
        expired_id,
        location_id: location.id,
        user_id: user.id,
        key_id: key.body["api_key"]["id"].as_str().unwrap().to_string(),
        book_id: draft_book.book_id,
        published_book_version_id: published.id,
        checklist_id: checklist.checklist_id,
        instrument_id: instrument.instrument_id,
        promise_id: promise.id.to_string(),
        customer_version_id: customer_version.id,
        management_version_id: management_version.id,
        link_id: link["id"].as_str().unwrap().to_string(),
        link_token: link["token"].as_str().unwrap().to_string(),
        invitation_id: invitation["ids"][0].as_str().unwrap().to_string(),
        invitation_code,
        management_response_id,
        webhook_id,
        event_id,
        action_id,
        in_progress_action_id,
        manager_id: org.manager.id.clone(),
        quiz_id,
        draft_quiz_id,
        batch_id,
        n,
    }
}

#[actix_web::test]
async fn every_endpoint_checks_role_scope_and_tenant() {
    // Every public row is called by every kind of caller from one address: lift the public
    // rate limit, which its own test checks.
    let mut config = shopgap::config::Config::with_secret(common::JWT_SECRET);
    config.public_rate_per_minute = 10_000;
    let app = TestApp::spawn_with(config).await;
    let org = app.seed_org("Acme").await;
    let other = app.seed_org("Rival").await;
    let key = app
        .api_key(
            &org,
            &[
                "organization:read",
                "users:read",
                "standards:read",
                "standards:write",
                "locations:read",
                "locations:write",
                "assignments:read",
                "assignments:write",
                "submissions:read",
                "reports:read",
                "surveys:read",
                "events:read",
                "webhooks:manage",
                "actions:read",
                "actions:write",
                "payments:read",
                "payments:write",
            ],
        )
        .await;
    let narrow = app.api_key(&org, &["reports:read"]).await;
    // The seeded shopper takes part in every row (thousands of assignments): lift the cap on
    // active assignments and the cooldown, directly, past what the API allows.
    {
        use diesel::prelude::*;
        use shopgap::db::schema::organizations;
        let mut conn = app.pool.get().unwrap();
        diesel::update(organizations::table.find(&org.id))
            .set((
                organizations::max_active_assignments.eq(1_000_000),
                organizations::cooldown_days.eq(0),
            ))
            .execute(&mut *conn)
            .unwrap();
    }

    let mut n = 0;
    let mut failures = Vec::new();
    for row in rows() {
        // Quizzes and a payment batch only for the rows that use them.
        let workforce = [
            "/quizzes",
            "/payment-batches",
            "/earnings",
            "/statements",
            "/certifications",
        ]
        .iter()
        .any(|p| row.pattern.contains(p));
        // A call that may change something gets targets of its own; reads and refused calls
        // (which change nothing, or the matrix would catch it) share one set per row. Making
        // targets is most of this test's time.
        let mut shared: Option<Targets> = None;
        for (i, who) in EVERYONE.iter().enumerate() {
            n += 1;
            // (A refused sign-in changes something too: the throttle counts it.)
            let changes = (row.method != Method::GET && (200..300).contains(&row.expect[i]))
                || row.pattern.starts_with("/v1/auth/");
            let fresh;
            let t: &Targets = if changes {
                fresh = targets(&app, &org, n, workforce).await;
                &fresh
            } else {
                if shared.is_none() {
                    shared = Some(targets(&app, &org, n, workforce).await);
                }
                shared.as_ref().unwrap()
            };
            let auth = match who {
                Who::Admin => Some(org.admin.access_token.as_str()),
                Who::Manager => Some(org.manager.access_token.as_str()),
                Who::Shopper => Some(org.shopper.access_token.as_str()),
                Who::Key => Some(key.as_str()),
                Who::NarrowKey => Some(narrow.as_str()),
                Who::Anonymous => None,
                Who::Foreign => Some(other.admin.access_token.as_str()),
            };
            let path = (row.path)(t);
            let body = (row.body)(t);
            let raw_body = body.as_ref().and_then(|b| {
                b.get("csv")
                    .and_then(Value::as_str)
                    .map(|t| ("text/csv".to_string(), t.to_string()))
                    .or_else(|| {
                        Some((
                            b.get("content_type")?.as_str()?.to_string(),
                            b.get("raw")?.as_str()?.to_string(),
                        ))
                    })
            });
            let response = match raw_body {
                Some((content_type, text)) => {
                    let mut request = app
                        .client
                        .request(row.method.clone(), format!("{}{path}", app.base))
                        .header("content-type", content_type)
                        .body(text);
                    if let Some(auth) = auth {
                        request = if auth.starts_with("sgk_") {
                            request.header("X-API-Key", auth)
                        } else {
                            request.bearer_auth(auth)
                        };
                    }
                    app.send(request).await
                }
                None => match body
                    .as_ref()
                    .and_then(|b| b.get("if_match"))
                    .and_then(Value::as_str)
                {
                    Some(etag) => {
                        let mut request = app
                            .client
                            .request(row.method.clone(), format!("{}{path}", app.base))
                            .header("If-Match", etag)
                            .json(&body.as_ref().unwrap()["body"]);
                        if let Some(auth) = auth {
                            request = if auth.starts_with("sgk_") {
                                request.header("X-API-Key", auth)
                            } else {
                                request.bearer_auth(auth)
                            };
                        }
                        app.send(request).await
                    }
                    None => app.call(row.method.clone(), &path, auth, body).await,
                },
            };
            if response.status != row.expect[i] {
                failures.push(format!(
                    "{} {path} as {who:?}: expected {}, got {} {}",
                    row.method, row.expect[i], response.status, response.body
                ));
            }
            if response.status >= 400 && path.starts_with("/v1/") {
                assert_eq!(
                    response.header("content-type").as_deref(),
                    Some("application/problem+json"),
                    "{} {path} as {who:?}",
                    row.method
                );
            }
        }
    }
    assert!(
        failures.is_empty(),
        "authorization matrix mismatches:\n{}",
        failures.join("\n")
    );
}

#[actix_web::test]
async fn lists_never_show_another_organization() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let other = app.seed_org("Rival").await;
    app.api_key(&org, &["users:read"]).await;
    let users = app
        .get("/v1/users", Some(&other.admin.access_token))
        .await
        .expect(200)
        .body;
    let text = users.to_string();
    assert!(!text.contains(&org.id) && !text.contains("acme"), "{text}");
    assert_eq!(users["items"].as_array().unwrap().len(), 3);
    let keys = app
        .get("/v1/api-keys", Some(&other.admin.access_token))
        .await
        .expect(200)
        .body;
    assert!(keys["items"].as_array().unwrap().is_empty());
    // Foreign writes by id changed nothing.
    app.delete(
        &format!("/v1/users/{}", org.shopper.id),
        Some(&other.admin.access_token),
    )
    .await
    .expect_problem(404);
    let still = app
        .get(
            &format!("/v1/users/{}", org.shopper.id),
            Some(&org.admin.access_token),
        )
        .await
        .expect(200);
    assert_eq!(still.body["active"], true);
}

#[test]
fn the_matrix_covers_every_documented_operation() {
    let api = shopgap::openapi::openapi();
    let covered: Vec<(String, String)> = rows()
        .iter()
        .map(|r| (r.method.to_string(), r.pattern.to_string()))
        .collect();
    let mut missing = Vec::new();
    for (path, item) in api.paths.paths.iter() {
        for (method, op) in [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("PATCH", &item.patch),
            ("DELETE", &item.delete),
        ] {
            if op.is_some() && !covered.contains(&(method.to_string(), path.clone())) {
                missing.push(format!("{method} {path}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "add these operations to the authorization matrix: {missing:?}"
    );
}

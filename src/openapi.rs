//! The OpenAPI document, generated from the handlers' annotations.
//!
//! Handlers document their success responses and the errors particular to them. The errors every
//! endpoint of a kind can give (401/403 when authenticated, 400/413/415/422 when it takes a body,
//! 404 when the path names a resource, 503 when the database is away) are added here, from the
//! same facts the server acts on, so the contract cannot forget one.

use actix_web::App;
use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::Required;
use utoipa::openapi::{Components, Content, OpenApi as OpenApiDoc, Ref, RefOr};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

use crate::error::{FieldError, Problem};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "shopgap",
        description = "Mystery-shopping programs and the service delivery gap: standards, \
            checklists, assignments, submissions and gap reports.\n\n\
            Errors are RFC 9457 `application/problem+json`. Ids are UUIDs; times are RFC 3339 UTC. \
            Lists use cursor pagination (`limit`, `cursor` → `items`, `next_cursor`). \
            Mutable resources carry an `ETag`; send it back as `If-Match` to avoid overwriting \
            someone else's change (412). Every `GET` also answers `HEAD` (the same status and \
            headers, no body)."
    ),
    modifiers(&SecuritySchemes),
    components(schemas(
        Problem,
        FieldError,
        crate::reports::dto::GroupBy,
        crate::reports::dto::TrendGrain,
        crate::reports::dto::TrendSubject,
        crate::contract::types::Code,
        crate::contract::types::Label,
        crate::standards::dto::Dimension,
        crate::checklists::dto::ItemText,
        crate::standards::dto::Channel,
        crate::locations::dto::Segment,
        crate::assignments::dto::CandidateSort,
        crate::submissions::rules::FlagKind
    )),
    tags(
        (name = "auth", description = "Sign-in, sessions and the caller"),
        (name = "organization", description = "The tenant and its settings"),
        (name = "users", description = "Admins, managers and shoppers"),
        (name = "api-keys", description = "Keys for integrators"),
        (name = "standards", description = "Standards books: principles, standards and protocols, versioned"),
        (name = "checklists", description = "Checklists pinned to a standards book version and a channel"),
        (name = "surveys", description = "Survey instruments for customers and management (the five gaps), in every language the program runs in"),
        (name = "locations", description = "Branches, stores and lines whose service is shopped"),
        (name = "shoppers", description = "Shopper profiles and the locations where they are known"),
        (name = "certification", description = "Quizzes that certify shoppers, versioned; a job or checklist may require one"),
        (name = "payments", description = "Shopper pay: payable fees and reimbursements, payment batches for the payroll, earnings and statements"),
        (name = "assignments", description = "Mystery shops: planning, the job board, the lifecycle"),
        (name = "submissions", description = "Shoppers' filled checklists: drafts, submission, scores, flags, review"),
        (name = "reports", description = "Delivery gaps against the standards, from roll-ups of approved visits"),
        (name = "corrective-actions", description = "Service recovery: actions on a location × standard gap, training, verifying re-shops and their measured effect"),
        (name = "events", description = "Every change integrators care about, as a feed with a cursor and by signed webhook (Standard Webhooks)"),
        (name = "webhooks", description = "Webhook endpoints, their secrets and delivery logs"),
        (name = "public", description = "Surveys customers answer without an account (under /public/v1/): rate-limited, revealing nothing beyond the survey's texts"),
        (name = "operations", description = "Health, readiness and metrics"),
    )
)]
struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        let components = openapi.components.get_or_insert_with(Components::new);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("Access token from `POST /v1/auth/login`"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-API-Key",
                "An integrator's API key (`sgk_…`); `Authorization: Bearer sgk_…` works too",
            ))),
        );
    }
}

/// The generated document, exactly as served at `/openapi.json` and committed as `openapi.yaml`.
pub fn openapi() -> OpenApiDoc {
    let (_, mut api) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::app::configure_api)
        .split_for_parts();
    api.info.version = env!("CARGO_PKG_VERSION").to_string();
    add_common_responses(&mut api);
    forbid_nul(api)
}

/// No text of this API holds NUL (U+0000): PostgreSQL cannot store it and no field means it.
/// The contract says so on every free text (a string without a format, an enumeration or a
/// pattern of its own; the patterns of the named kinds of text exclude NUL themselves), so the
/// server's validator refuses it by the same rule a client can read.
pub const NO_NUL: &str = r"^[^\x00]*$";

fn forbid_nul(api: OpenApiDoc) -> OpenApiDoc {
    fn walk(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                let is_text = match map.get("type") {
                    Some(serde_json::Value::String(t)) => t == "string",
                    Some(serde_json::Value::Array(types)) => types.iter().any(|t| t == "string"),
                    _ => false,
                };
                if is_text
                    && !["format", "enum", "pattern", "const"]
                        .iter()
                        .any(|k| map.contains_key(*k))
                {
                    map.insert("pattern".into(), NO_NUL.into());
                }
                map.values_mut().for_each(walk);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    let mut document = serde_json::to_value(&api).expect("the OpenAPI document serializes");
    for section in ["components", "paths"] {
        if let Some(part) = document.get_mut(section) {
            walk(part);
        }
    }
    serde_json::from_value(document).expect("the OpenAPI document reads back")
}

/// YAML of [`openapi`], as `shopgap openapi` prints it.
pub fn openapi_yaml() -> String {
    openapi()
        .to_yaml()
        .expect("the OpenAPI document serializes")
}

const COMMON: &[(&str, &str, &str)] = &[
    (
        "400",
        "BadRequest",
        "Malformed request: unparseable JSON, or a query that cannot be read (an unknown or repeated parameter, a cursor the server did not issue)",
    ),
    ("401", "Unauthenticated", "No valid credentials"),
    (
        "403",
        "Forbidden",
        "The caller's role or the key's scopes do not allow this",
    ),
    (
        "404",
        "NotFound",
        "No such resource in the caller's organization",
    ),
    (
        "414",
        "UriTooLong",
        "The request URI (path and query string) is longer than 8,192 bytes",
    ),
    (
        "413",
        "PayloadTooLarge",
        "The body is larger than the server accepts",
    ),
    (
        "415",
        "UnsupportedMediaType",
        "The body is not `application/json`",
    ),
    (
        "422",
        "ValidationFailed",
        "The input is well formed but not valid; `errors` lists every field",
    ),
    (
        "503",
        "Unavailable",
        "A backing service (the database, evidence storage) is not reachable; retry later",
    ),
];

fn add_common_responses(api: &mut OpenApiDoc) {
    let components = api.components.get_or_insert_with(Components::new);
    for (_, name, description) in COMMON {
        components.responses.insert(
            name.to_string(),
            RefOr::T(
                ResponseBuilder::new()
                    .description(*description)
                    .content(
                        "application/problem+json",
                        Content::new(Some(Ref::from_schema_name("Problem"))),
                    )
                    .build(),
            ),
        );
    }
    for (path, item) in api.paths.paths.iter_mut() {
        if let Some(post) = item.post.as_mut() {
            if post.security.as_ref().is_some_and(|s| !s.is_empty()) {
                post.parameters.get_or_insert_with(Vec::new).push(RefOr::T(
                    ParameterBuilder::new()
                        .name("Idempotency-Key")
                        .parameter_in(ParameterIn::Header)
                        .required(Required::False)
                        .description(Some(
                            "Makes a retry safe: the same key and request replay the stored response; \
                             the same key with another request is 422; while the first runs, 409. \
                             1 to 255 visible ASCII characters (a UUID, say)",
                        ))
                        .schema(Some(
                            ObjectBuilder::new()
                                .schema_type(Type::String)
                                .min_length(Some(1))
                                .max_length(Some(255))
                                .pattern(Some("^[!-~]+$")),
                        ))
                        .build(),
                ));
            }
        }
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            describe_if_match(operation);
            let codes = common_codes(path, operation);
            for code in codes {
                let name = COMMON
                    .iter()
                    .find(|(c, _, _)| *c == code)
                    .map(|(_, n, _)| *n);
                if let Some(name) = name {
                    operation
                        .responses
                        .responses
                        .entry(code.to_string())
                        .or_insert_with(|| RefOr::Ref(Ref::from_response_name(name)));
                }
            }
        }
    }
}

/// States what an `If-Match` the server reads: visible ASCII, the ETag read before (`"3"`; an
/// unknown tag is 412), or `*` ("whatever is current") where the header is optional. Where it is
/// required, `*` names no version: 428, so the pattern leaves out exactly `*`.
fn describe_if_match(operation: &mut Operation) {
    for param in operation.parameters.iter_mut().flatten() {
        if let RefOr::T(p) = param {
            if p.name == "If-Match" && p.parameter_in == ParameterIn::Header {
                let pattern = if p.required == Required::True {
                    "^([!-)+-~]|[!-~]{2,})$"
                } else {
                    "^[!-~]+$"
                };
                p.schema = Some(RefOr::T(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .pattern(Some(pattern))
                        .into(),
                ));
            }
        }
    }
}

/// Which shared error statuses an operation can answer, from what it takes.
fn common_codes(path: &str, operation: &Operation) -> Vec<&'static str> {
    let mut codes = Vec::new();
    let authenticated = operation.security.as_ref().is_some_and(|s| !s.is_empty());
    let has_query = operation.parameters.iter().flatten().any(|p| match p {
        RefOr::T(p) => p.parameter_in == ParameterIn::Query,
        RefOr::Ref(_) => false,
    });
    if operation.request_body.is_some() || has_query {
        codes.push("400");
    }
    // Every API operation reads its query through `http::screen` first.
    if has_query || path.starts_with("/v1/") {
        // A well-formed query can break a rule across parameters (a range ending before it
        // starts, an unknown grouping).
        codes.push("422");
    }
    if authenticated {
        codes.extend(["401", "403"]);
    }
    if path.contains('{') {
        codes.push("404");
    }
    if operation.request_body.is_some() {
        codes.extend(["413", "415", "422"]);
    }
    let idempotent = operation.parameters.iter().flatten().any(|p| match p {
        RefOr::T(p) => p.name == "Idempotency-Key",
        RefOr::Ref(_) => false,
    });
    if idempotent {
        codes.extend(["400", "409", "422"]);
    }
    // Every request's URI is measured first (`http::screen`).
    codes.push("414");
    if path.starts_with("/v1/") || path == "/readyz" {
        codes.push("503");
    }
    codes
}

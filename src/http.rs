//! HTTP plumbing shared by every domain: extractor error handlers (so malformed input becomes
//! problem+json), the 404/405 fallback, ETags and cursor pagination.

use std::collections::HashMap;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ResourceDef, ServiceRequest, ServiceResponse};
use actix_web::error::{PathError, PayloadError, QueryPayloadError};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ApiResult, FieldError};

/// Bodies up to `limit` bytes are read; beyond, 413.
pub fn payload_config(limit: usize) -> web::PayloadConfig {
    web::PayloadConfig::new(limit)
}

/// A JSON request body. Unlike `web::Json` it names the field a type error is at
/// (`scopes[1]`, `settings.cooldown_days`): a body that is not JSON by its content type is 415,
/// too large 413, unparseable 400, and well-formed JSON of the wrong shape 422.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T> ApiJson<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: DeserializeOwned + ToSchema + 'static> FromRequest for ApiJson<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let document = json_document(req, payload);
        Box::pin(async move { from_document(document.await?).map(ApiJson) })
    }
}

/// The body as a parsed JSON document, not yet typed: 415 when it is not JSON by its content
/// type, 413 when too large, 400 when unparseable.
fn json_document(
    req: &HttpRequest,
    payload: &mut Payload,
) -> LocalBoxFuture<'static, ApiResult<serde_json::Value>> {
    let is_json = matches!(
        req.mime_type(),
        Ok(Some(m)) if m.subtype() == actix_web::mime::JSON || m.suffix() == Some(actix_web::mime::JSON)
    );
    let body = web::Bytes::from_request(req, payload);
    Box::pin(async move {
        if !is_json {
            return Err(ApiError::UnsupportedMediaType(
                "send the body as application/json".into(),
            ));
        }
        let bytes = body.await.map_err(body_error)?;
        serde_json::from_slice(&bytes)
            .map_err(|e| ApiError::BadRequest(format!("malformed JSON: {e}")))
    })
}

fn body_error(err: actix_web::Error) -> ApiError {
    match err.as_error::<PayloadError>() {
        Some(PayloadError::Overflow) => {
            ApiError::PayloadTooLarge("the body is larger than the server accepts".into())
        }
        _ => ApiError::BadRequest(format!("cannot read the body: {err}")),
    }
}

/// The typed value of a parsed JSON or YAML document, after two rules every body follows:
/// - JSON has one number type: `3.0` is the integer 3 to JSON Schema (and to the contract), so
///   whole numbers written with a fraction are read as integers;
/// - no text holds U+0000: PostgreSQL cannot store it, and no field of ours means it; refused
///   with the field's path, on either backend.
/// - the document fits the schema of its type in the contract (`crate::contract`), every
///   violation named.
pub fn from_document<T: DeserializeOwned + ToSchema>(document: serde_json::Value) -> ApiResult<T> {
    let document = normalized(document)?;
    crate::contract::contract()
        .check_body(&T::name(), &document)
        .map_err(ApiError::Unprocessable)?;
    serde_path_to_error::deserialize(document).map_err(|e| {
        let field = match e.path().to_string() {
            p if p == "." || p.is_empty() => "body".to_string(),
            p => p,
        };
        // The contract let it through, so the contract is looser than the type: a gap to close
        // in the schema. The client hears what is wrong in the API's words, not the type's.
        tracing::warn!(schema = %T::name(), %field, error = %e.inner(),
            "a body fits the contract but not its type");
        ApiError::Unprocessable(vec![FieldError::new(
            field,
            "does not have the form the contract describes",
        )])
    })
}

/// A JSON or YAML text (a file given to the CLI, say) read as `T` under the same contract as a
/// request body.
pub fn read_document<T: DeserializeOwned + ToSchema>(text: &str) -> ApiResult<T> {
    let document: serde_json::Value = yaml_serde::from_str(text)
        .map_err(|e| ApiError::unprocessable("body", format!("not a valid document: {e}")))?;
    from_document(document)
}

/// The document with whole floats read as integers, or 422 naming every text holding NUL.
pub fn normalized(mut document: serde_json::Value) -> ApiResult<serde_json::Value> {
    let mut nul_at = Vec::new();
    normalize(&mut document, At::Body, &mut nul_at);
    if nul_at.is_empty() {
        Ok(document)
    } else {
        Err(ApiError::Unprocessable(
            nul_at
                .into_iter()
                .map(|field| FieldError::new(field, "must not contain NUL (U+0000) characters"))
                .collect(),
        ))
    }
}

/// Where a value sits in the document. Its text (`answers.q1.value`, `items[2]`) is written
/// only for a value with a problem: writing it for every key and item of every body was a
/// hundred allocations a submission.
#[derive(Clone, Copy)]
enum At<'a> {
    Body,
    Key(&'a At<'a>, &'a str),
    Index(&'a At<'a>, usize),
}

impl At<'_> {
    fn write(&self, out: &mut String) {
        match self {
            At::Body => {}
            At::Key(parent, key) => {
                parent.write(out);
                if !out.is_empty() {
                    out.push('.');
                }
                // The path names the key without its NULs: a problem's field never holds one.
                out.extend(key.chars().filter(|c| *c != '\0'));
            }
            At::Index(parent, i) => {
                parent.write(out);
                out.push_str(&format!("[{i}]"));
            }
        }
    }

    fn text(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        if out.is_empty() {
            "body".to_string()
        } else {
            out
        }
    }
}

/// Rewrites whole floats (within the range where f64 is exact) as integers, and notes the path
/// of every string or key holding NUL.
fn normalize(value: &mut serde_json::Value, at: At, nul_at: &mut Vec<String>) {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    match value {
        serde_json::Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() <= EXACT) {
                *n = serde_json::Number::from(f as i64);
            }
        }
        serde_json::Value::String(text) if text.contains('\0') => nul_at.push(at.text()),
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                normalize(item, At::Index(&at, i), nul_at);
            }
        }
        serde_json::Value::Object(fields) => {
            for (key, field) in fields.iter_mut() {
                if key.contains('\0') {
                    nul_at.push(at.text());
                }
                normalize(field, At::Key(&at, key), nul_at);
            }
        }
        _ => {}
    }
}

/// Middleware: the checks every request passes before routing, in one layer (each layer of
/// its own cost a boxed future and a hand-off on every request):
///
/// 1. `HEAD` is answered as `GET` without the body (RFC 9110 §9.3.2): the same status and
///    headers, so a client can ask for an ETag, a size or a type without the download. The
///    HTTP layer leaves the body out of a response to a request that came as `HEAD`.
/// 2. A request target longer than [`MAX_URI_BYTES`] is 414.
/// 3. A documented resource asked with a method it does not have is 405 with `Allow`. (Routing
///    alone would hand `GET /v1/checklists/import` to `GET /v1/checklists/{id}`, which
///    answered 404 for the id "import", and `PATCH /v1/locations/import` to `PATCH
///    /v1/locations/{id}`, which read its body first.)
/// 4. Under `/v1/`, a query parameter holding NUL (`%00`) is 422 naming it, for the reason
///    bodies refuse NUL (see `from_document`): well-formed, and not a value any field of ours
///    means.
pub async fn screen(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if req.method() == actix_web::http::Method::HEAD {
        req.head_mut().method = actix_web::http::Method::GET;
    }
    let refusal = long_uri(&req)
        .or_else(|| undocumented_method(&req))
        .or_else(|| nul_in_query(&req));
    if let Some(problem) = refusal {
        return Ok(req.into_response(problem.error_response()));
    }
    next.call(req).await.map(|r| r.map_into_boxed_body())
}

fn nul_in_query(req: &ServiceRequest) -> Option<ApiError> {
    if req.path().starts_with("/v1/") && req.query_string().to_ascii_lowercase().contains("%00") {
        let mut named: Vec<FieldError> =
            web::Query::<Vec<(String, String)>>::from_query(req.query_string())
                .map(|q| q.into_inner())
                .unwrap_or_default()
                .into_iter()
                .filter(|(name, value)| name.contains('\0') || value.contains('\0'))
                .map(|(name, _)| {
                    FieldError::new(name.replace('\0', ""), "must not contain NUL (U+0000)")
                })
                .collect();
        if named.is_empty() {
            named.push(FieldError::new("query", "must not contain NUL (U+0000)"));
        }
        return Some(ApiError::Unprocessable(named));
    }
    None
}

/// The longest request target (path and query string) the server reads, in bytes. A longer
/// one is 414 before any handler runs. (Request heads beyond 128 KiB are refused earlier, by
/// the HTTP layer itself, with a bare 431.)
pub const MAX_URI_BYTES: usize = 8192;

fn long_uri(req: &ServiceRequest) -> Option<ApiError> {
    let length = req
        .uri()
        .path_and_query()
        .map_or(0, |target| target.as_str().len());
    (length > MAX_URI_BYTES).then(|| {
        ApiError::UriTooLong(format!(
            "the request URI is {length} bytes; at most {MAX_URI_BYTES} are read"
        ))
    })
}

/// A query string read as `T`, after the contract's check of every parameter the operation
/// documents (types, ranges, enumerations, patterns, list sizes): 422 naming each parameter that
/// breaks it. What the contract cannot check (an unknown or repeated parameter) is left to
/// reading it as `T` (400).
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T> ApiQuery<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for ApiQuery<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for ApiQuery<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        std::future::ready(read_query(req))
    }
}

fn read_query<T: DeserializeOwned>(req: &HttpRequest) -> ApiResult<ApiQuery<T>> {
    if let Some(pattern) = req.match_pattern() {
        crate::contract::contract()
            .check_query(req.method().as_str(), &pattern, req.query_string())
            .map_err(ApiError::Unprocessable)?;
    }
    web::Query::<T>::from_query(req.query_string())
        .map(|q| ApiQuery(q.into_inner()))
        .map_err(query_error)
}

fn query_error(err: QueryPayloadError) -> ApiError {
    let message = match err {
        QueryPayloadError::Deserialize(e) => e.to_string(),
        other => other.to_string(),
    };
    ApiError::InvalidInput(vec![FieldError::new("query", message)])
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _req| query_error(err).into())
}

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err, _req| {
        let message = match err {
            PathError::Deserialize(e) => e.to_string(),
            other => other.to_string(),
        };
        ApiError::InvalidInput(vec![FieldError::new("path", message)]).into()
    })
}

/// The routes of the API as (pattern, methods), taken from the generated OpenAPI document, so the
/// fallback can tell "no such resource" (404) from "not with this method" (405 with `Allow`).
///
/// Asked on every request (`screen`), so it is indexed: paths without
/// parameters in a map, the others by their segment count and first two segments, so a lookup
/// tries a handful of patterns instead of every one in turn (each a regular expression; the
/// linear walk was measurable in the write path's profile).
#[derive(Clone)]
pub struct RouteTable(std::sync::Arc<RouteIndex>);

struct RouteIndex {
    fixed: HashMap<String, Vec<String>>,
    /// Patterns with their methods, in order, by bucket.
    with_parameters: HashMap<Bucket, Vec<(ResourceDef, Vec<String>)>>,
}

/// A path's segment count and its first two segments.
type Bucket = (usize, String, String);

/// The bucket of a path.
fn route_bucket(path: &str) -> Bucket {
    let mut segments = path.trim_start_matches('/').split('/');
    let first = segments.next().unwrap_or_default().to_string();
    let second = segments.next().unwrap_or_default().to_string();
    (path.matches('/').count(), first, second)
}

impl RouteTable {
    pub fn from_openapi(api: &utoipa::openapi::OpenApi) -> Self {
        let mut fixed = HashMap::new();
        let mut with_parameters: HashMap<_, Vec<_>> = HashMap::new();
        for (path, item) in api.paths.paths.iter() {
            let mut methods: Vec<String> = [
                ("GET", &item.get),
                ("PUT", &item.put),
                ("POST", &item.post),
                ("DELETE", &item.delete),
                ("PATCH", &item.patch),
            ]
            .into_iter()
            .filter(|(_, op)| op.is_some())
            .map(|(m, _)| m.to_string())
            .collect();
            if item.get.is_some() {
                // Answered as `GET` by `screen`.
                methods.push("HEAD".into());
            }
            methods.sort();
            // The API's parameters are whole segments, never in its first two.
            if path.contains('{') {
                with_parameters
                    .entry(route_bucket(path))
                    .or_default()
                    .push((ResourceDef::new(path.as_str()), methods));
            } else {
                fixed.insert(path.clone(), methods);
            }
        }
        RouteTable(std::sync::Arc::new(RouteIndex {
            fixed,
            with_parameters,
        }))
    }

    /// A path without parameters first: `/v1/checklists/import` is the import resource, not a
    /// checklist whose id is "import".
    fn allowed(&self, path: &str) -> Option<Vec<String>> {
        if let Some(methods) = self.0.fixed.get(path) {
            return Some(methods.clone());
        }
        self.0
            .with_parameters
            .get(&route_bucket(path))?
            .iter()
            .find(|(def, _)| def.is_match(path))
            .map(|(_, methods)| methods.clone())
    }
}

fn undocumented_method(req: &ServiceRequest) -> Option<ApiError> {
    let routes = req.app_data::<web::Data<RouteTable>>()?;
    let allow = routes.allowed(req.path())?;
    (!allow.iter().any(|m| m == req.method().as_str()))
        .then_some(ApiError::MethodNotAllowed { allow })
}

/// The app's default service: every request no route took ends here.
pub async fn fallback(req: HttpRequest, routes: web::Data<RouteTable>) -> ApiResult<HttpResponse> {
    Err(match routes.allowed(req.path()) {
        Some(allow) if !allow.iter().any(|m| m == req.method().as_str()) => {
            ApiError::MethodNotAllowed { allow }
        }
        _ => ApiError::NotFound(format!("no resource at {}", req.path())),
    })
}

/// The `ETag` of a resource at `version`.
pub fn etag(version: i32) -> String {
    format!("\"{version}\"")
}

/// The version an `If-Match` header asks for: `None` when absent or `*`.
pub fn if_match(req: &HttpRequest) -> ApiResult<Option<i32>> {
    let Some(value) = req.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = value
        .to_str()
        .map_err(|_| ApiError::BadRequest("If-Match is not readable text".into()))?
        .trim();
    if text == "*" {
        return Ok(None);
    }
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::BadRequest(format!(
            "If-Match must be the ETag you read (such as \"3\") or *, not {text:?}"
        )));
    }
    // `"3"` and `W/"3"` (RFC 9110 §8.8.3), and a bare `3` from clients that drop the quotes;
    // any other tag is well formed but names no version, so it cannot match.
    let tag = text.strip_prefix("W/").unwrap_or(text).trim_matches('"');
    tag.parse::<i32>().map(Some).map_err(|_| {
        ApiError::PreconditionFailed(format!("If-Match {text} names no version of this resource"))
    })
}

/// A JSON response carrying the resource's `ETag`.
pub fn json_with_etag<T: Serialize>(status: StatusCode, body: &T, version: i32) -> HttpResponse {
    let mut response = HttpResponse::build(status).json(body);
    if let Ok(value) = HeaderValue::from_str(&etag(version)) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}

pub const DEFAULT_PAGE_SIZE: i64 = 50;
pub const MAX_PAGE_SIZE: i64 = 200;

/// Cursor pagination: `limit` items after `cursor` (the `next_cursor` of the previous page).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Items per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// Opaque cursor from a previous page's `next_cursor` (empty: the first page).
    pub cursor: Option<String>,
}

impl PageQuery {
    /// The page size (the contract bounds it, `ApiQuery` checks it).
    pub fn limit(&self) -> ApiResult<i64> {
        Ok(self
            .limit
            .unwrap_or(DEFAULT_PAGE_SIZE)
            .clamp(1, MAX_PAGE_SIZE))
    }

    /// The id the previous page ended at. An empty `cursor=` asks for the first page, as some
    /// clients send it that way.
    pub fn after(&self) -> ApiResult<Option<String>> {
        let Some(cursor) = self.cursor.as_deref().filter(|c| !c.is_empty()) else {
            return Ok(None);
        };
        URL_SAFE_NO_PAD
            .decode(cursor)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .filter(|id| uuid::Uuid::parse_str(id).is_ok())
            .map(Some)
            .ok_or_else(|| {
                ApiError::InvalidInput(vec![FieldError::new(
                    "cursor",
                    "not a cursor from this API",
                )])
            })
    }
}

/// The `next_cursor` for a page fetched with one extra row: `Some` when more rows follow.
pub fn next_cursor<T>(
    items: &mut Vec<T>,
    limit: i64,
    id_of: impl Fn(&T) -> &str,
) -> Option<String> {
    if items.len() as i64 > limit {
        items.truncate(limit as usize);
        items.last().map(|last| URL_SAFE_NO_PAD.encode(id_of(last)))
    } else {
        None
    }
}

/// A path id: a UUID, or 404 (a malformed id names no resource).
pub fn parse_id(raw: &str) -> ApiResult<String> {
    uuid::Uuid::parse_str(raw)
        .map(|u| u.hyphenated().to_string())
        .map_err(|_| ApiError::NotFound(format!("no resource with id {raw:?}")))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_route_table_finds_fixed_paths_before_patterns_and_refuses_what_is_not_there() {
        let routes = RouteTable::from_openapi(&crate::openapi::openapi());
        let methods = |path: &str| routes.allowed(path);
        assert_eq!(methods("/v1/me"), Some(vec!["GET".into(), "HEAD".into()]));
        // The import resource, not a checklist whose id is "import".
        assert_eq!(methods("/v1/checklists/import"), Some(vec!["POST".into()]));
        let one = methods("/v1/checklists/0190f5c2-1b2c-7d3e-8f40-123456789abc").unwrap();
        assert!(one.contains(&"GET".to_string()), "{one:?}");
        assert!(methods("/v1/submissions/x/submit").is_some());
        assert_eq!(methods("/v1/nothing/here"), None);
        assert_eq!(methods("/v1/submissions/x/y/z/w"), None);
        assert_eq!(methods("/"), None);
    }

    use super::*;

    /// The typed value of a JSON text, as a body is read.
    fn parse_json<T: DeserializeOwned + ToSchema>(bytes: &[u8]) -> ApiResult<T> {
        let document = serde_json::from_slice(bytes)
            .map_err(|e| ApiError::BadRequest(format!("malformed JSON: {e}")))?;
        from_document(document)
    }

    #[derive(Debug, serde::Deserialize, PartialEq, ToSchema)]
    struct Shape {
        count: i32,
        ratio: f64,
        nested: Vec<u8>,
    }

    #[test]
    fn whole_floats_are_integers_and_fractions_stay_errors() {
        let shape: Shape =
            parse_json(br#"{"count": 3.0, "ratio": 2, "nested": [1.0, 2]}"#).unwrap();
        assert_eq!(
            shape,
            Shape {
                count: 3,
                ratio: 2.0,
                nested: vec![1, 2]
            }
        );
        let err = parse_json::<Shape>(br#"{"count": 3.5, "ratio": 1, "nested": []}"#).unwrap_err();
        assert!(
            matches!(err, ApiError::Unprocessable(ref e) if e[0].field == "count"),
            "{err:?}"
        );
        let err =
            parse_json::<Shape>(br#"{"count": 1e300, "ratio": 1, "nested": []}"#).unwrap_err();
        assert!(matches!(err, ApiError::Unprocessable(_)), "{err:?}");
        let err = parse_json::<Shape>(br#"{"count": 1} x"#).unwrap_err();
        assert!(matches!(err, ApiError::BadRequest(_)), "{err:?}");
    }

    #[test]
    fn text_with_nul_is_refused_with_its_path() {
        let err =
            normalized(serde_json::json!({"a": [{"b": "x\u{0000}"}], "c": "ok"})).unwrap_err();
        assert!(
            matches!(err, ApiError::Unprocessable(ref e) if e[0].field == "a[0].b"),
            "{err:?}"
        );
        assert!(normalized(serde_json::json!({"a": "x\u{0001}"})).is_ok());
        // A key holding NUL is named without it, also in the paths below it (fuzzing found
        // a problem whose field held the NUL of a drawn key).
        let err = normalized(serde_json::json!({"k\u{0000}ey": {"v": "x\u{0000}"}})).unwrap_err();
        let ApiError::Unprocessable(fields) = err else {
            panic!("{err:?}")
        };
        let names: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(names, ["body", "key.v"]);
        // Items of a top-level array, and of arrays within arrays.
        let err =
            normalized(serde_json::json!([{"x": "\u{0000}"}, [1, ["\u{0000}"]]])).unwrap_err();
        let ApiError::Unprocessable(fields) = err else {
            panic!("{err:?}")
        };
        let names: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(names, ["[0].x", "[1][1][0]"]);
    }

    #[test]
    fn cursors_round_trip() {
        let ids: Vec<String> = (0..3).map(|_| uuid::Uuid::now_v7().to_string()).collect();
        let mut page = ids.clone();
        let cursor = next_cursor(&mut page, 2, |s| s.as_str()).unwrap();
        assert_eq!(page.len(), 2);
        let query = PageQuery {
            limit: Some(2),
            cursor: Some(cursor),
        };
        assert_eq!(query.after().unwrap().as_deref(), Some(ids[1].as_str()));
        let mut last = ids[..2].to_vec();
        assert_eq!(next_cursor(&mut last, 2, |s| s.as_str()), None);
        let bad = PageQuery {
            limit: Some(0),
            cursor: Some("!!".into()),
        };
        assert_eq!(bad.limit().unwrap(), 1);
        assert!(bad.after().is_err());
    }
}

/// A document body in JSON or YAML, by its content type (`application/json`, `application/yaml`,
/// `application/x-yaml`, `text/yaml`): what import endpoints take.
#[derive(Debug)]
pub struct Document<T>(pub T);

fn is_yaml(req: &HttpRequest) -> bool {
    matches!(
        req.mime_type(),
        Ok(Some(m)) if m.subtype().as_str().ends_with("yaml") || m.suffix().is_some_and(|s| s.as_str() == "yaml")
    )
}

impl<T: DeserializeOwned + ToSchema + 'static> FromRequest for Document<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        if !is_yaml(req) {
            let json = ApiJson::<T>::from_request(req, payload);
            return Box::pin(async move { json.await.map(|j| Document(j.0)) });
        }
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let bytes = body.await.map_err(body_error)?;
            let document: serde_json::Value = yaml_serde::from_slice(&bytes).map_err(|e| {
                ApiError::Unprocessable(vec![FieldError::new(
                    "body",
                    format!("not a valid document: {e}"),
                )])
            })?;
            from_document(document).map(Document)
        })
    }
}

/// A document as JSON, or as YAML when the request prefers it (`Accept: application/yaml`
/// without `application/json`).
pub fn document_response<T: Serialize>(req: &HttpRequest, value: &T) -> ApiResult<HttpResponse> {
    let prefers_yaml = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("yaml") && !a.contains("application/json"));
    if prefers_yaml {
        yaml_response(value)
    } else {
        Ok(HttpResponse::Ok().json(value))
    }
}

/// A document as YAML.
pub fn yaml_response<T: Serialize>(value: &T) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok()
        .content_type("application/yaml")
        .body(yaml_serde::to_string(value).map_err(ApiError::internal)?))
}

/// The raw request body (for CSV and other non-JSON uploads), with size and read errors as
/// problem+json.
#[derive(Debug)]
pub struct RawBody(pub web::Bytes);

impl FromRequest for RawBody {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move { body.await.map(RawBody).map_err(body_error) })
    }
}

/// A JSON body that may be left out entirely (an empty body reads as `T::default()`), for
/// actions whose body only adds an optional note, like a reason.
#[derive(Debug)]
pub struct OptionalJson<T>(pub T);

impl<T: DeserializeOwned + ToSchema + Default + 'static> FromRequest for OptionalJson<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let empty = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim() == "0")
            || (req.headers().get(header::CONTENT_LENGTH).is_none()
                && req.headers().get(header::TRANSFER_ENCODING).is_none());
        if empty {
            return Box::pin(async { Ok(OptionalJson(T::default())) });
        }
        // `null` is an absent body too (the contract types these bodies as nullable).
        let document = json_document(req, payload);
        Box::pin(async move {
            match document.await? {
                serde_json::Value::Null => Ok(OptionalJson(T::default())),
                document => from_document(document).map(OptionalJson),
            }
        })
    }
}

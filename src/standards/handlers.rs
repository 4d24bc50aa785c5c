use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{get, post, put, web, HttpRequest, HttpResponse};
use chrono::Utc;

use super::dto::{Book, BookDocument, BookInput, BookList, BookVersion, VersionSummary};
use super::repo;
use super::service::{self, Actor};
use crate::auth::caller::Caller;
use crate::auth::rules::Permission;
use crate::error::{ApiError, ApiResult, Problem};
use crate::http::yaml_response;
use crate::http::{
    document_response, if_match, next_cursor, parse_id, ApiJson, ApiQuery, Document, PageQuery,
};
use crate::state::AppState;
use crate::versioning::{self, parse_version, ImportQuery};

fn version_response(status: StatusCode, version: BookVersion) -> ApiResult<HttpResponse> {
    let location = format!(
        "/v1/standards-books/{}/versions/{}",
        version.book_id, version.version
    );
    let revision = version.revision;
    versioning::version_response(status, &version, location, revision)
}

/// Creates a standards book; its version 1 is a draft (managers, admins, keys with
/// `standards:write`).
#[utoipa::path(
    tag = "standards",
    security(("bearer" = []), ("api_key" = [])),
    request_body = BookInput,
    responses((status = 201, description = "The book's first version, a draft", body = BookVersion,
        headers(("Location" = String), ("ETag" = String, description = "The draft's revision"))))
)]
#[post("/v1/standards-books")]
pub async fn create_book(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<BookInput>,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::StandardsWrite)?;
    let (org, user) = caller.owned_ids();
    let row = state
        .db
        .transaction(move |conn| {
            let actor = Actor {
                organization_id: &org,
                user_id: user.as_deref(),
            };
            service::create(
                conn,
                actor,
                body.into_inner(),
                false,
                Utc::now().naive_utc(),
            )
        })
        .await?;
    version_response(StatusCode::CREATED, service::to_dto(row)?)
}

/// The organization's standards books with their versions.
#[utoipa::path(
    tag = "standards",
    security(("bearer" = []), ("api_key" = [])),
    params(PageQuery),
    responses((status = 200, description = "One page of books", body = BookList))
)]
#[get("/v1/standards-books")]
pub async fn list_books(
    state: web::Data<AppState>,
    caller: Caller,
    page: ApiQuery<PageQuery>,
) -> ApiResult<web::Json<BookList>> {
    caller.require(Permission::StandardsRead)?;
    let limit = page.limit()?;
    let after = page.after()?;
    let org = caller.organization_id.clone();
    let (mut rows, summaries) = state
        .db
        .run(move |conn| {
            let rows = service::STORE.list_documents(conn, &org, after.as_deref(), limit)?;
            let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
            Ok((rows, repo::version_summaries(conn, &ids)?))
        })
        .await?;
    let next_cursor = next_cursor(&mut rows, limit, |r| r.id.as_str());
    let mut by_book: HashMap<String, Vec<VersionSummary>> = HashMap::new();
    for (book_id, id, version, status, published_at) in summaries {
        by_book.entry(book_id).or_default().push(VersionSummary {
            id: id.parse().map_err(ApiError::internal)?,
            version,
            status: status.parse().map_err(ApiError::internal)?,
            published_at: published_at.map(|t| t.and_utc()),
        });
    }
    let items = rows
        .into_iter()
        .map(|r| {
            Ok(Book {
                id: r.id.parse().map_err(ApiError::internal)?,
                versions: by_book.remove(&r.id).unwrap_or_default(),
                name: r.name,
                created_at: r.created_at.and_utc(),
            })
        })
        .collect::<ApiResult<_>>()?;
    Ok(web::Json(BookList { items, next_cursor }))
}

/// One standards book with its versions, newest first.
#[utoipa::path(
    tag = "standards",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Book id")),
    responses((status = 200, description = "The book", body = Book))
)]
#[get("/v1/standards-books/{id}")]
pub async fn get_book(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<web::Json<Book>> {
    caller.require(Permission::StandardsRead)?;
    let id = parse_id(&id)?;
    let org = caller.organization_id.clone();
    let (book, summaries) = state
        .db
        .run(move |conn| {
            let book = service::STORE.find_document(conn, &org, &id)?;
            let summaries = repo::version_summaries(conn, std::slice::from_ref(&book.id))?;
            Ok((book, summaries))
        })
        .await?;
    Ok(web::Json(Book {
        id: book.id.parse().map_err(ApiError::internal)?,
        name: book.name,
        created_at: book.created_at.and_utc(),
        versions: summaries
            .into_iter()
            .map(|(_, id, version, status, published_at)| {
                Ok(VersionSummary {
                    id: id.parse().map_err(ApiError::internal)?,
                    version,
                    status: status.parse().map_err(ApiError::internal)?,
                    published_at: published_at.map(|t| t.and_utc()),
                })
            })
            .collect::<ApiResult<_>>()?,
    }))
}

/// One version of a standards book, whole.
#[utoipa::path(
    tag = "standards",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Book id"), ("version" = i32, Path, description = "Version number")),
    responses((status = 200, description = "The version", body = BookVersion, headers(("ETag" = String))))
)]
#[get("/v1/standards-books/{id}/versions/{version}")]
pub async fn get_book_version(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::StandardsRead)?;
    let (id, version) = path.into_inner();
    let (id, version) = (parse_id(&id)?, parse_version(&version)?);
    let org = caller.organization_id.clone();
    let row = state
        .db
        .run(move |conn| repo::find_version(conn, &org, &id, version))
        .await?;
    version_response(StatusCode::OK, service::to_dto(row)?)
}

/// Saves the book's draft. When the newest version is published, the content becomes the next
/// version, as a draft (201); published versions never change. `If-Match` is checked against
/// the draft's revision.
#[utoipa::path(
    tag = "standards",
    security(("bearer" = []), ("api_key" = [])),
    params(
        ("id" = uuid::Uuid, Path, description = "Book id"),
        ("If-Match" = Option<String>, Header, description = "ETag (revision) of the draft this edit is based on"),
    ),
    request_body = BookInput,
    responses(
        (status = 200, description = "The draft, changed", body = BookVersion, headers(("ETag" = String))),
        (status = 201, description = "A new draft version", body = BookVersion, headers(("Location" = String), ("ETag" = String))),
        (status = 409, description = "Another draft was started at the same moment", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The draft changed since the given ETag", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/v1/standards-books/{id}/draft")]
pub async fn save_book_draft(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    body: ApiJson<BookInput>,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::StandardsWrite)?;
    let id = parse_id(&id)?;
    let expected = if_match(&req)?;
    let (org, user) = caller.owned_ids();
    let (row, created) = state
        .db
        .transaction(move |conn| {
            let actor = Actor {
                organization_id: &org,
                user_id: user.as_deref(),
            };
            service::save_draft(
                conn,
                actor,
                &id,
                body.into_inner(),
                expected,
                Utc::now().naive_utc(),
            )
        })
        .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    version_response(status, service::to_dto(row)?)
}

/// Publishes the book's draft after checking all of it (422 lists every problem). The
/// published version is immutable; the answer carries advice such as the number of principles.
#[utoipa::path(
    tag = "standards",
    security(("bearer" = []), ("api_key" = [])),
    params(
        ("id" = uuid::Uuid, Path, description = "Book id"),
        ("If-Match" = Option<String>, Header, description = "ETag (revision) of the draft being published"),
    ),
    responses(
        (status = 200, description = "The published version", body = BookVersion, headers(("ETag" = String))),
        (status = 409, description = "There is no draft", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The draft changed since the given ETag", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The draft cannot be published", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/standards-books/{id}/draft/publish")]
pub async fn publish_book(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::StandardsWrite)?;
    let id = parse_id(&id)?;
    let expected = if_match(&req)?;
    let (org, user) = caller.owned_ids();
    let row = state
        .db
        .transaction(move |conn| {
            let actor = Actor {
                organization_id: &org,
                user_id: user.as_deref(),
            };
            service::publish(conn, actor, &id, expected, Utc::now().naive_utc())
        })
        .await?;
    version_response(StatusCode::OK, service::to_dto(row)?)
}

/// A version as a portable document: JSON, or YAML when the request prefers
/// `application/yaml` (or use the `.yaml` operation).
#[utoipa::path(
    tag = "standards",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Book id"), ("version" = i32, Path, description = "Version number")),
    responses((status = 200, description = "The document", content(
        (BookDocument = "application/json"),
        (BookDocument = "application/yaml"),
    )))
)]
#[get("/v1/standards-books/{id}/versions/{version}/export")]
pub async fn export_book(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    document_response(
        &req,
        &book_document(&state, &caller, path.into_inner()).await?,
    )
}

/// A version as a portable YAML document (what `shopgap import` and the demo files use).
#[utoipa::path(
    tag = "standards",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Book id"), ("version" = i32, Path, description = "Version number")),
    responses((status = 200, description = "The document", body = BookDocument, content_type = "application/yaml"))
)]
#[get("/v1/standards-books/{id}/versions/{version}/export.yaml")]
pub async fn export_book_yaml(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    yaml_response(&book_document(&state, &caller, path.into_inner()).await?)
}

async fn book_document(
    state: &AppState,
    caller: &Caller,
    (id, version): (String, String),
) -> ApiResult<BookDocument> {
    caller.require(Permission::StandardsRead)?;
    let (id, version) = (parse_id(&id)?, parse_version(&version)?);
    let org = caller.organization_id.clone();
    let row = state
        .db
        .run(move |conn| repo::find_version(conn, &org, &id, version))
        .await?;
    let content = service::content_of(&row)?;
    Ok(BookDocument::new(row.name, content))
}

/// Imports a document (JSON or YAML) as a new book, as a draft or published at once.
#[utoipa::path(
    tag = "standards",
    security(("bearer" = []), ("api_key" = [])),
    params(ImportQuery),
    request_body(content(
        (BookDocument = "application/json"),
        (BookDocument = "application/yaml"),
    )),
    responses((status = 201, description = "The imported book's first version", body = BookVersion,
        headers(("Location" = String), ("ETag" = String))))
)]
#[post("/v1/standards-books/import")]
pub async fn import_book(
    state: web::Data<AppState>,
    caller: Caller,
    query: ApiQuery<ImportQuery>,
    body: Document<BookDocument>,
) -> ApiResult<HttpResponse> {
    caller.require(Permission::StandardsWrite)?;
    let (org, user) = caller.owned_ids();
    let publish_now = query.publish.unwrap_or(false);
    let row = state
        .db
        .transaction(move |conn| {
            let actor = Actor {
                organization_id: &org,
                user_id: user.as_deref(),
            };
            service::import(conn, actor, body.0, publish_now, Utc::now().naive_utc())
        })
        .await?;
    version_response(StatusCode::CREATED, service::to_dto(row)?)
}

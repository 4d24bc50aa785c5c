//! Versioned documents (standards books, checklists, survey instruments): drafts are edited in
//! place, published versions never change, and editing after a publication starts the next
//! version as a draft.
//!
//! The workflow is one piece of code for every kind: [`Store`] names the two tables a kind
//! lives in (its documents and their versions, with the columns every kind shares) and carries
//! out create, save-draft and publish on them. A kind's service validates its content and says
//! what publishing would refuse; its repo reads its typed version rows.

use std::str::FromStr;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Nullable, Text, Timestamp};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

use crate::db::DbConn;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::standards::dto::VersionStatus;
use crate::validation::reject_if_any;

/// Who acts, for the audit columns.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    pub organization_id: &'a str,
    pub user_id: Option<&'a str>,
}

/// Where one kind of versioned document is stored. The documents table has `id`,
/// `organization_id`, `name` (the newest version's), `created_at`, `updated_at`; the versions
/// table has `id`, the `parent` column, `organization_id`, `version`, `status`, `revision`,
/// `name`, `content` (JSON), `created_by`, `created_at`, `updated_at`, `published_at`,
/// `published_by`, a unique `(parent, version)` and a unique partial index that allows one
/// draft per document, plus columns of the kind's own.
#[derive(Debug, Clone, Copy)]
pub struct Store {
    pub documents: &'static str,
    pub versions: &'static str,
    /// The versions table's column naming the document.
    pub parent: &'static str,
    /// What a 404 calls the document ("standards book").
    pub noun: &'static str,
}

/// A draft's content as stored: the name, the content as JSON, and the kind's own columns.
#[derive(Debug, Clone)]
pub struct DraftRecord {
    pub name: String,
    pub content: String,
    pub columns: Vec<(&'static str, String)>,
}

/// A version by its document and number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionKey {
    pub document_id: String,
    pub version: i32,
}

/// A document as listed (the newest version's name).
#[derive(Debug, Clone, QueryableByName)]
pub struct DocumentRow {
    #[diesel(sql_type = Text)]
    pub id: String,
    #[diesel(sql_type = Text)]
    pub organization_id: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Timestamp)]
    pub created_at: NaiveDateTime,
}

/// The newest version's bookkeeping, which is all the workflow needs to decide.
#[derive(Debug, QueryableByName)]
struct Head {
    #[diesel(sql_type = Integer)]
    version: i32,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Integer)]
    revision: i32,
}

enum Bind {
    Text(String),
    OptText(Option<String>),
    Int(i32),
    Time(NaiveDateTime),
    OptTime(Option<NaiveDateTime>),
}

fn execute(conn: &mut DbConn, sql: &str, binds: Vec<Bind>) -> ApiResult<usize> {
    Ok(crate::per_backend!(conn, |c| {
        let mut query = diesel::sql_query(sql).into_boxed();
        for b in binds {
            query = match b {
                Bind::Text(v) => query.bind::<Text, _>(v),
                Bind::OptText(v) => query.bind::<Nullable<Text>, _>(v),
                Bind::Int(v) => query.bind::<Integer, _>(v),
                Bind::Time(v) => query.bind::<Timestamp, _>(v),
                Bind::OptTime(v) => query.bind::<Nullable<Timestamp>, _>(v),
            };
        }
        query.execute(c)
    })?)
}

fn load<T>(conn: &mut DbConn, sql: &str, binds: Vec<Bind>) -> ApiResult<Vec<T>>
where
    T: QueryableByName<diesel::pg::Pg> + QueryableByName<diesel::sqlite::Sqlite> + 'static,
{
    Ok(crate::per_backend!(conn, |c| {
        let mut query = diesel::sql_query(sql).into_boxed();
        for b in binds {
            query = match b {
                Bind::Text(v) => query.bind::<Text, _>(v),
                Bind::OptText(v) => query.bind::<Nullable<Text>, _>(v),
                Bind::Int(v) => query.bind::<Integer, _>(v),
                Bind::Time(v) => query.bind::<Timestamp, _>(v),
                Bind::OptTime(v) => query.bind::<Nullable<Timestamp>, _>(v),
            };
        }
        query.load::<T>(c)
    })?)
}

/// `$first, $first+1, …` for `n` binds.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Store {
    /// The organization's document `id`, or 404 (also for another organization's).
    pub fn find_document(&self, conn: &mut DbConn, org: &str, id: &str) -> ApiResult<DocumentRow> {
        let sql = format!(
            "SELECT id, organization_id, name, created_at FROM {} WHERE id = $1 AND organization_id = $2",
            self.documents
        );
        load::<DocumentRow>(
            conn,
            &sql,
            vec![Bind::Text(id.into()), Bind::Text(org.into())],
        )?
        .pop()
        .ok_or_else(|| ApiError::NotFound(format!("no such {}", self.noun)))
    }

    /// One page of the organization's documents in id order, with one more than `limit` when
    /// there are more.
    pub fn list_documents(
        &self,
        conn: &mut DbConn,
        org: &str,
        after: Option<&str>,
        limit: i64,
    ) -> ApiResult<Vec<DocumentRow>> {
        let sql = format!(
            "SELECT id, organization_id, name, created_at FROM {} \
             WHERE organization_id = $1 AND id > $2 ORDER BY id LIMIT $3",
            self.documents
        );
        let limit = i32::try_from(limit + 1).map_err(ApiError::internal)?;
        load(
            conn,
            &sql,
            vec![
                Bind::Text(org.into()),
                Bind::Text(after.unwrap_or("").into()),
                Bind::Int(limit),
            ],
        )
    }

    fn latest(&self, conn: &mut DbConn, document_id: &str) -> ApiResult<Head> {
        let sql = format!(
            "SELECT version, status, revision FROM {} WHERE {} = $1 ORDER BY version DESC LIMIT 1",
            self.versions, self.parent
        );
        load::<Head>(conn, &sql, vec![Bind::Text(document_id.into())])?
            .pop()
            .ok_or_else(|| ApiError::internal(format!("a {} without versions", self.noun)))
    }

    #[allow(clippy::too_many_arguments)]
    fn insert_version(
        &self,
        conn: &mut DbConn,
        actor: Actor,
        document_id: &str,
        version: i32,
        publish: bool,
        draft: DraftRecord,
        now: NaiveDateTime,
    ) -> ApiResult<()> {
        let status = if publish {
            VersionStatus::Published
        } else {
            VersionStatus::Draft
        };
        let by = actor.user_id.map(str::to_string);
        let mut columns = vec![
            "id",
            self.parent,
            "organization_id",
            "version",
            "status",
            "revision",
            "name",
            "content",
            "created_by",
            "created_at",
            "updated_at",
            "published_at",
            "published_by",
        ];
        let mut binds = vec![
            Bind::Text(uuid::Uuid::now_v7().to_string()),
            Bind::Text(document_id.into()),
            Bind::Text(actor.organization_id.into()),
            Bind::Int(version),
            Bind::Text(status.as_str().into()),
            Bind::Int(1),
            Bind::Text(draft.name),
            Bind::Text(draft.content),
            Bind::OptText(by.clone()),
            Bind::Time(now),
            Bind::Time(now),
            Bind::OptTime(publish.then_some(now)),
            Bind::OptText(if publish { by } else { None }),
        ];
        for (column, value) in draft.columns {
            columns.push(column);
            binds.push(Bind::Text(value));
        }
        let sql = format!(
            "INSERT INTO {} ({}) VALUES ({})",
            self.versions,
            columns.join(", "),
            placeholders(1, binds.len())
        );
        execute(conn, &sql, binds)?;
        Ok(())
    }

    fn rename(&self, conn: &mut DbConn, id: &str, name: &str, now: NaiveDateTime) -> ApiResult<()> {
        let sql = format!(
            "UPDATE {} SET name = $1, updated_at = $2 WHERE id = $3",
            self.documents
        );
        execute(
            conn,
            &sql,
            vec![
                Bind::Text(name.into()),
                Bind::Time(now),
                Bind::Text(id.into()),
            ],
        )?;
        Ok(())
    }

    /// A new document whose version 1 holds `draft`, as a draft or published at once (the
    /// caller has checked it for publishing then).
    pub fn create(
        &self,
        conn: &mut DbConn,
        actor: Actor,
        draft: DraftRecord,
        publish: bool,
        now: NaiveDateTime,
    ) -> ApiResult<VersionKey> {
        let id = uuid::Uuid::now_v7().to_string();
        let sql = format!(
            "INSERT INTO {} (id, organization_id, name, created_at, updated_at) VALUES ($1, $2, $3, $4, $5)",
            self.documents
        );
        execute(
            conn,
            &sql,
            vec![
                Bind::Text(id.clone()),
                Bind::Text(actor.organization_id.into()),
                Bind::Text(draft.name.clone()),
                Bind::Time(now),
                Bind::Time(now),
            ],
        )?;
        self.insert_version(conn, actor, &id, 1, publish, draft, now)?;
        Ok(VersionKey {
            document_id: id,
            version: 1,
        })
    }

    /// Saves `draft` as the document's draft: in place when the newest version is a draft
    /// (checking `expected` against its revision), else as the next version. Returns the
    /// draft and whether it is a new version.
    pub fn save_draft(
        &self,
        conn: &mut DbConn,
        actor: Actor,
        document_id: &str,
        draft: DraftRecord,
        expected: Option<i32>,
        now: NaiveDateTime,
    ) -> ApiResult<(VersionKey, bool)> {
        let document = self.find_document(conn, actor.organization_id, document_id)?;
        let latest = self.latest(conn, &document.id)?;
        let status: VersionStatus = latest.status.parse().map_err(ApiError::internal)?;
        let name = draft.name.clone();
        let (version, created) = match draft_save(latest.version, status) {
            DraftSave::Update { version } => {
                check_revision(expected, latest.revision)?;
                let mut sets = vec!["name".to_string(), "content".to_string()];
                let mut binds = vec![Bind::Text(draft.name), Bind::Text(draft.content)];
                for (column, value) in draft.columns {
                    sets.push(column.to_string());
                    binds.push(Bind::Text(value));
                }
                let assignments: Vec<String> = sets
                    .iter()
                    .enumerate()
                    .map(|(i, column)| format!("{column} = ${}", i + 1))
                    .collect();
                let n = binds.len();
                let sql = format!(
                    "UPDATE {} SET {}, revision = ${}, updated_at = ${} \
                     WHERE {} = ${} AND version = ${} AND status = 'draft' AND revision = ${}",
                    self.versions,
                    assignments.join(", "),
                    n + 1,
                    n + 2,
                    self.parent,
                    n + 3,
                    n + 4,
                    n + 5
                );
                binds.extend([
                    Bind::Int(latest.revision + 1),
                    Bind::Time(now),
                    Bind::Text(document.id.clone()),
                    Bind::Int(version),
                    Bind::Int(latest.revision),
                ]);
                if execute(conn, &sql, binds)? != 1 {
                    return Err(ApiError::PreconditionFailed(
                        "the draft changed while saving".into(),
                    ));
                }
                (version, false)
            }
            DraftSave::Create { version } => {
                self.insert_version(conn, actor, &document.id, version, false, draft, now)
                    .map_err(|e| match e {
                        ApiError::Conflict { .. } => {
                            ApiError::conflict("another draft was started at the same time; retry")
                        }
                        other => other,
                    })?;
                (version, true)
            }
        };
        self.rename(conn, &document.id, &name, now)?;
        Ok((
            VersionKey {
                document_id: document.id,
                version,
            },
            created,
        ))
    }

    /// Publishes the document's draft when `problems` finds nothing to refuse (422 lists
    /// every problem).
    pub fn publish(
        &self,
        conn: &mut DbConn,
        actor: Actor,
        document_id: &str,
        expected: Option<i32>,
        now: NaiveDateTime,
        problems: impl FnOnce(&mut DbConn, &VersionKey) -> ApiResult<Vec<FieldError>>,
    ) -> ApiResult<VersionKey> {
        let document = self.find_document(conn, actor.organization_id, document_id)?;
        let latest = self.latest(conn, &document.id)?;
        check_publishable(latest.status.parse().map_err(ApiError::internal)?)?;
        check_revision(expected, latest.revision)?;
        let key = VersionKey {
            document_id: document.id,
            version: latest.version,
        };
        reject_if_any(problems(conn, &key)?)?;
        let sql = format!(
            "UPDATE {} SET status = 'published', revision = $1, published_at = $2, \
             published_by = $3, updated_at = $4 \
             WHERE {} = $5 AND version = $6 AND status = 'draft' AND revision = $7",
            self.versions, self.parent
        );
        let binds = vec![
            Bind::Int(latest.revision + 1),
            Bind::Time(now),
            Bind::OptText(actor.user_id.map(str::to_string)),
            Bind::Time(now),
            Bind::Text(key.document_id.clone()),
            Bind::Int(key.version),
            Bind::Int(latest.revision),
        ];
        if execute(conn, &sql, binds)? != 1 {
            return Err(ApiError::PreconditionFailed(
                "the draft changed while publishing".into(),
            ));
        }
        Ok(key)
    }
}

impl VersionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            VersionStatus::Draft => "draft",
            VersionStatus::Published => "published",
        }
    }
}

impl FromStr for VersionStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "draft" => Ok(VersionStatus::Draft),
            "published" => Ok(VersionStatus::Published),
            other => Err(format!("unknown version status {other:?}")),
        }
    }
}

/// Where saving draft content goes, given the newest version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DraftSave {
    /// The newest version is a draft: change it in place.
    Update { version: i32 },
    /// The newest version is published: the content becomes the next version, as a draft.
    Create { version: i32 },
}

pub fn draft_save(latest_version: i32, latest_status: VersionStatus) -> DraftSave {
    match latest_status {
        VersionStatus::Draft => DraftSave::Update {
            version: latest_version,
        },
        VersionStatus::Published => DraftSave::Create {
            version: latest_version + 1,
        },
    }
}

/// A write based on `expected` (from `If-Match`) must find the draft at that revision.
pub fn check_revision(expected: Option<i32>, current: i32) -> Result<(), ApiError> {
    match expected {
        Some(e) if e != current => Err(ApiError::PreconditionFailed(format!(
            "the draft changed; its revision is now {current}"
        ))),
        _ => Ok(()),
    }
}

/// Publishing needs a draft.
pub fn check_publishable(status: VersionStatus) -> Result<(), ApiError> {
    match status {
        VersionStatus::Draft => Ok(()),
        VersionStatus::Published => Err(ApiError::Conflict {
            detail: "there is no draft to publish; the newest version is already published".into(),
            current_state: Some("published".into()),
        }),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Publish the imported version at once (default: keep it as a draft).
    pub publish: Option<bool>,
}

/// A version's JSON with its revision as `ETag`, its address as `Content-Location`, and as
/// `Location` too when it was just created.
pub fn version_response<T: Serialize>(
    status: actix_web::http::StatusCode,
    body: &T,
    location: String,
    revision: i32,
) -> Result<actix_web::HttpResponse, ApiError> {
    use actix_web::http::{header, StatusCode};
    let mut response = crate::http::json_with_etag(status, body, revision);
    let value = header::HeaderValue::from_str(&location).map_err(ApiError::internal)?;
    response
        .headers_mut()
        .insert(header::CONTENT_LOCATION, value.clone());
    if status == StatusCode::CREATED {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

/// A version number from a path: a positive integer, or 404.
pub fn parse_version(raw: &str) -> Result<i32, ApiError> {
    raw.parse::<i32>()
        .ok()
        .filter(|v| *v > 0)
        .ok_or_else(|| ApiError::NotFound(format!("no version {raw:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saving_after_publication_starts_the_next_version() {
        assert_eq!(
            draft_save(1, VersionStatus::Draft),
            DraftSave::Update { version: 1 }
        );
        assert_eq!(
            draft_save(3, VersionStatus::Published),
            DraftSave::Create { version: 4 }
        );
    }

    #[test]
    fn stale_revisions_and_published_versions_are_refused() {
        assert!(check_revision(None, 4).is_ok());
        assert!(check_revision(Some(4), 4).is_ok());
        assert!(matches!(
            check_revision(Some(3), 4),
            Err(ApiError::PreconditionFailed(_))
        ));
        assert!(check_publishable(VersionStatus::Draft).is_ok());
        assert!(matches!(
            check_publishable(VersionStatus::Published),
            Err(ApiError::Conflict { .. })
        ));
    }
}

use super::storage::{storage_error, PendingObject};
use actix_web::http::header;
use actix_web::{get, put, web, HttpMessage, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use object_store::path::Path as ObjectPath;
use object_store::ObjectStoreExt;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::rules::{check, extension, Refusal};
use super::AttachmentRow;
use crate::auth::caller::{Caller, Principal};
use crate::auth::rules::{Permission, Role};
use crate::checklists::dto::EvidenceKind;
use crate::error::{ApiError, ApiResult, Problem};
use crate::http::{parse_id, ApiQuery};
use crate::state::AppState;
use crate::submissions::dto::SubmissionStatus;
use crate::submissions::repo as submissions;

/// An evidence file as the API describes it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Attachment {
    pub id: uuid::Uuid,
    pub submission_id: uuid::Uuid,
    /// The evidence item it belongs to, if any.
    pub item_key: Option<String>,
    pub kind: EvidenceKind,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub created_at: DateTime<Utc>,
    /// Images only: how their analysis stands. The worker hashes them moments after upload.
    pub analysis: Option<PhotoAnalysis>,
    /// Why an image was not hashed (HEIC, bytes that do not decode).
    pub analysis_note: Option<String>,
    /// The 64-bit perceptual hash as 16 hexadecimal digits, once analysed.
    pub perceptual_hash: Option<String>,
    /// When the photo was taken, from its Exif data (in UTC), if it records that.
    pub captured_at: Option<DateTime<Utc>>,
}

/// Where an image's analysis stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PhotoAnalysis {
    /// Waiting for the background worker.
    Pending,
    /// Hashed and compared with the organization's other photos.
    Hashed,
    /// Not hashed: see `analysis_note`. Its capture time is still read where possible.
    NotHashed,
    /// Photo analysis is switched off on this server.
    Skipped,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// What the file is (default: `photo` for images, `audio`, `pdf`).
    pub kind: Option<EvidenceKind>,
    /// The evidence item it belongs to.
    pub item_key: Option<String>,
}

// Declared as binary so generated clients take and give bytes (a `Vec<u8>` would be documented
// as an array of integers).
/// Binary file content.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct FileBytes(pub Vec<u8>);

/// The stored hex SHA-256 as the base64 the digest headers carry.
fn hex_to_base64(hex: &str) -> ApiResult<String> {
    use base64::Engine;
    let bytes = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2).unwrap_or("zz"), 16))
        .collect::<Result<Vec<u8>, _>>()
        .map_err(ApiError::internal)?;
    Ok(base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// What a downloaded evidence file may do if a browser renders it: nothing.
pub const EVIDENCE_CSP: &str = "default-src 'none'; sandbox; frame-ancestors 'none'";

/// The API's view of a stored attachment.
pub fn dto(row: AttachmentRow) -> ApiResult<Attachment> {
    Ok(Attachment {
        id: row.id.parse().map_err(ApiError::internal)?,
        submission_id: row.submission_id.parse().map_err(ApiError::internal)?,
        item_key: row.item_key,
        kind: serde_json::from_value(serde_json::Value::String(row.kind))
            .map_err(ApiError::internal)?,
        content_type: row.content_type,
        size_bytes: row.size_bytes,
        sha256: row.sha256,
        created_at: row.created_at.and_utc(),
        analysis: row
            .analysis
            .as_deref()
            .map(|a| serde_json::from_value(serde_json::Value::String(a.to_string())))
            .transpose()
            .map_err(ApiError::internal)?,
        analysis_note: row.analysis_note,
        perceptual_hash: row.perceptual_hash.map(crate::photos::rules::to_hex),
        captured_at: row.captured_at.map(|t| t.and_utc()),
    })
}

/// Uploads one evidence file of the shopper's draft (or returned) submission, under an id the
/// app chooses: the same bytes again answer the stored attachment; other bytes under the same
/// id are 409. The declared `Content-Type` must be allowed and match the bytes' signature.
#[utoipa::path(
    tag = "submissions",
    security(("bearer" = [])),
    params(
        ("id" = uuid::Uuid, Path, description = "Submission id"),
        ("attachment_id" = uuid::Uuid, Path, description = "Attachment id, chosen by the app (a UUID)"),
        UploadQuery,
    ),
    request_body(
        description = "The file: JPEG, PNG, WebP, HEIC, PDF, MP3, M4A, WAV or Ogg, with its own Content-Type (the bytes must be what the type says), or as `application/octet-stream` (the type is read from the bytes)",
        content(
            (inline(FileBytes) = "application/octet-stream"),
            (inline(FileBytes) = "image/jpeg"), (inline(FileBytes) = "image/png"),
            (inline(FileBytes) = "image/webp"), (inline(FileBytes) = "image/heic"),
            (inline(FileBytes) = "application/pdf"), (inline(FileBytes) = "audio/mpeg"),
            (inline(FileBytes) = "audio/mp4"), (inline(FileBytes) = "audio/wav"),
            (inline(FileBytes) = "audio/ogg"),
        ),
    ),
    responses(
        (status = 201, description = "Stored", body = Attachment),
        (status = 409, description = "Other bytes under this id, or the submission is final", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Larger than the limit", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not an allowed type, or the bytes are not what the type says", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/v1/submissions/{id}/attachments/{attachment_id}")]
pub async fn upload_evidence(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    query: ApiQuery<UploadQuery>,
    mut payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let me = match caller.require_user()? {
        (id, Role::Shopper) => id.to_string(),
        _ => {
            return Err(ApiError::Forbidden(
                "only the shopper uploads evidence".into(),
            ))
        }
    };
    let (submission_id, attachment_id) = path.into_inner();
    let (submission_id, attachment_id) = (parse_id(&submission_id)?, parse_id(&attachment_id)?);
    let declared = req
        .mime_type()
        .ok()
        .flatten()
        .map(|m| m.essence_str().to_string())
        .unwrap_or_default();
    let limit = state.config.max_attachment_bytes;
    let mut bytes = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::BadRequest(format!("cannot read the body: {e}")))?;
        if bytes.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge(format!(
                "evidence files are at most {limit} bytes"
            )));
        }
        bytes.extend_from_slice(&chunk);
    }
    let bytes = bytes.freeze();
    let accepted = check(&declared, &bytes).map_err(|r| match r {
        Refusal::NotAllowed(t) => {
            ApiError::UnsupportedMediaType(format!("{t:?} is not an accepted evidence type"))
        }
        Refusal::Mismatch { declared, found } => ApiError::UnsupportedMediaType(format!(
            "the file is not {declared}{}",
            found
                .map(|f| format!(" (it looks like {f})"))
                .unwrap_or_default()
        )),
        Refusal::Unrecognised => ApiError::UnsupportedMediaType(
            "the file is none of the accepted evidence types (JPEG, PNG, WebP, HEIC, PDF, MP3, \
             M4A, WAV, Ogg)"
                .into(),
        ),
    })?;
    let kind = query.kind.unwrap_or(accepted.kinds[0]);
    if !accepted.kinds.contains(&kind) {
        return Err(ApiError::unprocessable(
            "kind",
            format!(
                "a {} file cannot be {kind:?} evidence",
                accepted.content_type
            ),
        ));
    }
    let digest = {
        use sha2::{Digest, Sha256};
        Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    let org = caller.organization_id.clone();
    // A path of its own per upload attempt: two uploads racing under one id never write the
    // same object, so the loser's bytes can be removed without touching the winner's.
    let object_path = format!(
        "{org}/{submission_id}/{attachment_id}-{}",
        uuid::Uuid::now_v7().simple()
    );

    // Check ownership and idempotency first, store the bytes, then record them.
    let (o, s, a, m, d) = (
        org.clone(),
        submission_id.clone(),
        attachment_id.clone(),
        me.clone(),
        digest.clone(),
    );
    let existing = state
        .db
        .run(move |conn| {
            let sub = submissions::find_in_org(conn, &o, &s)?;
            if sub.shopper_id != m {
                return Err(ApiError::NotFound("no such submission".into()));
            }
            if let Some(found) = super::find(conn, &o, &a)? {
                return same_file(found, &s, &d).map(Some);
            }
            let status = SubmissionStatus::parse(&sub.status)
                .ok_or_else(|| ApiError::internal("unknown status"))?;
            if !status.editable() {
                return Err(ApiError::Conflict {
                    detail: "evidence is added to draft or returned submissions".into(),
                    current_state: Some(sub.status),
                });
            }
            Ok(None)
        })
        .await?;
    if let Some(found) = existing {
        return Ok(HttpResponse::Created().json(dto(found)?));
    }
    let pending = PendingObject::put(state.files.clone(), &object_path, bytes.clone()).await?;
    let row = AttachmentRow {
        id: attachment_id,
        organization_id: org,
        submission_id,
        shopper_id: me,
        item_key: query.item_key.clone(),
        kind: serde_json::to_value(kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        content_type: accepted.content_type.to_string(),
        size_bytes: bytes.len() as i64,
        sha256: digest,
        object_path,
        created_at: Utc::now().naive_utc(),
        analysis: crate::photos::service::initial_state(
            accepted.content_type,
            &state.config.photos,
        ),
        analysis_note: None,
        perceptual_hash: None,
        captured_at: None,
    };
    let stored = row.clone();
    let recorded = state
        .db
        .transaction(move |conn| {
            match super::find(conn, &stored.organization_id, &stored.id)? {
                // A concurrent upload of the same file won: answer it (this attempt's copy goes).
                Some(found) => same_file(found, &stored.submission_id, &stored.sha256),
                None => {
                    super::insert(conn, &stored)?;
                    Ok(stored)
                }
            }
        })
        .await?;
    if recorded.object_path == row.object_path {
        pending.keep();
    }
    Ok(HttpResponse::Created().json(dto(recorded)?))
}

/// An upload under an id already taken in the organization: the same file again is answered
/// with the stored one; anything else is 409.
fn same_file(found: AttachmentRow, submission_id: &str, sha256: &str) -> ApiResult<AttachmentRow> {
    if found.sha256 == sha256 && found.submission_id == submission_id {
        Ok(found)
    } else {
        Err(ApiError::conflict(
            "another file was stored under this attachment id",
        ))
    }
}

/// Downloads an evidence file: the shopper who uploaded it, or reviewers and keys with
/// `submissions:read` of the organization.
#[utoipa::path(
    tag = "submissions",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Attachment id")),
    responses((status = 200, description = "The file, in the type it was stored as, with its SHA-256; served as a download (`Content-Disposition: attachment`) in a CSP sandbox",
        content(
            (inline(FileBytes) = "image/jpeg"), (inline(FileBytes) = "image/png"),
            (inline(FileBytes) = "image/webp"), (inline(FileBytes) = "image/heic"),
            (inline(FileBytes) = "application/pdf"), (inline(FileBytes) = "audio/mpeg"),
            (inline(FileBytes) = "audio/mp4"), (inline(FileBytes) = "audio/wav"),
            (inline(FileBytes) = "audio/ogg"),
        ),
        headers(
            ("Content-Disposition" = String, description = "`attachment; filename=\"evidence-<id>.<ext>\"`"),
            ("Content-Security-Policy" = String, description = "`default-src 'none'; sandbox; frame-ancestors 'none'`"),
            ("Repr-Digest" = String, description = "The file's SHA-256 (RFC 9530): `sha-256=:<base64>:`"),
            ("Digest" = String, description = "The same for older clients (RFC 3230): `sha-256=<base64>`"),
        )))
)]
#[get("/v1/attachments/{id}")]
pub async fn download_evidence(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = parse_id(&id)?;
    let own = match caller.principal {
        Principal::User {
            role: Role::Shopper,
            ..
        } => caller.user_id().map(str::to_string),
        _ => {
            caller.require(Permission::SubmissionsRead)?;
            None
        }
    };
    let org = caller.organization_id.clone();
    let row = state
        .db
        .run(move |conn| super::find(conn, &org, &id))
        .await?
        .filter(|r| own.as_ref().is_none_or(|me| *me == r.shopper_id))
        .ok_or_else(|| ApiError::NotFound("no such attachment".into()))?;
    let bytes = state
        .files
        .get(&ObjectPath::from(row.object_path.as_str()))
        .await
        .map_err(storage_error)?
        .bytes()
        .await
        .map_err(storage_error)?;
    // Evidence is the shopper's file, not ours: a browser saves it instead of showing it, and
    // if it is ever rendered anyway, it runs in a sandbox without scripts, plugins or framing.
    let file_name = format!("evidence-{}.{}", row.id, extension(&row.content_type));
    let digest = hex_to_base64(&row.sha256)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, row.content_type))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file_name}\""),
        ))
        .insert_header((header::CONTENT_SECURITY_POLICY, EVIDENCE_CSP))
        .insert_header(("Repr-Digest", format!("sha-256=:{digest}:")))
        .insert_header(("Digest", format!("sha-256={digest}")))
        .body(bytes))
}

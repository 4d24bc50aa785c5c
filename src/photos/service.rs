//! The photo worker and the photo flags: analyses pending images one at a time, records their
//! hash bands, finds near copies in the organization's other submissions, and keeps the
//! `reused_photo` and `photo_time` flags of the submissions concerned up to date.

use std::time::Duration;

use chrono::{NaiveDateTime, TimeDelta, Utc};
use diesel::prelude::*;
use object_store::path::Path as ObjectPath;
use object_store::ObjectStoreExt;

use super::analysis::{analyse, Analysis};
use super::rules::{band_keys, capture_time_utc, distance, from_stored, outside_visit, to_stored};
use crate::attachments::AttachmentRow;
use crate::config::PhotoSettings;
use crate::db::schema::{
    assignments, attachments, locations, photo_hash_bands, photo_matches, submissions,
};
use crate::db::{lock_for_transaction, DbConn};
use crate::error::{ApiError, ApiResult};
use crate::per_backend;
use crate::state::AppState;
use crate::submissions::model::SubmissionRow;
use crate::submissions::rules::{Flag, PhotoTime, ReusedPhoto};

/// How an image's analysis stands (`attachments.analysis`).
pub const PENDING: &str = "pending";
pub const HASHED: &str = "hashed";
pub const NOT_HASHED: &str = "not_hashed";
pub const SKIPPED: &str = "skipped";

/// The analysis state a new upload starts in: images wait for the worker (or are skipped when
/// hashing is off); other files have none.
pub fn initial_state(content_type: &str, settings: &PhotoSettings) -> Option<String> {
    content_type
        .starts_with("image/")
        .then(|| if settings.hashing { PENDING } else { SKIPPED }.to_string())
}

/// Images claimed per round.
const CLAIM: i64 = 16;
/// Pause when nothing waits.
const IDLE: Duration = Duration::from_millis(250);

/// Analyses images for as long as the server's runtime lives. Several server processes may run
/// it: recording checks that the image is still pending, under the organization's photo lock.
pub fn spawn_worker(state: AppState) {
    if !state.config.photos.hashing {
        return;
    }
    actix_web::rt::spawn(async move {
        loop {
            match run_once(&state).await {
                Ok(0) => tokio::time::sleep(IDLE).await,
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "photo analysis round failed");
                    tokio::time::sleep(IDLE).await;
                }
            }
        }
    });
}

/// One round: the oldest pending images, each read, analysed and recorded. Returns how many.
pub async fn run_once(state: &AppState) -> ApiResult<usize> {
    let pending: Vec<AttachmentRow> = state
        .db
        .run(|conn| {
            Ok(attachments::table
                // Written out, not bound: the partial index `attachments_pending_analysis`
                // serves a query whose condition is its own, and SQLite's planner does not look
                // at bound values (`.cargo/config.toml`).
                .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(&format!(
                    "attachments.analysis = '{PENDING}'"
                )))
                .order(attachments::created_at.asc())
                .limit(CLAIM)
                .select(AttachmentRow::as_select())
                .load(conn)?)
        })
        .await?;
    let count = pending.len();
    for row in pending {
        let analysis = match read(state, &row.object_path).await {
            Ok(bytes) => {
                let content_type = row.content_type.clone();
                actix_web::web::block(move || analyse(&bytes, &content_type))
                    .await
                    .map_err(ApiError::internal)?
            }
            Err(e) => Analysis {
                hash: None,
                captured_local: None,
                note: Some(format!("the stored file could not be read: {e}")),
            },
        };
        let settings = state.config.photos;
        let (org, id) = (row.organization_id.clone(), row.id.clone());
        state
            .db
            .transaction(move |conn| {
                record(
                    conn,
                    &settings,
                    &org,
                    &id,
                    &analysis,
                    Utc::now().naive_utc(),
                )
            })
            .await?;
    }
    Ok(count)
}

async fn read(state: &AppState, path: &str) -> Result<actix_web::web::Bytes, String> {
    state
        .files
        .get(&ObjectPath::from(path))
        .await
        .map_err(|e| e.to_string())?
        .bytes()
        .await
        .map_err(|e| e.to_string())
}

/// Records an image's analysis, inside the caller's transaction: its hash and bands, its
/// capture time in UTC, the near copies it has in other submissions of the organization, and
/// the photo flags of every submission concerned.
pub fn record(
    conn: &mut DbConn,
    settings: &PhotoSettings,
    org: &str,
    attachment_id: &str,
    analysis: &Analysis,
    now: NaiveDateTime,
) -> ApiResult<()> {
    // One organization's photos are matched one at a time, so two copies recorded at once
    // still find each other.
    lock_for_transaction(conn, &format!("photos:{org}"))?;
    let Some(row) = crate::attachments::find(conn, org, attachment_id)? else {
        return Ok(());
    };
    if row.analysis.as_deref() != Some(PENDING) {
        return Ok(());
    }
    let time_zone: Option<String> = submissions::table
        .inner_join(assignments::table)
        .inner_join(locations::table.on(locations::id.eq(assignments::location_id)))
        .filter(submissions::id.eq(&row.submission_id))
        .select(locations::time_zone)
        .first(conn)
        .optional()?;
    let captured_at = analysis.captured_local.and_then(|(local, offset)| {
        capture_time_utc(local, offset, time_zone.as_deref().unwrap_or("UTC"))
    });
    diesel::update(attachments::table.find((org, attachment_id)))
        .set((
            attachments::analysis.eq(if analysis.hash.is_some() {
                HASHED
            } else {
                NOT_HASHED
            }),
            attachments::analysis_note.eq(&analysis.note),
            attachments::perceptual_hash.eq(analysis.hash.map(to_stored)),
            attachments::captured_at.eq(captured_at),
        ))
        .execute(conn)?;
    let mut concerned = vec![row.submission_id.clone()];
    if let Some(hash) = analysis.hash {
        let keys = band_keys(hash);
        let bands: Vec<_> = keys
            .iter()
            .map(|key| {
                (
                    photo_hash_bands::organization_id.eq(org),
                    photo_hash_bands::band_key.eq(*key),
                    photo_hash_bands::attachment_id.eq(attachment_id),
                    photo_hash_bands::submission_id.eq(&row.submission_id),
                )
            })
            .collect();
        // A plain batch insert: bands are written once, by the one transaction that moves the
        // image out of `pending`.
        let insert = diesel::insert_into(photo_hash_bands::table).values(&bands);
        per_backend!(conn, |c| insert.execute(c))?;
        let candidates: Vec<(String, String, Option<i64>)> = photo_hash_bands::table
            .inner_join(
                attachments::table.on(attachments::organization_id
                    .eq(photo_hash_bands::organization_id)
                    .and(attachments::id.eq(photo_hash_bands::attachment_id))),
            )
            .filter(photo_hash_bands::organization_id.eq(org))
            .filter(photo_hash_bands::band_key.eq_any(keys.to_vec()))
            .filter(photo_hash_bands::submission_id.ne(&row.submission_id))
            .select((
                attachments::id,
                attachments::submission_id,
                attachments::perceptual_hash,
            ))
            .distinct()
            .load(conn)?;
        let mut matches = Vec::new();
        for (other_id, other_submission, other_hash) in candidates {
            let Some(other_hash) = other_hash else {
                continue;
            };
            let d = distance(hash, from_stored(other_hash));
            if d > settings.match_distance {
                continue;
            }
            for (a, s, b, t) in [
                (
                    attachment_id,
                    &row.submission_id,
                    other_id.as_str(),
                    &other_submission,
                ),
                (
                    other_id.as_str(),
                    &other_submission,
                    attachment_id,
                    &row.submission_id,
                ),
            ] {
                matches.push((
                    photo_matches::organization_id.eq(org.to_string()),
                    photo_matches::attachment_id.eq(a.to_string()),
                    photo_matches::other_attachment_id.eq(b.to_string()),
                    photo_matches::submission_id.eq(s.to_string()),
                    photo_matches::other_submission_id.eq(t.to_string()),
                    photo_matches::distance.eq(d as i32),
                    photo_matches::found_at.eq(now),
                ));
            }
            concerned.push(other_submission);
        }
        if !matches.is_empty() {
            // Each pair is found once: when the later of its two photos is recorded.
            let insert = diesel::insert_into(photo_matches::table).values(&matches);
            per_backend!(conn, |c| insert.execute(c))?;
        }
    }
    concerned.sort();
    concerned.dedup();
    for submission in concerned {
        refresh_flags(conn, settings, org, &submission, now)?;
    }
    Ok(())
}

/// The photo flags of a submission, from what the worker has recorded: a `reused_photo` per
/// near copy in another submission, a `photo_time` per photo taken outside the visit.
pub fn photo_flags(
    conn: &mut DbConn,
    settings: &PhotoSettings,
    org: &str,
    submission_id: &str,
    visit: Option<(NaiveDateTime, NaiveDateTime)>,
) -> ApiResult<Vec<Flag>> {
    let matches: Vec<(String, String, String, i32)> = photo_matches::table
        .filter(photo_matches::organization_id.eq(org))
        .filter(photo_matches::submission_id.eq(submission_id))
        .order((
            photo_matches::attachment_id,
            photo_matches::other_attachment_id,
        ))
        .select((
            photo_matches::attachment_id,
            photo_matches::other_submission_id,
            photo_matches::other_attachment_id,
            photo_matches::distance,
        ))
        .load(conn)?;
    let mut flags: Vec<Flag> = matches
        .into_iter()
        .map(
            |(attachment_id, other_submission_id, other_attachment_id, distance)| {
                Flag::ReusedPhoto(ReusedPhoto {
                    kind: Default::default(),
                    attachment_id,
                    other_submission_id,
                    other_attachment_id,
                    distance,
                })
            },
        )
        .collect();
    if let Some((start, end)) = visit {
        let tolerance = TimeDelta::from_std(settings.time_tolerance).unwrap_or(TimeDelta::MAX);
        let captured: Vec<(String, Option<NaiveDateTime>)> = attachments::table
            .filter(attachments::organization_id.eq(org))
            .filter(attachments::submission_id.eq(submission_id))
            .filter(attachments::captured_at.is_not_null())
            .order(attachments::created_at.asc())
            .select((attachments::id, attachments::captured_at))
            .load(conn)?;
        for (attachment_id, at) in captured {
            let Some(at) = at else { continue };
            if outside_visit(at, start, end, tolerance) {
                flags.push(Flag::PhotoTime(PhotoTime {
                    kind: Default::default(),
                    attachment_id,
                    captured_at: at.and_utc(),
                    visit_start: start.and_utc(),
                    visit_end: end.and_utc(),
                    tolerance_minutes: tolerance.num_minutes(),
                }));
            }
        }
    }
    Ok(flags)
}

/// Replaces a submitted submission's photo flags with what is recorded now; the version moves
/// when they change (a reviewer's `If-Match` then sees the submission changed). Drafts get
/// theirs when they are submitted.
pub fn refresh_flags(
    conn: &mut DbConn,
    settings: &PhotoSettings,
    org: &str,
    submission_id: &str,
    now: NaiveDateTime,
) -> ApiResult<()> {
    lock_for_transaction(conn, submission_id)?;
    let Some(row) = submissions::table
        .filter(submissions::organization_id.eq(org))
        .filter(submissions::id.eq(submission_id))
        .select(SubmissionRow::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(());
    };
    if row.submitted_at.is_none() {
        return Ok(());
    }
    let stored: Vec<Flag> = serde_json::from_str(&row.flags).map_err(ApiError::internal)?;
    let visit = row.visit_start.zip(row.visit_end);
    let mut flags: Vec<Flag> = stored.iter().filter(|f| !f.is_photo()).cloned().collect();
    flags.extend(photo_flags(conn, settings, org, submission_id, visit)?);
    if flags == stored {
        return Ok(());
    }
    diesel::update(submissions::table.find(submission_id))
        .set((
            submissions::flags.eq(serde_json::to_string(&flags).map_err(ApiError::internal)?),
            submissions::version.eq(row.version + 1),
            submissions::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

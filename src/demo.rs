//! Creating organizations from the command line, and the demo organization of `serve --demo`.

pub mod generator;

use chrono::Utc;

use crate::auth::password::{generate_password, hash_password_blocking};
use crate::auth::rules::Role;
use crate::checklists::dto::{ChecklistInput, Section};
use crate::checklists::service as checklists;
use crate::db::{write_transaction, DbConn};
use crate::error::{ApiError, ApiResult};
use crate::http::read_document;
use crate::organizations::model::OrganizationRow;
use crate::organizations::repo as organizations;
use crate::standards::dto::{BookDocument, Channel};
use crate::standards::service::{self as standards, Actor};
use crate::users::model::{UserChanges, UserRow};
use crate::users::repo as users;
use crate::users::rules::normalize_email;

/// An account and the password to print for it, once.
#[derive(Debug, Clone)]
pub struct Credential {
    pub role: Role,
    pub email: String,
    pub password: String,
}

pub fn new_organization_row(name: &str) -> OrganizationRow {
    let now = Utc::now().naive_utc();
    OrganizationRow {
        id: uuid::Uuid::now_v7().to_string(),
        name: name.trim().to_string(),
        cooldown_days: 30,
        max_active_assignments: 5,
        min_sample_size: 5,
        geofence_radius_m: 150,
        shoppers_see_scores: false,
        reimbursement_cap_minor: 5000,
        version: 1,
        created_at: now,
        updated_at: now,
    }
}

pub fn new_user_row(
    org_id: &str,
    email: &str,
    name: &str,
    role: Role,
    password_hash: String,
) -> UserRow {
    UserRow::new(
        org_id,
        &normalize_email(email),
        name,
        role,
        password_hash,
        Utc::now().naive_utc(),
    )
}

/// Creates an organization with its first admin and a generated password.
pub fn create_organization(
    conn: &mut DbConn,
    name: &str,
    admin_email: &str,
) -> ApiResult<(OrganizationRow, Credential)> {
    if name.trim().is_empty() {
        return Err(ApiError::unprocessable("name", "must not be empty"));
    }
    if !admin_email.contains('@') {
        return Err(ApiError::unprocessable(
            "admin_email",
            "must be an email address",
        ));
    }
    let password = generate_password();
    let hash = hash_password_blocking(&password)?;
    write_transaction(conn, |conn| {
        let org = new_organization_row(name);
        organizations::insert(conn, &org)?;
        let admin = new_user_row(&org.id, admin_email, "Administrator", Role::Admin, hash);
        users::insert(conn, &admin)?;
        Ok((
            org,
            Credential {
                role: Role::Admin,
                email: admin.email,
                password,
            },
        ))
    })
}

pub const DEMO_ORGANIZATION: &str = "Demo Motors";

/// The history `serve --demo` writes on a first start: half a year at 24 locations, small
/// enough to take a few seconds and large enough that the reports show real gaps (some
/// significant, some cells still unreliable), improvements, flags, returns, a review queue,
/// corrective actions and self-assessments.
pub fn first_start_plan() -> generator::Plan {
    generator::Plan {
        locations: 24,
        shoppers: 40,
        visits: 480,
        responses: 240,
        days: 180,
        seed: 1,
        workers: 2,
        awaiting_review: 12,
    }
}

/// On a first start (the demo organization has no locations yet) fills it with
/// `first_start_plan()`; a later start leaves its data alone. Returns what was made.
pub fn first_start(pool: &crate::db::Pool) -> ApiResult<Option<generator::Summary>> {
    use crate::db::schema::locations;
    use diesel::prelude::*;
    let mut conn = pool.get().map_err(ApiError::internal)?;
    let org = organizations::find_by_name(&mut conn, DEMO_ORGANIZATION)?
        .ok_or_else(|| ApiError::internal("the demo organization was not created"))?;
    let existing: i64 = locations::table
        .filter(locations::organization_id.eq(&org.id))
        .count()
        .get_result(&mut *conn)?;
    drop(conn);
    if existing > 0 {
        return Ok(None);
    }
    generator::generate(pool, &first_start_plan(), &|_| {}).map(Some)
}

const DEMO_USERS: &[(&str, &str, Role)] = &[
    ("admin@demo-motors.example.com", "Ada Admin", Role::Admin),
    (
        "manager@demo-motors.example.com",
        "Mina Manager",
        Role::Manager,
    ),
    (
        "shopper1@demo-motors.example.com",
        "Sam Shopper",
        Role::Shopper,
    ),
    (
        "shopper2@demo-motors.example.com",
        "Sasha Shopper",
        Role::Shopper,
    ),
];

/// Creates the demo organization, or when it exists gives its demo accounts new passwords (so
/// every `--demo` start prints credentials that work). Returns the credentials to print.
pub fn ensure_demo(conn: &mut DbConn) -> ApiResult<Vec<Credential>> {
    let accounts: Vec<(&str, &str, Role, String, String)> = DEMO_USERS
        .iter()
        .map(|(email, name, role)| {
            let password = generate_password();
            let hash = hash_password_blocking(&password)?;
            Ok((*email, *name, *role, password, hash))
        })
        .collect::<ApiResult<_>>()?;
    write_transaction(conn, |conn| {
        let org = match organizations::find_by_name(conn, DEMO_ORGANIZATION)? {
            Some(org) => org,
            None => {
                let org = new_organization_row(DEMO_ORGANIZATION);
                organizations::insert(conn, &org)?;
                org
            }
        };
        let now = Utc::now().naive_utc();
        let mut credentials = Vec::new();
        for (email, name, role, password, hash) in accounts {
            match users::find_by_email(conn, &org.id, email)? {
                Some(existing) => {
                    let changes = UserChanges {
                        password_hash: Some(hash),
                        active: Some(true),
                        role: Some(role.as_str().to_string()),
                        ..Default::default()
                    };
                    users::update(conn, &existing, None, &changes, now)?;
                }
                None => users::insert(conn, &new_user_row(&org.id, email, name, role, hash))?,
            }
            credentials.push(Credential {
                role,
                email: email.to_string(),
                password,
            });
        }
        load_demo_standards(conn, &org.id, now)?;
        Ok(credentials)
    })
}

const DEMO_BOOK: &str = include_str!("../demo/standards-book.yaml");
const DEMO_CHECKLISTS: [&str; 2] = [
    include_str!("../demo/showroom-checklist.yaml"),
    include_str!("../demo/phone-checklist.yaml"),
];

const DEMO_SURVEYS: [&str; 2] = [
    include_str!("../demo/customer-survey.yaml"),
    include_str!("../demo/management-survey.yaml"),
];

/// What marketing promises in the demo: (standard, text, source, channels, promised level).
const DEMO_PROMISES: [(&str, &str, &str, &[&str], f64); 3] = [
    (
        "PHN-01",
        "We answer every call within three rings.",
        "advertisement",
        &["phone"],
        1.0,
    ),
    (
        "INFO-01",
        "Complete, transparent information on every offer: price, availability, financing.",
        "web_site",
        &["in_person", "phone", "email", "chat"],
        1.0,
    ),
    (
        "GRT-01",
        "A personal welcome the moment you walk in.",
        "brochure",
        &["in_person"],
        0.95,
    ),
];

/// Publishes the demo survey instruments (customer, in English and Arabic; management) over
/// the demo book, and records the demo promises.
fn load_demo_surveys(
    conn: &mut DbConn,
    actor: Actor,
    book_version_id: &str,
    now: chrono::NaiveDateTime,
) -> ApiResult<()> {
    for text in DEMO_SURVEYS {
        let mut value: serde_json::Value =
            yaml_serde::from_str(text).map_err(ApiError::internal)?;
        value["standards_book_version_id"] = serde_json::Value::String(book_version_id.into());
        let input = serde_json::from_value(value).map_err(ApiError::internal)?;
        crate::surveys::service::create(conn, actor, input, true, now)?;
    }
    let today = now.date();
    for (standard, text, source, channels, level) in DEMO_PROMISES {
        let input = serde_json::from_value(serde_json::json!({
            "standard": standard, "text": text, "source": source, "channels": channels,
            "valid_from": today - chrono::Days::new(365), "promised_level": level,
        }))
        .map_err(ApiError::internal)?;
        crate::promises::service::create(conn, actor.organization_id, None, input, now)?;
    }
    Ok(())
}

/// A checklist file of `demo/`: the checklist document without its book.
#[derive(serde::Deserialize)]
struct DemoChecklist {
    name: String,
    channel: Channel,
    sections: Vec<Section>,
}

/// Publishes the demo standards book and its two checklists, once.
fn load_demo_standards(
    conn: &mut DbConn,
    org_id: &str,
    now: chrono::NaiveDateTime,
) -> ApiResult<()> {
    if !standards::STORE
        .list_documents(conn, org_id, None, 1)?
        .is_empty()
    {
        return Ok(());
    }
    let actor = Actor {
        organization_id: org_id,
        user_id: None,
    };
    let book: BookDocument = read_document(DEMO_BOOK)?;
    let book = standards::import(conn, actor, book, true, now)?;
    for text in DEMO_CHECKLISTS {
        let demo: DemoChecklist = yaml_serde::from_str(text).map_err(ApiError::internal)?;
        let input = ChecklistInput {
            name: demo.name,
            standards_book_version_id: book.id.parse().map_err(ApiError::internal)?,
            channel: demo.channel,
            sections: demo.sections,
        };
        checklists::create(conn, actor, input, true, now)?;
    }
    load_demo_surveys(conn, actor, &book.id, now)
}

/// Imports a standards-book or checklist document (JSON or YAML; the `format` field tells which)
/// into an organization, as `shopgap import` does. Returns a line describing what was created.
pub fn import_document(
    conn: &mut DbConn,
    org_id: &str,
    text: &str,
    publish: bool,
) -> ApiResult<String> {
    #[derive(serde::Deserialize)]
    struct Format {
        format: String,
    }
    let bad = |e: yaml_serde::Error| ApiError::unprocessable("document", e.to_string());
    let format: Format = yaml_serde::from_str(text).map_err(bad)?;
    organizations::find(conn, org_id)?;
    let actor = Actor {
        organization_id: org_id,
        user_id: None,
    };
    let now = Utc::now().naive_utc();
    write_transaction(conn, |conn| match format.format.as_str() {
        crate::standards::dto::BOOK_FORMAT => {
            let row = standards::import(conn, actor, read_document(text)?, publish, now)?;
            Ok(format!(
                "standards book {} version {} ({}) {}",
                row.book_id, row.version, row.status, row.name
            ))
        }
        crate::checklists::dto::CHECKLIST_FORMAT => {
            let row = checklists::import(conn, actor, read_document(text)?, publish, now)?;
            Ok(format!(
                "checklist {} version {} ({}) {}",
                row.checklist_id, row.version, row.status, row.name
            ))
        }
        crate::surveys::dto::INSTRUMENT_FORMAT => {
            let row =
                crate::surveys::service::import(conn, actor, read_document(text)?, publish, now)?;
            Ok(format!(
                "survey instrument {} version {} ({}) {}",
                row.instrument_id, row.version, row.status, row.name
            ))
        }
        other => Err(ApiError::unprocessable(
            "format",
            format!("unknown document format {other:?}"),
        )),
    })
}

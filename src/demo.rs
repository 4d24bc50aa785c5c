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
    Ok(())
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
        other => Err(ApiError::unprocessable(
            "format",
            format!("unknown document format {other:?}"),
        )),
    })
}

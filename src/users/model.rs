use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::auth::rules::Role;
use crate::db::schema::users;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: String,
    pub organization_id: String,
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub password_hash: String,
    pub active: bool,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub last_login_at: Option<NaiveDateTime>,
}

impl UserRow {
    /// A new active user; `email` is stored as given (normalize it first).
    pub fn new(
        org_id: &str,
        email: &str,
        display_name: &str,
        role: Role,
        password_hash: String,
        now: NaiveDateTime,
    ) -> Self {
        UserRow {
            id: uuid::Uuid::now_v7().to_string(),
            organization_id: org_id.to_string(),
            email: email.to_string(),
            display_name: display_name.trim().to_string(),
            role: role.as_str().to_string(),
            password_hash,
            active: true,
            version: 1,
            created_at: now,
            updated_at: now,
            last_login_at: None,
        }
    }
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = users)]
pub struct UserChanges {
    pub display_name: Option<String>,
    pub role: Option<String>,
    pub active: Option<bool>,
    pub password_hash: Option<String>,
}

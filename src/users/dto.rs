use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::contract::types::{Name, Password};

use super::model::UserRow;
use crate::auth::rules::Role;

/// A user as the API shows it (never with the password hash).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct User {
    pub id: uuid::Uuid,
    pub organization_id: uuid::Uuid,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub active: bool,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
}

impl From<UserRow> for User {
    fn from(row: UserRow) -> Self {
        User {
            id: row.id.parse().unwrap_or_default(),
            organization_id: row.organization_id.parse().unwrap_or_default(),
            email: row.email,
            display_name: row.display_name,
            role: row.role.parse().unwrap_or(Role::Shopper),
            active: row.active,
            version: row.version,
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
            last_login_at: row.last_login_at.map(|t| t.and_utc()),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    #[schema(max_length = 254, format = Email)]
    pub email: String,
    #[schema(value_type = Name)]
    pub display_name: String,
    pub role: Role,
    /// Initial password (10 to 128 characters). When absent, one is generated and returned once.
    #[schema(value_type = Option<Password>)]
    pub password: Option<String>,
}

/// The created user; `initial_password` is present (once) when the server generated it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CreatedUser {
    pub user: User,
    pub initial_password: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    #[schema(value_type = Option<Name>)]
    pub display_name: Option<String>,
    pub role: Option<Role>,
    /// `false` deactivates the user (their sessions end at once); `true` reactivates.
    pub active: Option<bool>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UserList {
    pub items: Vec<User>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserFilter {
    /// Only users with this role.
    pub role: Option<Role>,
    /// Only active (`true`) or deactivated (`false`) users.
    pub active: Option<bool>,
}

/// A new password, shown once.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PasswordReset {
    pub password: String,
}

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::contract::types::Password;

use crate::api_keys::dto::ApiKey;
use crate::users::dto::User;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(min_length = 1, max_length = 254)]
    pub email: String,
    #[schema(min_length = 1, max_length = 1024)]
    pub password: String,
    /// The organization to sign in to, needed only when the email and password open accounts
    /// in several (the 422 answer lists them).
    #[serde(default)]
    pub organization_id: Option<uuid::Uuid>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    #[schema(min_length = 1, max_length = 512)]
    pub refresh_token: String,
}

/// Tokens for a signed-in user.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenPair {
    /// Short-lived JWT for `Authorization: Bearer`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Opaque token for `POST /v1/auth/refresh`; each use returns a new one.
    pub refresh_token: String,
    /// Seconds until the refresh token expires if unused.
    pub refresh_expires_in: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrganizationRef {
    pub id: uuid::Uuid,
    pub name: String,
}

/// Who the caller is: a user, or an integrator's API key.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Me {
    pub organization: OrganizationRef,
    /// Present when signed in as a user.
    pub user: Option<User>,
    /// Present when calling with an API key.
    pub api_key: Option<ApiKey>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    #[schema(min_length = 1, max_length = 1024)]
    pub current_password: String,
    /// 10 to 128 characters.
    #[schema(value_type = Password)]
    pub new_password: String,
}

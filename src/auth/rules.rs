//! Pure authentication and authorization rules: roles, scopes, permissions, login throttling and
//! refresh-token rotation. No HTTP, no SQL: unit-tested on their own.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a user may do in their organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Creates users, API keys and settings; may also do everything a manager does.
    Admin,
    /// Writes standards, plans shops, reviews submissions, reads reports.
    Manager,
    /// A field evaluator: sees only their own work and the job board.
    Shopper,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Shopper => "shopper",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "admin" => Ok(Role::Admin),
            "manager" => Ok(Role::Manager),
            "shopper" => Ok(Role::Shopper),
            other => Err(format!("unknown role {other:?}")),
        }
    }
}

/// What an integrator's API key may reach. Keys never act as a shopper and never manage
/// users, keys or settings.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
pub enum Scope {
    #[serde(rename = "organization:read")]
    OrganizationRead,
    #[serde(rename = "users:read")]
    UsersRead,
    #[serde(rename = "standards:read")]
    StandardsRead,
    #[serde(rename = "standards:write")]
    StandardsWrite,
    #[serde(rename = "locations:read")]
    LocationsRead,
    #[serde(rename = "locations:write")]
    LocationsWrite,
    #[serde(rename = "assignments:read")]
    AssignmentsRead,
    #[serde(rename = "assignments:write")]
    AssignmentsWrite,
    #[serde(rename = "submissions:read")]
    SubmissionsRead,
    #[serde(rename = "reports:read")]
    ReportsRead,
    #[serde(rename = "surveys:read")]
    SurveysRead,
    #[serde(rename = "events:read")]
    EventsRead,
    #[serde(rename = "webhooks:manage")]
    WebhooksManage,
    #[serde(rename = "actions:read")]
    ActionsRead,
    #[serde(rename = "actions:write")]
    ActionsWrite,
    #[serde(rename = "payments:read")]
    PaymentsRead,
    #[serde(rename = "payments:write")]
    PaymentsWrite,
}

/// An action that needs authorization. Each handler asks for exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    OrganizationRead,
    OrganizationWrite,
    UsersRead,
    UsersWrite,
    ApiKeysManage,
    /// Standards books and checklists.
    StandardsRead,
    StandardsWrite,
    LocationsRead,
    LocationsWrite,
    /// Shopper profiles and exclusions.
    ShoppersManage,
    AssignmentsRead,
    AssignmentsWrite,
    SubmissionsRead,
    SubmissionsReview,
    /// Gap reports, scorecards, trends (never shoppers).
    ReportsRead,
    /// Recording what managers believe they deliver (people only, not keys).
    SelfAssessmentsWrite,
    /// Survey instruments, responses and promises (never shoppers).
    SurveysRead,
    /// Writing them (people only: managers and admins).
    SurveysWrite,
    /// The event feed (never shoppers).
    EventsRead,
    /// Webhook endpoints, their secrets and delivery logs (admins, keys with the scope).
    WebhooksManage,
    /// Corrective actions, their training, suggestions and effects (never shoppers).
    ActionsRead,
    /// Opening, editing and moving them (managers, admins, keys with the scope).
    ActionsWrite,
    /// Payment batches and shoppers' earnings (managers, admins, keys with the scope).
    PaymentsRead,
    /// Making, paying and cancelling batches: money leaves the organization, so admins only
    /// (and keys with the scope, for a payroll integration).
    PaymentsWrite,
}

impl Permission {
    /// The roles that hold this permission.
    pub fn allows_role(self, role: Role) -> bool {
        use Permission::*;
        match self {
            OrganizationRead | UsersRead | StandardsRead | StandardsWrite | LocationsRead
            | LocationsWrite | ShoppersManage | AssignmentsRead | AssignmentsWrite
            | SubmissionsRead | SubmissionsReview | ReportsRead | SelfAssessmentsWrite
            | SurveysRead | SurveysWrite | EventsRead | ActionsRead | ActionsWrite
            | PaymentsRead => matches!(role, Role::Admin | Role::Manager),
            OrganizationWrite | UsersWrite | ApiKeysManage | WebhooksManage | PaymentsWrite => {
                role == Role::Admin
            }
        }
    }

    /// The scope an API key needs for this permission; `None` when keys can never have it.
    pub fn scope(self) -> Option<Scope> {
        use Permission::*;
        match self {
            OrganizationRead => Some(Scope::OrganizationRead),
            UsersRead => Some(Scope::UsersRead),
            StandardsRead => Some(Scope::StandardsRead),
            StandardsWrite => Some(Scope::StandardsWrite),
            LocationsRead => Some(Scope::LocationsRead),
            LocationsWrite => Some(Scope::LocationsWrite),
            AssignmentsRead => Some(Scope::AssignmentsRead),
            AssignmentsWrite => Some(Scope::AssignmentsWrite),
            SubmissionsRead => Some(Scope::SubmissionsRead),
            ReportsRead => Some(Scope::ReportsRead),
            SurveysRead => Some(Scope::SurveysRead),
            EventsRead => Some(Scope::EventsRead),
            WebhooksManage => Some(Scope::WebhooksManage),
            ActionsRead => Some(Scope::ActionsRead),
            ActionsWrite => Some(Scope::ActionsWrite),
            PaymentsRead => Some(Scope::PaymentsRead),
            PaymentsWrite => Some(Scope::PaymentsWrite),
            OrganizationWrite | UsersWrite | ApiKeysManage | ShoppersManage | SubmissionsReview
            | SelfAssessmentsWrite | SurveysWrite => None,
        }
    }

    pub fn allows_scopes(self, scopes: &[Scope]) -> bool {
        self.scope().is_some_and(|s| scopes.contains(&s))
    }
}

/// Failed logins allowed before delays begin (typos happen).
pub const FREE_LOGIN_FAILURES: i32 = 4;
/// Failures older than this are forgotten.
pub const LOGIN_FAILURE_WINDOW: Duration = Duration::from_secs(15 * 60);
/// The longest an account is held off.
pub const MAX_LOGIN_DELAY: Duration = Duration::from_secs(15 * 60);

/// How long logins for an email are refused after its `failures`-th consecutive failure:
/// nothing for the first few, then 2 s, 4 s, 8 s, … up to 15 minutes.
pub fn login_delay(failures: i32) -> Option<Duration> {
    if failures <= FREE_LOGIN_FAILURES {
        return None;
    }
    let exponent = (failures - FREE_LOGIN_FAILURES).min(20) as u32;
    Some(Duration::from_secs(1u64 << exponent).min(MAX_LOGIN_DELAY))
}

/// Seconds to put in `Retry-After` while a block lasts (rounded up, at least 1).
pub fn retry_after_secs(now: NaiveDateTime, blocked_until: NaiveDateTime) -> Option<u64> {
    let left = blocked_until - now;
    let ms = left.num_milliseconds();
    (ms > 0).then(|| ((ms + 999) / 1000) as u64)
}

/// The stored state of one refresh token, as far as rotation cares.
#[derive(Debug, Clone)]
pub struct RefreshTokenState {
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
    /// Whether the token that replaced this one has itself been used or revoked.
    pub successor_spent: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshDecision {
    /// Normal use: spend this token and issue its successor.
    Rotate,
    /// The same token again shortly after it was spent and before its successor was used: the
    /// phone most likely never got the answer. Replace the unused successor with a fresh one.
    RetryWithinGrace,
    /// A spent token came back: it may have been stolen. Revoke the whole family.
    ReuseDetected,
    /// Revoked (logout, family revoked, user deactivated) or expired.
    Refuse,
}

pub fn decide_refresh(
    token: &RefreshTokenState,
    now: NaiveDateTime,
    grace: Duration,
) -> RefreshDecision {
    if token.revoked_at.is_some() || token.expires_at <= now {
        return RefreshDecision::Refuse;
    }
    match token.used_at {
        None => RefreshDecision::Rotate,
        Some(used) => {
            let since = (now - used).to_std().unwrap_or(Duration::ZERO);
            if since <= grace && !token.successor_spent {
                RefreshDecision::RetryWithinGrace
            } else {
                RefreshDecision::ReuseDetected
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, TimeDelta};

    fn t0() -> NaiveDateTime {
        DateTime::from_timestamp(1_800_000_000, 0)
            .unwrap()
            .naive_utc()
    }

    #[test]
    fn permissions_by_role() {
        assert!(Permission::UsersWrite.allows_role(Role::Admin));
        assert!(!Permission::UsersWrite.allows_role(Role::Manager));
        assert!(!Permission::UsersWrite.allows_role(Role::Shopper));
        assert!(Permission::UsersRead.allows_role(Role::Manager));
        assert!(!Permission::UsersRead.allows_role(Role::Shopper));
        assert!(Permission::OrganizationRead.allows_role(Role::Manager));
        assert!(!Permission::OrganizationWrite.allows_role(Role::Manager));
        assert!(!Permission::ApiKeysManage.allows_role(Role::Manager));
    }

    #[test]
    fn api_keys_need_the_matching_scope_and_never_manage() {
        assert!(Permission::UsersRead.allows_scopes(&[Scope::UsersRead]));
        assert!(!Permission::UsersRead.allows_scopes(&[Scope::ReportsRead]));
        assert!(!Permission::UsersWrite.allows_scopes(&[Scope::UsersRead]));
        assert!(!Permission::ApiKeysManage.allows_scopes(&[]));
    }

    #[test]
    fn role_round_trips_through_text() {
        for role in [Role::Admin, Role::Manager, Role::Shopper] {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
        }
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn login_delays_start_after_free_failures_and_grow_to_a_cap() {
        for f in 0..=FREE_LOGIN_FAILURES {
            assert_eq!(login_delay(f), None);
        }
        assert_eq!(login_delay(5), Some(Duration::from_secs(2)));
        assert_eq!(login_delay(6), Some(Duration::from_secs(4)));
        assert_eq!(login_delay(7), Some(Duration::from_secs(8)));
        assert_eq!(login_delay(14), Some(MAX_LOGIN_DELAY));
        assert_eq!(login_delay(1000), Some(MAX_LOGIN_DELAY));
    }

    #[test]
    fn retry_after_rounds_up() {
        let now = t0();
        assert_eq!(
            retry_after_secs(now, now + TimeDelta::milliseconds(1500)),
            Some(2)
        );
        assert_eq!(retry_after_secs(now, now + TimeDelta::seconds(2)), Some(2));
        assert_eq!(retry_after_secs(now, now), None);
        assert_eq!(retry_after_secs(now, now - TimeDelta::seconds(1)), None);
    }

    fn state(used: Option<i64>, revoked: bool, successor_spent: bool) -> RefreshTokenState {
        RefreshTokenState {
            expires_at: t0() + TimeDelta::days(30),
            used_at: used.map(|s| t0() + TimeDelta::seconds(s)),
            revoked_at: revoked.then(t0),
            successor_spent,
        }
    }

    #[test]
    fn refresh_rotation_decisions() {
        let grace = Duration::from_secs(30);
        let now = t0() + TimeDelta::seconds(100);
        assert_eq!(
            decide_refresh(&state(None, false, false), now, grace),
            RefreshDecision::Rotate
        );
        assert_eq!(
            decide_refresh(&state(Some(90), false, false), now, grace),
            RefreshDecision::RetryWithinGrace
        );
        assert_eq!(
            decide_refresh(&state(Some(90), false, true), now, grace),
            RefreshDecision::ReuseDetected
        );
        assert_eq!(
            decide_refresh(&state(Some(10), false, false), now, grace),
            RefreshDecision::ReuseDetected
        );
        assert_eq!(
            decide_refresh(&state(None, true, false), now, grace),
            RefreshDecision::Refuse
        );
        let mut expired = state(None, false, false);
        expired.expires_at = now;
        assert_eq!(
            decide_refresh(&expired, now, grace),
            RefreshDecision::Refuse
        );
    }

    #[test]
    fn password_rules() {}
}

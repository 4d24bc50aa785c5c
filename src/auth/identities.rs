//! Who a signed-in session is — its user (as `GET /v1/me` shows them), role and organization
//! (name and settings) — kept in memory for [`TTL`], so that an authenticated request does not
//! read it from the database every time (on PostgreSQL that read was most of `GET /v1/me`'s
//! time; on SQLite a trip to a reader thread).
//!
//! The promise that deactivation, a role change, sign-out and a password change apply at once
//! (not when the access token expires) is kept by forgetting, not by the TTL: every write that
//! can change what an entry says (`users::repo::{update, record_login, revoke_sessions}`,
//! `auth::repo::revoke_family`, `organizations::repo::update`) forgets the entries it touches as
//! it runs, and again when its transaction has ended (`crate::db::on_transaction_end`), before
//! the request that made it is answered. A read that raced the write cannot put the old state
//! back: an entry is kept only if nothing was forgotten since its read began (a generation,
//! compared under the lock).
//!
//! Another server process sharing one PostgreSQL database does not hear this one forget; there,
//! a change applies within [`TTL`]. API keys are not kept here (their check is a hash compare
//! and a rarely written `last_used_at`, on their own path).

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::organizations::model::OrganizationRow;
use crate::users::dto::User;

/// How long an entry answers without the database, at most. Short, so that a second server
/// process on the same database sees another's changes soon; long enough that a busy session
/// is read about once a second instead of on every request.
pub const TTL: Duration = Duration::from_secs(1);

/// Sessions kept at most; past this, expired entries are dropped, and all if none had expired.
const KEPT: usize = 50_000;

/// A confirmed session's identity.
#[derive(Debug, Clone)]
pub struct Identity {
    pub user: User,
    /// The organization's row (settings, no secret): the job board reads its rules from here.
    pub organization: OrganizationRow,
}

struct Entry {
    identity: Arc<Identity>,
    loaded: Instant,
}

#[derive(Default)]
struct Cache {
    /// By session id.
    entries: HashMap<String, Entry>,
    /// Moves on every forgetting; a read that began before it may not be kept.
    generation: u64,
}

static CACHE: LazyLock<Mutex<Cache>> = LazyLock::new(Default::default);

fn cache() -> MutexGuard<'static, Cache> {
    CACHE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Taken before reading an identity from the database, and given back to [`keep`].
#[derive(Debug, Clone, Copy)]
pub struct Generation(u64);

/// What a write changed.
#[derive(Debug, Clone)]
enum Changed {
    User(String),
    Session(String),
    Organization(String),
}

impl Cache {
    fn find(&self, session: &str, user: &str, organization: &str) -> Option<Arc<Identity>> {
        let entry = self.entries.get(session)?;
        let identity = &entry.identity;
        (entry.loaded.elapsed() < TTL
            && identity.user.id.to_string() == user
            && identity.user.organization_id.to_string() == organization)
            .then(|| identity.clone())
    }

    fn keep(&mut self, session: &str, identity: Arc<Identity>, since: Generation) {
        if self.generation != since.0 {
            return;
        }
        if self.entries.len() >= KEPT {
            self.entries.retain(|_, e| e.loaded.elapsed() < TTL);
            if self.entries.len() >= KEPT {
                self.entries.clear();
            }
        }
        self.entries.insert(
            session.to_string(),
            Entry {
                identity,
                loaded: Instant::now(),
            },
        );
    }

    fn forget(&mut self, changed: &Changed) {
        self.generation += 1;
        match changed {
            Changed::Session(id) => {
                self.entries.remove(id);
            }
            Changed::User(id) => self
                .entries
                .retain(|_, e| e.identity.user.id.to_string() != *id),
            Changed::Organization(id) => self
                .entries
                .retain(|_, e| e.identity.user.organization_id.to_string() != *id),
        }
    }
}

pub fn generation() -> Generation {
    Generation(cache().generation)
}

/// The identity of `session`, if it was confirmed less than [`TTL`] ago for this user of this
/// organization (what the access token claims).
pub fn find(session: &str, user: &str, organization: &str) -> Option<Arc<Identity>> {
    cache().find(session, user, organization)
}

/// Keeps `identity`, read from the database after `since` was taken, unless something was
/// forgotten in between (the read may then predate the change).
pub fn keep(session: &str, identity: Arc<Identity>, since: Generation) {
    cache().keep(session, identity, since);
}

/// Forgets now and once the current transaction has ended (see the module's note).
fn changed(what: Changed) {
    cache().forget(&what);
    crate::db::on_transaction_end(move || cache().forget(&what));
}

/// The user's account changed (role, activity, profile, password, sessions, last sign-in).
pub fn user_changed(user_id: &str) {
    changed(Changed::User(user_id.to_string()));
}

/// The session ended.
pub fn session_ended(session_id: &str) {
    changed(Changed::Session(session_id.to_string()));
}

/// The organization changed (its name and settings are part of an identity).
pub fn organization_changed(organization_id: &str) {
    changed(Changed::Organization(organization_id.to_string()));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::rules::Role;
    use chrono::Utc;

    fn identity(user: uuid::Uuid, org: uuid::Uuid) -> Arc<Identity> {
        Arc::new(Identity {
            user: User {
                id: user,
                organization_id: org,
                email: "a@example.com".into(),
                display_name: "A".into(),
                role: Role::Manager,
                active: true,
                version: 1,
                created_at: Utc::now(),
                updated_at: Utc::now(),
                last_login_at: None,
            },
            organization: OrganizationRow {
                id: org.to_string(),
                name: "Org".into(),
                cooldown_days: 0,
                max_active_assignments: 5,
                min_sample_size: 3,
                geofence_radius_m: 250,
                shoppers_see_scores: false,
                reimbursement_cap_minor: 5000,
                version: 1,
                created_at: Utc::now().naive_utc(),
                updated_at: Utc::now().naive_utc(),
            },
        })
    }

    fn ids() -> (uuid::Uuid, uuid::Uuid, String, String) {
        let (user, org) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
        (user, org, user.to_string(), org.to_string())
    }

    #[test]
    fn an_identity_is_found_for_its_own_user_and_organization_only() {
        let mut cache = Cache::default();
        let (user, org, u, o) = ids();
        cache.keep("s", identity(user, org), Generation(cache.generation));
        assert!(cache.find("s", &u, &o).is_some());
        assert!(cache
            .find("s", &uuid::Uuid::now_v7().to_string(), &o)
            .is_none());
        assert!(cache
            .find("s", &u, &uuid::Uuid::now_v7().to_string())
            .is_none());
        assert!(cache.find("other", &u, &o).is_none());
    }

    #[test]
    fn a_read_that_began_before_a_change_is_not_kept() {
        let mut cache = Cache::default();
        let (user, org, u, o) = ids();
        let before = Generation(cache.generation);
        // Any change (here another user's) between the read and keeping it.
        cache.forget(&Changed::User(uuid::Uuid::now_v7().to_string()));
        cache.keep("s", identity(user, org), before);
        assert!(cache.find("s", &u, &o).is_none());
    }

    #[test]
    fn a_change_forgets_the_users_sessions_the_session_or_the_organizations() {
        let mut cache = Cache::default();
        let (user, org, u, o) = ids();
        let (other, _, other_id, _) = ids();
        let keep = |cache: &mut Cache, session: &str, user| {
            let now = Generation(cache.generation);
            cache.keep(session, identity(user, org), now);
        };
        keep(&mut cache, "1", user);
        keep(&mut cache, "2", user);
        keep(&mut cache, "3", other);
        cache.forget(&Changed::User(u.clone()));
        assert!(cache.find("1", &u, &o).is_none() && cache.find("2", &u, &o).is_none());
        assert!(
            cache.find("3", &other_id, &o).is_some(),
            "another user's stays"
        );

        keep(&mut cache, "1", user);
        cache.forget(&Changed::Session("1".into()));
        assert!(cache.find("1", &u, &o).is_none());
        assert!(cache.find("3", &other_id, &o).is_some());

        cache.forget(&Changed::Organization(o.clone()));
        assert!(cache.find("3", &other_id, &o).is_none());
    }
}

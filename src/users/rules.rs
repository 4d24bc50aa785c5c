//! Rules on changing users, free of HTTP and SQL.

use crate::auth::rules::Role;

/// A user as it is and as a change would leave it.
#[derive(Debug, Clone, Copy)]
pub struct AdminChange {
    pub acting_on_self: bool,
    pub was_active_admin: bool,
    pub will_be_active_admin: bool,
    /// Active admins in the organization now, this user included.
    pub active_admins: i64,
}

/// Refuses changes that would lock the organization out of its own administration.
pub fn check_admin_change(change: AdminChange) -> Result<(), &'static str> {
    let loses_an_admin = change.was_active_admin && !change.will_be_active_admin;
    if loses_an_admin && change.acting_on_self {
        return Err("admins cannot demote or deactivate themselves; ask another admin");
    }
    if loses_an_admin && change.active_admins <= 1 {
        return Err("the organization must keep at least one active admin");
    }
    Ok(())
}

pub fn is_active_admin(role: Role, active: bool) -> bool {
    role == Role::Admin && active
}

/// Emails are compared case-insensitively; they are stored trimmed and lower-cased.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(self_: bool, was: bool, will: bool, admins: i64) -> Result<(), &'static str> {
        check_admin_change(AdminChange {
            acting_on_self: self_,
            was_active_admin: was,
            will_be_active_admin: will,
            active_admins: admins,
        })
    }

    #[test]
    fn the_last_admin_stays() {
        assert!(change(false, true, false, 1).is_err());
        assert!(change(false, true, false, 2).is_ok());
        assert!(change(true, true, false, 5).is_err());
        assert!(change(true, true, true, 1).is_ok());
        assert!(change(false, false, false, 0).is_ok());
    }

    #[test]
    fn emails_normalize() {
        assert_eq!(normalize_email("  Ann@Example.COM "), "ann@example.com");
    }
}

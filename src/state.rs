//! What every handler can reach: the database, configuration, keys and the password hasher.

use std::sync::Arc;

use crate::auth::password::Passwords;
use crate::auth::tokens::JwtKeys;
use crate::config::Config;
use crate::db::Db;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub jwt: JwtKeys,
    pub passwords: Passwords,
    /// Where evidence files are stored.
    pub files: Arc<dyn object_store::ObjectStore>,
    /// Rate limits of the public (no-account) survey endpoints.
    pub public_limits: Arc<crate::surveys::public::PublicLimits>,
}

impl AppState {
    /// Fails when the evidence storage cannot be set up (a directory that cannot be created,
    /// S3 settings that do not parse).
    pub fn new(db: Db, config: Config) -> Result<Self, String> {
        let jwt = JwtKeys::new(&config.jwt_secret, config.access_token_ttl);
        let passwords = Passwords::new(config.hash_concurrency);
        let files = config.attachments.open()?;
        let public_limits = Arc::new(crate::surveys::public::PublicLimits::new(
            config.public_rate_per_minute,
        ));
        Ok(Self {
            db,
            config: Arc::new(config),
            jwt,
            passwords,
            files,
            public_limits,
        })
    }
}

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
}

impl AppState {
    pub fn new(db: Db, config: Config) -> Self {
        let jwt = JwtKeys::new(&config.jwt_secret, config.access_token_ttl);
        let passwords = Passwords::new(config.hash_concurrency);
        Self {
            db,
            config: Arc::new(config),
            jwt,
            passwords,
        }
    }
}

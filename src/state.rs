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
}

impl AppState {
    /// Fails when the attachments directory cannot be created.
    pub fn new(db: Db, config: Config) -> std::io::Result<Self> {
        let jwt = JwtKeys::new(&config.jwt_secret, config.access_token_ttl);
        let passwords = Passwords::new(config.hash_concurrency);
        std::fs::create_dir_all(&config.attachments_dir)?;
        let files = object_store::local::LocalFileSystem::new_with_prefix(&config.attachments_dir)
            .map_err(std::io::Error::other)?;
        Ok(Self {
            db,
            config: Arc::new(config),
            jwt,
            passwords,
            files: Arc::new(files),
        })
    }
}

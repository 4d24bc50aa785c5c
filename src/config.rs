//! Typed configuration, read from CLI flags or `SHOPGAP_*` environment variables and handed to the
//! app as data (never a global, so tests can run many differently configured apps at once).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine;
use clap::Args;
use rand::RngCore;

use crate::attachments::storage::Storage;

/// Settings shared by every command that opens the database.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// Directory for the embedded SQLite database, the generated JWT secret and local files.
    #[arg(long, env = "SHOPGAP_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    /// `postgres://…` for PostgreSQL; a file path or `sqlite://…` for SQLite.
    /// Default: `<data-dir>/shopgap.db`.
    #[arg(long, env = "SHOPGAP_DATABASE_URL")]
    pub database_url: Option<String>,

    /// Maximum pooled database connections.
    #[arg(long, env = "SHOPGAP_DB_POOL_SIZE", default_value_t = 16)]
    pub db_pool_size: u32,
}

impl DatabaseArgs {
    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| {
            self.data_dir
                .join("shopgap.db")
                .to_string_lossy()
                .into_owned()
        })
    }
}

/// Settings of `shopgap serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub db: DatabaseArgs,

    /// Address and port to listen on.
    #[arg(long, env = "SHOPGAP_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,

    /// HS256 secret for access tokens, at least 32 bytes. When absent, a random one is generated
    /// once and kept in `<data-dir>/jwt-secret` (set it explicitly when several processes share a
    /// database, so they accept each other's tokens).
    #[arg(long, env = "SHOPGAP_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,

    /// Lifetime of an access token, in seconds.
    #[arg(long, env = "SHOPGAP_ACCESS_TOKEN_TTL", default_value_t = 900)]
    pub access_token_ttl: u64,

    /// Lifetime of a refresh token, in seconds (30 days by default).
    #[arg(long, env = "SHOPGAP_REFRESH_TOKEN_TTL", default_value_t = 2_592_000)]
    pub refresh_token_ttl: u64,

    /// How long a spent refresh token may be presented again (a retried request from a phone
    /// that never received the answer) before it counts as stolen, in seconds.
    #[arg(long, env = "SHOPGAP_REFRESH_GRACE", default_value_t = 30)]
    pub refresh_grace: u64,

    /// Password hashes computed at once. Default: one fewer than the CPU count (at least one),
    /// so a login storm leaves a core for every other request.
    #[arg(long, env = "SHOPGAP_HASH_CONCURRENCY")]
    pub hash_concurrency: Option<usize>,

    /// Requests a minute one client address may make to the public (no-account) survey
    /// endpoints, per process; each survey link takes 20 times as many answers.
    #[arg(long, env = "SHOPGAP_PUBLIC_RATE_PER_MINUTE", default_value_t = 30)]
    pub public_rate_per_minute: u32,

    /// Largest JSON request body, in bytes.
    #[arg(long, env = "SHOPGAP_MAX_JSON_BYTES", default_value_t = 1_048_576)]
    pub max_json_bytes: usize,

    /// Seconds between sweeps that mark assignments whose window ended as expired (readers see
    /// them as expired at once either way).
    #[arg(long, env = "SHOPGAP_EXPIRY_INTERVAL", default_value_t = 60)]
    pub expiry_interval: u64,

    /// Visits shorter than this many minutes are flagged for the reviewer.
    #[arg(long, env = "SHOPGAP_MIN_VISIT_MINUTES", default_value_t = 5)]
    pub min_visit_minutes: u64,

    /// A phone clock more than this many minutes off the server's is flagged.
    #[arg(long, env = "SHOPGAP_MAX_CLOCK_SKEW_MINUTES", default_value_t = 10)]
    pub max_clock_skew_minutes: u64,

    /// Directory for evidence files (default `<data-dir>/attachments`).
    #[arg(long, env = "SHOPGAP_ATTACHMENTS_DIR")]
    pub attachments_dir: Option<PathBuf>,

    /// Keep evidence files in an S3-compatible bucket instead: `s3://bucket[/prefix]`.
    /// Credentials and region come from the standard `AWS_*` variables.
    #[arg(long, env = "SHOPGAP_ATTACHMENTS_URL")]
    pub attachments_url: Option<String>,

    /// S3-compatible endpoint (MinIO, Ceph, R2, …), e.g. `http://minio:9000`; AWS when unset.
    #[arg(long, env = "SHOPGAP_S3_ENDPOINT")]
    pub s3_endpoint: Option<String>,

    /// S3 region (overrides `AWS_REGION`).
    #[arg(long, env = "SHOPGAP_S3_REGION")]
    pub s3_region: Option<String>,

    /// Largest evidence file, in bytes (413 beyond).
    #[arg(
        long,
        env = "SHOPGAP_MAX_ATTACHMENT_BYTES",
        default_value_t = 10_485_760
    )]
    pub max_attachment_bytes: usize,

    /// HTTP worker threads (default: one per CPU).
    #[arg(long, env = "SHOPGAP_WORKERS")]
    pub workers: Option<usize>,

    /// Seconds to let in-flight requests finish after SIGTERM/SIGINT.
    #[arg(long, env = "SHOPGAP_SHUTDOWN_TIMEOUT", default_value_t = 30)]
    pub shutdown_timeout: u64,

    /// Key that seals webhook signing secrets at rest: base64 of 32 bytes. When absent, a random
    /// one is generated once and kept in `<data-dir>/secret-key` (set it explicitly when several
    /// processes share a database; losing it makes every webhook need a new secret).
    #[arg(long, env = "SHOPGAP_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,

    /// Allow `http://` webhook URLs (development only; https otherwise).
    #[arg(long, env = "SHOPGAP_WEBHOOK_ALLOW_HTTP")]
    pub webhook_allow_http: bool,

    /// Allow webhook URLs on loopback, private and link-local addresses (tests and local
    /// development only: it lets a webhook reach this machine and its network).
    #[arg(long, env = "SHOPGAP_WEBHOOK_ALLOW_PRIVATE")]
    pub webhook_allow_private: bool,

    /// Multiplies webhook retry delays and the disabling period (drills and tests shrink
    /// three days of retries to seconds; 1 in production).
    #[arg(long, env = "SHOPGAP_WEBHOOK_TIME_SCALE", default_value_t = 1.0)]
    pub webhook_time_scale: f64,

    /// Analyse evidence photos in the background (perceptual hash, capture time) for the
    /// `reused_photo` and `photo_time` flags. `false` stores images without analysis.
    #[arg(long, env = "SHOPGAP_PHOTO_HASHING", default_value_t = true, action = clap::ArgAction::Set)]
    pub photo_hashing: bool,

    /// Two photos whose 64-bit perceptual hashes differ in at most this many bits are the same
    /// picture (0 to 7: a resized or recompressed copy differs in a few bits, unrelated photos
    /// in about 32).
    #[arg(long, env = "SHOPGAP_PHOTO_MATCH_DISTANCE", default_value_t = 6,
          value_parser = clap::value_parser!(u32).range(0..=7))]
    pub photo_match_distance: u32,

    /// A photo taken more than this many minutes before the visit started or after it ended is
    /// flagged `photo_time`.
    #[arg(
        long,
        env = "SHOPGAP_PHOTO_TIME_TOLERANCE_MINUTES",
        default_value_t = 30
    )]
    pub photo_time_tolerance_minutes: u64,

    /// Create (or refresh) the demo organization and print its credentials. On its first start
    /// it is also given half a year of history (see `--demo-history`).
    #[arg(long, env = "SHOPGAP_DEMO")]
    pub demo: bool,

    /// With `--demo`: on the demo organization's first start, generate its locations, shoppers
    /// and a small history (480 visits, surveys, actions, a review queue), so every report shows
    /// something. `false` keeps it empty (the benchmarks make their own data).
    #[arg(long, env = "SHOPGAP_DEMO_HISTORY", default_value_t = true, action = clap::ArgAction::Set)]
    pub demo_history: bool,
}

/// What the running app needs, resolved from [`ServeArgs`].
#[derive(Clone)]
pub struct Config {
    pub jwt_secret: Vec<u8>,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub refresh_grace: Duration,
    pub hash_concurrency: usize,
    pub max_json_bytes: usize,
    /// How often assignments whose window ended are marked expired.
    pub expiry_interval: Duration,
    /// Visits shorter than this are flagged for the reviewer.
    pub min_visit: Duration,
    /// A phone clock further than this from the server's is flagged.
    pub max_clock_skew: Duration,
    /// Where evidence files are kept: a local directory or an S3-compatible bucket.
    pub attachments: Storage,
    /// Largest evidence file, in bytes.
    pub max_attachment_bytes: usize,
    /// Requests a minute per client address to the public survey endpoints.
    pub public_rate_per_minute: u32,
    /// Seals webhook secrets at rest.
    pub secret_key: [u8; 32],
    pub webhooks: WebhookSettings,
    pub photos: PhotoSettings,
}

/// How evidence photos are analysed and flagged.
#[derive(Debug, Clone, Copy)]
pub struct PhotoSettings {
    /// Whether the background worker hashes images at all.
    pub hashing: bool,
    /// Largest Hamming distance between two hashes of the same picture (at most
    /// [`crate::photos::rules::MAX_MATCH_DISTANCE`]).
    pub match_distance: u32,
    /// How far outside the visit a photo may have been taken without a flag.
    pub time_tolerance: Duration,
}

impl Default for PhotoSettings {
    fn default() -> Self {
        PhotoSettings {
            hashing: true,
            match_distance: 6,
            time_tolerance: Duration::from_secs(30 * 60),
        }
    }
}

/// How webhooks may be delivered.
#[derive(Debug, Clone, Copy)]
pub struct WebhookSettings {
    pub allow_http: bool,
    pub allow_private: bool,
    /// Multiplies retry delays and the disabling period.
    pub time_scale: f64,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        WebhookSettings {
            allow_http: false,
            allow_private: false,
            time_scale: 1.0,
        }
    }
}

impl WebhookSettings {
    pub fn policy(self) -> crate::webhooks::rules::UrlPolicy {
        crate::webhooks::rules::UrlPolicy {
            allow_http: self.allow_http,
            allow_private: self.allow_private,
        }
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("jwt_secret", &"<redacted>")
            .field("access_token_ttl", &self.access_token_ttl)
            .field("refresh_token_ttl", &self.refresh_token_ttl)
            .field("refresh_grace", &self.refresh_grace)
            .field("hash_concurrency", &self.hash_concurrency)
            .field("max_json_bytes", &self.max_json_bytes)
            .field("expiry_interval", &self.expiry_interval)
            .field("min_visit", &self.min_visit)
            .field("max_clock_skew", &self.max_clock_skew)
            .field("attachments", &self.attachments)
            .field("max_attachment_bytes", &self.max_attachment_bytes)
            .field("public_rate_per_minute", &self.public_rate_per_minute)
            .field("secret_key", &"<redacted>")
            .field("webhooks", &self.webhooks)
            .field("photos", &self.photos)
            .finish()
    }
}

pub const MIN_JWT_SECRET_BYTES: usize = 32;

impl Config {
    pub fn from_args(args: &ServeArgs) -> Result<Self, String> {
        let jwt_secret = match &args.jwt_secret {
            Some(s) => {
                if s.len() < MIN_JWT_SECRET_BYTES {
                    return Err(format!(
                        "SHOPGAP_JWT_SECRET must be at least {MIN_JWT_SECRET_BYTES} bytes (256 bits)"
                    ));
                }
                s.as_bytes().to_vec()
            }
            None => {
                load_or_create_secret(&args.db.data_dir, "jwt-secret", 48, "SHOPGAP_JWT_SECRET")?
            }
        };
        let secret_key = match &args.secret_key {
            Some(s) => base64::engine::general_purpose::STANDARD
                .decode(s.trim())
                .ok(),
            None => Some(load_or_create_secret(
                &args.db.data_dir,
                "secret-key",
                32,
                "SHOPGAP_SECRET_KEY",
            )?),
        }
        .and_then(|k| <[u8; 32]>::try_from(k).ok())
        .ok_or("SHOPGAP_SECRET_KEY must be base64 of exactly 32 bytes")?;
        if !(args.webhook_time_scale.is_finite() && args.webhook_time_scale >= 0.0) {
            return Err("SHOPGAP_WEBHOOK_TIME_SCALE must be a number from 0".into());
        }
        if args.access_token_ttl == 0 || args.refresh_token_ttl == 0 {
            return Err("token lifetimes must be positive".into());
        }
        Ok(Config {
            jwt_secret,
            access_token_ttl: Duration::from_secs(args.access_token_ttl),
            refresh_token_ttl: Duration::from_secs(args.refresh_token_ttl),
            refresh_grace: Duration::from_secs(args.refresh_grace),
            hash_concurrency: args
                .hash_concurrency
                .unwrap_or_else(default_hash_concurrency)
                .max(1),
            max_json_bytes: args.max_json_bytes.max(1024),
            expiry_interval: Duration::from_secs(args.expiry_interval.max(1)),
            min_visit: Duration::from_secs(args.min_visit_minutes * 60),
            max_clock_skew: Duration::from_secs(args.max_clock_skew_minutes * 60),
            attachments: Storage::from_settings(
                args.attachments_url.as_deref(),
                args.s3_endpoint.clone(),
                args.s3_region.clone(),
                args.attachments_dir
                    .clone()
                    .unwrap_or_else(|| args.db.data_dir.join("attachments")),
            )?,
            max_attachment_bytes: args.max_attachment_bytes.max(1024),
            public_rate_per_minute: args.public_rate_per_minute.max(1),
            secret_key,
            webhooks: WebhookSettings {
                allow_http: args.webhook_allow_http,
                allow_private: args.webhook_allow_private,
                time_scale: args.webhook_time_scale,
            },
            photos: PhotoSettings {
                hashing: args.photo_hashing,
                match_distance: args
                    .photo_match_distance
                    .min(crate::photos::rules::MAX_MATCH_DISTANCE),
                time_tolerance: Duration::from_secs(args.photo_time_tolerance_minutes * 60),
            },
        })
    }

    /// A configuration for tests and tools: the given secret, default lifetimes.
    pub fn with_secret(secret: &[u8]) -> Self {
        Config {
            jwt_secret: secret.to_vec(),
            access_token_ttl: Duration::from_secs(900),
            refresh_token_ttl: Duration::from_secs(2_592_000),
            refresh_grace: Duration::from_secs(30),
            hash_concurrency: default_hash_concurrency(),
            max_json_bytes: 1_048_576,
            expiry_interval: Duration::from_secs(60),
            min_visit: Duration::from_secs(5 * 60),
            max_clock_skew: Duration::from_secs(10 * 60),
            attachments: Storage::Directory(std::env::temp_dir().join("shopgap-attachments")),
            max_attachment_bytes: 10 * 1024 * 1024,
            public_rate_per_minute: 30,
            secret_key: {
                use sha2::Digest;
                sha2::Sha256::digest([b"shopgap secret key:".as_slice(), secret].concat()).into()
            },
            // Tests deliver to receivers on this machine.
            webhooks: WebhookSettings {
                allow_http: true,
                allow_private: true,
                time_scale: 1.0,
            },
            photos: PhotoSettings::default(),
        }
    }
}

fn default_hash_concurrency() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get().saturating_sub(1))
        .unwrap_or(1)
        .max(1)
}

/// Reads `<data_dir>/<file>`, or creates it (owner-only permissions) with `bytes` random bytes.
fn load_or_create_secret(
    data_dir: &Path,
    file: &str,
    bytes: usize,
    variable: &str,
) -> Result<Vec<u8>, String> {
    let path = data_dir.join(file);
    match std::fs::read_to_string(&path) {
        Ok(text) => base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .ok()
            .filter(|s| s.len() >= bytes.min(MIN_JWT_SECRET_BYTES))
            .ok_or_else(|| format!("{} does not hold a valid secret", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(data_dir)
                .map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
            let mut secret = vec![0u8; bytes];
            rand::rngs::OsRng.fill_bytes(&mut secret);
            let encoded = base64::engine::general_purpose::STANDARD.encode(&secret);
            write_private(&path, &encoded)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            tracing::warn!(
                path = %path.display(),
                "no {variable} given: generated one and stored it in the data directory; \
                 set {variable} explicitly when several processes share a database"
            );
            Ok(secret)
        }
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secret_is_kept_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first =
            load_or_create_secret(dir.path(), "jwt-secret", 48, "SHOPGAP_JWT_SECRET").unwrap();
        let second =
            load_or_create_secret(dir.path(), "jwt-secret", 48, "SHOPGAP_JWT_SECRET").unwrap();
        assert_eq!(first, second);
        assert!(first.len() >= MIN_JWT_SECRET_BYTES);
    }
}

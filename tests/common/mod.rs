//! The test app: a real server on a real port over a fresh database per test.
//!
//! SQLite by default (a file in a temporary directory). With `TEST_DATABASE_URL=postgres://…`
//! every test gets its own PostgreSQL database, cloned from a template migrated once per
//! migration set, so tests stay isolated and can run in parallel.
#![allow(dead_code)]

use std::net::TcpListener;
use std::sync::OnceLock;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, RunQueryDsl};
use reqwest::Method;
use serde_json::Value;
use shopgap::app::{serve, ServerOptions};
use shopgap::attachments::storage::Storage;
use shopgap::auth::password::hash_password_blocking;
use shopgap::auth::rules::Role;
use shopgap::config::Config;
use shopgap::db::{connect_pool, run_migrations, Db, DbTarget, Pool};
use shopgap::demo::{new_organization_row, new_user_row};

pub const JWT_SECRET: &[u8] = b"test-secret-test-secret-test-secret-0123456789";
pub const PASSWORD: &str = "correct horse battery staple";

/// Where this test's database lives; dropping it removes the database.
enum TestDb {
    Sqlite(tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let TestDb::Postgres { admin_url, name } = self {
            if let Ok(mut conn) = PgConnection::establish(admin_url) {
                let _ =
                    conn.batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
            }
        }
    }
}

pub fn backend() -> &'static str {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if url.starts_with("postgres") => "postgres",
        _ => "sqlite",
    }
}

/// Replaces the database name at the end of a PostgreSQL URL.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let cut = base.rfind('/').expect("a PostgreSQL URL names a database");
    format!("{}/{name}{query}", &base[..cut])
}

/// A name for the template that changes whenever a migration does.
fn template_name() -> String {
    let mut text = String::new();
    let mut entries: Vec<_> =
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres"))
            .expect("migrations/postgres")
            .map(|e| e.unwrap().path())
            .collect();
    entries.sort();
    for dir in entries {
        for file in ["up.sql", "down.sql"] {
            text.push_str(&std::fs::read_to_string(dir.join(file)).unwrap_or_default());
        }
    }
    let digest = shopgap::auth::tokens::sha256_hex(&text);
    format!("shopgap_tpl_{}", &digest[..16])
}

fn postgres_database(admin_url: &str) -> (TestDb, String) {
    // Before this process's first PostgreSQL connection (see `init_tls`).
    shopgap::db::init_tls();
    let mut admin = PgConnection::establish(admin_url)
        .unwrap_or_else(|e| panic!("TEST_DATABASE_URL {admin_url} is not reachable: {e}"));
    let template = template_name();
    // One process at a time checks and builds the template.
    admin
        .batch_execute("SELECT pg_advisory_lock(724100)")
        .unwrap();
    let exists: bool = diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(&format!(
        "EXISTS (SELECT 1 FROM pg_database WHERE datname = '{template}')"
    )))
    .get_result(&mut admin)
    .unwrap();
    if !exists {
        let building = format!("{template}_building");
        admin
            .batch_execute(&format!(
                "DROP DATABASE IF EXISTS \"{building}\" WITH (FORCE)"
            ))
            .unwrap();
        admin
            .batch_execute(&format!("CREATE DATABASE \"{building}\""))
            .unwrap();
        {
            let mut conn = shopgap::db::DbConn::Postgres(
                PgConnection::establish(&with_database(admin_url, &building)).unwrap(),
            );
            run_migrations(&mut conn).expect("migrations apply on PostgreSQL");
        }
        admin
            .batch_execute(&format!(
                "ALTER DATABASE \"{building}\" RENAME TO \"{template}\""
            ))
            .unwrap();
    }
    admin
        .batch_execute("SELECT pg_advisory_unlock(724100)")
        .unwrap();
    let name = format!("shopgap_test_{}", uuid::Uuid::now_v7().simple());
    admin
        .batch_execute(&format!(
            "CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""
        ))
        .unwrap();
    let url = with_database(admin_url, &name);
    (
        TestDb::Postgres {
            admin_url: admin_url.to_string(),
            name,
        },
        url,
    )
}

fn fresh_database() -> (TestDb, String) {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if url.starts_with("postgres") => postgres_database(&url),
        Ok(url) if !url.is_empty() => {
            panic!("TEST_DATABASE_URL must be a postgres:// URL, not {url}")
        }
        _ => {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("shopgap.db").to_string_lossy().into_owned();
            (TestDb::Sqlite(dir), path)
        }
    }
}

/// The argon2 hash of [`PASSWORD`], computed once per test binary.
fn password_hash() -> String {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| hash_password_blocking(PASSWORD).unwrap())
        .clone()
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub pool: Pool,
    pub database_url: String,
    server: actix_web::dev::ServerHandle,
    _db: TestDb,
    _files: tempfile::TempDir,
}

#[derive(Debug, Clone)]
pub struct Account {
    pub id: String,
    pub email: String,
    pub role: Role,
    pub access_token: String,
    pub refresh_token: String,
}

#[derive(Debug, Clone)]
pub struct Org {
    pub id: String,
    pub admin: Account,
    pub manager: Account,
    pub shopper: Account,
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }

    /// Asserts the status, showing the body when it differs.
    #[track_caller]
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.body
        );
        self
    }

    /// Asserts an RFC 9457 problem with this status.
    #[track_caller]
    pub fn expect_problem(self, status: u16) -> Self {
        let this = self.expect(status);
        assert_eq!(
            this.header("content-type").as_deref(),
            Some("application/problem+json"),
            "problem content type"
        );
        assert_eq!(this.body["status"], status);
        assert!(this.body["type"]
            .as_str()
            .unwrap()
            .starts_with("urn:shopgap:problem:"));
        assert!(this.body["title"].is_string() && this.body["detail"].is_string());
        this
    }
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(Config::with_secret(JWT_SECRET)).await
    }

    pub async fn spawn_with(config: Config) -> TestApp {
        let (db, url) = fresh_database();
        let target = DbTarget::parse(&url).unwrap();
        let pool = connect_pool(&target, 8).unwrap();
        run_migrations(&mut pool.get().unwrap()).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let files = tempfile::tempdir().unwrap();
        let mut config = config;
        if let Storage::Directory(_) = config.attachments {
            config.attachments = Storage::Directory(files.path().to_path_buf());
        }
        let state = shopgap::state::AppState::new(Db::new(pool.clone(), &target), config).unwrap();
        let server = serve(
            listener,
            state,
            ServerOptions {
                workers: Some(2),
                shutdown_timeout: std::time::Duration::from_secs(1),
            },
        )
        .unwrap();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        TestApp {
            base: format!("http://127.0.0.1:{port}"),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            pool,
            database_url: url,
            server: handle,
            _db: db,
            _files: files,
        }
    }

    /// An organization with an admin, a manager and a shopper, each signed in.
    pub async fn seed_org(&self, name: &str) -> Org {
        let org = new_organization_row(name);
        let mut conn = self.pool.get().unwrap();
        shopgap::organizations::repo::insert(&mut conn, &org).unwrap();
        let slug = name.to_lowercase().replace(' ', "-");
        let mut accounts = Vec::new();
        for role in [Role::Admin, Role::Manager, Role::Shopper] {
            let email = format!("{}@{slug}.example.com", role.as_str());
            let row = new_user_row(&org.id, &email, role.as_str(), role, password_hash());
            shopgap::users::repo::insert(&mut conn, &row).unwrap();
            accounts.push((row.id, email, role));
        }
        drop(conn);
        let mut signed_in = Vec::new();
        for (id, email, role) in accounts {
            let tokens = self.login(&email, PASSWORD).await.expect(200).body;
            signed_in.push(Account {
                id,
                email,
                role,
                access_token: tokens["access_token"].as_str().unwrap().to_string(),
                refresh_token: tokens["refresh_token"].as_str().unwrap().to_string(),
            });
        }
        let shopper = signed_in.pop().unwrap();
        let manager = signed_in.pop().unwrap();
        let admin = signed_in.pop().unwrap();
        Org {
            id: org.id,
            admin,
            manager,
            shopper,
        }
    }

    pub async fn login(&self, email: &str, password: &str) -> Resp {
        self.post(
            "/v1/auth/login",
            None,
            serde_json::json!({"email": email, "password": password}),
        )
        .await
    }

    /// Sends a request. `auth` starting with `sgk_` goes as `X-API-Key`, anything else as a bearer token.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        auth: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(auth) = auth {
            request = if auth.starts_with("sgk_") {
                request.header("X-API-Key", auth)
            } else {
                request.bearer_auth(auth)
            };
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        self.send(request).await
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> Resp {
        let response = request.send().await.expect("the server answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.unwrap();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        Resp {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str, auth: Option<&str>) -> Resp {
        self.call(Method::GET, path, auth, None).await
    }

    /// The body of a successful GET as text (CSV exports, say).
    pub async fn get_text(&self, path: &str, auth: &str) -> String {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(auth)
            .send()
            .await
            .expect("the server answers");
        assert_eq!(response.status(), 200, "GET {path}");
        response.text().await.unwrap()
    }

    pub async fn post(&self, path: &str, auth: Option<&str>, body: Value) -> Resp {
        self.call(Method::POST, path, auth, Some(body)).await
    }

    pub async fn patch(&self, path: &str, auth: Option<&str>, body: Value) -> Resp {
        self.call(Method::PATCH, path, auth, Some(body)).await
    }

    pub async fn delete(&self, path: &str, auth: Option<&str>) -> Resp {
        self.call(Method::DELETE, path, auth, None).await
    }

    /// Reverts the migrations from `version` (its `YYYY-MM-DD-NNNNNN` prefix) on, then applies
    /// them again as a server start does (maintenance included): an upgrade of this database.
    pub async fn redo_migrations_from(&self, version: &str) {
        redo_migrations_from(self, version).await
    }

    /// Where this test server keeps evidence files (directory storage).
    pub fn files_dir(&self) -> &std::path::Path {
        self._files.path()
    }

    /// Every file under the evidence directory, recursively.
    pub fn stored_files(&self) -> Vec<std::path::PathBuf> {
        fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, out);
                } else {
                    out.push(path);
                }
            }
        }
        let mut out = Vec::new();
        walk(self.files_dir(), &mut out);
        out
    }

    /// A new shopper of `org` named `name`, signed in: (user id, access token).
    pub async fn new_shopper(&self, org: &Org, name: &str) -> (String, String) {
        let created = self
            .post("/v1/users", Some(&org.admin.access_token), serde_json::json!({"email": format!("{name}@acme.example.com"), "display_name": name, "role": "shopper", "password": PASSWORD}))
            .await
            .expect(201)
            .body;
        let token = self
            .login(&format!("{name}@acme.example.com"), PASSWORD)
            .await
            .expect(200)
            .body;
        (
            created["user"]["id"].as_str().unwrap().to_string(),
            token["access_token"].as_str().unwrap().to_string(),
        )
    }

    /// Creates an API key with `scopes` as the org's admin and returns its secret.
    pub async fn api_key(&self, org: &Org, scopes: &[&str]) -> String {
        let created = self
            .post(
                "/v1/api-keys",
                Some(&org.admin.access_token),
                serde_json::json!({"name": "integration", "scopes": scopes}),
            )
            .await
            .expect(201);
        created.body["secret"].as_str().unwrap().to_string()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Stop accepting work; the database is removed right after.
        let handle = self.server.clone();
        actix_web::rt::spawn(async move { handle.stop(false).await });
    }
}

/// See [`TestApp::redo_migrations_from`].
pub async fn redo_migrations_from(app: &TestApp, version: &str) {
    let pool = app.pool.clone();
    let version = version.replace('-', "");
    actix_web::web::block(move || {
        use diesel_migrations::MigrationHarness;
        use shopgap::db::{DbConn, POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS};
        let mut conn = pool.get().unwrap();
        let conn: &mut DbConn = &mut conn;
        loop {
            let reverted = match conn {
                DbConn::Postgres(c) => c.revert_last_migration(POSTGRES_MIGRATIONS),
                DbConn::Sqlite(c) => c.revert_last_migration(SQLITE_MIGRATIONS),
            }
            .unwrap()
            .to_string();
            if reverted.replace('-', "").starts_with(&version) {
                break;
            }
        }
        shopgap::db::run_migrations(conn).unwrap();
    })
    .await
    .unwrap();
}

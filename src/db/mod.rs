//! The database layer: one connection type over SQLite and PostgreSQL, its pool and migrations.
//!
//! Domain code is written once against [`DbConn`]. Diesel's `MultiConnection` only supports what
//! both backends share, so ids and JSON are stored as text and times as UTC timestamps. Where the
//! SQL has to differ, [`DbConn`] is matched on in this module only.
//!
//! Lookups by a unique key use `get_result`, not `first`: `first` adds `LIMIT ?`, and SQLite
//! plans with the bound limit, so such a statement is re-prepared on every execution even when
//! cached (measured: a fifth of the write path's CPU). `first` stays where an order picks a row.
//!
//! A row fetched by id is looked up by its primary key alone and its tenant checked on the row
//! (`organization_id == org` in Rust, another tenant's row reads as absent). Filtering by
//! organization in SQL as well let PostgreSQL's generic plan for the prepared statement pick an
//! index led by `organization_id` when the table had no statistics yet, and scan every row of
//! the tenant per lookup (measured while generating 10,000 visits: 360 million index entries
//! read for 75,000 lookups).

pub mod group_commit;
pub mod json_rows;
pub mod readers;
pub mod reuse;
pub mod schema;
pub mod with_writes;

use std::time::{Duration, Instant};

use diesel::connection::{Instrumentation, InstrumentationEvent, SimpleConnection};
use diesel::r2d2::{self, ManageConnection, PooledConnection};
use diesel::{Connection, PgConnection, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::error::ApiError;

#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Which backend a database URL selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbTarget {
    Postgres(String),
    /// A file path (an `sqlite://` or `sqlite:` prefix already removed).
    Sqlite(String),
}

impl DbTarget {
    /// `postgres://` and `postgresql://` URLs select PostgreSQL; anything else is a SQLite file,
    /// given as a plain path or with an `sqlite://` / `sqlite:` prefix. An in-memory SQLite
    /// database is refused: every pooled connection would see a different empty database.
    pub fn parse(url: &str) -> Result<Self, String> {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let sslmode_set = std::env::var_os("PGSSLMODE").is_some();
            return Ok(DbTarget::Postgres(without_tls_on_loopback(
                url,
                sslmode_set,
            )));
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        if path.is_empty() {
            return Err("the database URL is empty".into());
        }
        if path == ":memory:" || path.contains("mode=memory") {
            return Err(
                "an in-memory SQLite database cannot be shared by a pool; give a file".into(),
            );
        }
        if path.contains("://") {
            return Err(format!(
                "unsupported database URL scheme in {path:?}; use postgres:// or a SQLite file path"
            ));
        }
        Ok(DbTarget::Sqlite(path.to_string()))
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            DbTarget::Postgres(_) => "postgres",
            DbTarget::Sqlite(_) => "sqlite",
        }
    }
}

/// A PostgreSQL URL on this machine's loopback, without an `sslmode` of its own (nor one in
/// libpq's `PGSSLMODE`, `sslmode_set`), gets `sslmode=disable`; any other URL is kept as given.
///
/// libpq's default, `prefer`, negotiates TLS whenever the server offers it, and Debian's
/// PostgreSQL offers it: traffic that never leaves the machine was encrypted and decrypted on
/// both sides. perf on the job board (16 connections) put `SSL_read`/`SSL_write` at 14 % of the
/// server's database client time; five interleaved pairs of 10-s runs, on a machine whose speed
/// drifted meanwhile, gave 0-21 % less CPU a request in the server and 3-26 % less in
/// PostgreSQL, never more. `prefer` checks no certificate, so it never was a guarantee; a
/// deployment that wants TLS says `sslmode=require` (or `verify-full`), which is kept, as is
/// every URL naming another host, a Unix socket or several hosts.
fn without_tls_on_loopback(url: &str, sslmode_set: bool) -> String {
    let Ok(parsed) = url::Url::parse(url) else {
        return url.to_string();
    };
    let loopback = match parsed.host() {
        // `postgres:` is not a scheme the URL standard knows, so its hosts, addresses included,
        // are parsed as names.
        Some(url::Host::Domain(name)) => {
            name.eq_ignore_ascii_case("localhost")
                || name
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    // A `host` parameter overrides the URL's host (a Unix socket directory, another machine).
    let chooses_itself = parsed
        .query_pairs()
        .any(|(key, _)| matches!(key.as_ref(), "sslmode" | "host" | "hostaddr"));
    if !loopback || chooses_itself || sslmode_set {
        return url.to_string();
    }
    let joiner = if parsed.query().is_some() { '&' } else { '?' };
    // Appended to the text, not rebuilt from the parsed URL, so nothing else in it changes.
    match url.split_once('#') {
        Some((before, fragment)) => format!("{before}{joiner}sslmode=disable#{fragment}"),
        None => format!("{url}{joiner}sslmode=disable"),
    }
}

/// SQLite connection settings applied to every pooled connection.
///
/// WAL lets readers and the writer proceed together; `synchronous=FULL` syncs the WAL on every
/// commit, so an acknowledged write survives a power cut (NORMAL would only survive a process
/// crash); the busy timeout makes concurrent writers wait for the lock instead of failing.
///
/// Reads map the database file (up to 256 MiB) instead of copying each page into every
/// connection's own 2 MiB cache: a report reads thousands of roll-up cells, and copying pages
/// from the kernel's cache was a tenth of its time at 100,000 visits. Writes still go through
/// the WAL, so durability is unchanged; the mapping is shared by all connections.
///
/// `temp_store = MEMORY` keeps savepoint sub-journals in memory: the SQLite writer runs each
/// request of a group commit in a savepoint, and the pages a savepoint changes are copied to its
/// sub-journal first; in a temporary file that was 15 % of the writer's time on ingest (perf).
const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA mmap_size = 268435456; \
     PRAGMA temp_store = MEMORY;";

/// Set on every PostgreSQL connection. The API's statements are many and small (a report sums a
/// few thousand roll-up cells at most); a parallel plan's worker start-up cost more than it
/// saved: the year's gap report by standard × location at 10,000 visits ran in 19-21 ms with two
/// workers and 7 ms without (`EXPLAIN ANALYZE`), and the workers compete with the other requests
/// for the same cores. Behind a pooler in transaction mode the setting may not stick; the plans
/// are then as the server's configuration makes them.
const POSTGRES_SESSION: &str = "SET max_parallel_workers_per_gather = 0";

/// An r2d2 connection manager that picks the backend by URL scheme.
///
/// Diesel's own `MultiConnection::establish` tries each backend in turn and hides why the
/// right one failed; this one connects to exactly the backend the URL names and keeps its error.
#[derive(Debug, Clone)]
pub struct DbManager {
    target: DbTarget,
}

impl DbManager {
    pub fn new(target: DbTarget) -> Self {
        Self { target }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot connect: {0}")]
    Connection(#[from] diesel::ConnectionError),
    #[error("query failed: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("migration failed: {0}")]
    Migration(String),
    #[error("pool: {0}")]
    Pool(#[from] r2d2::PoolError),
    #[error("{0}")]
    Config(String),
}

impl ManageConnection for DbManager {
    type Connection = DbConn;
    type Error = DbError;

    fn connect(&self) -> Result<DbConn, DbError> {
        match &self.target {
            DbTarget::Postgres(url) => {
                init_tls();
                let mut conn = PgConnection::establish(url)?;
                conn.batch_execute(POSTGRES_SESSION)?;
                conn.set_instrumentation(Liveness::default());
                Ok(DbConn::Postgres(conn))
            }
            DbTarget::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(path)?;
                conn.batch_execute(SQLITE_PRAGMAS)?;
                Ok(DbConn::Sqlite(conn))
            }
        }
    }

    /// Run on every checkout (`test_on_check_out`). A PostgreSQL connection may have died with
    /// a restarted server: a round trip finds out, unless a statement of the connection
    /// succeeded within [`LIVENESS_WINDOW`] (see [`Liveness`]). A SQLite connection is a file
    /// handle in this process and cannot die, so it is not tested (a statement per checkout was
    /// measurable on the short reads).
    fn is_valid(&self, conn: &mut DbConn) -> Result<(), DbError> {
        match conn {
            DbConn::Postgres(c) => {
                let recent = c
                    .instrumentation()
                    .downcast_ref::<Liveness>()
                    .and_then(|l| l.last_success)
                    .is_some_and(|t| t.elapsed() < LIVENESS_WINDOW);
                if recent {
                    return Ok(());
                }
                c.batch_execute("SELECT 1").map_err(DbError::from)
            }
            DbConn::Sqlite(_) => Ok(()),
        }
    }

    /// A connection left inside a transaction (a panic mid-way) is not handed out again.
    fn has_broken(&self, conn: &mut DbConn) -> bool {
        use diesel::connection::TransactionManager;
        <DbConn as Connection>::TransactionManager::is_broken_transaction_manager(conn)
    }
}

/// A connection that answered a statement this recently is handed out without the checkout's
/// `SELECT 1`: one round trip of every PostgreSQL request (5 % of the server's CPU on ingest,
/// perf). The bypass is the pools' usual one (HikariCP's `aliveBypassWindowMs` is 500 ms): if the
/// server went away in that instant, each connection used in it fails one request (503, see
/// `error.rs`), and its failed statement ends the bypass, so the next checkout tests the
/// connection again and r2d2 replaces it (checked by terminating every backend under requests).
const LIVENESS_WINDOW: Duration = Duration::from_millis(500);

/// Kept on each PostgreSQL connection (diesel's per-connection instrumentation): when a
/// statement last succeeded on it.
#[derive(Default)]
struct Liveness {
    last_success: Option<Instant>,
}

impl Instrumentation for Liveness {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let InstrumentationEvent::FinishQuery { error, .. } = event {
            self.last_success = error.is_none().then(Instant::now);
        }
    }
}

pub type Pool = r2d2::Pool<DbManager>;

/// To be called before the process's first PostgreSQL connection (the pool does; so must any
/// code that connects without it, such as the tests' database setup). libpq talks TLS through
/// the vendored OpenSSL. Initialized by libpq, OpenSSL frees itself in an `atexit` handler,
/// while threads (the pool's, the server's workers) may still be closing connections: a process
/// that ends with connections open could crash in that teardown (SIGSEGV after a test binary's
/// last test, seen on PostgreSQL in CI; "double free" once here, where the tests' setup connected
/// before any pool). Initializing it first, without the handler, leaves the freeing to the
/// operating system. Idempotent.
pub fn init_tls() {
    openssl_sys::init();
}

/// Opens a pool of `size` connections; with `test_on_check_out` a connection that died (a
/// restarted PostgreSQL) is replaced instead of failing a request.
pub fn connect_pool(target: &DbTarget, size: u32) -> Result<Pool, DbError> {
    init_tls();
    if let DbTarget::Sqlite(path) = target {
        if let Some(dir) = std::path::Path::new(path).parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir).map_err(|e| {
                    DbError::Config(format!("cannot create {}: {e}", dir.display()))
                })?;
            }
        }
    }
    r2d2::Pool::builder()
        .max_size(size)
        // Connections are made on demand, on the thread that asks: with a minimum kept idle, the
        // pool opens replacements on its own threads, and a one-shot command (`rebuild-rollups`)
        // could end while one was still connecting, and crash in libpq's teardown (SIGSEGV seen
        // on PostgreSQL, about one run in six).
        .min_idle(Some(0))
        .connection_timeout(Duration::from_secs(10))
        .test_on_check_out(true)
        .build(DbManager::new(target.clone()))
        .map_err(DbError::from)
}

/// Applies the embedded migrations of the connection's backend. Returns the versions applied.
pub fn run_migrations(conn: &mut DbConn) -> Result<Vec<String>, DbError> {
    let applied = match conn {
        DbConn::Postgres(c) => c
            .run_pending_migrations(POSTGRES_MIGRATIONS)
            .map(|v| v.iter().map(|m| m.to_string()).collect()),
        DbConn::Sqlite(c) => c
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map(|v| v.iter().map(|m| m.to_string()).collect()),
    };
    let applied = applied.map_err(|e| DbError::Migration(e.to_string()))?;
    // What a migration could not do in SQL (roll-ups of a new shape, rebuilt from the
    // submissions) is done here, once.
    crate::maintenance::run_pending(conn)
        .map_err(|e| DbError::Migration(format!("after migrating: {e}")))?;
    Ok(applied)
}

/// The pool as the handlers use it: every diesel call runs on the blocking thread pool, and the
/// connection is taken there too, so a slow checkout never blocks the async executor.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    /// SQLite only: write transactions go to one writer thread, which commits those that
    /// arrived together in one transaction, each in its own savepoint (group commit; see
    /// [`group_commit`]). SQLite admits one writer at a time: before, requests queued on a lock
    /// in the process for one commit (and one disk sync) each; before that, on SQLite's polling
    /// busy handler (measured: p99 1.1 s for 4 concurrent submitters).
    writer: Option<group_commit::GroupWriter>,
    /// SQLite only: other calls run on a few reader threads ([`readers`]).
    readers: Option<readers::Readers>,
}

impl Db {
    pub fn new(pool: Pool, target: &DbTarget) -> Self {
        let (writer, readers) = match target {
            DbTarget::Sqlite(_) => (
                Some(group_commit::GroupWriter::start(DbManager::new(
                    target.clone(),
                ))),
                Some(readers::Readers::start(readers::threads(pool.max_size()))),
            ),
            DbTarget::Postgres(_) => (None, None),
        };
        Self {
            pool,
            writer,
            readers,
        }
    }

    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Runs `f` with a pooled connection, off the async executor: on SQLite on a reader thread
    /// ([`readers`]), on PostgreSQL on the blocking pool. For reads; writes go through
    /// [`Db::transaction`] (a write here would hold a reader thread while it waited for SQLite's
    /// write lock).
    pub async fn run<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        let call = move || {
            let mut conn = checkout(&pool)?;
            let result = f(&mut conn);
            transaction_ended();
            result
        };
        match &self.readers {
            Some(readers) => readers.run(call).await,
            None => actix_web::web::block(call)
                .await
                .map_err(ApiError::internal)?,
        }
    }

    /// Like [`Db::run`], inside one write transaction (see [`write_transaction`]); on SQLite, in
    /// the writer thread's next group commit.
    pub async fn transaction<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        self.transaction_locking(None, f).await
    }

    /// Like [`Db::transaction`], for a transaction that will take [`lock_for_transaction`] on
    /// `key`: on PostgreSQL the lock is sent with the `BEGIN`, one round trip fewer (a thirteenth
    /// of a submission's), and the call inside finds it held.
    pub async fn transaction_locking<T, F>(&self, key: Option<&str>, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        if let Some(writer) = &self.writer {
            return writer.transaction(f).await;
        }
        let lock = key.map(advisory_key);
        let pool = self.pool.clone();
        actix_web::web::block(move || {
            let mut conn = checkout(&pool)?;
            write_transaction_locking(&mut conn, lock, f)
        })
        .await
        .map_err(ApiError::internal)?
    }
}

fn checkout(pool: &Pool) -> Result<PooledConnection<DbManager>, ApiError> {
    pool.get().map_err(|e| {
        tracing::error!(error = %e, "no database connection");
        ApiError::Unavailable("the database is not reachable; retry shortly".into())
    })
}

/// Runs `f` in a transaction meant to write. On SQLite it begins with `BEGIN IMMEDIATE`, taking
/// the write lock up front: a deferred transaction that reads and then writes can fail at once
/// with `SQLITE_BUSY` when another writer committed in between (the busy timeout does not apply
/// to that case), while an immediate one simply waits its turn. PostgreSQL uses a plain `BEGIN`.
pub fn write_transaction<T, F>(conn: &mut DbConn, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut DbConn) -> Result<T, ApiError>,
{
    write_transaction_locking(conn, None, f)
}

/// [`write_transaction`], on PostgreSQL taking the advisory lock `lock` (an [`advisory_key`])
/// in the same round trip as the `BEGIN`.
fn write_transaction_locking<T, F>(
    conn: &mut DbConn,
    lock: Option<i64>,
    f: F,
) -> Result<T, ApiError>
where
    F: FnOnce(&mut DbConn) -> Result<T, ApiError>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    // However this ends, a panic included, the lock is no longer this thread's to skip.
    let _held = ForgetHeldLock;
    match (&mut *conn, lock) {
        (DbConn::Sqlite(c), _) => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?
        }
        (DbConn::Postgres(c), None) => AnsiTransactionManager::begin_transaction(c)?,
        (DbConn::Postgres(c), Some(key)) => {
            // An integer of our own making, so the text is safe to build; a simple query may
            // hold several statements.
            AnsiTransactionManager::begin_transaction_sql(
                c,
                &format!("BEGIN; SELECT pg_advisory_xact_lock({key})"),
            )?;
            HELD_LOCK.set(Some(key));
        }
    }
    let result = match f(conn) {
        Ok(value) => match <DbConn as Connection>::TransactionManager::commit_transaction(conn) {
            Ok(()) => Ok(value),
            Err(e) => {
                let _ = <DbConn as Connection>::TransactionManager::rollback_transaction(conn);
                Err(e.into())
            }
        },
        Err(e) => <DbConn as Connection>::TransactionManager::rollback_transaction(conn)
            .map_err(ApiError::from)
            .and(Err(e)),
    };
    transaction_ended();
    result
}

/// Clears [`HELD_LOCK`] when dropped.
struct ForgetHeldLock;

impl Drop for ForgetHeldLock {
    fn drop(&mut self) {
        HELD_LOCK.set(None);
    }
}

thread_local! {
    /// The advisory lock this thread's current PostgreSQL transaction took with its `BEGIN`
    /// ([`Db::transaction_locking`]), which [`lock_for_transaction`] then need not take again.
    static HELD_LOCK: std::cell::Cell<Option<i64>> = const { std::cell::Cell::new(None) };
    /// What is to run once this thread's current transaction has ended ([`on_transaction_end`]).
    static AT_TRANSACTION_END: std::cell::RefCell<Vec<Box<dyn FnOnce()>>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs `f` once the transaction this thread is running has ended, committed or rolled back,
/// before its request is answered: for what is right to do either way and wrong to do before
/// the commit, such as forgetting cached state the transaction changed (a read between the
/// forgetting and the commit would cache the old state again; see `auth::identities`).
/// Transactions end in [`write_transaction`], in the SQLite writer's group commit and at the
/// end of each [`Db::run`] call; outside those (a command-line tool), `f` waits for the next.
pub fn on_transaction_end(f: impl FnOnce() + 'static) {
    AT_TRANSACTION_END.with(|pending| pending.borrow_mut().push(Box::new(f)));
}

/// Runs what [`on_transaction_end`] left for this thread.
pub(crate) fn transaction_ended() {
    let pending = AT_TRANSACTION_END.with(|pending| std::mem::take(&mut *pending.borrow_mut()));
    for f in pending {
        f();
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        ApiError::Internal(e.to_string())
    }
}

/// Runs the same diesel query on whichever backend `conn` is, for the statements
/// `MultiConnection` cannot run through [`DbConn`] itself (`ON CONFLICT` upserts, batch inserts).
/// The query is written once; only its execution is monomorphized per backend.
///
/// Also for the reads on a hot path: through [`DbConn`], diesel's `MultiConnection` renders a
/// query's whole SQL text on every run, twice (its `SerializedQuery::walk_ast` builds the text
/// in the passes that only ask whether it may be cached and for its binds), while a backend's own
/// connection finds a query with a static id in its statement cache by type and only collects
/// the binds. For the joins a submission reads first that was 5 % of the server's CPU per
/// submission on SQLite (perf).
#[macro_export]
macro_rules! per_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConn::Postgres($c) => $body,
            $crate::db::DbConn::Sqlite($c) => $body,
        }
    };
}

/// Serializes transactions that touch the same `key` (e.g. one shopper's assignments) until the
/// current transaction ends. SQLite needs nothing: its write transactions already run one at a
/// time (`BEGIN IMMEDIATE`); PostgreSQL takes a transaction-scoped advisory lock.
pub fn lock_for_transaction(conn: &mut DbConn, key: &str) -> Result<(), ApiError> {
    if let DbConn::Postgres(c) = conn {
        use diesel::RunQueryDsl;
        let id = advisory_key(key);
        if HELD_LOCK.get() == Some(id) {
            return Ok(());
        }
        let lock = diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
            .bind::<diesel::sql_types::BigInt, _>(id);
        crate::db::reuse::Reuse::new(&lock).execute(c)?;
    }
    Ok(())
}

/// The advisory lock's number for `key`: 60 bits of its SHA-256.
fn advisory_key(key: &str) -> i64 {
    let digest = crate::auth::tokens::sha256_hex(key);
    i64::from_str_radix(&digest[..15], 16).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the server connects with, for each kind of URL (see `without_tls_on_loopback`).
    #[test]
    fn loopback_postgres_urls_go_without_tls_unless_they_say() {
        let pg = |url: &str| match DbTarget::parse(url).unwrap() {
            DbTarget::Postgres(url) => url,
            other => panic!("{other:?}"),
        };
        for (given, used) in [
            (
                "postgres://postgres@127.0.0.1:5432/test",
                "postgres://postgres@127.0.0.1:5432/test?sslmode=disable",
            ),
            (
                "postgresql://u:p@localhost/db?application_name=x",
                "postgresql://u:p@localhost/db?application_name=x&sslmode=disable",
            ),
            ("postgres://[::1]/db", "postgres://[::1]/db?sslmode=disable"),
            // Said by the URL, or not this machine: as given.
            (
                "postgres://127.0.0.1/db?sslmode=require",
                "postgres://127.0.0.1/db?sslmode=require",
            ),
            (
                "postgres://db.example.com/db",
                "postgres://db.example.com/db",
            ),
            ("postgres://10.0.0.5:5432/db", "postgres://10.0.0.5:5432/db"),
            (
                "postgres://localhost/db?host=/var/run/postgresql",
                "postgres://localhost/db?host=/var/run/postgresql",
            ),
            ("postgres:///db", "postgres:///db"),
            ("postgres://h1,h2/db", "postgres://h1,h2/db"),
        ] {
            assert_eq!(pg(given), used, "{given}");
        }
        // libpq's environment chooses too.
        let url = "postgres://postgres@127.0.0.1:5432/test";
        assert_eq!(without_tls_on_loopback(url, true), url);
    }

    /// `.cargo/config.toml` builds the bundled SQLite with `SQLITE_ENABLE_QPSG`; without it
    /// every statement with a LIMIT is parsed again on each run (see that file).
    #[test]
    fn sqlite_is_built_with_stable_query_plans() {
        use diesel::RunQueryDsl;
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        let found: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
            "(SELECT count(*) FROM pragma_compile_options WHERE compile_options = 'ENABLE_QPSG')",
        ))
        .get_result(&mut conn)
        .unwrap();
        assert_eq!(found, 1, "build with LIBSQLITE3_FLAGS=SQLITE_ENABLE_QPSG");
    }

    /// Each backend's per-connection settings are in force on a connection the manager opens:
    /// PostgreSQL's without parallel plans when the suite runs there (`TEST_DATABASE_URL`),
    /// SQLite's pragmas otherwise.
    #[test]
    fn a_new_connection_has_its_session_settings() {
        #[derive(diesel::QueryableByName)]
        struct Setting {
            #[diesel(sql_type = diesel::sql_types::Text)]
            value: String,
        }
        let dir = tempfile::tempdir().unwrap();
        let url = std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|u| u.starts_with("postgres"))
            .unwrap_or_else(|| dir.path().join("s.db").display().to_string());
        let mut conn = DbManager::new(DbTarget::parse(&url).unwrap())
            .connect()
            .unwrap();
        let (query, expected) = match conn {
            DbConn::Postgres(_) => (
                "SELECT current_setting('max_parallel_workers_per_gather') AS value",
                "0",
            ),
            // 2 = MEMORY
            DbConn::Sqlite(_) => (
                "SELECT CAST(temp_store AS TEXT) AS value FROM pragma_temp_store",
                "2",
            ),
        };
        let found: Setting =
            diesel::RunQueryDsl::get_result(diesel::sql_query(query), &mut conn).unwrap();
        assert_eq!(found.value, expected);
    }

    #[test]
    fn urls_select_the_backend() {
        assert_eq!(
            DbTarget::parse("postgres://u@h/db").unwrap(),
            DbTarget::Postgres("postgres://u@h/db".into())
        );
        assert_eq!(
            DbTarget::parse("postgresql://h/db").unwrap().backend_name(),
            "postgres"
        );
        assert_eq!(
            DbTarget::parse("sqlite://data/x.db").unwrap(),
            DbTarget::Sqlite("data/x.db".into())
        );
        assert_eq!(
            DbTarget::parse("sqlite:x.db").unwrap(),
            DbTarget::Sqlite("x.db".into())
        );
        assert_eq!(
            DbTarget::parse("/var/lib/shopgap/shopgap.db").unwrap(),
            DbTarget::Sqlite("/var/lib/shopgap/shopgap.db".into())
        );
        assert!(DbTarget::parse(":memory:").is_err());
        assert!(DbTarget::parse("mysql://h/db").is_err());
        assert!(DbTarget::parse("").is_err());
    }
}

//! Group commit for SQLite: one writer thread runs the write transactions of concurrent requests
//! together, each in its own savepoint, and commits them with one `COMMIT`.
//!
//! SQLite admits one writer at a time and, with `synchronous=FULL`, every commit waits for the
//! disk (about 0.4 ms here). Committed one by one, requests queue behind each other's sync, and
//! the rate cannot pass one sync per request whatever the concurrency. Here the transactions that
//! arrived while a commit was syncing run next, one after another on the writer's connection,
//! and share one sync. What each request sees is unchanged:
//! - it is answered only after the commit that made its writes durable;
//! - a request whose closure fails (or panics) is rolled back to its savepoint alone, and the
//!   others of its group commit; the closures run in arrival order, as the lock used to admit them;
//! - if the group cannot commit, every request of it gets the error, and nothing of it is kept.
//!
//! With no concurrency a group is one transaction, with no waiting added: the writer takes what is
//! queued when it is free, it never waits for more. A group of one runs without a savepoint: its
//! transaction is the request's alone, so it is rolled back whole when the request fails. A
//! savepoint copies every page it changes into its sub-journal first, in case it is rolled back;
//! for a lone submission that was 5 % of the writer's time (perf), and a group is one request
//! whenever requests do not overlap.
//!
//! Beside the writer, a checkpointer thread copies the WAL back into the database file, so the
//! writer does not (`checkpoint`).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender, SyncSender};
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::r2d2::ManageConnection;
use diesel::Connection;

use super::{DbConn, DbManager};
use crate::error::ApiError;

/// At most this many transactions share a commit, so one group does not keep the others waiting
/// long (and a failed commit undoes a bounded amount of work).
const MAX_GROUP: usize = 64;

/// How a request learns its fate once its group has committed (`Ok`) or failed.
type Answer = Box<dyn FnOnce(Result<(), ApiError>) + Send>;

/// A request's transaction: given the writer's connection (or why there is none) and whether it
/// is alone in its group, runs the closure (in a savepoint unless alone) and returns how to
/// answer the request.
type Job = Box<dyn FnOnce(Result<&mut DbConn, ApiError>, Alone) -> Ran + Send>;

/// Whether a job is the only one of its group: then it runs straight in the group's
/// transaction, which is rolled back if it fails, instead of in a savepoint of its own.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Alone {
    Yes,
    No,
}

/// What running a job left: how to answer it, and (alone in its group) whether its closure
/// failed, so that the transaction must be rolled back rather than committed.
struct Ran {
    answer: Answer,
    failed: bool,
}

/// The queue to the writer thread. Cloned with [`super::Db`]; the thread ends when the last
/// clone is dropped.
#[derive(Clone)]
pub struct GroupWriter {
    jobs: Sender<Job>,
}

impl GroupWriter {
    /// Starts the writer thread and its checkpointer; each opens its own connection through
    /// `manager` when first needed.
    pub fn start(manager: DbManager) -> Self {
        let (jobs, queue) = channel::<Job>();
        // One pending nudge is enough: the checkpointer copies whatever the WAL holds by then.
        let (nudge, nudges) = sync_channel::<()>(1);
        let checkpointer_manager = manager.clone();
        std::thread::Builder::new()
            .name("sqlite-checkpointer".into())
            .spawn(move || checkpoint(checkpointer_manager, nudges))
            .expect("the SQLite checkpointer thread starts");
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || run(manager, queue, nudge))
            .expect("the SQLite writer thread starts");
        Self { jobs }
    }

    /// Runs `f` in the next group's transaction; resolves after that group has committed.
    pub async fn transaction<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let (reply, answer) = tokio::sync::oneshot::channel::<Result<T, ApiError>>();
        let job: Job = Box::new(move |conn, alone| {
            let result = conn.and_then(|conn| match alone {
                Alone::Yes => guarded(conn, f),
                Alone::No => in_savepoint(conn, f),
            });
            Ran {
                failed: result.is_err(),
                answer: Box::new(move |committed: Result<(), ApiError>| {
                    let _ = reply.send(committed.and(result));
                }),
            }
        });
        self.jobs
            .send(job)
            .map_err(|_| ApiError::internal("the SQLite writer has stopped"))?;
        answer
            .await
            .map_err(|_| ApiError::internal("the SQLite writer dropped a transaction"))?
    }
}

/// The writer thread: a group at a time, until every sender is gone (which also ends the
/// checkpointer, whose nudges it holds).
fn run(manager: DbManager, queue: Receiver<Job>, nudge: SyncSender<()>) {
    let mut conn: Option<DbConn> = None;
    while let Ok(first) = queue.recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match queue.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        if conn.is_none() {
            match open_writer(&manager) {
                Ok(c) => conn = Some(c),
                Err(e) => {
                    tracing::error!(error = %e, "the SQLite writer cannot open the database");
                    let why = || ApiError::Unavailable("the database is not reachable".into());
                    for job in group {
                        (job(Err(why()), Alone::No).answer)(Err(why()));
                    }
                    continue;
                }
            }
        }
        let Some(c) = conn.as_mut() else { continue };
        if !commit_group(c, group) {
            // A connection whose transaction could not be closed is not used again.
            conn = None;
        }
        // Full: a nudge is already pending. Disconnected: the checkpointer has ended, and the
        // writer's own checkpoint on commit still runs.
        let _ = nudge.try_send(());
    }
}

/// The writer thread's connection: the pool's settings, and [`WRITER_PRAGMAS`].
fn open_writer(manager: &DbManager) -> Result<DbConn, super::DbError> {
    let mut conn = manager.connect()?;
    conn.batch_execute(WRITER_PRAGMAS)?;
    Ok(conn)
}

/// The writer's own checkpoint comes at 4,000 WAL pages (16 MiB) instead of SQLite's 1,000, so
/// the background thread has time to copy the pages before it: then the writer's checkpoint
/// only syncs and lets the WAL start over. The WAL is as bounded as before, at four times the
/// size.
const WRITER_PRAGMAS: &str = "PRAGMA wal_autocheckpoint = 4000;";

/// The least time between two checkpoints of the background thread. At full ingest the WAL
/// grows by some 1,500 pages in it; when idle, a write is copied at once.
const CHECKPOINT_PAUSE: Duration = Duration::from_millis(50);

/// The checkpointer thread: after commits, copies the WAL's new pages into the database file
/// (`PRAGMA wal_checkpoint(PASSIVE)`, which neither waits for nor blocks the writer or readers).
///
/// Why: SQLite checkpoints on the committing connection once the WAL is long enough, so the
/// writer thread, which every write request waits on, did the copying (with its disk syncs, a
/// tenth of its time on ingest at four connections, perf), and the requests queued behind it
/// waited out each checkpoint. Here another thread copies the pages while the writer goes on.
/// The writer's automatic checkpoint is kept ([`WRITER_PRAGMAS`]): when it comes, it finds the
/// pages already copied, and lets the next transaction start the WAL over from its beginning,
/// which a checkpoint running beside the writer seldom can (new pages arrive while it copies).
/// If this thread falls behind or stops, the writer checkpoints as it always did.
fn checkpoint(manager: DbManager, nudges: Receiver<()>) {
    let mut conn: Option<DbConn> = None;
    while nudges.recv().is_ok() {
        if conn.is_none() {
            conn = manager
                .connect()
                .map_err(|e| tracing::warn!(error = %e, "the SQLite checkpointer cannot open the database"))
                .ok();
        }
        if let Some(c) = conn.as_mut() {
            if let Err(e) = c.batch_execute("PRAGMA wal_checkpoint(PASSIVE)") {
                tracing::warn!(error = %e, "a background WAL checkpoint failed");
                conn = None;
            }
        }
        std::thread::sleep(CHECKPOINT_PAUSE);
    }
}

/// Runs one group in one transaction and answers every request of it. Returns whether the
/// connection is still usable.
fn commit_group(conn: &mut DbConn, group: Vec<Job>) -> bool {
    let failed = |e: &ApiError| ApiError::Unavailable(format!("the write could not commit: {e}"));
    let begun = match conn {
        DbConn::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE"),
        DbConn::Postgres(c) => AnsiTransactionManager::begin_transaction(c),
    };
    if let Err(e) = begun {
        let e = ApiError::from(e);
        for job in group {
            (job(Err(failed(&e)), Alone::No).answer)(Err(failed(&e)));
        }
        return true;
    }
    let alone = if group.len() == 1 {
        Alone::Yes
    } else {
        Alone::No
    };
    let mut answers: Vec<Answer> = Vec::with_capacity(group.len());
    let mut jobs = group.into_iter();
    let mut broken = false;
    // Alone in the group and failed: nothing of the transaction is to be kept.
    let mut undo = false;
    for job in jobs.by_ref() {
        let ran = job(Ok(&mut *conn), alone);
        undo = alone == Alone::Yes && ran.failed;
        answers.push(ran.answer);
        // Each job closes its savepoint: the group's transaction must be back at depth one.
        let depth =
            <DbConn as Connection>::TransactionManager::transaction_manager_status_mut(conn)
                .transaction_depth();
        if !matches!(depth, Ok(Some(d)) if d.get() == 1) {
            broken = true;
            break;
        }
    }
    // Not run: the transaction broke before their turn.
    for job in jobs {
        let why = ApiError::Unavailable("the write could not commit; retry".into());
        answers.push(job(Err(why), Alone::No).answer);
    }
    if undo && !broken {
        // The lone request failed: its answer is its own error, and its writes are undone.
        let rolled_back =
            <DbConn as Connection>::TransactionManager::rollback_transaction(conn).is_ok();
        super::transaction_ended();
        for answer in answers {
            answer(Ok(()));
        }
        return rolled_back && outside_transaction(conn);
    }
    let outcome = if broken {
        Err(ApiError::Unavailable(
            "the write could not commit; retry".into(),
        ))
    } else {
        <DbConn as Connection>::TransactionManager::commit_transaction(conn).map_err(ApiError::from)
    };
    let usable = match &outcome {
        Ok(()) => true,
        Err(e) => {
            tracing::error!(error = %e, "a group of SQLite write transactions failed to commit");
            <DbConn as Connection>::TransactionManager::rollback_transaction(conn).is_ok()
        }
    };
    super::transaction_ended();
    for answer in answers {
        answer(match &outcome {
            Ok(()) => Ok(()),
            Err(e) => Err(failed(e)),
        });
    }
    usable && outside_transaction(conn)
}

/// Whether the connection is out of every transaction, as the next group's `BEGIN` needs. A
/// closure that panicked inside a nested transaction of its own leaves one open under the
/// group's: that connection is dropped (its open work undone by SQLite) and a new one opened.
fn outside_transaction(conn: &mut DbConn) -> bool {
    matches!(
        <DbConn as Connection>::TransactionManager::transaction_manager_status_mut(conn)
            .transaction_depth(),
        Ok(None)
    )
}

/// Runs `f`, alone in the group's transaction, turning a panic into an error (the caller then
/// rolls the transaction back).
fn guarded<T, F>(conn: &mut DbConn, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut DbConn) -> Result<T, ApiError>,
{
    catch_unwind(AssertUnwindSafe(|| f(conn)))
        .unwrap_or_else(|_| Err(ApiError::internal("a write transaction panicked")))
}

/// Runs `f` in a savepoint of the group's transaction: released when it succeeds, rolled back
/// when it fails or panics, so that one request's failure undoes its writes alone.
fn in_savepoint<T, F>(conn: &mut DbConn, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut DbConn) -> Result<T, ApiError>,
{
    type Manager = <DbConn as Connection>::TransactionManager;
    Manager::begin_transaction(conn)?;
    match catch_unwind(AssertUnwindSafe(|| f(&mut *conn))) {
        Ok(Ok(value)) => {
            Manager::commit_transaction(conn)?;
            Ok(value)
        }
        Ok(Err(e)) => {
            Manager::rollback_transaction(conn)?;
            Err(e)
        }
        Err(_) => {
            Manager::rollback_transaction(conn)?;
            Err(ApiError::internal("a write transaction panicked"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::DbTarget;
    use diesel::sql_types::BigInt;
    use diesel::RunQueryDsl;

    #[derive(diesel::QueryableByName)]
    struct Value {
        #[diesel(sql_type = BigInt)]
        x: i64,
    }

    fn database() -> (tempfile::TempDir, DbManager) {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("group.db").to_string_lossy().into_owned();
        let manager = DbManager::new(DbTarget::Sqlite(path));
        let mut conn = manager.connect().expect("the database opens");
        conn.batch_execute("CREATE TABLE t (x BIGINT NOT NULL)")
            .expect("the table is made");
        (dir, manager)
    }

    fn insert(conn: &mut DbConn, x: i64) -> Result<(), ApiError> {
        conn.batch_execute(&format!("INSERT INTO t (x) VALUES ({x})"))?;
        Ok(())
    }

    /// The committed values, read on a connection of its own.
    fn stored(manager: &DbManager) -> Vec<i64> {
        let mut conn = manager.connect().expect("the database opens");
        diesel::sql_query("SELECT x FROM t ORDER BY x")
            .load::<Value>(&mut conn)
            .expect("the values read")
            .into_iter()
            .map(|v| v.x)
            .collect()
    }

    #[actix_web::test]
    async fn a_lone_request_that_fails_or_panics_keeps_nothing_and_the_writer_goes_on() {
        let (_dir, manager) = database();
        let writer = GroupWriter::start(manager.clone());
        let failed = writer
            .transaction(|conn| {
                insert(conn, 1)?;
                Err::<(), _>(ApiError::conflict("refused after writing"))
            })
            .await;
        assert!(
            matches!(failed, Err(ApiError::Conflict { .. })),
            "{failed:?}"
        );
        let panicked = writer
            .transaction(|conn| -> Result<(), ApiError> {
                insert(conn, 2)?;
                panic!("a bug mid-write")
            })
            .await;
        assert!(panicked.is_err());
        writer
            .transaction(|conn| insert(conn, 3))
            .await
            .expect("committed");
        assert_eq!(stored(&manager), vec![3]);
        // A panic inside a nested transaction of the request's own leaves that one open: the
        // connection is replaced, and nothing of the request is kept.
        let nested = writer
            .transaction(|conn| -> Result<(), ApiError> {
                conn.transaction(|conn| -> Result<(), ApiError> {
                    insert(conn, 4)?;
                    panic!("a bug in a nested transaction")
                })
            })
            .await;
        assert!(nested.is_err());
        writer
            .transaction(|conn| insert(conn, 5))
            .await
            .expect("committed on a new connection");
        assert_eq!(stored(&manager), vec![3, 5]);
    }

    #[actix_web::test]
    async fn committed_pages_reach_the_database_file_without_the_writer_checkpointing() {
        let (dir, manager) = database();
        let writer = GroupWriter::start(manager.clone());
        let file = dir.path().join("group.db");
        let size = || std::fs::metadata(&file).expect("the database file").len();
        let before = size();
        // About 300 pages of rows: far below the writer's own checkpoint at 4,000.
        writer
            .transaction(|conn| {
                conn.batch_execute(
                    "INSERT INTO t (x) WITH RECURSIVE n(i) AS \
                     (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000) SELECT i FROM n",
                )?;
                Ok(())
            })
            .await
            .expect("committed");
        #[derive(diesel::QueryableByName)]
        struct Setting {
            #[diesel(sql_type = BigInt)]
            wal_autocheckpoint: i64,
        }
        let autocheckpoint = writer
            .transaction(|conn| {
                Ok(diesel::sql_query("PRAGMA wal_autocheckpoint")
                    .get_result::<Setting>(conn)?
                    .wal_autocheckpoint)
            })
            .await
            .expect("read");
        assert_eq!(autocheckpoint, 4000);
        // The checkpointer copies them into the database file soon after the commit.
        let mut waited = 0;
        while size() < before + 1_000_000 && waited < 100 {
            actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
            waited += 1;
        }
        assert!(
            size() >= before + 1_000_000,
            "the database file is {} bytes, {before} before the commit",
            size()
        );
        assert_eq!(stored(&manager).len(), 100_000);
    }

    #[actix_web::test]
    async fn in_a_group_a_failed_request_is_undone_alone() {
        let (_dir, manager) = database();
        let writer = GroupWriter::start(manager.clone());
        // The first request holds the writer until the others are queued behind it, so that
        // they run as one group, each in its savepoint.
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let first = actix_web::rt::spawn({
            let writer = writer.clone();
            async move {
                writer
                    .transaction(move |conn| {
                        hold.recv().expect("released");
                        insert(conn, 1)
                    })
                    .await
            }
        });
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
        let rest: Vec<_> = [10, 11, 12]
            .into_iter()
            .map(|x| {
                let writer = writer.clone();
                actix_web::rt::spawn(async move {
                    writer
                        .transaction(move |conn| {
                            insert(conn, x)?;
                            if x == 11 {
                                return Err(ApiError::conflict("refused after writing"));
                            }
                            Ok(())
                        })
                        .await
                })
            })
            .collect();
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
        release.send(()).expect("the first request waits");
        first.await.expect("joined").expect("committed");
        let mut outcomes = Vec::new();
        for handle in rest {
            outcomes.push(handle.await.expect("joined").is_ok());
        }
        assert_eq!(outcomes, vec![true, false, true]);
        assert_eq!(stored(&manager), vec![1, 10, 12]);
    }
}

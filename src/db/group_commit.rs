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
//! queued when it is free, it never waits for more.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{channel, Receiver, Sender};

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::r2d2::ManageConnection;
use diesel::Connection;

use super::{DbConn, DbManager};
use crate::error::ApiError;

/// At most this many transactions share a commit, so one group does not keep the others waiting
/// long (and a failed commit undoes a bounded amount of work).
const MAX_GROUP: usize = 64;

/// How a request learns its fate once its group has committed (`Ok`) or failed.
type Answer = Box<dyn FnOnce(Result<(), ApiError>) + Send>;

/// A request's transaction: given the writer's connection (or why there is none), runs the
/// closure in a savepoint and returns how to answer the request.
type Job = Box<dyn FnOnce(Result<&mut DbConn, ApiError>) -> Answer + Send>;

/// The queue to the writer thread. Cloned with [`super::Db`]; the thread ends when the last
/// clone is dropped.
#[derive(Clone)]
pub struct GroupWriter {
    jobs: Sender<Job>,
}

impl GroupWriter {
    /// Starts the writer thread; it opens its own connection through `manager` when first needed.
    pub fn start(manager: DbManager) -> Self {
        let (jobs, queue) = channel::<Job>();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || run(manager, queue))
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
        let job: Job = Box::new(move |conn| {
            let result = conn.and_then(|conn| in_savepoint(conn, f));
            Box::new(move |committed: Result<(), ApiError>| {
                let _ = reply.send(committed.and(result));
            })
        });
        self.jobs
            .send(job)
            .map_err(|_| ApiError::internal("the SQLite writer has stopped"))?;
        answer
            .await
            .map_err(|_| ApiError::internal("the SQLite writer dropped a transaction"))?
    }
}

/// The writer thread: a group at a time, until every sender is gone.
fn run(manager: DbManager, queue: Receiver<Job>) {
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
            match manager.connect() {
                Ok(c) => conn = Some(c),
                Err(e) => {
                    tracing::error!(error = %e, "the SQLite writer cannot open the database");
                    let why = || ApiError::Unavailable("the database is not reachable".into());
                    for job in group {
                        job(Err(why()))(Err(why()));
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
            job(Err(failed(&e)))(Err(failed(&e)));
        }
        return true;
    }
    let mut answers: Vec<Answer> = Vec::with_capacity(group.len());
    let mut jobs = group.into_iter();
    let mut broken = false;
    for job in jobs.by_ref() {
        answers.push(job(Ok(&mut *conn)));
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
        answers.push(job(Err(ApiError::Unavailable(
            "the write could not commit; retry".into(),
        ))));
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
    usable
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

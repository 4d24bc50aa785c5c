//! SQLite reads on a few long-lived threads fed by one queue.
//!
//! Database calls must not run on the async executor. tokio's blocking pool, which `web::block`
//! uses, keeps a thread per call in flight and wakes a parked one for every call. SQLite reads
//! are short and bound by the CPU, so a few threads keep up with them, and under load each finds
//! the next call already queued instead of parking between calls. Measured on `GET /v1/me` (2
//! cores, 16 connections, release build): 2.59 thread switches and 66.5 µs of CPU a request on
//! the blocking pool (24,900 requests/s), 1.48 and 48.3 µs on four reader threads (32,300/s).
//!
//! The price: a read holds its thread for as long as it runs, so as many slow reads at once as
//! there are threads (large CSV exports, reports over long histories; milliseconds to tens of
//! milliseconds each) make the others wait that long. Twice the cores, at least four, bounds the
//! wait, and PostgreSQL, whose calls wait on the network and need a thread per connection, stays
//! on the blocking pool. Writes have their own thread on SQLite ([`super::group_commit`]).

use std::panic::{catch_unwind, AssertUnwindSafe};

use crossbeam_channel::{unbounded, Sender};

use crate::error::ApiError;

type Job = Box<dyn FnOnce() + Send>;

/// Reader threads for a pool of `pool_size` connections: twice the cores, at least four, never
/// more than there are connections.
pub fn threads(pool_size: u32) -> usize {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    (2 * cores).max(4).min(pool_size.max(1) as usize)
}

#[derive(Clone)]
pub struct Readers {
    jobs: Sender<Job>,
}

impl Readers {
    /// Starts `threads` reader threads. They end when the last `Readers` handle is dropped.
    pub fn start(threads: usize) -> Self {
        let (jobs, queue) = unbounded::<Job>();
        for i in 0..threads.max(1) {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("sqlite-reader-{i}"))
                .spawn(move || {
                    for job in queue {
                        // A panicking call answers 500 (its reply is dropped); the thread goes on.
                        let _ = catch_unwind(AssertUnwindSafe(job));
                    }
                })
                .expect("a reader thread starts");
        }
        Self { jobs }
    }

    /// Runs `f` on a reader thread and waits for it without blocking the executor.
    pub async fn run<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce() -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = reply.send(f());
        });
        self.jobs
            .send(job)
            .map_err(|_| ApiError::internal("the database reader threads have stopped"))?;
        answer
            .await
            .map_err(|_| ApiError::internal("a database call panicked"))?
    }
}

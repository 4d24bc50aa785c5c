//! SQLite reads on a few long-lived threads fed by one queue.
//!
//! Database calls must not run on the async executor, and tokio's blocking pool, which
//! `web::block` uses, wakes a parked thread for every call and the worker again for its answer:
//! measured on `GET /v1/me` (2 cores, 16 connections), 2.6 thread switches a request and half
//! of the process's CPU in the kernel's scheduler. SQLite reads are short and bound by the CPU,
//! so a handful of threads, as many as there are cores and a few more, keep up with them; under
//! load those threads find the next call already queued and do not park between calls.
//!
//! PostgreSQL calls wait on the network and need as many threads as connections, so they stay
//! on the blocking pool. Writes have their own thread on SQLite ([`super::group_commit`]).

use std::panic::{catch_unwind, AssertUnwindSafe};

use crossbeam_channel::{unbounded, Sender};

use crate::error::ApiError;

type Job = Box<dyn FnOnce() + Send>;

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

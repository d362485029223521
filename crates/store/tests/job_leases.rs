//! A running job keeps its lease: the worker renews it, so a short lease frees the jobs
//! of a dead worker quickly without a slow job being taken over while its worker lives.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use sweep_app::ports::{ClaimedJob, Clock, JobHandler, JobRepo, NewJob};
use sweep_app::{Settings, Sweep, SystemClock};
use sweep_store::both_backends;
use sweep_store::testing::TestDb;

/// A job that takes longer than the lease, counting how often it was started.
struct SlowJob {
    runs: AtomicUsize,
    takes: Duration,
}

#[async_trait]
impl JobHandler for SlowJob {
    fn kinds(&self) -> &'static [&'static str] {
        &["slow"]
    }

    async fn run(&self, _job: &ClaimedJob) -> Result<(), String> {
        self.runs.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(self.takes).await;
        Ok(())
    }
}

both_backends! {
    async fn a_job_longer_than_its_lease_is_not_taken_over_while_its_worker_lives(db: TestDb) {
        let lease_secs = 3;
        let slow = Arc::new(SlowJob { runs: AtomicUsize::new(0), takes: Duration::from_millis(5_500) });
        let settings = Settings { job_lease_secs: lease_secs, ..Settings::default() };
        let sweep = Arc::new(
            Sweep::new(sweep_store::repos(db.db.clone(), db.media_dir.clone()), Arc::new(SystemClock), settings)
                .with_job_handler(slow.clone()),
        );
        let job = NewJob { kind: "slow".into(), payload: "{}".into(), run_at: SystemClock.now(), dedupe_key: None };
        assert!(db.db.enqueue(&job).await.unwrap());

        let first = tokio::spawn({
            let sweep = sweep.clone();
            async move { sweep.run_one_job("first").await.unwrap() }
        });
        // Well past the first lease and the next, another worker looks for work again
        // and again: the renewed lease keeps the job the first worker's.
        let mut second_ran = false;
        for _ in 0..8 {
            tokio::time::sleep(Duration::from_millis(600)).await;
            second_ran |= db.db.claim("second", SystemClock.now(), lease_secs).await.unwrap().is_some();
        }
        assert!(first.await.unwrap(), "the first worker ran the job");
        assert!(!second_ran, "nobody took over a job whose worker was alive");
        assert_eq!(slow.runs.load(Ordering::SeqCst), 1);
        assert!(db.db.claim("second", SystemClock.now(), lease_secs).await.unwrap().is_none(), "and it is done");
    }
}

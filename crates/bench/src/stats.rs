//! Latency figures and rates.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// Latency figures of one run, in milliseconds.
pub struct Timings {
    pub requests: usize,
    pub wall: Duration,
    pub median: f64,
    pub p90: f64,
    pub p99: f64,
}

impl Timings {
    pub fn of(mut each: Vec<Duration>, wall: Duration) -> Timings {
        each.sort();
        let at = |q: f64| each[((each.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1000.0;
        Timings { requests: each.len(), wall, median: at(0.5), p90: at(0.9), p99: at(0.99) }
    }

    pub fn per_second(&self) -> f64 {
        self.requests as f64 / self.wall.as_secs_f64()
    }

    pub fn print(&self, what: &str) {
        println!(
            "| {what} | {} | {:.0} | {:.1} | {:.1} | {:.1} |",
            self.requests,
            self.per_second(),
            self.median,
            self.p90,
            self.p99
        );
    }
}

/// Percentiles of latencies kept in microseconds.
pub struct Latencies {
    pub count: usize,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

impl Latencies {
    pub fn of(mut micros: Vec<u32>) -> Latencies {
        if micros.is_empty() {
            return Latencies { count: 0, p50: 0.0, p95: 0.0, p99: 0.0, max: 0.0 };
        }
        micros.sort_unstable();
        let at = |q: f64| micros[((micros.len() as f64 - 1.0) * q).round() as usize] as f64 / 1000.0;
        Latencies { count: micros.len(), p50: at(0.5), p95: at(0.95), p99: at(0.99), max: at(1.0) }
    }

    pub fn json(&self) -> Value {
        json!({"count": self.count, "p50_ms": round(self.p50, 2), "p95_ms": round(self.p95, 2),
               "p99_ms": round(self.p99, 2), "max_ms": round(self.max, 2)})
    }

    pub fn text(&self) -> String {
        format!("p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms", self.p50, self.p95, self.p99, self.max)
    }
}

pub fn round(v: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (v * f).round() / f
}

/// A small, fast pseudo-random generator (SplitMix64): which SKU each member buys.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64) < p * (1u64 << 53) as f64
    }
}

/// How many write-and-fsync cycles this disk does per second now: durable figures
/// depend on it, and it swings from minute to minute.
pub fn fsyncs_per_second_in(dir: &std::path::Path) -> anyhow::Result<f64> {
    use std::io::Write;
    let path = dir.join(format!("sweep-bench-fsync-{}", std::process::id()));
    let mut file = std::fs::File::create(&path)?;
    let started = Instant::now();
    let rounds = 200;
    for _ in 0..rounds {
        file.write_all(&[0u8; 512])?;
        file.sync_all()?;
    }
    let rate = rounds as f64 / started.elapsed().as_secs_f64();
    std::fs::remove_file(&path)?;
    Ok(rate)
}

//! How far the big screen trails the orders: a head-office browser's view of
//! `/api/v1/live/stream` during a flash sale. Each `board` event's count of orders placed
//! today is noted with the moment it arrived; an accepted order's lag is the time from
//! its acknowledgement to the first event counting it.

use std::time::Instant;

use serde_json::Value;

use crate::client::Client;
use crate::stats::Latencies;

/// (microseconds since the burst started, orders placed today) per board event.
pub type Samples = Vec<(u64, i64)>;

/// Follows the merchant's board from before the burst (`start`) until `stop` fires.
pub async fn watch(
    owner: Client,
    start: Instant,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<Samples> {
    let mut samples = vec![];
    let mut response = owner.http.get(format!("{}/api/v1/live/stream", owner.base)).send().await?;
    anyhow::ensure!(response.status().is_success(), "live stream: {}", response.status());
    let mut text = String::new();
    loop {
        let chunk = tokio::select! {
            c = response.chunk() => c?,
            _ = stop.changed() => break,
        };
        let Some(chunk) = chunk else { break };
        text.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = text.find("\n\n") {
            let event: String = text.drain(..end + 2).collect();
            if !event.starts_with("event: board") {
                continue;
            }
            let Some(data) = event.lines().find_map(|l| l.strip_prefix("data: ")) else { continue };
            let board: Value = serde_json::from_str(data)?;
            let at = Instant::now().saturating_duration_since(start).as_micros() as u64;
            samples.push((at, board["today"]["placed"].as_i64().unwrap_or(0)));
        }
    }
    Ok(samples)
}

/// The lag of each accepted order, given the moments (µs since the start) they were
/// acknowledged and the placed count the board showed before the burst. Orders the
/// board never showed count as missing.
pub fn lags(mut acknowledged: Vec<u64>, samples: &Samples, before: i64) -> (Latencies, usize) {
    acknowledged.sort_unstable();
    let mut lags = Vec::with_capacity(acknowledged.len());
    let mut missing = 0;
    for (k, done) in acknowledged.iter().enumerate() {
        // The k-th acknowledged order is surely counted once the board shows k + 1 more.
        let needed = before + k as i64 + 1;
        match samples.iter().find(|(at, placed)| *placed >= needed && *at >= *done) {
            Some((at, _)) => lags.push((at - done).min(u32::MAX as u64) as u32),
            None => missing += 1,
        }
    }
    (Latencies::of(lags), missing)
}

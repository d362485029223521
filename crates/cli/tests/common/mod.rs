//! What the binary's tests share: the built `sweep`, free ports, and servers started
//! as child processes that are killed when dropped.

#![allow(dead_code)]

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const SWEEP: &str = env!("CARGO_BIN_EXE_sweep");

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub fn sweep(dir: &Path, args: &[&str]) -> Output {
    Command::new(SWEEP)
        .args(args)
        .current_dir(dir)
        .env_remove("SWEEP_DATABASE_URL")
        .env("SWEEP_LOG", "warn")
        .output()
        .unwrap()
}

pub struct Server(pub Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub async fn start(dir: &Path, args: &[&str], health_url: &str, client: &reqwest::Client) -> Server {
    let child = Command::new(SWEEP)
        .args(args)
        .current_dir(dir)
        .env("SWEEP_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let server = Server(child);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(r) = client.get(health_url).send().await
            && r.status().is_success()
        {
            return server;
        }
        assert!(Instant::now() < deadline, "sweep serve did not become healthy");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

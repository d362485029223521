//! `suite`: the reliability suite in one command, on SQLite and PostgreSQL.
//!
//! Runs each drill as a child process of this program, one after another, and ends
//! with a table of what each printed as its JSON line and whether it passed. The short
//! suite is what CI runs; `--long` is the published one (hundreds of kills, longer
//! faults and storms, ten minutes of schemathesis, the 30-minute soak, fuzzing).

use std::process::{Command, Stdio};
use std::time::Instant;

use std::io::{BufRead, BufReader};

use anyhow::{Context, ensure};

use crate::remote::secs_since;

#[derive(clap::Args)]
pub struct Args {
    /// The long suite (a few hours) instead of the short one CI runs (about 15 minutes).
    #[arg(long)]
    long: bool,
    /// Only the steps whose name contains this (e.g. `crash`, `postgres`).
    #[arg(long)]
    only: Option<String>,
}

/// The drills, each with its short and long arguments.
fn steps(long: bool) -> Vec<(String, Vec<String>)> {
    let drills: [(&str, &str, &str); 5] = [
        ("crash", "--kills 5", "--kills 200"),
        ("faults", "--fault-secs 5", "--fault-secs 10 --rounds 5"),
        ("storm", "--orders 300", "--orders 10000"),
        ("schemathesis", "--max-time 60", "--max-time 600"),
        ("soak", "", "--minutes 30"),
    ];
    let mut steps = vec![];
    for db in ["sqlite", "postgres"] {
        for (drill, short, long_args) in drills {
            // The soak is the long suite's only: half an hour per database.
            if drill == "soak" && !long {
                continue;
            }
            let mut args = vec![drill.to_string(), "--db".into(), db.into()];
            args.extend((if long { long_args } else { short }).split_whitespace().map(str::to_string));
            steps.push((format!("{drill} ({db})"), args));
        }
    }
    steps
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let me = std::env::current_exe()?;
    let mut results = vec![];
    for (name, step) in steps(args.long) {
        if args.only.as_ref().is_some_and(|only| !name.contains(only.as_str())) {
            continue;
        }
        println!("\n=== {name}: sweep-bench {}", step.join(" "));
        let started = Instant::now();
        let mut child =
            Command::new(&me).args(&step).stdout(Stdio::piped()).spawn().with_context(|| format!("start {name}"))?;
        // Echo the drill's output as it comes, keeping its last JSON line.
        let mut figures = String::new();
        for line in BufReader::new(child.stdout.take().context("the drill's output")?).lines() {
            let line = line?;
            println!("{line}");
            if line.starts_with('{') {
                figures = line;
            }
        }
        let passed = child.wait()?.success();
        results.push((name, passed, secs_since(started), figures));
    }
    if args.long {
        let fuzz = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/run.sh");
        if fuzz.exists() && args.only.as_ref().is_none_or(|o| "fuzz".contains(o.as_str())) {
            println!("\n=== fuzz: {} 300", fuzz.display());
            let started = Instant::now();
            let passed = Command::new("bash").arg(&fuzz).arg("300").status()?.success();
            results.push(("fuzz (cargo-afl)".into(), passed, secs_since(started), String::new()));
        }
    }
    println!("\n=== the suite ({})", if args.long { "long" } else { "short" });
    for (name, passed, secs, figures) in &results {
        println!("{} {name:<24} {secs:>6.0} s  {figures}", if *passed { "pass" } else { "FAIL" });
    }
    let failed = results.iter().filter(|r| !r.1).count();
    ensure!(failed == 0, "{failed} of {} steps failed", results.len());
    Ok(())
}

//! `suite`: the reliability suite in one command, on SQLite and PostgreSQL.
//!
//! Runs each drill as a child process of this program, one after another, and ends
//! with a table of what each printed as its JSON line and whether it passed. The short
//! suite is what CI runs; `--long` is the published one (two hundred kills per database,
//! longer faults and storms, five minutes of schemathesis, the 30-minute soak, fuzzing).

use std::process::{Command, Stdio};
use std::time::Instant;

use std::io::{BufRead, BufReader};

use anyhow::{Context, ensure};

use crate::remote::secs_since;

#[derive(clap::Args)]
pub struct Args {
    /// The long suite (about two hours) instead of the short one CI runs (about 15 minutes).
    #[arg(long)]
    long: bool,
    /// Only the steps whose name contains one of these, comma-separated (e.g. `crash`,
    /// `postgres`, `soak (sqlite),fuzz`).
    #[arg(long)]
    only: Option<String>,
}

impl Args {
    fn picks(&self, step: &str) -> bool {
        self.only
            .as_ref()
            .is_none_or(|only| only.split(',').map(str::trim).filter(|o| !o.is_empty()).any(|o| step.contains(o)))
    }
}

/// Fuzzing time per target in the long suite (five targets).
const FUZZ_SECS_PER_TARGET: u32 = 120;

/// The drills, each with its short and long arguments. The long ones are sized so the
/// whole long suite takes about two hours on a 2-core machine (the soaks are one of them).
fn steps(long: bool) -> Vec<(String, Vec<String>)> {
    let drills: [(&str, &str, &str); 5] = [
        ("crash", "--kills 5", "--kills 200"),
        ("faults", "--fault-secs 5", "--fault-secs 10 --rounds 5"),
        ("storm", "--orders 300", "--orders 5000"),
        ("schemathesis", "--max-time 60", "--max-time 300"),
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
        if !args.picks(&name) {
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
        if fuzz.exists() && args.picks("fuzz (cargo-afl)") {
            println!("\n=== fuzz: {} {FUZZ_SECS_PER_TARGET}", fuzz.display());
            let started = Instant::now();
            let passed = Command::new("bash").arg(&fuzz).arg(FUZZ_SECS_PER_TARGET.to_string()).status()?.success();
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

#[cfg(test)]
mod tests {
    use super::Args;

    #[test]
    fn only_picks_the_steps_any_listed_word_names() {
        let some = Args { long: true, only: Some("crash, soak (sqlite),".into()) };
        assert!(some.picks("crash (postgres)") && some.picks("soak (sqlite)"));
        assert!(!some.picks("soak (postgres)") && !some.picks("fuzz (cargo-afl)"), "an empty word picks nothing");
        let all = Args { long: true, only: None };
        assert!(all.picks("fuzz (cargo-afl)"));
    }
}

//! `schemathesis`: property-based API testing against the published contract.
//!
//! Starts `sweep serve --demo` on a fresh database, gives schemathesis (from PyPI,
//! pinned in `crates/bench/schemathesis/requirements.txt`, installed into a virtualenv
//! under `target/` on first use) an API token of the demo owner, and lets it generate
//! requests from `/api/openapi.json` for every operation: valid and invalid bodies,
//! parameters and headers. It fails on any 5xx and on any answer that breaks the
//! documented schema. Then `sweep check` must still pass on what the requests left.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, ensure};
use reqwest::StatusCode;
use serde_json::json;
use sweep_store::testing::TestDb;

use crate::client::Client;
use crate::crash::{self, DEMO_PASSWORD, OWNER, Server};
use crate::drill;
use crate::local;
use crate::remote::secs_since;

#[derive(clap::Args)]
pub struct Args {
    #[arg(long, value_enum, default_value = "sqlite")]
    db: local::Db,
    /// Time budget for generating requests, in seconds.
    #[arg(long, default_value_t = 120)]
    max_time: u64,
    /// Requests in flight at once. One by default: with more, schemathesis's workers
    /// (threads) trip CPython 3.11's `ast.parse`, which is not thread-safe ("AST
    /// constructor recursion depth mismatch" inside hypothesis), a runtime error of the
    /// tool, not an answer of Sweep's.
    #[arg(long, default_value_t = 1)]
    workers: u32,
    /// Seed, to repeat a run.
    #[arg(long)]
    seed: Option<String>,
    /// The `sweep` binary [the one beside this program].
    #[arg(long)]
    sweep: Option<PathBuf>,
}

/// The checks every answer is held to.
const CHECKS: &str = "not_a_server_error,response_schema_conformance,content_type_conformance";
/// Operations left out: they would end the run's own session or token.
const EXCLUDED: &str = "/auth/logout|/api-tokens/\\{id\\}/revoke|/me/password|/s/\\{slug\\}/api/logout";

pub async fn run(args: Args) -> anyhow::Result<()> {
    let sweep = drill::sweep_binary(args.sweep.as_deref())?;
    let st = installed()?;
    drill::on_fresh_db(args.db, async |db| fuzz(&args, &st, &sweep, db, args.db.label()).await).await
}

async fn fuzz(args: &Args, st: &Path, sweep: &Path, db: &TestDb, label: &str) -> anyhow::Result<()> {
    let started = Instant::now();
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let base = format!("http://127.0.0.1:{port}");
    let _server = Server::start(sweep, db.dir.path(), port, &db.url).await?;
    let owner = Client::sign_in(&base, OWNER, DEMO_PASSWORD).await?;
    let (status, token) = owner.post("/api/v1/api-tokens", json!({"name": "schemathesis"})).await?;
    ensure!(status == StatusCode::CREATED, "API token: {status} {token}");
    let secret = token["secret"].as_str().context("the token's secret")?;

    let config = db.dir.path().join("schemathesis.toml");
    std::fs::write(&config, config_with_ids(&owner).await?)?;
    let mut command = Command::new(st);
    command
        .arg("--config-file")
        .arg(&config)
        .args(["run", &format!("{base}/api/openapi.json"), "--checks", CHECKS])
        .args(["--phases", "examples,coverage,fuzzing", "--exclude-path-regex", EXCLUDED])
        .args(["--max-time", &args.max_time.to_string(), "--workers", &args.workers.to_string()])
        .args(["--header", &format!("Authorization: Bearer {secret}")])
        .args(["--request-timeout", "30", "--no-color"]);
    if let Some(seed) = &args.seed {
        command.args(["--seed", seed]);
    }
    println!("schemathesis ({label}): {} s against {base}, checks {CHECKS}", args.max_time);
    // Its working files (.schemathesis/) go beside the database, not into the checkout.
    let out = command.current_dir(db.dir.path()).env("NO_COLOR", "1").output().context("run schemathesis")?;
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    let summary = text.lines().skip_while(|l| !l.contains("SUMMARY")).collect::<Vec<_>>().join("\n");
    // On failure everything before the summary: the FAILURES and ERRORS sections.
    if !out.status.success() {
        let report: Vec<&str> = text.lines().take_while(|l| !l.contains("SUMMARY")).collect();
        println!("{}", report[report.len().saturating_sub(300)..].join("\n"));
    }
    println!("{summary}");
    let cases = test_cases(&text);
    let check = crash::sweep_check(sweep, db.dir.path(), &db.url);
    if let Err(e) = &check {
        eprintln!("sweep check failed after the run:\n{e}");
    }
    println!(
        "{}",
        json!({"schemathesis": label, "generated": cases.0, "passed": cases.1, "failed": cases.2,
               "exit": out.status.code(), "check_passed": check.is_ok(), "elapsed_secs": secs_since(started).round()})
    );
    ensure!(out.status.success() && cases.2 == 0, "schemathesis found failures ({label})");
    ensure!(check.is_ok(), "sweep check failed after the schemathesis run ({label})");
    Ok(())
}

/// The checked-in configuration plus, per path, a real id of the demo merchant for
/// `{id}` and its kin: without them nearly every request on one resource would meet a
/// 404 before reaching the code worth testing.
async fn config_with_ids(owner: &Client) -> anyhow::Result<String> {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemathesis/schemathesis.toml");
    let mut config = std::fs::read_to_string(base)?;
    let first = |list: serde_json::Value, field: &str| list["items"][0][field].as_str().map(str::to_string);
    let mut ids: Vec<(&str, &str, Option<String>)> = vec![];
    for (prefix, list) in [
        ("/api/v1/orders/", "/api/v1/orders?limit=1"),
        ("/api/v1/products/", "/api/v1/products?limit=1"),
        ("/api/v1/skus/", "/api/v1/skus?limit=1"),
        ("/api/v1/locations/", "/api/v1/locations?limit=1"),
        ("/api/v1/categories/", "/api/v1/categories?limit=1"),
        ("/api/v1/campaigns/", "/api/v1/campaigns?limit=1"),
        ("/api/v1/cards/", "/api/v1/cards?limit=1"),
        ("/api/v1/coupons/", "/api/v1/coupons?limit=1"),
        ("/api/v1/flash-sales/", "/api/v1/flash-sales?limit=1"),
        ("/api/v1/staff/", "/api/v1/staff?limit=1"),
    ] {
        ids.push((prefix, "id", first(owner.fetch(list).await?, "id")));
    }
    let orders = owner.fetch("/api/v1/orders?limit=1").await?;
    ids.push(("/api/v1/members/", "shopper_id", first(orders, "shopper_id")));
    let stores = owner.fetch("/api/v1/locations?kind=store&limit=1").await?;
    ids.push(("/api/v1/skus/", "location_id", first(stores, "id")));
    let me = owner.fetch("/api/v1/me").await?;
    ids.push(("/api/v1/merchants/", "id", me["staff"]["merchant_id"].as_str().map(str::to_string)));
    for (prefix, name, id) in ids {
        if let Some(id) = id {
            config.push_str(&format!(
                "\n[[operations]]\ninclude-path-regex = \"^{prefix}\"\nparameters = {{ {name} = \"{id}\" }}\n"
            ));
        }
    }
    Ok(config)
}

/// The summary's "N generated, N passed[, N failed]" line, as numbers.
fn test_cases(text: &str) -> (u64, u64, u64) {
    let summary = text.lines().skip_while(|l| !l.contains("Test cases:"));
    let Some(line) = summary.skip(1).find(|l| l.contains(" generated")) else { return (0, 0, 0) };
    let count = |word: &str| -> u64 {
        line.split(',')
            .find(|part| part.contains(word))
            .and_then(|part| part.split_whitespace().find_map(|w| w.replace('_', "").parse().ok()))
            .unwrap_or(0)
    };
    (count("generated"), count("passed"), count("failed"))
}

/// The `st` program from the pinned requirements, installing them into a virtualenv
/// under `target/` the first time (and when the requirements change).
fn installed() -> anyhow::Result<PathBuf> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let requirements = manifest.join("schemathesis/requirements.txt");
    let venv = manifest.join("../../target/schemathesis");
    let st = venv.join("bin/st");
    let stamp = venv.join("requirements.txt");
    let wanted = std::fs::read_to_string(&requirements)?;
    if st.exists() && std::fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) {
        return Ok(st);
    }
    println!("installing schemathesis into {}", venv.display());
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    run_program(Command::new(&python).args(["-m", "venv"]).arg(&venv))?;
    run_program(
        Command::new(venv.join("bin/pip"))
            .args(["install", "-q", "--disable-pip-version-check", "-r"])
            .arg(&requirements),
    )?;
    std::fs::write(&stamp, wanted)?;
    Ok(st)
}

fn run_program(command: &mut Command) -> anyhow::Result<()> {
    let status = command.status().with_context(|| format!("{command:?}"))?;
    ensure!(status.success(), "{command:?} failed");
    Ok(())
}

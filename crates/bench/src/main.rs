//! `sweep-bench`: a load generator for Sweep.
//!
//! - Without a subcommand it starts a real server in this process on a fresh database
//!   and times storefront pages, card sheets and checkouts ([`local`]).
//! - `flash` runs a Double 11 flash sale against running servers: a fresh merchant, its
//!   SKUs on sale, a crowd of signed-in members each buying once the moment it starts,
//!   then the books checked through the API ([`flash`]).
//! - `console` fills a merchant with a generated history of orders and times every
//!   console page and analytics query ([`console`]).
//! - `day` runs an ordinary day against running servers: browsing, product pages, cart,
//!   orders and payments ([`day`]).
//! - `crash` kills a `sweep serve` child with SIGKILL again and again under mixed load,
//!   checking the books after every kill and that nothing acknowledged was lost
//!   ([`crash`]).
//! - `storm` sends thousands of payment notifications at once, duplicated, replayed,
//!   forged, late and shuffled: each order paid at most once, nothing forged believed,
//!   late money refunded ([`storm`]).
//! - `faults` makes the database fail under load: connections cut, PostgreSQL stopped
//!   abruptly on a throwaway cluster, SQLite's write lock held by another process
//!   ([`faults`]).
//! - `schemathesis` runs schemathesis against the OpenAPI document of a demo server
//!   ([`schemathesis`]).
//! - `soak` runs mixed load for half an hour, watching memory, descriptors and p99
//!   ([`soak`]).
//! - `suite` runs them all on both databases, short (CI) or `--long`, and prints a
//!   table of their figures ([`suite`]).
//!
//! Figures go into docs/BENCHMARKS.md with the command, the machine and the date.

mod client;
mod console;
mod crash;
mod day;
mod drill;
mod faults;
mod flash;
mod http;
mod local;
mod remote;
mod schemathesis;
mod screen;
mod soak;
mod stats;
mod storm;
mod suite;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(about = "Times Sweep's storefront pages, checkouts and flash sales", args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    local: local::Args,
}

#[derive(Subcommand)]
enum Command {
    /// A Double 11 flash sale against running servers (`sweep serve --demo`): a fresh
    /// merchant, members from the rehearsal endpoint, one burst, the books checked.
    Flash(flash::Args),
    /// An ordinary day against running servers: browsing, product pages, cart, orders
    /// and sandbox payments, with the rate and latency of each.
    Day(day::Args),
    /// The merchant console at scale: a generated history of orders, then every console
    /// page and analytics query timed (in process, on a fresh database).
    Console(console::Args),
    /// `sweep serve` killed with SIGKILL again and again under mixed load: after every
    /// kill `sweep check` passes and no acknowledged order or payment is lost.
    Crash(crash::Args),
    /// The database fails under load (PostgreSQL on a throwaway cluster: connections
    /// cut, stopped abruptly and restarted; SQLite: the write lock held by another
    /// process): fast, clear refusals, nothing half-applied, retries make nothing twice.
    Faults(faults::Args),
    /// schemathesis (from PyPI) against `/api/openapi.json` of a demo server: no 5xx,
    /// no answer that breaks the documented schema, `sweep check` still passing.
    Schemathesis(schemathesis::Args),
    /// A long stretch of mixed load (30 minutes by default) with the server's memory,
    /// open descriptors and p99 watched for growth.
    Soak(soak::Args),
    /// The reliability suite on both databases (crash, faults, storm, schemathesis;
    /// `--long` adds the soak and fuzzing), with a table of the figures at the end.
    Suite(suite::Args),
    /// A storm of payment notifications against `sweep serve --demo`: duplicated,
    /// replayed, forged, late and out of order; each order paid at most once.
    Storm(storm::Args),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let threads = match &cli.command {
        None => None,
        Some(Command::Flash(a)) => Some(a.remote.threads),
        Some(Command::Day(a)) => Some(a.remote.threads),
        // The drills drive child processes: the runtime's defaults do.
        Some(_) => None,
    };
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = threads {
        runtime.worker_threads(n.max(1));
    }
    let runtime = runtime.enable_all().build()?;
    runtime.block_on(async move {
        match cli.command {
            None => local::run(cli.local).await,
            Some(Command::Flash(args)) => flash::run(args).await,
            Some(Command::Day(args)) => day::run(args).await,
            Some(Command::Console(args)) => console::run(args).await,
            Some(Command::Crash(args)) => crash::run(args).await,
            Some(Command::Storm(args)) => storm::run(args).await,
            Some(Command::Faults(args)) => faults::run(args).await,
            Some(Command::Schemathesis(args)) => schemathesis::run(args).await,
            Some(Command::Soak(args)) => soak::run(args).await,
            Some(Command::Suite(args)) => suite::run(args).await,
        }
    })
}

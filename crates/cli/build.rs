// Decides at build time whether the PostgreSQL tests run: with SWEEP_TEST_DATABASE_URL
// set, or with CI=true (where a missing URL must fail, not skip). Otherwise they are
// reported as ignored.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(sweep_pg_tests)");
    println!("cargo::rerun-if-env-changed=SWEEP_TEST_DATABASE_URL");
    println!("cargo::rerun-if-env-changed=CI");
    let has_url = std::env::var("SWEEP_TEST_DATABASE_URL").is_ok_and(|v| !v.is_empty());
    let in_ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    if has_url || in_ci {
        println!("cargo::rustc-cfg=sweep_pg_tests");
    }
}

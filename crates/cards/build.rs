//! Turns on the test that reads printed PDFs back as text when poppler's `pdftotext`
//! is there to do it, and always under CI (which installs it), so CI cannot skip it.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(sweep_poppler_tests)");
    println!("cargo::rerun-if-env-changed=CI");
    println!("cargo::rerun-if-env-changed=PATH");
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let poppler = std::process::Command::new("pdftotext").arg("-v").output().is_ok();
    if ci || poppler {
        println!("cargo::rustc-cfg=sweep_poppler_tests");
    }
}

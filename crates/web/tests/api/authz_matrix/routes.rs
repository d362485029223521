//! The route table, read from the web crate's source: every `.route("PATH", get(..).post(..))`
//! in `src/` (the API's under the `/api/v1` nest), as (method, path) pairs. Nothing here
//! is listed by hand, so a route added anywhere shows up in the matrix.

use std::collections::BTreeSet;
use std::path::Path;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// Every (METHOD, path) the web crate routes, paths as written (`{id}` parameters).
pub fn table() -> BTreeSet<(String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    // The API router is nested; its prefix is read from lib.rs too.
    let nest = lib.split(".nest(\"").nth(1).and_then(|rest| rest.split_once("\", api)")).map(|(p, _)| p.to_string());
    let api_prefix = nest.expect("lib.rs nests the API router with .nest(\"/…\", api)");
    let mut out = BTreeSet::new();
    let mut files = vec![];
    walk(&src, &mut files);
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let prefix = if file.starts_with(src.join("api")) { api_prefix.as_str() } else { "" };
        for (method, path) in routes_in(&text) {
            let path = format!("{prefix}{path}");
            assert!(out.insert((method.clone(), path.clone())), "{method} {path} routed twice");
        }
    }
    out
}

fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The routes of one source file: each `.route("…", …)` call and the method routers in it.
pub fn routes_in(text: &str) -> Vec<(String, String)> {
    let mut out = vec![];
    let mut rest = text;
    while let Some(at) = rest.find(".route(") {
        rest = &rest[at + ".route(".len()..];
        let trimmed = rest.trim_start();
        let Some(literal) = trimmed.strip_prefix('"') else { continue };
        let path = &literal[..literal.find('"').unwrap()];
        // The call's arguments, to its closing parenthesis.
        let (mut depth, mut end) = (1, 0);
        for (i, c) in rest.char_indices() {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            }
            if depth == 0 {
                end = i;
                break;
            }
        }
        let args = &rest[..end];
        let bytes = args.as_bytes();
        for method in METHODS {
            let mut from = 0;
            while let Some(i) = args[from..].find(&format!("{method}(")) {
                let i = from + i;
                let before = if i == 0 { b' ' } else { bytes[i - 1] };
                if !(before.is_ascii_alphanumeric() || before == b'_') {
                    out.push((method.to_ascii_uppercase(), path.to_string()));
                }
                from = i + method.len();
            }
        }
    }
    out
}

#[test]
fn the_reader_finds_every_method_of_a_route() {
    let text = r#"Router::new()
        .route("/a/{id}", get(x::show).post(x::update))
        .route("/b", axum::routing::delete(catalog::delete_image))
        .route("/c", put(prices::set_channel).delete(prices::delete_channel))
        .route(
            "/d",
            get(forms::get_form).patch(forms::post_it),
        )"#;
    let found = routes_in(text);
    let want: Vec<(String, String)> = [
        ("GET", "/a/{id}"),
        ("POST", "/a/{id}"),
        ("DELETE", "/b"),
        ("PUT", "/c"),
        ("DELETE", "/c"),
        ("GET", "/d"),
        ("PATCH", "/d"),
    ]
    .iter()
    .map(|(m, p)| (m.to_string(), p.to_string()))
    .collect();
    let (mut found, mut want) = (found, want);
    found.sort();
    want.sort();
    assert_eq!(found, want);
}

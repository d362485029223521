//! The OpenAPI document is a published contract: changes show up in review.

#[test]
fn openapi_document_matches_the_snapshot() {
    let doc = serde_json::to_string_pretty(&sweep_web::openapi::document()).unwrap();
    insta::assert_snapshot!("openapi", doc);
}

#[test]
fn every_route_is_documented() {
    let doc = sweep_web::openapi::document();
    let documented: Vec<String> = doc.paths.paths.keys().cloned().collect();
    let source = include_str!("../../src/api/mod.rs");
    for line in source.lines().filter(|l| l.trim_start().starts_with(".route(\"")) {
        let path = line.split('"').nth(1).unwrap();
        assert!(documented.contains(&format!("/api/v1{path}")), "{path} is routed but not in the OpenAPI document");
    }
    let shop = include_str!("../../src/shop/mod.rs");
    for line in shop.lines().filter(|l| l.trim_start().starts_with(".route(\"/s/{slug}/api/")) {
        let path = line.split('"').nth(1).unwrap();
        assert!(documented.contains(&path.to_string()), "{path} is routed but not in the OpenAPI document");
    }
}

/// Every `$ref` names a schema the document defines: a dangling one leaves clients (and
/// schemathesis) unable to tell what a parameter takes.
#[test]
fn every_reference_resolves() {
    let doc = serde_json::to_value(sweep_web::openapi::document()).unwrap();
    let mut dangling = Vec::new();
    let mut stack = vec![&doc];
    while let Some(node) = stack.pop() {
        match node {
            serde_json::Value::Object(map) => {
                if let Some(target) = map.get("$ref").and_then(|r| r.as_str()) {
                    let pointer = target.trim_start_matches('#');
                    if doc.pointer(pointer).is_none() {
                        dangling.push(target.to_string());
                    }
                }
                stack.extend(map.values());
            }
            serde_json::Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    dangling.sort();
    dangling.dedup();
    assert!(dangling.is_empty(), "references to schemas the document does not define: {dangling:?}");
}

#[test]
fn error_codes_are_documented() {
    let docs = include_str!("../../../../docs/API.md");
    for code in sweep_web::error::ErrorCode::ALL {
        assert!(docs.contains(&format!("`{}`", code.as_str())), "docs/API.md does not describe {}", code.as_str());
    }
}

/// Every reason a use case gives for a conflict is a stable code clients see; each must
/// be in docs/API.md.
#[test]
fn conflict_reasons_are_documented() {
    let docs = include_str!("../../../../docs/API.md");
    let app = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../app/src");
    let mut missing = Vec::new();
    let mut stack = vec![app];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let source = std::fs::read_to_string(&path).unwrap();
            for (i, _) in source.match_indices("conflict(") {
                let rest = source[i + "conflict(".len()..].trim_start();
                if let Some(code) = rest.strip_prefix('"').and_then(|r| r.split('"').next())
                    && !docs.contains(&format!("`{code}`"))
                {
                    missing.push(code.to_string());
                }
            }
        }
    }
    assert!(missing.is_empty(), "undocumented conflict codes: {missing:?}");
}

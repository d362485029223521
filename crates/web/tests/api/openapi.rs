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
}

#[test]
fn error_codes_are_documented() {
    let docs = include_str!("../../../../docs/API.md");
    for code in sweep_web::error::ErrorCode::ALL {
        assert!(docs.contains(&format!("`{}`", code.as_str())), "docs/API.md does not describe {}", code.as_str());
    }
}

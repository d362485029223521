//! Sessions with CSRF, bearer tokens, sign-in throttling.

use reqwest::StatusCode;
use serde_json::json;

use crate::api_test;
use crate::helpers::*;

api_test! {
    async fn cookie_sessions_need_the_csrf_token_to_change_things(app) {
        let (_, owner) = app.merchant("csrf").await;
        let without = owner.clone().without_header("x-csrf-token");
        let (status, _) = without.get("/api/v1/locations").await;
        assert_eq!(status, StatusCode::OK, "reading needs no token");
        let (status, body) = without.post("/api/v1/locations", location_body("X1", "store")).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("csrf_failed")));
        let forged = owner.clone().with_header("x-csrf-token", "forged");
        let (status, _) = forged.post("/api/v1/locations", location_body("X1", "store")).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (_, list) = owner.get("/api/v1/locations").await;
        assert_eq!(list["items"], json!([]), "refused requests changed nothing");

        // Signing out ends the session for good.
        let (status, _) = owner.post_empty("/api/v1/auth/logout").await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, _) = owner.get("/api/v1/me").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
}

api_test! {
    async fn api_tokens_act_as_their_owner_until_revoked(app) {
        let (_, owner) = app.merchant("tokens").await;
        let issued = owner.create("/api/v1/api-tokens", json!({"name": "ERP sync", "expires_in_days": 30})).await;
        let secret = issued["secret"].as_str().unwrap();
        assert!(secret.starts_with("swt_"));
        let bearer = app.anonymous().with_header("authorization", &format!("Bearer {secret}"));
        // No CSRF needed: a bearer token cannot be sent by a browser on its own.
        let created = bearer.create("/api/v1/locations", location_body("T1", "store")).await;
        assert_eq!(created["code"], "T1");
        let (_, listed) = owner.get("/api/v1/api-tokens").await;
        assert_eq!(listed["items"][0]["name"], "ERP sync");
        assert!(listed.to_string().find(secret).is_none(), "secrets are never listed");

        let id = issued["token"]["id"].as_str().unwrap();
        let (status, revoked) = owner.post_empty(&format!("/api/v1/api-tokens/{id}/revoke")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(revoked["revoked_at"].is_string());
        let (status, body) = bearer.get("/api/v1/locations").await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthenticated")));
        let garbage = app.anonymous().with_header("authorization", "Bearer swt_nonsense");
        assert_eq!(garbage.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
    }
}

api_test! {
    async fn wrong_and_right_passwords(app) {
        let (_, owner) = app.merchant("pw").await;
        let anon = app.anonymous();
        let (status, body) = anon.post("/api/v1/auth/login", json!({"login": "owner@pw.test", "password": "wrong password"})).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_credentials")));
        let (status, body) = anon.post("/api/v1/auth/login", json!({"login": "nobody@pw.test", "password": "wrong password"})).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_credentials")), "unknown logins look the same");

        let (status, body) = owner.post("/api/v1/me/password", json!({"current_password": "nope", "new_password": "a brand new password"})).await;
        assert_eq!((status, body["error"]["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("current_password")));
        let (status, _) = owner.post("/api/v1/me/password", json!({"current_password": PASSWORD, "new_password": "a brand new password"})).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert_eq!(owner.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED, "every session ends with a new password");
        let (status, _) = anon.post("/api/v1/auth/login", json!({"login": "owner@pw.test", "password": "a brand new password"})).await;
        assert_eq!(status, StatusCode::OK);
    }
}

api_test! {
    async fn twenty_parallel_guesses_check_at_most_five(app) {
        app.merchant("lock").await;
        let anon = app.anonymous();
        // Twenty guesses at once: the counter is one atomic write per attempt, so no
        // more than the limit of them are checked against the password.
        let guesses = (0..20).map(|_| {
            let anon = anon.clone();
            async move { anon.post("/api/v1/auth/login", json!({"login": "owner@lock.test", "password": "guess guess"})).await.0 }
        });
        let statuses = futures::future::join_all(guesses).await;
        let checked = statuses.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count();
        let refused = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
        assert_eq!((checked, refused), (5, 15), "{statuses:?}");

        // Now even the right password waits, and says for how long.
        let response = anon
            .raw(reqwest::Method::POST, "/api/v1/auth/login")
            .await
            .json(&json!({"login": "owner@lock.test", "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        let retry: i64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=900).contains(&retry), "{retry}");
        // Another account is not locked by this one's attackers... unless they share the
        // client address limit, which is higher.
        let (status, _) = anon.post("/api/v1/auth/login", json!({"login": ADMIN, "password": PASSWORD})).await;
        assert_eq!(status, StatusCode::OK);
    }
}

api_test! {
    async fn a_guesser_locks_out_only_themselves(app) {
        app.merchant("nat").await;
        let attacker = app.anonymous().with_header("x-forwarded-for", "203.0.113.66");
        for _ in 0..6 {
            attacker.post("/api/v1/auth/login", json!({"login": "owner@nat.test", "password": "guess guess"})).await;
        }
        let (status, _) = attacker.post("/api/v1/auth/login", json!({"login": "owner@nat.test", "password": PASSWORD})).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        // The owner, from the shop's own address, is not locked out by the attacker.
        let shop = app.anonymous().with_header("x-forwarded-for", "198.51.100.20");
        let (status, _) = shop.post("/api/v1/auth/login", json!({"login": "owner@nat.test", "password": PASSWORD})).await;
        assert_eq!(status, StatusCode::OK);
        // Many sign-ins that succeed, behind one shop address, are never throttled.
        for _ in 0..40 {
            let (status, _) = shop.post("/api/v1/auth/login", json!({"login": "owner@nat.test", "password": PASSWORD})).await;
            assert_eq!(status, StatusCode::OK);
        }
    }
}

api_test! {
    async fn client_limit_holds_across_accounts(app) {
        app.merchant("spray").await;
        let anon = app.anonymous();
        // Spraying many accounts from one address hits the per-client limit (30).
        let mut last = StatusCode::OK;
        for i in 0..31 {
            last = anon.post("/api/v1/auth/login", json!({"login": format!("user{i}@spray.test"), "password": "guess guess"})).await.0;
        }
        assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
    }
}

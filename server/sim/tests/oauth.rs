mod common;

use common::*;
use serde_json::Value;

#[tokio::test]
async fn code_flow_with_pkce_refresh_and_revoke() {
    let run = start(small()).await;
    let (verifier, challenge) = pkce();

    // A wrong verifier is refused (and the code is used up).
    let location = authorize(&run, "approve", Some(&challenge)).await;
    assert!(location.starts_with(REDIRECT));
    assert_eq!(query_param(&location, "state").as_deref(), Some("st4te"));
    let code = query_param(&location, "code").expect("code");
    let refused = exchange(
        &run,
        &code,
        Some("not-the-verifier-at-all-0000000000000000000"),
    )
    .await;
    assert_eq!(refused.status(), 400);
    let body: Value = refused.json().await.expect("json");
    assert_eq!(body["error"], "invalid_request");

    // The right verifier works.
    let location = authorize(&run, "approve", Some(&challenge)).await;
    let code = query_param(&location, "code").expect("code");
    let response = exchange(&run, &code, Some(&verifier)).await;
    assert_eq!(response.status(), 200);
    let token: Value = response.json().await.expect("json");
    for key in [
        "access_token",
        "refresh_token",
        "instance_url",
        "id",
        "issued_at",
        "signature",
        "scope",
    ] {
        assert!(token[key].is_string(), "{key} missing in {token}");
    }
    assert_eq!(token["token_type"], "Bearer");
    assert_eq!(token["instance_url"], run.base);
    // A code is single use.
    let again = exchange(&run, &code, Some(&verifier)).await;
    assert_eq!(again.status(), 400);
    assert_eq!(
        again.json::<Value>().await.expect("json")["error"],
        "invalid_grant"
    );

    // Identity URL and userinfo.
    let access = token["access_token"].as_str().expect("access");
    let id_url = token["id"].as_str().expect("id");
    let identity: Value = run
        .http
        .get(id_url)
        .bearer_auth(access)
        .send()
        .await
        .expect("id")
        .json()
        .await
        .expect("json");
    assert_eq!(identity["username"], "admin@orgsync-sim.example");
    assert_eq!(identity["organization_id"], run.sim.org_id());
    let info: Value = get(&run, access, "/services/oauth2/userinfo")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(info["preferred_username"], "admin@orgsync-sim.example");
    assert!(
        info["user_id"]
            .as_str()
            .is_some_and(|u| u.starts_with("005") && u.len() == 18)
    );
    let bad = get(&run, "nope", "/services/oauth2/userinfo").await;
    assert_eq!(bad.status(), 403);

    // Refresh.
    let (client_id, secret) = run.sim.client_credentials();
    let refresh = token["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_string();
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh.as_str()),
        ("client_id", client_id.as_str()),
        ("client_secret", secret.as_str()),
    ];
    let url = format!("{}/services/oauth2/token", run.base);
    let refreshed = run
        .http
        .post(&url)
        .form(&form)
        .send()
        .await
        .expect("refresh");
    assert_eq!(refreshed.status(), 200);
    let refreshed: Value = refreshed.json().await.expect("json");
    assert!(refreshed.get("refresh_token").is_none());
    let new_access = refreshed["access_token"]
        .as_str()
        .expect("access")
        .to_string();
    assert_eq!(
        get(&run, &new_access, "/services/data/v62.0/limits")
            .await
            .status(),
        200
    );

    // Revoke the refresh token: it and its access tokens die.
    let revoked = run
        .http
        .post(format!("{}/services/oauth2/revoke", run.base))
        .form(&[("token", refresh.as_str())])
        .send()
        .await
        .expect("revoke");
    assert_eq!(revoked.status(), 200);
    let after = run
        .http
        .post(&url)
        .form(&form)
        .send()
        .await
        .expect("refresh");
    assert_eq!(after.status(), 400);
    let body: Value = after.json().await.expect("json");
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(body["error_description"], "expired access/refresh token");
    assert_eq!(
        get(&run, &new_access, "/services/data/v62.0/limits")
            .await
            .status(),
        401
    );
}

#[tokio::test]
async fn deny_redirects_with_access_denied() {
    let run = start(small()).await;
    let location = authorize(&run, "deny", None).await;
    assert_eq!(
        query_param(&location, "error").as_deref(),
        Some("access_denied")
    );
    assert_eq!(query_param(&location, "state").as_deref(), Some("st4te"));
    assert!(query_param(&location, "code").is_none());
}

#[tokio::test]
async fn bad_client_and_grant_errors() {
    let run = start(small()).await;
    let url = format!("{}/services/oauth2/token", run.base);
    let response = run
        .http
        .post(&url)
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "x"),
            ("client_id", "nope"),
        ])
        .send()
        .await
        .expect("token");
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.json::<Value>().await.expect("json")["error"],
        "invalid_client_id"
    );
    let response = run
        .http
        .post(&url)
        .form(&[("grant_type", "magic")])
        .send()
        .await
        .expect("token");
    assert_eq!(
        response.json::<Value>().await.expect("json")["error"],
        "unsupported_grant_type"
    );
    // Unknown redirect URIs never receive a code.
    let (client_id, _) = run.sim.client_credentials();
    let page = run
        .http
        .get(format!("{}/services/oauth2/authorize", run.base))
        .query(&[
            ("response_type", "code"),
            ("client_id", &client_id),
            ("redirect_uri", "https://evil.example/cb"),
        ])
        .send()
        .await
        .expect("authorize");
    assert_eq!(page.status(), 400);
}

#[tokio::test]
async fn expired_access_token_gives_invalid_session_id() {
    let run = start(small()).await;
    let token = login(&run).await;
    let access = token["access_token"].as_str().expect("access");
    assert_eq!(
        get(&run, access, "/services/data/v62.0/sobjects")
            .await
            .status(),
        200
    );
    let expired = control(
        &run,
        reqwest::Method::POST,
        "/tokens/expire-access",
        Value::Null,
    )
    .await;
    assert_eq!(expired.status(), 200);
    let response = get(&run, access, "/services/data/v62.0/sobjects").await;
    assert_eq!(response.status(), 401);
    assert_eq!(
        response.text().await.expect("body"),
        r#"[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]"#
    );
    // The refresh token still works after an access-token expiry...
    let (client_id, secret) = run.sim.client_credentials();
    let refresh = token["refresh_token"].as_str().expect("refresh");
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh),
        ("client_id", &client_id),
        ("client_secret", &secret),
    ];
    let url = format!("{}/services/oauth2/token", run.base);
    assert_eq!(
        run.http
            .post(&url)
            .form(&form)
            .send()
            .await
            .expect("refresh")
            .status(),
        200
    );
    // ...but not after the control API revokes all refresh tokens.
    control(
        &run,
        reqwest::Method::POST,
        "/tokens/revoke-refresh",
        Value::Null,
    )
    .await;
    let response = run
        .http
        .post(&url)
        .form(&form)
        .send()
        .await
        .expect("refresh");
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.json::<Value>().await.expect("json")["error"],
        "invalid_grant"
    );
}

#[tokio::test]
async fn access_tokens_expire_after_the_configured_ttl() {
    let config = sim::SimConfig {
        access_token_ttl: std::time::Duration::from_millis(300),
        ..small()
    };
    let run = start(config).await;
    let token = login(&run).await;
    let access = token["access_token"].as_str().expect("access");
    assert_eq!(
        get(&run, access, "/services/data/v62.0/limits")
            .await
            .status(),
        200
    );
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert_eq!(
        get(&run, access, "/services/data/v62.0/limits")
            .await
            .status(),
        401
    );
}

#[tokio::test]
async fn tls_serves_https() {
    let config = sim::SimConfig {
        tls: true,
        ..small()
    };
    let run = start(config).await;
    assert!(run.base.starts_with("https://"));
    assert!(
        run.sim
            .certificate_pem()
            .is_some_and(|p| p.contains("BEGIN CERTIFICATE"))
    );
    let served = run
        .http
        .get(format!("{}/__sim/certificate", run.base))
        .send()
        .await
        .expect("certificate");
    assert_eq!(served.status(), 200);
    assert_eq!(
        served.text().await.expect("pem"),
        run.sim.certificate_pem().expect("pem")
    );
    let token = login(&run).await;
    assert!(
        token["instance_url"]
            .as_str()
            .is_some_and(|u| u.starts_with("https://127.0.0.1:"))
    );
    let versions: Value = run
        .http
        .get(format!("{}/services/data/", run.base))
        .send()
        .await
        .expect("versions")
        .json()
        .await
        .expect("json");
    assert_eq!(
        versions
            .as_array()
            .and_then(|v| v.last())
            .map(|v| v["version"].clone()),
        Some("62.0".into())
    );
}

/// A refresh-token grant with the simulator's client credentials.
async fn refresh_grant(run: &Running, refresh: &str) -> reqwest::Response {
    let (client_id, secret) = run.sim.client_credentials();
    run.http
        .post(format!("{}/services/oauth2/token", run.base))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
            ("client_id", &client_id),
            ("client_secret", &secret),
        ])
        .send()
        .await
        .expect("refresh")
}

/// Salesforce's answer to an expired (or revoked) refresh token.
async fn assert_expired_refresh(response: reqwest::Response) {
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.json::<Value>().await.expect("json"),
        serde_json::json!({"error": "invalid_grant", "error_description": "expired access/refresh token"})
    );
}

#[tokio::test]
async fn refresh_tokens_expire_after_the_configured_ttl() {
    let config = sim::SimConfig {
        refresh_token_ttl: Some(std::time::Duration::from_millis(800)),
        ..small()
    };
    let run = start(config).await;
    let token = login(&run).await;
    let issued = std::time::Instant::now();
    let refresh = token["refresh_token"].as_str().expect("refresh");
    let fresh = refresh_grant(&run, refresh).await;
    assert!(issued.elapsed() < std::time::Duration::from_millis(800));
    assert_eq!(fresh.status(), 200);
    tokio::time::sleep(std::time::Duration::from_millis(1_000)).await;
    assert_expired_refresh(refresh_grant(&run, refresh).await).await;
}

#[tokio::test]
async fn refresh_token_ttl_is_settable_through_the_control_api() {
    let run = start(small()).await;
    let token = login(&run).await;
    let refresh = token["refresh_token"].as_str().expect("refresh");
    assert_eq!(refresh_grant(&run, refresh).await.status(), 200);

    let patched = control(
        &run,
        reqwest::Method::PATCH,
        "/org",
        serde_json::json!({"refresh_token_ttl_secs": 0}),
    )
    .await;
    assert_eq!(patched.status(), 200);
    let org: Value = patched.json().await.expect("json");
    assert_eq!(org["refresh_token_ttl_secs"], 0);
    // The lifetime applies to refresh tokens already issued.
    assert_expired_refresh(refresh_grant(&run, refresh).await).await;

    // Other settings leave it alone; null means "until revoked" again.
    let org: Value = control(
        &run,
        reqwest::Method::PATCH,
        "/org",
        serde_json::json!({"api_usage": 0}),
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(org["refresh_token_ttl_secs"], 0);
    let org: Value = control(
        &run,
        reqwest::Method::PATCH,
        "/org",
        serde_json::json!({"refresh_token_ttl_secs": null}),
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(org["refresh_token_ttl_secs"], Value::Null);
    let token = login(&run).await;
    let second = token["refresh_token"].as_str().expect("refresh");
    assert_eq!(refresh_grant(&run, second).await.status(), 200);
    // An expired refresh token stays dead.
    assert_expired_refresh(refresh_grant(&run, refresh).await).await;

    // A lifetime in seconds: still valid right after issue.
    control(
        &run,
        reqwest::Method::PATCH,
        "/org",
        serde_json::json!({"refresh_token_ttl_secs": 3600}),
    )
    .await;
    assert_eq!(refresh_grant(&run, second).await.status(), 200);
}

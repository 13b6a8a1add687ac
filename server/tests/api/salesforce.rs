//! Set up, Reset Token and Disconnect over real HTTP against the simulator (IN-03..IN-07,
//! IN-09), the callback's defences (Deny, forged, replayed and cross-session `state`), the
//! token refresh path, and that no secret reaches a page, a server-function response or a log.

use orgsync::{
    salesforce_sessions::{ACCESS_TOKEN_COLUMN, REFRESH_TOKEN_COLUMN},
    secrets::{Cipher, SecretContext},
};
use reqwest::{StatusCode, header};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
use secrecy::{ExposeSecret, SecretString};
use store::{
    entities::{oauth_tokens, org_syncs},
    salesforce_connection,
};
use url::Url;

use crate::helpers::{TestApp, captured_logs, spawn_app, spawn_app_without_salesforce};

/// The browser's part: Set up / Reset Token → Salesforce's sign-in form → the callback URL.
async fn sign_in_at_salesforce(app: &TestApp, cookie: &str, intent: &str, action: &str) -> Url {
    let start = app
        .post_form(
            "/auth/salesforce/start",
            Some(cookie),
            &[("intent", intent)],
        )
        .await;
    assert_eq!(
        start.status(),
        StatusCode::SEE_OTHER,
        "start redirects to Salesforce"
    );
    let authorize = Url::parse(
        start.headers()[header::LOCATION]
            .to_str()
            .expect("location"),
    )
    .expect("authorize url");
    let sim = app.sim.as_ref().expect("a simulator");
    assert!(
        authorize
            .as_str()
            .starts_with(&format!("{}/services/oauth2/authorize?", sim.base))
    );
    let mut form: Vec<(String, String)> = authorize.query_pairs().into_owned().collect();
    form.push(("username".into(), sim.username.clone()));
    form.push(("password".into(), sim.password.clone()));
    form.push(("action".into(), action.into()));
    let answer = app
        .client
        .post(format!("{}/services/oauth2/authorize", sim.base))
        .form(&form)
        .send()
        .await
        .expect("sign in at the simulator");
    assert_eq!(answer.status(), StatusCode::FOUND);
    let callback = Url::parse(
        answer.headers()[header::LOCATION]
            .to_str()
            .expect("location"),
    )
    .expect("callback url");
    assert_eq!(callback.path(), "/auth/salesforce/callback");
    assert!(
        callback.as_str().starts_with(&app.base),
        "the callback comes back to orgsync"
    );
    callback
}

async fn follow_callback(app: &TestApp, cookie: &str, callback: &Url) -> (StatusCode, String) {
    let path = format!(
        "{}?{}",
        callback.path(),
        callback.query().unwrap_or_default()
    );
    let response = app.get(&path, Some(cookie)).await;
    let status = response.status();
    (status, response.text().await.expect("body"))
}

fn outcome_of(body: &str) -> &str {
    body.split("data-outcome=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or("<none>")
}

async fn connect(app: &TestApp, cookie: &str, intent: &str) -> String {
    let callback = sign_in_at_salesforce(app, cookie, intent, "approve").await;
    let (_, body) = follow_callback(app, cookie, &callback).await;
    outcome_of(&body).to_string()
}

async fn nothing_stored(app: &TestApp) {
    assert!(
        salesforce_connection::current_token(&app.db, app.org_id)
            .await
            .expect("token")
            .is_none()
    );
    assert!(
        store::salesforce_accounts::find_for_org(&app.db, app.org_id)
            .await
            .expect("account")
            .is_none()
    );
    assert!(
        store::oauth_tokens::list_for_org(&app.db, app.org_id)
            .await
            .expect("list")
            .is_empty()
    );
    assert_eq!(
        store::app_settings::get(&app.db, app.org_id, salesforce_connection::TOKEN_SETTING)
            .await
            .expect("setting"),
        None
    );
}

/// The stored token's plaintext secrets, decrypted with the data directory's key.
fn decrypt_stored(app: &TestApp, token: &oauth_tokens::Model) -> (SecretString, SecretString) {
    let cipher = Cipher::load_or_create(None, app.data_dir.path()).expect("key");
    let context = |column| SecretContext {
        column,
        organization_id: app.org_id,
    };
    let access = cipher
        .decrypt(
            &token.access_token_ciphertext,
            &context(ACCESS_TOKEN_COLUMN),
        )
        .expect("the access token decrypts");
    let refresh = cipher
        .decrypt(
            token
                .refresh_token_ciphertext
                .as_deref()
                .expect("a refresh token"),
            &context(REFRESH_TOKEN_COLUMN),
        )
        .expect("the refresh token decrypts");
    (access, refresh)
}

/// Sessions built like the server's own (what the sync engine uses), on the app's store.
fn server_sessions(app: &TestApp) -> orgsync::salesforce_sessions::SalesforceSessions {
    let sim = app.sim.as_ref().expect("sim");
    let cipher = Cipher::load_or_create(None, app.data_dir.path()).expect("key");
    let oauth = salesforce::OAuthClient::new(
        salesforce::ConnectedApp::new(
            sim::config::DEFAULT_CLIENT_ID,
            sim.client_secret.clone().into(),
            &sim.base,
            &format!("{}/auth/salesforce/callback", app.base),
            "62.0",
        )
        .expect("app"),
    )
    .expect("oauth");
    orgsync::salesforce_sessions::SalesforceSessions::new(oauth, app.db.clone(), cipher)
}

async fn integrations_json(app: &TestApp, cookie: &str) -> serde_json::Value {
    let response = app.post("/api/integrations_page", Some(cookie)).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.expect("json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_up_stores_an_encrypted_token_the_setting_and_the_account() {
    let app = spawn_app().await;
    let admin = app.sign_in("admin").await;
    assert_eq!(
        integrations_json(&app, &admin).await["salesforce"],
        "NotConnected"
    );

    assert_eq!(connect(&app, &admin, "setup").await, "connected");

    let token = salesforce_connection::current_token(&app.db, app.org_id)
        .await
        .expect("token")
        .expect("stored");
    let sim = app.sim.as_ref().expect("sim");
    assert_eq!(token.provider, "salesforce");
    assert_eq!(token.username, sim.username);
    assert_eq!(token.instance_url, sim.base);
    assert_eq!(
        store::app_settings::get(&app.db, app.org_id, salesforce_connection::TOKEN_SETTING)
            .await
            .expect("setting"),
        Some(token.id.to_string())
    );
    let account = store::salesforce_accounts::find_for_org(&app.db, app.org_id)
        .await
        .expect("account")
        .expect("linked");
    assert_eq!(
        (account.oauth_token_id, account.username.as_str()),
        (token.id, sim.username.as_str())
    );
    assert_eq!(account.sf_org_id.len(), 18);

    // At rest the token is ciphertext; decrypted with the data directory's key it works.
    let (access, _) = decrypt_stored(&app, &token);
    assert!(
        !token
            .access_token_ciphertext
            .contains(access.expose_secret())
    );
    let limits = app
        .client
        .get(format!("{}/services/data/v62.0/limits", sim.base))
        .bearer_auth(access.expose_secret())
        .send()
        .await
        .expect("limits");
    assert_eq!(limits.status(), StatusCode::OK);

    let view = integrations_json(&app, &admin).await;
    assert_eq!(
        view["salesforce"]["Connected"]["username"],
        sim.username.as_str()
    );
    assert_eq!(
        view["salesforce"]["Connected"]["instance_url"],
        sim.base.as_str()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deny_forged_replayed_and_foreign_callbacks_store_nothing() {
    let app = spawn_app().await;
    let admin = app.sign_in("admin").await;

    // Deny at Salesforce (IN-05).
    let denied = sign_in_at_salesforce(&app, &admin, "setup", "deny").await;
    let (status, body) = follow_callback(&app, &admin, &denied).await;
    assert_eq!(
        (status, outcome_of(&body)),
        (StatusCode::BAD_REQUEST, "denied")
    );
    assert!(body.contains("access was denied"), "{body}");
    nothing_stored(&app).await;

    // A forged state, and no state at all.
    for query in ["code=abc&state=forged", "code=abc"] {
        let (status, body) = follow_callback(
            &app,
            &admin,
            &Url::parse(&format!("{}/auth/salesforce/callback?{query}", app.base)).expect("url"),
        )
        .await;
        assert_eq!(
            (status, outcome_of(&body)),
            (StatusCode::BAD_REQUEST, "stale"),
            "{query}"
        );
    }
    nothing_stored(&app).await;

    // A sign-in started in one session and completed in another (a leaked link).
    let other_session = app.sign_in("admin").await;
    let callback = sign_in_at_salesforce(&app, &admin, "setup", "approve").await;
    let (_, body) = follow_callback(&app, &other_session, &callback).await;
    assert_eq!(outcome_of(&body), "stale");
    nothing_stored(&app).await;
    // …and the wrong caller did not burn it: the session that started it still completes it.
    let (_, body) = follow_callback(&app, &admin, &callback).await;
    assert_eq!(outcome_of(&body), "connected");

    // Replaying a completed callback changes nothing.
    let (_, body) = follow_callback(&app, &admin, &callback).await;
    assert_eq!(outcome_of(&body), "stale");
    assert_eq!(
        store::oauth_tokens::list_for_org(&app.db, app.org_id)
            .await
            .expect("list")
            .len(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viewers_and_anonymous_visitors_cannot_start_or_finish_a_sign_in() {
    let app = spawn_app().await;
    let viewer = app.sign_in("viewer").await;
    let start = app
        .post_form(
            "/auth/salesforce/start",
            Some(&viewer),
            &[("intent", "setup")],
        )
        .await;
    assert_eq!(start.status(), StatusCode::FORBIDDEN);
    let start = app
        .post_form("/auth/salesforce/start", None, &[("intent", "setup")])
        .await;
    assert_eq!(start.status(), StatusCode::UNAUTHORIZED);
    // The callback window explains itself instead of showing a bare refusal.
    let admin = app.sign_in("admin").await;
    let started = sign_in_at_salesforce(&app, &admin, "setup", "approve").await;
    let (status, body) = follow_callback(&app, &viewer, &started).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(outcome_of(&body), "not-allowed");
    assert!(body.contains("Only organization administrators can connect Salesforce."));
    let anonymous = app
        .get(
            &format!("{}?{}", started.path(), started.query().unwrap_or_default()),
            None,
        )
        .await;
    assert_eq!(anonymous.status(), StatusCode::BAD_REQUEST);
    let body = anonymous.text().await.expect("body");
    assert_eq!(outcome_of(&body), "signed-out");
    assert!(body.contains("Your orgsync session ended before Salesforce answered"));
    nothing_stored(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_token_replaces_the_token_in_place_and_keeps_sync_configuration() {
    let app = spawn_app().await;
    let admin = app.sign_in("admin").await;
    assert_eq!(connect(&app, &admin, "setup").await, "connected");
    let before = salesforce_connection::current_token(&app.db, app.org_id)
        .await
        .expect("token")
        .expect("stored");
    let sync = org_syncs::ActiveModel {
        organization_id: Set(app.org_id),
        object: Set(store::org_syncs::SfObject::Contact),
        method: Set(store::org_syncs::SyncMethod::Rest),
        interval_minutes: Set(Some(15)),
        enabled: Set(true),
        status: Set(store::org_syncs::SyncStatus::Active),
        error_count: Set(0),
        consecutive_failures: Set(0),
        created_at: Set(chrono::Utc::now()),
        updated_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .expect("an org sync");

    // Reset Token asks Salesforce to show its sign-in form again.
    let start = app
        .post_form(
            "/auth/salesforce/start",
            Some(&admin),
            &[("intent", "reset")],
        )
        .await;
    let location = start.headers()[header::LOCATION]
        .to_str()
        .expect("location")
        .to_string();
    assert!(location.contains("prompt=login"), "{location}");

    assert_eq!(connect(&app, &admin, "reset").await, "token-replaced");
    let after = salesforce_connection::current_token(&app.db, app.org_id)
        .await
        .expect("token")
        .expect("stored");
    assert_eq!(after.id, before.id, "replaced in place");
    assert_ne!(
        after.access_token_ciphertext,
        before.access_token_ciphertext
    );
    assert_eq!(
        store::oauth_tokens::list_for_org(&app.db, app.org_id)
            .await
            .expect("list")
            .len(),
        1
    );
    let kept = org_syncs::Entity::find_by_id(sync.id)
        .one(&app.db)
        .await
        .expect("find")
        .expect("kept");
    // Reset Token restarts the enabled sync with the new token, so it may already have run
    // (status, last sync, cursor): its configuration is what must be untouched.
    let configuration = |s: &org_syncs::Model| {
        (
            s.id,
            s.organization_id,
            s.object,
            s.method,
            s.interval_minutes,
            s.enabled,
            s.created_at,
        )
    };
    assert_eq!(
        configuration(&kept),
        configuration(&sync),
        "sync configuration untouched"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnect_removes_the_connection_revokes_the_token_and_keeps_syncs() {
    let app = spawn_app().await;
    let admin = app.sign_in("admin").await;
    assert_eq!(connect(&app, &admin, "setup").await, "connected");
    let token = salesforce_connection::current_token(&app.db, app.org_id)
        .await
        .expect("token")
        .expect("stored");
    let (_, refresh) = decrypt_stored(&app, &token);

    let response = app.post("/api/disconnect_salesforce", Some(&admin)).await;
    assert!(
        response.status().is_success() || response.status().is_redirection(),
        "{}",
        response.status()
    );
    nothing_stored(&app).await;
    assert_eq!(
        integrations_json(&app, &admin).await["salesforce"],
        "NotConnected"
    );

    // Revoked at Salesforce: the refresh token no longer works.
    let sim = app.sim.as_ref().expect("sim");
    let refreshed = app
        .client
        .post(format!("{}/services/oauth2/token", sim.base))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh.expose_secret()),
            ("client_id", sim::config::DEFAULT_CLIENT_ID),
            ("client_secret", sim.client_secret.as_str()),
        ])
        .send()
        .await
        .expect("refresh");
    assert_eq!(refreshed.status(), StatusCode::BAD_REQUEST);

    // Viewers cannot disconnect.
    let viewer = app.sign_in("viewer").await;
    assert_eq!(
        app.post("/api/disconnect_salesforce", Some(&viewer))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_access_token_is_refreshed_once_and_stored_encrypted() {
    let app = spawn_app().await;
    let admin = app.sign_in("admin").await;
    assert_eq!(connect(&app, &admin, "setup").await, "connected");
    let before = salesforce_connection::current_token(&app.db, app.org_id)
        .await
        .expect("token")
        .expect("stored");
    let sim = app.sim.as_ref().expect("sim");
    let control = |path: &'static str| {
        let client = app.client.clone();
        let url = format!("{}/__sim/{path}", sim.base);
        async move { client.post(url).send().await.expect("control").status() }
    };
    assert!(control("tokens/expire-access").await.is_success());

    // The server's own sessions (what the sync engine uses).
    let cipher = Cipher::load_or_create(None, app.data_dir.path()).expect("key");
    let sessions = server_sessions(&app);
    let session = sessions.session(app.org_id).await.expect("session");
    let calls: Vec<_> = (0..8)
        .map(|_| {
            let session = session.clone();
            tokio::spawn(async move { session.limits().await })
        })
        .collect();
    for call in calls {
        call.await.expect("task").expect("limits after one refresh");
    }
    let after = salesforce_connection::current_token(&app.db, app.org_id)
        .await
        .expect("token")
        .expect("stored");
    assert_ne!(
        after.access_token_ciphertext, before.access_token_ciphertext,
        "the refreshed token is stored"
    );
    let context = SecretContext {
        column: ACCESS_TOKEN_COLUMN,
        organization_id: app.org_id,
    };
    assert_ne!(
        cipher
            .decrypt(&after.access_token_ciphertext, &context)
            .expect("new")
            .expose_secret(),
        cipher
            .decrypt(&before.access_token_ciphertext, &context)
            .expect("old")
            .expose_secret()
    );
    let counters: serde_json::Value = app
        .client
        .get(format!("{}/__sim/counters", sim.base))
        .send()
        .await
        .expect("counters")
        .json()
        .await
        .expect("json");
    // One code exchange at Set up, one refresh for the eight calls.
    assert_eq!(counters["endpoints"]["oauth/token"], 2, "{counters}");

    // A revoked refresh token is an authentication error (the sync engine will show it).
    assert!(control("tokens/revoke-refresh").await.is_success());
    sessions.forget(app.org_id).await;
    let session = sessions.session(app.org_id).await.expect("session");
    let error = session.limits().await.expect_err("refused");
    assert!(
        matches!(error, salesforce::SalesforceError::Authentication(_)),
        "{error:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_token_or_secret_appears_in_pages_responses_or_logs() {
    let app = spawn_app().await;
    let admin = app.sign_in("admin").await;
    let sim = app.sim.as_ref().expect("sim");
    let mut seen = Vec::new();
    let mut secrets = vec![sim.client_secret.clone()];

    // Set up, keeping what the browser saw of the start and the callback.
    let start = app
        .post_form(
            "/auth/salesforce/start",
            Some(&admin),
            &[("intent", "setup")],
        )
        .await;
    seen.push((
        "/auth/salesforce/start".to_string(),
        format!("{:?}", start.headers()),
    ));
    let callback = sign_in_at_salesforce(&app, &admin, "setup", "approve").await;
    let (_, body) = follow_callback(&app, &admin, &callback).await;
    assert_eq!(outcome_of(&body), "connected");
    seen.push(("callback page".into(), body));
    let first = salesforce_connection::current_token(&app.db, app.org_id)
        .await
        .expect("token")
        .expect("stored");
    let (first_access, first_refresh) = decrypt_stored(&app, &first);

    // Reset Token, then a refresh of the new grant's access token.
    assert_eq!(connect(&app, &admin, "reset").await, "token-replaced");
    let expired = app
        .client
        .post(format!("{}/__sim/tokens/expire-access", sim.base))
        .send()
        .await
        .expect("expire access tokens");
    assert!(expired.status().is_success());
    let session = server_sessions(&app)
        .session(app.org_id)
        .await
        .expect("session");
    session.limits().await.expect("limits after a refresh");
    let token = salesforce_connection::current_token(&app.db, app.org_id)
        .await
        .expect("token")
        .expect("stored");
    let (access, refresh) = decrypt_stored(&app, &token);
    let key =
        std::fs::read_to_string(app.data_dir.path().join("encryption.key")).expect("key file");
    secrets.extend([
        first_access.expose_secret().to_string(),
        first_refresh.expose_secret().to_string(),
        access.expose_secret().to_string(),
        refresh.expose_secret().to_string(),
        first.access_token_ciphertext.clone(),
        first.refresh_token_ciphertext.clone().unwrap_or_default(),
        token.access_token_ciphertext.clone(),
        token.refresh_token_ciphertext.clone().unwrap_or_default(),
        key.trim().to_string(),
    ]);
    // The authorization code and state travelled through the browser, but are spent: they
    // must not be echoed anywhere either.
    for (name, value) in callback.query_pairs() {
        if name == "code" || name == "state" {
            secrets.push(value.into_owned());
        }
    }

    for page in [
        "/admin/integrations",
        "/admin/oauth-tokens",
        "/admin/campaigns",
    ] {
        let body = app
            .get(page, Some(&admin))
            .await
            .text()
            .await
            .expect("page");
        seen.push((page.to_string(), body));
    }
    for function in [
        "/api/integrations_page",
        "/api/oauth_tokens_page",
        "/api/current_session",
    ] {
        let body = app
            .post(function, Some(&admin))
            .await
            .text()
            .await
            .expect("response");
        seen.push((function.to_string(), body));
    }
    let tokens_page = &seen
        .iter()
        .find(|(source, _)| source == "/admin/oauth-tokens")
        .expect("tokens page")
        .1;
    assert!(
        tokens_page.contains("salesforce") && tokens_page.contains(&sim.username),
        "the token is listed (IN-09)"
    );
    let disconnect = app.post("/api/disconnect_salesforce", Some(&admin)).await;
    assert_eq!(disconnect.status(), StatusCode::OK);
    seen.push((
        "/api/disconnect_salesforce".into(),
        disconnect.text().await.expect("response"),
    ));
    let logs = captured_logs();
    for expected in [
        "Salesforce connected",
        "Salesforce token replaced",
        "Salesforce access token refreshed",
        "Salesforce disconnected",
    ] {
        assert!(logs.contains(expected), "logs were captured: {expected}");
    }
    seen.push(("logs".into(), logs));
    for (source, text) in &seen {
        for secret in secrets.iter().filter(|s| s.len() >= 8) {
            assert!(
                !text.contains(secret.as_str()),
                "a secret appears in {source}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_connected_app_the_card_says_so_and_start_explains() {
    let app = spawn_app_without_salesforce().await;
    let admin = app.sign_in("admin").await;
    assert_eq!(
        integrations_json(&app, &admin).await["salesforce"],
        "NotConfigured"
    );
    let start = app
        .post_form(
            "/auth/salesforce/start",
            Some(&admin),
            &[("intent", "setup")],
        )
        .await;
    let body = start.text().await.expect("body");
    assert_eq!(outcome_of(&body), "not-configured");
    assert!(body.contains("ORGSYNC_SALESFORCE_CLIENT_ID"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_integrations_flag_off_sign_in_is_refused_and_explained() {
    let app = spawn_app().await;
    let admin = app.sign_in("admin").await;
    store::organizations::set_flag(&app.db, app.org_id, "integrations", false)
        .await
        .expect("flag off");
    let start = app
        .post_form(
            "/auth/salesforce/start",
            Some(&admin),
            &[("intent", "setup")],
        )
        .await;
    assert_eq!(start.status(), StatusCode::BAD_REQUEST);
    let body = start.text().await.expect("body");
    assert_eq!(outcome_of(&body), "feature-disabled");
    assert!(body.contains("Contact orgsync support"), "{body}");
    let disconnect = app.post("/api/disconnect_salesforce", Some(&admin)).await;
    assert!(!disconnect.status().is_success(), "{}", disconnect.status());
    nothing_stored(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callback_whose_browser_goes_away_still_stores_the_issued_token() {
    let app = spawn_app().await;
    let admin = app.sign_in("admin").await;
    let sim = app.sim.as_ref().expect("a simulator");
    let callback = sign_in_at_salesforce(&app, &admin, "setup", "approve").await;
    // The identity lookup (after Salesforce issued the tokens) is slow…
    let fault = app
        .client
        .post(format!("{}/__sim/faults", sim.base))
        .json(&serde_json::json!({"endpoint": "identity", "kind": "latency", "latency_ms": 1500, "count": 1}))
        .send()
        .await
        .expect("add fault");
    assert!(fault.status().is_success());
    // …and the browser gives up (its connection closes) before it ends.
    let impatient = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_millis(300))
        .build()
        .expect("client");
    let path = format!(
        "{}?{}",
        callback.path(),
        callback.query().unwrap_or_default()
    );
    let gave_up = impatient
        .get(app.url(&path))
        .header(header::COOKIE, &admin)
        .send()
        .await;
    assert!(gave_up.is_err(), "the client timed out");
    nothing_stored(&app).await;

    // The server finishes the sign-in anyway: the issued token is stored, not lost.
    let mut stored = false;
    for _ in 0..100 {
        if salesforce_connection::current_token(&app.db, app.org_id)
            .await
            .expect("token")
            .is_some()
        {
            stored = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(stored, "the sign-in completed after the browser left");
}

/// Pending sign-ins live in the store: a sign-in started before a restart completes on the
/// new server (the callback may as well land on another instance sharing the database).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_started_before_a_restart_completes_after_it() {
    let mut app = spawn_app().await;
    let admin = app.sign_in("admin").await;
    let callback = sign_in_at_salesforce(&app, &admin, "setup", "approve").await;
    let state = callback
        .query_pairs()
        .find(|(name, _)| name == "state")
        .map(|(_, value)| value.into_owned())
        .expect("a state");

    // At rest: the state only as its SHA-256, the PKCE verifier encrypted for this column
    // and organization.
    let pending = store::entities::salesforce_sign_ins::Entity::find()
        .all(&app.db)
        .await
        .expect("pending sign-ins");
    assert_eq!(pending.len(), 1);
    let row = &pending[0];
    assert_eq!(row.state_hash, orgsync::credentials::hash_token(&state));
    assert_eq!(row.organization_id, app.org_id);
    let cipher = Cipher::load_or_create(None, app.data_dir.path()).expect("key");
    let verifier = cipher
        .decrypt(
            &row.pkce_verifier_ciphertext,
            &SecretContext {
                column: orgsync::console::PKCE_VERIFIER_COLUMN,
                organization_id: app.org_id,
            },
        )
        .expect("the verifier decrypts with the data directory's key");
    assert!(verifier.expose_secret().len() >= 43, "a PKCE verifier");
    assert!(
        !row.pkce_verifier_ciphertext
            .contains(verifier.expose_secret())
    );

    app.restart().await;

    let (status, body) = follow_callback(&app, &admin, &callback).await;
    assert_eq!(
        (status, outcome_of(&body)),
        (StatusCode::OK, "connected"),
        "{body}"
    );
    assert!(
        salesforce_connection::current_token(&app.db, app.org_id)
            .await
            .expect("token")
            .is_some()
    );
    assert!(
        store::entities::salesforce_sign_ins::Entity::find()
            .all(&app.db)
            .await
            .expect("pending sign-ins")
            .is_empty(),
        "taken"
    );
    // Still single-use after the restart.
    let (_, body) = follow_callback(&app, &admin, &callback).await;
    assert_eq!(outcome_of(&body), "stale");
}

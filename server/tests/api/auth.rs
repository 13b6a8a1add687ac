//! Sign-in, sign-out, first run and the health check over HTTP.

use reqwest::StatusCode;

use crate::helpers::spawn_app;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_checks_the_database() {
    let app = spawn_app().await;
    let response = app.get("/healthz", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.expect("body"), "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_is_refused_without_a_session() {
    let app = spawn_app().await;
    let response = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .post(app.url("/auth/login"))
        .form(&[
            ("username", "admin"),
            ("password", "not the password"),
            ("next", "/admin/campaigns"),
        ])
        .send()
        .await
        .expect("login");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers()["location"],
        "/login?error=invalid&next=/admin/campaigns"
    );
    assert!(response.headers().get("set-cookie").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_out_ends_the_session() {
    let app = spawn_app().await;
    let admin = app.sign_in("admin").await;
    assert!(
        app.post("/api/current_session", Some(&admin))
            .await
            .status()
            .is_success()
    );
    let response = app.post("/auth/logout", Some(&admin)).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.post("/api/current_session", Some(&admin))
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feature_flag_off_refuses_the_integrations_data() {
    let app = spawn_app().await;
    store::organizations::set_flag(&app.db, app.org_id, "integrations", false)
        .await
        .expect("flag");
    let admin = app.sign_in("admin").await;
    let response = app.post("/api/integrations_page", Some(&admin)).await;
    assert!(!response.status().is_success());
    let body = response.text().await.expect("body");
    assert!(body.contains("FeatureDisabled"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setup_is_closed_once_a_user_exists() {
    let app = spawn_app().await;
    assert!(!app.data_dir.path().join("setup-code").exists());
    let response = app.get("/setup", None).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/login");
}

/// A client whose connections come from `address` (any 127.0.0.0/8 address reaches the
/// server on 127.0.0.1), as another machine would.
fn client_from(address: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .local_address(address.parse::<std::net::IpAddr>().expect("address"))
        .build()
        .expect("client")
}

async fn post_login(
    client: &reqwest::Client,
    app: &crate::helpers::TestApp,
    username: &str,
    password: &str,
) -> reqwest::Response {
    client
        .post(app.url("/auth/login"))
        .form(&[("username", username), ("password", password), ("next", "")])
        .send()
        .await
        .expect("login")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_wrong_passwords_are_throttled_with_429_and_logged() {
    let app = spawn_app().await;
    let attacker = client_from("127.0.0.1");
    let wrong = "not-the-password-7f3a9";
    for _ in 0..orgsync::console::USERNAME_RULE.limit {
        let response = post_login(&attacker, &app, "admin", wrong).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(response.headers()["location"], "/login?error=invalid");
    }

    // Locked: even the right password is refused, at once, with 429 and Retry-After.
    let response = post_login(&attacker, &app, "admin", crate::helpers::PASSWORD).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = response.headers()[reqwest::header::RETRY_AFTER]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=15 * 60).contains(&retry_after), "{retry_after}");
    assert!(response.headers().get("set-cookie").is_none());
    let body = response.text().await.expect("body");
    assert!(
        body.contains("Sign in to orgsync"),
        "the sign-in page: {body}"
    );
    assert!(body.contains("Too many failed attempts"), "{body}");

    // Another user, from another address, still signs in.
    let response = post_login(
        &client_from("127.0.0.2"),
        &app,
        "viewer",
        crate::helpers::PASSWORD,
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(response.headers().get("set-cookie").is_some());

    // Each failure is logged with the username and the address, never the password.
    let logs = crate::helpers::captured_logs();
    assert!(
        logs.lines().any(|l| l.contains("sign-in failed")
            && l.contains("\"admin\"")
            && l.contains("127.0.0.1")),
        "a failure line names the username and the client"
    );
    assert!(logs.contains("sign-in refused: too many failed attempts"));
    assert!(!logs.contains(wrong), "the password never reaches the log");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_many_times_never_trips_the_limits() {
    let app = spawn_app().await;
    for _ in 0..orgsync::console::USERNAME_RULE.limit * 2 {
        app.sign_in("admin").await;
    }
}

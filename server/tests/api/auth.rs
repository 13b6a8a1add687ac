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
    let response = app
        .client
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
        "/login?error=invalid&next=%2Fadmin%2Fcampaigns"
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_ends_the_session_the_browser_already_had() {
    let app = spawn_app().await;
    let before = app.sign_in("viewer").await;
    // The same browser signs in again (as anyone): the cookie it carried is no session any more.
    let response = app
        .client
        .post(app.url("/auth/login"))
        .header(reqwest::header::COOKIE, &before)
        .form(&[
            ("username", "admin"),
            ("password", crate::helpers::PASSWORD),
            ("next", ""),
        ])
        .send()
        .await
        .expect("login");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.post("/api/current_session", Some(&before))
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

/// Moves every session's `last_seen_at` back by `by`.
async fn age_sessions(app: &crate::helpers::TestApp, by: chrono::TimeDelta) {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
    for session in store::entities::sessions::Entity::find()
        .all(&app.db)
        .await
        .expect("sessions")
    {
        let seen = session.last_seen_at.expect("seen") - by;
        let mut active: store::entities::sessions::ActiveModel = session.into();
        active.last_seen_at = Set(Some(seen));
        active.update(&app.db).await.expect("age");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_session_ends_and_a_used_one_is_kept_alive() {
    let app = spawn_app().await;
    let admin = app.sign_in("admin").await;

    // Used five minutes ago: still valid, and the use is recorded.
    age_sessions(&app, chrono::TimeDelta::minutes(5)).await;
    assert!(
        app.post("/api/current_session", Some(&admin))
            .await
            .status()
            .is_success()
    );
    use sea_orm::EntityTrait;
    let session = store::entities::sessions::Entity::find()
        .one(&app.db)
        .await
        .expect("find")
        .expect("session");
    let seen = session.last_seen_at.expect("seen");
    assert!(
        chrono::Utc::now() - seen < chrono::TimeDelta::minutes(1),
        "touched"
    );

    // Idle longer than the idle timeout: refused, though far from the absolute timeout.
    let idle = chrono::TimeDelta::from_std(orgsync::console::SESSION_IDLE_TIMEOUT).expect("delta")
        + chrono::TimeDelta::minutes(1);
    age_sessions(&app, idle).await;
    assert_eq!(
        app.post("/api/current_session", Some(&admin))
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_with_an_expired_session_still_clears_the_cookie() {
    let app = spawn_app().await;
    let admin = app.sign_in("admin").await;
    age_sessions(&app, chrono::TimeDelta::days(1)).await;
    let response = app.post("/auth/logout", Some(&admin)).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/login");
    let cleared = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.starts_with("orgsync_session=;") && v.contains("Max-Age=0"));
    assert!(cleared, "{:?}", response.headers());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_setup_codes_are_logged_and_throttled_and_setup_is_one_step() {
    let app = crate::helpers::spawn_first_run_app().await;
    let code = std::fs::read_to_string(app.data_dir.path().join("setup-code"))
        .expect("the setup code file")
        .trim()
        .to_string();
    let attacker = client_from("127.0.0.3");
    let form = |code: &str| {
        [
            ("setup_code", code.to_string()),
            ("organization", "Acme".to_string()),
            ("username", "first".to_string()),
            ("password", crate::helpers::PASSWORD.to_string()),
            ("confirm", crate::helpers::PASSWORD.to_string()),
        ]
    };
    for n in 0..orgsync::console::SETUP_CODE_RULE.limit {
        let response = attacker
            .post(app.url("/auth/setup"))
            .form(&form(&format!("WRONG-CODE-{n}")))
            .send()
            .await
            .expect("setup");
        assert_eq!(response.headers()["location"], "/setup?error=setup-code");
    }
    // Throttled now, even with the right code.
    let response = attacker
        .post(app.url("/auth/setup"))
        .form(&form(&code))
        .send()
        .await
        .expect("setup");
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(
        response
            .headers()
            .contains_key(reqwest::header::RETRY_AFTER)
    );
    let body = response.text().await.expect("body");
    assert!(body.contains("Too many failed attempts"), "{body}");
    assert!(store::users::count(&app.db).await.expect("count") == 0);
    let logs = crate::helpers::captured_logs();
    assert!(
        logs.lines()
            .any(|l| l.contains("wrong setup code") && l.contains("127.0.0.3"))
    );
    assert!(
        !logs.contains("WRONG-CODE-"),
        "the code tried is never logged"
    );

    // The operator, from another address, completes setup: organization and admin together.
    let response = client_from("127.0.0.4")
        .post(app.url("/auth/setup"))
        .form(&form(&code))
        .send()
        .await
        .expect("setup");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/admin/integrations");
    let admin = store::users::find_by_username(&app.db, "first")
        .await
        .expect("find")
        .expect("the administrator");
    let org = store::organizations::find_by_id(&app.db, admin.organization_id)
        .await
        .expect("find")
        .expect("the organization");
    assert_eq!(org.name, "Acme");
    assert_eq!(
        store::organizations::flags(&org)
            .expect("flags")
            .get("integrations"),
        Some(&true)
    );
}

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

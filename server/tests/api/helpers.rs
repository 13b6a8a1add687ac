//! `spawn_app()`: an orgsync server on 127.0.0.1:0 with a fresh data directory.

use orgsync::{
    cli::ServeArgs,
    config::{Settings, StoreSettings},
    credentials,
    startup::Application,
};
use reqwest::{StatusCode, header};
use tokio_util::sync::CancellationToken;

pub const PASSWORD: &str = "correct horse battery";

pub struct TestApp {
    pub base: String,
    pub db: sea_orm::DatabaseConnection,
    pub org_id: i64,
    pub data_dir: tempfile::TempDir,
    client: reqwest::Client,
    shutdown: CancellationToken,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Starts a server with one organization (`integrations` on), an admin `admin` and a viewer `viewer`.
pub async fn spawn_app() -> TestApp {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let store_args = orgsync::cli::StoreArgs {
        data_dir: data_dir.path().to_path_buf(),
        database_url: None,
    };
    let settings = Settings::from_args(
        &store_args,
        &ServeArgs {
            listen: "127.0.0.1:0".parse().expect("addr"),
            demo: false,
        },
    );
    let db = orgsync::startup::open_store(&StoreSettings::from_args(&store_args))
        .await
        .expect("store");
    let org = store::organizations::create(&db, "Acme")
        .await
        .expect("org");
    store::organizations::set_flag(&db, org.id, "integrations", true)
        .await
        .expect("flag");
    let hash = credentials::hash_password(PASSWORD).expect("hash");
    store::users::create(&db, org.id, "admin", &hash, store::users::Role::Admin)
        .await
        .expect("admin");
    store::users::create(&db, org.id, "viewer", &hash, store::users::Role::Viewer)
        .await
        .expect("viewer");

    let app = Application::build(settings).await.expect("build");
    let base = format!("http://{}", app.local_addr().expect("addr"));
    let shutdown = CancellationToken::new();
    tokio::spawn(app.run_until_stopped(shutdown.clone()));
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    TestApp {
        base,
        db,
        org_id: org.id,
        data_dir,
        client,
        shutdown,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Signs in through the form and returns the session cookie (`name=value`).
    pub async fn sign_in(&self, username: &str) -> String {
        let response = self
            .client
            .post(self.url("/auth/login"))
            .form(&[("username", username), ("password", PASSWORD), ("next", "")])
            .send()
            .await
            .expect("login");
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let cookie = response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("orgsync_session=") && !v.starts_with("orgsync_session=;"))
            .expect("session cookie")
            .to_string();
        assert!(
            cookie.contains("HttpOnly"),
            "session cookie must be HttpOnly: {cookie}"
        );
        assert!(
            cookie.contains("SameSite=Lax"),
            "session cookie must be SameSite: {cookie}"
        );
        cookie.split(';').next().expect("cookie pair").to_string()
    }

    pub async fn get(&self, path: &str, cookie: Option<&str>) -> reqwest::Response {
        let mut request = self.client.get(self.url(path));
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        request.send().await.expect("get")
    }

    /// A same-origin POST, as the browser sends it.
    pub async fn post(&self, path: &str, cookie: Option<&str>) -> reqwest::Response {
        self.post_from(path, cookie, &self.base).await
    }

    pub async fn post_from(
        &self,
        path: &str,
        cookie: Option<&str>,
        origin: &str,
    ) -> reqwest::Response {
        let mut request = self
            .client
            .post(self.url(path))
            .header(header::ORIGIN, origin)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body("");
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        request.send().await.expect("post")
    }
}

//! The `orgsync user` commands an administrator uses to cut off an account, run as the real
//! binary against a running server's data directory.

use std::{
    io::Write,
    process::{Command, Output, Stdio},
};

use reqwest::StatusCode;

use crate::helpers::{PASSWORD, TestApp, spawn_app};

fn orgsync(app: &TestApp, args: &[&str], password: Option<&str>, stdin: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_orgsync"));
    command
        .arg("--data-dir")
        .arg(app.data_dir.path())
        .args(args)
        .env_remove("ORGSYNC_DATABASE_URL")
        .env_remove("ORGSYNC_PASSWORD")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(password) = password {
        command.env("ORGSYNC_PASSWORD", password);
    }
    let mut child = command.spawn().expect("run orgsync");
    if let Some(mut input) = child.stdin.take() {
        input
            .write_all(stdin.unwrap_or_default().as_bytes())
            .expect("write stdin");
    }
    child.wait_with_output().expect("orgsync output")
}

fn succeeded(output: &Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "stdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

async fn signed_in(app: &TestApp, cookie: &str) -> bool {
    app.post("/api/current_session", Some(cookie))
        .await
        .status()
        .is_success()
}

/// The sign-in form's answer: a session cookie, or `None` when refused.
async fn try_sign_in(app: &TestApp, username: &str, password: &str) -> Option<String> {
    let response = app
        .client
        .post(app.url("/auth/login"))
        .form(&[("username", username), ("password", password), ("next", "")])
        .send()
        .await
        .expect("login");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("orgsync_session=") && !v.starts_with("orgsync_session=;"))
        .and_then(|v| v.split(';').next())
        .map(str::to_string)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disable_ends_sessions_and_refuses_sign_in_until_enabled() {
    let app = spawn_app().await;
    let viewer = app.sign_in("viewer").await;
    let admin = app.sign_in("admin").await;

    let out = succeeded(&orgsync(&app, &["user", "disable", "viewer"], None, None));
    assert!(out.contains("1 session(s) ended"), "{out}");
    assert!(!signed_in(&app, &viewer).await, "the session ended");
    assert!(signed_in(&app, &admin).await, "other users are untouched");
    assert!(
        try_sign_in(&app, "viewer", PASSWORD).await.is_none(),
        "a disabled user cannot sign in"
    );

    succeeded(&orgsync(&app, &["user", "enable", "viewer"], None, None));
    assert!(try_sign_in(&app, "viewer", PASSWORD).await.is_some());

    let missing = orgsync(&app, &["user", "disable", "nobody"], None, None);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no user named \"nobody\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_sign_out_and_delete_cut_off_an_account() {
    let app = spawn_app().await;
    let viewer = app.sign_in("viewer").await;

    // A new password from the environment ends the sessions; only the new one works.
    let new_password = "a brand new password 1";
    succeeded(&orgsync(
        &app,
        &["user", "password", "viewer"],
        Some(new_password),
        None,
    ));
    assert!(!signed_in(&app, &viewer).await);
    assert!(try_sign_in(&app, "viewer", PASSWORD).await.is_none());
    let viewer = try_sign_in(&app, "viewer", new_password)
        .await
        .expect("the new password works");

    // …or from standard input; too short is refused.
    let short = orgsync(&app, &["user", "password", "viewer"], None, Some("short\n"));
    assert!(!short.status.success());
    let from_stdin = "another new password 2";
    succeeded(&orgsync(
        &app,
        &["user", "password", "viewer"],
        None,
        Some(&format!("{from_stdin}\n")),
    ));
    assert!(try_sign_in(&app, "viewer", from_stdin).await.is_some());
    assert!(!signed_in(&app, &viewer).await);

    // Sign-out everywhere.
    let first = app.sign_in("admin").await;
    let second = app.sign_in("admin").await;
    let out = succeeded(&orgsync(&app, &["user", "sign-out", "admin"], None, None));
    assert!(out.contains("2 session(s)"), "{out}");
    assert!(!signed_in(&app, &first).await && !signed_in(&app, &second).await);

    // Delete.
    let viewer = try_sign_in(&app, "viewer", from_stdin).await.expect("in");
    succeeded(&orgsync(&app, &["user", "delete", "viewer"], None, None));
    assert!(!signed_in(&app, &viewer).await);
    assert!(try_sign_in(&app, "viewer", from_stdin).await.is_none());
    assert!(
        !orgsync(&app, &["user", "delete", "viewer"], None, None)
            .status
            .success()
    );
}

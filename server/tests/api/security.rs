//! The web security rules over HTTP: the sign-in redirect stays on this site, the session
//! cookie follows the public URL's scheme, every answer carries the security headers, and
//! requests for another host or from another origin are refused.

use reqwest::{StatusCode, header};

use crate::helpers::{PASSWORD, TestApp, spawn_app, spawn_app_with_public_url};

/// The https public URL of the tests that need one; requests carry its host.
const HTTPS_PUBLIC_URL: &str = "https://orgsync.example";
const HTTPS_HOST: &str = "orgsync.example";

/// Posts the sign-in form as a browser on `origin` would, with `Host: host`.
async fn post_login(
    app: &TestApp,
    host: &str,
    origin: &str,
    next: &str,
    password: &str,
) -> reqwest::Response {
    app.client
        .post(app.url("/auth/login"))
        .header(header::HOST, host)
        .header(header::ORIGIN, origin)
        .form(&[
            ("username", "admin"),
            ("password", password),
            ("next", next),
        ])
        .send()
        .await
        .expect("login")
}

fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_string))
        .collect()
}

fn host_of(app: &TestApp) -> String {
    app.base.trim_start_matches("http://").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_never_redirects_to_another_host() {
    let app = spawn_app().await;
    let host = host_of(&app);
    for next in [
        "/\t/evil.example",
        "/\n/evil.example",
        "/\\evil.example",
        "//evil.example",
        "https://evil.example",
    ] {
        let response = post_login(&app, &host, &app.base, next, PASSWORD).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{next:?}");
        assert_eq!(
            response.headers()[header::LOCATION],
            "/admin/integrations",
            "next={next:?}"
        );
    }
    // A local path is followed, re-encoded by the URL library.
    let response = post_login(&app, &host, &app.base, "/admin/campaigns?x=é", PASSWORD).await;
    assert_eq!(
        response.headers()[header::LOCATION],
        "/admin/campaigns?x=%C3%A9"
    );
    // A failed sign-in keeps only a local `next`, encoded.
    let response = post_login(&app, &host, &app.base, "/\t/evil.example", "wrong").await;
    assert_eq!(response.headers()[header::LOCATION], "/login?error=invalid");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_cookie_is_secure_with_the_host_prefix_on_an_https_public_url() {
    let app = spawn_app_with_public_url(HTTPS_PUBLIC_URL).await;
    let response = post_login(&app, HTTPS_HOST, HTTPS_PUBLIC_URL, "", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let cookies = set_cookies(&response);
    let cookie = cookies
        .iter()
        .find(|c| c.starts_with("__Host-orgsync_session="))
        .unwrap_or_else(|| panic!("a __Host- session cookie: {cookies:?}"));
    for attribute in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(
            cookie.split("; ").any(|a| a == attribute),
            "{attribute} missing: {cookie}"
        );
    }
    assert!(!cookie.contains("Domain"), "{cookie}");
    let pair = cookie.split(';').next().expect("pair").to_string();
    let token = pair.trim_start_matches("__Host-orgsync_session=");

    // The session is read from the same name, and only from it.
    let call = |cookie: String| {
        app.client
            .post(app.url("/api/current_session"))
            .header(header::HOST, HTTPS_HOST)
            .header(header::ORIGIN, HTTPS_PUBLIC_URL)
            .header(header::COOKIE, cookie)
            .send()
    };
    assert_eq!(
        call(pair.clone()).await.expect("call").status(),
        StatusCode::OK
    );
    assert_eq!(
        call(format!("orgsync_session={token}"))
            .await
            .expect("call")
            .status(),
        StatusCode::UNAUTHORIZED
    );

    // Signing out clears the same cookie, with the attributes `__Host-` needs.
    let response = app
        .client
        .post(app.url("/auth/logout"))
        .header(header::HOST, HTTPS_HOST)
        .header(header::ORIGIN, HTTPS_PUBLIC_URL)
        .header(header::COOKIE, &pair)
        .send()
        .await
        .expect("logout");
    let cleared = set_cookies(&response);
    assert!(
        cleared
            .iter()
            .any(|c| c.starts_with("__Host-orgsync_session=;") && c.contains("Secure")),
        "{cleared:?}"
    );
    assert_eq!(
        call(pair).await.expect("call").status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_cookie_keeps_its_name_without_secure_on_an_http_public_url() {
    let app = spawn_app().await;
    let response = post_login(&app, &host_of(&app), &app.base, "", PASSWORD).await;
    let cookies = set_cookies(&response);
    let cookie = cookies
        .iter()
        .find(|c| c.starts_with("orgsync_session="))
        .unwrap_or_else(|| panic!("session cookie: {cookies:?}"));
    assert!(!cookie.contains("Secure"), "{cookie}");
}

/// The nonce of a `Content-Security-Policy` header.
fn csp_nonce(csp: &str) -> String {
    let start = csp.find("'nonce-").expect("a nonce in the policy") + "'nonce-".len();
    let end = csp[start..].find('\'').expect("nonce end") + start;
    csp[start..end].to_string()
}

fn assert_common_headers(response: &reqwest::Response, what: &str) -> String {
    let headers = response.headers();
    let csp = headers
        .get(header::CONTENT_SECURITY_POLICY)
        .unwrap_or_else(|| panic!("{what}: no Content-Security-Policy"))
        .to_str()
        .expect("ascii")
        .to_string();
    for directive in [
        "default-src 'self'",
        "'wasm-unsafe-eval'",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'none'",
    ] {
        assert!(
            csp.contains(directive),
            "{what}: {directive} missing: {csp}"
        );
    }
    assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{what}");
    assert_eq!(headers[header::REFERRER_POLICY], "same-origin", "{what}");
    assert!(
        headers.get(header::STRICT_TRANSPORT_SECURITY).is_none(),
        "{what}: no HSTS over an http public URL"
    );
    csp
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_carries_the_security_headers() {
    let app = spawn_app().await;

    // A page: its inline scripts carry the nonce the policy allows, fresh per request.
    let page = app.get("/login", None).await;
    assert_eq!(page.status(), StatusCode::OK);
    let csp = assert_common_headers(&page, "GET /login");
    assert_eq!(page.headers()[header::CACHE_CONTROL], "no-store");
    let nonce = csp_nonce(&csp);
    let html = page.text().await.expect("html");
    let script_tags: Vec<&str> = html
        .split("<script")
        .skip(1)
        .map(|rest| rest.split('>').next().unwrap_or(rest))
        .collect();
    assert!(
        !script_tags.is_empty(),
        "the page has its hydration scripts"
    );
    for tag in &script_tags {
        assert!(
            tag.contains(&format!("nonce=\"{nonce}\"")),
            "a script without the nonce {nonce}: <script{tag}>"
        );
    }
    let again = app.get("/login", None).await;
    let again_csp = assert_common_headers(&again, "GET /login again");
    assert_ne!(csp_nonce(&again_csp), nonce, "a nonce is never reused");

    // An admin page.
    let admin = app.sign_in("admin").await;
    let page = app.get("/admin/integrations", Some(&admin)).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_common_headers(&page, "GET /admin/integrations");
    assert_eq!(page.headers()[header::CACHE_CONTROL], "no-store");

    // A server function.
    let call = app.post("/api/current_session", Some(&admin)).await;
    assert_eq!(call.status(), StatusCode::OK);
    assert_common_headers(&call, "POST /api/current_session");
    assert_eq!(call.headers()[header::CACHE_CONTROL], "no-store");

    // A site file (revalidated, not no-store) and a refusal.
    let asset = app.get("/favicon.svg", None).await;
    assert_eq!(asset.status(), StatusCode::OK);
    assert_common_headers(&asset, "GET /favicon.svg");
    assert_eq!(asset.headers()[header::CACHE_CONTROL], "no-cache");
    let refused = app.post("/api/current_session", None).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert_common_headers(&refused, "refused POST");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hsts_is_sent_only_with_an_https_public_url() {
    let app = spawn_app_with_public_url(HTTPS_PUBLIC_URL).await;
    for path in ["/login", "/favicon.svg"] {
        let response = app
            .client
            .get(app.url(path))
            .header(header::HOST, HTTPS_HOST)
            .send()
            .await
            .expect("get");
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(
            response.headers()[header::STRICT_TRANSPORT_SECURITY],
            "max-age=31536000",
            "{path}"
        );
    }
    // (And `every_answer_carries_the_security_headers` checks there is none over http.)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_for_another_host_are_refused() {
    let app = spawn_app().await;
    let port = app.base.rsplit(':').next().expect("port").to_string();
    let admin = app.sign_in("admin").await;
    // DNS rebinding: evil.example resolves to 127.0.0.1, so the browser sends its own
    // name as Host and as Origin, with the victim's cookie for 127.0.0.1... or none.
    let rebound_host = format!("evil.example:{port}");
    let rebound_origin = format!("http://{rebound_host}");
    let page = app
        .client
        .get(app.url("/admin/integrations"))
        .header(header::HOST, &rebound_host)
        .header(header::COOKIE, &admin)
        .send()
        .await
        .expect("get");
    assert_eq!(page.status(), StatusCode::MISDIRECTED_REQUEST);
    assert!(
        page.text()
            .await
            .expect("body")
            .contains(&format!("answers at {} only", app.base)),
        "the refusal names the public URL"
    );
    let write = app
        .client
        .post(app.url("/api/current_session"))
        .header(header::HOST, &rebound_host)
        .header(header::ORIGIN, &rebound_origin)
        .header(header::COOKIE, &admin)
        .send()
        .await
        .expect("post");
    assert_eq!(write.status(), StatusCode::MISDIRECTED_REQUEST);
    // `localhost` is another host than the public `127.0.0.1` too.
    let localhost = app
        .client
        .get(app.url("/login"))
        .header(header::HOST, format!("localhost:{port}"))
        .send()
        .await
        .expect("get");
    assert_eq!(localhost.status(), StatusCode::MISDIRECTED_REQUEST);
    // Health probes call by address, whatever the public URL.
    let health = app
        .client
        .get(app.url("/healthz"))
        .header(header::HOST, &rebound_host)
        .send()
        .await
        .expect("healthz");
    assert_eq!(health.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_whose_origin_is_not_the_public_url_are_refused() {
    let app = spawn_app().await;
    let admin = app.sign_in("admin").await;
    let status = |origin: String| {
        let app = &app;
        let admin = admin.clone();
        async move {
            app.post_from("/api/current_session", Some(&admin), &origin)
                .await
                .status()
        }
    };
    assert_eq!(status(app.base.clone()).await, StatusCode::OK);
    // The Host matches the Origin's host and port, but the page that sent the write is
    // another origin (https, not the public http).
    let other_scheme = app.base.replacen("http://", "https://", 1);
    assert_eq!(status(other_scheme).await, StatusCode::FORBIDDEN);
    assert_eq!(
        status("http://evil.example".to_string()).await,
        StatusCode::FORBIDDEN
    );
}

//! Every registered server function, HTTP route and page refuses callers it is not for,
//! so a new endpoint cannot forget to check who is asking.

use std::collections::BTreeSet;

use app::api::{ACCESS, Access};
use orgsync::web::routes::HTTP_ROUTES;
use reqwest::StatusCode;

use crate::helpers::spawn_app;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_server_function_is_in_the_access_table() {
    let registered: BTreeSet<&str> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path)
        .collect();
    let listed: BTreeSet<&str> = ACCESS.iter().map(|(path, _)| *path).collect();
    assert!(!registered.is_empty(), "no server function is registered");
    assert_eq!(
        registered, listed,
        "app::api::ACCESS must list exactly the registered server functions"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_functions_refuse_anonymous_callers_and_viewers() {
    let app = spawn_app().await;
    let viewer = app.sign_in("viewer").await;
    let admin = app.sign_in("admin").await;
    // Functions with arguments get valid ones (the table lists removal last).
    let lead = store::org_syncs::create(&app.db, app.org_id, store::org_syncs::SfObject::Lead)
        .await
        .expect("an Org Sync");
    let lead_id = lead.id.to_string();
    let fixtures = CampaignFixtures::create(&app, lead.id).await;
    let (campaign, other_campaign, spare_campaign) = (
        fixtures.campaign.to_string(),
        fixtures.other_campaign.to_string(),
        fixtures.spare_campaign.to_string(),
    );
    let (source, spare_source, link) = (
        fixtures.source.to_string(),
        fixtures.spare_source.to_string(),
        fixtures.link.to_string(),
    );
    let (failed_call, api_key) = (
        fixtures.failed_call.to_string(),
        fixtures.api_key.to_string(),
    );
    let arguments = |path: &str| -> Vec<(&str, &str)> {
        match path {
            "/api/add_org_sync" => vec![("object", "Contact")],
            "/api/save_org_sync" => vec![("id", &lead_id), ("method", "cdc")],
            "/api/test_org_sync" | "/api/remove_org_sync" => vec![("id", &lead_id)],
            "/api/create_campaign" => vec![
                ("name", "New"),
                ("phone_slots", "Primary"),
                ("custom_fields", ""),
                ("region", "US"),
            ],
            "/api/update_campaign" => vec![
                ("id", &campaign),
                ("name", "Renamed"),
                ("phone_slots", "Primary"),
                ("custom_fields", ""),
                ("region", "GB"),
            ],
            "/api/delete_campaign" => vec![("id", &spare_campaign)],
            "/api/campaign_page" => vec![("id", &campaign)],
            "/api/save_link" => vec![
                ("campaign_id", &campaign),
                ("data_source_id", &source),
                ("phones[Primary]", "Phone"),
            ],
            "/api/remove_link" => vec![("campaign_id", &other_campaign), ("link_id", &link)],
            "/api/data_source_editor" => vec![("id", &source)],
            "/api/delete_data_source" => vec![("id", &spare_source)],
            "/api/record_call" => vec![
                ("campaign_id", &campaign),
                ("sf_id", PERSON),
                ("disposition", "Connected"),
                ("duration_seconds", "42"),
            ],
            "/api/retry_call" => vec![("campaign_id", &campaign), ("id", &failed_call)],
            "/api/create_api_key" => vec![("name", "Dialer")],
            "/api/revoke_api_key" => vec![("id", &api_key)],
            _ => vec![],
        }
    };
    let json_body = |path: &str| -> Option<serde_json::Value> {
        let form = serde_json::json!({
            "org_sync_id": lead.id,
            "name": "Renamed source",
            "fields": ["Phone"],
            "filter": {"combine": "all", "items": [{"type": "condition", "field": "Phone", "op": "is_not_empty"}]},
        });
        match path {
            "/api/save_data_source" | "/api/preview_data_source" => {
                Some(serde_json::json!({"id": fixtures.source, "form": form}))
            }
            _ => None,
        }
    };
    let call = |path: &'static str, cookie: Option<String>| {
        let (app, arguments, json_body) = (&app, &arguments, &json_body);
        async move {
            match json_body(path) {
                Some(body) => app.post_json(path, cookie.as_deref(), &body).await.status(),
                None => app
                    .post_form(path, cookie.as_deref(), &arguments(path))
                    .await
                    .status(),
            }
        }
    };
    for (path, access) in ACCESS {
        // The campaign endpoints run before remove_org_sync takes the Data Sources with it.
        let anonymous = call(path, None).await;
        let as_viewer = call(path, Some(viewer.clone())).await;
        let as_admin = call(path, Some(admin.clone())).await;
        match access {
            Access::Public => {}
            Access::ApiKey => panic!("{path}: server functions are for browsers, not API keys"),
            Access::SignedIn => {
                assert_eq!(anonymous, StatusCode::UNAUTHORIZED, "{path} anonymous");
                assert!(as_viewer.is_success(), "{path} viewer: {as_viewer}");
            }
            Access::Admin => {
                assert_eq!(anonymous, StatusCode::UNAUTHORIZED, "{path} anonymous");
                assert_eq!(as_viewer, StatusCode::FORBIDDEN, "{path} viewer");
            }
        }
        // The endpoint exists and works for the caller it is meant for.
        assert!(as_admin.is_success(), "{path} admin: {as_admin}");
    }
}

/// A Contact of the first campaign, to record calls on.
const PERSON: &str = "003000000000001AAA";

/// What the campaign endpoints act on: three campaigns (one to delete), a Data Source with a Link to the
/// second campaign, a spare Data Source to delete, a person in the first campaign with a call
/// Salesforce refused (to retry), and an API key (to revoke).
struct CampaignFixtures {
    campaign: i64,
    other_campaign: i64,
    spare_campaign: i64,
    source: i64,
    spare_source: i64,
    link: i64,
    failed_call: i64,
    api_key: i64,
}

impl CampaignFixtures {
    async fn create(app: &crate::helpers::TestApp, org_sync: i64) -> CampaignFixtures {
        use filters::{FieldInfo, FieldKind};
        use store::{campaigns, data_source_links, data_sources};
        let info = vec![
            FieldInfo::new("Phone", "Phone", FieldKind::Text),
            FieldInfo::new("LastName", "Last Name", FieldKind::Text),
        ];
        let settings = |name: &str| data_sources::DataSourceSettings {
            name: name.to_owned(),
            filter: "{}".to_owned(),
            fields: r#"["Phone","LastName"]"#.to_owned(),
            field_info: serde_json::to_string(&info).expect("json"),
        };
        let db = &app.db;
        let org = app.org_id;
        let campaign = campaigns::create(db, org, &campaigns::CampaignSettings::named("One"))
            .await
            .expect("campaign")
            .id;
        let other_campaign = campaigns::create(db, org, &campaigns::CampaignSettings::named("Two"))
            .await
            .expect("campaign")
            .id;
        let spare_campaign =
            campaigns::create(db, org, &campaigns::CampaignSettings::named("Three"))
                .await
                .expect("campaign")
                .id;
        let source = data_sources::create(db, org, org_sync, &settings("Leads"))
            .await
            .expect("data source")
            .id;
        let spare_source = data_sources::create(db, org, org_sync, &settings("Spare"))
            .await
            .expect("data source")
            .id;
        let link = data_source_links::create(
            db,
            source,
            other_campaign,
            &data_source_links::LinkMappings {
                phones: r#"[{"slot":"Primary","field":"Phone"}]"#.to_owned(),
                custom_fields: "[]".to_owned(),
            },
        )
        .await
        .expect("link")
        .id;
        use store::{api_keys, call_activities, campaign_records};
        campaign_records::write(
            db,
            &[campaign_records::RecordWrite {
                campaign_id: campaign,
                sf_id: PERSON.to_owned(),
                sf_object: "Contact".to_owned(),
                display_name: "Ada Lovelace".to_owned(),
                source_name: "Leads".to_owned(),
                source_link_id: None,
                phones: "[]".to_owned(),
                custom_fields: "{}".to_owned(),
                state: "no_valid_phone".to_owned(),
            }],
        )
        .await
        .expect("campaign record");
        let now = chrono::Utc::now();
        let failed_call = call_activities::record(
            db,
            call_activities::NewCall {
                organization_id: org,
                campaign_id: campaign,
                sf_id: PERSON.to_owned(),
                call_id: "fixture-call".to_owned(),
                subject: "Call".to_owned(),
                disposition: "Busy".to_owned(),
                duration_seconds: 0,
                notes: String::new(),
                occurred_at: now,
                recorded_by: "admin".to_owned(),
            },
            now,
        )
        .await
        .expect("call")
        .call()
        .id;
        call_activities::finish_attempt(
            db,
            store::leases::Fence::Unfenced,
            failed_call,
            &call_activities::WriteOutcome::Failed {
                message: "FIELD_CUSTOM_VALIDATION_EXCEPTION: no".to_owned(),
            },
            now,
        )
        .await
        .expect("failed");
        let api_key = api_keys::create(db, org, "Old dialer", "osk_abcdef", "hash")
            .await
            .expect("key")
            .id;
        CampaignFixtures {
            campaign,
            other_campaign,
            spare_campaign,
            source,
            spare_source,
            link,
            failed_call,
            api_key,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_server_functions_are_refused() {
    let app = spawn_app().await;
    let admin = app.sign_in("admin").await;
    let status = app.post("/api/not_a_function", Some(&admin)).await.status();
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_routes_refuse_callers_they_are_not_for() {
    let app = spawn_app().await;
    let viewer = app.sign_in("viewer").await;
    for route in HTTP_ROUTES {
        let call = |cookie: Option<String>| {
            let app = &app;
            async move {
                if route.method == http::Method::GET {
                    app.get(route.path, cookie.as_deref()).await.status()
                } else {
                    app.post(route.path, cookie.as_deref()).await.status()
                }
            }
        };
        match route.access {
            Access::Public => {
                let status = call(None).await;
                assert_ne!(status, StatusCode::UNAUTHORIZED, "{} is public", route.path);
            }
            Access::ApiKey => {
                // Without a key, and with a browser session instead of one.
                for cookie in [None, Some(viewer.clone())] {
                    assert_eq!(
                        call(cookie).await,
                        StatusCode::UNAUTHORIZED,
                        "{} without an API key",
                        route.path
                    );
                }
            }
            Access::SignedIn => {
                assert_eq!(
                    call(None).await,
                    StatusCode::UNAUTHORIZED,
                    "{} anonymous",
                    route.path
                );
            }
            Access::Admin => {
                assert_eq!(
                    call(None).await,
                    StatusCode::UNAUTHORIZED,
                    "{} anonymous",
                    route.path
                );
                assert_eq!(
                    call(Some(viewer.clone())).await,
                    StatusCode::FORBIDDEN,
                    "{} viewer",
                    route.path
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_pages_send_anonymous_visitors_to_sign_in_and_refuse_viewers() {
    let app = spawn_app().await;
    let viewer = app.sign_in("viewer").await;
    let admin = app.sign_in("admin").await;
    let pages: Vec<String> = orgsync::web::route_list()
        .iter()
        .map(|route| route.path().to_string())
        .filter(|path| path.starts_with("/admin"))
        .collect();
    assert!(pages.len() >= 3, "admin pages: {pages:?}");
    for page in &pages {
        let anonymous = app.get(page, None).await;
        assert_eq!(
            anonymous.status(),
            StatusCode::SEE_OTHER,
            "{page} anonymous"
        );
        let location = anonymous.headers()["location"].to_str().expect("location");
        assert!(location.starts_with("/login?next="), "{page} → {location}");

        let as_viewer = app.get(page, Some(&viewer)).await;
        assert_eq!(as_viewer.status(), StatusCode::FORBIDDEN, "{page} viewer");
        let body = as_viewer.text().await.expect("body");
        assert!(body.contains("Not allowed"), "{page} viewer page says why");
        assert!(
            !body.contains("Salesforce"),
            "{page} viewer never sees the card"
        );

        let as_admin = app.get(page, Some(&admin)).await.status();
        assert!(
            as_admin.is_success() || as_admin.is_redirection(),
            "{page} admin: {as_admin}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_origin_posts_are_refused() {
    let app = spawn_app().await;
    let admin = app.sign_in("admin").await;
    let status = app
        .post_from(
            "/api/integrations_page",
            Some(&admin),
            "http://evil.example",
        )
        .await
        .status();
    assert_eq!(status, StatusCode::FORBIDDEN);
    let status = app
        .post_from("/auth/logout", Some(&admin), "http://evil.example")
        .await
        .status();
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The session survived the refused sign-out.
    assert!(
        app.post("/api/current_session", Some(&admin))
            .await
            .status()
            .is_success()
    );
}

/// Regression: building the route list renders the app with resource loading suppressed
/// through a process-wide flag (leptos #4773), and a page render whose resource was first
/// polled meanwhile never finished (a 408 after 30 s, 3 runs in 40). The list is built once
/// per process now, so asking for it while pages render must not stall any render.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_render_while_the_route_list_is_asked_for() {
    let app = spawn_app().await;
    let admin = app.sign_in("admin").await;
    let asking = tokio::task::spawn_blocking(|| {
        for _ in 0..200 {
            assert!(!orgsync::web::route_list().is_empty());
        }
    });
    for round in 0..30 {
        let render = app.get("/admin/integrations", Some(&admin));
        let response = tokio::time::timeout(std::time::Duration::from_secs(10), render)
            .await
            .unwrap_or_else(|_| panic!("render {round} stalled"));
        assert_eq!(response.status(), StatusCode::OK, "render {round}");
        let body = tokio::time::timeout(std::time::Duration::from_secs(10), response.text())
            .await
            .unwrap_or_else(|_| panic!("render {round} body stalled"))
            .expect("body");
        assert!(body.contains("Salesforce"), "render {round} is complete");
    }
    asking.await.expect("route list asked for");
}

//! The CometD client against the simulator over HTTP: Change Data Capture events, replay,
//! re-handshake after the server forgets the client, token refresh, gap and overflow events,
//! and the errors of refused subscriptions.

mod common;

use std::time::Duration;

use common::*;
use reqwest::Method;
use salesforce::{
    ErrorClass,
    streaming::{ChangeEvent, ChangeType, ReplayFrom, StreamingClient, StreamingError},
};
use serde_json::json;

const CONTACTS: &str = "/data/ContactChangeEvent";

fn client(sim: &Sim, channel: &str, from: ReplayFrom) -> StreamingClient {
    StreamingClient::new(sim.session.clone(), channel.to_string(), from)
}

/// Subscribes from the tip: the first connect returns at once (possibly empty).
async fn subscribed_at_tip(sim: &Sim) -> StreamingClient {
    let mut client = client(sim, CONTACTS, ReplayFrom::Tip);
    let first = bounded("first batch", client.next_batch())
        .await
        .expect("subscribed");
    assert!(first.is_empty(), "{first:?}");
    client
}

/// Polls until at least `count` events arrived (bounded).
async fn collect(client: &mut StreamingClient, count: usize) -> Vec<ChangeEvent> {
    bounded("events", async {
        let mut events = Vec::new();
        while events.len() < count {
            events.extend(client.next_batch().await.expect("a batch"));
        }
        events
    })
    .await
}

fn ids(events: &[ChangeEvent]) -> Vec<String> {
    events.iter().flat_map(|e| e.record_ids.clone()).collect()
}

#[tokio::test]
async fn creates_updates_and_deletes_arrive_with_record_ids_and_change_types() {
    let sim = start(small()).await;
    let mut client = subscribed_at_tip(&sim).await;

    let created: serde_json::Value = sim
        .session
        .post_json(
            "/services/data/v62.0/sobjects/Contact",
            &json!({"FirstName": "Ada", "LastName": "Streamed"}),
        )
        .await
        .expect("created");
    let id = created["id"].as_str().expect("id").to_string();
    sim.session
        .patch_json(
            &format!("/services/data/v62.0/sobjects/Contact/{id}"),
            &json!({"Phone": "+1 555 0199"}),
        )
        .await
        .expect("updated");
    sim.control(Method::DELETE, &format!("records/Contact/{id}"), None)
        .await;

    let events = collect(&mut client, 3).await;
    assert_eq!(events.len(), 3, "{events:?}");
    let types: Vec<ChangeType> = events.iter().map(|e| e.change_type).collect();
    assert_eq!(
        types,
        [ChangeType::Create, ChangeType::Update, ChangeType::Delete]
    );
    for event in &events {
        assert_eq!(event.record_ids, vec![id.clone()]);
        assert_eq!(event.entity_name, "Contact");
        assert!(event.commit_timestamp > 1_600_000_000_000);
    }
    assert!(events.windows(2).all(|w| w[0].replay_id < w[1].replay_id));
    assert_eq!(events[0].fields["Name"]["LastName"], "Streamed");
    assert!(events[1].changed_fields.contains(&"Phone".to_string()));
    assert_eq!(events[1].fields["Phone"], "+1 555 0199");
    assert!(events[2].fields.is_empty(), "{:?}", events[2].fields);
    client.disconnect().await;
}

#[tokio::test]
async fn replay_from_a_stored_id_redelivers_only_later_events() {
    let sim = start(small()).await;
    let mut first = subscribed_at_tip(&sim).await;
    let a = sim.create_contact("A").await;
    let b = sim.create_contact("B").await;
    let c = sim.create_contact("C").await;
    let events = collect(&mut first, 3).await;
    assert_eq!(ids(&events), [a, b, c.clone()]);
    first.disconnect().await;

    let stored = events[1].replay_id;
    let mut resumed = client(&sim, CONTACTS, ReplayFrom::After(stored));
    let replayed = collect(&mut resumed, 1).await;
    assert_eq!(replayed.len(), 1, "{replayed:?}");
    assert_eq!(replayed[0].replay_id, events[2].replay_id);
    assert_eq!(replayed[0].record_ids, vec![c]);

    // Nothing else was pending: the next event is the next one published.
    let d = sim.create_contact("D").await;
    let next = collect(&mut resumed, 1).await;
    assert_eq!(ids(&next), [d]);

    let mut everything = client(&sim, CONTACTS, ReplayFrom::Earliest);
    let all = collect(&mut everything, 4).await;
    assert_eq!(all.len(), 4);
}

#[tokio::test]
async fn a_forgotten_client_handshakes_again_and_loses_nothing() {
    let sim = start(small()).await;
    let mut client = subscribed_at_tip(&sim).await;
    let a = sim.create_contact("A").await;
    let b = sim.create_contact("B").await;
    let events = collect(&mut client, 2).await;
    assert_eq!(ids(&events), [a, b.clone()]);
    // Only A's effects were committed when the server forgot the client.
    client.acknowledge(events[0].replay_id);
    let handshakes = sim.endpoint_calls("cometd/handshake").await;

    sim.post("cometd/expire-clients").await;
    let c = sim.create_contact("C").await;
    let events = collect(&mut client, 2).await;
    assert_eq!(ids(&events), [b, c], "B again (not acknowledged), then C");
    assert_eq!(
        sim.endpoint_calls("cometd/handshake").await - handshakes,
        1,
        "one re-handshake"
    );
    client.acknowledge(events[1].replay_id);

    // Forgotten while a long poll is held: answered at once, then resumed.
    let (d, polled) = tokio::join!(
        async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            sim.post("cometd/expire-clients").await;
            sim.create_contact("D").await
        },
        collect(&mut client, 1)
    );
    assert_eq!(ids(&polled), [d]);
}

#[tokio::test]
async fn a_revoked_access_token_is_refreshed_and_streaming_continues() {
    let sim = start(small()).await;
    let mut client = subscribed_at_tip(&sim).await;
    let a = sim.create_contact("A").await;
    let events = collect(&mut client, 1).await;
    assert_eq!(ids(&events), [a]);
    client.acknowledge(events[0].replay_id);
    let token_calls = sim.endpoint_calls("oauth/token").await;

    sim.post("tokens/expire-access").await;
    let b = sim.create_contact("B").await;
    let events = collect(&mut client, 1).await;
    assert_eq!(ids(&events), [b]);
    assert_eq!(sim.endpoint_calls("oauth/token").await - token_calls, 1);
    assert_eq!(sim.store.saved(), 1, "the refreshed token is stored");

    // The REST calls share the refreshed token.
    sim.session
        .limits()
        .await
        .expect("limits with the new token");
    assert_eq!(sim.endpoint_calls("oauth/token").await - token_calls, 1);
}

#[tokio::test]
async fn a_refused_refresh_is_an_authentication_error() {
    let sim = start(small()).await;
    let mut client = subscribed_at_tip(&sim).await;
    sim.post("tokens/revoke-refresh").await;
    let error = bounded("batch", client.next_batch())
        .await
        .expect_err("no token");
    assert!(
        matches!(error, StreamingError::Authentication(_)),
        "{error:?}"
    );
    assert_eq!(error.class(), ErrorClass::Authentication);
}

#[tokio::test]
async fn gap_and_overflow_events_are_parsed() {
    let sim = start(small()).await;
    let id = sim.create_contact("Gap").await;
    let mut client = subscribed_at_tip(&sim).await;
    sim.control(
        Method::POST,
        "cdc/gap",
        Some(json!({"entity": "Contact", "change_type": "GAP_UPDATE", "record_ids": [id]})),
    )
    .await;
    sim.control(
        Method::POST,
        "cdc/gap",
        Some(json!({"entity": "Contact", "change_type": "GAP_DELETE", "record_ids": [id]})),
    )
    .await;
    sim.control(
        Method::POST,
        "cdc/overflow",
        Some(json!({"entity": "Contact"})),
    )
    .await;

    let events = collect(&mut client, 3).await;
    let types: Vec<ChangeType> = events.iter().map(|e| e.change_type).collect();
    assert_eq!(
        types,
        [
            ChangeType::GapUpdate,
            ChangeType::GapDelete,
            ChangeType::GapOverflow
        ]
    );
    assert!(types.iter().all(|t| t.is_gap()));
    assert_eq!(events[0].record_ids, vec![id.clone()]);
    assert_eq!(events[1].record_ids, vec![id]);
    assert_eq!(events[2].record_ids, vec!["000000000000000AAA".to_string()]);
    assert!(events.iter().all(|e| e.fields.is_empty()));
}

#[tokio::test]
async fn an_unknown_or_forbidden_channel_is_a_configuration_error() {
    let sim = start(small()).await;
    let mut unknown = client(&sim, "/data/AccountChangeEvent", ReplayFrom::Tip);
    let error = bounded("subscribe", unknown.next_batch())
        .await
        .expect_err("no such channel");
    assert!(
        matches!(error, StreamingError::Configuration(ref m) if m.contains("doesn't exist /data/AccountChangeEvent")),
        "{error:?}"
    );
    assert_eq!(error.class(), ErrorClass::Configuration);

    sim.control(
        Method::PATCH,
        "org",
        Some(json!({"edition": "Professional"})),
    )
    .await;
    let mut forbidden = client(&sim, CONTACTS, ReplayFrom::Tip);
    let error = bounded("subscribe", forbidden.next_batch())
        .await
        .expect_err("no CDC");
    assert!(
        matches!(error, StreamingError::Configuration(ref m) if m.contains("not allowed to subscribe CDC")),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_replay_id_past_retention_is_unavailable() {
    let sim = start(sim::SimConfig {
        event_retention: 3,
        ..small()
    })
    .await;
    let mut client = subscribed_at_tip(&sim).await;
    sim.create_contact("Old").await;
    let old = collect(&mut client, 1).await[0].replay_id;
    for n in 0..4 {
        sim.create_contact(&format!("New {n}")).await;
    }
    let mut resumed = StreamingClient::new(
        sim.session.clone(),
        CONTACTS.to_string(),
        ReplayFrom::After(old),
    );
    let error = bounded("subscribe", resumed.next_batch())
        .await
        .expect_err("too old");
    assert!(
        matches!(error, StreamingError::ReplayIdUnavailable { replay_id, .. } if replay_id == old),
        "{error:?}"
    );
    assert_eq!(error.class(), ErrorClass::Transient);

    // The same happens when a client whose last acknowledged event fell out of retention
    // has to subscribe again.
    client.acknowledge(old);
    sim.post("cometd/expire-clients").await;
    let error = bounded("resubscribe", client.next_batch())
        .await
        .expect_err("too old");
    assert!(
        matches!(error, StreamingError::ReplayIdUnavailable { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_cancelled_long_poll_loses_nothing() {
    let sim = start(small()).await;
    let mut client = subscribed_at_tip(&sim).await;
    sim.create_contact("Seen").await;
    let seen = collect(&mut client, 1).await;
    client.acknowledge(seen[0].replay_id);

    // Nothing pending: the poll is held, and the caller gives up on it.
    let cancelled = tokio::time::timeout(Duration::from_millis(200), client.next_batch()).await;
    assert!(cancelled.is_err(), "the poll was held: {cancelled:?}");

    let a = sim.create_contact("After the cancel").await;
    let events = collect(&mut client, 1).await;
    assert_eq!(ids(&events), [a]);
}

#[tokio::test]
async fn a_broken_connection_is_a_transport_error_and_the_next_batch_resumes() {
    let sim = start(small()).await;
    let mut client = subscribed_at_tip(&sim).await;
    sim.create_contact("Before").await;
    let seen = collect(&mut client, 1).await;
    client.acknowledge(seen[0].replay_id);

    sim.control(
        Method::POST,
        "faults",
        Some(json!({"endpoint": "cometd/connect", "kind": "drop", "count": 1})),
    )
    .await;
    let error = bounded("batch", client.next_batch())
        .await
        .expect_err("dropped");
    assert!(matches!(error, StreamingError::Transport(_)), "{error:?}");
    assert_eq!(error.class(), ErrorClass::Transient);

    let a = sim.create_contact("After").await;
    let events = collect(&mut client, 1).await;
    assert_eq!(ids(&events), [a]);
}

#[tokio::test]
async fn disconnect_frees_the_client_at_once() {
    let sim = start(small()).await;
    let mut client = subscribed_at_tip(&sim).await;
    let a = sim.create_contact("A").await;
    assert_eq!(ids(&collect(&mut client, 1).await), [a]);
    client.disconnect().await;
    let org = sim.control(Method::GET, "org", None).await;
    assert_eq!(org["cometd_clients"], 0, "{org}");
}

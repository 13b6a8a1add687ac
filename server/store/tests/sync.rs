//! Integration tests for the sync engine's store: Org Syncs, the mirror and run history. Every
//! test runs on SQLite and on PostgreSQL (see `common`).

mod common;

use std::time::Instant;

use chrono::{TimeDelta, TimeZone, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend};
use serde_json::{Map, Value, json};
use store::{
    StoreError,
    leases::Fence,
    mirror::{self, ApplyStats, Cursor, MirrorRecord},
    org_syncs::{self, Health, SfObject, SyncMethod, SyncSettings, SyncStatus},
    sync_runs::{self, RunOutcome, RunState},
};

use common::{on_both_backends, org};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// A Salesforce `SystemModstamp` `sec` seconds after 2025-03-01T10:00:00.
fn stamp(sec: u32) -> String {
    format!(
        "2025-03-01T10:{:02}:{:02}.000+0000",
        sec / 60 % 60,
        sec % 60
    )
}

fn record(sf_id: &str, sec: u32, fields: Value, deleted: bool) -> MirrorRecord {
    let Value::Object(fields) = fields else {
        panic!("fields must be a JSON object");
    };
    MirrorRecord {
        sf_id: sf_id.to_owned(),
        fields,
        system_modstamp: stamp(sec),
        deleted,
    }
}

fn stats(inserted: u64, updated: u64, unchanged: u64) -> ApplyStats {
    ApplyStats {
        inserted,
        updated,
        unchanged,
    }
}

async fn sync(db: &DatabaseConnection, org_id: i64, object: SfObject) -> org_syncs::Model {
    org_syncs::create(db, org_id, object)
        .await
        .expect("create an org sync")
}

fn settings(method: SyncMethod, interval_minutes: Option<i32>, enabled: bool) -> SyncSettings {
    SyncSettings {
        method,
        interval_minutes,
        enabled,
    }
}

async fn save(
    db: &DatabaseConnection,
    org_id: i64,
    id: i64,
    settings: SyncSettings,
) -> org_syncs::Model {
    org_syncs::save_settings(db, org_id, id, settings)
        .await
        .expect("save settings")
        .expect("the org sync exists")
}

fn health(status: SyncStatus, failures: i32) -> Health {
    Health {
        status,
        consecutive_failures: failures,
        error_count: i64::from(failures),
        last_error: (failures > 0).then(|| "boom".to_owned()),
        circuit_opened_at: None,
        last_sync_at: Some(Utc.with_ymd_and_hms(2025, 3, 1, 10, 0, 0).unwrap()),
    }
}

async fn stored(
    db: &DatabaseConnection,
    sync_id: i64,
    sf_id: &str,
) -> store::entities::sf_records::Model {
    mirror::find(db, sync_id, sf_id)
        .await
        .expect("find a mirrored record")
        .unwrap_or_else(|| panic!("{sf_id} is mirrored"))
}

fn fields_of(row: &store::entities::sf_records::Model) -> Value {
    Value::Object(mirror::fields(row).expect("stored fields are a JSON object"))
}

/// Makes the database refuse a write: `event` (`INSERT` or `UPDATE`) on `table` fails when
/// `condition` (over `NEW`) holds.
async fn refuse(db: &DatabaseConnection, name: &str, event: &str, table: &str, condition: &str) {
    let statements = match db.get_database_backend() {
        DbBackend::Sqlite => vec![format!(
            "CREATE TRIGGER {name} BEFORE {event} ON {table} WHEN {condition} \
             BEGIN SELECT RAISE(ABORT, 'refused by {name}'); END"
        )],
        _ => vec![
            format!(
                "CREATE FUNCTION {name}() RETURNS trigger AS $$ BEGIN IF {condition} THEN \
                 RAISE EXCEPTION 'refused by {name}'; END IF; RETURN NEW; END $$ \
                 LANGUAGE plpgsql"
            ),
            format!(
                "CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW \
                 EXECUTE FUNCTION {name}()"
            ),
        ],
    };
    for statement in statements {
        db.execute_unprepared(&statement)
            .await
            .expect("create a trigger");
    }
}

// ---------------------------------------------------------------------------------------------
// Org Syncs
// ---------------------------------------------------------------------------------------------

#[test]
fn sf_objects_parse_and_name_their_cdc_channel() {
    assert_eq!(SfObject::ALL, [SfObject::Contact, SfObject::Lead]);
    for object in SfObject::ALL {
        assert_eq!(SfObject::parse(object.as_str()), Some(object));
    }
    assert_eq!(SfObject::parse("contact"), None);
    assert_eq!(SfObject::parse("Account"), None);
    assert_eq!(SfObject::Contact.cdc_channel(), "/data/ContactChangeEvent");
    assert_eq!(SfObject::Lead.cdc_channel(), "/data/LeadChangeEvent");
}

#[tokio::test]
async fn org_syncs_are_created_listed_and_found_per_organization() {
    on_both_backends(|db| async move {
        let acme = org(&db, "Acme").await;
        let other = org(&db, "Other").await;
        let lead = sync(&db, acme.id, SfObject::Lead).await;
        let contact = sync(&db, acme.id, SfObject::Contact).await;

        assert_eq!(contact.object, SfObject::Contact);
        assert_eq!(contact.method, SyncMethod::Cdc);
        assert_eq!(contact.channel.as_deref(), Some("/data/ContactChangeEvent"));
        assert_eq!(contact.interval_minutes, None);
        assert!(!contact.enabled);
        assert_eq!(contact.status, SyncStatus::Paused);
        assert_eq!((contact.error_count, contact.consecutive_failures), (0, 0));
        assert_eq!(
            (contact.watermark.as_deref(), contact.replay_id.as_deref()),
            (None, None)
        );
        assert_eq!(
            (contact.backfill_records, contact.backfill_total),
            (None, None)
        );

        let listed = org_syncs::list(&db, acme.id).await.expect("list");
        assert_eq!(listed, [contact.clone(), lead.clone()]);
        assert_eq!(
            org_syncs::find(&db, acme.id, lead.id).await.expect("find"),
            Some(lead.clone())
        );
        assert_eq!(
            org_syncs::find_by_id(&db, lead.id)
                .await
                .expect("find by id"),
            Some(lead.clone())
        );
        assert!(
            org_syncs::list_enabled(&db)
                .await
                .expect("enabled")
                .is_empty()
        );

        // Another organization neither sees nor changes Acme's syncs.
        assert!(
            org_syncs::list(&db, other.id)
                .await
                .expect("list")
                .is_empty()
        );
        assert_eq!(
            org_syncs::find(&db, other.id, lead.id).await.expect("find"),
            None
        );
        assert_eq!(
            org_syncs::save_settings(
                &db,
                other.id,
                lead.id,
                settings(SyncMethod::Rest, Some(5), true)
            )
            .await
            .expect("save"),
            None
        );
        assert!(
            !org_syncs::remove(&db, other.id, lead.id)
                .await
                .expect("remove")
        );
        assert_eq!(
            org_syncs::find(&db, acme.id, lead.id).await.expect("find"),
            Some(lead.clone())
        );

        // The other organization may sync the same object.
        let other_contact = sync(&db, other.id, SfObject::Contact).await;
        save(
            &db,
            other.id,
            other_contact.id,
            settings(SyncMethod::Cdc, None, true),
        )
        .await;
        save(&db, acme.id, lead.id, settings(SyncMethod::Cdc, None, true)).await;
        let enabled: Vec<i64> = org_syncs::list_enabled(&db)
            .await
            .expect("enabled")
            .into_iter()
            .map(|s| s.id)
            .collect();
        assert_eq!(enabled, [lead.id, other_contact.id]);
    })
    .await;
}

#[tokio::test]
async fn a_second_org_sync_for_the_same_object_is_a_conflict() {
    on_both_backends(|db| async move {
        let acme = org(&db, "Acme").await;
        sync(&db, acme.id, SfObject::Contact).await;
        let err = org_syncs::create(&db, acme.id, SfObject::Contact)
            .await
            .expect_err("one org sync per object");
        assert!(
            matches!(&err, StoreError::Conflict(msg) if msg.contains("Contact")),
            "{err:?}"
        );
        let err = org_syncs::create(&db, acme.id + 1000, SfObject::Lead)
            .await
            .expect_err("missing organization");
        assert!(
            matches!(err, StoreError::NotFound("organization")),
            "{err:?}"
        );
        assert_eq!(org_syncs::list(&db, acme.id).await.expect("list").len(), 1);
    })
    .await;
}

#[tokio::test]
async fn save_settings_sets_method_channel_interval_and_status() {
    on_both_backends(|db| async move {
        let acme = org(&db, "Acme").await;
        let lead = sync(&db, acme.id, SfObject::Lead).await;

        // REST keeps the interval and has no channel; saved disabled it stays paused.
        let saved = save(
            &db,
            acme.id,
            lead.id,
            settings(SyncMethod::Rest, Some(15), false),
        )
        .await;
        assert_eq!(saved.method, SyncMethod::Rest);
        assert_eq!(saved.interval_minutes, Some(15));
        assert_eq!(saved.channel, None);
        assert!(!saved.enabled);
        assert_eq!(saved.status, SyncStatus::Paused);

        // REST without an interval is refused and nothing changes.
        let err = org_syncs::save_settings(
            &db,
            acme.id,
            lead.id,
            settings(SyncMethod::Rest, None, true),
        )
        .await
        .expect_err("REST needs an interval");
        assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
        let unchanged = org_syncs::find(&db, acme.id, lead.id)
            .await
            .expect("find")
            .expect("present");
        assert_eq!(unchanged, saved);

        // CDC sets the channel and clears the interval; enabling a paused sync activates it.
        let saved = save(
            &db,
            acme.id,
            lead.id,
            settings(SyncMethod::Cdc, Some(15), true),
        )
        .await;
        assert_eq!(saved.method, SyncMethod::Cdc);
        assert_eq!(saved.channel.as_deref(), Some("/data/LeadChangeEvent"));
        assert_eq!(saved.interval_minutes, None);
        assert!(saved.enabled);
        assert_eq!(saved.status, SyncStatus::Active);

        // An error (or an open circuit) stays when an enabled sync is saved again.
        for status in [
            SyncStatus::Error,
            SyncStatus::CircuitOpen,
            SyncStatus::Active,
        ] {
            org_syncs::save_health(&db, Fence::Unfenced, lead.id, &health(status, 1))
                .await
                .expect("save health");
            let saved = save(
                &db,
                acme.id,
                lead.id,
                settings(SyncMethod::Rest, Some(30), true),
            )
            .await;
            assert_eq!(saved.status, status);
            assert_eq!(saved.interval_minutes, Some(30));
        }

        // Disabling pauses, whatever the status was; enabling again activates.
        org_syncs::save_health(&db, Fence::Unfenced, lead.id, &health(SyncStatus::Error, 2))
            .await
            .expect("save health");
        let saved = save(
            &db,
            acme.id,
            lead.id,
            settings(SyncMethod::Rest, Some(5), false),
        )
        .await;
        assert_eq!(saved.status, SyncStatus::Paused);
        assert!(
            org_syncs::list_enabled(&db)
                .await
                .expect("enabled")
                .is_empty()
        );
        let saved = save(
            &db,
            acme.id,
            lead.id,
            settings(SyncMethod::Rest, Some(5), true),
        )
        .await;
        assert_eq!(saved.status, SyncStatus::Active);
        assert!(saved.updated_at >= lead.updated_at);

        assert_eq!(
            org_syncs::save_settings(
                &db,
                acme.id,
                lead.id + 1000,
                settings(SyncMethod::Cdc, None, true)
            )
            .await
            .expect("save"),
            None
        );
    })
    .await;
}

#[tokio::test]
async fn save_health_writes_only_while_the_org_sync_is_enabled() {
    on_both_backends(|db| async move {
        let acme = org(&db, "Acme").await;
        let contact = sync(&db, acme.id, SfObject::Contact).await;

        // Disabled: nothing is written, the current row comes back.
        let returned = org_syncs::save_health(
            &db,
            Fence::Unfenced,
            contact.id,
            &health(SyncStatus::Error, 3),
        )
        .await
        .expect("save health")
        .expect("present");
        assert_eq!(returned, contact);

        save(
            &db,
            acme.id,
            contact.id,
            settings(SyncMethod::Cdc, None, true),
        )
        .await;
        let opened = Utc.with_ymd_and_hms(2025, 3, 1, 11, 0, 0).unwrap()
            + TimeDelta::nanoseconds(123_456_789);
        let written = Health {
            status: SyncStatus::CircuitOpen,
            consecutive_failures: 5,
            error_count: 12,
            last_error: Some("Salesforce said no".to_owned()),
            circuit_opened_at: Some(opened),
            last_sync_at: None,
        };
        let returned = org_syncs::save_health(&db, Fence::Unfenced, contact.id, &written)
            .await
            .expect("save health")
            .expect("present");
        assert_eq!(returned.status, SyncStatus::CircuitOpen);
        assert_eq!(returned.consecutive_failures, 5);
        assert_eq!(returned.error_count, 12);
        assert_eq!(returned.last_error.as_deref(), Some("Salesforce said no"));
        assert_eq!(
            returned.circuit_opened_at,
            Some(opened - TimeDelta::nanoseconds(789))
        );
        assert_eq!(returned.last_sync_at, None);
        // Settings are not health: untouched.
        assert!(returned.enabled);
        assert_eq!(
            returned.channel.as_deref(),
            Some("/data/ContactChangeEvent")
        );
        assert_eq!(
            org_syncs::find_by_id(&db, contact.id).await.expect("find"),
            Some(returned.clone())
        );

        // The admin disables it; a worker finishing late writes nothing.
        let paused = save(
            &db,
            acme.id,
            contact.id,
            settings(SyncMethod::Cdc, None, false),
        )
        .await;
        assert_eq!(paused.status, SyncStatus::Paused);
        let returned = org_syncs::save_health(
            &db,
            Fence::Unfenced,
            contact.id,
            &health(SyncStatus::Active, 0),
        )
        .await
        .expect("save health")
        .expect("present");
        assert_eq!(returned, paused);

        assert_eq!(
            org_syncs::save_health(
                &db,
                Fence::Unfenced,
                contact.id + 1000,
                &health(SyncStatus::Active, 0)
            )
            .await
            .expect("save health"),
            None
        );
    })
    .await;
}

#[tokio::test]
async fn backfill_progress_is_recorded_and_the_cursor_can_be_reset() {
    on_both_backends(|db| async move {
        let acme = org(&db, "Acme").await;
        let contact = sync(&db, acme.id, SfObject::Contact).await;

        assert!(
            org_syncs::set_backfill_progress(
                &db,
                Fence::Unfenced,
                contact.id,
                Some((2_000, 10_000))
            )
            .await
            .expect("progress")
        );
        let found = org_syncs::find_by_id(&db, contact.id)
            .await
            .expect("find")
            .expect("present");
        assert_eq!(
            (found.backfill_records, found.backfill_total),
            (Some(2_000), Some(10_000))
        );
        assert!(
            org_syncs::set_backfill_progress(&db, Fence::Unfenced, contact.id, None)
                .await
                .expect("progress")
        );
        let found = org_syncs::find_by_id(&db, contact.id)
            .await
            .expect("find")
            .expect("present");
        assert_eq!((found.backfill_records, found.backfill_total), (None, None));
        assert!(
            !org_syncs::set_backfill_progress(
                &db,
                Fence::Unfenced,
                contact.id + 1000,
                Some((1, 1))
            )
            .await
            .expect("progress")
        );

        mirror::apply_batch(
            &db,
            Fence::Unfenced,
            contact.id,
            &[],
            Some(&Cursor::Watermark(stamp(5))),
        )
        .await
        .expect("write a watermark");
        mirror::apply_batch(
            &db,
            Fence::Unfenced,
            contact.id,
            &[],
            Some(&Cursor::ReplayId("42".into())),
        )
        .await
        .expect("write a replay id");
        assert_eq!(
            mirror::cursor(&db, contact.id).await.expect("cursor"),
            (Some(stamp(5)), Some("42".to_owned()))
        );
        assert!(
            org_syncs::reset_replay_id(&db, Fence::Unfenced, contact.id)
                .await
                .expect("reset")
        );
        assert_eq!(
            mirror::cursor(&db, contact.id).await.expect("cursor"),
            (Some(stamp(5)), None),
            "only the replay id is forgotten; the REST catch-up resumes from the watermark"
        );
        assert!(
            !org_syncs::reset_replay_id(&db, Fence::Unfenced, contact.id + 1000)
                .await
                .expect("reset")
        );
        let err = mirror::cursor(&db, contact.id + 1000)
            .await
            .expect_err("missing org sync");
        assert!(matches!(err, StoreError::NotFound("org sync")), "{err:?}");
    })
    .await;
}

// ---------------------------------------------------------------------------------------------
// Mirror
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn page_after_reads_the_mirror_a_page_at_a_time_in_id_order_with_every_record_once() {
    on_both_backends(|db| async move {
        let acme = org(&db, "Acme").await;
        let contact = sync(&db, acme.id, SfObject::Contact).await;
        let lead = sync(&db, acme.id, SfObject::Lead).await;
        // Upper and lower case and digits: Salesforce ids differ by case, and the pages must
        // follow the same byte order as the comparison that continues them.
        let ids = ["003b", "003A", "003Z", "0039", "003a", "003B", "003z"];
        let records: Vec<MirrorRecord> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| record(id, 10, json!({"Phone": i.to_string()}), i == 2))
            .collect();
        mirror::apply_batch(&db, Fence::Unfenced, contact.id, &records, None)
            .await
            .expect("insert");
        mirror::apply_batch(&db, Fence::Unfenced, lead.id, &records[..2], None)
            .await
            .expect("insert leads");

        let mut read = Vec::new();
        let mut after: Option<String> = None;
        let mut pages = 0;
        loop {
            let page = mirror::page_after(&db, contact.id, after.as_deref(), 3)
                .await
                .expect("page");
            assert!(page.len() <= 3, "a page holds at most its limit");
            let Some(last) = page.last() else { break };
            after = Some(last.sf_id.clone());
            read.extend(page.into_iter().map(|r| r.sf_id));
            pages += 1;
        }
        let everything: Vec<String> = mirror::all(&db, contact.id)
            .await
            .expect("all")
            .into_iter()
            .map(|r| r.sf_id)
            .collect();
        // Deleted ones included, no other sync's, none twice, in byte order.
        assert_eq!(read, everything);
        let mut sorted: Vec<String> = ids.iter().map(|id| (*id).to_owned()).collect();
        sorted.sort();
        assert_eq!(read, sorted);
        assert_eq!(pages, 3);
    })
    .await;
}

#[tokio::test]
async fn apply_batch_inserts_new_records_and_applies_every_later_read_that_changes_something() {
    on_both_backends(|db| async move {
        let acme = org(&db, "Acme").await;
        let contact = sync(&db, acme.id, SfObject::Contact).await;
        let lead = sync(&db, acme.id, SfObject::Lead).await;

        let applied = mirror::apply_batch(
            &db,
            Fence::Unfenced,
            contact.id,
            &[
                record("003B", 10, json!({"Phone": "2"}), false),
                record("003A", 10, json!({"Phone": "1"}), false),
            ],
            None,
        )
        .await
        .expect("insert");
        assert_eq!(applied, stats(2, 0, 0));
        let rows = mirror::all(&db, contact.id).await.expect("all");
        let ids: Vec<&str> = rows.iter().map(|r| r.sf_id.as_str()).collect();
        assert_eq!(ids, ["003A", "003B"]);
        assert!(rows.iter().all(|r| r.applied_count == 1 && !r.deleted));
        assert_eq!(rows[0].system_modstamp, stamp(10));
        // The same sf_id in another org sync is another record.
        assert!(mirror::all(&db, lead.id).await.expect("all").is_empty());
        assert_eq!(
            mirror::find(&db, lead.id, "003A").await.expect("find"),
            None
        );

        // A later read wins whatever its stamp: an older stamp is a late commit.
        let applied = mirror::apply_batch(
            &db,
            Fence::Unfenced,
            contact.id,
            &[
                record("003A", 11, json!({"Phone": "1b"}), false),
                record("003B", 9, json!({"Phone": "late"}), false),
            ],
            None,
        )
        .await
        .expect("update");
        assert_eq!(applied, stats(0, 2, 0));
        let a = stored(&db, contact.id, "003A").await;
        assert_eq!(fields_of(&a), json!({"Phone": "1b"}));
        assert_eq!(
            (a.system_modstamp.as_str(), a.applied_count),
            (stamp(11).as_str(), 2)
        );
        let b = stored(&db, contact.id, "003B").await;
        assert_eq!(fields_of(&b), json!({"Phone": "late"}));
        assert_eq!(
            (b.system_modstamp.as_str(), b.applied_count),
            (stamp(9).as_str(), 2)
        );

        // A new stamp with the same content is still applied (the stamp moves on).
        let applied = mirror::apply_batch(
            &db,
            Fence::Unfenced,
            contact.id,
            &[record("003B", 20, json!({"Phone": "late"}), false)],
            None,
        )
        .await
        .expect("update");
        assert_eq!(applied, stats(0, 1, 0));
        let b = stored(&db, contact.id, "003B").await;
        assert_eq!(
            (b.system_modstamp.as_str(), b.applied_count),
            (stamp(20).as_str(), 3)
        );
        assert_eq!(mirror::count(&db, contact.id).await.expect("count"), 2);
    })
    .await;
}

#[tokio::test]
async fn apply_batch_applies_a_same_stamp_change_only_when_its_content_differs() {
    on_both_backends(|db| async move {
        let acme = org(&db, "Acme").await;
        let contact = sync(&db, acme.id, SfObject::Contact).await;
        mirror::apply_batch(
            &db,
            Fence::Unfenced,
            contact.id,
            &[record(
                "003A",
                10,
                json!({"Phone": "1", "Email": "a@x"}),
                false,
            )],
            None,
        )
        .await
        .expect("insert");

        // Same stamp, same content (also as a subset of the fields): unchanged.
        for fields in [json!({"Phone": "1", "Email": "a@x"}), json!({"Phone": "1"})] {
            let applied = mirror::apply_batch(
                &db,
                Fence::Unfenced,
                contact.id,
                &[record("003A", 10, fields, false)],
                None,
            )
            .await
            .expect("re-apply");
            assert_eq!(applied, stats(0, 0, 1));
        }
        assert_eq!(stored(&db, contact.id, "003A").await.applied_count, 1);

        // Same stamp, a second change in the same second: applied.
        let applied = mirror::apply_batch(
            &db,
            Fence::Unfenced,
            contact.id,
            &[record("003A", 10, json!({"Phone": "2"}), false)],
            None,
        )
        .await
        .expect("same-second change");
        assert_eq!(applied, stats(0, 1, 0));
        let a = stored(&db, contact.id, "003A").await;
        assert_eq!(fields_of(&a), json!({"Phone": "2", "Email": "a@x"}));
        assert_eq!(a.applied_count, 2);

        // Same stamp, only the deleted flag differs: applied.
        let applied = mirror::apply_batch(
            &db,
            Fence::Unfenced,
            contact.id,
            &[record("003A", 10, json!({}), true)],
            None,
        )
        .await
        .expect("same-second delete");
        assert_eq!(applied, stats(0, 1, 0));
        let a = stored(&db, contact.id, "003A").await;
        assert!(a.deleted);
        assert_eq!(a.applied_count, 3);
    })
    .await;
}

#[tokio::test]
async fn apply_batch_merges_fields_and_keeps_deleted_records() {
    on_both_backends(|db| async move {
        let acme = org(&db, "Acme").await;
        let contact = sync(&db, acme.id, SfObject::Contact).await;
        mirror::apply_batch(
            &db,
            Fence::Unfenced,
            contact.id,
            &[
                record(
                    "003A",
                    10,
                    json!({"Phone": "1", "Email": "a@x", "Country": "US"}),
                    false,
                ),
                record("003B", 10, json!({"Phone": "2"}), false),
            ],
            None,
        )
        .await
        .expect("insert");

        // A narrower field list (a CDC event carries only what changed) keeps the other fields;
        // an explicit null is a value like any other.
        mirror::apply_batch(
            &db,
            Fence::Unfenced,
            contact.id,
            &[record(
                "003A",
                11,
                json!({"Phone": "1b", "Email": null, "Title": "CEO"}),
                false,
            )],
            None,
        )
        .await
        .expect("narrow update");
        let a = stored(&db, contact.id, "003A").await;
        assert_eq!(
            fields_of(&a),
            json!({"Phone": "1b", "Email": null, "Country": "US", "Title": "CEO"})
        );

        // A deletion keeps the row (and its fields), flagged; count skips it, all and find
        // still see it. An undelete brings it back.
        let applied = mirror::apply_batch(
            &db,
            Fence::Unfenced,
            contact.id,
            &[record("003B", 12, json!({}), true)],
            None,
        )
        .await
        .expect("delete");
        assert_eq!(applied, stats(0, 1, 0));
        let b = stored(&db, contact.id, "003B").await;
        assert!(b.deleted);
        assert_eq!(fields_of(&b), json!({"Phone": "2"}));
        assert_eq!(mirror::count(&db, contact.id).await.expect("count"), 1);
        assert_eq!(mirror::all(&db, contact.id).await.expect("all").len(), 2);

        // A record first seen as deleted is stored as deleted.
        mirror::apply_batch(
            &db,
            Fence::Unfenced,
            contact.id,
            &[record("003C", 12, json!({}), true)],
            None,
        )
        .await
        .expect("insert deleted");
        assert!(stored(&db, contact.id, "003C").await.deleted);
        assert_eq!(mirror::count(&db, contact.id).await.expect("count"), 1);

        mirror::apply_batch(
            &db,
            Fence::Unfenced,
            contact.id,
            &[record("003B", 13, json!({"Phone": "3"}), false)],
            None,
        )
        .await
        .expect("undelete");
        let b = stored(&db, contact.id, "003B").await;
        assert!(!b.deleted);
        assert_eq!(b.applied_count, 3);
        assert_eq!(mirror::count(&db, contact.id).await.expect("count"), 2);
    })
    .await;
}

#[tokio::test]
async fn apply_batch_resolves_duplicates_within_a_batch() {
    on_both_backends(|db| async move {
        let acme = org(&db, "Acme").await;
        let contact = sync(&db, acme.id, SfObject::Contact).await;
        mirror::apply_batch(
            &db,
            Fence::Unfenced,
            contact.id,
            &[record(
                "003OLD",
                10,
                json!({"Phone": "0", "Email": "o@x"}),
                false,
            )],
            None,
        )
        .await
        .expect("insert");

        let applied = mirror::apply_batch(
            &db,
            Fence::Unfenced,
            contact.id,
            &[
                // New record, four reads: the last one wins, earlier ones' other fields are
                // merged under it, and an identical repeat changes nothing.
                record("003NEW", 12, json!({"Phone": "12"}), false),
                record("003NEW", 11, json!({"Phone": "11", "Email": "n@x"}), false),
                record("003NEW", 12, json!({"Phone": "12b"}), false),
                record("003NEW", 12, json!({"Phone": "12b"}), false),
                // Existing record: reads in batch order, the last one wins.
                record("003OLD", 9, json!({"Phone": "9"}), false),
                record("003OLD", 20, json!({"Phone": "20"}), false),
                record("003OLD", 15, json!({"Phone": "15", "Title": "CTO"}), false),
            ],
            None,
        )
        .await
        .expect("apply duplicates");
        assert_eq!(applied, stats(1, 5, 1));
        assert_eq!(applied.inserted + applied.updated + applied.unchanged, 7);

        let new = stored(&db, contact.id, "003NEW").await;
        assert_eq!(fields_of(&new), json!({"Phone": "12b", "Email": "n@x"}));
        assert_eq!(
            (new.system_modstamp.as_str(), new.applied_count),
            (stamp(12).as_str(), 3)
        );
        let old = stored(&db, contact.id, "003OLD").await;
        assert_eq!(
            fields_of(&old),
            json!({"Phone": "15", "Email": "o@x", "Title": "CTO"})
        );
        assert_eq!(
            (old.system_modstamp.as_str(), old.applied_count),
            (stamp(15).as_str(), 4)
        );
        assert_eq!(mirror::all(&db, contact.id).await.expect("all").len(), 2);
    })
    .await;
}

#[tokio::test]
async fn apply_batch_writes_the_cursor_with_the_records() {
    on_both_backends(|db| async move {
        let acme = org(&db, "Acme").await;
        let contact = sync(&db, acme.id, SfObject::Contact).await;
        let lead = sync(&db, acme.id, SfObject::Lead).await;

        mirror::apply_batch(
            &db,
            Fence::Unfenced,
            contact.id,
            &[record("003A", 10, json!({"Phone": "1"}), false)],
            Some(&Cursor::Watermark(stamp(10))),
        )
        .await
        .expect("apply");
        assert_eq!(
            mirror::cursor(&db, contact.id).await.expect("cursor"),
            (Some(stamp(10)), None)
        );
        // No cursor: the stored one stays.
        mirror::apply_batch(
            &db,
            Fence::Unfenced,
            contact.id,
            &[record("003B", 11, json!({"Phone": "2"}), false)],
            None,
        )
        .await
        .expect("apply");
        assert_eq!(
            mirror::cursor(&db, contact.id).await.expect("cursor"),
            (Some(stamp(10)), None)
        );
        mirror::apply_batch(
            &db,
            Fence::Unfenced,
            lead.id,
            &[record("00QA", 11, json!({"Phone": "2"}), false)],
            Some(&Cursor::ReplayId("0000123".into())),
        )
        .await
        .expect("apply");
        assert_eq!(
            mirror::cursor(&db, lead.id).await.expect("cursor"),
            (None, Some("0000123".to_owned()))
        );
        // Each org sync has its own cursor.
        assert_eq!(
            mirror::cursor(&db, contact.id).await.expect("cursor"),
            (Some(stamp(10)), None)
        );
    })
    .await;
}

#[tokio::test]
async fn a_failing_batch_writes_neither_records_nor_cursor() {
    on_both_backends(|db| async move {
        let acme = org(&db, "Acme").await;
        let contact = sync(&db, acme.id, SfObject::Contact).await;
        mirror::apply_batch(
            &db,
            Fence::Unfenced,
            contact.id,
            &[record("003A", 10, json!({"Phone": "1"}), false)],
            Some(&Cursor::Watermark(stamp(10))),
        )
        .await
        .expect("first batch");
        let before = mirror::all(&db, contact.id).await.expect("all");

        // A batch for an org sync that does not exist.
        let missing = contact.id + 1000;
        let err = mirror::apply_batch(
            &db,
            Fence::Unfenced,
            missing,
            &[record("003X", 11, json!({"Phone": "x"}), false)],
            Some(&Cursor::Watermark(stamp(11))),
        )
        .await
        .expect_err("missing org sync");
        assert!(matches!(err, StoreError::NotFound("org sync")), "{err:?}");
        assert!(mirror::all(&db, missing).await.expect("all").is_empty());

        // The cursor write fails after the records were written: they are rolled back.
        refuse(
            &db,
            "refuse_cursor",
            "UPDATE",
            "org_syncs",
            "NEW.watermark = 'refused'",
        )
        .await;
        let err = mirror::apply_batch(
            &db,
            Fence::Unfenced,
            contact.id,
            &[
                record("003A", 11, json!({"Phone": "1b"}), false),
                record("003C", 11, json!({"Phone": "3"}), false),
            ],
            Some(&Cursor::Watermark("refused".into())),
        )
        .await
        .expect_err("cursor refused");
        assert!(matches!(err, StoreError::Db(_)), "{err:?}");
        assert_eq!(mirror::all(&db, contact.id).await.expect("all"), before);
        assert_eq!(
            mirror::cursor(&db, contact.id).await.expect("cursor"),
            (Some(stamp(10)), None)
        );

        // An insert fails after an update was written: both are rolled back, no cursor.
        refuse(
            &db,
            "refuse_record",
            "INSERT",
            "sf_records",
            "NEW.sf_id = '003BOOM'",
        )
        .await;
        let err = mirror::apply_batch(
            &db,
            Fence::Unfenced,
            contact.id,
            &[
                record("003A", 12, json!({"Phone": "1c"}), false),
                record("003D", 12, json!({"Phone": "4"}), false),
                record("003BOOM", 12, json!({"Phone": "5"}), false),
            ],
            Some(&Cursor::Watermark(stamp(12))),
        )
        .await
        .expect_err("record refused");
        assert!(matches!(err, StoreError::Db(_)), "{err:?}");
        assert_eq!(mirror::all(&db, contact.id).await.expect("all"), before);
        assert_eq!(
            mirror::cursor(&db, contact.id).await.expect("cursor"),
            (Some(stamp(10)), None)
        );

        // The connection is usable afterwards and the same batch goes through without the
        // refused record.
        let applied = mirror::apply_batch(
            &db,
            Fence::Unfenced,
            contact.id,
            &[
                record("003A", 12, json!({"Phone": "1c"}), false),
                record("003D", 12, json!({"Phone": "4"}), false),
            ],
            Some(&Cursor::Watermark(stamp(12))),
        )
        .await
        .expect("retry");
        assert_eq!(applied, stats(1, 1, 0));
        assert_eq!(
            mirror::cursor(&db, contact.id).await.expect("cursor"),
            (Some(stamp(12)), None)
        );
    })
    .await;
}

/// `n` records `{prefix}{i}` with a handful of fields, stamped `sec`.
fn many(prefix: &str, n: usize, sec: u32) -> Vec<MirrorRecord> {
    (0..n)
        .map(|i| {
            let mut fields = Map::new();
            fields.insert("Id".into(), json!(format!("{prefix}{i:08}")));
            fields.insert("FirstName".into(), json!("Ada"));
            fields.insert("LastName".into(), json!(format!("Lovelace {i}")));
            fields.insert("Email".into(), json!(format!("ada{i}@example.com")));
            fields.insert("Phone".into(), json!(format!("+1555{i:07}")));
            fields.insert("MobilePhone".into(), Value::Null);
            fields.insert("Country".into(), json!("US"));
            fields.insert("HasOptedOutOfEmail".into(), json!(false));
            MirrorRecord {
                sf_id: format!("{prefix}{i:08}"),
                fields,
                system_modstamp: stamp(sec),
                deleted: false,
            }
        })
        .collect()
}

#[tokio::test]
async fn apply_batch_handles_5000_records_in_one_batch() {
    on_both_backends(|db| async move {
        let acme = org(&db, "Acme").await;
        let contact = sync(&db, acme.id, SfObject::Contact).await;
        let records = many("003", 5_000, 10);
        let applied = mirror::apply_batch(
            &db,
            Fence::Unfenced,
            contact.id,
            &records,
            Some(&Cursor::Watermark(stamp(10))),
        )
        .await
        .expect("insert 5,000");
        assert_eq!(applied, stats(5_000, 0, 0));
        assert_eq!(mirror::count(&db, contact.id).await.expect("count"), 5_000);

        // Again: the first half newer, the second half identical.
        let mut again = records.clone();
        for r in &mut again[..2_500] {
            r.system_modstamp = stamp(11);
            r.fields.insert("Country".into(), json!("CA"));
        }
        let applied = mirror::apply_batch(
            &db,
            Fence::Unfenced,
            contact.id,
            &again,
            Some(&Cursor::Watermark(stamp(11))),
        )
        .await
        .expect("update 2,500");
        assert_eq!(applied, stats(0, 2_500, 2_500));
        let first = stored(&db, contact.id, "00300000000").await;
        assert_eq!(first.applied_count, 2);
        assert_eq!(fields_of(&first)["Country"], json!("CA"));
        let last = stored(&db, contact.id, "00300004999").await;
        assert_eq!(last.applied_count, 1);
        assert_eq!(fields_of(&last)["Country"], json!("US"));
        assert_eq!(mirror::count(&db, contact.id).await.expect("count"), 5_000);
    })
    .await;
}

/// Not a benchmark, a figure: how fast 20 pages of 2,000 records commit to a SQLite file, new
/// and then updated.
#[tokio::test]
async fn apply_batch_timing_on_a_sqlite_file() {
    let dir = tempfile::tempdir().expect("create a temporary directory");
    let db = store::connect(&store::sqlite_url_for(dir.path()))
        .await
        .expect("open SQLite");
    store::migrate(&db).await.expect("migrate");
    let acme = org(&db, "Acme").await;
    let contact = sync(&db, acme.id, SfObject::Contact).await;
    let records = many("003", 40_000, 10);

    let started = Instant::now();
    for (page, chunk) in records.chunks(2_000).enumerate() {
        let cursor = Cursor::Watermark(format!("page {page}"));
        let applied = mirror::apply_batch(&db, Fence::Unfenced, contact.id, chunk, Some(&cursor))
            .await
            .expect("apply a page");
        assert_eq!(applied.inserted, 2_000);
    }
    let elapsed = started.elapsed();
    assert_eq!(mirror::count(&db, contact.id).await.expect("count"), 40_000);
    eprintln!(
        "apply_batch on SQLite: 20 pages of 2,000 new records in {:.3} s = {:.0} records/s",
        elapsed.as_secs_f64(),
        40_000.0 / elapsed.as_secs_f64()
    );

    // The same records again, every one newer: one UPDATE per record.
    let newer: Vec<MirrorRecord> = records
        .into_iter()
        .map(|mut r| {
            r.system_modstamp = stamp(11);
            r
        })
        .collect();
    let started = Instant::now();
    for chunk in newer.chunks(2_000) {
        let applied = mirror::apply_batch(&db, Fence::Unfenced, contact.id, chunk, None)
            .await
            .expect("apply a page");
        assert_eq!(applied.updated, 2_000);
    }
    let elapsed = started.elapsed();
    eprintln!(
        "apply_batch on SQLite: 20 pages of 2,000 updated records in {:.3} s = {:.0} records/s",
        elapsed.as_secs_f64(),
        40_000.0 / elapsed.as_secs_f64()
    );
    db.close().await.expect("close SQLite");
}

// ---------------------------------------------------------------------------------------------
// Run history
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn sync_runs_start_finish_and_list_recent() {
    on_both_backends(|db| async move {
        let acme = org(&db, "Acme").await;
        let contact = sync(&db, acme.id, SfObject::Contact).await;
        let lead = sync(&db, acme.id, SfObject::Lead).await;
        let t0 =
            Utc.with_ymd_and_hms(2025, 3, 1, 10, 0, 0).unwrap() + TimeDelta::nanoseconds(1_500);

        let first = sync_runs::start(&db, contact.id, t0).await.expect("start");
        let second = sync_runs::start(&db, contact.id, t0 + TimeDelta::minutes(5))
            .await
            .expect("start");
        let third = sync_runs::start(&db, contact.id, t0 + TimeDelta::minutes(10))
            .await
            .expect("start");
        sync_runs::start(&db, lead.id, t0).await.expect("start");

        sync_runs::finish(
            &db,
            first,
            t0 + TimeDelta::seconds(3),
            RunOutcome::Succeeded,
            2_000,
            None,
        )
        .await
        .expect("finish");
        sync_runs::finish(
            &db,
            second,
            t0 + TimeDelta::minutes(6),
            RunOutcome::Failed,
            0,
            Some("INVALID_SESSION_ID".into()),
        )
        .await
        .expect("finish");

        let all = sync_runs::recent(&db, contact.id, 10)
            .await
            .expect("recent");
        let ids: Vec<i64> = all.iter().map(|r| r.id).collect();
        assert_eq!(ids, [third, second, first]);
        assert_eq!(all[0].outcome, RunState::Running);
        assert_eq!(all[0].finished_at, None);
        assert_eq!(all[1].outcome, RunState::Failed);
        assert_eq!(all[1].message.as_deref(), Some("INVALID_SESSION_ID"));
        assert_eq!(all[2].outcome, RunState::Succeeded);
        assert_eq!(all[2].records, 2_000);
        assert_eq!(all[2].started_at, t0 - TimeDelta::nanoseconds(500));
        assert_eq!(
            all[2].finished_at,
            Some(t0 - TimeDelta::nanoseconds(500) + TimeDelta::seconds(3))
        );

        let latest = sync_runs::recent(&db, contact.id, 2).await.expect("recent");
        assert_eq!(
            latest.iter().map(|r| r.id).collect::<Vec<_>>(),
            [third, second]
        );
        assert_eq!(
            sync_runs::recent(&db, lead.id, 10)
                .await
                .expect("recent")
                .len(),
            1
        );

        let err = sync_runs::start(&db, contact.id + 1000, t0)
            .await
            .expect_err("missing org sync");
        assert!(matches!(err, StoreError::NotFound("org sync")), "{err:?}");
        let err = sync_runs::finish(&db, third + 1000, t0, RunOutcome::Succeeded, 0, None)
            .await
            .expect_err("missing run");
        assert!(matches!(err, StoreError::NotFound("sync run")), "{err:?}");
    })
    .await;
}

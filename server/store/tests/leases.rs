//! Leases and fenced writes, on SQLite and on PostgreSQL: one holder at a time, takeover once
//! a lease lapses, and a holder that lost its lease cannot write the mirror or the sync's
//! health again.

mod common;

use chrono::{TimeDelta, Utc};
use serde_json::json;
use store::{
    StoreError,
    leases::{self, Fence, Lease},
    mirror::{self, Cursor, MirrorRecord},
    org_syncs::{self, Health, SfObject, SyncMethod, SyncSettings, SyncStatus},
};

use common::{on_both_backends, org};

const TTL: TimeDelta = TimeDelta::seconds(30);

fn lease(name: &str, holder: &str) -> Lease {
    Lease {
        name: name.to_owned(),
        holder: holder.to_owned(),
    }
}

fn record(sf_id: &str, phone: &str) -> MirrorRecord {
    let serde_json::Value::Object(fields) = json!({"Id": sf_id, "Phone": phone}) else {
        unreachable!("a JSON object");
    };
    MirrorRecord {
        sf_id: sf_id.to_owned(),
        fields,
        system_modstamp: "2025-03-01T10:00:00.000+0000".to_owned(),
        deleted: false,
    }
}

#[tokio::test]
async fn a_lease_has_one_holder_until_it_lapses_or_is_released() {
    on_both_backends(|db| async move {
        let now = Utc::now();
        assert!(
            leases::try_acquire(&db, "org_sync:1", "a/1", now, TTL)
                .await
                .expect("a takes it")
        );
        assert!(
            !leases::try_acquire(&db, "org_sync:1", "b/1", now + TimeDelta::seconds(29), TTL)
                .await
                .expect("b asks"),
            "held by a"
        );
        assert!(
            leases::try_acquire(&db, "org_sync:2", "b/1", now, TTL)
                .await
                .expect("another name"),
            "leases are per name"
        );
        // Renewed by its holder only.
        let a = lease("org_sync:1", "a/1");
        assert!(
            leases::renew(&db, &a, now + TimeDelta::seconds(20), TTL)
                .await
                .expect("renew")
        );
        assert!(
            !leases::renew(&db, &lease("org_sync:1", "b/1"), now, TTL)
                .await
                .expect("b renews")
        );
        assert!(
            !leases::try_acquire(&db, "org_sync:1", "b/1", now + TimeDelta::seconds(45), TTL)
                .await
                .expect("b asks again"),
            "the renewal moved the expiry to 50 s"
        );
        assert_eq!(
            leases::holder(&db, "org_sync:1", now + TimeDelta::seconds(45))
                .await
                .expect("holder")
                .as_deref(),
            Some("a/1")
        );
        // Lapsed: b takes it over, and a can no longer renew it.
        assert!(
            leases::try_acquire(&db, "org_sync:1", "b/1", now + TimeDelta::seconds(51), TTL)
                .await
                .expect("b takes over")
        );
        assert!(
            !leases::renew(&db, &a, now + TimeDelta::seconds(52), TTL)
                .await
                .expect("a renews")
        );
        // Releasing someone else's lease does nothing; releasing one's own frees it.
        leases::release(&db, &a).await.expect("a releases");
        assert_eq!(
            leases::holder(&db, "org_sync:1", now + TimeDelta::seconds(52))
                .await
                .expect("holder")
                .as_deref(),
            Some("b/1")
        );
        leases::release(&db, &lease("org_sync:1", "b/1"))
            .await
            .expect("b releases");
        assert!(
            leases::try_acquire(&db, "org_sync:1", "c/1", now + TimeDelta::seconds(53), TTL)
                .await
                .expect("c takes it at once")
        );
        assert_eq!(leases::clear(&db).await.expect("clear"), 2);
        assert!(leases::list(&db).await.expect("list").is_empty());
    })
    .await;
}

#[tokio::test]
async fn many_contenders_at_once_get_one_holder() {
    on_both_backends(|db| async move {
        let now = Utc::now();
        let attempts = (0..8).map(|n| {
            let db = db.clone();
            async move {
                leases::try_acquire(&db, "org_sync:9", &format!("i{n}/1"), now, TTL)
                    .await
                    .expect("try")
            }
        });
        let taken = futures::future::join_all(attempts).await;
        assert_eq!(taken.iter().filter(|t| **t).count(), 1, "{taken:?}");
    })
    .await;
}

#[tokio::test]
async fn a_holder_that_lost_its_lease_cannot_write_the_mirror_or_the_health() {
    on_both_backends(|db| async move {
        let acme = org(&db, "Acme").await;
        let sync = org_syncs::create(&db, acme.id, SfObject::Contact)
            .await
            .expect("create");
        org_syncs::save_settings(
            &db,
            acme.id,
            sync.id,
            SyncSettings {
                method: SyncMethod::Rest,
                interval_minutes: Some(5),
                enabled: true,
            },
        )
        .await
        .expect("save")
        .expect("found");
        let name = leases::org_sync(sync.id);
        let now = Utc::now();
        let old = lease(&name, "a/1");
        assert!(
            leases::try_acquire(&db, &name, &old.holder, now, TTL)
                .await
                .expect("a")
        );

        // While held, fenced writes go through.
        let cursor = Cursor::Watermark("2025-03-01T10:00:00.000+0000".into());
        mirror::apply_batch(
            &db,
            Fence::Lease(&old),
            sync.id,
            &[record("003A", "+1")],
            Some(&cursor),
        )
        .await
        .expect("held: written");
        let health = Health {
            status: SyncStatus::Active,
            consecutive_failures: 0,
            error_count: 0,
            last_error: None,
            circuit_opened_at: None,
            last_sync_at: Some(now),
        };
        org_syncs::save_health(&db, Fence::Lease(&old), sync.id, &health)
            .await
            .expect("held: health written")
            .expect("found");

        // Another instance takes the lapsed lease over: every write of the old holder is
        // refused and changes nothing.
        assert!(
            leases::try_acquire(&db, &name, "b/1", now + TTL + TimeDelta::seconds(1), TTL)
                .await
                .expect("b")
        );
        let refused = mirror::apply_batch(
            &db,
            Fence::Lease(&old),
            sync.id,
            &[record("003A", "+2"), record("003B", "+3")],
            Some(&Cursor::Watermark("2025-03-01T11:00:00.000+0000".into())),
        )
        .await
        .expect_err("lost: refused");
        assert!(
            matches!(refused, StoreError::LeaseLost(ref n) if *n == name),
            "{refused:?}"
        );
        let rows = mirror::all(&db, sync.id).await.expect("rows");
        assert_eq!(rows.len(), 1, "nothing inserted");
        let fields = mirror::fields(&rows[0]).expect("fields");
        assert_eq!(fields["Phone"], json!("+1"), "nothing updated");
        assert_eq!(
            mirror::cursor(&db, sync.id).await.expect("cursor").0,
            Some("2025-03-01T10:00:00.000+0000".to_owned()),
            "the cursor did not move"
        );
        let failing = Health {
            status: SyncStatus::CircuitOpen,
            ..health
        };
        let refused = org_syncs::save_health(&db, Fence::Lease(&old), sync.id, &failing)
            .await
            .expect_err("lost: refused");
        assert!(matches!(refused, StoreError::LeaseLost(_)), "{refused:?}");
        assert!(matches!(
            org_syncs::set_backfill_progress(&db, Fence::Lease(&old), sync.id, Some((1, 2))).await,
            Err(StoreError::LeaseLost(_))
        ));
        assert!(matches!(
            org_syncs::reset_replay_id(&db, Fence::Lease(&old), sync.id).await,
            Err(StoreError::LeaseLost(_))
        ));
        let row = org_syncs::find_by_id(&db, sync.id)
            .await
            .expect("read")
            .expect("found");
        assert_eq!(row.status, SyncStatus::Active);
        assert_eq!(row.backfill_total, None);

        // The new holder writes.
        mirror::apply_batch(
            &db,
            Fence::Lease(&lease(&name, "b/1")),
            sync.id,
            &[record("003B", "+3")],
            None,
        )
        .await
        .expect("b writes");
        // A removed sync is still "not found", whoever holds its lease.
        let missing = mirror::apply_batch(&db, Fence::Lease(&old), sync.id + 1000, &[], None)
            .await
            .expect_err("missing");
        assert!(
            matches!(missing, StoreError::NotFound("org sync")),
            "{missing:?}"
        );
    })
    .await;
}

//! Call activity and API keys (DS-05) on SQLite and PostgreSQL: a call is recorded once per
//! call id, only on a record of the organization's campaign; the write-back queue hands out
//! due calls by object, oldest first, and records each attempt's outcome (fenced by the
//! sync's lease); API keys are found by hash, unique by name, and revoked per organization.

mod common;

use chrono::{TimeDelta, Utc};
use sea_orm::DatabaseConnection;
use store::{
    StoreError, api_keys,
    call_activities::{self, CallState, NewCall, Recorded, WriteOutcome},
    campaign_records::{self, RecordWrite},
    campaigns::{self, CampaignSettings},
    leases::{self, Fence, Lease},
};

use common::{on_both_backends, org};

const ADA: &str = "003000000000001AAA";
const LEAD: &str = "00Q000000000001AAA";

async fn campaign_with_people(db: &DatabaseConnection, org_id: i64, name: &str) -> i64 {
    let campaign = campaigns::create(db, org_id, &CampaignSettings::named(name))
        .await
        .expect("campaign")
        .id;
    let person = |sf_id: &str, object: &str| RecordWrite {
        campaign_id: campaign,
        sf_id: sf_id.to_owned(),
        sf_object: object.to_owned(),
        display_name: sf_id.to_owned(),
        source_name: "Test".to_owned(),
        source_link_id: None,
        phones: "[]".to_owned(),
        custom_fields: "{}".to_owned(),
        state: "ready".to_owned(),
    };
    campaign_records::write(db, &[person(ADA, "Contact"), person(LEAD, "Lead")])
        .await
        .expect("records");
    campaign
}

fn call(org_id: i64, campaign: i64, sf_id: &str, call_id: &str) -> NewCall {
    NewCall {
        organization_id: org_id,
        campaign_id: campaign,
        sf_id: sf_id.to_owned(),
        call_id: call_id.to_owned(),
        subject: "Call".to_owned(),
        disposition: "Connected".to_owned(),
        duration_seconds: 30,
        notes: String::new(),
        occurred_at: Utc::now(),
        recorded_by: "admin".to_owned(),
    }
}

#[tokio::test]
async fn ds_05_a_call_is_recorded_once_per_call_id_on_a_record_of_the_campaign() {
    on_both_backends(|db| async move {
        let acme = org(&db, "Acme").await;
        let other = org(&db, "Other").await;
        let campaign = campaign_with_people(&db, acme.id, "Renewals").await;
        let now = Utc::now();

        let first = call_activities::record(&db, call(acme.id, campaign, ADA, "c-1"), now)
            .await
            .expect("recorded");
        let Recorded::New(first) = first else {
            panic!("a new call")
        };
        assert_eq!(first.sf_object, "Contact", "taken from the campaign record");
        assert_eq!(first.state, "pending");
        assert_eq!(first.attempts, 0);

        // The dialer reports the same call again: the same call, nothing new.
        let again = call_activities::record(&db, call(acme.id, campaign, ADA, "c-1"), now)
            .await
            .expect("recorded again");
        assert_eq!(again, Recorded::Again(first.clone()));

        // The same call id for someone else is a mistake, said plainly.
        let err = call_activities::record(&db, call(acme.id, campaign, LEAD, "c-1"), now)
            .await
            .expect_err("another person");
        assert!(
            matches!(err, StoreError::Conflict(ref m) if m.contains("c-1")),
            "{err:?}"
        );

        // Not a record of the campaign, or another organization's campaign.
        let err = call_activities::record(
            &db,
            call(acme.id, campaign, "003000000000009AAA", "c-2"),
            now,
        )
        .await
        .expect_err("not in the campaign");
        assert!(matches!(err, StoreError::NotFound(_)));
        let err = call_activities::record(&db, call(other.id, campaign, ADA, "c-3"), now)
            .await
            .expect_err("another organization");
        assert!(matches!(err, StoreError::NotFound(_)));

        // Call ids are unique per organization, not across them.
        let theirs = campaign_with_people(&db, other.id, "Theirs").await;
        assert!(matches!(
            call_activities::record(&db, call(other.id, theirs, ADA, "c-1"), now).await,
            Ok(Recorded::New(_))
        ));
    })
    .await;
}

#[tokio::test]
async fn ds_05_the_queue_hands_out_due_calls_by_object_and_keeps_each_outcome() {
    on_both_backends(|db| async move {
        let acme = org(&db, "Acme").await;
        let campaign = campaign_with_people(&db, acme.id, "Renewals").await;
        let now = Utc::now();
        let mut ids = Vec::new();
        for (n, person) in [ADA, LEAD, ADA, ADA].iter().enumerate() {
            let recorded = call_activities::record(
                &db,
                call(acme.id, campaign, person, &format!("q-{n}")),
                now,
            )
            .await
            .expect("recorded");
            ids.push(recorded.call().id);
        }
        let due = call_activities::due(&db, acme.id, "Contact", now, 200)
            .await
            .expect("due");
        let due_ids: Vec<i64> = due.iter().map(|c| c.id).collect();
        assert_eq!(
            due_ids,
            vec![ids[0], ids[2], ids[3]],
            "Contacts only, oldest first"
        );
        assert_eq!(
            call_activities::due(&db, acme.id, "Contact", now, 2)
                .await
                .expect("due")
                .len(),
            2
        );

        let later = now + TimeDelta::seconds(30);
        // Claimed before sending: counted, and due again later should the writer stop.
        let claimed =
            call_activities::claim(&db, Fence::Unfenced, &[ids[0], ids[2], ids[3]], later)
                .await
                .expect("claim");
        assert_eq!(claimed.len(), 3);
        assert!(
            claimed.iter().all(
                |c| c.attempts == 1 && (c.next_attempt_at - later).num_milliseconds().abs() < 1
            )
        );
        let outcomes = [
            (
                ids[0],
                WriteOutcome::Written {
                    task_id: "00T000000000001AAA".into(),
                },
            ),
            (
                ids[2],
                WriteOutcome::Failed {
                    message: "INVALID_CROSS_REFERENCE_KEY: invalid cross reference id".into(),
                },
            ),
            (
                ids[3],
                WriteOutcome::Retry {
                    message: "connection closed".into(),
                    next_attempt_at: later,
                },
            ),
        ];
        for (id, outcome) in &outcomes {
            call_activities::finish_attempt(&db, Fence::Unfenced, *id, outcome, now)
                .await
                .expect("finish");
        }
        let read = |id: i64| {
            let db = db.clone();
            async move {
                call_activities::find(&db, acme.id, id)
                    .await
                    .expect("read")
                    .expect("call")
            }
        };
        let written = read(ids[0]).await;
        assert_eq!(written.state, "written");
        assert_eq!(written.sf_task_id.as_deref(), Some("00T000000000001AAA"));
        assert!(written.written_at.is_some());
        let failed = read(ids[2]).await;
        assert_eq!(failed.state, "failed");
        assert!(
            failed
                .last_error
                .unwrap_or_default()
                .contains("INVALID_CROSS_REFERENCE_KEY")
        );
        let retried = read(ids[3]).await;
        assert_eq!(retried.state, "pending");
        assert_eq!(retried.attempts, 1);
        assert_eq!(retried.last_error.as_deref(), Some("connection closed"));

        // Only the retried call is still queued, and not before its time.
        assert!(
            call_activities::due(&db, acme.id, "Contact", now, 200)
                .await
                .expect("due")
                .is_empty()
        );
        assert_eq!(
            call_activities::next_due_at(&db, acme.id, "Contact")
                .await
                .expect("next"),
            Some(retried.next_attempt_at)
        );
        let due: Vec<i64> = call_activities::due(&db, acme.id, "Contact", later, 200)
            .await
            .expect("due")
            .iter()
            .map(|c| c.id)
            .collect();
        assert_eq!(due, vec![ids[3]]);

        // A written call is never touched again; a failed one can be put back by an admin.
        call_activities::finish_attempt(
            &db,
            Fence::Unfenced,
            ids[0],
            &WriteOutcome::Failed {
                message: "late".into(),
            },
            now,
        )
        .await
        .expect("no-op");
        assert_eq!(read(ids[0]).await.state, "written");
        assert!(
            !call_activities::retry_failed(&db, acme.id, ids[0], now)
                .await
                .expect("retry")
        );
        assert!(
            call_activities::retry_failed(&db, acme.id, ids[2], now)
                .await
                .expect("retry")
        );
        let again = read(ids[2]).await;
        assert_eq!(again.state, CallState::Pending.as_str());
        assert_eq!(again.attempts, 0, "a fresh back-off");
        // A claim leaves settled calls alone.
        let claimed = call_activities::claim(&db, Fence::Unfenced, &[ids[0], ids[2]], later)
            .await
            .expect("claim");
        assert_eq!(
            claimed.iter().map(|c| c.id).collect::<Vec<_>>(),
            vec![ids[2]]
        );
        assert_eq!(
            call_activities::count_in_state(&db, campaign, CallState::Pending)
                .await
                .expect("count"),
            3
        );
    })
    .await;
}

#[tokio::test]
async fn ds_05_a_write_back_under_a_lost_lease_is_refused() {
    on_both_backends(|db| async move {
        let acme = org(&db, "Acme").await;
        let campaign = campaign_with_people(&db, acme.id, "Renewals").await;
        let now = Utc::now();
        let id = call_activities::record(&db, call(acme.id, campaign, ADA, "fenced"), now)
            .await
            .expect("recorded")
            .call()
            .id;
        let ours = Lease {
            name: "org_sync:1".into(),
            holder: "a/1".into(),
        };
        assert!(
            leases::try_acquire(&db, &ours.name, &ours.holder, now, TimeDelta::seconds(30))
                .await
                .expect("lease")
        );
        leases::release(&db, &ours).await.expect("release");
        let err = call_activities::finish_attempt(
            &db,
            Fence::Lease(&ours),
            id,
            &WriteOutcome::Written {
                task_id: "00T000000000001AAA".into(),
            },
            now,
        )
        .await
        .expect_err("lease lost");
        assert!(matches!(err, StoreError::LeaseLost(_)), "{err:?}");
        let err = call_activities::claim(&db, Fence::Lease(&ours), &[id], now)
            .await
            .expect_err("lease lost: nothing is sent");
        assert!(matches!(err, StoreError::LeaseLost(_)), "{err:?}");
        let call = call_activities::find(&db, acme.id, id)
            .await
            .expect("read")
            .expect("call");
        assert_eq!(call.state, "pending");
    })
    .await;
}

#[tokio::test]
async fn ds_05_api_keys_are_found_by_hash_unique_by_name_and_revoked_per_organization() {
    on_both_backends(|db| async move {
        let acme = org(&db, "Acme").await;
        let other = org(&db, "Other").await;
        let key = api_keys::create(&db, acme.id, "Dialer", "osk_abcdef", "hash-1")
            .await
            .expect("key");
        let err = api_keys::create(&db, acme.id, "Dialer", "osk_123456", "hash-2")
            .await
            .expect_err("same name");
        assert!(
            matches!(err, StoreError::Conflict(ref m) if m.contains("Dialer")),
            "{err:?}"
        );
        api_keys::create(&db, other.id, "Dialer", "osk_zzzzzz", "hash-3")
            .await
            .expect("another organization may use the name");

        let now = Utc::now();
        let found = api_keys::authenticate(&db, "hash-1", now)
            .await
            .expect("lookup")
            .expect("found");
        assert_eq!(found.id, key.id);
        assert!(
            api_keys::authenticate(&db, "nope", now)
                .await
                .expect("lookup")
                .is_none()
        );
        let listed = api_keys::list(&db, acme.id).await.expect("list");
        assert_eq!(listed.len(), 1);
        assert!(listed[0].last_used_at.is_some(), "its use is noted");

        assert!(
            !api_keys::revoke(&db, other.id, key.id)
                .await
                .expect("revoke"),
            "not theirs"
        );
        assert!(
            api_keys::revoke(&db, acme.id, key.id)
                .await
                .expect("revoke")
        );
        assert!(
            api_keys::authenticate(&db, "hash-1", now)
                .await
                .expect("lookup")
                .is_none()
        );
    })
    .await;
}

#[tokio::test]
async fn ds_05_a_campaign_is_not_deleted_while_one_of_its_calls_is_on_its_way() {
    on_both_backends(|db| async move {
        let acme = org(&db, "Acme").await;
        let other = org(&db, "Other").await;
        let campaign = campaign_with_people(&db, acme.id, "Renewals").await;
        let now = Utc::now();
        let Recorded::New(pending) =
            call_activities::record(&db, call(acme.id, campaign, ADA, "keep-1"), now)
                .await
                .expect("recorded")
        else {
            panic!("a new call")
        };
        let second = call_activities::record(&db, call(acme.id, campaign, LEAD, "keep-2"), now)
            .await
            .expect("recorded")
            .call()
            .id;

        assert_eq!(
            campaigns::remove_unless_calls_pending(&db, acme.id, campaign)
                .await
                .expect("remove"),
            campaigns::Removal::CallsPending(2)
        );
        assert!(
            campaigns::find(&db, acme.id, campaign)
                .await
                .expect("find")
                .is_some()
        );
        assert_eq!(
            call_activities::count_in_state(&db, campaign, CallState::Pending)
                .await
                .expect("count"),
            2,
            "the calls are kept"
        );
        // Another organization cannot tell it exists.
        assert_eq!(
            campaigns::remove_unless_calls_pending(&db, other.id, campaign)
                .await
                .expect("remove"),
            campaigns::Removal::NotFound
        );

        // One written, one failed: nothing is on its way any more.
        let claimed = call_activities::claim(&db, Fence::Unfenced, &[pending.id, second], now)
            .await
            .expect("claim");
        assert_eq!(claimed.len(), 2);
        call_activities::finish_attempts(
            &db,
            Fence::Unfenced,
            &[
                (
                    claimed[0].id,
                    WriteOutcome::Written {
                        task_id: "00T000000000001AAA".into(),
                    },
                ),
                (
                    claimed[1].id,
                    WriteOutcome::Failed {
                        message: "INVALID_CROSS_REFERENCE_KEY: invalid cross reference id".into(),
                    },
                ),
            ],
            now,
        )
        .await
        .expect("outcomes");
        assert_eq!(
            campaigns::remove_unless_calls_pending(&db, acme.id, campaign)
                .await
                .expect("remove"),
            campaigns::Removal::Removed
        );
        assert!(
            campaigns::find(&db, acme.id, campaign)
                .await
                .expect("find")
                .is_none()
        );
        assert_eq!(
            campaigns::remove_unless_calls_pending(&db, acme.id, campaign)
                .await
                .expect("remove"),
            campaigns::Removal::NotFound
        );
    })
    .await;
}

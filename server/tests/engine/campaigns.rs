//! From the mirror into campaigns (DS-03, DS-04, OS-07, IG-03), with the real engine against
//! the simulator, on SQLite and PostgreSQL: records that match a linked Data Source arrive
//! with their phones and custom fields, follow Salesforce, change state (never vanish) when
//! they stop matching or are deleted, appear once through two Links, and stay when the Link,
//! the Data Source or the Org Sync goes. A Data Source reading a field the mirror does not
//! hold makes the engine fetch it for every record.

use std::collections::{HashMap, HashSet};

use filters::{Combine, Condition, FieldInfo, FieldKind, Filter, FilterItem, Op};
use orgsync::sync::SyncCommands;
use reqwest::Method;
use serde_json::{Value, json};
use store::{
    campaign_records,
    campaigns::{self, CampaignSettings},
    data_source_links::{self, LinkMappings},
    data_sources::{self, DataSourceSettings},
    entities::campaign_records::Model as CampaignRecord,
    org_syncs::{SfObject, SyncMethod},
};

use crate::harness::{BACKENDS, Harness, Options};

fn text(name: &str) -> FieldInfo {
    FieldInfo::new(name, name, FieldKind::Text)
}

/// A Contact Data Source whose filter is `Department <op> <values>`, reading phones and
/// `Department` (not in the engine's default field list: IG-03).
async fn department_source(h: &Harness, org_sync: i64, name: &str, departments: &[&str]) -> i64 {
    data_sources::create(
        &h.db,
        h.org_id,
        org_sync,
        &department_settings(name, departments, &[]),
    )
    .await
    .expect("data source")
    .id
}

/// `Department in <departments>`, and each of `non_empty` has a value; reading phones,
/// names, DoNotCall, Department and `non_empty`.
fn department_settings(name: &str, departments: &[&str], non_empty: &[&str]) -> DataSourceSettings {
    let mut items = vec![FilterItem::Condition(Condition::list(
        "Department",
        Op::In,
        departments.iter().copied(),
    ))];
    items.extend(
        non_empty
            .iter()
            .map(|field| FilterItem::Condition(Condition::new(*field, Op::IsNotEmpty, ""))),
    );
    let filter = Filter {
        combine: Combine::All,
        items,
    };
    let mut info = vec![
        text("Phone"),
        text("MobilePhone"),
        text("Department"),
        text("FirstName"),
        text("LastName"),
        FieldInfo::new("DoNotCall", "Do Not Call", FieldKind::Boolean),
    ];
    info.extend(non_empty.iter().map(|field| text(field)));
    let valid = filter.validate("Contact", &info).expect("a valid filter");
    let names: Vec<String> = info.iter().map(|f| f.name.clone()).collect();
    DataSourceSettings {
        name: name.to_owned(),
        filter: valid.filter().to_json(),
        fields: serde_json::to_string(&names).expect("json"),
        field_info: serde_json::to_string(&info).expect("json"),
    }
}

async fn campaign(h: &Harness, name: &str) -> i64 {
    campaigns::create(
        &h.db,
        h.org_id,
        &CampaignSettings {
            name: name.to_owned(),
            phone_slots: vec!["Primary".into(), "Mobile".into()],
            custom_fields: vec!["Department".into()],
            region: "US".into(),
        },
    )
    .await
    .expect("campaign")
    .id
}

async fn link(h: &Harness, data_source: i64, campaign: i64) -> i64 {
    data_source_links::create(
        &h.db,
        data_source,
        campaign,
        &LinkMappings {
            phones: json!([{"slot": "Primary", "field": "Phone"}, {"slot": "Mobile", "field": "MobilePhone"}]).to_string(),
            custom_fields: json!([{"custom_field": "Department", "field": "Department"}]).to_string(),
        },
    )
    .await
    .expect("link")
    .id
}

async fn records(h: &Harness, campaign: i64) -> HashMap<String, CampaignRecord> {
    campaign_records::existing(&h.db, &[campaign], None)
        .await
        .expect("campaign records")
        .into_iter()
        .map(|r| (r.sf_id.clone(), r))
        .collect()
}

/// The simulator's live Contacts by id.
async fn contacts(h: &Harness) -> HashMap<String, Value> {
    let all = h.sim_get("/__sim/records/Contact").await;
    all["records"]
        .as_array()
        .expect("records")
        .iter()
        .filter(|r| r["IsDeleted"] != json!(true))
        .map(|r| (r["Id"].as_str().expect("Id").to_owned(), r.clone()))
        .collect()
}

fn in_departments(contacts: &HashMap<String, Value>, departments: &[&str]) -> HashSet<String> {
    contacts
        .iter()
        .filter(|(_, r)| departments.iter().any(|d| r["Department"] == json!(d)))
        .map(|(id, _)| id.clone())
        .collect()
}

async fn patch(h: &Harness, id: &str, body: Value) {
    h.sim_call(
        Method::PATCH,
        &format!("/__sim/records/Contact/{id}"),
        Some(body),
    )
    .await;
}

async fn start_with_contacts(h: &Harness) -> i64 {
    let id = h.enable(SfObject::Contact, SyncMethod::Rest).await;
    h.wait_for("the backfill", || async { h.runs(id).await >= 1 })
        .await;
    id
}

/// A polled Contact sync, the "Sales people" Data Source linked to a "Sales calls" campaign,
/// and the campaign filled with the Sales contacts: (sync, Data Source, campaign, their ids).
async fn sales_campaign(h: &Harness) -> (i64, i64, i64, HashSet<String>) {
    let sync = start_with_contacts(h).await;
    let source = department_source(h, sync, "Sales people", &["Sales"]).await;
    let sales = campaign(h, "Sales calls").await;
    link(h, source, sales).await;
    h.supervisor
        .data_sources_changed(h.org_id, sync, true)
        .await
        .expect("campaigns follow");
    let expected = in_departments(&contacts(h).await, &["Sales"]);
    h.wait_for("the Sales contacts in the campaign", || async {
        records(h, sales).await.len() == expected.len()
    })
    .await;
    (sync, source, sales, expected)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ds_03_ig_03_records_arrive_follow_salesforce_and_stay_when_they_stop_matching() {
    for backend in BACKENDS {
        let h = Harness::start(backend, Options::default()).await;
        let sync = start_with_contacts(&h).await;
        let source = department_source(&h, sync, "Sales people", &["Sales"]).await;
        let sales = campaign(&h, "Sales calls").await;
        let sales_link = link(&h, source, sales).await;
        let runs_before_restart = h.runs(sync).await;
        h.supervisor
            .data_sources_changed(h.org_id, sync, true)
            .await
            .expect("campaigns follow");

        // IG-03: Department was never fetched; the engine fetches it for every record.
        let expected = in_departments(&contacts(&h).await, &["Sales"]);
        assert!(!expected.is_empty(), "the seed has Sales contacts");
        h.wait_for("the Sales contacts in the campaign", || async {
            records(&h, sales)
                .await
                .keys()
                .cloned()
                .collect::<HashSet<_>>()
                == expected
        })
        .await;
        let fetched = h.row(sync).await.fetched_fields.unwrap_or_default();
        assert!(fetched.contains("Department"), "{backend:?}: {fetched}");
        let sim = contacts(&h).await;
        for (id, record) in records(&h, sales).await {
            let contact = &sim[&id];
            assert_eq!(record.source_link_id, Some(sales_link));
            assert_eq!(record.source_name, "Sales people");
            assert_eq!(record.sf_object, "Contact");
            let custom: Value = serde_json::from_str(&record.custom_fields).expect("json");
            assert_eq!(custom["Department"], json!("Sales"));
            let phones: Vec<Value> = serde_json::from_str(&record.phones).expect("json");
            let primary = phones.iter().find(|p| p["slot"] == json!("Primary"));
            match contact["Phone"].as_str() {
                Some(phone) => assert_eq!(primary.map(|p| &p["raw"]), Some(&json!(phone.trim()))),
                None => assert!(primary.is_none(), "no Phone, no Primary: {phones:?}"),
            }
            let expected_state = if contact["DoNotCall"] == json!(true) {
                "do_not_call"
            } else if phones.iter().all(|p| p["e164"].is_null()) {
                "no_valid_phone"
            } else {
                "ready"
            };
            assert_eq!(record.state, expected_state, "{backend:?} {id}");
        }

        // The restarted worker polls at once; changes made while that poll runs could be
        // counted as seen by `next_poll` below, so let it finish first.
        h.wait_for("the restarted worker's first poll", || async {
            h.runs(sync).await > runs_before_restart
        })
        .await;

        // Salesforce changes: one leaves Sales, one joins, one is deleted, one opts out.
        let mut current: Vec<String> = expected.iter().cloned().collect();
        current.sort();
        let (leaver, deleted, opted_out) = (&current[0], &current[1], &current[2]);
        // The joiner must be dialable once it joins: not one the seed marks DoNotCall. Picked by
        // Id, not by the map's random order, so every run changes the same records.
        let joiner = sim
            .iter()
            .filter(|(_, r)| r["Department"] != json!("Sales") && r["DoNotCall"] != json!(true))
            .map(|(id, _)| id.clone())
            .min()
            .expect("a dialable contact outside Sales");
        patch(&h, leaver, json!({"Department": "IT"})).await;
        patch(
            &h,
            &joiner,
            json!({"Department": "Sales", "Phone": "(415) 555-2671"}),
        )
        .await;
        patch(&h, opted_out, json!({"DoNotCall": true})).await;
        h.sim_call(
            Method::DELETE,
            &format!("/__sim/records/Contact/{deleted}"),
            None,
        )
        .await;
        h.next_poll(sync).await;
        h.wait_for("the changes in the campaign", || async {
            records(&h, sales).await.contains_key(&joiner)
        })
        .await;
        let now = records(&h, sales).await;
        assert_eq!(
            now.len(),
            expected.len() + 1,
            "{backend:?}: nothing is erased"
        );
        assert_eq!(now[leaver].state, "not_matching");
        assert_eq!(now[deleted].state, "deleted");
        assert_eq!(now[opted_out].state, "do_not_call");
        assert_eq!(now[&joiner].state, "ready");
        assert!(
            now[&joiner].phones.contains("+14155552671"),
            "{}",
            now[&joiner].phones
        );

        // DS-04: the Link goes, its records stay and stop following Salesforce.
        assert!(
            data_source_links::remove(&h.db, sales, sales_link)
                .await
                .expect("remove link")
        );
        h.supervisor
            .data_sources_changed(h.org_id, sync, false)
            .await
            .expect("campaigns follow");
        patch(&h, &joiner, json!({"Phone": "(415) 555-0199"})).await;
        h.next_poll(sync).await;
        let kept = records(&h, sales).await;
        assert_eq!(kept.len(), now.len(), "{backend:?}: records stay");
        assert!(kept.values().all(|r| r.source_link_id.is_none()));
        assert!(
            kept[&joiner].phones.contains("+14155552671"),
            "no more updates"
        );
        h.stop().await;
    }
}

/// The campaign's records as (Salesforce id, state, Link).
async fn states(h: &Harness, campaign: i64) -> HashMap<String, (String, Option<i64>)> {
    records(h, campaign)
        .await
        .into_iter()
        .map(|(id, r)| (id, (r.state, r.source_link_id)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ds_03_ig_03_a_data_source_edited_to_read_a_new_field_leaves_records_as_they_are_until_it_is_fetched()
 {
    for backend in BACKENDS {
        let h = Harness::start(backend, Options::default()).await;
        let (sync, source, sales, _) = sales_campaign(&h).await;
        let before = states(&h, sales).await;
        assert!(
            before.values().any(|(state, _)| state == "ready"),
            "{backend:?}: {before:?}"
        );

        // Paused, the Data Source now also asks for a Title, a field never fetched: every
        // seeded Contact has one, so the same people match once it is there.
        h.disable(sync, SyncMethod::Rest).await;
        data_sources::update(
            &h.db,
            h.org_id,
            source,
            &department_settings("Sales people", &["Sales"], &["Title"]),
        )
        .await
        .expect("update")
        .expect("found");
        h.supervisor
            .data_sources_changed(h.org_id, sync, true)
            .await
            .expect("campaigns follow");
        let fetched = h.row(sync).await.fetched_fields.unwrap_or_default();
        assert!(
            !fetched.contains("Title"),
            "{backend:?}: paused, nothing fetched"
        );
        assert_eq!(
            states(&h, sales).await,
            before,
            "{backend:?}: an unfetched Title is not an empty one: nobody stops matching"
        );

        // Meanwhile one of them loses their Title in Salesforce: once Title is there, they
        // no longer match, and only they.
        let mut sales_ids: Vec<String> = before.keys().cloned().collect();
        sales_ids.sort();
        let untitled = sales_ids[0].clone();
        patch(&h, &untitled, json!({"Title": null})).await;

        // Enabled again: the worker fetches Title and the campaign is brought in line.
        let runs = h.runs(sync).await;
        h.enable_again(sync).await;
        h.wait_for("Title fetched", || async {
            h.row(sync)
                .await
                .fetched_fields
                .is_some_and(|f| f.contains("Title"))
        })
        .await;
        h.wait_for("the worker's first poll", || async {
            h.runs(sync).await > runs
        })
        .await;
        let mut after_fetch = before.clone();
        if let Some(entry) = after_fetch.get_mut(&untitled) {
            entry.0 = "not_matching".to_owned();
        }
        h.wait_for("the untitled record no longer matching", || async {
            states(&h, sales).await.get(&untitled).map(|s| s.0.as_str()) == Some("not_matching")
        })
        .await;
        assert_eq!(states(&h, sales).await, after_fetch, "{backend:?}");
        h.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ds_03_a_record_reached_through_two_links_appears_once() {
    for backend in BACKENDS {
        let h = Harness::start(backend, Options::default()).await;
        let sync = start_with_contacts(&h).await;
        let older = department_source(&h, sync, "Sales or IT", &["Sales", "IT"]).await;
        let newer = department_source(&h, sync, "IT or Finance", &["IT", "Finance"]).await;
        let target = campaign(&h, "Both").await;
        let older_link = link(&h, older, target).await;
        let newer_link = link(&h, newer, target).await;
        h.supervisor
            .data_sources_changed(h.org_id, sync, true)
            .await
            .expect("campaigns follow");
        let sim = contacts(&h).await;
        let expected = in_departments(&sim, &["Sales", "IT", "Finance"]);
        h.wait_for("the union in the campaign", || async {
            records(&h, target)
                .await
                .keys()
                .cloned()
                .collect::<HashSet<_>>()
                == expected
        })
        .await;
        for (id, record) in records(&h, target).await {
            let department = sim[&id]["Department"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let by = if department == "Finance" {
                newer_link
            } else {
                older_link
            };
            assert_eq!(
                record.source_link_id,
                Some(by),
                "{backend:?} {id} ({department})"
            );
        }
        h.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn os_07_removing_the_org_sync_removes_data_sources_and_links_and_keeps_records() {
    for backend in BACKENDS {
        let h = Harness::start(backend, Options::default()).await;
        let (sync, source, sales, expected) = sales_campaign(&h).await;

        assert!(
            store::org_syncs::remove(&h.db, h.org_id, sync)
                .await
                .expect("remove")
        );
        h.supervisor.sync_removed(h.org_id, sync).await;
        assert!(
            data_sources::find(&h.db, h.org_id, source)
                .await
                .expect("read")
                .is_none()
        );
        assert!(
            data_source_links::list_for_campaign(&h.db, sales)
                .await
                .expect("read")
                .is_empty()
        );
        let kept = records(&h, sales).await;
        assert_eq!(
            kept.len(),
            expected.len(),
            "{backend:?}: imported records remain"
        );
        assert!(
            kept.values()
                .all(|r| r.source_link_id.is_none() && r.source_name == "Sales people")
        );
        h.stop().await;
    }
}

/// A full run over a mirror larger than one step (5,000 records): it reads the mirror a page
/// at a time, and every record arrives once, whatever page it is on. Run again, it finds
/// nothing to change; a record deleted since is marked so and kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ds_03_a_full_run_brings_in_a_mirror_of_several_pages_once() {
    const MIRRORED: usize = 12_345;
    for backend in BACKENDS {
        let h = Harness::start(backend, Options::default()).await;
        // Disabled (as Add object leaves it): no worker touches the mirror written here.
        let sync = store::org_syncs::create(&h.db, h.org_id, SfObject::Contact)
            .await
            .expect("org sync")
            .id;
        let settings = department_settings("Sales people", &["Sales"], &[]);
        let reads: Vec<String> = serde_json::from_str(&settings.fields).expect("fields");
        let fetched = orgsync::sync::fields::plan(
            SfObject::Contact,
            &[serde_json::to_string(&reads).expect("json")],
        );
        store::org_syncs::set_fetched_fields(
            &h.db,
            store::leases::Fence::Unfenced,
            sync,
            &serde_json::to_string(&fetched).expect("json"),
        )
        .await
        .expect("fetched fields");
        let mirrored: Vec<store::mirror::MirrorRecord> = (0..MIRRORED)
            .map(|i| {
                let department = if i % 3 == 0 { "IT" } else { "Sales" };
                let Value::Object(fields) = json!({
                    "Id": format!("003{i:015}"),
                    "LastName": format!("Person {i}"),
                    "Phone": format!("+1 650 253 {:04}", i % 10_000),
                    "Department": department,
                }) else {
                    unreachable!("a JSON object")
                };
                store::mirror::MirrorRecord {
                    sf_id: format!("003{i:015}"),
                    fields,
                    system_modstamp: "2026-12-01T10:00:00.000+0000".into(),
                    deleted: false,
                }
            })
            .collect();
        for chunk in mirrored.chunks(2_000) {
            store::mirror::apply_batch(&h.db, store::leases::Fence::Unfenced, sync, chunk, None)
                .await
                .expect("mirror");
        }
        let source = data_sources::create(&h.db, h.org_id, sync, &settings)
            .await
            .expect("data source")
            .id;
        let sales = campaign(&h, "Sales calls").await;
        link(&h, source, sales).await;
        let expected: HashSet<String> = mirrored
            .iter()
            .filter(|r| r.fields["Department"] == "Sales")
            .map(|r| r.sf_id.clone())
            .collect();

        let done = orgsync::campaigns::materialize(&h.db, sync, orgsync::campaigns::Scope::All)
            .await
            .expect("materialize");
        assert_eq!(done.written, expected.len(), "{backend:?}");
        assert_eq!(done.campaign_ids, [sales], "{backend:?}");
        let stored = records(&h, sales).await;
        assert_eq!(
            stored.keys().cloned().collect::<HashSet<_>>(),
            expected,
            "{backend:?}"
        );
        assert!(stored.values().all(|r| r.state == "ready"), "{backend:?}");

        let again = orgsync::campaigns::materialize(&h.db, sync, orgsync::campaigns::Scope::All)
            .await
            .expect("materialize again");
        assert_eq!(again.written, 0, "{backend:?}: nothing changed");

        // The last Sales record, on the last page, deleted in Salesforce.
        let mut gone = mirrored
            .iter()
            .rev()
            .find(|r| expected.contains(&r.sf_id))
            .expect("a Sales record")
            .clone();
        gone.deleted = true;
        gone.system_modstamp = "2026-12-01T11:00:00.000+0000".into();
        store::mirror::apply_batch(
            &h.db,
            store::leases::Fence::Unfenced,
            sync,
            std::slice::from_ref(&gone),
            None,
        )
        .await
        .expect("delete");
        let after = orgsync::campaigns::materialize(&h.db, sync, orgsync::campaigns::Scope::All)
            .await
            .expect("materialize after the delete");
        assert_eq!(after.written, 1, "{backend:?}");
        let stored = records(&h, sales).await;
        assert_eq!(
            stored.len(),
            expected.len(),
            "{backend:?}: kept, not erased"
        );
        assert_eq!(stored[&gone.sf_id].state, "deleted", "{backend:?}");
        h.stop().await;
    }
}

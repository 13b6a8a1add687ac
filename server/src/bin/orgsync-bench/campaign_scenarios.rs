//! Campaign scenarios: materializing a mirror into campaigns, with the store's plain write of
//! the same campaign records as the ceiling.

use std::time::Instant;

use rand::{SeedableRng, rngs::StdRng};

use filters::{Combine, Condition, FieldInfo, FieldKind, Filter, FilterItem, Op};
use orgsync::campaigns::{Scope, materialize};
use serde_json::{Map, Value, json};
use store::{
    campaign_records, campaigns::CampaignSettings, data_source_links::LinkMappings,
    data_sources::DataSourceSettings, leases::Fence, mirror::MirrorRecord, org_syncs::SfObject,
};

use crate::engine_scenarios::Store;

const DEPARTMENTS: [&str; 4] = ["Sales", "IT", "Finance", "Operations"];

/// `records` mirrored Contacts, three Data Sources (by department) linked to three campaigns:
/// a full materialization, timed; then the same campaign records written again by the store
/// alone (no filters, no phones), the ceiling.
pub async fn materialize_scenario(
    records: usize,
    database_url: Option<String>,
) -> anyhow::Result<()> {
    let store = Store::open(database_url.as_deref()).await?;
    let db = &store.db;
    let org = store::organizations::create(db, "Bench").await?;
    let sync = store::org_syncs::create(db, org.id, SfObject::Contact).await?;
    eprintln!("mirroring {records} Contacts");
    let countries: Vec<&str> = sim::seed::country_names().collect();
    let batch: Vec<MirrorRecord> = (0..records).map(|i| contact(i, &countries)).collect();
    for chunk in batch.chunks(2_000) {
        store::mirror::apply_batch(db, Fence::Unfenced, sync.id, chunk, None).await?;
    }
    let info = vec![
        FieldInfo::new("Phone", "Phone", FieldKind::Text),
        FieldInfo::new("MobilePhone", "Mobile", FieldKind::Text),
        FieldInfo::new("Department", "Department", FieldKind::Text),
        FieldInfo::new("FirstName", "First Name", FieldKind::Text),
        FieldInfo::new("LastName", "Last Name", FieldKind::Text),
        FieldInfo::new("DoNotCall", "Do Not Call", FieldKind::Boolean),
    ];
    let names: Vec<String> = info.iter().map(|f| f.name.clone()).collect();
    // What a worker would have fetched for these Data Sources (the mirror holds it all).
    let fetched = orgsync::sync::fields::plan(SfObject::Contact, &[serde_json::to_string(&names)?]);
    store::org_syncs::set_fetched_fields(
        db,
        Fence::Unfenced,
        sync.id,
        &serde_json::to_string(&fetched)?,
    )
    .await?;
    // Three overlapping views: about three quarters of the records each.
    for (i, excluded) in ["Sales", "IT", "Finance"].into_iter().enumerate() {
        let filter = Filter {
            combine: Combine::All,
            items: vec![FilterItem::Condition(Condition::new(
                "Department",
                Op::NotEquals,
                excluded,
            ))],
        };
        let valid = filter.validate("Contact", &info)?;
        let source = store::data_sources::create(
            db,
            org.id,
            sync.id,
            &DataSourceSettings {
                name: format!("Not {excluded}"),
                filter: valid.filter().to_json(),
                fields: serde_json::to_string(&names)?,
                field_info: serde_json::to_string(&info)?,
            },
        )
        .await?;
        let campaign = store::campaigns::create(
            db,
            org.id,
            &CampaignSettings {
                name: format!("Campaign {i}"),
                phone_slots: vec!["Primary".into(), "Mobile".into()],
                custom_fields: vec!["Department".into()],
                region: "US".into(),
            },
        )
        .await?;
        store::data_source_links::create(
            db,
            source.id,
            campaign.id,
            &LinkMappings {
                phones: json!([{"slot":"Primary","field":"Phone"},{"slot":"Mobile","field":"MobilePhone"}]).to_string(),
                custom_fields: json!([{"custom_field":"Department","field":"Department"}]).to_string(),
            },
        )
        .await?;
    }

    eprintln!("materializing");
    let started = Instant::now();
    let done = materialize(db, sync.id, Scope::All).await?;
    let seconds = started.elapsed().as_secs_f64();
    eprintln!("{} campaign records in {seconds:.2} s", done.written);
    anyhow::ensure!(
        done.written > 0,
        "nothing was materialized: the figure would mean nothing"
    );

    // The ceiling: the store rewriting the same rows (fresh campaign ids, so every row is an
    // insert as in the timed run).
    let rows = campaign_records::existing(db, &done.campaign_ids, None).await?;
    let mut ceiling_campaigns = Vec::new();
    for i in 0..done.campaign_ids.len() {
        ceiling_campaigns.push(
            store::campaigns::create(
                db,
                org.id,
                &CampaignSettings::named(&format!("Ceiling {i}")),
            )
            .await?
            .id,
        );
    }
    let writes: Vec<_> = rows
        .iter()
        .map(|row| {
            let mut write = campaign_records::RecordWrite::from_row(row);
            let index = done
                .campaign_ids
                .iter()
                .position(|c| *c == row.campaign_id)
                .unwrap_or(0);
            write.campaign_id = ceiling_campaigns[index];
            write.source_link_id = None;
            write
        })
        .collect();
    let started = Instant::now();
    campaign_records::write(db, &writes).await?;
    let ceiling = started.elapsed().as_secs_f64();
    let backend = store.backend;
    store.close().await;
    println!(
        "{}",
        json!({
            "scenario": "materialize",
            "records": records,
            "campaign_records": done.written,
            "seconds": round(seconds),
            "records_per_s": (done.written as f64 / seconds).round(),
            "ceiling_records_per_s": (writes.len() as f64 / ceiling).round(),
            "database": backend,
        })
    );
    Ok(())
}

fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// A synthetic Contact: a phone and a mobile as the simulator seeds them (eight countries,
/// several formats each, some invalid or missing, all read in the campaign's region), a
/// department, one in twenty with DoNotCall.
fn contact(i: usize, countries: &[&str]) -> MirrorRecord {
    let mut rng = StdRng::seed_from_u64(i as u64);
    let country = countries[i % countries.len()];
    let mut fields = Map::new();
    fields.insert("Id".into(), json!(format!("003{i:015}")));
    fields.insert("FirstName".into(), json!(format!("First{i}")));
    fields.insert("LastName".into(), json!(format!("Last{i}")));
    fields.insert("Phone".into(), sim::seed::phone(&mut rng, country));
    fields.insert("MobilePhone".into(), sim::seed::phone(&mut rng, country));
    fields.insert(
        "Department".into(),
        json!(DEPARTMENTS[i % DEPARTMENTS.len()]),
    );
    fields.insert("DoNotCall".into(), Value::Bool(i % 20 == 7));
    MirrorRecord {
        sf_id: format!("003{i:015}"),
        fields,
        system_modstamp: "2026-12-01T10:00:00.000+0000".into(),
        deleted: false,
    }
}

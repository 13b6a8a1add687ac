//! Simulator scenarios: `sim-query` (REST paging throughput) and `sim-cdc` (CometD delivery
//! rate and latency).

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};

use super::sim_client::{self, SimSession};

const API: &str = "/services/data/v62.0";

/// Reads every Contact through `query` + `nextRecordsUrl` in 2,000-record pages.
pub async fn sim_query(records: usize) -> anyhow::Result<()> {
    eprintln!("seeding {records} Contacts…");
    let seeded = Instant::now();
    let session = sim_client::start(sim::config::SimConfig {
        contacts: records,
        leads: 0,
        ..sim::config::SimConfig::default()
    })
    .await?;
    eprintln!("seeded in {:.1} s", seeded.elapsed().as_secs_f64());
    let soql = "SELECT Id, FirstName, LastName, Phone, MobilePhone, Email, MailingCountry, Owner.Name, SystemModstamp FROM Contact ORDER BY SystemModstamp, Id";
    let started = Instant::now();
    let mut page: Value = get(
        &session,
        &format!("{}{API}/query", session.base),
        Some(soql),
    )
    .await?;
    let mut read = 0usize;
    let mut pages = 0usize;
    loop {
        read += page["records"].as_array().map_or(0, Vec::len);
        pages += 1;
        match page["nextRecordsUrl"].as_str() {
            Some(next) => {
                let url = format!("{}{next}", session.base);
                page = get(&session, &url, None).await?;
            }
            None => break,
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    if read != records {
        bail!("read {read} records, expected {records}");
    }
    eprintln!("{read} records in {pages} pages, {seconds:.2} s");
    println!(
        "{}",
        json!({
            "scenario": "sim-query",
            "records": read,
            "pages": pages,
            "seconds": (seconds * 1000.0).round() / 1000.0,
            "records_per_s": (read as f64 / seconds).round(),
        })
    );
    Ok(())
}

async fn get(session: &SimSession, url: &str, soql: Option<&str>) -> anyhow::Result<Value> {
    let mut request = session
        .http
        .get(url)
        .bearer_auth(&session.token)
        .header("Sforce-Query-Options", "batchSize=2000");
    if let Some(soql) = soql {
        request = request.query(&[("q", soql)]);
    }
    let response = request.send().await?;
    let status = response.status();
    let body: Value = response.json().await?;
    if !status.is_success() {
        bail!("{url}: {status} {body}");
    }
    Ok(body)
}

/// Produces `rate` Contact updates per second for `seconds` through the control API while
/// one CometD subscriber long-polls; delivery latency is receive time minus the event's
/// `commitTimestamp` (both wall clock, millisecond resolution).
pub async fn sim_cdc(rate: u32, seconds: u32) -> anyhow::Result<()> {
    let session = sim_client::start(sim::config::SimConfig {
        contacts: 500,
        leads: 0,
        ..sim::config::SimConfig::default()
    })
    .await?;
    let ids = contact_ids(&session).await?;
    let cometd = format!("{}/cometd/62.0", session.base);
    let handshake = bayeux(
        &session,
        &cometd,
        json!([{
            "channel": "/meta/handshake", "version": "1.0",
            "supportedConnectionTypes": ["long-polling"], "id": "1"
        }]),
    )
    .await?;
    let client_id = handshake[0]["clientId"]
        .as_str()
        .context(format!("handshake failed: {handshake}"))?
        .to_string();
    let subscribed = bayeux(
        &session,
        &cometd,
        json!([{
            "channel": "/meta/subscribe", "clientId": client_id, "id": "2",
            "subscription": "/data/ContactChangeEvent",
            "ext": {"replay": {"/data/ContactChangeEvent": -1}}
        }]),
    )
    .await?;
    if subscribed[0]["successful"] != true {
        bail!("subscribe failed: {subscribed}");
    }
    let total = (rate * seconds) as usize;
    eprintln!("producing {total} changes at {rate}/s…");

    let producer = {
        let http = session.http.clone();
        let base = session.base.clone();
        tokio::spawn(async move {
            let interval = Duration::from_secs_f64(1.0 / f64::from(rate));
            let started = Instant::now();
            for n in 0..total {
                let due = started + interval * u32::try_from(n).unwrap_or(u32::MAX);
                tokio::time::sleep_until(due.into()).await;
                let id = &ids[n % ids.len()];
                let url = format!("{base}/__sim/records/Contact/{id}");
                let body = json!({"Phone": format!("+1415555{:04}", n % 10_000)});
                if let Err(error) = http
                    .patch(&url)
                    .json(&body)
                    .send()
                    .await
                    .and_then(|r| r.error_for_status())
                {
                    return Err(anyhow::anyhow!("change {n} failed: {error}"));
                }
            }
            Ok(started.elapsed())
        })
    };

    let mut latencies = Vec::with_capacity(total);
    let started = Instant::now();
    let mut message_id = 3u64;
    while latencies.len() < total {
        if started.elapsed() > Duration::from_secs(u64::from(seconds) + 30) {
            bail!("only {} of {total} events arrived", latencies.len());
        }
        message_id += 1;
        let messages = bayeux(
            &session,
            &cometd,
            json!([{
                "channel": "/meta/connect", "clientId": client_id,
                "connectionType": "long-polling", "id": message_id.to_string()
            }]),
        )
        .await?;
        let now_ms = chrono::Utc::now().timestamp_millis();
        for message in messages.as_array().into_iter().flatten() {
            if message["channel"] == "/data/ContactChangeEvent" {
                let committed = message["data"]["payload"]["ChangeEventHeader"]["commitTimestamp"]
                    .as_i64()
                    .context("event without commitTimestamp")?;
                latencies.push((now_ms - committed).max(0));
            } else if message["channel"] == "/meta/connect" && message["successful"] != true {
                bail!("connect failed: {message}");
            }
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let produced_in = producer.await.context("producer panicked")??;
    latencies.sort_unstable();
    let p = |q: f64| {
        latencies[((latencies.len() as f64 * q).ceil() as usize).clamp(1, latencies.len()) - 1]
    };
    eprintln!(
        "{total} events produced in {:.2} s, received in {elapsed:.2} s; p50 {} ms, p99 {} ms, max {} ms",
        produced_in.as_secs_f64(),
        p(0.50),
        p(0.99),
        p(1.0)
    );
    println!(
        "{}",
        json!({
            "scenario": "sim-cdc",
            "events": total,
            "events_per_s": (total as f64 / elapsed).round(),
            "target_rate": rate,
            "p50_ms": p(0.50),
            "p99_ms": p(0.99),
            "max_ms": p(1.0),
        })
    );
    Ok(())
}

async fn contact_ids(session: &SimSession) -> anyhow::Result<Vec<String>> {
    let page = get(
        session,
        &format!("{}{API}/query", session.base),
        Some("SELECT Id FROM Contact LIMIT 200"),
    )
    .await?;
    let ids: Vec<String> = page["records"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["Id"].as_str().map(str::to_string))
        .collect();
    if ids.is_empty() {
        bail!("the simulator has no Contacts");
    }
    Ok(ids)
}

async fn bayeux(session: &SimSession, url: &str, body: Value) -> anyhow::Result<Value> {
    Ok(session
        .http
        .post(url)
        .bearer_auth(&session.token)
        .json(&body)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?)
}

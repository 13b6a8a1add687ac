//! The Records tab: the campaign's records, searchable and paged, each with its phones (E.164,
//! or flagged invalid), custom fields, the Data Source it came from and its readiness.

use leptos::prelude::*;

use crate::types::{CampaignRecordView, Readiness, RecordsPage};

#[component]
pub fn RecordsTab(campaign_id: i64, records: RecordsPage) -> impl IntoView {
    let base = format!("/admin/campaigns/{campaign_id}");
    let pages = records.total.div_ceil(records.per_page.max(1)).max(1);
    let search = records.search.clone();
    let page_link = move |page: u64| {
        let mut href = format!("{base}?tab=records&page={page}");
        if !search.is_empty() {
            href.push_str("&q=");
            href.push_str(&encode(&search));
        }
        href
    };
    let previous = (records.page > 1).then(|| page_link(records.page - 1));
    let next = (records.page < pages).then(|| page_link(records.page + 1));
    view! {
        <section class="card" aria-label="Records">
            <div class="card-body card-toolbar">
                <form method="get" class="row" role="search">
                    <input type="hidden" name="tab" value="records" />
                    <label class="visually-hidden" for="record-search">"Search records"</label>
                    <input
                        id="record-search"
                        name="q"
                        type="search"
                        placeholder="Name, phone or Salesforce id"
                        value=records.search.clone()
                    />
                    <button type="submit" class="btn btn-secondary">"Search"</button>
                </form>
                <span class="muted records-count">{format!("{} records", records.total)}</span>
            </div>
            {if records.records.is_empty() {
                view! {
                    <div class="empty-state empty-state-compact">
                        <h3>"No records"</h3>
                        <p>"Attach a Data Source on the Data Sources tab; matching Salesforce records appear here."</p>
                    </div>
                }
                .into_any()
            } else {
                view! {
                    <table class="table" aria-label="Campaign records">
                        <thead>
                            <tr>
                                <th>"Name"</th>
                                <th>"Phones"</th>
                                <th>"Custom fields"</th>
                                <th>"Source"</th>
                                <th>"Status"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {records.records.into_iter().map(record_row).collect_view()}
                        </tbody>
                    </table>
                }
                .into_any()
            }}
            <div class="card-footer pager">
                <span class="muted">{format!("Page {} of {pages}", records.page)}</span>
                {previous.map(|href| view! { <a class="btn btn-secondary btn-small" href=href>"Previous"</a> })}
                {next.map(|href| view! { <a class="btn btn-secondary btn-small" href=href>"Next"</a> })}
            </div>
        </section>
    }
}

fn record_row(record: CampaignRecordView) -> impl IntoView {
    let ready = record.readiness == Readiness::Ready;
    view! {
        <tr data-sf-id=record.sf_id.clone() class:row-muted=!ready>
            <td>
                <div class="record-name">{record.name}</div>
                <div class="cell-muted mono">{format!("{} {}", record.object, record.sf_id)}</div>
            </td>
            <td>
                {record
                    .phones
                    .into_iter()
                    .map(|phone| view! {
                        <div class="phone">
                            <span class="phone-slot">{phone.slot}</span>
                            {match phone.e164 {
                                Some(e164) => view! { <span class="mono">{e164}</span> }.into_any(),
                                None => view! {
                                    <span class="mono phone-invalid">{phone.raw}</span>
                                    <span class="badge badge-danger">"invalid"</span>
                                }
                                .into_any(),
                            }}
                        </div>
                    })
                    .collect_view()}
            </td>
            <td class="cell-muted">
                {record
                    .custom_fields
                    .into_iter()
                    .map(|(name, value)| view! { <div>{format!("{name}: {value}")}</div> })
                    .collect_view()}
            </td>
            <td class="cell-muted">{record.source}</td>
            <td>
                <span
                    class=if ready { "badge badge-success" } else { "badge badge-muted" }
                    data-readiness=record.readiness.code()
                >
                    {record.readiness.label()}
                </span>
            </td>
        </tr>
    }
}

/// Percent-encodes a query value.
fn encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

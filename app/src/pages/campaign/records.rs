//! The Records tab: the campaign's records, searchable and paged, each with its phones (E.164,
//! or flagged invalid), custom fields, the Data Source it came from and its readiness, and
//! Record call (`?call=<Salesforce Id>` opens the form, DS-05).

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::{
    api::RecordCall,
    components::{
        alert::{Alert, AlertKind},
        modal::{Modal, ModalFooter, ModalSize},
    },
    types::{CampaignRecordView, DISPOSITIONS, Readiness, RecordsPage},
};

#[component]
pub fn RecordsTab(
    campaign_id: i64,
    records: RecordsPage,
    /// Whether calls can be recorded (the `integrations` flag: they go to Salesforce).
    calls_enabled: bool,
    record_call: ServerAction<RecordCall>,
) -> impl IntoView {
    let base = format!("/admin/campaigns/{campaign_id}");
    let pages = records.total.div_ceil(records.per_page.max(1)).max(1);
    let search = records.search.clone();
    let current_page = records.page;
    let page_link = move |page: u64| {
        let mut href = format!("{base}?tab=records&page={page}");
        if !search.is_empty() {
            href.push_str("&q=");
            href.push_str(&encode(&search));
        }
        href
    };
    let this_page = page_link(current_page);
    let query = use_query_map();
    let calling = query.with_untracked(|q| q.get("call"));
    let modal = calling.and_then(|sf_id| {
        let person = records.records.iter().find(|r| r.sf_id == sf_id)?.clone();
        calls_enabled.then(|| {
            view! {
                <RecordCallModal campaign_id person close_href=this_page.clone() action=record_call />
            }
        })
    });
    let call_link = {
        let this_page = this_page.clone();
        move |sf_id: &str| format!("{this_page}&call={}", encode(sf_id))
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
                <span class="muted records-count">{super::record_count(records.total)}</span>
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
                // Scrolls sideways rather than cut off the last column on a narrow window.
                view! {
                    <div class="table-scroll">
                    <table class="table" aria-label="Campaign records">
                        <thead>
                            <tr>
                                <th>"Name"</th>
                                <th>"Phones"</th>
                                <th>"Custom fields"</th>
                                <th>"Source"</th>
                                <th>"Status"</th>
                                {calls_enabled.then(|| view! { <th><span class="visually-hidden">"Actions"</span></th> })}
                            </tr>
                        </thead>
                        <tbody>
                            {records
                                .records
                                .into_iter()
                                .map(|record| {
                                    let href = calls_enabled.then(|| call_link(&record.sf_id));
                                    record_row(record, href)
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                    </div>
                }
                .into_any()
            }}
            <div class="card-footer pager">
                <span class="muted">{format!("Page {} of {pages}", records.page)}</span>
                {previous.map(|href| view! { <a class="btn btn-secondary btn-small" href=href>"Previous"</a> })}
                {next.map(|href| view! { <a class="btn btn-secondary btn-small" href=href>"Next"</a> })}
            </div>
        </section>
        {modal}
    }
}

/// Record call: how the call to `person` went; written back to Salesforce as a Task.
#[component]
fn RecordCallModal(
    campaign_id: i64,
    person: CampaignRecordView,
    close_href: String,
    action: ServerAction<RecordCall>,
) -> impl IntoView {
    let error = move || action.value().get().and_then(|r| r.err());
    let title = format!("Record call: {}", person.name);
    view! {
        <Modal id="record-call-title" title=title close_href=close_href.clone() size=ModalSize::Narrow>
            <ActionForm action attr:class="form" attr:id="record-call-form">
                <input type="hidden" name="campaign_id" value=campaign_id.to_string() />
                <input type="hidden" name="sf_id" value=person.sf_id.clone() />
                <p class="muted">
                    {format!(
                        "Written back to Salesforce as a completed Task on the {} {}.",
                        person.object,
                        person.sf_id,
                    )}
                </p>
                <div class="field">
                    <label for="call-disposition">"Disposition"</label>
                    <select id="call-disposition" name="disposition" required>
                        {DISPOSITIONS
                            .iter()
                            .map(|d| view! { <option value=*d>{*d}</option> })
                            .collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="call-duration">"Duration (seconds)"</label>
                    <input
                        id="call-duration"
                        name="duration_seconds"
                        type="number"
                        min="0"
                        max="86400"
                        value="0"
                        required
                    />
                </div>
                <div class="field">
                    <label for="call-notes">"Notes"</label>
                    <textarea id="call-notes" name="notes" rows="3" maxlength="32000"></textarea>
                </div>
                {move || error().map(|e| view! { <Alert kind=AlertKind::Error>{e.to_string()}</Alert> })}
            </ActionForm>
            <ModalFooter slot>
                <a class="btn btn-secondary" href=close_href>"Cancel"</a>
                // Not twice: a double click would record two calls.
                <button
                    class="btn btn-primary"
                    type="submit"
                    form="record-call-form"
                    disabled=move || action.pending().get()
                >
                    "Record call"
                </button>
            </ModalFooter>
        </Modal>
    }
}

fn record_row(record: CampaignRecordView, call_href: Option<String>) -> impl IntoView {
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
            {call_href.map(|href| view! {
                <td class="cell-actions">
                    <a class="btn btn-secondary btn-small" href=href>"Record call"</a>
                </td>
            })}
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

//! The Calls tab (DS-05): calls recorded on the campaign's records and where each one's
//! write-back to Salesforce stands: pending (with why the last try did not get through),
//! written (with the Task's Id) or failed (with Salesforce's message, and Try again).

use leptos::prelude::*;

use crate::{
    api::RetryCall,
    components::alert::{Alert, AlertKind},
    types::{CallView, CallsView, WriteBackView},
};

#[component]
pub fn CallsTab(
    campaign_id: i64,
    calls: CallsView,
    retry: ServerAction<RetryCall>,
) -> impl IntoView {
    let retry_error = move || retry.value().get().and_then(|r| r.err());
    let counts = format!(
        "{} written · {} pending · {} failed",
        calls.written, calls.pending, calls.failed
    );
    view! {
        <section class="card" aria-label="Calls">
            <div class="card-body card-toolbar">
                <p class="muted">
                    "Each call is written to Salesforce as a completed Task on the person called."
                </p>
                <span class="muted records-count" data-calls-counts="">{counts}</span>
            </div>
            {move || retry_error().map(|e| view! { <Alert kind=AlertKind::Error>{e.to_string()}</Alert> })}
            {if calls.calls.is_empty() {
                view! {
                    <div class="empty-state empty-state-compact">
                        <h3>"No calls yet"</h3>
                        <p>"Record a call from the Records tab, or have the dialer report calls with an API key."</p>
                    </div>
                }
                .into_any()
            } else {
                view! {
                    <table class="table" aria-label="Calls">
                        <thead>
                            <tr>
                                <th>"When"</th>
                                <th>"Person"</th>
                                <th>"Disposition"</th>
                                <th>"Duration"</th>
                                <th>"Recorded by"</th>
                                <th>"Salesforce"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {calls
                                .calls
                                .into_iter()
                                .map(|call| view! { <CallRow campaign_id call retry /> })
                                .collect_view()}
                        </tbody>
                    </table>
                }
                .into_any()
            }}
        </section>
    }
}

#[component]
fn CallRow(campaign_id: i64, call: CallView, retry: ServerAction<RetryCall>) -> impl IntoView {
    let state = call.write_back.code();
    let when = call.occurred_at.replace('T', " ");
    let when = when.get(..16).unwrap_or(&when).to_owned();
    let (badge_class, detail) = match &call.write_back {
        WriteBackView::Written { task_id } => {
            ("badge badge-success", Some(format!("Task {task_id}")))
        }
        WriteBackView::Pending { last_error } => ("badge badge-muted", last_error.clone()),
        WriteBackView::Failed { message } => ("badge badge-danger", Some(message.clone())),
    };
    let failed = matches!(call.write_back, WriteBackView::Failed { .. });
    view! {
        <tr data-call-id=call.call_id.clone() data-write-back=state>
            <td class="mono">{when}</td>
            <td>
                <div class="mono">{call.sf_id.clone()}</div>
                <div class="cell-muted">{call.sf_object.clone()}</div>
            </td>
            <td>{call.disposition.clone()}</td>
            <td>{format!("{} s", call.duration_seconds)}</td>
            <td class="cell-muted">{call.recorded_by.clone()}</td>
            <td>
                <span class=badge_class>{call.write_back.label()}</span>
                {detail.map(|text| view! { <div class="cell-muted call-detail">{text}</div> })}
                {failed.then(|| view! {
                    <ActionForm action=retry>
                        <input type="hidden" name="campaign_id" value=campaign_id.to_string() />
                        <input type="hidden" name="id" value=call.id.to_string() />
                        <button type="submit" class="btn btn-secondary btn-small">"Try again"</button>
                    </ActionForm>
                })}
            </td>
        </tr>
    }
}

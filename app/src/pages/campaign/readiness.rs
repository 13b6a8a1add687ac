//! Dial-readiness at a glance: how many records are ready, and why the others are not.

use leptos::prelude::*;

use crate::types::ReadinessCounts;

/// "12 ready to dial · 3 not ready", and why not, reason by reason, in plain sight.
#[component]
pub fn ReadinessBar(counts: ReadinessCounts) -> impl IntoView {
    let not_ready = counts.total - counts.ready;
    let reasons = counts
        .not_ready
        .iter()
        .map(|(reason, count)| {
            view! { <span class="readiness-reason" data-reason=reason.code()>{format!("{}: {count}", reason.label())}</span> }
        })
        .collect_view();
    view! {
        <div class="readiness" data-ready=counts.ready.to_string() data-not-ready=not_ready.to_string()>
            <span class="readiness-ready">
                <span class="status-dot status-active" aria-hidden="true"></span>
                {format!("{} ready to dial", counts.ready)}
            </span>
            {(not_ready > 0).then(|| view! {
                <span class="readiness-blocked">
                    <span class="status-dot status-error" aria-hidden="true"></span>
                    {format!("{not_ready} not ready")}
                </span>
                <span class="readiness-reasons">{reasons}</span>
            })}
        </div>
    }
}

/// The readiness card of a campaign: ready, and each reason with its count.
#[component]
pub fn ReadinessSummary(counts: ReadinessCounts) -> impl IntoView {
    view! {
        <section class="card readiness-card" aria-labelledby="readiness-title">
            <div class="card-body">
                <h2 class="section-title" id="readiness-title">"Dial-readiness"</h2>
                <dl class="readiness-list">
                    <div class="readiness-item readiness-item-ready">
                        <dt>"Ready to dial"</dt>
                        <dd data-reason="ready">{counts.ready}</dd>
                    </div>
                    {counts
                        .not_ready
                        .into_iter()
                        .map(|(reason, count)| view! {
                            <div class="readiness-item">
                                <dt>{reason.label()}</dt>
                                <dd data-reason=reason.code()>{count}</dd>
                            </div>
                        })
                        .collect_view()}
                </dl>
                <p class="muted readiness-total">{format!("{} in all", super::record_count(counts.total))}</p>
            </div>
        </section>
    }
}

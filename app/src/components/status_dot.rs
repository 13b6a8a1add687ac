//! Status dots: a coloured dot and its label (ST-01).

use leptos::prelude::*;

use crate::types::SyncStatus;

/// An Org Sync's state: green Active, grey Paused, red Error, amber Circuit open. Live: give
/// it a signal and it follows.
#[component]
pub fn StatusDot(#[prop(into)] status: Signal<SyncStatus>) -> impl IntoView {
    view! {
        <span class="status" data-status=move || status.get().css()>
            <span
                class=move || format!("status-dot status-{}", status.get().css())
                aria-hidden="true"
            ></span>
            <span class="status-label">{move || status.get().label()}</span>
        </span>
    }
}

/// A dot and label for states that are not an Org Sync's (for example "Not connected").
/// `tone` is the dot's CSS modifier (`active`, `paused`, `error`, `circuit-open`).
#[component]
pub fn StatusText(tone: &'static str, label: &'static str) -> impl IntoView {
    view! {
        <span class="status">
            <span class=format!("status-dot status-{tone}") aria-hidden="true"></span>
            <span class="status-label">{label}</span>
        </span>
    }
}

//! `/admin/integrations`: the Salesforce card (IN-01..IN-03).

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api::integrations_page,
    components::notice::ErrorNotice,
    types::{IntegrationsView, SalesforceCardView},
};

#[component]
pub fn IntegrationsPage() -> impl IntoView {
    let page = Resource::new(|| (), |_| integrations_page());
    view! {
        <Title text="Integrations" />
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(view) => view! { <IntegrationsContent view /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn IntegrationsContent(view: IntegrationsView) -> impl IntoView {
    view! {
        <header class="page-header">
            <h1 class="page-title">"Integrations"</h1>
            <p class="page-lead">
                "Connect orgsync to the external systems your organization uses, confirm that a connection is healthy, and disconnect an integration when you no longer need it."
            </p>
        </header>
        <div class="card-grid">
            <SalesforceCard state=view.salesforce />
        </div>
    }
}

#[component]
fn SalesforceCard(state: SalesforceCardView) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="salesforce-title">
            <div class="card-header">
                <div class="card-logo" aria-hidden="true">"S"</div>
                <div>
                    <h2 class="card-title" id="salesforce-title">"Salesforce"</h2>
                    <p class="card-subtitle">
                        "Import contacts and leads into campaigns as data sources, and synchronize call activity back to Salesforce."
                    </p>
                </div>
            </div>
            <div class="card-body">
                {match state {
                    SalesforceCardView::NotConnected => view! {
                        <p class="status">
                            <span class="status-dot status-paused"></span>
                            <span class="status-label">"Not connected"</span>
                        </p>
                    }
                    .into_any(),
                    SalesforceCardView::Connected { instance_url, username } => view! {
                        <div class="connected-panel">
                            <div class="connected-title">"Connected to Salesforce"</div>
                            <dl class="kv">
                                <dt>"Instance"</dt>
                                <dd>{instance_url}</dd>
                                <dt>"Salesforce User"</dt>
                                <dd>{username}</dd>
                            </dl>
                        </div>
                    }
                    .into_any(),
                }}
            </div>
        </section>
    }
}

//! `/admin/integrations`: the Salesforce card (IN-01..IN-07).
//!
//! Set up and Reset Token are plain forms posted to `/auth/salesforce/start` into a window
//! named [`SALESFORCE_SIGN_IN_WINDOW`], so they work without JavaScript (a new tab). With
//! JavaScript the window is first opened as a popup, and the page reloads itself when the
//! sign-in announces its result (see `crate::browser`). Disconnect asks for confirmation in a
//! dialog reached by `?confirm=disconnect`, which also works without JavaScript.

use leptos::{ev::SubmitEvent, prelude::*};
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    api::{DisconnectSalesforce, integrations_page},
    components::notice::ErrorNotice,
    types::{IntegrationsView, SALESFORCE_SIGN_IN_WINDOW, SalesforceCardView, SalesforceOutcome},
};

const PAGE: &str = "/admin/integrations";

#[component]
pub fn IntegrationsPage() -> impl IntoView {
    let query = use_query_map();
    let outcome = Memo::new(move |_| {
        query.with(|q| {
            q.get("salesforce")
                .and_then(|code| SalesforceOutcome::from_code(&code))
        })
    });
    let confirming =
        Memo::new(move |_| query.with(|q| q.get("confirm").is_some_and(|c| c == "disconnect")));
    let disconnect = ServerAction::<DisconnectSalesforce>::new();
    // Reload the card after a disconnect or when the page is revisited with a new outcome.
    let page = Resource::new(
        move || {
            (
                disconnect.version().get(),
                outcome.get().map(SalesforceOutcome::code),
            )
        },
        |_| integrations_page(),
    );
    Effect::new(move |_| crate::browser::reload_when_sign_in_completes(PAGE));
    view! {
        <Title text="Integrations" />
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(view) => {
                        let connected = matches!(view.salesforce, SalesforceCardView::Connected { .. });
                        view! {
                            <header class="page-header">
                                <h1 class="page-title">"Integrations"</h1>
                                <p class="page-lead">
                                    "Connect orgsync to the external systems your organization uses, confirm that a connection is healthy, and disconnect an integration when you no longer need it."
                                </p>
                            </header>
                            {move || {
                                outcome
                                    .get()
                                    .filter(|outcome| outcome.fits_card(connected))
                                    .map(|outcome| view! { <OutcomeAlert outcome /> })
                            }}
                            <IntegrationsContent view />
                            <Show when=move || connected && confirming.get()>
                                <DisconnectDialog disconnect />
                            </Show>
                        }
                        .into_any()
                    }
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn OutcomeAlert(outcome: SalesforceOutcome) -> impl IntoView {
    let class = if outcome.is_success() {
        "alert alert-success"
    } else {
        "alert alert-error"
    };
    let role = if outcome.is_success() {
        "status"
    } else {
        "alert"
    };
    view! {
        <div class=class role=role data-outcome=outcome.code()>
            <span class="alert-title">{outcome.title()}</span>
            <p>{outcome.message()}</p>
        </div>
    }
}

#[component]
fn IntegrationsContent(view: IntegrationsView) -> impl IntoView {
    view! {
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
            {match state {
                SalesforceCardView::NotConfigured => view! {
                    <div class="card-body">
                        <div class="alert alert-warning" role="status">
                            <span class="alert-title">"Salesforce sign-in is not configured"</span>
                            <p>{SalesforceOutcome::NotConfigured.message()}</p>
                        </div>
                    </div>
                }
                .into_any(),
                SalesforceCardView::NotConnected => view! {
                    <div class="card-body">
                        <p class="status">
                            <span class="status-dot status-paused"></span>
                            <span class="status-label">"Not connected"</span>
                        </p>
                    </div>
                    <div class="card-footer">
                        <SignInForm intent="setup" label="Set up" primary=true />
                    </div>
                }
                .into_any(),
                SalesforceCardView::Connected { instance_url, username } => view! {
                    <div class="card-body">
                        <div class="connected-panel">
                            <div class="connected-title">"Connected to Salesforce"</div>
                            <dl class="kv">
                                <dt>"Instance"</dt>
                                <dd class="mono">{instance_url}</dd>
                                <dt>"Salesforce User"</dt>
                                <dd>{username}</dd>
                            </dl>
                        </div>
                    </div>
                    <div class="card-footer">
                        <SignInForm intent="reset" label="Reset Token" primary=false />
                        <a class="btn btn-danger" href=format!("{PAGE}?confirm=disconnect")>
                            "Disconnect"
                        </a>
                    </div>
                }
                .into_any(),
            }}
        </section>
    }
}

/// Set up / Reset Token: posts to the sign-in start route into the sign-in window.
#[component]
fn SignInForm(intent: &'static str, label: &'static str, primary: bool) -> impl IntoView {
    let class = if primary {
        "btn btn-primary"
    } else {
        "btn btn-secondary"
    };
    let open_popup = move |_: SubmitEvent| crate::browser::open_sign_in_window();
    view! {
        <form
            class="inline-form"
            method="post"
            action="/auth/salesforce/start"
            target=SALESFORCE_SIGN_IN_WINDOW
            on:submit=open_popup
        >
            <input type="hidden" name="intent" value=intent />
            <button class=class type="submit">
                {label}
            </button>
        </form>
    }
}

/// The Disconnect confirmation (IN-07).
#[component]
fn DisconnectDialog(disconnect: ServerAction<DisconnectSalesforce>) -> impl IntoView {
    let failed = move || {
        disconnect.value().get().and_then(Result::err).map(
            |error| view! { <div class="alert alert-error" role="alert">{error.to_string()}</div> },
        )
    };
    view! {
        <div class="modal-backdrop">
            <div class="modal modal-narrow" role="dialog" aria-modal="true" aria-labelledby="disconnect-title">
                <div class="modal-header">
                    <h2 id="disconnect-title">"Disconnect Salesforce"</h2>
                </div>
                <div class="modal-body">
                    <p>
                        <strong>"Are you sure you want to disconnect Salesforce?"</strong>
                    </p>
                    <p class="muted">
                        "The stored token is removed at once. Salesforce syncs stop until you run Set up again; their configurations are kept."
                    </p>
                    {failed}
                </div>
                <div class="modal-footer">
                    <a class="btn btn-secondary" href=PAGE>
                        "Cancel"
                    </a>
                    <ActionForm action=disconnect>
                        <button class="btn btn-danger" type="submit">
                            "Disconnect"
                        </button>
                    </ActionForm>
                </div>
            </div>
        </div>
    }
}

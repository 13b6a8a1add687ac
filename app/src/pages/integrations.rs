//! `/admin/integrations`: the Salesforce card (IN-01..IN-08) and the Sync Settings modal
//! (OS-01..OS-09, ST-01..ST-05).
//!
//! Set up and Reset Token are plain forms posted to `/auth/salesforce/start` into a window
//! named [`SALESFORCE_SIGN_IN_WINDOW`], so they work without JavaScript (a new tab). With
//! JavaScript the window is first opened as a popup, and the page reloads itself when the
//! sign-in announces its result (see `crate::browser`).
//!
//! Dialogs live in the URL, so they open, close and submit with or without JavaScript:
//! `?confirm=disconnect` asks before Disconnect, `?modal=sync-settings` opens Sync Settings
//! (see [`sync_settings`]). The card's status summary and the modal read one store of Org
//! Syncs ([`live::LiveSyncs`]), which the page keeps current from the server's status events.

mod live;
mod sync_settings;

use leptos::{ev::SubmitEvent, prelude::*};
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use self::{
    live::LiveSyncs,
    sync_settings::{SyncSettingsModal, SyncSettingsState},
};
use crate::{
    api::{DisconnectSalesforce, integrations_page},
    components::{
        alert::{Alert, AlertKind},
        card::{Card, CardBody, CardFooter},
        modal::{Modal, ModalFooter, ModalSize},
        notice::ErrorNotice,
        status_dot::{StatusDot, StatusText},
    },
    types::{SALESFORCE_SIGN_IN_WINDOW, SalesforceCardView, SalesforceOutcome},
};

const PAGE: &str = "/admin/integrations";

/// The Sync Settings modal's address (OS-01).
const SYNC_SETTINGS: &str = "/admin/integrations?modal=sync-settings";

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
    let sync_settings_open =
        Memo::new(move |_| query.with(|q| q.get("modal").is_some_and(|m| m == "sync-settings")));
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
    let syncs = LiveSyncs::new();
    provide_context(syncs);
    // Created here, right after the page's resource, never inside a `Suspense` (see
    // `SyncSettingsState`).
    let sync_settings = SyncSettingsState::new(sync_settings_open);
    Effect::new(move |_| crate::browser::reload_when_sign_in_completes(PAGE));
    // Live status (ST-05): one event stream while the page is shown, closed when it is left.
    Effect::new(move |_| crate::browser::follow_status_events(move |event| syncs.apply(event)));
    view! {
        <Title text="Integrations" />
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(view) => {
                        let connected = matches!(view.salesforce, SalesforceCardView::Connected { .. });
                        // Filled before the card renders, so the server's HTML carries the summary.
                        syncs.fill(view.syncs);
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
                            <div class="card-grid">
                                <SalesforceCard state=view.salesforce />
                            </div>
                            <Show when=move || connected && confirming.get()>
                                <DisconnectDialog disconnect />
                            </Show>
                            // Reachable by its address in every state, so that Test can say
                            // what is missing once Salesforce is disconnected (TS-01).
                            <Show when=move || sync_settings_open.get()>
                                <SyncSettingsModal state=sync_settings />
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
    let kind = if outcome.is_success() {
        AlertKind::Success
    } else {
        AlertKind::Error
    };
    view! {
        <Alert kind title=outcome.title() attr:data-outcome=outcome.code()>
            <p>{outcome.message()}</p>
        </Alert>
    }
}

#[component]
fn SalesforceCard(state: SalesforceCardView) -> impl IntoView {
    let body = match state {
        SalesforceCardView::NotConfigured => view! {
            <CardBody>
                <Alert kind=AlertKind::Warning title="Salesforce sign-in is not configured">
                    <p>{SalesforceOutcome::NotConfigured.message()}</p>
                </Alert>
            </CardBody>
        }
        .into_any(),
        SalesforceCardView::NotConnected => view! {
            <CardBody>
                <StatusText tone="paused" label="Not connected" />
            </CardBody>
            <CardFooter>
                <SignInForm intent="setup" label="Set up" primary=true />
            </CardFooter>
        }
        .into_any(),
        SalesforceCardView::Connected {
            instance_url,
            username,
        } => view! {
            <CardBody>
                <div class="connected-panel">
                    <div class="connected-title">"Connected to Salesforce"</div>
                    <dl class="kv">
                        <dt>"Instance"</dt>
                        <dd class="mono">{instance_url}</dd>
                        <dt>"Salesforce User"</dt>
                        <dd>{username}</dd>
                    </dl>
                </div>
                <div class="card-actions">
                    <SignInForm intent="reset" label="Reset Token" primary=false />
                    <a class="btn btn-secondary" href=SYNC_SETTINGS>
                        "Sync Settings"
                    </a>
                    <a class="btn btn-danger card-actions-end" href=format!("{PAGE}?confirm=disconnect")>
                        "Disconnect"
                    </a>
                </div>
                <SyncSummary />
            </CardBody>
        }
        .into_any(),
    };
    view! {
        <Card
            id="salesforce-title"
            title="Salesforce"
            logo="S"
            subtitle="Import contacts and leads into campaigns as data sources, and synchronize call activity back to Salesforce."
        >
            {body}
        </Card>
    }
}

/// The status summary below the card's buttons (IN-08): per object its status, method and
/// enable state, live.
#[component]
fn SyncSummary() -> impl IntoView {
    let syncs = expect_context::<LiveSyncs>();
    view! {
        <section class="sync-summary" aria-labelledby="sync-summary-title">
            <h3 class="section-title" id="sync-summary-title">
                "Sync status"
            </h3>
            {move || {
                if syncs.with(|list| list.is_empty()) {
                    return view! {
                        <p class="sync-summary-empty">
                            "No Salesforce objects are synchronized yet. Use Sync Settings to add Contact or Lead."
                        </p>
                    }
                    .into_any();
                }
                view! {
                    <table class="table table-compact" aria-labelledby="sync-summary-title">
                        <thead>
                            <tr>
                                <th scope="col">"Object"</th>
                                <th scope="col">"Status"</th>
                                <th scope="col">"Method"</th>
                                <th scope="col">"Enabled"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {syncs
                                .all()
                                .into_iter()
                                .map(|sync| {
                                    let (enabled_class, enabled) = if sync.enabled {
                                        ("badge badge-success", "On")
                                    } else {
                                        ("badge badge-muted", "Off")
                                    };
                                    view! {
                                        <tr class:row-error=sync.status.is_failing()>
                                            <th scope="row" class="cell-strong">{sync.object.as_str()}</th>
                                            <td>
                                                <StatusDot status=sync.status />
                                            </td>
                                            <td>
                                                <abbr class="method" title=sync.method.label()>
                                                    {sync.method.short_label()}
                                                </abbr>
                                            </td>
                                            <td>
                                                <span class=enabled_class>{enabled}</span>
                                            </td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                }
                .into_any()
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
        disconnect
            .value()
            .get()
            .and_then(Result::err)
            .map(|error| view! { <Alert kind=AlertKind::Error>{error.to_string()}</Alert> })
    };
    view! {
        <Modal id="disconnect-title" title="Disconnect Salesforce" close_href=PAGE size=ModalSize::Narrow>
            <ModalFooter slot>
                <a class="btn btn-secondary" href=PAGE>
                    "Cancel"
                </a>
                <ActionForm action=disconnect>
                    <button class="btn btn-danger" type="submit">
                        "Disconnect"
                    </button>
                </ActionForm>
            </ModalFooter>
            <p>
                <strong>"Are you sure you want to disconnect Salesforce?"</strong>
            </p>
            <p class="muted">
                "The stored token is removed at once. Salesforce syncs stop until you run Set up again; their configurations are kept."
            </p>
            {failed}
        </Modal>
    }
}

//! The Sync Settings modal (OS-01..OS-09, ST-01..ST-05), opened by `?modal=sync-settings`.
//!
//! Everything works without JavaScript: each row is its own form (Save), Add object buttons
//! are forms, the remove (x) icon leads to a confirmation at `&remove=<id>`, and Test at
//! `&test=<id>` runs the test while the page renders and shows the answer in the modal. With
//! JavaScript the forms post in the background, the Interval field follows the Method select
//! at once, Test answers in a browser alert, and the rows follow the live status stream.

use leptos::{ev::MouseEvent, prelude::*};
use leptos_router::{NavigateOptions, hooks::use_navigate, hooks::use_query_map};

use super::{SYNC_SETTINGS, live::LiveSyncs};
use crate::{
    api::{
        AddOrgSync, RemoveOrgSync, SaveOrgSync, sync_settings, test_org_sync, test_org_sync_in_page,
    },
    components::{
        alert::{Alert, AlertKind},
        modal::{Modal, ModalFooter, ModalSize},
        notice::ErrorNotice,
        status_dot::StatusDot,
        toggle::Toggle,
    },
    error::AppError,
    types::{
        BackfillProgress, CDC_REMINDER, DEFAULT_POLL_INTERVAL_MINUTES, OrgSyncView,
        POLL_INTERVALS_MINUTES, SyncMethod, SyncObject, SyncSettingsView, TestOutcome,
    },
};

const PAGE: &str = "/admin/integrations";

/// What the modal shows besides the rows; refreshed with them after every action.
#[derive(Debug, Clone, Default, PartialEq)]
struct ModalExtras {
    addable: Vec<SyncObject>,
    api_usage: Option<(u64, u64)>,
}

/// The modal's actions, shared by its rows and dialogs.
#[derive(Clone, Copy)]
struct Actions {
    add: ServerAction<AddOrgSync>,
    save: ServerAction<SaveOrgSync>,
    remove: ServerAction<RemoveOrgSync>,
}

type SettingsResource = Resource<Option<Result<SyncSettingsView, AppError>>>;

/// Everything the modal loads and does. The page creates it in its own body, beside its own
/// resource, rather than the modal creating it inside a `Suspense`: the server may build the
/// contents of a `Suspense` more than once, and every resource must get the same id on the
/// server and in the browser for hydration to find its data.
#[derive(Clone, Copy)]
pub struct SyncSettingsState {
    actions: Actions,
    /// The modal's content while it is open (on the server too). After each action the
    /// content is fetched again (browser only) and applied to the rows in place, so they keep
    /// what an administrator typed but has not saved yet.
    settings: SettingsResource,
    /// Test without JavaScript: `&test=<id>` runs it while the page renders (OS-08).
    tested: Resource<Option<(i64, Result<TestOutcome, AppError>)>>,
    remove_id: Memo<Option<i64>>,
    extras: RwSignal<ModalExtras>,
    action_error: RwSignal<Option<AppError>>,
}

impl SyncSettingsState {
    /// Call once in the page's body; `open` is whether `?modal=sync-settings` is shown.
    pub fn new(open: Memo<bool>) -> Self {
        let syncs = expect_context::<LiveSyncs>();
        let query = use_query_map();
        let id_param = move |name: &str| {
            query.with(|q| q.get(name).and_then(|value| value.parse::<i64>().ok()))
        };
        let remove_id = Memo::new(move |_| id_param("remove"));
        let test_id = Memo::new(move |_| if open.get() { id_param("test") } else { None });
        let actions = Actions {
            add: ServerAction::new(),
            save: ServerAction::new(),
            remove: ServerAction::new(),
        };
        let Actions { add, save, remove } = actions;
        let settings = Resource::new(
            move || open.get(),
            |open| async move {
                if open {
                    Some(sync_settings().await)
                } else {
                    None
                }
            },
        );
        let reloaded = Resource::new(
            move || add.version().get() + save.version().get() + remove.version().get(),
            |changes| async move {
                if changes == 0 {
                    None
                } else {
                    Some(sync_settings().await)
                }
            },
        );
        let tested = Resource::new(
            move || test_id.get(),
            |id| async move {
                match id {
                    Some(id) => Some((id, test_org_sync_in_page(id).await)),
                    None => None,
                }
            },
        );
        let extras = RwSignal::new(ModalExtras::default());
        let action_error = RwSignal::new(None::<AppError>);

        Effect::new(move |_| {
            if let Some(Some(Ok(view))) = reloaded.get() {
                syncs.merge(view.syncs);
                extras.set(ModalExtras {
                    addable: view.addable,
                    api_usage: view.api_usage,
                });
            }
        });
        // What an action returns shows at once; its failure shows in the modal.
        Effect::new(move |_| match add.value().get() {
            Some(Ok(sync)) => {
                syncs.upsert(sync);
                action_error.set(None);
            }
            Some(Err(error)) => action_error.set(Some(error)),
            None => {}
        });
        Effect::new(move |_| match save.value().get() {
            Some(Ok(sync)) => {
                syncs.upsert(sync);
                action_error.set(None);
            }
            Some(Err(error)) => action_error.set(Some(error)),
            None => {}
        });
        let navigate = use_navigate();
        Effect::new(move |_| match remove.value().get() {
            Some(Ok(())) => {
                action_error.set(None);
                // Leave the confirmation: back to the list.
                navigate(
                    SYNC_SETTINGS,
                    NavigateOptions {
                        replace: true,
                        scroll: false,
                        ..Default::default()
                    },
                );
            }
            Some(Err(error)) => action_error.set(Some(error)),
            None => {}
        });

        SyncSettingsState {
            actions,
            settings,
            tested,
            remove_id,
            extras,
            action_error,
        }
    }
}

/// The Sync Settings modal with its remove confirmation.
#[component]
pub fn SyncSettingsModal(state: SyncSettingsState) -> impl IntoView {
    let syncs = expect_context::<LiveSyncs>();
    let SyncSettingsState {
        actions,
        settings,
        tested,
        remove_id,
        extras,
        action_error,
    } = state;
    // The sync the remove (x) icon asks about; none once it is gone.
    let removing = Memo::new(move |_| {
        remove_id
            .get()
            .and_then(|id| syncs.find(id))
            .map(|sync| (sync.id, sync.object))
    });
    let remove = actions.remove;

    view! {
        <Suspense fallback=|| {
            view! {
                <Modal id="sync-settings-title" title="Sync Settings" close_href=PAGE size=ModalSize::Wide>
                    <p class="muted">"Loading…"</p>
                </Modal>
            }
        }>
            {move || Suspend::new(async move {
                let body = match settings.await {
                    Some(Ok(view)) => {
                        // Filled before the rows render, so the server's HTML carries them.
                        syncs.fill(view.syncs);
                        extras.set(ModalExtras {
                            addable: view.addable,
                            api_usage: view.api_usage,
                        });
                        view! { <SyncSettingsBody actions action_error extras tested /> }.into_any()
                    }
                    Some(Err(error)) => view! { <ErrorNotice error /> }.into_any(),
                    None => ().into_any(),
                };
                view! {
                    <Modal id="sync-settings-title" title="Sync Settings" close_href=PAGE size=ModalSize::Wide>
                        <ModalFooter slot>
                            <a class="btn btn-secondary" href=PAGE>
                                "Done"
                            </a>
                        </ModalFooter>
                        {body}
                    </Modal>
                    {move || {
                        removing.get().map(|(id, object)| view! { <RemoveDialog id object remove /> })
                    }}
                }
            })}
        </Suspense>
    }
}

#[component]
fn SyncSettingsBody(
    actions: Actions,
    action_error: RwSignal<Option<AppError>>,
    extras: RwSignal<ModalExtras>,
    tested: Resource<Option<(i64, Result<TestOutcome, AppError>)>>,
) -> impl IntoView {
    let syncs = expect_context::<LiveSyncs>();
    view! {
        <div class="modal-intro">
            <p class="muted">
                "Each Org Sync keeps one Salesforce object up to date in orgsync, through Change Data Capture or REST polling. Data sources in campaigns build on them."
            </p>
            {move || {
                extras
                    .with(|extras| extras.api_usage)
                    .map(|(used, max)| {
                        view! {
                            <p class="api-usage">
                                "API requests today: "
                                <strong>{format!("{} of {}", group(used), group(max))}</strong>
                            </p>
                        }
                    })
            }}
        </div>
        {move || {
            action_error
                .get()
                .map(|error| {
                    view! {
                        <Alert kind=AlertKind::Error title="That did not work">
                            <p>{error.to_string()}</p>
                        </Alert>
                    }
                })
        }}
        <Suspense>
            {move || Suspend::new(async move {
                tested.await.map(|(id, result)| view! { <TestResult id result /> })
            })}
        </Suspense>
        {move || {
            syncs
                .with(|list| list.is_empty())
                .then(|| {
                    view! {
                        <div class="empty-state empty-state-compact">
                            <h3>"No objects are synchronized yet"</h3>
                            <p>"Add Contact or Lead below. A new sync starts disabled, so nothing is pulled from Salesforce until you turn it on."</p>
                        </div>
                    }
                })
        }}
        <div class="sync-rows">
            <For each=move || syncs.all() key=|sync| sync.id let:sync>
                <SyncRow sync actions />
            </For>
        </div>
        <AddObject add=actions.add extras />
        <noscript class="nojs-hint">
            "Without JavaScript the Interval field appears once REST Polling is saved: choose REST Polling, press Save, then pick the interval and save again."
        </noscript>
    }
}

/// One Org Sync: its own form (Save) with Method, Interval and the enable switch; Test; the
/// remove icon; and its live state.
#[component]
fn SyncRow(sync: OrgSyncView, actions: Actions) -> impl IntoView {
    let syncs = expect_context::<LiveSyncs>();
    let id = sync.id;
    let object = sync.object;
    // Live fields follow the store; the form keeps what the page was rendered with.
    let live = {
        let rendered = sync.clone();
        Memo::new(move |_| syncs.find(id).unwrap_or_else(|| rendered.clone()))
    };
    let status = Signal::derive(move || live.with(|sync| sync.status));
    let failing = move || live.with(|sync| sync.status.is_failing());
    let saved_method = sync.method;
    let enabled = sync.enabled;
    let method = RwSignal::new(saved_method);
    let interval = sync
        .interval_minutes
        .unwrap_or(DEFAULT_POLL_INTERVAL_MINUTES);
    let save = actions.save;
    let saving = move || {
        save.pending().get()
            && save
                .input()
                .with(|input| input.as_ref().is_some_and(|i| i.id == id))
    };
    let testing = RwSignal::new(false);
    // With JavaScript: ask the server here and answer in a browser alert (OS-08).
    let run_test = move |ev: MouseEvent| {
        ev.prevent_default();
        if testing.get_untracked() {
            return;
        }
        testing.set(true);
        leptos::task::spawn_local(async move {
            let message = match test_org_sync(id).await {
                Ok(outcome) => outcome.message,
                Err(error) => error.to_string(),
            };
            testing.set(false);
            crate::browser::alert(&message);
        });
    };
    let name_id = format!("sync-{id}-object");
    let labelled_by = name_id.clone();
    let method_id = format!("sync-{id}-method");
    let interval_id = format!("sync-{id}-interval");
    view! {
        <div
            class="sync-row"
            class:sync-row-failing=failing
            role="group"
            aria-labelledby=labelled_by
            data-sync-id=id.to_string()
        >
            <ActionForm action=save attr:class="sync-row-form">
                <input type="hidden" name="id" value=id.to_string() />
                <div class="sync-row-head">
                    <h3 class="sync-object" id=name_id>
                        {object.as_str()}
                    </h3>
                    <StatusDot status />
                    <div class="sync-facts">
                        // The CDC channel, set from the object (OS-03).
                        <span class="sync-fact" hidden=move || method.get() != SyncMethod::Cdc>
                            <span class="sync-fact-label">"Channel"</span>
                            <code class="sync-channel">
                                {move || {
                                    live.with(|sync| sync.channel.clone())
                                        .unwrap_or_else(|| object.cdc_channel())
                                }}
                            </code>
                        </span>
                        <span class="sync-fact">
                            <span class="sync-fact-label">"Last sync"</span>
                            <span class="sync-last">
                                {move || {
                                    live.with(|sync| {
                                        sync.last_sync_at.clone().unwrap_or_else(|| "Never".to_string())
                                    })
                                }}
                            </span>
                        </span>
                        {move || {
                            let count = live.with(|sync| sync.error_count);
                            (count > 0)
                                .then(|| {
                                    view! {
                                        <span class="sync-fact sync-fact-errors">
                                            {format!("Errors: {}", group(count.unsigned_abs()))}
                                        </span>
                                    }
                                })
                        }}
                    </div>
                    <div class="sync-tools">
                        <a
                            class="btn btn-link"
                            href=format!("{SYNC_SETTINGS}&test={id}")
                            aria-busy=move || testing.get().then_some("true")
                            on:click=run_test
                        >
                            {move || if testing.get() { "Testing…" } else { "Test" }}
                        </a>
                        <a
                            class="icon-btn"
                            href=format!("{SYNC_SETTINGS}&remove={id}")
                            aria-label=format!("Remove {} sync", object.as_str())
                            title=format!("Remove {} sync", object.as_str())
                        >
                            <span aria-hidden="true">"×"</span>
                        </a>
                    </div>
                </div>
                <div class="sync-row-controls">
                    <div class="field">
                        <label for=method_id.clone()>"Method"</label>
                        <select
                            id=method_id
                            name="method"
                            on:change=move |ev| {
                                if let Some(chosen) = SyncMethod::from_code(&event_target_value(&ev)) {
                                    method.set(chosen);
                                }
                            }
                        >
                            {SyncMethod::ALL
                                .into_iter()
                                .map(|option| {
                                    view! {
                                        <option value=option.code() selected=option == saved_method>
                                            {option.label()}
                                        </option>
                                    }
                                })
                                .collect_view()}
                        </select>
                    </div>
                    // Always in the form (so a switch to REST posts an interval); shown only
                    // while REST Polling is selected (OS-03).
                    <div class="field" hidden=move || method.get() != SyncMethod::Rest>
                        <label for=interval_id.clone()>"Interval"</label>
                        <select id=interval_id name="interval_minutes">
                            {POLL_INTERVALS_MINUTES
                                .into_iter()
                                .map(|minutes| {
                                    view! {
                                        <option value=minutes.to_string() selected=minutes == interval>
                                            {format!("{minutes} min")}
                                        </option>
                                    }
                                })
                                .collect_view()}
                        </select>
                    </div>
                    <div class="field field-switch">
                        <span class="field-label" aria-hidden="true">
                            "Enabled"
                        </span>
                        <Toggle checked=enabled label="Enabled" />
                    </div>
                    <div class="sync-row-save">
                        <button
                            class="btn btn-primary"
                            type="submit"
                            aria-busy=move || saving().then_some("true")
                        >
                            "Save"
                        </button>
                    </div>
                </div>
                <p class="sync-reminder" hidden=move || method.get() != SyncMethod::Cdc>
                    {CDC_REMINDER}
                </p>
                {move || live.with(|sync| sync.backfill).map(|progress| view! { <Backfill progress /> })}
                {move || {
                    live.with(|sync| {
                            if sync.status.is_failing() { sync.last_error.clone() } else { None }
                        })
                        .map(|message| {
                            view! {
                                <p class="sync-error">
                                    <span class="sync-error-label">"Last error"</span>
                                    {message}
                                </p>
                            }
                        })
                }}
            </ActionForm>
        </div>
    }
}

/// A first backfill in progress: a bar and "N of M records".
#[component]
fn Backfill(progress: BackfillProgress) -> impl IntoView {
    let text = format!(
        "{} of {} records",
        group(progress.records.unsigned_abs()),
        group(progress.total.unsigned_abs())
    );
    view! {
        <div class="sync-progress">
            <span class="sync-progress-label">"Initial import"</span>
            <progress
                max=progress.total.max(1).to_string()
                value=progress.records.clamp(0, progress.total.max(0)).to_string()
                aria-label="Initial import progress"
            ></progress>
            <span class="sync-progress-text">{text}</span>
        </div>
    }
}

/// Add object (OS-02): one button per object not configured yet; hidden when there is none.
#[component]
fn AddObject(add: ServerAction<AddOrgSync>, extras: RwSignal<ModalExtras>) -> impl IntoView {
    let syncs = expect_context::<LiveSyncs>();
    let addable = move || {
        extras.with(|extras| {
            extras
                .addable
                .iter()
                .copied()
                .filter(|object| !syncs.has_object(*object))
                .collect::<Vec<_>>()
        })
    };
    move || {
        let objects = addable();
        (!objects.is_empty()).then(|| {
            view! {
                <section class="add-object" aria-labelledby="add-object-title">
                    <div>
                        <h3 class="section-title" id="add-object-title">
                            "Add object"
                        </h3>
                        <p class="field-hint">"Created disabled, with CDC (real-time)."</p>
                    </div>
                    <div class="add-object-buttons">
                        {objects
                            .into_iter()
                            .map(|object| {
                                view! {
                                    <ActionForm action=add>
                                        <input type="hidden" name="object" value=object.as_str() />
                                        <button class="btn btn-secondary" type="submit">
                                            // Drawn by CSS and hidden from assistive
                                            // technology: the button's name is the object's.
                                            <span class="btn-add-icon" aria-hidden="true"></span>
                                            {object.as_str()}
                                        </button>
                                    </ActionForm>
                                }
                            })
                            .collect_view()}
                    </div>
                </section>
            }
        })
    }
}

/// Test's answer when it ran while the page rendered (no JavaScript).
#[component]
fn TestResult(id: i64, result: Result<TestOutcome, AppError>) -> impl IntoView {
    let syncs = expect_context::<LiveSyncs>();
    let object = syncs.find(id).map(|sync| sync.object.as_str());
    let title = match object {
        Some(object) => format!("Test of the {object} sync"),
        None => "Test".to_string(),
    };
    let (kind, message) = match result {
        Ok(outcome) if outcome.success => (AlertKind::Success, outcome.message),
        Ok(outcome) => (AlertKind::Error, outcome.message),
        Err(error) => (AlertKind::Error, error.to_string()),
    };
    view! {
        <Alert kind title attr:data-test-result=id.to_string()>
            <p>{message}</p>
        </Alert>
    }
}

/// The remove (x) icon's confirmation (OS-07), at `?modal=sync-settings&remove=<id>`.
#[component]
fn RemoveDialog(id: i64, object: SyncObject, remove: ServerAction<RemoveOrgSync>) -> impl IntoView {
    let failed = move || {
        remove
            .value()
            .get()
            .and_then(Result::err)
            .map(|error| view! { <Alert kind=AlertKind::Error>{error.to_string()}</Alert> })
    };
    view! {
        <Modal
            id="remove-sync-title"
            title=format!("Remove {} sync", object.as_str())
            close_href=SYNC_SETTINGS
            size=ModalSize::Narrow
        >
            <ModalFooter slot>
                <a class="btn btn-secondary" href=SYNC_SETTINGS>
                    "Cancel"
                </a>
                <ActionForm action=remove>
                    <input type="hidden" name="id" value=id.to_string() />
                    <button class="btn btn-danger" type="submit">
                        "Remove"
                    </button>
                </ActionForm>
            </ModalFooter>
            <p class="confirm-prompt">{object.remove_prompt()}</p>
            <p class="muted">"Records already imported into campaigns stay in place."</p>
            {failed}
        </Modal>
    }
}

/// 1234567 → "1,234,567".
fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::group;

    #[test]
    fn numbers_are_grouped_by_thousands() {
        assert_eq!(group(0), "0");
        assert_eq!(group(999), "999");
        assert_eq!(group(1_000), "1,000");
        assert_eq!(group(15_000), "15,000");
        assert_eq!(group(1_234_567), "1,234,567");
    }
}

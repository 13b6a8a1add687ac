//! `/admin/api-keys`: the organization's API keys for the dialer's JSON API (DS-05). A new
//! key is shown once, when it is created; only its hash is stored. Revoking a key refuses
//! the dialer's next call with it.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api::{CreateApiKey, RevokeApiKey, api_keys_page},
    components::{
        alert::{Alert, AlertKind},
        notice::ErrorNotice,
    },
    types::ApiKeyView,
};

#[component]
pub fn ApiKeysPage() -> impl IntoView {
    let create = ServerAction::<CreateApiKey>::new();
    let revoke = ServerAction::<RevokeApiKey>::new();
    let keys = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| api_keys_page(),
    );
    let create_error = move || create.value().get().and_then(|r| r.err());
    let revoke_error = move || revoke.value().get().and_then(|r| r.err());
    let created = move || create.value().get().and_then(|r| r.ok());
    view! {
        <Title text="API Keys" />
        <header class="page-header">
            <h1 class="page-title">"API Keys"</h1>
            <p class="page-lead">
                "Keys your dialer uses to report call outcomes to orgsync, which writes them to Salesforce as Tasks."
            </p>
        </header>
        {move || created().map(|new| view! {
            <Alert kind=AlertKind::Success>
                <strong>{format!("API key \"{}\" created.", new.key.name)}</strong>
                " Copy it now: it is not shown again."
                <div class="secret-box">
                    <label class="visually-hidden" for="new-api-key">"New API key"</label>
                    <input id="new-api-key" readonly value=new.secret.clone() />
                </div>
            </Alert>
        })}
        {move || revoke_error().map(|e| view! { <Alert kind=AlertKind::Error>{e.to_string()}</Alert> })}
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match keys.await {
                    Ok(keys) if keys.is_empty() => view! {
                        <div class="empty-state">
                            <h3>"No API keys"</h3>
                            <p>"Create a key below and give it to your dialer."</p>
                        </div>
                    }
                    .into_any(),
                    Ok(keys) => view! { <KeyTable keys revoke /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Suspense>
        <section class="card form-card" aria-labelledby="new-key-title">
            <div class="card-header">
                <h2 class="card-title" id="new-key-title">"New API key"</h2>
            </div>
            <div class="card-body">
                <ActionForm action=create attr:class="form form-grid">
                    <div class="field">
                        <label for="key-name">"Name"</label>
                        <input id="key-name" name="name" required maxlength="60" placeholder="Dialer" />
                        <span class="field-hint">"Where the key is used, to tell keys apart."</span>
                    </div>
                    <div class="form-actions">
                        <button type="submit" class="btn btn-primary">"Create key"</button>
                    </div>
                </ActionForm>
                {move || create_error().map(|e| view! { <Alert kind=AlertKind::Error>{e.to_string()}</Alert> })}
                <p class="muted">
                    "The dialer sends the key as "
                    <code>"Authorization: Bearer <key>"</code>
                    " to "
                    <code>"POST /dialer/v1/calls"</code>
                    "."
                </p>
            </div>
        </section>
    }
}

#[component]
fn KeyTable(keys: Vec<ApiKeyView>, revoke: ServerAction<RevokeApiKey>) -> impl IntoView {
    view! {
        <div class="card">
            <table class="table" aria-label="API keys">
                <thead>
                    <tr>
                        <th>"Name"</th>
                        <th>"Key"</th>
                        <th>"Created"</th>
                        <th>"Last used"</th>
                        <th><span class="visually-hidden">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {keys
                        .into_iter()
                        .map(|key| view! {
                            <tr data-api-key=key.name.clone()>
                                <td>{key.name.clone()}</td>
                                <td class="mono">{format!("{}…", key.prefix)}</td>
                                <td class="cell-muted">{key.created_at.clone()}</td>
                                <td class="cell-muted">
                                    {key.last_used_at.clone().unwrap_or_else(|| "Never".into())}
                                </td>
                                <td class="cell-actions">
                                    <ActionForm action=revoke>
                                        <input type="hidden" name="id" value=key.id.to_string() />
                                        <button
                                            type="submit"
                                            class="btn btn-secondary btn-small"
                                            on:click=|ev| {
                                                if !crate::browser::confirm(
                                                    "Revoke this key? The dialer's calls with it are refused from now on.",
                                                ) {
                                                    ev.prevent_default();
                                                }
                                            }
                                        >
                                            "Revoke"
                                        </button>
                                    </ActionForm>
                                </td>
                            </tr>
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}

//! `/admin/oauth-tokens`: every OAuth token the organization stores, never a secret (IN-09).

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{api::oauth_tokens_page, components::notice::ErrorNotice, types::OAuthTokenView};

#[component]
pub fn OAuthTokensPage() -> impl IntoView {
    let tokens = Resource::new(|| (), |_| oauth_tokens_page());
    view! {
        <Title text="OAuth Tokens" />
        <header class="page-header">
            <h1 class="page-title">"OAuth Tokens"</h1>
            <p class="page-lead">
                "Every OAuth token orgsync stores for your organization, by provider. Token secrets are never shown."
            </p>
        </header>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match tokens.await {
                    Ok(tokens) if tokens.is_empty() => view! {
                        <div class="empty-state">
                            <h3>"No OAuth tokens yet"</h3>
                            <p>"A token appears here, under its provider, once an integration is set up on the Integrations page."</p>
                        </div>
                    }
                    .into_any(),
                    Ok(tokens) => view! { <TokenTable tokens /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn TokenTable(tokens: Vec<OAuthTokenView>) -> impl IntoView {
    view! {
        <div class="card">
            <table class="table">
                <thead>
                    <tr>
                        <th>"Provider"</th>
                        <th>"Instance"</th>
                        <th>"User"</th>
                        <th>"Issued"</th>
                    </tr>
                </thead>
                <tbody>
                    {tokens
                        .into_iter()
                        .map(|t| {
                            view! {
                                <tr>
                                    <td>{t.provider}</td>
                                    <td class="mono">{t.instance_url}</td>
                                    <td>{t.username}</td>
                                    <td class="cell-muted">{t.issued_at}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}

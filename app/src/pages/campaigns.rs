//! `/admin/campaigns`: the organization's dialer campaigns.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{api::campaigns_page, components::notice::ErrorNotice, types::CampaignView};

#[component]
pub fn CampaignsPage() -> impl IntoView {
    let campaigns = Resource::new(|| (), |_| campaigns_page());
    view! {
        <Title text="Campaigns" />
        <header class="page-header">
            <h1 class="page-title">"Campaigns"</h1>
            <p class="page-lead">
                "Dialer campaigns and the records imported into them from Salesforce data sources."
            </p>
        </header>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match campaigns.await {
                    Ok(campaigns) if campaigns.is_empty() => view! {
                        <div class="empty-state">
                            <h3>"No campaigns yet"</h3>
                            <p>"Campaigns appear here once they exist in your organization."</p>
                        </div>
                    }
                    .into_any(),
                    Ok(campaigns) => view! { <CampaignTable campaigns /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn CampaignTable(campaigns: Vec<CampaignView>) -> impl IntoView {
    view! {
        <div class="card">
            <table class="table">
                <thead>
                    <tr>
                        <th>"Campaign"</th>
                        <th>"Created"</th>
                    </tr>
                </thead>
                <tbody>
                    {campaigns
                        .into_iter()
                        .map(|c| {
                            view! {
                                <tr>
                                    <td>{c.name}</td>
                                    <td class="cell-muted">{c.created_at}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}

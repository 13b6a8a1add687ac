//! `/admin/campaigns`: the organization's dialer campaigns, how many of their records are
//! ready to dial, and a form for a new one. Counts update live.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api::{CreateCampaign, campaigns_page},
    components::{
        alert::{Alert, AlertKind},
        notice::ErrorNotice,
    },
    pages::campaign::readiness::ReadinessBar,
    types::CampaignSummary,
};

#[component]
pub fn CampaignsPage() -> impl IntoView {
    let create = ServerAction::<CreateCampaign>::new();
    let campaigns = Resource::new(move || create.version().get(), |_| campaigns_page());
    // Counts change as records arrive (DS-03): re-read on every campaign change.
    Effect::new(move |_| {
        crate::browser::follow_status_events(move |event| {
            if event.concerns_campaign(None) {
                campaigns.refetch();
            }
        });
    });
    view! {
        <Title text="Campaigns" />
        <header class="page-header">
            <h1 class="page-title">"Campaigns"</h1>
            <p class="page-lead">
                "Dialer campaigns and the records imported into them from Salesforce Data Sources."
            </p>
        </header>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match campaigns.await {
                    Ok(campaigns) if campaigns.is_empty() => view! {
                        <div class="empty-state">
                            <h3>"No campaigns yet"</h3>
                            <p>"Create a campaign below, then attach Data Sources to fill it."</p>
                        </div>
                    }
                    .into_any(),
                    Ok(campaigns) => view! { <CampaignTable campaigns /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Suspense>
        <NewCampaign create />
    }
}

#[component]
fn CampaignTable(campaigns: Vec<CampaignSummary>) -> impl IntoView {
    view! {
        <div class="card">
            <table class="table" aria-label="Campaigns">
                <thead>
                    <tr>
                        <th>"Campaign"</th>
                        <th>"Phone slots"</th>
                        <th>"Records"</th>
                        <th>"Dial-readiness"</th>
                        <th>"Created"</th>
                    </tr>
                </thead>
                <tbody>
                    {campaigns
                        .into_iter()
                        .map(|c| {
                            let row_name = c.name.clone();
                            view! {
                                <tr data-campaign=row_name>
                                    <td>
                                        <a href=format!("/admin/campaigns/{}", c.id)>{c.name}</a>
                                    </td>
                                    <td class="cell-muted">{c.phone_slots.join(", ")}</td>
                                    <td class="num">{c.counts.total}</td>
                                    <td>
                                        <ReadinessBar counts=c.counts />
                                    </td>
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

#[component]
fn NewCampaign(create: ServerAction<CreateCampaign>) -> impl IntoView {
    let error = move || create.value().get().and_then(|result| result.err());
    view! {
        <section class="card form-card" aria-labelledby="new-campaign-title">
            <div class="card-header">
                <h2 class="card-title" id="new-campaign-title">"New campaign"</h2>
            </div>
            <div class="card-body">
                <ActionForm action=create attr:class="form form-grid">
                    <div class="field">
                        <label for="campaign-name">"Name"</label>
                        <input id="campaign-name" name="name" required maxlength="100" />
                    </div>
                    <div class="field">
                        <label for="campaign-slots">"Phone number slots"</label>
                        <input id="campaign-slots" name="phone_slots" value="Primary, Mobile" />
                        <span class="field-hint">"Comma-separated, in dialing order."</span>
                    </div>
                    <div class="field">
                        <label for="campaign-custom">"Custom fields"</label>
                        <input id="campaign-custom" name="custom_fields" placeholder="Company, Owner" />
                        <span class="field-hint">"Comma-separated; optional."</span>
                    </div>
                    <div class="field field-narrow">
                        <label for="campaign-region">"Default region"</label>
                        <input id="campaign-region" name="region" value="US" maxlength="2" />
                        <span class="field-hint">"For numbers without a country code."</span>
                    </div>
                    <div class="form-actions">
                        <button type="submit" class="btn btn-primary">"Create campaign"</button>
                    </div>
                </ActionForm>
                {move || error().map(|error| view! {
                    <Alert kind=AlertKind::Error>{error.to_string()}</Alert>
                })}
            </div>
        </section>
    }
}

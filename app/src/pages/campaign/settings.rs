//! The Settings tab: rename the campaign, change its phone slots, custom fields or region,
//! or delete it.

use leptos::prelude::*;

use crate::{
    api::{DeleteCampaign, UpdateCampaign},
    components::alert::{Alert, AlertKind},
    types::CampaignSummary,
};

#[component]
pub fn SettingsTab(
    campaign: CampaignSummary,
    update: ServerAction<UpdateCampaign>,
) -> impl IntoView {
    let delete = ServerAction::<DeleteCampaign>::new();
    let error = move || update.value().get().and_then(|r| r.err());
    let saved = move || update.value().get().is_some_and(|r| r.is_ok());
    let delete_error = move || delete.value().get().and_then(|r| r.err());
    // After a delete the campaign is gone: back to the list.
    Effect::new(move |_| {
        if delete.value().get().is_some_and(|r| r.is_ok()) {
            let navigate = leptos_router::hooks::use_navigate();
            navigate("/admin/campaigns", Default::default());
        }
    });
    let id = campaign.id.to_string();
    let delete_id = id.clone();
    view! {
        <section class="card" aria-labelledby="settings-title">
            <div class="card-header">
                <h2 class="card-title" id="settings-title">"Campaign settings"</h2>
            </div>
            <div class="card-body">
                <ActionForm action=update attr:class="form form-grid">
                    <input type="hidden" name="id" value=id />
                    <div class="field">
                        <label for="campaign-name">"Name"</label>
                        <input id="campaign-name" name="name" required maxlength="100" value=campaign.name.clone() />
                    </div>
                    <div class="field">
                        <label for="campaign-slots">"Phone number slots"</label>
                        <input id="campaign-slots" name="phone_slots" value=campaign.phone_slots.join(", ") />
                        <span class="field-hint">"Comma-separated, in dialing order."</span>
                    </div>
                    <div class="field">
                        <label for="campaign-custom">"Custom fields"</label>
                        <input id="campaign-custom" name="custom_fields" value=campaign.custom_fields.join(", ") />
                    </div>
                    <div class="field field-narrow">
                        <label for="campaign-region">"Default region"</label>
                        <input id="campaign-region" name="region" maxlength="2" value=campaign.region.clone() />
                    </div>
                    <div class="form-actions">
                        <button type="submit" class="btn btn-primary">"Save"</button>
                    </div>
                </ActionForm>
                {move || error().map(|e| view! { <Alert kind=AlertKind::Error>{e.to_string()}</Alert> })}
                {move || saved().then(|| view! { <Alert kind=AlertKind::Success>"Saved."</Alert> })}
            </div>
            <div class="card-footer">
                <ActionForm action=delete>
                    <input type="hidden" name="id" value=delete_id />
                    <button
                        type="submit"
                        class="btn btn-danger"
                        on:click=|ev| {
                            if !crate::browser::confirm(
                                "Delete this campaign and all its records? This cannot be undone.",
                            ) {
                                ev.prevent_default();
                            }
                        }
                    >
                        "Delete campaign"
                    </button>
                </ActionForm>
                {move || delete_error().map(|e| view! { <Alert kind=AlertKind::Error>{e.to_string()}</Alert> })}
            </div>
        </section>
    }
}

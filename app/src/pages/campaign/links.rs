//! The Data Sources tab (DS-02): the campaign's Links, each with its mappings, its own
//! readiness counts and a form to change its mappings, and the form that attaches a Data
//! Source with its mappings. Removing a Link leaves its records in the campaign.

use leptos::prelude::*;

use super::{Actions, readiness::ReadinessBar};
use crate::{
    api::SaveLink,
    components::alert::{Alert, AlertKind},
    types::{CampaignPageView, DataSourceOption, LinkView},
};

#[component]
pub fn LinksTab(view: CampaignPageView, actions: Actions) -> impl IntoView {
    if !view.data_sources_enabled {
        return view! {
            <Alert kind=AlertKind::Info>
                "Data Sources need the integrations feature flag. Contact orgsync support to have it enabled."
            </Alert>
        }
        .into_any();
    }
    let campaign_id = view.campaign.id;
    let remove_error = move || actions.remove_link.value().get().and_then(|r| r.err());
    let links = view
        .links
        .iter()
        .cloned()
        .map(|link| {
            let fields = view
                .data_sources
                .iter()
                .find(|d| d.id == link.data_source_id)
                .map(|d| d.fields.clone())
                .unwrap_or_default();
            let slots = MappingTargets {
                phone_slots: view.campaign.phone_slots.clone(),
                custom_fields: view.campaign.custom_fields.clone(),
                fields,
            };
            view! { <LinkCard campaign_id link slots actions /> }
        })
        .collect_view();
    let attached: Vec<i64> = view.links.iter().map(|l| l.data_source_id).collect();
    let available: Vec<DataSourceOption> = view
        .data_sources
        .iter()
        .filter(|d| !attached.contains(&d.id))
        .cloned()
        .collect();
    // "Below" is the attach form, which says itself when there is nothing to attach yet.
    let empty_hint = if view.data_sources.is_empty() {
        "An attached Data Source imports its Salesforce records into this campaign."
    } else {
        "Attach a Data Source below to import its Salesforce records into this campaign."
    };
    view! {
        <div class="stack">
            {if view.links.is_empty() {
                view! {
                    <div class="empty-state empty-state-compact">
                        <h3>"No Data Sources attached"</h3>
                        <p>{empty_hint}</p>
                    </div>
                }
                .into_any()
            } else {
                links.into_any()
            }}
            {move || remove_error().map(|e| view! { <Alert kind=AlertKind::Error>{e.to_string()}</Alert> })}
            <AttachForm
                campaign_id
                phone_slots=view.campaign.phone_slots.clone()
                custom_fields=view.campaign.custom_fields.clone()
                available
                any_data_source=!view.data_sources.is_empty()
                actions
            />
        </div>
    }
    .into_any()
}

/// What a Link's mappings can name: the campaign's phone slots and custom fields, and the
/// fields its Data Source reads.
#[derive(Clone)]
struct MappingTargets {
    phone_slots: Vec<String>,
    custom_fields: Vec<String>,
    fields: Vec<String>,
}

/// A `<select>` of `fields` named `name`, with "not mapped" first and `current` chosen.
fn field_select(
    name: String,
    label: String,
    id: String,
    fields: &[String],
    current: Option<&str>,
) -> impl IntoView + use<> {
    let unmapped = current.is_none();
    let for_id = id.clone();
    // A mapped field the Data Source no longer reads stays shown (and chosen), so that a save
    // does not drop it unseen; the save then says why it is refused.
    let gone = current
        .filter(|c| !fields.iter().any(|f| f.eq_ignore_ascii_case(c)))
        .map(|c| {
            let text = format!("{c} (no longer read by the Data Source)");
            view! { <option value=c.to_owned() selected=true>{text}</option> }
        });
    let options = fields
        .iter()
        .map(|f| {
            let chosen = current.is_some_and(|c| c.eq_ignore_ascii_case(f));
            view! { <option value=f.clone() selected=chosen>{f.clone()}</option> }
        })
        .collect_view();
    view! {
        <div class="field">
            <label for=for_id>{label}</label>
            <select id=id name=name>
                <option value="" selected=unmapped>"— not mapped —"</option>
                {gone}
                {options}
            </select>
        </div>
    }
}

/// Change a Link's mappings, in a disclosure that works without JavaScript.
#[component]
fn EditMappings(
    campaign_id: i64,
    link: LinkView,
    slots: MappingTargets,
    actions: Actions,
) -> impl IntoView {
    // Its own action, so that a refusal shows on this Link's card only.
    let save = ServerAction::<SaveLink>::new();
    Effect::new(move |_| {
        if save.value().with(|v| matches!(v, Some(Ok(_)))) {
            actions.changed.update(|n| *n += 1);
        }
    });
    let error = move || save.value().get().and_then(|r| r.err());
    // One select per phone slot or custom field, showing the field mapped to it now.
    let selects = |targets: &[String], mapped: &[(String, String)], name: &str, label: &str| {
        targets
            .iter()
            .enumerate()
            .map(|(i, target)| {
                let current = mapped
                    .iter()
                    .find(|(t, _)| t.eq_ignore_ascii_case(target))
                    .map(|(_, field)| field.as_str());
                field_select(
                    format!("{name}[{target}]"),
                    format!("{label}: {target}"),
                    format!("edit-{}-{name}-{i}", link.id),
                    &slots.fields,
                    current,
                )
            })
            .collect_view()
    };
    let phones = selects(&slots.phone_slots, &link.phones, "phones", "Phone");
    let customs = selects(
        &slots.custom_fields,
        &link.custom_fields,
        "custom_fields",
        "Custom field",
    );
    view! {
        <details class="link-edit">
            <summary class="btn btn-secondary btn-small">"Edit mappings"</summary>
            <ActionForm action=save attr:class="form form-grid link-edit-form">
                <input type="hidden" name="campaign_id" value=campaign_id.to_string() />
                <input type="hidden" name="link_id" value=link.id.to_string() />
                {phones}
                {customs}
                <div class="form-actions">
                    <button type="submit" class="btn btn-primary">"Save mappings"</button>
                </div>
            </ActionForm>
            {move || error().map(|e| view! { <Alert kind=AlertKind::Error>{e.to_string()}</Alert> })}
        </details>
    }
}

#[component]
fn LinkCard(
    campaign_id: i64,
    link: LinkView,
    slots: MappingTargets,
    actions: Actions,
) -> impl IntoView {
    let mappings = link
        .phones
        .iter()
        .map(|(slot, field)| format!("{field} → {slot}"))
        .chain(
            link.custom_fields
                .iter()
                .map(|(custom, field)| format!("{field} → {custom}")),
        )
        .collect::<Vec<_>>()
        .join(" · ");
    view! {
        <section class="card link-card" data-link=link.data_source_name.clone()>
            <div class="card-body link-body">
                <div class="link-main">
                    <h3 class="link-title">{link.data_source_name.clone()}</h3>
                    <p class="cell-muted">{format!("{} · {mappings}", link.object)}</p>
                    <ReadinessBar counts=link.counts.clone() />
                    <EditMappings campaign_id link=link.clone() slots actions />
                </div>
                <ActionForm action=actions.remove_link>
                    <input type="hidden" name="campaign_id" value=campaign_id.to_string() />
                    <input type="hidden" name="link_id" value=link.id.to_string() />
                    <button
                        type="submit"
                        class="btn btn-secondary btn-small"
                        on:click=|ev| {
                            if !crate::browser::confirm(
                                "Remove this Data Source from the campaign? Records already imported stay.",
                            ) {
                                ev.prevent_default();
                            }
                        }
                    >
                        "Remove"
                    </button>
                </ActionForm>
            </div>
        </section>
    }
}

/// Attach a Data Source: choose it, then which of its fields fills each phone slot and
/// custom field. The field lists follow the chosen Data Source.
#[component]
fn AttachForm(
    campaign_id: i64,
    phone_slots: Vec<String>,
    custom_fields: Vec<String>,
    available: Vec<DataSourceOption>,
    /// Whether the organization has any Data Source at all (attached or not).
    any_data_source: bool,
    actions: Actions,
) -> impl IntoView {
    if !any_data_source {
        return view! {
            <p class="muted">
                "There is no Data Source yet. Create one on the "
                <a href="/admin/data-sources">"Data Sources"</a>
                " page, then attach it here."
            </p>
        }
        .into_any();
    }
    if available.is_empty() {
        return view! {
            <p class="muted">
                "Every Data Source is attached. Create more on the "
                <a href="/admin/data-sources">"Data Sources"</a>
                " page."
            </p>
        }
        .into_any();
    }
    let chosen = RwSignal::new(available.first().map(|d| d.id));
    let sources = StoredValue::new(available.clone());
    let fields = move || {
        let id = chosen.get();
        sources.with_value(|all| {
            all.iter()
                .find(|d| Some(d.id) == id)
                .map(|d| d.fields.clone())
                .unwrap_or_default()
        })
    };
    let error = move || actions.save_link.value().get().and_then(|r| r.err());
    let select = move |name: String, label: String, id: String| {
        let for_id = id.clone();
        view! {
            <div class="field">
                <label for=for_id>{label}</label>
                <select id=id name=name>
                    <option value="">"— not mapped —"</option>
                    {move || fields()
                        .into_iter()
                        .map(|f| view! { <option value=f.clone()>{f.clone()}</option> })
                        .collect_view()}
                </select>
            </div>
        }
    };
    view! {
        <section class="card" aria-labelledby="attach-title">
            <div class="card-header">
                <h2 class="card-title" id="attach-title">"Attach a Data Source"</h2>
            </div>
            <div class="card-body">
                <ActionForm action=actions.save_link attr:class="form form-grid">
                    <input type="hidden" name="campaign_id" value=campaign_id.to_string() />
                    <div class="field">
                        <label for="link-source">"Data Source"</label>
                        <select
                            id="link-source"
                            name="data_source_id"
                            on:change=move |ev| chosen.set(event_target_value(&ev).parse().ok())
                        >
                            {available
                                .iter()
                                .map(|d| view! {
                                    <option value=d.id.to_string()>{format!("{} ({})", d.name, d.object)}</option>
                                })
                                .collect_view()}
                        </select>
                    </div>
                    {phone_slots
                        .iter()
                        .enumerate()
                        .map(|(i, slot)| select(
                            format!("phones[{slot}]"),
                            format!("Phone: {slot}"),
                            format!("link-phone-{i}"),
                        ))
                        .collect_view()}
                    {custom_fields
                        .iter()
                        .enumerate()
                        .map(|(i, custom)| select(
                            format!("custom_fields[{custom}]"),
                            format!("Custom field: {custom}"),
                            format!("link-custom-{i}"),
                        ))
                        .collect_view()}
                    <div class="form-actions">
                        <button type="submit" class="btn btn-primary">"Attach"</button>
                    </div>
                </ActionForm>
                {move || error().map(|e| view! { <Alert kind=AlertKind::Error>{e.to_string()}</Alert> })}
            </div>
        </section>
    }
    .into_any()
}

//! `/admin/campaigns/:id`: one campaign. Its dial-readiness, and four tabs (a query
//! parameter, so each works without JavaScript): its records (paged, searchable, each with
//! Record call), its calls and their write-back to Salesforce (DS-05), its Data Sources (the
//! Links, DS-02) and its settings. Counts, records and calls update live (DS-03).

mod calls;
mod links;
pub mod readiness;
mod records;
mod settings;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::{
    api::{RecordCall, RemoveLink, RetryCall, SaveLink, UpdateCampaign, campaign_page},
    components::notice::ErrorNotice,
    types::CampaignPageView,
};

use self::{
    calls::CallsTab, links::LinksTab, readiness::ReadinessSummary, records::RecordsTab,
    settings::SettingsTab,
};

/// The page's tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tab {
    Records,
    Calls,
    DataSources,
    Settings,
}

impl Tab {
    fn parse(code: Option<&str>) -> Tab {
        match code {
            Some("calls") => Tab::Calls,
            Some("data-sources") => Tab::DataSources,
            Some("settings") => Tab::Settings,
            _ => Tab::Records,
        }
    }

    fn code(self) -> &'static str {
        match self {
            Tab::Records => "records",
            Tab::Calls => "calls",
            Tab::DataSources => "data-sources",
            Tab::Settings => "settings",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Tab::Records => "Records",
            Tab::Calls => "Calls",
            Tab::DataSources => "Data Sources",
            Tab::Settings => "Settings",
        }
    }
}

/// The actions of the page; each one's completion re-reads the page.
#[derive(Clone, Copy)]
struct Actions {
    save_link: ServerAction<SaveLink>,
    /// Counts the changes made elsewhere on the page (a Link card's own Edit mappings): each
    /// one re-reads the page.
    changed: RwSignal<u32>,
    remove_link: ServerAction<RemoveLink>,
    update: ServerAction<UpdateCampaign>,
    record_call: ServerAction<RecordCall>,
    retry_call: ServerAction<RetryCall>,
}

#[component]
pub fn CampaignPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.with(|p| p.get("id").and_then(|id| id.parse::<i64>().ok()));
    // Re-read the page after each action that changed something; a refused one leaves the
    // page (and the admin's half-filled form) as it is.
    let changes = RwSignal::new(0u32);
    let actions = Actions {
        save_link: ServerAction::new(),
        changed: changes,
        remove_link: ServerAction::new(),
        update: ServerAction::new(),
        record_call: ServerAction::new(),
        retry_call: ServerAction::new(),
    };
    let count_success = move |succeeded: bool| {
        if succeeded {
            changes.update(|n| *n += 1);
        }
    };
    Effect::new(move |_| {
        count_success(actions.save_link.value().with(|v| matches!(v, Some(Ok(_)))))
    });
    Effect::new(move |_| {
        count_success(
            actions
                .remove_link
                .value()
                .with(|v| matches!(v, Some(Ok(_)))),
        )
    });
    Effect::new(move |_| count_success(actions.update.value().with(|v| matches!(v, Some(Ok(_))))));
    Effect::new(move |_| {
        count_success(
            actions
                .retry_call
                .value()
                .with(|v| matches!(v, Some(Ok(_)))),
        )
    });
    // A recorded call: to the Calls tab, where its write-back shows (and the page re-reads).
    Effect::new(move |_| {
        if actions
            .record_call
            .value()
            .with(|v| matches!(v, Some(Ok(_))))
            && let Some(id) = id()
        {
            let navigate = leptos_router::hooks::use_navigate();
            navigate(
                &format!("/admin/campaigns/{id}?tab=calls"),
                Default::default(),
            );
            changes.update(|n| *n += 1);
        }
    });
    let page = Resource::new(
        move || {
            (
                id(),
                query.with(|q| q.get("q")),
                query.with(|q| q.get("page").and_then(|p| p.parse::<u64>().ok())),
                changes.get(),
            )
        },
        |(id, search, page, _)| async move {
            match id {
                Some(id) => campaign_page(id, search, page).await,
                None => Err(crate::error::AppError::NotFound("That campaign".into())),
            }
        },
    );
    Effect::new(move |_| {
        crate::browser::follow_status_events(move |event| {
            if id().is_some_and(|id| event.concerns_campaign(Some(id))) {
                page.refetch();
            }
        });
    });
    let tab = move || Tab::parse(query.with(|q| q.get("tab")).as_deref());
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(view) => view! { <CampaignView view tab=tab() actions /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn CampaignView(view: CampaignPageView, tab: Tab, actions: Actions) -> impl IntoView {
    let campaign = view.campaign.clone();
    let base = format!("/admin/campaigns/{}", campaign.id);
    let tabs = [Tab::Records, Tab::Calls, Tab::DataSources, Tab::Settings]
        .into_iter()
        .map(|t| {
            let href = format!("{base}?tab={}", t.code());
            view! {
                <a class="tab" href=href aria-current=(t == tab).then_some("page")>
                    {t.label()}
                </a>
            }
        })
        .collect_view();
    let body = match tab {
        Tab::Records => view! {
            <RecordsTab
                campaign_id=campaign.id
                records=view.records.clone()
                calls_enabled=view.data_sources_enabled
                record_call=actions.record_call
            />
        }
        .into_any(),
        Tab::Calls => {
            view! { <CallsTab campaign_id=campaign.id calls=view.calls.clone() retry=actions.retry_call /> }
                .into_any()
        }
        Tab::DataSources => view! { <LinksTab view=view.clone() actions /> }.into_any(),
        Tab::Settings => {
            view! { <SettingsTab campaign=campaign.clone() update=actions.update /> }.into_any()
        }
    };
    view! {
        <Title text=campaign.name.clone() />
        <header class="page-header">
            <p class="breadcrumb">
                <a href="/admin/campaigns">"Campaigns"</a>
            </p>
            <h1 class="page-title">{campaign.name.clone()}</h1>
            <p class="page-lead">
                {format!(
                    "Phone slots: {} · Region: {}",
                    campaign.phone_slots.join(", "),
                    campaign.region,
                )}
            </p>
        </header>
        <ReadinessSummary counts=campaign.counts.clone() />
        <nav class="tabs" aria-label="Campaign">{tabs}</nav>
        {body}
    }
}

/// "1 record", "0 records", "12 records".
fn record_count(total: impl Into<i128>) -> String {
    match total.into() {
        1 => "1 record".to_owned(),
        total => format!("{total} records"),
    }
}

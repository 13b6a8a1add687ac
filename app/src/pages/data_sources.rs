//! `/admin/data-sources`: the organization's Data Sources (DS-01), each a named, filtered
//! view of one synced object, with the campaigns it feeds; and where new ones start.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api::{DeleteDataSource, data_sources_page},
    components::{
        alert::{Alert, AlertKind},
        notice::ErrorNotice,
    },
    types::{DataSourceView, DataSourcesView},
};

#[component]
pub fn DataSourcesPage() -> impl IntoView {
    let delete = ServerAction::<DeleteDataSource>::new();
    let page = Resource::new(move || delete.version().get(), |_| data_sources_page());
    let delete_error = move || delete.value().get().and_then(|r| r.err());
    view! {
        <Title text="Data Sources" />
        <header class="page-header">
            <h1 class="page-title">"Data Sources"</h1>
            <p class="page-lead">
                "Named, filtered views of a synced Salesforce object. Attach them to campaigns from each campaign's Data Sources tab."
            </p>
        </header>
        {move || delete_error().map(|e| view! { <Alert kind=AlertKind::Error>{e.to_string()}</Alert> })}
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(view) => view! { <DataSourceList view delete /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn DataSourceList(view: DataSourcesView, delete: ServerAction<DeleteDataSource>) -> impl IntoView {
    let new_buttons = view
        .org_syncs
        .iter()
        .map(|(id, object)| {
            view! {
                <a class="btn btn-primary" href=format!("/admin/data-sources/new?org_sync={id}")>
                    {format!("New {object} Data Source")}
                </a>
            }
        })
        .collect_view();
    let no_syncs = view.org_syncs.is_empty();
    view! {
        <div class="stack">
            {if view.data_sources.is_empty() {
                view! {
                    <div class="empty-state">
                        <h3>"No Data Sources yet"</h3>
                        <p>
                            {if no_syncs {
                                "Add an Org Sync for Contact or Lead on the Integrations page (Sync Settings) first."
                            } else {
                                "Create one for a synced object below."
                            }}
                        </p>
                    </div>
                }
                .into_any()
            } else {
                view! { <DataSourceTable rows=view.data_sources.clone() delete /> }.into_any()
            }}
            <div class="row">{new_buttons}</div>
        </div>
    }
}

#[component]
fn DataSourceTable(
    rows: Vec<DataSourceView>,
    delete: ServerAction<DeleteDataSource>,
) -> impl IntoView {
    view! {
        <div class="card">
            <table class="table" aria-label="Data Sources">
                <thead>
                    <tr>
                        <th>"Name"</th>
                        <th>"Object"</th>
                        <th>"Filter"</th>
                        <th>"Campaigns"</th>
                        <th></th>
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .map(|row| {
                            let campaigns = if row.campaigns.is_empty() {
                                "Not attached".to_string()
                            } else {
                                row.campaigns.join(", ")
                            };
                            view! {
                                <tr data-data-source=row.name.clone()>
                                    <td>
                                        <a href=format!("/admin/data-sources/{}", row.id)>{row.name.clone()}</a>
                                    </td>
                                    <td>{row.object.clone()}</td>
                                    <td class="cell-muted filter-text">{row.filter_text.clone()}</td>
                                    <td class="cell-muted">{campaigns}</td>
                                    <td class="cell-actions">
                                        <ActionForm action=delete>
                                            <input type="hidden" name="id" value=row.id.to_string() />
                                            <button
                                                type="submit"
                                                class="btn btn-link"
                                                on:click=|ev| {
                                                    if !crate::browser::confirm(
                                                        "Delete this Data Source and detach it from its campaigns? Records already imported stay.",
                                                    ) {
                                                        ev.prevent_default();
                                                    }
                                                }
                                            >
                                                "Delete"
                                            </button>
                                        </ActionForm>
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}

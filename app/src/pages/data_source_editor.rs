//! `/admin/data-sources/new?org_sync=<id>` and `/admin/data-sources/<id>`: build a Data Source
//! (DS-01): its name, the fields it reads, and a filter of conditions in AND/OR groups over
//! the object's fields (from Salesforce's describe). **Preview** counts the mirrored records
//! that match and shows the first few, before anything is saved; once shown, the preview
//! follows every change of the form.
//!
//! The editor is interactive (conditions and groups come and go as the admin builds the
//! filter), so it needs JavaScript; without it the page says so.

use filters::{Combine, Condition, FieldInfo, Filter, FilterItem, Op};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

use crate::{
    api::{PreviewDataSource, SaveDataSource, data_source_editor},
    components::{
        alert::{Alert, AlertKind},
        notice::ErrorNotice,
    },
    types::{DataSourceEditorView, DataSourceForm, PreviewView, op_code, op_from_code},
};

#[component]
pub fn DataSourceEditorPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let editor = Resource::new(
        move || {
            (
                params.with(|p| p.get("id").and_then(|id| id.parse::<i64>().ok())),
                query.with(|q| q.get("org_sync").and_then(|id| id.parse::<i64>().ok())),
            )
        },
        |(id, org_sync)| data_source_editor(id, org_sync),
    );
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match editor.await {
                    Ok(view) => view! { <Editor view /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// One condition row; each part is its own signal so typing never re-renders the list.
#[derive(Clone, Copy)]
struct Row {
    key: u64,
    field: RwSignal<String>,
    op: RwSignal<String>,
    value: RwSignal<String>,
}

/// One group of conditions.
#[derive(Clone, Copy)]
struct Group {
    key: u64,
    combine: RwSignal<Combine>,
    rows: RwSignal<Vec<Row>>,
}

/// Hands out keys for `<For>`.
#[derive(Clone, Copy)]
struct Keys(StoredValue<u64>);

impl Keys {
    fn next(self) -> u64 {
        self.0.update_value(|k| *k += 1);
        self.0.get_value()
    }

    fn row(self, condition: Option<&Condition>) -> Row {
        let (field, op, value) = match condition {
            Some(c) => (
                c.field.clone(),
                op_code(c.op).to_string(),
                if c.values.is_empty() {
                    c.value.clone()
                } else {
                    c.values.join(", ")
                },
            ),
            None => (
                String::new(),
                op_code(Op::Equals).to_string(),
                String::new(),
            ),
        };
        Row {
            key: self.next(),
            field: RwSignal::new(field),
            op: RwSignal::new(op),
            value: RwSignal::new(value),
        }
    }

    fn group(self, combine: Combine, conditions: &[&Condition]) -> Group {
        let rows = if conditions.is_empty() {
            vec![self.row(None)]
        } else {
            conditions.iter().map(|c| self.row(Some(c))).collect()
        };
        Group {
            key: self.next(),
            combine: RwSignal::new(combine),
            rows: RwSignal::new(rows),
        }
    }
}

/// The groups a stored filter shows as: top-level conditions form one group; nested groups
/// their own.
fn groups_of(filter: &Filter, keys: Keys) -> (Combine, Vec<Group>) {
    let conditions: Vec<&Condition> = filter
        .items
        .iter()
        .filter_map(|i| match i {
            FilterItem::Condition(c) => Some(c),
            FilterItem::Group(_) => None,
        })
        .collect();
    let nested: Vec<&Filter> = filter
        .items
        .iter()
        .filter_map(|i| match i {
            FilterItem::Group(g) => Some(g),
            FilterItem::Condition(_) => None,
        })
        .collect();
    if nested.is_empty() {
        return (Combine::All, vec![keys.group(filter.combine, &conditions)]);
    }
    let mut groups = Vec::new();
    if !conditions.is_empty() {
        groups.push(keys.group(filter.combine, &conditions));
    }
    for group in nested {
        let inner: Vec<&Condition> = group
            .items
            .iter()
            .filter_map(|i| match i {
                FilterItem::Condition(c) => Some(c),
                FilterItem::Group(_) => None,
            })
            .collect();
        groups.push(keys.group(group.combine, &inner));
    }
    (filter.combine, groups)
}

/// How long the live preview waits after a change before it asks again.
const LIVE_PREVIEW_DELAY: std::time::Duration = std::time::Duration::from_millis(600);

/// Subscribes the running effect to every part of the filter being built.
fn track_filter(between: RwSignal<Combine>, groups: RwSignal<Vec<Group>>) {
    between.track();
    groups.with(|groups| {
        for group in groups {
            group.combine.track();
            group.rows.with(|rows| {
                for row in rows {
                    row.field.track();
                    row.op.track();
                    row.value.track();
                }
            });
        }
    });
}

/// The filter the rows describe (rows without a field are left out).
fn filter_of(between: Combine, groups: &[Group]) -> Filter {
    let built: Vec<Filter> = groups
        .iter()
        .map(|g| Filter {
            combine: g.combine.get_untracked(),
            items: g
                .rows
                .get_untracked()
                .iter()
                .filter_map(condition_of)
                .map(FilterItem::Condition)
                .collect(),
        })
        .filter(|f| !f.items.is_empty())
        .collect();
    match built.len() {
        0 => Filter::default(),
        1 => built.into_iter().next().unwrap_or_default(),
        _ => Filter {
            combine: between,
            items: built
                .into_iter()
                .map(|mut f| {
                    if f.items.len() == 1 {
                        f.items.remove(0)
                    } else {
                        FilterItem::Group(f)
                    }
                })
                .collect(),
        },
    }
}

fn condition_of(row: &Row) -> Option<Condition> {
    let field = row.field.get_untracked();
    if field.trim().is_empty() {
        return None;
    }
    let op = op_from_code(&row.op.get_untracked()).unwrap_or(Op::Equals);
    let value = row.value.get_untracked();
    Some(match op {
        Op::In | Op::NotIn => Condition::list(
            field,
            op,
            value
                .split(',')
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned),
        ),
        _ => Condition::new(field, op, value.trim()),
    })
}

#[component]
fn Editor(view: DataSourceEditorView) -> impl IntoView {
    let keys = Keys(StoredValue::new(0));
    let existing = view.data_source.clone();
    let id = existing.as_ref().map(|d| d.id);
    let name = RwSignal::new(
        existing
            .as_ref()
            .map(|d| d.name.clone())
            .unwrap_or_default(),
    );
    let chosen = RwSignal::new(
        existing
            .as_ref()
            .map(|d| d.fields.clone())
            .unwrap_or_default(),
    );
    let (between, groups) = groups_of(
        &existing
            .as_ref()
            .map(|d| d.filter.clone())
            .unwrap_or_default(),
        keys,
    );
    let between = RwSignal::new(between);
    let groups = RwSignal::new(groups);
    let fields = StoredValue::new(view.fields.clone());
    let org_sync_id = view.org_sync_id;
    let form = move || DataSourceForm {
        org_sync_id,
        name: name.get_untracked(),
        fields: chosen.get_untracked(),
        filter: filter_of(between.get_untracked(), &groups.get_untracked()),
    };
    let preview = ServerAction::<PreviewDataSource>::new();
    let save = ServerAction::<SaveDataSource>::new();
    // Once previewed, the preview is live: it follows every change of the form, a moment
    // after the last one (typing a value sends one request, not one per key).
    let live = RwSignal::new(false);
    let changes = StoredValue::new(0u64);
    let run_preview = move || {
        changes.update_value(|n| *n += 1);
        live.set(true);
        preview.dispatch(PreviewDataSource { id, form: form() });
    };
    Effect::new(move |_| {
        name.track();
        chosen.track();
        track_filter(between, groups);
        if !live.get_untracked() {
            return;
        }
        changes.update_value(|n| *n += 1);
        let this_change = changes.get_value();
        let timer = set_timeout_with_handle(
            move || {
                // A press of Preview since this change has asked already.
                if changes.get_value() == this_change {
                    preview.dispatch(PreviewDataSource { id, form: form() });
                }
            },
            LIVE_PREVIEW_DELAY,
        )
        .ok();
        // The next change, or leaving the editor, cancels this one's wait: the form's values
        // are gone once the editor is.
        on_cleanup(move || {
            if let Some(timer) = timer {
                timer.clear();
            }
        });
    });
    Effect::new(move |_| {
        if save.value().get().is_some_and(|r| r.is_ok()) {
            use_navigate()("/admin/data-sources", Default::default());
        }
    });
    let title = match &existing {
        Some(d) => format!("Edit {}", d.name),
        None => format!("New {} Data Source", view.object),
    };
    view! {
        <Title text=title.clone() />
        <header class="page-header">
            <p class="breadcrumb"><a href="/admin/data-sources">"Data Sources"</a></p>
            <h1 class="page-title">{title}</h1>
            <p class="page-lead">
                {format!("A named, filtered view of the synced {} records.", view.object)}
            </p>
        </header>
        <noscript>
            <div class="alert alert-warning" role="status">
                "The Data Source editor needs JavaScript. Turn it on to build filters and preview them."
            </div>
        </noscript>
        {view.describe_error.clone().map(|message| view! {
            <Alert kind=AlertKind::Warning title="Salesforce fields unavailable">{message}</Alert>
        })}
        <section class="card" aria-labelledby="ds-basics">
            <div class="card-body stack">
                <h2 class="section-title" id="ds-basics">"Name and fields"</h2>
                <div class="field">
                    <label for="ds-name">"Name"</label>
                    <input
                        id="ds-name"
                        maxlength="100"
                        placeholder="US-based leads owned by the Sales team"
                        prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev))
                    />
                </div>
                <fieldset class="field-list">
                    <legend class="field-label">"Fields it reads"</legend>
                    <div class="checkbox-grid">
                        {move || fields.with_value(|all| all.iter().map(|f| field_checkbox(f, chosen)).collect_view())}
                    </div>
                </fieldset>
            </div>
        </section>
        <section class="card" aria-labelledby="ds-filter">
            <div class="card-body stack">
                <h2 class="section-title" id="ds-filter">"Filter"</h2>
                <div class="row">
                    <label for="ds-between">"Records must match"</label>
                    <select
                        id="ds-between"
                        on:change=move |ev| between.set(combine_of(&event_target_value(&ev)))
                        prop:value=move || combine_code(between.get())
                    >
                        <option value="all">"all groups (AND)"</option>
                        <option value="any">"any group (OR)"</option>
                    </select>
                </div>
                <For each=move || groups.get() key=|g| g.key let:group>
                    <GroupEditor group groups fields keys />
                </For>
                <div class="row">
                    <button
                        type="button"
                        class="btn btn-secondary btn-small"
                        on:click=move |_| groups.update(|all| all.push(keys.group(Combine::All, &[])))
                    >
                        "Add group"
                    </button>
                </div>
            </div>
            <div class="card-footer">
                <button
                    type="button"
                    class="btn btn-secondary"
                    on:click=move |_| run_preview()
                >
                    "Preview"
                </button>
                <button
                    type="button"
                    class="btn btn-primary"
                    on:click=move |_| { save.dispatch(SaveDataSource { id, form: form() }); }
                >
                    "Save Data Source"
                </button>
            </div>
        </section>
        {move || save.value().get().and_then(|r| r.err()).map(|e| view! {
            <Alert kind=AlertKind::Error attr:data-testid="save-error">{e.to_string()}</Alert>
        })}
        {move || preview.value().get().map(|result| match result {
            Ok(found) => view! { <PreviewPanel found /> }.into_any(),
            Err(e) => view! { <Alert kind=AlertKind::Error>{e.to_string()}</Alert> }.into_any(),
        })}
    }
}

fn field_checkbox(field: &FieldInfo, chosen: RwSignal<Vec<String>>) -> impl IntoView + use<> {
    let name = field.name.clone();
    let checked_name = name.clone();
    let id = format!("ds-field-{name}");
    let label_for = id.clone();
    view! {
        <label class="checkbox" for=label_for>
            <input
                type="checkbox"
                id=id
                value=name.clone()
                prop:checked=move || chosen.with(|c| c.contains(&checked_name))
                on:change=move |ev| {
                    let on = event_target_checked(&ev);
                    chosen.update(|c| {
                        c.retain(|f| f != &name);
                        if on {
                            c.push(name.clone());
                        }
                    });
                }
            />
            <span>{field.label.clone()}</span>
            <span class="cell-muted mono">{field.name.clone()}</span>
        </label>
    }
}

#[component]
fn GroupEditor(
    group: Group,
    groups: RwSignal<Vec<Group>>,
    fields: StoredValue<Vec<FieldInfo>>,
    keys: Keys,
) -> impl IntoView {
    let key = group.key;
    view! {
        <div class="filter-group" data-group=key.to_string()>
            <div class="row">
                <select
                    aria-label="Conditions in this group must match"
                    on:change=move |ev| group.combine.set(combine_of(&event_target_value(&ev)))
                    prop:value=move || combine_code(group.combine.get())
                >
                    <option value="all">"All of these (AND)"</option>
                    <option value="any">"Any of these (OR)"</option>
                </select>
                <span class="spacer"></span>
                <button
                    type="button"
                    class="btn btn-link"
                    on:click=move |_| groups.update(|all| all.retain(|g| g.key != key))
                >
                    "Remove group"
                </button>
            </div>
            <For each=move || group.rows.get() key=|r| r.key let:row>
                <RowEditor row group fields />
            </For>
            <button
                type="button"
                class="btn btn-link"
                on:click=move |_| group.rows.update(|rows| rows.push(keys.row(None)))
            >
                "Add condition"
            </button>
        </div>
    }
}

#[component]
fn RowEditor(row: Row, group: Group, fields: StoredValue<Vec<FieldInfo>>) -> impl IntoView {
    let key = row.key;
    view! {
        <div class="filter-row" data-row=key.to_string()>
            <select
                aria-label="Field"
                class="filter-field"
                on:change=move |ev| row.field.set(event_target_value(&ev))
                prop:value=move || row.field.get()
            >
                <option value="">"Choose a field"</option>
                {fields.with_value(|all| all.iter().map(|f| {
                    let selected = row.field.get_untracked() == f.name;
                    view! { <option value=f.name.clone() selected=selected>{format!("{} ({})", f.label, f.name)}</option> }
                }).collect_view())}
            </select>
            <select
                aria-label="Operator"
                class="filter-op"
                on:change=move |ev| row.op.set(event_target_value(&ev))
                prop:value=move || row.op.get()
            >
                {Op::ALL.into_iter().map(|op| {
                    let selected = row.op.get_untracked() == op_code(op);
                    view! { <option value=op_code(op) selected=selected>{op.label()}</option> }
                }).collect_view()}
            </select>
            <input
                aria-label="Value"
                class="filter-value"
                placeholder=move || match op_from_code(&row.op.get()) {
                    Some(Op::In | Op::NotIn) => "Values, comma-separated",
                    _ => "Value",
                }
                disabled=move || matches!(op_from_code(&row.op.get()), Some(Op::IsEmpty | Op::IsNotEmpty))
                prop:value=move || row.value.get()
                on:input=move |ev| row.value.set(event_target_value(&ev))
            />
            <button
                type="button"
                class="icon-btn"
                aria-label="Remove condition"
                on:click=move |_| group.rows.update(|rows| rows.retain(|r| r.key != key))
            >
                <span aria-hidden="true">"×"</span>
            </button>
        </div>
    }
}

#[component]
fn PreviewPanel(found: PreviewView) -> impl IntoView {
    let columns: Vec<String> = found
        .sample
        .first()
        .map(|r| r.values.iter().map(|(f, _)| f.clone()).collect())
        .unwrap_or_default();
    view! {
        <section class="card" aria-labelledby="preview-title" data-testid="preview">
            <div class="card-body stack">
                <h2 class="section-title" id="preview-title">"Preview"</h2>
                <p class="preview-count">
                    {format!("{} of {} mirrored records match.", found.matching, found.mirrored)}
                </p>
                {found.soql_where.clone().map(|soql| view! { <p class="cell-muted mono">{format!("WHERE {soql}")}</p> })}
            </div>
            {(!found.sample.is_empty()).then(|| view! {
                <table class="table" aria-label="First matching records">
                    <thead>
                        <tr>
                            <th>"Name"</th>
                            {columns.iter().map(|c| view! { <th>{c.clone()}</th> }).collect_view()}
                        </tr>
                    </thead>
                    <tbody>
                        {found.sample.iter().map(|r| view! {
                            <tr>
                                <td>{r.name.clone()}<div class="cell-muted mono">{r.sf_id.clone()}</div></td>
                                {r.values.iter().map(|(_, v)| view! { <td>{v.clone()}</td> }).collect_view()}
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            })}
        </section>
    }
}

fn combine_of(code: &str) -> Combine {
    if code == "any" {
        Combine::Any
    } else {
        Combine::All
    }
}

fn combine_code(combine: Combine) -> &'static str {
    match combine {
        Combine::All => "all",
        Combine::Any => "any",
    }
}

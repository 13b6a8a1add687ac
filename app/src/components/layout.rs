//! The Admin module's frame: top bar, sidebar navigation, and the page outlet.
//!
//! The server already redirects anonymous visitors to the sign-in page; this layout also
//! covers a session that ended while the page was open, and viewers ("Not allowed").

use leptos::prelude::*;
use leptos_router::{components::Outlet, hooks::use_location};

use crate::{
    api::current_session,
    components::notice::ErrorNotice,
    error::AppError,
    types::{Role, SessionView},
};

/// Frame of every `/admin/...` page.
#[component]
pub fn AdminLayout() -> impl IntoView {
    let session = Resource::new(|| (), |_| current_session());
    view! {
        <div class="shell">
            <Suspense fallback=|| view! { <div class="topbar"></div> }>
                {move || Suspend::new(async move {
                    match session.await {
                        Ok(session) if session.role == Role::Admin => {
                            view! { <AdminFrame session /> }.into_any()
                        }
                        Ok(session) => {
                            view! {
                                <TopBar session />
                                // No sidebar for viewers: center the notice on the page.
                                <main class="content content-centered">
                                    <ErrorNotice error=AppError::Forbidden />
                                </main>
                            }
                                .into_any()
                        }
                        Err(error) => {
                            view! {
                                <main class="content content-centered">
                                    <ErrorNotice error />
                                </main>
                            }
                                .into_any()
                        }
                    }
                })}
            </Suspense>
        </div>
    }
}

#[component]
fn AdminFrame(session: SessionView) -> impl IntoView {
    let integrations = session.integrations_enabled;
    view! {
        <TopBar session />
        <div class="layout">
            <aside class="sidebar">
                <div class="sidebar-title">"Admin"</div>
                <nav class="sidebar-nav" aria-label="Admin">
                    <Show when=move || integrations>
                        <NavLink href="/admin/integrations" label="Integrations" />
                    </Show>
                    <NavLink href="/admin/oauth-tokens" label="OAuth Tokens" />
                    <NavLink href="/admin/campaigns" label="Campaigns" />
                    <Show when=move || integrations>
                        <NavLink href="/admin/data-sources" label="Data Sources" />
                    </Show>
                    <NavLink href="/admin/api-keys" label="API Keys" />
                </nav>
            </aside>
            <main class="content">
                <Outlet />
            </main>
        </div>
    }
}

#[component]
fn TopBar(session: SessionView) -> impl IntoView {
    view! {
        <header class="topbar">
            <a class="brand" href="/admin/integrations">
                <img class="brand-mark" src="/favicon.svg" alt="" width="24" height="24" />
                "orgsync"
            </a>
            <span class="topbar-spacer"></span>
            <div class="user-menu">
                <span class="user-name">{session.username}</span>
                <span class="role-badge">{session.role.as_str()}</span>
                <span class="muted">{session.organization}</span>
                // A plain form: sign-out works with or without JavaScript.
                <form method="post" action="/auth/logout">
                    <button type="submit" class="btn btn-ghost">
                        "Sign out"
                    </button>
                </form>
            </div>
        </header>
    }
}

#[component]
fn NavLink(href: &'static str, label: &'static str) -> impl IntoView {
    let location = use_location();
    let current = move || (location.pathname.get() == href).then_some("page");
    view! {
        <a class="nav-link" href=href aria-current=current>
            {label}
        </a>
    }
}

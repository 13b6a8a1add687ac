//! The orgsync user interface: pages, components and the server functions they call.
//!
//! Compiled twice: with `ssr` into the server binary and with `hydrate` into the wasm bundle.
//! Everything that only exists on the server (the console trait, the caller) lives in [`ssr`].

pub mod api;
mod browser;
pub mod components;
pub mod error;
pub mod pages;
pub mod types;

#[cfg(feature = "ssr")]
pub mod ssr;

use leptos::prelude::*;
use leptos_meta::{Link, MetaTags, Title, provide_meta_context};
use leptos_router::{
    SsrMode,
    components::{ParentRoute, Redirect, Route, Router, Routes},
    path,
};

use crate::{
    components::layout::AdminLayout,
    pages::{
        api_keys::ApiKeysPage, campaign::CampaignPage, campaigns::CampaignsPage,
        data_source_editor::DataSourceEditorPage, data_sources::DataSourcesPage,
        integrations::IntegrationsPage, login::LoginPage, not_found::NotFoundPage,
        oauth_tokens::OAuthTokensPage, setup::SetupPage,
    },
};

/// In a page render's context: leave the hydration scripts out. For a page that answers a
/// form's POST at a URL the client router does not know (`/auth/login` answering 429 with the
/// sign-in form): hydrating it would render another route than the server did and panic. The
/// page works as plain HTML, like every page without JavaScript.
#[derive(Clone, Copy, Debug)]
pub struct WithoutHydration;

/// The HTML document around the app: the server renders it once per page request.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let hydrate = use_context::<WithoutHydration>().is_none();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                {hydrate.then(|| view! { <HydrationScripts options /> })}
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The router: public sign-in pages and the Admin module.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Link rel="stylesheet" id="orgsync-css" href="/pkg/orgsync.css" />
        <Title formatter=|page: String| format!("{page} · orgsync") />
        <Router>
            <Routes fallback=NotFoundPage>
                <Route path=path!("/") view=|| view! { <Redirect path="/admin/integrations" /> } />
                <Route path=path!("/login") view=LoginPage />
                <Route path=path!("/setup") view=SetupPage />
                // Admin pages wait for their data before sending HTML (`Async`): the store
                // answers in milliseconds, and the pages then work without JavaScript too.
                <ParentRoute path=path!("/admin") view=AdminLayout ssr=SsrMode::Async>
                    <Route path=path!("") view=|| view! { <Redirect path="/admin/integrations" /> } />
                    <Route path=path!("integrations") view=IntegrationsPage ssr=SsrMode::Async />
                    <Route path=path!("oauth-tokens") view=OAuthTokensPage ssr=SsrMode::Async />
                    <Route path=path!("campaigns") view=CampaignsPage ssr=SsrMode::Async />
                    <Route path=path!("campaigns/:id") view=CampaignPage ssr=SsrMode::Async />
                    <Route path=path!("data-sources") view=DataSourcesPage ssr=SsrMode::Async />
                    <Route path=path!("data-sources/new") view=DataSourceEditorPage ssr=SsrMode::Async />
                    <Route path=path!("data-sources/:id") view=DataSourceEditorPage ssr=SsrMode::Async />
                    <Route path=path!("api-keys") view=ApiKeysPage ssr=SsrMode::Async />
                </ParentRoute>
            </Routes>
        </Router>
    }
}

//! `/login`: the sign-in page. A plain HTML form posting to `/auth/login`, so it works
//! before (and without) hydration; errors come back as `?error=<code>`.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{components::password_field::PasswordField, types::FormError};

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let error = move || query.with(|q| q.get("error").and_then(|c| FormError::from_code(&c)));
    let next = move || query.with(|q| q.get("next").unwrap_or_default());
    view! {
        <Title text="Sign in" />
        <main class="auth-page">
            <div class="auth-card card">
                <AuthBrand />
                <h1>"Sign in to orgsync"</h1>
                {move || {
                    error()
                        .map(|e| {
                            view! {
                                <div class="alert alert-error" role="alert">
                                    {e.message()}
                                </div>
                            }
                        })
                }}
                <form class="form" method="post" action="/auth/login">
                    <input type="hidden" name="next" value=next />
                    <div class="field">
                        <label for="username">"Username"</label>
                        <input id="username" name="username" type="text" autocomplete="username" required />
                    </div>
                    <PasswordField id="password" name="password" label="Password" />
                    <button type="submit" class="btn btn-primary btn-block">
                        "Sign in"
                    </button>
                </form>
                <p class="auth-footer">
                    "Accounts are created by your orgsync administrator."
                </p>
            </div>
        </main>
    }
}

/// The logo and product name above the sign-in and first-run forms.
#[component]
pub fn AuthBrand() -> impl IntoView {
    view! {
        <div class="auth-brand">
            <img src="/favicon.svg" alt="" width="32" height="32" />
            <span>"orgsync"</span>
        </div>
    }
}

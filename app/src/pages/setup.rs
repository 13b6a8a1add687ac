//! `/setup`: first run. Creates the first organization and its administrator, which needs
//! the one-time setup code the server wrote to its data directory and log (README).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    components::password_field::PasswordField,
    pages::login::AuthBrand,
    types::{FormError, MIN_PASSWORD_LEN},
};

#[component]
pub fn SetupPage() -> impl IntoView {
    let query = use_query_map();
    let error = move || query.with(|q| q.get("error").and_then(|c| FormError::from_code(&c)));
    view! {
        <Title text="First run" />
        <main class="auth-page">
            <div class="auth-card card">
                <AuthBrand />
                <h1>"Create the first administrator"</h1>
                <p class="muted">
                    "orgsync has no users yet. Enter the one-time setup code from the file "
                    <code>"setup-code"</code>
                    " in the server's data directory, then name your organization and its first administrator."
                </p>
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
                <form class="form" method="post" action="/auth/setup">
                    <div class="field">
                        <label for="setup_code">"Setup code"</label>
                        <input id="setup_code" name="setup_code" type="text" autocomplete="off" required />
                    </div>
                    <div class="field">
                        <label for="organization">"Organization name"</label>
                        <input id="organization" name="organization" type="text" required />
                    </div>
                    <div class="field">
                        <label for="username">"Username"</label>
                        <input id="username" name="username" type="text" autocomplete="username" required />
                    </div>
                    <PasswordField id="password" name="password" label="Password" autocomplete="new-password" />
                    <PasswordField id="confirm" name="confirm" label="Confirm password" autocomplete="new-password" />
                    <p class="field-hint">{format!("At least {MIN_PASSWORD_LEN} characters.")}</p>
                    <button type="submit" class="btn btn-primary btn-block">
                        "Create administrator"
                    </button>
                </form>
            </div>
        </main>
    }
}

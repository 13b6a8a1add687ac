//! A password input with a Show/Hide button (it works once the page has hydrated).

use leptos::prelude::*;

/// A labelled password input whose visibility the user can toggle.
#[component]
pub fn PasswordField(
    /// The input's id (also used by its label).
    id: &'static str,
    /// The form field name.
    name: &'static str,
    /// The visible label.
    label: &'static str,
    /// The browser autocomplete hint.
    #[prop(default = "current-password")]
    autocomplete: &'static str,
) -> impl IntoView {
    let (visible, set_visible) = signal(false);
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <div class="password-field">
                <input
                    id=id
                    name=name
                    type=move || if visible.get() { "text" } else { "password" }
                    autocomplete=autocomplete
                    required
                />
                <button
                    type="button"
                    class="btn btn-small btn-ghost"
                    aria-label=move || if visible.get() { "Hide password" } else { "Show password" }
                    on:click=move |_| set_visible.update(|v| *v = !*v)
                >
                    {move || if visible.get() { "Hide" } else { "Show" }}
                </button>
            </div>
        </div>
    }
}

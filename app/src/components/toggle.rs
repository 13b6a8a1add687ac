//! The enable switch: a real checkbox (so it posts without JavaScript) drawn as a switch.

use leptos::prelude::*;

/// A checkbox with `role="switch"`, posted as `<name>=true` when on and absent when off. The
/// visible On/Off text follows the box through CSS, so it is right before hydration too.
#[component]
pub fn Toggle(
    /// The form field name.
    #[prop(default = "enabled")]
    name: &'static str,
    /// The state the page was rendered with.
    checked: bool,
    /// The accessible name ("Enabled").
    #[prop(into)]
    label: String,
) -> impl IntoView {
    view! {
        <label class="toggle">
            <input type="checkbox" role="switch" name=name value="true" checked=checked aria-label=label />
            <span class="toggle-track" aria-hidden="true"></span>
            <span class="toggle-state" aria-hidden="true">
                <span class="toggle-on">"On"</span>
                <span class="toggle-off">"Off"</span>
            </span>
        </label>
    }
}

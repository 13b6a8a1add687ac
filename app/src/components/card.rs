//! A card: a titled white panel (one per integration on the Integrations page).

use leptos::prelude::*;

/// A `<section>` named by its title, with an optional logo and subtitle. Put [`CardBody`] and
/// [`CardFooter`] inside.
#[component]
pub fn Card(
    /// The title's element id (the section is labelled by it).
    id: &'static str,
    title: &'static str,
    #[prop(optional)] subtitle: Option<&'static str>,
    /// A one- or two-letter mark shown left of the title.
    #[prop(optional)]
    logo: Option<&'static str>,
    children: Children,
) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby=id>
            <div class="card-header">
                {logo.map(|logo| view! { <div class="card-logo" aria-hidden="true">{logo}</div> })}
                <div>
                    <h2 class="card-title" id=id>{title}</h2>
                    {subtitle.map(|subtitle| view! { <p class="card-subtitle">{subtitle}</p> })}
                </div>
            </div>
            {children()}
        </section>
    }
}

/// The card's content area.
#[component]
pub fn CardBody(children: Children) -> impl IntoView {
    view! { <div class="card-body">{children()}</div> }
}

/// The card's action bar (buttons, right-aligned, on a muted background).
#[component]
pub fn CardFooter(children: Children) -> impl IntoView {
    view! { <div class="card-footer">{children()}</div> }
}

//! A modal dialog whose open state lives in the URL (`?modal=…`, `?confirm=…`), so it opens,
//! closes and submits with or without JavaScript: closing is a link to the page without the
//! parameter. With JavaScript a click on the backdrop closes it too.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

/// How wide a [`Modal`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ModalSize {
    /// Confirmations (480 px).
    Narrow,
    /// The default (720 px).
    #[default]
    Normal,
    /// Settings with several controls per row (960 px).
    Wide,
}

impl ModalSize {
    fn class(self) -> &'static str {
        match self {
            ModalSize::Narrow => "modal modal-narrow",
            ModalSize::Normal => "modal",
            ModalSize::Wide => "modal modal-wide",
        }
    }
}

/// The buttons at the bottom of a [`Modal`].
#[slot]
pub struct ModalFooter {
    children: Children,
}

/// A `role="dialog"` box over a dimmed backdrop, with a header (title and close link), a body
/// and an optional footer.
#[component]
pub fn Modal(
    /// The title's element id (the dialog is labelled by it).
    #[prop(into)]
    id: String,
    #[prop(into)] title: String,
    /// Where closing leads: the page without the parameter that opened the dialog.
    #[prop(into)]
    close_href: String,
    #[prop(optional)] size: ModalSize,
    #[prop(optional)] modal_footer: Option<ModalFooter>,
    /// The body.
    children: Children,
) -> impl IntoView {
    let navigate = use_navigate();
    let backdrop_href = close_href.clone();
    let labelled_by = id.clone();
    // Only a click on the backdrop itself (not one that bubbled up from the dialog) closes it.
    let close_on_backdrop = move |ev: leptos::ev::MouseEvent| {
        if ev.target().is_some() && ev.target() == ev.current_target() {
            navigate(&backdrop_href, Default::default());
        }
    };
    view! {
        <div class="modal-backdrop" on:click=close_on_backdrop>
            <div class=size.class() role="dialog" aria-modal="true" aria-labelledby=labelled_by>
                <div class="modal-header">
                    <h2 id=id>{title}</h2>
                    <a class="modal-close" href=close_href aria-label="Close">
                        <span aria-hidden="true">"×"</span>
                    </a>
                </div>
                <div class="modal-body">{children()}</div>
                {modal_footer
                    .map(|footer| view! { <div class="modal-footer">{(footer.children)()}</div> })}
            </div>
        </div>
    }
}

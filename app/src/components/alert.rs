//! Alerts: a tinted box with an optional title, for outcomes, warnings and failures.

use leptos::prelude::*;

/// What an [`Alert`] reports; sets its colour and how assistive technology announces it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertKind {
    Success,
    Info,
    Warning,
    Error,
}

impl AlertKind {
    fn class(self) -> &'static str {
        match self {
            AlertKind::Success => "alert alert-success",
            AlertKind::Info => "alert alert-info",
            AlertKind::Warning => "alert alert-warning",
            AlertKind::Error => "alert alert-error",
        }
    }

    /// Failures interrupt (`alert`); everything else is a polite `status`.
    fn role(self) -> &'static str {
        match self {
            AlertKind::Error => "alert",
            _ => "status",
        }
    }
}

/// A message box. Extra attributes (`attr:data-…`) land on the box.
#[component]
pub fn Alert(
    kind: AlertKind,
    /// A short bold heading above the text.
    #[prop(optional, into)]
    title: Option<String>,
    /// The message.
    children: Children,
) -> impl IntoView {
    view! {
        <div class=kind.class() role=kind.role()>
            {title.map(|title| view! { <span class="alert-title">{title}</span> })}
            {children()}
        </div>
    }
}

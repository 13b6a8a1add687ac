//! Full-width notices: "Not allowed", a disabled feature, a failed load.

use leptos::prelude::*;

use crate::{
    components::alert::{Alert, AlertKind},
    error::AppError,
};

/// A centered notice with a title and one explanatory sentence.
#[component]
pub fn Notice(
    /// Heading of the notice.
    title: String,
    /// The explanation shown under it.
    message: String,
    /// A one-character icon.
    #[prop(default = "!")]
    icon: &'static str,
) -> impl IntoView {
    view! {
        <section class="notice">
            <div class="notice-icon" aria-hidden="true">{icon}</div>
            <h1>{title}</h1>
            <p>{message}</p>
        </section>
    }
}

/// Shows an [`AppError`] the way an administrator should read it.
#[component]
pub fn ErrorNotice(error: AppError) -> impl IntoView {
    match error {
        AppError::Forbidden => view! {
            <Notice title="Not allowed".to_string() message=error.to_string() icon="!" />
        }
        .into_any(),
        AppError::FeatureDisabled { .. } => view! {
            <Notice title="Page not available".to_string() message=error.to_string() icon="⚑" />
        }
        .into_any(),
        AppError::Unauthorized => view! {
            <section class="notice">
                <div class="notice-icon" aria-hidden="true">"i"</div>
                <h1>"Signed out"</h1>
                <p>{error.to_string()}</p>
                <p>
                    <a class="btn btn-primary" href="/login" rel="external">
                        "Sign in"
                    </a>
                </p>
            </section>
        }
        .into_any(),
        other => view! {
            <Alert kind=AlertKind::Error title="Could not load this page">
                {other.to_string()}
            </Alert>
        }
        .into_any(),
    }
}

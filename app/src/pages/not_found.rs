//! Fallback for unknown paths.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::notice::Notice;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found" />
        <main class="content">
            <Notice
                title="Page not found".to_string()
                message="There is nothing at this address. Go back to the Integrations page.".to_string()
                icon="?"
            />
            <p class="text-center">
                <a class="btn btn-secondary" href="/admin/integrations">"Go to Integrations"</a>
            </p>
        </main>
    }
}

//! Browser-only glue: the Salesforce sign-in window, the live status stream and alerts. On
//! the server these do nothing.
//!
//! The sign-in runs in a window named [`SALESFORCE_SIGN_IN_WINDOW`]. Its last page (the
//! callback) announces the outcome code on a `BroadcastChannel` of the same name; the
//! Integrations page listens and reloads itself with `?salesforce=<code>`. A channel rather
//! than `window.opener`: Salesforce's pages may sever the opener link.

use crate::types::{SALESFORCE_SIGN_IN_WINDOW, STATUS_EVENT_NAME, StatusEvent};

/// The server-sent events stream of Org Sync status changes (ST-05).
const STATUS_EVENTS_PATH: &str = "/api/events";

/// Opens (or focuses) the sign-in popup, so the Set up form posts into a real popup window
/// that the callback page may close again.
pub fn open_sign_in_window() {
    #[cfg(feature = "hydrate")]
    {
        let features = "popup,width=560,height=720";
        if let Some(window) = web_sys::window() {
            let _ = window.open_with_url_and_target_and_features(
                "",
                SALESFORCE_SIGN_IN_WINDOW,
                features,
            );
        }
    }
}

/// Reloads `page` with the outcome when the sign-in window reports one, while `page` is the
/// page shown. One listener per browser tab: visiting the page again (client-side
/// navigation) does not add another.
pub fn reload_when_sign_in_completes(page: &'static str) {
    #[cfg(feature = "hydrate")]
    {
        use std::cell::Cell;

        use leptos::wasm_bindgen::{JsCast, closure::Closure};
        use web_sys::{BroadcastChannel, MessageEvent};

        thread_local! {
            static LISTENING: Cell<bool> = const { Cell::new(false) };
        }
        if LISTENING.with(|listening| listening.replace(true)) {
            return;
        }
        let Ok(channel) = BroadcastChannel::new(SALESFORCE_SIGN_IN_WINDOW) else {
            return;
        };
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let Some(code) = event.data().as_string() else {
                return;
            };
            if crate::types::SalesforceOutcome::from_code(&code).is_none() {
                return;
            }
            let Some(window) = web_sys::window() else {
                return;
            };
            // Elsewhere in the app nothing moves; the page shows the new state when visited.
            if window.location().pathname().ok().as_deref() != Some(page) {
                return;
            }
            let _ = window
                .location()
                .assign(&format!("{page}?salesforce={code}"));
        });
        channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        // The listener lives as long as the tab (installed once, see above).
        on_message.forget();
        std::mem::forget(channel);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (page, SALESFORCE_SIGN_IN_WINDOW);
}

/// Shows a browser alert (Test's answer, OS-08).
pub fn alert(message: &str) {
    #[cfg(feature = "hydrate")]
    {
        if let Some(window) = web_sys::window() {
            let _ = window.alert_with_message(message);
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = message;
}

/// Asks the browser's confirm question; `true` when accepted (and always without a browser).
pub fn confirm(question: &str) -> bool {
    #[cfg(feature = "hydrate")]
    {
        if let Some(window) = web_sys::window() {
            return window.confirm_with_message(question).unwrap_or(false);
        }
    }
    let _ = question;
    true
}

/// Follows the live status stream (ST-05): calls `on_event` with every [`StatusEvent`] the
/// server sends under [`STATUS_EVENT_NAME`], until the reactive owner this is called in is
/// cleaned up (the page is left), which closes the stream. Call it from an `Effect`.
///
/// `EventSource` reconnects by itself after a network error or a server restart and sends
/// `Last-Event-ID`, so the server can replay what was missed. One stream per tab: a new call
/// closes the previous stream, and leaving a page closes its own stream only.
pub fn follow_status_events(on_event: impl Fn(StatusEvent) + 'static) {
    #[cfg(feature = "hydrate")]
    {
        use std::cell::RefCell;

        use leptos::{
            prelude::on_cleanup,
            wasm_bindgen::{JsCast, closure::Closure},
        };
        use web_sys::{EventSource, MessageEvent};

        type Listener = Closure<dyn FnMut(MessageEvent)>;
        thread_local! {
            /// The tab's stream, with the number of the call that opened it.
            static STREAM: RefCell<Option<(u64, EventSource, Listener)>> = const { RefCell::new(None) };
            static CALLS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
        }
        /// Closes the stream if call `call` opened it (any call: `None`). A page being left
        /// after the next page opened its stream must not close that one.
        fn close(call: Option<u64>) {
            let open = STREAM.with(|stream| {
                let mut stream = stream.borrow_mut();
                match &*stream {
                    Some((opened_by, _, _)) if call.is_none_or(|c| c == *opened_by) => {
                        stream.take()
                    }
                    _ => None,
                }
            });
            if let Some((_, source, _listener)) = open {
                source.close();
            }
        }

        close(None);
        let call = CALLS.with(|calls| {
            calls.set(calls.get() + 1);
            calls.get()
        });
        let Ok(source) = EventSource::new(STATUS_EVENTS_PATH) else {
            return;
        };
        let listener = Listener::new(move |message: MessageEvent| {
            let Some(data) = message.data().as_string() else {
                return;
            };
            // An event this page does not know (a newer server) is skipped, not fatal.
            if let Ok(event) = leptos::serde_json::from_str::<StatusEvent>(&data) {
                on_event(event);
            }
        });
        if source
            .add_event_listener_with_callback(STATUS_EVENT_NAME, listener.as_ref().unchecked_ref())
            .is_err()
        {
            source.close();
            return;
        }
        STREAM.with(|stream| *stream.borrow_mut() = Some((call, source, listener)));
        on_cleanup(move || close(Some(call)));
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (on_event, STATUS_EVENTS_PATH, STATUS_EVENT_NAME);
}

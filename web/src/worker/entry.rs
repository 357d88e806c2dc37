//! The worker's side: `worker.js` loads the wasm and calls [`worker_main`], which installs a
//! panic hook that posts the panic's message to the page, answers each request with the
//! worker's one [`Handler`], and says it is ready. Nothing here touches the document: a
//! worker has none.

use super::handler::Handler;
use super::protocol::{Envelope, Reply, Request, UNSOLICITED};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

fn post(id: u64, reply: Reply) {
    let text = Envelope { id, body: reply }.to_json();
    // Posting a string to the page cannot fail while the worker runs; if it did, the page
    // would wait for this reply, and there is no one else to tell.
    scope().post_message(&JsValue::from_str(&text)).ok();
}

/// Wall time in the worker, in milliseconds (only to cut long work into slices).
fn wall_ms() -> f64 {
    js_sys::Date::now()
}

/// The worker's entry point, called by `worker.js` once the wasm is loaded.
#[wasm_bindgen(js_name = workerMain)]
pub fn worker_main() {
    std::panic::set_hook(Box::new(|info| {
        let message = crate::panic::banner_text(info);
        web_sys::console::error_1(&message.clone().into());
        post(UNSOLICITED, Reply::Panicked(message));
    }));
    let handler = RefCell::new(Handler::default());
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let text = event.data().as_string().unwrap_or_default();
        let (id, reply) = match Envelope::<Request>::from_json(&text) {
            Ok(Envelope { id, body }) => {
                let start = wall_ms();
                let mut more_time = || wall_ms() - start < super::WORKER_SLICE_MS;
                (
                    id,
                    handler.borrow_mut().handle(id, body, start, &mut more_time),
                )
            }
            Err(message) => (UNSOLICITED, Reply::Refused(message)),
        };
        post(id, reply);
    });
    scope().set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The handler answers for as long as the worker lives, and the worker ends with the page:
    // there is no owner to drop it earlier.
    on_message.forget();
    post(UNSOLICITED, Reply::Ready);
}

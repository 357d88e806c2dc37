//! The worker's side: `worker.js` loads the wasm and calls [`worker_main`], which installs a
//! panic hook that posts the panic's message to the page, answers each request with the
//! worker's one [`Handler`], ticks the run on show between messages, and says it is ready.
//! Nothing here touches the document: a worker has none.
//!
//! Every JavaScript handle the worker uses is made here, once, at start: the message handler,
//! the tick's function, and the message channel whose port wakes the tick as soon as the
//! messages waiting have been read (a timeout of 0 would be clamped to 4 ms after a few). The
//! tick is also set as a timeout when the run waits (playing ahead of its speed). Between a
//! message's handler and a tick, nothing runs on the Rust side.

use super::handler::Handler;
use super::protocol::{Envelope, Reply, Request, UNSOLICITED};
use super::run::Next;
use crate::frame::Held;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, MessageChannel, MessageEvent};

/// Wall time one tick of the run on show may simulate, in milliseconds: a message (a pause, a
/// control, a cancel) waits at most this long, well under the tenth of a second in which a
/// click shows its effect.
pub const RUN_SLICE_MS: f64 = 10.0;

#[wasm_bindgen]
extern "C" {
    /// `worker.js`'s keyframe store: `due` copies the memory once the current call has
    /// returned (one a slot of `every_ns` at most); `restore` finds the latest keyframe of
    /// `generation` before `to_ns` and, when it serves (the run is at `now_ns`, at or past
    /// `to_ns`, or before the keyframe), copies it in once the current call has returned,
    /// then calls [`worker_restored`] (and says whether it will).
    #[wasm_bindgen(js_namespace = strataKeyframes, js_name = due)]
    fn keyframe_due(generation: f64, at_ns: f64, every_ns: f64);
    /// With `to_ns` negative (a Cancel while going back from a keyframe), it copies back the
    /// memory as it was before that go-to instead, then calls [`worker_restored`] the same way.
    #[wasm_bindgen(js_namespace = strataKeyframes, js_name = restore)]
    fn keyframe_restore(generation: f64, to_ns: f64, now_ns: f64, id: f64, page: f64) -> bool;
}

thread_local! {
    /// The worker, made once at start; a restored keyframe holds the same (it was taken
    /// after the start), with its own handler.
    static WORKER: RefCell<Option<Rc<Worker>>> = const { RefCell::new(None) };
    /// Set by the panic hook: a panic aborts in the middle of the handler (its state half
    /// changed, its `RefCell` still borrowed), so nothing may run after it, not even a tick
    /// already on its way.
    static PANICKED: Cell<bool> = const { Cell::new(false) };
    /// The scenario and settings in force the page holds: the last frame's that carried them.
    static SENT: RefCell<Held> = RefCell::new(Held::default());
}

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

fn post(id: u64, reply: Reply) {
    // Posting to the page cannot fail while the worker runs; if it did, the page would wait
    // for this reply, and there is no one else to tell.
    let envelope = Envelope { id, body: reply };
    // Borrowed only here; a panic's message in the middle of a frame's needs nothing held.
    let bytes = SENT.with(|sent| match sent.try_borrow_mut() {
        Ok(mut sent) => envelope.to_bytes(&mut sent),
        Err(_) => envelope.to_bytes(&mut Held::default()),
    });
    let (array, transfer) = transferred(&bytes);
    scope().post_message_with_transfer(&array, &transfer).ok();
}

/// `bytes` as a message and the list of what it hands over: their buffer goes to the other
/// side, not copied.
pub fn transferred(bytes: &[u8]) -> (js_sys::Uint8Array, js_sys::Array) {
    let array = js_sys::Uint8Array::from(bytes);
    let transfer = js_sys::Array::of1(&array.buffer());
    (array, transfer)
}

/// Wall time in the worker, in milliseconds (to cut work into slices and to pace the run):
/// the worker's high-resolution clock (5 µs steps where the page is cross-origin isolated,
/// as `cargo xtask serve` makes it), or the date's milliseconds where it has none.
fn wall_ms() -> f64 {
    scope()
        .performance()
        .map_or_else(js_sys::Date::now, |performance| performance.now())
}

/// The worker's state: its handler and the tick's wake-ups, made once at start.
struct Worker {
    handler: RefCell<Handler>,
    /// The tick, as the function a timeout and the channel's port call.
    tick: js_sys::Function,
    channel: MessageChannel,
    /// A wake-up through the channel is on its way, or a timeout is set (its id).
    soon: Cell<bool>,
    timeout: Cell<Option<i32>>,
}

impl Worker {
    fn schedule(&self, next: Next) {
        match next {
            Next::Idle => {}
            Next::Soon => {
                if let Some(id) = self.timeout.take() {
                    scope().clear_timeout_with_handle(id);
                }
                if !self.soon.replace(true) {
                    // The port is the worker's own; a post to it cannot fail while it runs.
                    self.channel.port2().post_message(&JsValue::NULL).ok();
                }
            }
            Next::After(wait_ms) => {
                if self.soon.get() || self.timeout.get().is_some() {
                    return;
                }
                let id = scope()
                    .set_timeout_with_callback_and_timeout_and_arguments_0(
                        &self.tick,
                        wait_ms.ceil() as i32,
                    )
                    .ok();
                self.timeout.set(id);
            }
        }
    }

    /// Tells `worker.js` when a keyframe is due: it copies the memory once this call has
    /// returned to the event loop, when nothing runs on the Rust side.
    fn keyframe_if_due(&self) {
        if let Some((generation, at_ns)) = self.handler.borrow_mut().keyframe_due() {
            keyframe_due(
                generation as f64,
                at_ns as f64,
                super::keyframe::KEYFRAME_EVERY_NS as f64,
            );
        }
    }

    fn tick(&self) {
        if PANICKED.with(Cell::get) {
            return;
        }
        self.soon.set(false);
        self.timeout.set(None);
        let (frame, next) = self.handler.borrow_mut().tick(&mut wall_ms, RUN_SLICE_MS);
        if let Some(frame) = frame {
            post(UNSOLICITED, frame);
        }
        self.schedule(next);
        self.keyframe_if_due();
    }
}

/// Called by `worker.js` once it has copied a keyframe into the memory, for request `id`
/// going to `to_ns` (`back`: behind the moment the run was at; `page`: what
/// [`Handler::keyframe_goto`] gave), or, with `to_ns` negative, once it has copied back the
/// memory as it was before a go-to back, for its Cancel `id`. The memory is the
/// keyframe's: the wake-ups it remembers are not the ones on their way, so they are forgotten
/// (a tick on its way finds the run as it is, and a stray tick does nothing harmful).
#[wasm_bindgen(js_name = workerRestored)]
pub fn worker_restored(id: f64, to_ns: f64, back: bool, page: f64) {
    let Some(state) = WORKER.with(|worker| worker.borrow().clone()) else {
        return;
    };
    state.soon.set(false);
    state.timeout.set(None);
    // The memory's record of what the page holds is the keyframe's too: the next frame
    // carries the scenario and settings again.
    SENT.with(|sent| *sent.borrow_mut() = Held::default());
    let mut handler = state.handler.borrow_mut();
    let reply = if to_ns < 0.0 {
        handler.returned(page, wall_ms())
    } else {
        handler.restored(page, to_ns as u64, back, wall_ms())
    };
    drop(handler);
    post(id as u64, reply);
    state.schedule(Next::Soon);
}

/// The worker's entry point, called by `worker.js` once the wasm is loaded.
#[wasm_bindgen(js_name = workerMain)]
pub fn worker_main() {
    std::panic::set_hook(Box::new(|info| {
        PANICKED.with(|panicked| panicked.set(true));
        let message = crate::panic::banner_text(&crate::panic::describe(info));
        web_sys::console::error_1(&message.clone().into());
        post(UNSOLICITED, Reply::Panicked(message));
    }));
    let on_tick = Closure::<dyn FnMut()>::new(|| {
        if let Some(worker) = WORKER.with(|worker| worker.borrow().clone()) {
            worker.tick();
        }
    });
    let channel = MessageChannel::new().expect("a worker can make a message channel");
    channel
        .port1()
        .set_onmessage(Some(on_tick.as_ref().unchecked_ref()));
    let state = Rc::new(Worker {
        handler: RefCell::new(Handler::default()),
        tick: on_tick.as_ref().unchecked_ref::<js_sys::Function>().clone(),
        channel,
        soon: Cell::new(false),
        timeout: Cell::new(None),
    });
    WORKER.with(|worker| *worker.borrow_mut() = Some(state.clone()));
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        if PANICKED.with(Cell::get) {
            return;
        }
        let bytes = event
            .data()
            .dyn_into::<js_sys::Uint8Array>()
            .map(|array| array.to_vec())
            .unwrap_or_default();
        let (id, reply) = match Envelope::<Request>::from_bytes(&bytes) {
            Ok(Envelope { id, body }) => {
                let goto = state.handler.borrow().keyframe_goto(&body);
                if let Some((generation, to_ns, now_ns, page)) = goto {
                    if keyframe_restore(generation as f64, to_ns, now_ns as f64, id as f64, page) {
                        // `worker.js` restores the keyframe and answers through
                        // `worker_restored` once this call has returned.
                        return;
                    }
                }
                let start = wall_ms();
                let mut more_time = || wall_ms() - start < super::WORKER_SLICE_MS;
                let reply = state
                    .handler
                    .borrow_mut()
                    .handle(id, body, start, &mut more_time);
                (id, reply)
            }
            Err(message) => (UNSOLICITED, Reply::Refused(message)),
        };
        post(id, reply);
        // A request may have set the run moving (or changed how): the tick decides.
        state.schedule(Next::Soon);
        state.keyframe_if_due();
    });
    scope().set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The handlers answer for as long as the worker lives, and the worker ends with the page:
    // there is no owner to drop them earlier.
    on_message.forget();
    on_tick.forget();
    post(UNSOLICITED, Reply::Ready);
}

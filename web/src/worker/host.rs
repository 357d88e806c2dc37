//! The page's side of the worker: [`Host`] starts it, sends [`Request`]s and delivers each
//! [`Reply`] to the callback its request came with, as a Yew message; the run on show's
//! frames (a reply to a run request, or sent as the run moves) go to the one callback the
//! root gave [`on_frames`]. [`tell`] sends a run request.
//!
//! - **Starting.** `index.html` starts the worker before the page's own wasm has loaded, so
//!   both load at once; the host adopts it (with what it sent meanwhile). Requests sent
//!   before the worker says it is ready wait in a queue. When it is, the body gets
//!   `data-worker="on"` and the queue goes to it.
//! - **Falling back.** A worker that cannot start (its script blocked or missing, a browser
//!   without module workers) sends an error event instead: the body gets `data-worker="off"`,
//!   a banner says the page will be slower, and every request, queued and later, is answered
//!   on the main thread by the same [`Handler`], one a macrotask (a timeout of 0) so the page
//!   draws between them, each for at most [`super::MAIN_THREAD_SLICE_MS`]; the run on show
//!   is ticked there too, a tick a timeout, for as long again.
//! - **Panics.** The worker posts its panic's message before it dies; the page's banner
//!   shows it, and what a dead worker sends after is ignored. An error event after the worker
//!   was ready (a trap with no message) shows the banner too.

use super::handler::Handler;
use super::protocol::{Envelope, Reply, Request, UNSOLICITED};
use super::run::Next;
use crate::frame::Held;
use crate::panic;
use gloo::timers::callback::Timeout;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{ErrorEvent, MessageEvent, Worker};
use yew::Callback;

#[wasm_bindgen]
extern "C" {
    /// `index.html`'s: the worker it started before the page's wasm loaded, now sending its
    /// events to these handlers, those it sent meanwhile first (in a microtask). It throws when
    /// the worker could not be made.
    #[wasm_bindgen(js_name = strataAdoptWorker, catch)]
    fn adopt_worker(on_message: &JsValue, on_error: &JsValue) -> Result<Worker, JsValue>;
}

/// Where requests go.
enum Mode {
    /// The worker is loading; requests wait.
    Starting(VecDeque<(u64, Request)>),
    /// The worker answers.
    Worker,
    /// The worker could not start: the main thread answers, one request a timeout, and
    /// moves the run on show in ticks of [`super::MAIN_THREAD_SLICE_MS`] between them.
    MainThread {
        handler: Rc<RefCell<Handler>>,
        queue: VecDeque<(u64, Request)>,
        timer: Option<Timeout>,
        tick: Option<(Timeout, bool)>,
    },
    /// The worker died (a panic): nothing more is answered.
    Dead,
}

/// A handler of the worker's events (a message, an error).
type Listener = Closure<dyn FnMut(JsValue)>;

/// The page's handle on its worker.
pub struct Host {
    mode: RefCell<Mode>,
    worker: RefCell<Option<Worker>>,
    next_id: Cell<u64>,
    /// The callbacks of the requests awaiting their replies: a handful (one follow of the
    /// variant, one slice of an export, a stop or a cancel), so a list, which costs the wasm
    /// less than a map.
    waiting: RefCell<Vec<(u64, Callback<Reply>)>>,
    /// The worker's event handlers, kept as long as the worker.
    listeners: RefCell<Vec<Listener>>,
    /// Where the run on show's frames go (the root component's).
    frames: RefCell<Option<Callback<Reply>>>,
    /// The scenario and settings in force of the last frame that carried them.
    held: RefCell<Held>,
}

thread_local! {
    static HOST: RefCell<Option<Rc<Host>>> = const { RefCell::new(None) };
}

/// The page's host, started on first use.
pub fn host() -> Rc<Host> {
    if let Some(host) = HOST.with(|h| h.borrow().clone()) {
        return host;
    }
    let host = Rc::new(Host {
        mode: RefCell::new(Mode::Starting(VecDeque::new())),
        worker: RefCell::new(None),
        next_id: Cell::new(UNSOLICITED + 1),
        waiting: RefCell::new(Vec::new()),
        listeners: RefCell::new(Vec::new()),
        frames: RefCell::new(None),
        held: RefCell::new(Held::default()),
    });
    HOST.with(|h| *h.borrow_mut() = Some(host.clone()));
    Host::spawn(&host);
    host
}

/// Sends `request`; `on_reply` gets its reply. Returns the request's id.
pub fn send(request: Request, on_reply: Callback<Reply>) -> u64 {
    host().send(request, on_reply)
}

/// Sends a request about the run on show; its frames go to [`on_frames`]'s callback.
pub fn tell(request: super::run::RunRequest) {
    host().send(Request::Run(request), Callback::noop());
}

/// Where the run on show's frames go from now on.
pub fn on_frames(callback: Callback<Reply>) {
    *host().frames.borrow_mut() = Some(callback);
}

/// Whether requests go to a worker (rather than the main thread), once it is known.
pub fn on_worker() -> Option<bool> {
    match &*host().mode.borrow() {
        Mode::Starting(_) => None,
        Mode::Worker | Mode::Dead => Some(true),
        Mode::MainThread { .. } => Some(false),
    }
}

fn mark_body(value: &str) {
    if let Some(body) = gloo::utils::document().body() {
        // Only a test reads it; a page without it works the same.
        body.set_attribute("data-worker", value).ok();
    }
}

impl Host {
    fn spawn(host: &Rc<Host>) {
        let on_message = {
            let host = host.clone();
            Listener::new(move |event: JsValue| {
                let data = event.unchecked_into::<MessageEvent>().data();
                let envelope = match data.dyn_into::<js_sys::Uint8Array>() {
                    Ok(array) => {
                        Envelope::<Reply>::from_bytes(&array.to_vec(), &mut host.held.borrow_mut())
                    }
                    Err(_) => Err("a message that is not bytes".to_string()),
                };
                host.deliver(envelope);
            })
        };
        let on_error = {
            let host = host.clone();
            Listener::new(move |event: JsValue| {
                let message = event
                    .dyn_ref::<ErrorEvent>()
                    .map(ErrorEvent::message)
                    .filter(|m| !m.is_empty())
                    .unwrap_or_else(|| "its script could not be loaded".to_string());
                host.worker_error(&message);
            })
        };
        let adopted = adopt_worker(on_message.as_ref(), on_error.as_ref());
        host.listeners.borrow_mut().extend([on_message, on_error]);
        match adopted {
            Ok(worker) => *host.worker.borrow_mut() = Some(worker),
            Err(error) => {
                let reason = error.as_string().unwrap_or_else(|| format!("{error:?}"));
                host.fall_back(&reason);
            }
        }
    }

    /// Sends `request`; `on_reply` gets its reply. Returns the request's id. Once the worker
    /// died nothing is answered, and nothing is kept waiting.
    pub fn send(self: &Rc<Self>, request: Request, on_reply: Callback<Reply>) -> u64 {
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        if !matches!(&*self.mode.borrow(), Mode::Dead) {
            self.waiting.borrow_mut().push((id, on_reply));
        }
        let mut mode = self.mode.borrow_mut();
        match &mut *mode {
            Mode::Starting(queue) => queue.push_back((id, request)),
            Mode::Worker => self.post(id, request),
            Mode::MainThread { queue, .. } => {
                queue.push_back((id, request));
                drop(mode);
                self.schedule();
            }
            Mode::Dead => {}
        }
        id
    }

    fn post(&self, id: u64, request: Request) {
        let bytes = Envelope { id, body: request }.to_bytes();
        if let Some(worker) = &*self.worker.borrow() {
            let (array, transfer) = super::entry::transferred(&bytes);
            if let Err(error) = worker.post_message_with_transfer(&array, &transfer) {
                // Bytes always transfer; this would be a browser bug, and the banner says so.
                panic::show_banner(&format!("The page could not talk to its worker: {error:?}"));
            }
        }
    }

    /// A message from the worker: a reply to a request, or its start or its panic.
    fn deliver(self: &Rc<Self>, envelope: Result<Envelope<Reply>, String>) {
        // A dead worker's last words are in the banner already.
        if matches!(&*self.mode.borrow(), Mode::Dead) {
            return;
        }
        let envelope = match envelope {
            Ok(envelope) => envelope,
            Err(message) => {
                panic::show_banner(&format!("The page's worker sent {message}."));
                return;
            }
        };
        match (envelope.id, envelope.body) {
            (UNSOLICITED, Reply::Ready) => {
                let previous = std::mem::replace(&mut *self.mode.borrow_mut(), Mode::Worker);
                mark_body("on");
                if let Mode::Starting(queue) = previous {
                    for (id, request) in queue {
                        self.post(id, request);
                    }
                }
            }
            (UNSOLICITED, Reply::Panicked(message)) => self.died(&message),
            (id, reply @ Reply::Frame { .. }) => {
                self.answer(id, Reply::Stopped);
                self.frame(reply);
            }
            (id, reply) => self.answer(id, reply),
        }
    }

    fn frame(&self, reply: Reply) {
        let listener = self.frames.borrow().clone();
        if let Some(listener) = listener {
            listener.emit(reply);
        }
    }

    fn answer(&self, id: u64, reply: Reply) {
        let callback = {
            let mut waiting = self.waiting.borrow_mut();
            let index = waiting.iter().position(|(waiting_id, _)| *waiting_id == id);
            index.map(|index| waiting.swap_remove(index).1)
        };
        if let Some(callback) = callback {
            callback.emit(reply);
        }
    }

    fn died(&self, message: &str) {
        *self.mode.borrow_mut() = Mode::Dead;
        self.waiting.borrow_mut().clear();
        mark_body("dead");
        panic::show_banner(message);
    }

    fn worker_error(self: &Rc<Self>, message: &str) {
        let starting = matches!(&*self.mode.borrow(), Mode::Starting(_));
        if starting {
            self.fall_back(message);
        } else if !matches!(&*self.mode.borrow(), Mode::Dead) {
            self.died(&panic::banner_text(&format!(
                "the page's worker stopped: {message}"
            )));
        }
    }

    /// Answers every request on the main thread from now on, and says the page will be slower.
    fn fall_back(self: &Rc<Self>, reason: &str) {
        if let Some(worker) = self.worker.borrow_mut().take() {
            worker.terminate();
        }
        let queue = match std::mem::replace(&mut *self.mode.borrow_mut(), Mode::Dead) {
            Mode::Starting(queue) => queue,
            _ => VecDeque::new(),
        };
        *self.mode.borrow_mut() = Mode::MainThread {
            handler: Rc::new(RefCell::new(Handler::default())),
            queue,
            timer: None,
            tick: None,
        };
        mark_body("off");
        let document = gloo::utils::document();
        if let Some(banner) = document.get_element_by_id("worker-banner") {
            banner.set_text_content(Some(&format!(
                "This browser could not start the playground's worker ({reason}), so the simulation runs on the page itself: the page will be slower while it works."
            )));
            banner.remove_attribute("hidden").ok();
        }
        web_sys::console::warn_1(
            &format!("The playground's worker could not start: {reason}").into(),
        );
        self.schedule();
    }

    /// On the main thread: answers the next queued request in a timeout of 0.
    fn schedule(self: &Rc<Self>) {
        let mut mode = self.mode.borrow_mut();
        let Mode::MainThread { queue, timer, .. } = &mut *mode else {
            return;
        };
        if timer.is_some() || queue.is_empty() {
            return;
        }
        let host = self.clone();
        *timer = Some(Timeout::new(0, move || host.answer_next()));
    }

    fn answer_next(self: &Rc<Self>) {
        let next = {
            let mut mode = self.mode.borrow_mut();
            let Mode::MainThread {
                handler,
                queue,
                timer,
                ..
            } = &mut *mode
            else {
                return;
            };
            *timer = None;
            queue.pop_front().map(|next| (handler.clone(), next))
        };
        if let Some((handler, (id, request))) = next {
            let start = crate::app::wall_ms();
            let mut more_time = || crate::app::wall_ms() - start < super::MAIN_THREAD_SLICE_MS;
            let reply = handler
                .borrow_mut()
                .handle(id, request, start, &mut more_time);
            match reply {
                Reply::Frame { .. } => {
                    self.answer(id, Reply::Stopped);
                    self.frame(reply);
                }
                reply => self.answer(id, reply),
            }
            self.schedule_tick(Next::Soon);
        }
        self.schedule();
    }

    /// On the main thread: the run's next tick, at once (a timeout of 0) or after a wait. A
    /// tick due at once replaces one that waits.
    fn schedule_tick(self: &Rc<Self>, next: Next) {
        let mut mode = self.mode.borrow_mut();
        let Mode::MainThread { tick, .. } = &mut *mode else {
            return;
        };
        let (wait_ms, soon) = match next {
            Next::Idle => return,
            Next::Soon => (0, true),
            Next::After(wait) => (wait.ceil() as u32, false),
        };
        if tick
            .as_ref()
            .is_some_and(|(_, pending_soon)| *pending_soon || !soon)
        {
            return;
        }
        let host = self.clone();
        *tick = Some((Timeout::new(wait_ms, move || host.tick()), soon));
    }

    fn tick(self: &Rc<Self>) {
        let handler = {
            let mut mode = self.mode.borrow_mut();
            let Mode::MainThread { handler, tick, .. } = &mut *mode else {
                return;
            };
            *tick = None;
            handler.clone()
        };
        let (frame, next) = handler
            .borrow_mut()
            .tick(&mut crate::app::wall_ms, super::MAIN_THREAD_SLICE_MS);
        if let Some(frame) = frame {
            self.frame(frame);
        }
        self.schedule_tick(next);
    }
}

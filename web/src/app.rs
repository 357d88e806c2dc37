//! The root component: time controls (play, pause, step, speed on a log scale), the live
//! statistics and the request timeline, driven by `requestAnimationFrame`.
//!
//! Each frame advances simulated time by `speed × wall time since the last frame`, processing
//! at most `MAX_EVENTS_PER_FRAME` events so the page keeps its frame rate; when the simulation
//! cannot keep up, the effective speed shown drops below the requested one.

use crate::timeline::{requests_in_window, Timeline};
use gloo::render::{request_animation_frame, AnimationFrame};
use std::cell::RefCell;
use std::rc::Rc;
use strata_sim::demo::{spawn_demo, DemoWorkload};
use strata_sim::{Cause, Sim, SimDuration, SimTime};
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// Events processed per animation frame at most.
pub const MAX_EVENTS_PER_FRAME: u64 = 20_000;
/// The slowest and fastest speeds, as powers of ten (0.1× to 10,000×).
pub const SPEED_LOG10_MIN: f64 = -1.0;
pub const SPEED_LOG10_MAX: f64 = 4.0;
/// The width of the timeline window in simulated time.
const TIMELINE_WINDOW: SimDuration = SimDuration::from_millis(2_000);
/// A frame longer than this (a background tab, a debugger pause) is not caught up.
const MAX_FRAME_MS: f64 = 100.0;

/// The simulation the page is running.
pub struct Run {
    pub sim: Sim,
    pub seed: u64,
}

impl Run {
    pub fn new(seed: u64) -> Self {
        let sim = Sim::new(seed);
        spawn_demo(
            &sim,
            DemoWorkload {
                requests_per_client: u32::MAX,
                ..DemoWorkload::default()
            },
        );
        Run { sim, seed }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct UiState {
    pub playing: bool,
    pub speed_log10: f64,
    pub seed: u64,
    pub effective_speed: f64,
    pub message: Option<String>,
}

pub enum Action {
    Play,
    Pause,
    SetSpeedLog10(f64),
    SetSeed(u64),
    Effective(f64),
    Message(Option<String>),
}

impl Reducible for UiState {
    type Action = Action;
    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::Play => next.playing = true,
            Action::Pause => next.playing = false,
            Action::SetSpeedLog10(value) => {
                next.speed_log10 = value.clamp(SPEED_LOG10_MIN, SPEED_LOG10_MAX)
            }
            Action::SetSeed(seed) => next.seed = seed,
            Action::Effective(speed) => next.effective_speed = speed,
            Action::Message(message) => next.message = message,
        }
        if next == *self {
            self
        } else {
            Rc::new(next)
        }
    }
}

/// Formats a speed for people: 0.1×, 3.2×, 150×, 10,000×.
pub fn format_speed(speed: f64) -> String {
    if speed < 10.0 {
        format!("{speed:.1}×")
    } else {
        let rounded = speed.round() as u64;
        let digits = rounded.to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        format!("{out}×")
    }
}

#[function_component(App)]
pub fn app() -> Html {
    let state = use_reducer(|| UiState {
        playing: false,
        speed_log10: 0.0,
        seed: 42,
        effective_speed: 0.0,
        message: None,
    });
    let run = use_mut_ref(|| Run::new(42));
    let redraw = use_force_update();

    // The frame loop lives as long as `playing` is true; the effect owns the frame handle.
    {
        let run = run.clone();
        let redraw = redraw.clone();
        let dispatcher = state.dispatcher();
        let speed = 10f64.powf(state.speed_log10);
        use_effect_with((state.playing, state.speed_log10), move |(playing, _)| {
            let slot: Rc<RefCell<Option<AnimationFrame>>> = Rc::new(RefCell::new(None));
            if *playing {
                schedule_frame(slot.clone(), run, redraw, dispatcher, speed, None);
            }
            move || {
                slot.borrow_mut().take();
            }
        });
    }

    let on_play = {
        let state = state.clone();
        Callback::from(move |_| {
            if state.playing {
                state.dispatch(Action::Pause)
            } else {
                state.dispatch(Action::Play)
            }
        })
    };
    let on_step = {
        let run = run.clone();
        let redraw = redraw.clone();
        let state = state.clone();
        Callback::from(move |_| {
            state.dispatch(Action::Pause);
            let result = run.borrow().sim.step();
            if let Err(error) = result {
                state.dispatch(Action::Message(Some(format!(
                    "The simulation stopped: {error}"
                ))));
            }
            redraw.force_update();
        })
    };
    let on_speed = {
        let state = state.clone();
        Callback::from(move |event: InputEvent| {
            let input: HtmlInputElement = event.target_unchecked_into();
            match input.value().parse::<f64>() {
                Ok(value) if value.is_finite() => state.dispatch(Action::SetSpeedLog10(value)),
                _ => state.dispatch(Action::Message(Some(
                    "Speed must be a number between 0.1× and 10,000×.".into(),
                ))),
            }
        })
    };
    let on_seed = {
        let state = state.clone();
        let run = run.clone();
        let redraw = redraw.clone();
        Callback::from(move |event: Event| {
            let input: HtmlInputElement = event.target_unchecked_into();
            match input.value().trim().parse::<u64>() {
                Ok(seed) => {
                    *run.borrow_mut() = Run::new(seed);
                    state.dispatch(Action::SetSeed(seed));
                    state.dispatch(Action::Message(None));
                    redraw.force_update();
                }
                Err(_) => state.dispatch(Action::Message(Some(format!(
                    "The seed must be a whole number from 0 to {}; “{}” is not. The run continues with seed {}.",
                    u64::MAX,
                    input.value(),
                    state.seed
                )))),
            }
        })
    };

    let run_ref = run.borrow();
    let sim = &run_ref.sim;
    let now = sim.now();
    let window_start =
        SimTime::from_nanos(now.as_nanos().saturating_sub(TIMELINE_WINDOW.as_nanos()));
    let (requests, total_events, hash, total_requests) = {
        let trace = sim.trace();
        (
            requests_in_window(trace.retained(), window_start, now),
            trace.total_events(),
            trace.hash_hex(),
            trace.counts().get("request").copied().unwrap_or(0),
        )
    };
    let speed = 10f64.powf(state.speed_log10);
    html! {
        <>
        <header class="top">
            <h1>{ "Strata" }</h1>
            <span class="tagline">{ "diskless storage and adaptive systems, simulated in your browser" }</span>
        </header>
        <main>
            <section class="panel" aria-label="time controls">
                <div class="controls">
                    <button id="play" class="primary" onclick={on_play}>{ if state.playing { "Pause" } else { "Play" } }</button>
                    <button id="step" onclick={on_step}>{ "Step" }</button>
                    <label>{ "Speed" }
                        <input id="speed" type="range" min={SPEED_LOG10_MIN.to_string()} max={SPEED_LOG10_MAX.to_string()}
                               step="0.01" value={state.speed_log10.to_string()} oninput={on_speed}
                               aria-valuetext={format_speed(speed)} />
                        <span id="speed-value">{ format_speed(speed) }</span>
                    </label>
                    <label>{ "Seed" }
                        <input id="seed" type="number" value={state.seed.to_string()} onchange={on_seed} />
                    </label>
                </div>
                if let Some(message) = &state.message {
                    <div class="message" role="status" id="message">{ message }</div>
                }
                <div class="stats">
                    <div class="stat"><span class="value" id="sim-time">{ format!("{now}") }</span><span class="label">{ "simulated time" }</span></div>
                    <div class="stat"><span class="value" id="event-count">{ sim.events_processed() }</span><span class="label">{ "events processed" }</span></div>
                    <div class="stat"><span class="value" id="request-count">{ total_requests }</span><span class="label">{ "requests" }</span></div>
                    <div class="stat"><span class="value" id="trace-events">{ total_events }</span><span class="label">{ "trace events" }</span></div>
                    <div class="stat"><span class="value" id="effective-speed">{ if state.playing { format_speed(state.effective_speed) } else { "paused".to_string() } }</span><span class="label">{ "effective speed" }</span></div>
                    <div class="stat"><span class="value" id="trace-hash">{ hash }</span><span class="label">{ "trace hash" }</span></div>
                </div>
            </section>
            <section class="panel" aria-label="request timeline">
                <h2>{ "Object-store requests (last 2 s of simulated time)" }</h2>
                <Timeline requests={requests} window_start={window_start} window_end={now}
                          lanes={vec![Cause::Wal, Cause::Flush, Cause::Read, Cause::Manifest]} />
            </section>
        </main>
        </>
    }
}

fn schedule_frame(
    slot: Rc<RefCell<Option<AnimationFrame>>>,
    run: Rc<RefCell<Run>>,
    redraw: UseForceUpdateHandle,
    dispatcher: UseReducerDispatcher<UiState>,
    speed: f64,
    last_timestamp_ms: Option<f64>,
) {
    let next_slot = slot.clone();
    let frame = request_animation_frame(move |timestamp_ms| {
        if let Some(last) = last_timestamp_ms {
            let wall_ms = (timestamp_ms - last).clamp(0.0, MAX_FRAME_MS);
            let advance = SimDuration::from_millis_f64(wall_ms * speed);
            let result = {
                let run = run.borrow();
                let before = run.sim.now();
                let target = before + advance;
                run.sim
                    .run_until(target, MAX_EVENTS_PER_FRAME)
                    .map(|_| run.sim.now().saturating_since(before))
            };
            match result {
                Ok(advanced) if wall_ms > 0.0 => {
                    dispatcher.dispatch(Action::Effective(advanced.as_millis_f64() / wall_ms))
                }
                Ok(_) => {}
                Err(error) => {
                    dispatcher.dispatch(Action::Pause);
                    dispatcher.dispatch(Action::Message(Some(format!(
                        "The simulation stopped: {error}"
                    ))));
                    return;
                }
            }
            redraw.force_update();
        }
        schedule_frame(
            next_slot,
            run,
            redraw,
            dispatcher,
            speed,
            Some(timestamp_ms),
        );
    });
    *slot.borrow_mut() = Some(frame);
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn speeds_format_for_people() {
        assert_eq!(format_speed(0.1), "0.1×");
        assert_eq!(format_speed(3.16), "3.2×");
        assert_eq!(format_speed(10_000.0), "10,000×");
        assert_eq!(format_speed(150.0), "150×");
    }
}

//! The time bar, always on top: Play/Pause, Step, the speed on a log scale and the effective
//! speed reached, the seed, *Run to end*, the time scrubber and *go to*, events processed, the
//! trace hash at the current moment (and the final one once the run is over), the progress bar
//! of a re-simulation, a run forward ("go to" a moment ahead) or a run to the end (with
//! *Cancel*), and the message bar. The tab strip comes in as its children. On a narrow screen
//! the controls fold into a drawer that a button opens and closes.

use super::run_view::SharedRun;
use super::{
    error, Action, UiState, SPEED_LOG10_MAX, SPEED_LOG10_MAX_TEXT, SPEED_LOG10_MIN,
    SPEED_LOG10_MIN_TEXT,
};
use crate::format;
use crate::frame::FrameRef;
use crate::widgets::{
    button, container, identified_container, identified_text, text_element, DraftInput,
};
use crate::worker::protocol::Note;
use crate::worker::run::{Motion, RunRequest};
use strata_sim::fmt::{fixed, shortest};
use strata_sim::SimTime;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// What the time bar is drawn from.
pub struct TimeBar {
    /// Where Play, Step, the speed, the seed, scrubbing and "go to" send their requests.
    pub run: SharedRun,
    /// What the read-outs show.
    pub frame: FrameRef,
    pub state: UseReducerHandle<UiState>,
    /// Cancels the re-simulation, the run forward or the run to the end in progress.
    pub on_cancel: Callback<()>,
    /// The tabs, drawn in the bar.
    pub children: Html,
}

/// Draws the time bar. A function, not a component: the root renders it with every frame and
/// makes its callbacks anew each time, so a component's memo never saved a render.
pub fn time_bar(props: &TimeBar) -> Html {
    let run = props.run.clone();
    let state = props.state.clone();
    let on_play = {
        let (run, dispatcher) = (run.clone(), state.dispatcher());
        Callback::from(move |_: MouseEvent| run.toggle_play(&dispatcher))
    };
    let on_step = {
        let (run, dispatcher) = (run.clone(), state.dispatcher());
        Callback::from(move |_: MouseEvent| {
            run.move_to(Motion::Still, RunRequest::Step, &dispatcher);
        })
    };
    let on_speed = {
        let (run, state) = (run.clone(), state.clone());
        Callback::from(move |event: InputEvent| {
            let input: HtmlInputElement = event.target_unchecked_into();
            match format::parse_f64(&input.value()) {
                Some(value) if value.is_finite() => {
                    let value = value.clamp(SPEED_LOG10_MIN, SPEED_LOG10_MAX);
                    state.dispatch(Action::SetSpeedLog10(value));
                    run.set_speed(format::pow10(value), &state.dispatcher());
                }
                _ => state.dispatch(error("Speed must be between 0.1× and 10,000×.")),
            }
        })
    };
    let on_seed = {
        let (run, state) = (run.clone(), state.clone());
        let scenario = props.frame.scenario.clone();
        Callback::from(move |text: String| {
            let current = scenario.seed;
            match text.trim().parse::<u64>() {
                Ok(seed) => {
                    let mut scenario = (*scenario).clone();
                    scenario.seed = seed;
                    run.move_to(
                        Motion::Still,
                        RunRequest::Start {
                            scenario: scenario.to_json(),
                            at_ms: None,
                            note: Some(Note::Say {
                                text: crate::format::counted("Seed ", seed, ": the run restarted at 0 s."),
                                error: false,
                            }),
                        },
                        &state.dispatcher(),
                    );
                }
                Err(_) => state.dispatch(error(format!(
                    "The seed must be a whole number from 0 to {}; “{}” is not. The run continues with seed {current}.",
                    u64::MAX,
                    text
                ))),
            }
        })
    };
    // Ahead of the run: simulate forward from here. At or behind it: re-simulate from the
    // seed to that moment.
    let seek_to = {
        let (run, state) = (run.clone(), state.clone());
        let now = props.frame.time.now;
        move |ms: u64| {
            let to = SimTime::from_millis(ms);
            if to > now {
                run.move_to(
                    Motion::GoTo { from: now, to },
                    RunRequest::GoTo { at_ms: ms },
                    &state.dispatcher(),
                );
            } else {
                run.move_to(
                    Motion::Still,
                    RunRequest::GoTo { at_ms: ms },
                    &state.dispatcher(),
                );
                state.dispatch(Action::Rebuilding(true));
            }
        }
    };
    let on_scrub = {
        let seek_to = seek_to.clone();
        let state = state.clone();
        Callback::from(move |text: String| match format::parse_f64(&text) {
            Some(ms) if ms.is_finite() && ms >= 0.0 => seek_to(ms.round() as u64),
            _ => state.dispatch(error("The scrubber gave a time that is not a number.")),
        })
    };
    let on_goto = {
        let seek_to = seek_to.clone();
        let state = state.clone();
        let duration_ms = props.frame.scenario.duration_ms;
        Callback::from(move |event: Event| {
            let input: HtmlInputElement = event.target_unchecked_into();
            match input.value().trim().parse::<u64>() {
                Ok(ms) if ms <= duration_ms => seek_to(ms),
                Ok(ms) => state.dispatch(error(format!(
                    "{ms} ms is beyond the end of the scenario ({duration_ms} ms)."
                ))),
                Err(_) => state.dispatch(error(format!(
                    "“{}” is not a whole number of milliseconds.",
                    input.value()
                ))),
            }
        })
    };
    // While the run goes to the end, the button stops it as Cancel does: at a whole
    // millisecond, where a link to that moment stops too.
    let on_to_end = {
        let (run, state) = (run.clone(), state.clone());
        let on_cancel = props.on_cancel.clone();
        Callback::from(move |_: MouseEvent| {
            if state.to_end {
                on_cancel.emit(());
            } else {
                run.move_to(Motion::ToEnd, RunRequest::ToEnd, &state.dispatcher());
            }
        })
    };
    let on_cancel = props.on_cancel.reform(|_: MouseEvent| ());
    let drawer_open = state.drawer_open;
    let on_drawer = {
        let dispatcher = state.dispatcher();
        Callback::from(move |_: MouseEvent| dispatcher.dispatch(Action::Drawer(!drawer_open)))
    };
    let on_dismiss = {
        let state = state.clone();
        Callback::from(move |_: MouseEvent| state.dispatch(Action::Message(None)))
    };

    let time = &props.frame.time;
    let now = time.now;
    let finished = time.finished;
    let hash = time.hash.clone();
    let total_events = time.total_events;
    let final_hash = time.final_hash.clone();
    let scenario = &props.frame.scenario;
    let now_ms_floor = now.as_nanos() / 1_000_000;
    let horizon_ms = time.horizon.as_nanos() / 1_000_000;
    let speed = format::pow10(state.speed_log10);
    let progress = if state.rebuilding {
        time.rebuild.map(|rebuild| {
            (
                rebuild.progress,
                format!(
                    "Re-simulating from the seed to {}…",
                    format::sim_time(rebuild.target)
                ),
            )
        })
    } else if let Some(go) = state.go_to {
        Some((
            go.fraction(now),
            format!("Simulating forward to {}…", format::sim_time(go.to)),
        ))
    } else if state.to_end {
        let end = time.workload_end.as_nanos().max(1) as f64;
        Some((
            (now.as_nanos() as f64 / end).min(1.0),
            "Running to the end of the scenario…".to_string(),
        ))
    } else {
        None
    };
    let busy = state.rebuilding || state.go_to.is_some();
    let cancellable = state.rebuilding || state.go_to.is_some() || state.to_end;
    html! {
        <div class={if drawer_open { "time-bar drawer-open" } else { "time-bar" }} role="region" aria-label="time controls"
             data-awaiting={(!run.settled()).then_some("true")}>
            <button id="drawer-toggle" class="drawer-toggle" onclick={on_drawer} aria-expanded={drawer_open.to_string()}
                    aria-controls="time-controls">{ if drawer_open { "Close controls" } else { "Controls" } }</button>
            { identified_container("div", "time-controls", "controls", html! { <>
                { button("play", "primary", if state.playing { "Pause" } else { "Play" }.into(), on_play, busy) }
                <button id="step" onclick={on_step} disabled={busy} title="one event (key: .)">{ "Step" }</button>
                { container("label", "", html! { <>{ "speed" }
                    <input id="speed" type="range" min={SPEED_LOG10_MIN_TEXT} max={SPEED_LOG10_MAX_TEXT}
                           step="0.01" value={shortest(state.speed_log10).to_string()} oninput={on_speed}
                           aria-valuetext={format::speed(speed)} />
                    { identified_text("span", "speed-value", "mono", format::speed(speed).into()) }
                </> }) }
                { container("span", "readout", html! { <>{ "effective " }{ identified_text("span", "effective-speed", "mono", if state.playing { format::speed(state.effective_speed).into() } else { "paused".into() }) }</> }) }
                { container("label", "", html! { <>{ "seed" }
                    <DraftInput id="seed" inputmode="numeric" value={scenario.seed.to_string()} on_commit={on_seed} disabled={busy} />
                </> }) }
                { button("run-to-end", "", if state.to_end { "Stop" } else { "Run to end" }.into(), on_to_end, busy || finished) }
            </> }) }
            { container("div", "controls", html! { <>
                { container("label", "scrub", html! { <>{ "time" }
                    <DraftInput id="scrub" kind="range" min="0" max={horizon_ms.max(1).to_string()} step="1"
                                value={now_ms_floor.to_string()} on_commit={on_scrub} disabled={busy}
                                aria_valuetext={format::sim_time(now)} />
                </> }) }
                { container("span", "readout", html! { <>{ identified_text("span", "sim-time", "mono big", format::sim_time(now).into()) }{ format!(" of {}", format::sim_time(SimTime::from_millis(scenario.duration_ms))) }</> }) }
                { container("label", "", html! { <>{ "go to" }
                    <input id="goto-ms" type="number" min="0" placeholder="ms" onchange={on_goto} disabled={busy} />
                    { text_element("span", "unit", "ms".into()) }
                </> }) }
                { container("span", "readout", html! { <>{ "events " }{ identified_text("span", "event-count", "mono", time.events_processed.to_string().into()) }</> }) }
                { container("span", "readout", html! { <>{ format!("trace hash at {} ", format::sim_time(now)) }{ identified_text("span", "trace-hash", "mono", hash.into()) }
                    { text_element("span", "muted", format!(" ({} events)", format::grouped(total_events)).into()) }</> }) }
                if let Some(final_hash) = &final_hash {
                    { container("span", "readout finished", html! { <>{ "final trace hash " }{ identified_text("span", "final-hash", "mono", final_hash.clone().into()) }</> }) }
                }
            </> }) }
            if let Some((fraction, label)) = progress {
                <div class="progress" role="progressbar" id="progress" aria-valuemin="0" aria-valuemax="100"
                     aria-valuenow={fixed(fraction * 100.0, 0).to_string()} aria-label={label.clone()}>
                    <div class="progress-fill" style={format!("width: {}%", fixed(fraction * 100.0, 1))}></div>
                    { text_element("span", "progress-label", format!("{label} {}%", fixed(fraction * 100.0, 0)).into()) }
                    if cancellable {
                        { button("cancel-rebuild", "", "Cancel".into(), on_cancel, false) }
                    }
                </div>
            }
            if let Some(message) = &state.message {
                <div class={if message.error { "message error" } else { "message" }} role="status" id="message">
                    { text_element("span", "", message.text.clone().into()) }
                    <button class="dismiss" onclick={on_dismiss} aria-label="dismiss">{ "×" }</button>
                </div>
            }
            { props.children.clone() }
        </div>
    }
}

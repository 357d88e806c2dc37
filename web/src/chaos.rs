//! The chaos panel: every fault of the simulated store and every writer event, injectable at
//! the current simulated moment. An injected fault is written into the scenario (at the
//! millisecond it was injected) and the run re-simulates to now, so the share link replays it.
//!
//! The panel's reducer holds the form (window length, probability, slow-down factor, which
//! operations, which objects a bit flip targets); [`fault_for`] turns it into a scenario fault.

use crate::command::Command;
use crate::format;
use crate::widgets::{class_pair, container, panel, select_field, text_element, DraftInput};
use std::rc::Rc;
use strata_lab::scenario::{ByDocument, FaultSpec, StoreOp};
use strata_sim::fmt::shortest;
use strata_sim::SimTime;
use web_sys::HtmlSelectElement;
use yew::prelude::*;

/// The faults the panel offers, in display order: (kind, button label, what it does).
pub const FAULTS: [(&str, &str, &str); 11] = [
    (
        "server_errors",
        "5xx errors",
        "matching requests fail with a server error",
    ),
    (
        "timeouts",
        "timeouts",
        "no answer before the deadline; a write may still land",
    ),
    ("throttle", "throttling", "503 SlowDown whatever the rate"),
    (
        "lost_acks",
        "lost acks",
        "writes land but the caller sees an error",
    ),
    (
        "slow",
        "slow requests",
        "requests take longer by the factor",
    ),
    ("outage", "outage", "every request fails for the window"),
    (
        "bit_flips",
        "corrupt PUTs",
        "matching PUTs are stored with one bit flipped",
    ),
    (
        "bit_flip",
        "flip one bit",
        "one stored object under the target gets one bit flipped",
    ),
    (
        "crash_writer",
        "crash writer",
        "the writer dies: unflushed writes are gone",
    ),
    (
        "recover",
        "recover",
        "a new writer opens, replays the WAL and reads back every durable write",
    ),
    (
        "start_zombie",
        "start zombie",
        "a second writer takes over; the first keeps writing until fenced",
    ),
];

/// The chaos form.
#[derive(Clone, Debug, PartialEq)]
pub struct ChaosForm {
    pub window_ms: u64,
    pub probability: f64,
    pub multiplier: f64,
    /// `all`, `put` or `get`.
    pub ops: String,
    /// `sst`, `wal`, `manifest` or `any`.
    pub target: String,
}

impl Default for ChaosForm {
    fn default() -> Self {
        ChaosForm {
            window_ms: 3_000,
            probability: 1.0,
            multiplier: 10.0,
            ops: "all".to_string(),
            target: "sst".to_string(),
        }
    }
}

pub enum ChaosAction {
    WindowMs(u64),
    Probability(f64),
    Multiplier(f64),
    Ops(String),
    Target(String),
}

impl Reducible for ChaosForm {
    type Action = ChaosAction;
    fn reduce(self: Rc<Self>, action: ChaosAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            ChaosAction::WindowMs(ms) => next.window_ms = ms,
            ChaosAction::Probability(p) => next.probability = p,
            ChaosAction::Multiplier(m) => next.multiplier = m,
            ChaosAction::Ops(ops) => next.ops = ops,
            ChaosAction::Target(target) => next.target = target,
        }
        if next == *self {
            self
        } else {
            Rc::new(next)
        }
    }
}

/// The scenario fault for `kind`, with times counted from now (`0` is now). `db_path` is the
/// database's prefix in the bucket, for bit-flip targets.
pub fn fault_for(kind: &str, form: &ChaosForm, db_path: &str) -> Result<FaultSpec, String> {
    let until_ms = Some(form.window_ms.max(1));
    let ops = match form.ops.as_str() {
        "put" => vec![StoreOp::Put],
        "get" => vec![StoreOp::Get, StoreOp::Head],
        _ => Vec::new(),
    };
    let prefix = match form.target.as_str() {
        "sst" => format!("{db_path}/sst/"),
        "wal" => format!("{db_path}/wal/"),
        "manifest" => format!("{db_path}/manifest/"),
        _ => String::new(),
    };
    if !(0.0..=1.0).contains(&form.probability) {
        return Err(format!(
            "the probability must be between 0 and 1, got {}",
            shortest(form.probability)
        ));
    }
    let probability = form.probability;
    Ok(match kind {
        "server_errors" => FaultSpec::ServerErrors {
            from_ms: 0,
            until_ms,
            probability,
            ops,
            prefix: String::new(),
        },
        "timeouts" => FaultSpec::Timeouts {
            from_ms: 0,
            until_ms,
            probability,
            ops,
            prefix: String::new(),
            applied_probability: 0.5,
        },
        "throttle" => FaultSpec::Throttle {
            from_ms: 0,
            until_ms,
            probability,
            ops,
            prefix: String::new(),
        },
        "lost_acks" => FaultSpec::LostAcks {
            from_ms: 0,
            until_ms,
            probability,
            ops: vec![StoreOp::Put],
            prefix: String::new(),
        },
        "slow" => {
            if !(form.multiplier.is_finite() && form.multiplier >= 1.0) {
                return Err(format!(
                    "the slow-down factor must be at least 1, got {}",
                    shortest(form.multiplier)
                ));
            }
            FaultSpec::Slow {
                from_ms: 0,
                until_ms,
                probability,
                ops,
                prefix: String::new(),
                multiplier: form.multiplier,
            }
        }
        "outage" => FaultSpec::Outage {
            from_ms: 0,
            until_ms: form.window_ms.max(1),
        },
        "bit_flips" => FaultSpec::BitFlips {
            from_ms: 0,
            until_ms,
            probability,
            ops: vec![StoreOp::Put],
            prefix,
        },
        "bit_flip" => FaultSpec::BitFlip { at_ms: 0, prefix },
        "crash_writer" => FaultSpec::CrashWriter {
            at_ms: 0,
            recover_after_ms: None,
        },
        "recover" => FaultSpec::Recover { at_ms: 0 },
        "start_zombie" => FaultSpec::StartZombie { at_ms: 0 },
        other => return Err(format!("unknown fault “{other}”")),
    })
}

/// One line describing a scenario fault, for the list.
pub fn describe(fault: &FaultSpec) -> String {
    let at = |ms: u64| format::sim_time(SimTime::from_millis(ms));
    match fault {
        FaultSpec::Outage { from_ms, until_ms } => {
            format!("outage {} → {}", at(*from_ms), at(*until_ms))
        }
        FaultSpec::BitFlip { at_ms, prefix } => {
            format!("bit flip at {} under “{}”", at(*at_ms), prefix)
        }
        FaultSpec::CrashWriter {
            at_ms,
            recover_after_ms: Some(after),
        } => format!("crash writer at {}, recover {} ms later", at(*at_ms), after),
        FaultSpec::CrashWriter { at_ms, .. } => format!("crash writer at {}", at(*at_ms)),
        FaultSpec::Recover { at_ms } => format!("recover at {}", at(*at_ms)),
        FaultSpec::StartZombie { at_ms } => format!("zombie writer at {}", at(*at_ms)),
        other => {
            let window = other.window();
            match window {
                Some(w) => format!(
                    "{} {} → {} (p = {})",
                    crate::format::underscores_as(other.kind(), ' '),
                    at(w.from_ms),
                    w.until_ms.map_or("end".to_string(), at),
                    shortest(w.probability)
                ),
                None => other.kind().to_string(),
            }
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct ChaosProps {
    /// The faults already in the scenario (compared as documents: the page does not link
    /// the scenario types' derived `PartialEq`).
    pub faults: ByDocument<Vec<FaultSpec>>,
    pub db_path: String,
    pub on_command: Callback<Command>,
    #[prop_or_default]
    pub disabled: bool,
}

#[function_component(ChaosPanel)]
pub fn chaos_panel(props: &ChaosProps) -> Html {
    let form = use_reducer(ChaosForm::default);
    let inject = |kind: &'static str| {
        let form = form.clone();
        let on_command = props.on_command.clone();
        let db_path = props.db_path.clone();
        Callback::from(
            move |_: MouseEvent| match fault_for(kind, &form, &db_path) {
                Ok(fault) => on_command.emit(Command::Inject(fault)),
                Err(message) => on_command.emit(Command::Refused(message)),
            },
        )
    };
    let on_window = {
        let form = form.clone();
        let on_command = props.on_command.clone();
        Callback::from(move |text: String| match format::parse_f64(text.trim()) {
            Some(seconds) if seconds.is_finite() && seconds > 0.0 && seconds <= 3600.0 => {
                form.dispatch(ChaosAction::WindowMs((seconds * 1000.0).round() as u64))
            }
            _ => on_command.emit(Command::Refused(format!(
                "The fault window must be between 0 and 3,600 seconds; “{}” is not.",
                text
            ))),
        })
    };
    let on_probability = {
        let form = form.clone();
        let on_command = props.on_command.clone();
        Callback::from(move |text: String| match format::parse_f64(text.trim()) {
            Some(p) if (0.0..=1.0).contains(&p) => form.dispatch(ChaosAction::Probability(p)),
            _ => on_command.emit(Command::Refused(format!(
                "The probability must be between 0 and 1; “{}” is not.",
                text
            ))),
        })
    };
    let on_multiplier = {
        let form = form.clone();
        let on_command = props.on_command.clone();
        Callback::from(move |text: String| match format::parse_f64(text.trim()) {
            Some(m) if m.is_finite() && m >= 1.0 => form.dispatch(ChaosAction::Multiplier(m)),
            _ => on_command.emit(Command::Refused(format!(
                "The slow-down factor must be at least 1; “{}” is not.",
                text
            ))),
        })
    };
    let on_ops = {
        let form = form.clone();
        Callback::from(move |event: Event| {
            let select: HtmlSelectElement = event.target_unchecked_into();
            form.dispatch(ChaosAction::Ops(select.value()))
        })
    };
    let on_target = {
        let form = form.clone();
        Callback::from(move |event: Event| {
            let select: HtmlSelectElement = event.target_unchecked_into();
            form.dispatch(ChaosAction::Target(select.value()))
        })
    };
    // The newest faults first, at most `MAX_LISTED`, by an index loop: the `enumerate`, `rev`,
    // `take` and `map` chain this replaces was an instance the page had for this list alone.
    let mut fault_lines = Vec::new();
    let mut index = props.faults.len();
    while index > 0 && fault_lines.len() < crate::storage::MAX_LISTED {
        index -= 1;
        let fault = props.faults[index].clone();
        fault_lines.push(crate::widgets::removable_line(
            describe(&fault),
            "remove remove-fault",
            props
                .on_command
                .reform(move |_: MouseEvent| Command::RemoveFault(index, fault.clone())),
            props.disabled,
        ));
    }
    html! {
        { panel("panel chaos-panel", "chaos", html! { <>
            { text_element("h2", "", "Chaos".into()) }
            { text_element("p", "hint", "Each fault starts now and is written into the scenario, so the share link replays it.".into()) }
            { container("div", "chaos-form", html! { <>
                { container("label", "field", html! { <>{ text_element("span", "field-label", "window".into()) }
                    { container("span", "field-input", html! { <><DraftInput id="fault-window" kind="number" min="0.1" step="any"
                        value={shortest(form.window_ms as f64 / 1000.0).to_string()} on_commit={on_window} />{ text_element("span", "unit", "s".into()) }</> }) }</> }) }
                { container("label", "field", html! { <>{ text_element("span", "field-label", "probability".into()) }
                    { container("span", "field-input", html! { <><DraftInput id="fault-probability" kind="number" min="0" max="1" step="0.05"
                        value={shortest(form.probability).to_string()} on_commit={on_probability} /></> }) }</> }) }
                { container("label", "field", html! { <>{ text_element("span", "field-label", "slow-down".into()) }
                    { container("span", "field-input", html! { <><DraftInput id="fault-multiplier" kind="number" min="1" step="any"
                        value={shortest(form.multiplier).to_string()} on_commit={on_multiplier} />{ text_element("span", "unit", "×".into()) }</> }) }</> }) }
                { select_field("requests", "fault-ops", &[("all", "all"), ("put", "PUTs"), ("get", "GETs and HEADs")], &form.ops, on_ops, false, Html::default()) }
                { select_field("bit-flip target", "fault-target", &[("sst", "SSTs"), ("wal", "WAL objects"), ("manifest", "manifests"), ("any", "any object")], &form.target, on_target, false, Html::default()) }
            </> }) }
            { container("div", "fault-buttons", html! { <>
                { for FAULTS.iter().map(|(kind, label, help)| html! {
                    <button id={format!("inject-{}", crate::format::underscores_as(kind, '-'))} class={class_pair("fault", kind)}
                            title={*help} onclick={inject(kind)} disabled={props.disabled}>{ *label }</button>
                }) }
            </> }) }
            { text_element("h3", "", crate::format::counted("Faults in the scenario (", props.faults.len() as u64, ")").into()) }
            if props.faults.is_empty() {
                { text_element("p", "empty", "None yet.".into()) }
            } else {
                <ol class="fault-list" id="fault-list" reversed=true start={props.faults.len().to_string()}>
                    { for fault_lines }
                </ol>
            }
        </> }) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_lab::Scenario;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn every_offered_fault_makes_a_valid_scenario() {
        let form = ChaosForm::default();
        for (kind, _, _) in FAULTS {
            let fault = fault_for(kind, &form, "db").unwrap();
            assert_eq!(fault.kind(), kind);
            if matches!(kind, "recover") {
                continue; // needs a crash first; checked below
            }
            let mut scenario = Scenario::default();
            scenario.faults.push(fault.shifted(1000));
            scenario
                .validate()
                .unwrap_or_else(|e| panic!("{kind}: {e}"));
            assert!(!describe(&scenario.faults[0]).is_empty());
        }
        let mut scenario = Scenario::default();
        scenario.faults.push(
            fault_for("crash_writer", &form, "db")
                .unwrap()
                .shifted(1000),
        );
        scenario
            .faults
            .push(fault_for("recover", &form, "db").unwrap().shifted(2000));
        scenario.validate().unwrap();
    }

    #[test]
    fn bad_forms_are_refused() {
        let form = ChaosForm {
            multiplier: 0.5,
            ..ChaosForm::default()
        };
        assert!(fault_for("slow", &form, "db")
            .unwrap_err()
            .contains("at least 1"));
        assert!(fault_for("meteor", &ChaosForm::default(), "db").is_err());
        match fault_for("bit_flip", &ChaosForm::default(), "db").unwrap() {
            FaultSpec::BitFlip { prefix, .. } => assert_eq!(prefix, "db/sst/"),
            other => panic!("{other:?}"),
        }
    }
}

//! The scenario tab: the share links (the whole run, and this moment), the setting changes the
//! links replay, import from a file, export as a download (the scenario; the run so far as a
//! Perfetto trace and as a metrics CSV, [`crate::download::RunExports`]), the examples (fetched when chosen), and the scenario document
//! itself.
//!
//! Imports are read with a `FileReader` whose handle the root keeps ([`ImportSlot`]) until
//! it answers (dropping it cancels the read); files over [`MAX_IMPORT_BYTES`] are refused unread.
//! The panel is a function, not a component: the root renders it with every frame and makes its
//! callback anew each time, so a component's memo never saved a render.

use crate::command::Command;
use crate::download::download;
use crate::format;
use crate::frame::Requests;
use crate::widgets::{
    button, container, identified_container, identified_text, panel, select_options, text_element,
};
use gloo::file::callbacks::FileReader;
use std::cell::RefCell;
use std::rc::Rc;
use strata_lab::scenario::SettingChange;
use strata_lab::Scenario;
use strata_sim::fmt::{fixed, shortest};
use strata_sim::SimTime;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// The largest scenario file read (the share-token limit is 64 KiB; files may be pretty).
pub const MAX_IMPORT_BYTES: u64 = 1024 * 1024;

/// Where the page fetches the example scenarios from, relative to the page: `cargo xtask dist`
/// copies `tests/scenarios/*.json` there, so the documents are not in the wasm.
pub const EXAMPLES_DIR: &str = "examples";

/// The example scenarios shipped with the playground: (id, label); the document is
/// `EXAMPLES_DIR/ID.json` (`tests/scenarios/ID.json` in the repository), fetched when chosen.
pub const EXAMPLES: [(&str, &str); 8] = [
    ("steady-writes", "steady writes"),
    ("crash-recover", "crash and recover"),
    ("zombie-writer", "zombie writer"),
    ("outage", "outage"),
    ("bit-flip", "bit flip"),
    ("rate-change", "rate change"),
    ("recommender", "recommender"),
    ("compaction", "leveled compaction"),
];

/// Reads a scenario document (an imported file), with a message fit for the page on failure.
pub fn read_scenario_file(name: &str, text: &str) -> Result<Scenario, String> {
    Scenario::from_json(text).map_err(|error| {
        format!("“{name}” is not a scenario this playground can load ({error}). The run goes on unchanged.")
    })
}

/// The file name an export gets.
pub fn export_file_name(scenario: &Scenario) -> String {
    format!("{}.json", file_stem(scenario))
}

/// The name of a saved trace (Chrome trace-event JSON, for Perfetto).
pub fn trace_file_name(scenario: &Scenario) -> String {
    format!("{}-trace.json", file_stem(scenario))
}

/// The name of a saved metrics CSV.
pub fn metrics_file_name(scenario: &Scenario) -> String {
    format!("{}-metrics.csv", file_stem(scenario))
}

/// `strata-NAME-seedSEED`, the scenario's name cut to letters, digits and dashes.
fn file_stem(scenario: &Scenario) -> String {
    let name: String = scenario
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let name = if name.is_empty() {
        "scenario".to_string()
    } else {
        name
    };
    format!("strata-{name}-seed{}", scenario.seed)
}

fn describe_change(change: &SettingChange) -> String {
    match change {
        SettingChange::Workload { workload, .. } => format!(
            "workload: {} ops/s, {}% reads, {} B values{}",
            shortest(workload.rate_ops_per_sec),
            fixed(
                workload.mix.read / (workload.mix.read + workload.mix.write).max(1e-9) * 100.0,
                0
            ),
            workload.value_bytes.max,
            if workload.await_durable {
                ", await durable"
            } else {
                ""
            }
        ),
        SettingChange::Engine { .. } => "engine options (writer restarted)".to_string(),
        SettingChange::Store { store, .. } => {
            format!("object store: {}", store.preset.as_str())
        }
    }
}

/// Where a scenario file being read keeps its reader until it answers: held by the root,
/// which makes it when the page boots (`app::boot`), as the panel is a function.
pub type ImportSlot = Rc<RefCell<Option<FileReader>>>;

/// What the scenario tab is drawn from.
pub struct ScenarioPanel {
    pub scenario: Rc<Scenario>,
    /// Where the trace and metrics buttons ask for the run's exports (on click only).
    pub requests: Requests,
    pub link: String,
    pub moment_link: String,
    pub now: SimTime,
    pub on_command: Callback<Command>,
    pub disabled: bool,
    /// The root's slot for a file being imported.
    pub import: ImportSlot,
}

/// Draws the scenario tab.
pub fn scenario_panel(props: &ScenarioPanel) -> Html {
    let reader = props.import.clone();
    let on_import = {
        let reader = reader.clone();
        let on_command = props.on_command.clone();
        Callback::from(move |event: Event| {
            let input: HtmlInputElement = event.target_unchecked_into();
            let Some(file) = input.files().and_then(|files| files.get(0)) else {
                return;
            };
            let file = gloo::file::File::from(file);
            let name = file.name();
            if file.size() > MAX_IMPORT_BYTES {
                on_command.emit(Command::Refused(format!(
                    "“{name}” is {}, over the {} limit for a scenario file. The run goes on unchanged.",
                    format::bytes(file.size()),
                    format::bytes(MAX_IMPORT_BYTES)
                )));
                return;
            }
            let on_command = on_command.clone();
            let slot = reader.clone();
            let task = crate::download::read_text(&file, move |result| {
                match result {
                    Ok(text) => match read_scenario_file(&name, &text) {
                        Ok(scenario) => on_command.emit(Command::Load {
                            scenario: Box::new(scenario),
                            source: format!("the file “{name}”"),
                        }),
                        Err(message) => on_command.emit(Command::Refused(message)),
                    },
                    Err(error) => on_command.emit(Command::Refused(format!(
                        "“{name}” could not be read ({error}). The run goes on unchanged."
                    ))),
                }
                slot.borrow_mut().take();
            });
            *reader.borrow_mut() = Some(task);
            // Let the same file be chosen again later.
            input.set_value("");
        })
    };
    let on_export = {
        let scenario = props.scenario.clone();
        let on_command = props.on_command.clone();
        Callback::from(move |_: MouseEvent| {
            let name = export_file_name(&scenario);
            match download(&name, "application/json", &scenario.to_json_pretty()) {
                Ok(()) => on_command.emit(Command::Info(format!("Saved the scenario as {name}."))),
                Err(message) => on_command.emit(Command::Refused(message)),
            }
        })
    };
    let on_example = {
        let on_command = props.on_command.clone();
        Callback::from(move |event: Event| {
            let select: HtmlSelectElement = event.target_unchecked_into();
            let id = select.value();
            if let Some(&(id, label)) = EXAMPLES.iter().find(|(key, _)| *key == id) {
                let on_command = on_command.clone();
                crate::spawn_local(async move {
                    let url = format!("{EXAMPLES_DIR}/{id}.json");
                    let command = match crate::app::chapter::fetch_text(&url).await {
                        Ok(text) => match read_scenario_file(label, &text) {
                            Ok(scenario) => Command::Load {
                                scenario: Box::new(scenario),
                                source: format!("the example “{label}”"),
                            },
                            Err(message) => Command::Refused(message),
                        },
                        Err(why) => Command::Refused(format!(
                            "The example “{label}” could not be loaded: {why}. The run goes on unchanged."
                        )),
                    };
                    on_command.emit(command);
                });
            }
            select.set_value("");
        })
    };
    let select_all = Callback::from(|event: FocusEvent| {
        let input: HtmlInputElement = event.target_unchecked_into();
        input.select();
    });
    let s = &props.scenario;
    // The newest changes first, at most `MAX_LISTED`, by an index loop: the `enumerate`, `rev`,
    // `take` and `map` chain this replaces was an instance the page had for this list alone.
    let mut change_lines = Vec::new();
    let mut index = s.changes.len();
    while index > 0 && change_lines.len() < crate::storage::MAX_LISTED {
        index -= 1;
        let change = &s.changes[index];
        let line = format!(
            "{} — {}",
            format::sim_time(SimTime::from_millis(change.at_ms())),
            describe_change(change)
        );
        let change = change.clone();
        change_lines.push(crate::widgets::removable_line(
            line,
            "remove remove-change",
            props
                .on_command
                .reform(move |_: MouseEvent| Command::RemoveChange(index, change.clone())),
            props.disabled,
        ));
    }
    html! {
        { container("div", "scenario-tab", html! { <>
            { panel("panel", "share", html! { <>
                { text_element("h2", "", "Share this run".into()) }
                { container("p", "hint", html! { <>{ "The link holds the whole scenario (schema version 1: seed, workload, engine and store settings, the changes you made to them and the faults you injected, each at its time, recommender settings). Opening it replays the same run, with the same trace hash as "}<code>{ "strata run" }</code>{ " on the saved file." }</> }) }
                { container("label", "field wide", html! { <>{ text_element("span", "field-label", "link to the run".into()) }
                    <input id="share-link" type="text" readonly=true value={props.link.clone()} onfocus={select_all.clone()} /></> }) }
                { container("label", "field wide", html! { <>{ text_element("span", "field-label", format!("link to {}", format::sim_time(props.now)).into()) }
                    <input id="moment-link" type="text" readonly=true value={props.moment_link.clone()} onfocus={select_all} /></> }) }
                if s.changes.is_empty() {
                    { identified_text("p", "changes-notice", "ok-note", "No setting changes yet: the run keeps the scenario's workload, engine and store settings. Controls you move are recorded here, at their simulated time, and the link replays them; each can be removed again.".into()) }
                } else {
                    { identified_container("div", "changes-notice", "ok-note", html! { <>
                        { text_element("p", "", format!("The link replays {} setting change{} at {}:", s.changes.len(), if s.changes.len() == 1 { "" } else { "s" }, if s.changes.len() == 1 { "its time" } else { "their times" }).into()) }
                        <ol id="setting-changes" reversed=true start={s.changes.len().to_string()}>
                            { for change_lines }
                        </ol>
                    </> }) }
                }
            </> }) }
            { panel("panel", "import and export", html! { <>
                { text_element("h2", "", "Import and export".into()) }
                { container("div", "button-row", html! { <>
                    { container("label", "file-label", html! { <>{ "Load a scenario file… " }
                        <input id="import-file" type="file" accept=".json,application/json" onchange={on_import} disabled={props.disabled} /></> }) }
                    { button("export", "", "Save this scenario (JSON)".into(), on_export, false) }
                    <crate::download::RunExports requests={props.requests.clone()} on_command={props.on_command.clone()} disabled={props.disabled} />
                    { container("label", "field", html! { <>{ text_element("span", "field-label", "examples".into()) }
                        <select id="examples" onchange={on_example} disabled={props.disabled}>
                            <option value="" selected=true>{ "choose…" }</option>
                            { select_options(&EXAMPLES, "") }
                        </select></> }) }
                </> }) }
            </> }) }
            { panel("panel", "scenario document", html! { <>
                { text_element("h2", "", format!("The scenario “{}” (seed {}, {} of simulated time)", s.name, s.seed, format::sim_time(SimTime::from_millis(s.duration_ms))).into()) }
                if !s.description.is_empty() { { text_element("p", "", s.description.clone().into()) } }
                <pre id="scenario-json" class="json">{ s.to_json_pretty() }</pre>
            </> }) }
        </> }) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn every_example_loads() {
        let files: [(&str, &str); 8] = [
            (
                "steady-writes",
                include_str!("../../tests/scenarios/steady-writes.json"),
            ),
            (
                "crash-recover",
                include_str!("../../tests/scenarios/crash-recover.json"),
            ),
            (
                "zombie-writer",
                include_str!("../../tests/scenarios/zombie-writer.json"),
            ),
            ("outage", include_str!("../../tests/scenarios/outage.json")),
            (
                "bit-flip",
                include_str!("../../tests/scenarios/bit-flip.json"),
            ),
            (
                "rate-change",
                include_str!("../../tests/scenarios/rate-change.json"),
            ),
            (
                "recommender",
                include_str!("../../tests/scenarios/recommender.json"),
            ),
            (
                "compaction",
                include_str!("../../tests/scenarios/compaction.json"),
            ),
        ];
        assert_eq!(
            EXAMPLES.map(|(id, _)| id),
            files.map(|(id, _)| id),
            "each example listed has its file"
        );
        for ((id, label), (_, text)) in EXAMPLES.iter().zip(files) {
            read_scenario_file(label, text).unwrap_or_else(|e| panic!("{id}: {e}"));
        }
    }

    #[test]
    fn a_bad_file_says_why_and_a_good_one_round_trips() {
        let error = read_scenario_file("notes.txt", "hello").unwrap_err();
        assert!(
            error.contains("notes.txt") && error.contains("unchanged"),
            "{error}"
        );
        let error = read_scenario_file(
            "old.json",
            r#"{"version": 0, "seed": 1, "duration_ms": 10}"#,
        )
        .unwrap_err();
        assert!(error.contains("version"), "{error}");
        let scenario = crate::link::default_scenario();
        let read = read_scenario_file("saved.json", &scenario.to_json_pretty()).unwrap();
        assert_eq!(read, scenario);
        assert_eq!(export_file_name(&scenario), "strata-playground-seed42.json");
        assert_eq!(
            trace_file_name(&scenario),
            "strata-playground-seed42-trace.json"
        );
        assert_eq!(
            metrics_file_name(&scenario),
            "strata-playground-seed42-metrics.csv"
        );
    }
}

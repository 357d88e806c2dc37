//! Downloads from the page: text offered as a file through a Blob URL and a clicked
//! `<a download>`. The scenario, the trace, the metrics and the charts are saved this way.
//!
//! The trace (Perfetto JSON) and the metrics (CSV) fold a whole run, so [`RunExports`] has the
//! page's worker ([`crate::worker`]) rebuild the run from the scenario (with its live changes
//! and faults, as the share link carries them) up to the moment on show, and fold it with
//! `strata_lab::export`, exactly as `strata run --trace-out/--metrics-out` writes them. The
//! buttons show the rebuild's progress and a Cancel while it works.

use crate::command::Command;
use crate::format;
use crate::frame::Requests;
use crate::widgets::button;
use crate::worker::host;
use crate::worker::protocol::{ExportKind, Reply, Request};
use std::cell::RefCell;
use std::rc::Rc;
use strata_sim::fmt::{fixed, shortest};
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// Reads `file` as text for the page's two uploads (a scenario file, the recommender's log),
/// calling `done` with it. The callback boxed: gloo's reader is one instance for both, not
/// one for each callback's type.
pub fn read_text(
    file: &gloo::file::File,
    done: impl FnOnce(Result<String, gloo::file::FileReadError>) + 'static,
) -> gloo::file::callbacks::FileReader {
    let done: Box<dyn FnOnce(Result<String, gloo::file::FileReadError>)> = Box::new(done);
    gloo::file::callbacks::read_as_text(file, done)
}

/// Offers `text` as a file download named `name`, of MIME type `mime`.
pub fn download(name: &str, mime: &str, text: &str) -> Result<(), String> {
    let blob = gloo::file::Blob::new_with_options(text, Some(mime));
    let url = gloo::file::ObjectUrl::from(blob);
    let document = gloo::utils::document();
    let anchor = document
        .create_element("a")
        .map_err(|_| "the page could not create a download link".to_string())?
        .dyn_into::<web_sys::HtmlAnchorElement>()
        .map_err(|_| "the page could not create a download link".to_string())?;
    anchor.set_href(&url);
    anchor.set_download(name);
    anchor.click();
    // The object URL is revoked when `url` drops; the click has started the download by then.
    Ok(())
}

/// The presentation properties copied from the page's style sheet onto each element of a
/// saved SVG, so that it draws the same on its own.
const INLINED_PROPERTIES: [&str; 13] = [
    "fill",
    "fill-opacity",
    "stroke",
    "stroke-width",
    "stroke-dasharray",
    "stroke-opacity",
    "opacity",
    "font-family",
    "font-size",
    "font-weight",
    "text-anchor",
    "dominant-baseline",
    "visibility",
];

/// Elements of one chart at most (a chart bounds its own: a few hundred).
const MAX_SVG_ELEMENTS: u32 = 20_000;

/// A standalone SVG document of the drawn `svg`: its namespace set, every element's computed
/// presentation (colours from the page's CSS variables, fonts, dashes) written into its
/// `style`, and the page's background behind it, so the file renders alone.
pub fn standalone_svg(svg: &web_sys::Element) -> Result<String, String> {
    let failed = |what: &str| format!("the page could not save the chart ({what})");
    let window = gloo::utils::window();
    let copy = svg
        .clone_node_with_deep(true)
        .map_err(|_| failed("copying it"))?
        .dyn_into::<web_sys::Element>()
        .map_err(|_| failed("copying it"))?;
    let originals = svg
        .query_selector_all("*")
        .map_err(|_| failed("listing its elements"))?;
    let copies = copy
        .query_selector_all("*")
        .map_err(|_| failed("listing its elements"))?;
    if originals.length() != copies.length() || originals.length() > MAX_SVG_ELEMENTS {
        return Err(failed("its elements changed while saving"));
    }
    let inline = |original: &web_sys::Element, copy: &web_sys::Element| -> Result<(), String> {
        let computed = window
            .get_computed_style(original)
            .ok()
            .flatten()
            .ok_or_else(|| failed("reading its style"))?;
        // Written by a loop: a `filter_map` and `collect` was an instance of its own.
        let mut style = String::new();
        for property in INLINED_PROPERTIES {
            if let Ok(value) = computed.get_property_value(property) {
                if !value.is_empty() {
                    style.push_str(&format!("{property}:{value};"));
                }
            }
        }
        // The presentation attributes the style now overrides go: some name CSS variables
        // (`stroke="var(--accent)"`), which mean nothing outside the page.
        for property in INLINED_PROPERTIES {
            copy.remove_attribute(property)
                .map_err(|_| failed("writing its style"))?;
        }
        copy.set_attribute("style", &style)
            .map_err(|_| failed("writing its style"))
    };
    inline(svg, &copy)?;
    for index in 0..originals.length() {
        let (Some(original), Some(copied)) = (originals.item(index), copies.item(index)) else {
            return Err(failed("its elements changed while saving"));
        };
        let (Ok(original), Ok(copied)) = (
            original.dyn_into::<web_sys::Element>(),
            copied.dyn_into::<web_sys::Element>(),
        ) else {
            continue;
        };
        inline(&original, &copied)?;
    }
    // A fixed size from the view box (the page's is "100%" of its column). The page writes
    // its view boxes with single spaces: split at them, not by `split_whitespace`, whose
    // Unicode iterator only this read used.
    if let Some(view_box) = svg.get_attribute("viewBox") {
        let mut sizes = view_box.split(' ');
        let four = (sizes.next(), sizes.next(), sizes.next(), sizes.next());
        if let ((Some(_), Some(_), Some(width), Some(height)), None) = (four, sizes.next()) {
            copy.set_attribute("width", width)
                .and_then(|()| copy.set_attribute("height", height))
                .map_err(|_| failed("setting its size"))?;
        }
    }
    let document = gloo::utils::document();
    let background = document
        .body()
        .and_then(|body| window.get_computed_style(&body).ok().flatten())
        .and_then(|style| style.get_property_value("background-color").ok())
        .filter(|colour| !colour.is_empty() && colour != "rgba(0, 0, 0, 0)")
        .unwrap_or_else(|| "white".to_string());
    let backdrop = document
        .create_element_ns(Some(SVG_NAMESPACE), "rect")
        .map_err(|_| failed("drawing its background"))?;
    for (name, value) in [
        ("width", "100%"),
        ("height", "100%"),
        ("fill", background.as_str()),
    ] {
        backdrop
            .set_attribute(name, value)
            .map_err(|_| failed("drawing its background"))?;
    }
    copy.prepend_with_node_1(&backdrop)
        .map_err(|_| failed("drawing its background"))?;
    copy.set_attribute("xmlns", SVG_NAMESPACE)
        .map_err(|_| failed("setting its namespace"))?;
    let text = web_sys::XmlSerializer::new()
        .and_then(|serializer| serializer.serialize_to_string(&copy))
        .map_err(|_| failed("serialising it"))?;
    Ok(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{text}\n"
    ))
}

/// The SVG namespace, which a standalone file must declare.
pub const SVG_NAMESPACE: &str = "http://www.w3.org/2000/svg";

/// The export running, if any: its job (the id of the request that started it).
type RunningJob = Rc<RefCell<Option<u64>>>;

/// What the buttons show while an export works: which file, and how much of the rebuild is
/// done (0 to 1).
type Progress = Option<(ExportKind, f64)>;

/// The buttons' state: the progress shown, and the running job's cell, which every state
/// shares, so the callbacks read the job as it is now rather than as it was at their render.
/// One state hook rather than a state hook and a `use_mut_ref`: every hook call is code of
/// its own in the wasm (docs/ui.md, the cuts table).
#[derive(Clone)]
struct Exporting {
    running: RunningJob,
    progress: Progress,
}

impl Exporting {
    /// The state showing `progress`, with the same job cell.
    fn showing(&self, progress: Progress) -> Exporting {
        Exporting {
            running: self.running.clone(),
            progress,
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct RunExportsProps {
    /// Where the run on show is read for the export's request (on click only).
    pub requests: Requests,
    pub on_command: Callback<Command>,
    #[prop_or_default]
    pub disabled: bool,
}

/// The reply handler of export `job`'s requests: a slice done asks for the next one, the file
/// is offered as a download, a failure is told. Nothing once the export was cancelled.
fn on_export_reply(
    kind: ExportKind,
    state: Exporting,
    progress: UseStateSetter<Exporting>,
    on_command: Callback<Command>,
) -> Callback<Reply> {
    Callback::from(move |reply: Reply| {
        let Some(job) = *state.running.borrow() else {
            return;
        };
        match reply {
            Reply::ExportProgress { fraction } => {
                progress.set(state.showing(Some((kind, fraction))));
                let next =
                    on_export_reply(kind, state.clone(), progress.clone(), on_command.clone());
                host::send(Request::ContinueExport { job }, next);
                return;
            }
            Reply::Exported { name, text } => {
                let (mime, what) = match kind {
                    ExportKind::Trace => {
                        ("application/json", "the trace (open it in ui.perfetto.dev)")
                    }
                    ExportKind::Metrics => ("text/csv", "the metrics"),
                };
                on_command.emit(match download(&name, mime, &text) {
                    Ok(()) => Command::Info(format!(
                        "Saved {what} as {name} ({}).",
                        format::bytes(text.len() as u64)
                    )),
                    Err(message) => Command::Refused(message),
                });
            }
            Reply::ExportFailed(message) | Reply::Refused(message) => on_command.emit(
                Command::Refused(format!("The file could not be made: {message}.")),
            ),
            _ => on_command.emit(Command::Refused(
                "The file could not be made: the worker answered something else.".to_string(),
            )),
        }
        state.running.borrow_mut().take();
        progress.set(state.showing(None));
    })
}

/// The trace and metrics buttons, with the export's progress and a Cancel while one works.
#[function_component(RunExports)]
pub fn run_exports(props: &RunExportsProps) -> Html {
    let state = use_state(|| Exporting {
        running: RunningJob::default(),
        progress: None,
    });
    let start = |kind: ExportKind| {
        let requests = props.requests.clone();
        let on_command = props.on_command.clone();
        let state = state.clone();
        Callback::from(move |_: MouseEvent| {
            if state.running.borrow().is_some() {
                return;
            }
            let Some(request) = requests.export(kind) else {
                return;
            };
            let on_reply =
                on_export_reply(kind, (*state).clone(), state.setter(), on_command.clone());
            let job = host::send(request, on_reply);
            *state.running.borrow_mut() = Some(job);
            state.set(state.showing(Some((kind, 0.0))));
        })
    };
    let on_cancel = {
        let state = state.clone();
        let on_command = props.on_command.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(job) = state.running.borrow_mut().take() {
                host::send(Request::CancelExport { job }, Callback::noop());
                state.set(state.showing(None));
                on_command.emit(Command::Info("The export was cancelled.".to_string()));
            }
        })
    };
    let busy = state.progress.is_some();
    html! {
        <>
        <button id="save-trace" onclick={start(ExportKind::Trace)} disabled={props.disabled || busy}
                title="The run so far as Chrome trace-event JSON: the events the trace's ring retains, with a track per request cause. Opens in ui.perfetto.dev and chrome://tracing; the same file as strata run --trace-out.">{ "Save trace (Perfetto JSON)" }</button>
        <button id="save-metrics" onclick={start(ExportKind::Metrics)} disabled={props.disabled || busy}
                title="The metrics over time, one row per simulated second: operations, latencies, store requests, cost; the recommender's CTR and regret when there is one. The same file as strata run --metrics-out.">{ "Save metrics (CSV)" }</button>
        if let Some((kind, fraction)) = state.progress {
            <span id="export-progress" class="export-progress" role="status">
                { match kind { ExportKind::Trace => "Re-simulating the run for the trace… ", ExportKind::Metrics => "Re-simulating the run for the metrics… " } }
                <progress max="1" value={shortest(fraction).to_string()}></progress>
                { format!(" {} %", fixed(100.0 * fraction, 0)) }
                { button("export-cancel", "", "Cancel".into(), on_cancel, false) }
            </span>
        }
        </>
    }
}

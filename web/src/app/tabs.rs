//! The tabs: the strip that switches them (with the last frame's statistics beside it) and
//! the open tab's view — Storage (the storage view with the live controls and the chaos
//! panel), Recommender (with off-policy evaluation, refreshed while the tab is open) and
//! Scenario & sharing, and the Chapters index. Each view draws the frame (`crate::frame`) and
//! asks the run for the rest through `Requests`; panels answer with `Command`s, which the root
//! applies.

use super::boot::page_url;
use super::chapter::{chapter_index, ChapterIndex, SharedChapters};
use super::present;
use super::{Action, Tab, UiState};
use crate::chaos::ChaosPanel;
use crate::command::Command;
use crate::controls::ControlsPanel;
use crate::frame::{FrameRef, Requests, TimelineRequest};
use crate::link;
use crate::recommender::{recommender_view, RecommenderModel, RecommenderView};
use crate::scenario_panel::{scenario_panel, ImportSlot, ScenarioPanel};
use crate::storage::{storage_view, Layout, StorageView};
use crate::widgets::{container, identified_text};
use std::rc::Rc;
use strata_lab::scenario::ByDocument;
use strata_sim::fmt::fixed;
use strata_sim::SimTime;
use yew::prelude::*;

/// The tab strip, with the last frame's statistics beside it (`render_ms`: how long drawing
/// takes, smoothed). A plain function of the root's state rather than a component: it has no
/// state of its own.
pub fn tab_strip(state: &UseReducerHandle<UiState>, render_ms: f64) -> Html {
    let tab_button = |tab: Tab, id: &'static str, label: &'static str| {
        let dispatcher = state.dispatcher();
        let selected = state.tab == tab;
        html! {
            <button id={id} role="tab" aria-selected={selected.to_string()} class={if selected { "tab selected" } else { "tab" }}
                    onclick={Callback::from(move |_: MouseEvent| dispatcher.dispatch(Action::Tab(tab)))}>{ label }</button>
        }
    };
    html! {
        <nav class="tabs" role="tablist">
            { tab_button(Tab::Storage, "tab-storage", "Storage") }
            { tab_button(Tab::Recommender, "tab-recommender", "Recommender") }
            { tab_button(Tab::Scenario, "tab-scenario", "Scenario & sharing") }
            { tab_button(Tab::Chapters, "tab-chapters", "Chapters") }
            { identified_text("span", "frame-work", "frame-stats muted", format!("last frame: {} ms simulating in {} ms · {} ms drawing", fixed(state.frame_work_ms, 1), fixed(state.frame_wall_ms, 1), fixed(render_ms, 1)).into()) }
        </nav>
    }
}

/// What the open tab's body is drawn from.
pub struct TabBody {
    /// The frame on show, with the open tab's part.
    pub frame: FrameRef,
    /// The timeline's requests, folded from the frames.
    pub timeline: Rc<Vec<TimelineRequest>>,
    pub run: super::run_view::SharedRun,
    pub requests: Requests,
    pub chapters: SharedChapters,
    pub state: UseReducerHandle<UiState>,
    pub on_command: Callback<Command>,
    pub on_open_chapter: Callback<String>,
    /// The storage drawings' layout for the window's width.
    pub layout: Layout,
    /// Where the scenario tab keeps a file being imported.
    pub import: ImportSlot,
}

/// Draws the open tab's body.
/// A function, not a component: the root renders it with every frame, and its callbacks are
/// made anew each time, so a component's memo never saved a render and its code cost bytes.
pub fn tab_body(props: &TabBody) -> Html {
    let frame = &props.frame;
    let on_command = props.on_command.clone();
    let busy = props.state.rebuilding;
    let scenario = &frame.scenario;
    match props.state.tab {
        Tab::Storage => {
            let db_path = scenario
                .engine
                .path
                .clone()
                .unwrap_or_else(|| "db".to_string());
            html! {
                { container("div", "storage-layout", html! { <>
                    { storage_view(&StorageView { frame: frame.clone(), timeline: props.timeline.clone(), requests: props.requests.clone(), layout: props.layout }) }
                    <aside class="side">
                        <ControlsPanel settings={frame.settings.clone()} on_command={on_command.clone()} disabled={busy} />
                        <ChaosPanel faults={ByDocument(scenario.faults.clone())} db_path={db_path} on_command={on_command} disabled={busy} />
                    </aside>
                </> }) }
            }
        }
        Tab::Recommender => {
            let Some(recommender) = &frame.recommender else {
                return Html::default();
            };
            let (ope, ope_error) = props.run.0.borrow().ope.clone().unwrap_or_default();
            let model = RecommenderModel {
                frame: Rc::clone(recommender),
                spec: scenario.recommender.clone(),
                ope,
                ope_error,
            };
            recommender_view(&RecommenderView {
                model,
                on_command,
                disabled: busy,
            })
        }
        Tab::Chapters => chapter_index(&ChapterIndex {
            chapters: props.chapters.clone(),
            on_open: props.on_open_chapter.clone(),
        }),
        Tab::Scenario => {
            let now_ms_floor = frame.time.now.as_nanos() / 1_000_000;
            // In presenter mode the links keep `&present`, as the address does.
            let presenting = props.state.presenting;
            let fragment = present::with_present(&link::fragment(scenario, None), presenting);
            let moment =
                present::with_present(&link::fragment(scenario, Some(now_ms_floor)), presenting);
            scenario_panel(&ScenarioPanel {
                scenario: scenario.clone(),
                requests: props.requests.clone(),
                link: page_url(&fragment),
                moment_link: page_url(&moment),
                now: SimTime::from_millis(now_ms_floor),
                on_command,
                disabled: busy,
                import: props.import.clone(),
            })
        }
    }
}

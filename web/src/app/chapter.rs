//! Chapters in the page: the address `#chapter=NAME` opens one, the chapter panel above the
//! views shows its title, question and the caption of the beat on show, next and previous
//! play to the beats' stops, and the Chapters tab lists them all.
//!
//! The chapter files are not in the wasm: `cargo xtask dist` copies them to `chapters/` beside
//! the page with an index (`chapters/index.json`), and the page fetches the index and the file
//! it needs when a chapter is asked for. A name that is not in the index gets a message that
//! lists the chapters there are; a file that cannot be fetched or read shows its error in the
//! panel and the message bar, and the page goes on with the run it had.
//!
//! What a beat is and where it stops is decided without the browser, in
//! [`crate::chapter_play`]; the worker plays to a stop (`RunRequest::Beat`) in bounded
//! slices, as it runs "to the end", and records the stop reached here.

use super::run_view::SharedRun;
use super::{error, info, Action, Tab, UiState};
use crate::chapter_play::{self, ChapterPlay, IndexEntry};
use crate::chapter_play::{RunPoint, RunStart};
use crate::compare::Compare;
use crate::link;
use crate::widgets::{button, container, identified_container, identified_text, text_element};
use crate::worker::run::{Motion, RunRequest};
use std::cell::RefCell;
use std::rc::Rc;
use yew::prelude::*;

/// Where the page fetches the chapters from, relative to the page.
pub const CHAPTERS_DIR: &str = "chapters";

/// The recommender view's figures: a beat that points only at these is shown on its tab.
const RECOMMENDER_FIGURES: &[&str] = &["regret", "ctr", "coverage", "gini", "ope", "guardrails"];

/// The chapter index, fetched the first time it is needed.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum IndexState {
    #[default]
    NotLoaded,
    Loading,
    Loaded(Rc<Vec<IndexEntry>>),
    Failed(String),
}

/// The chapter on show, if any.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum OpenChapter {
    #[default]
    None,
    Loading(String),
    Failed {
        name: String,
        error: String,
    },
    Ready(Box<ChapterPlay>),
}

/// The page's chapters: the index, the chapter on show and the side-by-side run beside it
/// (its variant, or a share link's `vs`).
#[derive(Debug, Default)]
pub struct Chapters {
    pub index: IndexState,
    pub open: OpenChapter,
    pub compare: Option<Compare>,
}

impl Chapters {
    /// The chapter being played, if one is ready.
    pub fn playing(&self) -> Option<&ChapterPlay> {
        match &self.open {
            OpenChapter::Ready(play) => Some(play),
            _ => None,
        }
    }
}

/// The chapters, shared by the root and its parts like the session (equal when the same).
#[derive(Clone, Default)]
pub struct SharedChapters(pub Rc<RefCell<Chapters>>);

impl PartialEq for SharedChapters {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// The page's elements that show the figure a beat names: the recommender's figures are a
/// number and a chart each; every other name is an element id of the storage view.
pub fn elements_of(figure: &str) -> &[&str] {
    match figure {
        "regret" => &["rec-regret", "chart-regret"],
        "ctr" => &["rec-ctr", "chart-ctr"],
        "coverage" => &["rec-coverage", "chart-coverage"],
        "gini" => &["rec-gini", "chart-gini"],
        "ope" => &["ope-chart", "ope-empty"],
        "guardrails" => &["rec-exploration", "guard-change"],
        _ => &[],
    }
}

/// The tab that shows what `highlight` points at: the Recommender tab when it names only the
/// recommender's figures, the Storage tab when it names any other, none when it is empty.
pub fn tab_for(highlight: &[String]) -> Option<Tab> {
    if highlight.is_empty() {
        None
    } else if highlight
        .iter()
        .all(|id| RECOMMENDER_FIGURES.contains(&id.as_str()))
    {
        Some(Tab::Recommender)
    } else {
        Some(Tab::Storage)
    }
}

/// The tab a chapter opens on: the one its beats point at first.
fn opening_tab(play: &ChapterPlay) -> Tab {
    play.chapter
        .beats
        .iter()
        .find_map(|beat| tab_for(&beat.highlight))
        .unwrap_or(Tab::Storage)
}

/// Fetches `url` (relative to the page) as text, with the browser's `fetch` (no HTTP client
/// library in the download). The example scenarios come the same way.
pub async fn fetch_text(url: &str) -> Result<String, String> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    let failed = |e: wasm_bindgen::JsValue| {
        let why = e
            .dyn_ref::<js_sys::Error>()
            .map(|e| String::from(e.message()))
            .unwrap_or_else(|| "the browser refused the request".to_string());
        format!("{url} could not be fetched: {why}")
    };
    let response = JsFuture::from(gloo::utils::window().fetch_with_str(url))
        .await
        .map_err(failed)?;
    let response: web_sys::Response = response.dyn_into().map_err(failed)?;
    if !response.ok() {
        return Err(format!(
            "{url} could not be fetched: the server answered {} {}",
            response.status(),
            response.status_text()
        ));
    }
    let text = JsFuture::from(response.text().map_err(failed)?)
        .await
        .map_err(failed)?;
    text.as_string()
        .ok_or_else(|| format!("{url} could not be read as text"))
}

/// The index, fetched once and then kept.
async fn fetch_index(chapters: &SharedChapters) -> Result<Rc<Vec<IndexEntry>>, String> {
    if let IndexState::Loaded(index) = &chapters.0.borrow().index {
        return Ok(index.clone());
    }
    let result = fetch_text(&format!("{CHAPTERS_DIR}/index.json"))
        .await
        .and_then(|text| chapter_play::parse_index(&text))
        .map(Rc::new);
    chapters.0.borrow_mut().index = match &result {
        Ok(index) => IndexState::Loaded(index.clone()),
        Err(e) => IndexState::Failed(e.clone()),
    };
    result.map_err(|e| format!("The chapter index is not available: {e}."))
}

/// Fetches the index for the Chapters tab, unless it is there or on its way.
pub fn load_index(chapters: &SharedChapters, dispatcher: UseReducerDispatcher<UiState>) {
    if !matches!(chapters.0.borrow().index, IndexState::NotLoaded) {
        return;
    }
    chapters.0.borrow_mut().index = IndexState::Loading;
    let chapters = chapters.clone();
    crate::spawn_local(async move {
        // A failure is kept in the index state, which the tab shows.
        let _shown_by_the_tab = fetch_index(&chapters).await;
        dispatcher.dispatch(Action::Redraw);
    });
}

/// Opens chapter `name`: fetches it, restarts the run on its scenario (as a share link's
/// would) and shows it before its first beat, keeping `#chapter=NAME` in the address bar.
pub fn open_chapter(
    name: String,
    run: SharedRun,
    chapters: SharedChapters,
    kept_address: super::boot::KeptAddress,
    dispatcher: UseReducerDispatcher<UiState>,
) {
    {
        let mut chapters = chapters.0.borrow_mut();
        chapters.open = OpenChapter::Loading(name.clone());
        chapters.compare = None;
    }
    if matches!(run.motion(), Motion::Beat(_)) {
        run.move_to(Motion::Still, RunRequest::Beat(None), &dispatcher);
    }
    dispatcher.dispatch(Action::Redraw);
    crate::spawn_local(async move {
        let result = async {
            let index = fetch_index(&chapters).await?;
            chapter_play::check_listed(&name, &index)?;
            let text = fetch_text(&format!("{CHAPTERS_DIR}/{name}.json")).await?;
            chapter_play::parse_chapter(&name, &text)
        }
        .await;
        // Another chapter asked for meanwhile wins.
        if !matches!(&chapters.0.borrow().open, OpenChapter::Loading(asked) if *asked == name) {
            return;
        }
        let opened = result.and_then(|chapter| {
            chapter
                .scenario
                .compile()
                .map_err(|e| format!("The chapter “{name}”'s scenario could not start: {e}."))?;
            run.move_to(
                Motion::Still,
                RunRequest::Start {
                    scenario: chapter.scenario.to_json(),
                    at_ms: None,
                    note: None,
                },
                &dispatcher,
            );
            // The address keeps naming the chapter while its scenario is on show.
            *kept_address.borrow_mut() = Some(link::fragment(&chapter.scenario, None));
            let compare = Compare::for_chapter(&chapter, &chapter.scenario);
            Ok((
                Box::new(ChapterPlay::new(name.clone(), chapter, &RunStart)),
                compare,
            ))
        });
        match opened {
            Ok((play, compare)) => {
                dispatcher.dispatch(Action::Tab(opening_tab(&play)));
                dispatcher.dispatch(info(format!(
                    "Chapter “{}”: → (or Next) plays to the first beat.",
                    play.chapter.title
                )));
                chapters.0.borrow_mut().open = OpenChapter::Ready(play);
                match compare {
                    Ok(compare) => chapters.0.borrow_mut().compare = compare,
                    Err(e) => dispatcher.dispatch(error(format!(
                        "The chapter's side-by-side run could not start ({e}); its base run plays alone."
                    ))),
                }
            }
            Err(text) => {
                dispatcher.dispatch(error(text.clone()));
                chapters.0.borrow_mut().open = OpenChapter::Failed { name, error: text };
            }
        }
        dispatcher.dispatch(Action::Redraw);
    });
}

/// Plays to the next beat's stop. Returns whether a chapter is open (the key was used).
pub fn next_beat(
    run: &SharedRun,
    chapters: &SharedChapters,
    dispatcher: &UseReducerDispatcher<UiState>,
) -> bool {
    let chapters = chapters.0.borrow();
    let Some(play) = chapters.playing() else {
        return false;
    };
    if run.rebuilding() {
        return true;
    }
    match play.next_stop() {
        Some(stop) => run.move_to(Motion::Beat(stop), RunRequest::Beat(Some(stop)), dispatcher),
        None => dispatcher.dispatch(info("That was the chapter's last beat.")),
    }
    true
}

/// Goes back to the previous beat's stop by re-simulating (to the start from the first
/// beat). Returns whether a chapter is open (the key was used).
pub fn previous_beat(
    run: &SharedRun,
    chapters: &SharedChapters,
    dispatcher: &UseReducerDispatcher<UiState>,
) -> bool {
    let mut chapters = chapters.0.borrow_mut();
    let OpenChapter::Ready(play) = &mut chapters.open else {
        return false;
    };
    if matches!(run.motion(), Motion::Beat(_)) {
        run.move_to(Motion::Still, RunRequest::Beat(None), dispatcher);
    }
    let Some(frame) = run.frame() else {
        return true;
    };
    if frame.time.rebuild.is_some() {
        return true;
    }
    let Some(target) = play.back() else {
        dispatcher.dispatch(info("This is the chapter's start."));
        return true;
    };
    match target {
        None => {
            run.move_to(
                Motion::Still,
                RunRequest::Start {
                    scenario: frame.scenario.to_json(),
                    at_ms: None,
                    note: None,
                },
                dispatcher,
            );
            play.rewound(&RunStart);
            show_beat_tab(play, dispatcher);
        }
        // The beat on show changes when the re-simulation gets there (see `rebuilt`).
        Some(milestone) => {
            run.move_to(
                Motion::Still,
                RunRequest::Rebuild {
                    events: milestone.events,
                    at_ns: milestone.at.as_nanos(),
                },
                dispatcher,
            );
            dispatcher.dispatch(Action::Rebuilding(true));
        }
    }
    dispatcher.dispatch(Action::Redraw);
    true
}

/// Shows the tab of what the beat on show points at.
fn show_beat_tab(play: &ChapterPlay, dispatcher: &UseReducerDispatcher<UiState>) {
    if let Some(tab) = tab_for(play.highlight()) {
        dispatcher.dispatch(Action::Tab(tab));
    }
}

/// Called with the frame that says a re-simulation has finished: a beat being gone back to is
/// on show, and no beat whose stop is ahead of the run (a scrub back) stays on show.
pub fn rebuilt(
    point: &dyn RunPoint,
    chapters: &SharedChapters,
    dispatcher: &UseReducerDispatcher<UiState>,
) {
    if let OpenChapter::Ready(play) = &mut chapters.0.borrow_mut().open {
        let before = play.beat();
        play.rewound(point);
        if play.beat() != before {
            show_beat_tab(play, dispatcher);
        }
    }
}

/// A re-simulation was cancelled: the beat on show stays with the run that stays.
pub fn rebuild_cancelled(chapters: &SharedChapters) {
    if let OpenChapter::Ready(play) = &mut chapters.0.borrow_mut().open {
        play.cancelled();
    }
}

/// Called with each frame while the run moves (plain Play, a run forward): the beats
/// whose stops it passed are on show, as Next would have shown them.
pub fn played(
    point: &dyn RunPoint,
    chapters: &SharedChapters,
    dispatcher: &UseReducerDispatcher<UiState>,
) {
    let Ok(mut chapters) = chapters.0.try_borrow_mut() else {
        return;
    };
    if let OpenChapter::Ready(play) = &mut chapters.open {
        if play.follow(point) {
            // The caption says what the beat shows; the message bar's last word is old news.
            dispatcher.dispatch(Action::Message(None));
            show_beat_tab(play, dispatcher);
        }
    }
}

/// Shows chapter `name`: its address (`#chapter=NAME`, with `&present` kept in presenter
/// mode) is set, and the hash change opens it; the same address fires no hash change, so it
/// is opened here.
pub fn navigate_to(
    name: String,
    run: SharedRun,
    chapters: SharedChapters,
    kept_address: super::boot::KeptAddress,
    dispatcher: UseReducerDispatcher<UiState>,
) {
    let location = gloo::utils::window().location();
    let hash = location.hash().unwrap_or_default();
    let wanted = super::present::with_present(
        &format!("#chapter={name}"),
        super::present::has_present(&hash),
    );
    if hash == wanted {
        open_chapter(name, run, chapters, kept_address, dispatcher);
    } else if let Err(e) = location.set_hash(&wanted) {
        dispatcher.dispatch(error(format!(
            "The address could not be set to {wanted}: {e:?}"
        )));
    }
}

/// Opens chapter `n` (from 1) of the index, fetching the index first if need be.
pub fn open_numbered(
    n: usize,
    run: SharedRun,
    chapters: SharedChapters,
    kept_address: super::boot::KeptAddress,
    dispatcher: UseReducerDispatcher<UiState>,
) {
    crate::spawn_local(async move {
        let index = match fetch_index(&chapters).await {
            Ok(index) => index,
            Err(e) => {
                dispatcher.dispatch(error(e));
                return;
            }
        };
        match n.checked_sub(1).and_then(|i| index.get(i)) {
            Some(entry) => navigate_to(entry.name.clone(), run, chapters, kept_address, dispatcher),
            None => dispatcher.dispatch(error(format!(
                "There is no chapter {n}: the index lists {}.",
                index.len()
            ))),
        }
    });
}

/// Called with the frame at which the run reached the stop it was playing to.
pub fn beat_reached(
    point: &dyn RunPoint,
    chapters: &SharedChapters,
    dispatcher: &UseReducerDispatcher<UiState>,
) {
    // The caption says what the beat shows; the message bar's last word is old news.
    dispatcher.dispatch(Action::Message(None));
    let mut chapters = chapters.0.borrow_mut();
    if let OpenChapter::Ready(play) = &mut chapters.open {
        if play.next_stop().is_some() {
            play.reached(point);
            show_beat_tab(play, dispatcher);
        }
    }
}

/// The ids of the elements the beat on show points at, which keep the class
/// `beat-highlight` ([`mark_beat`]).
pub fn beat_highlight_wanted(chapters: &SharedChapters) -> Vec<String> {
    let mut wanted = Vec::new();
    if let Some(play) = chapters.0.borrow().playing() {
        highlighted_elements(play.highlight(), &mut wanted);
    }
    wanted
}

/// Pushes onto `wanted` the ids of the elements that show the figures of `highlight`: a
/// figure's own id, or the ids [`elements_of`] gives it. Loops, not a `flat_map` and
/// `collect` of per-figure lists, whose instances the page had for this list alone.
fn highlighted_elements(highlight: &[String], wanted: &mut Vec<String>) {
    for figure in highlight {
        match elements_of(figure) {
            [] => wanted.push(figure.clone()),
            ids => {
                for id in ids {
                    wanted.push(id.to_string());
                }
            }
        }
    }
}

/// Keeps the class `beat-highlight` on the elements `wanted` names, and on no others of those
/// `marked` before. Runs after every render of the root (`run_view::use_after_render`): a
/// view redrawn with a new `class` drops it.
pub fn mark_beat(marked: &mut Vec<String>, wanted: Vec<String>) {
    let document = gloo::utils::document();
    for id in marked.iter().filter(|id| !wanted.contains(id)) {
        if let Some(element) = document.get_element_by_id(id) {
            // Removing a class from a live element cannot fail.
            let _ = element.class_list().remove_1("beat-highlight");
        }
    }
    for id in &wanted {
        if let Some(element) = document.get_element_by_id(id) {
            let _ = element.class_list().add_1("beat-highlight");
        }
    }
    *marked = wanted;
}

/// What the chapter panel is drawn from.
pub struct ChapterPanel {
    pub chapters: SharedChapters,
    pub state: UseReducerHandle<UiState>,
    pub on_next: Callback<()>,
    pub on_previous: Callback<()>,
}

/// The chapter panel: title, question, the beat's caption, "beat i of n", previous and next.
/// A function, not a component: the root renders it with every frame, and its callbacks are
/// made anew each time, so a component's memo never saved a render and its code cost bytes.
pub fn chapter_panel(props: &ChapterPanel) -> Html {
    let chapters = props.chapters.0.borrow();
    match &chapters.open {
        OpenChapter::None => html! {},
        OpenChapter::Loading(name) => html! {
            { identified_container("section", "chapter", "chapter-panel", html! { <>{ text_element("p", "muted", format!("Opening the chapter “{name}”…").into()) }</> }) }
        },
        OpenChapter::Failed { error, .. } => html! {
            { identified_container("section", "chapter", "chapter-panel failed", html! { <>{ identified_text("p", "chapter-error", "error", error.clone().into()) }</> }) }
        },
        OpenChapter::Ready(play) => {
            let on_next = props.on_next.reform(|_: MouseEvent| ());
            let on_previous = props.on_previous.reform(|_: MouseEvent| ());
            let running = props.state.beat_run.is_some();
            let caption = match play.current() {
                Some(beat) => beat.caption.clone(),
                None => "Press → (or Next, or swipe left) to play to the first beat; ← (or a swipe right) goes back.".to_string(),
            };
            let status = if running {
                format!("playing to beat {}…", play.beat() + 1)
            } else if props.state.rebuilding {
                "re-simulating…".to_string()
            } else {
                String::new()
            };
            let variant = play.chapter.variant.as_ref().map(|variant| {
                text_element(
                    "span",
                    "muted chapter-variant",
                    format!(
                        "This run: {}, played beside {} (below).",
                        variant.base_label, variant.label
                    )
                    .into(),
                )
            });
            html! {
                <section id="chapter" class="chapter-panel" aria-live="polite">
                    { container("div", "chapter-head", html! { <>
                        { identified_text("strong", "chapter-title", "", play.chapter.title.clone().into()) }
                        { identified_text("span", "chapter-question", "chapter-question", play.chapter.question.clone().into()) }
                    </> }) }
                    { identified_text("p", "chapter-caption", "chapter-caption", caption.into()) }
                    { container("div", "chapter-nav", html! { <>
                        { button("beat-previous", "", "← Previous".into(), on_previous, play.beat() == 0) }
                        { identified_text("span", "beat-counter", "", play.counter().into()) }
                        { button("beat-next", "", "Next →".into(), on_next, play.beat() == play.beat_count() || running) }
                        { identified_text("span", "beat-status", "muted", status.into()) }
                        { for variant }
                    </> }) }
                </section>
            }
        }
    }
}

/// What the Chapters tab is drawn from.
pub struct ChapterIndex {
    pub chapters: SharedChapters,
    pub on_open: Callback<String>,
}

/// The Chapters tab: every chapter with its question; choosing one opens it. A function, not
/// a component, as the tab's body is; the root asks for the index when the tab opens.
pub fn chapter_index(props: &ChapterIndex) -> Html {
    let chapters = props.chapters.0.borrow();
    let list = match &chapters.index {
        IndexState::NotLoaded | IndexState::Loading => {
            text_element("p", "muted", "Loading the chapters…".into())
        }
        IndexState::Failed(e) => identified_text(
            "p",
            "chapter-index-error",
            "error",
            format!("The chapters could not be listed: {e}").into(),
        ),
        IndexState::Loaded(index) => html! {
            { identified_container("ol", "chapter-index", "chapter-index", html! { <>
                { for index.iter().map(|entry| {
                    let name = entry.name.clone();
                    let on_open = props.on_open.clone();
                    let onclick = Callback::from(move |event: MouseEvent| {
                        event.prevent_default();
                        on_open.emit(name.clone());
                    });
                    html! {
                        <li>
                            <a href={format!("#chapter={}", entry.name)} class="chapter-link" data-chapter={entry.name.clone()} onclick={onclick}>{ entry.title.clone() }</a>
                            { text_element("span", "chapter-question", format!(" — {}", entry.question).into()) }
                        </li>
                    }
                }) }
            </> }) }
        },
    };
    html! {
        { container("section", "panel chapters-tab", html! { <>
            { text_element("h2", "", "Chapters".into()) }
            { text_element("p", "muted", "Each chapter answers one question with the playground, in a few beats: → or PageDown plays to the next beat, ← or PageUp goes back one, as a presentation clicker sends them.".into()) }
            { list }
        </> }) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_beat_is_shown_on_the_tab_of_what_it_points_at() {
        let ids = |ids: &[&str]| ids.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(tab_for(&[]), None);
        assert_eq!(tab_for(&ids(&["regret", "gini"])), Some(Tab::Recommender));
        assert_eq!(tab_for(&ids(&["regret", "lsm"])), Some(Tab::Storage));
        assert_eq!(tab_for(&ids(&["puts-per-1000"])), Some(Tab::Storage));
    }

    #[test]
    fn every_figure_a_beat_may_name_is_an_element_of_a_view() {
        // The views' sources: an element a beat outlines carries its id as a literal there.
        let views = [
            include_str!("../storage/mod.rs"),
            include_str!("../frame/storage.rs"),
            include_str!("../storage/lsm.rs"),
            include_str!("../storage/activity.rs"),
            include_str!("../recommender.rs"),
            include_str!("../tenants.rs"),
        ]
        .concat();
        for figure in strata_lab::chapter::HIGHLIGHTS {
            let ids: Vec<&str> = match elements_of(figure) {
                [] => vec![figure],
                ids => ids.to_vec(),
            };
            let found = ids.iter().any(|id| views.contains(&format!("\"{id}\"")));
            assert!(
                found,
                "no element of a view has the id of {figure}: {ids:?}"
            );
        }
    }

    #[test]
    fn a_beat_outlines_a_figure_by_its_own_id_or_the_elements_that_show_it() {
        let ids = |ids: &[&str]| ids.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let mut wanted = vec!["kept".to_string()];
        highlighted_elements(&ids(&["lsm", "regret", "ope", "wal"]), &mut wanted);
        assert_eq!(
            wanted,
            ids(&[
                "kept",
                "lsm",
                "rec-regret",
                "chart-regret",
                "ope-chart",
                "ope-empty",
                "wal"
            ])
        );
    }

    #[test]
    fn the_recommender_figures_are_figures_a_beat_may_name_and_have_elements() {
        for id in RECOMMENDER_FIGURES {
            assert!(strata_lab::chapter::HIGHLIGHTS.contains(id), "{id}");
            assert!(!elements_of(id).is_empty(), "{id}");
        }
        assert!(
            elements_of("lsm").is_empty(),
            "the storage view's ids are the names"
        );
    }
}

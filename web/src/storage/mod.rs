//! The storage view: the LSM tree's shape (memtable fill, immutable memtables, L0 SSTs and
//! sorted runs drawn on the key axis with their sizes), flushes and compactions animating as
//! they start and end, the WAL buffer and the acknowledged/durable watermarks, the headline
//! figures ($/month, PUTs per 1,000 writes, write amplification), latency histograms, the
//! request timeline, and the writer's status, errors and notable events. Range tombstones are
//! bars over the keys they cover, on the row of the memtable or SST that holds them; entries
//! compaction dropped because their time-to-live passed are counted in the headline figures
//! and in each compaction's story.
//!
//! Everything here is drawn from the frame's [`StorageFrame`] (built by `crate::frame` from
//! the session), the timeline's window the page folded from the frames, and what the
//! timeline asks the run through [`Requests`], so the view itself holds no simulation state.
//!
//! The view is split by concern: [`lsm`] draws the tree on the key axis, [`activity`] the flushes and compactions, the WAL
//! and the writer's status; this file lays them out with the figures, the timeline, the
//! histograms and the lists.

mod activity;
mod lsm;

pub use crate::frame::{key_position, CompactionModel, LatencyModel, StorageFrame};

use crate::charts::latency_histogram;
use crate::format;
use crate::frame::{FrameRef, Requests, TimelineRequest};
use crate::tenants::tenants_panel;
use crate::timeline::Timeline;
use crate::widgets::{class_pair, container, identified_container, panel, stat, text_element};
use activity::{activity_strip, compaction_line, wal_figure, writer_line};
use lsm::lsm_figure;
pub use lsm::Layout;
use std::rc::Rc;
use strata_sim::SimDuration;
use yew::prelude::*;

/// L0 SSTs drawn one row each at most; the rest are counted.
pub const MAX_L0_ROWS: usize = 10;
/// Sorted runs drawn at most.
pub const MAX_RUN_ROWS: usize = 6;
/// SSTs drawn per run at most (the rest are merged into one segment).
pub const MAX_SSTS_PER_RUN: usize = 64;
/// Immutable memtables drawn at most.
pub const MAX_IMMUTABLE_BOXES: usize = 8;
/// Flushes and compactions drawn at most in the activity strip (the most recent).
pub const MAX_ACTIVITY_PILLS: usize = 4;
/// Errors and events listed at most.
pub const MAX_LISTED: usize = 10;
/// The timeline's width in simulated time.
pub const TIMELINE_WINDOW: SimDuration = SimDuration::from_millis(2_000);
/// [`TIMELINE_WINDOW`] in seconds, as the timeline's heading says it (a test checks it).
pub const TIMELINE_WINDOW_SECS_TEXT: &str = "2";

/// The widest window, in CSS pixels, the drawings take their narrow layout in: phones (the
/// style sheet's phone rules start at the same width).
pub const NARROW_MAX_PX: f64 = 600.0;

/// Whether the window is narrow enough for the drawings' narrow layout ([`layout`]); the root
/// holds the answer in its state, as the storage view is a function, and keeps it up to date
/// as the window is resized (a phone turned on its side) with [`listen_for_resize`].
pub fn window_is_narrow() -> bool {
    gloo::utils::window()
        .inner_width()
        .ok()
        .and_then(|width| width.as_f64())
        .is_some_and(|width| width <= NARROW_MAX_PX)
}

/// Tells `on_narrow` whether the window is narrow as it is resized, for as long as the
/// listener is kept.
pub fn listen_for_resize(on_narrow: Callback<bool>) -> gloo::events::EventListener {
    gloo::events::EventListener::new(&gloo::utils::window(), "resize", move |_| {
        on_narrow.emit(window_is_narrow())
    })
}

/// The drawings' layout for a narrow window or a wide one.
pub fn layout(narrow: bool) -> Layout {
    if narrow {
        Layout::NARROW
    } else {
        Layout::WIDE
    }
}

/// What the storage view is drawn from.
pub struct StorageView {
    /// A frame with the storage view's part.
    pub frame: FrameRef,
    /// The timeline's requests, folded from the frames.
    pub timeline: Rc<Vec<TimelineRequest>>,
    pub requests: Requests,
    /// The drawings' layout ([`layout`] of [`window_is_narrow`]).
    pub layout: Layout,
}

/// Draws the storage tab's figures. A function, not a component, as the tab's body is: it is
/// drawn anew with every frame.
pub fn storage_view(props: &StorageView) -> Html {
    let layout = props.layout;
    let Some(m) = &props.frame.storage else {
        return Html::default();
    };
    html! {
        { container("div", "storage-view", html! { <>
            { panel("panel", "headline figures", html! { <>
                { container("div", "stats", html! { <>
                    { stat("cost-month", format::usd(m.cost_usd_per_month), "$/month at this rate") }
                    { stat("cost-total", format::usd(m.cost_usd_so_far), "spent so far") }
                    { stat("puts-per-1000", format::decimal(m.puts_per_1000_writes), "PUTs per 1,000 writes") }
                    { stat("write-amp", format!("{}×", format::decimal(m.write_amplification)), "write amplification") }
                    { stat("store-requests", format::grouped(m.store_requests), "object-store requests") }
                    { stat("ops", format!("{} / {}", format::grouped(m.ops_ok), format::grouped(m.ops_failed)), "client ops ok / failed") }
                    { stat("acked", format!("{} ({} durable)", format::grouped(m.writes_acknowledged), format::grouped(m.writes_acknowledged_durable)), "writes acknowledged") }
                    { stat("lost-durable", format::grouped(m.lost_durable), "durable writes lost") }
                    if m.shows_lifetimes {
                        { stat("resurrected", format::grouped(m.resurrected), "deleted or expired values read back") }
                        { stat("expired-dropped", format!("{} ({})", format::grouped(m.expired_entries_dropped), format::bytes(m.expired_bytes_dropped)), "expired entries dropped by compaction") }
                    }
                    { stat("keys-checked", format!("{} in {} checks", format::grouped(m.keys_checked), m.durability_checks), "keys read back") }
                    { stat("stored", format!("{} in {} objects", format::bytes(m.bytes_stored), format::grouped(m.objects)), "stored") }
                </> }) }
                { writer_line(m) }
            </> }) }
            { panel("panel", "LSM tree", html! { <>
                { text_element("h2", "", "The LSM tree".into()) }
                { lsm_figure(m, layout) }
                { compaction_line(m) }
                { activity_strip(m) }
                { wal_figure(m, layout) }
            </> }) }
            { tenants_panel(&m.tenants) }
            <section class="panel" aria-label="request timeline" id="timeline">
                { text_element("h2", "", format!("Object-store requests ({}, last {TIMELINE_WINDOW_SECS_TEXT} s of simulated time)", m.preset).into()) }
                <Timeline requests={props.timeline.clone()} window_start={m.window_start} window_end={m.now} frame={props.frame.clone()} ask={props.requests.clone()} />
            </section>
            { panel("panel histograms", "latency histograms", html! { <>
                { text_element("h2", "", "Latency".into()) }
                { container("div", "chart-grid", html! { <>
                    { for m.latencies.iter().map(latency_histogram) }
                </> }) }
            </> }) }
            { panel("panel lists", "errors and events", html! { <>
                { container("div", "", html! { <>
                    { text_element("h2", "", "Client errors (most recent first)".into()) }
                    if m.errors.is_empty() {
                        { text_element("p", "empty", "None so far.".into()) }
                    } else {
                        { identified_container("ul", "client-errors", "errors", html! { <>
                            { for m.errors.iter().map(|e| html! {
                                <li class={class_pair("error-line", &format!("kind-{}", e.kind))}>
                                    { text_element("span", "when", format::sim_time(e.at).into()) }
                                    { text_element("span", "kind", e.kind.clone().into()) }
                                    { text_element("span", "", format!("{}: {}", e.op, e.message).into()) }
                                </li>
                            }) }
                        </> }) }
                    }
                </> }) }
                { container("div", "", html! { <>
                    { text_element("h2", "", "Events (most recent first)".into()) }
                    if m.events.is_empty() {
                        { text_element("p", "empty", "Nothing notable yet.".into()) }
                    } else {
                        { identified_container("ul", "event-list", "events", html! { <>
                            { for m.events.iter().map(|e| html! {
                                <li class={class_pair("event-line", e.class.as_str())}>
                                    { text_element("span", "when", format::sim_time(e.at).into()) }
                                    { text_element("span", "", e.text.clone().into()) }
                                </li>
                            }) }
                        </> }) }
                    }
                </> }) }
            </> }) }
        </> }) }
    }
}

#[cfg(test)]
mod tests {
    use super::activity::{expired_story, writer_badge};
    use super::*;
    use crate::session::Session;
    use strata_lab::runner::tombstones::TombstoneHolder;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn before_the_first_open_the_writer_is_opening_not_crashed() {
        let mut session = Session::new(crate::link::default_scenario()).unwrap();
        let model = StorageFrame::build(&session, None);
        assert_eq!(model.writers_opened, 0);
        let (class, text) = writer_badge(&model);
        assert_eq!(class, "opening", "{text}");
        assert!(
            text.contains("opening") && !text.contains("crashed"),
            "{text}"
        );
        while session.lab().writers_opened() == 0 {
            session.step().unwrap();
        }
        assert_eq!(writer_badge(&StorageFrame::build(&session, None)).0, "up");
    }

    #[test]
    fn keys_land_on_the_axis_in_order() {
        assert_eq!(key_position("k0000", 1000), 0.0);
        let middle = key_position("k0500", 1000);
        assert!((middle - 0.45).abs() < 1e-12, "{middle}");
        assert!(key_position("k0999", 1000) < 0.9);
        assert_eq!(key_position("recommender/imp/1", 1000), 0.95);
        assert_eq!(key_position("0x00ff", 1000), 0.0);
    }

    #[test]
    fn range_deletes_and_expiry_reach_the_view_with_the_holders_and_the_compactions_that_dropped_them(
    ) {
        let text = include_str!("../../../tests/scenarios/range-deletes-ttl.json");
        let scenario = strata_lab::Scenario::from_json(text).unwrap();
        let mut session = Session::new(scenario).unwrap();
        let mut holders_seen = (false, false);
        for _ in 0..7 {
            session
                .advance(SimDuration::from_secs(1), u64::MAX)
                .unwrap();
            let model = StorageFrame::build(&session, None);
            for tombstone in &model.range_tombstones {
                match tombstone.holder() {
                    TombstoneHolder::Memtable(_) => holders_seen.0 = true,
                    TombstoneHolder::Sst(_) => holders_seen.1 = true,
                }
            }
        }
        assert_eq!(holders_seen, (true, true));
        let model = StorageFrame::build(&session, None);
        assert!(model.shows_lifetimes);
        assert!(model.expired_entries_dropped > 0 && model.expired_bytes_dropped > 0);
        assert_eq!(model.resurrected, 0);
        // Each compaction's story carries what it dropped, and together they are the total.
        let by_job: u64 = session
            .observed()
            .activities
            .iter()
            .map(|job| job.expired_entries)
            .sum();
        assert_eq!(by_job, model.expired_entries_dropped);
        let job = session
            .observed()
            .activities
            .iter()
            .find(|job| job.expired_entries > 0)
            .copied()
            .unwrap();
        assert!(expired_story(&job).contains("expired entries"));
    }

    #[test]
    fn a_workload_without_range_deletes_or_ttl_hides_their_figures() {
        let mut session = Session::new(strata_lab::Scenario::playground()).unwrap();
        session
            .advance(SimDuration::from_secs(2), u64::MAX)
            .unwrap();
        let model = StorageFrame::build(&session, None);
        assert!(!model.shows_lifetimes);
        assert!(model.range_tombstones.is_empty());
    }
}

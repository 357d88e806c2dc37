//! The live controls: workload (rate, key distribution, value size, read/write mix, the
//! share and width of range deletes, the puts' time-to-live, await-durable), engine options (flush interval, memtable size, cache size, the compaction
//! style and its main parameters, the backpressure limits) and the object store (preset and
//! its parameters). Each change is validated here first, so a value out of
//! range gets a message beside its field and never reaches the run; a valid change is sent to
//! the root as a live control and takes effect at the current simulated moment.

use crate::command::Command;
use crate::session::Settings;
use crate::widgets::{container, panel, select_field, text_element, DraftInput};
use std::rc::Rc;
use strata_engine::{BackpressureMode, CompactionStyle, DbOptions};
use strata_lab::scenario::{
    BackpressureKind, BackpressureSpec, CompactionKind, CompactionSpec, EngineSpec,
    KeyDistribution, LatencySpec, StorePreset, StoreSpec, ValueBytes, WorkloadSpec,
};
use strata_lab::Control;
use strata_sim::fmt::shortest;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// The panel's own state: the message beside each field that was refused, at most one a
/// field (a handful at a time, so a list rather than a map, whose B-tree code for this key
/// and value type would ship in the bundle).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ControlsState {
    pub field_errors: Vec<(&'static str, String)>,
}

impl ControlsState {
    /// The message beside `field`, if it was refused.
    pub fn error_for(&self, field: &str) -> Option<&String> {
        self.field_errors
            .iter()
            .find(|(id, _)| *id == field)
            .map(|(_, message)| message)
    }
}

pub enum ControlsAction {
    Refused(&'static str, String),
    Accepted(&'static str),
}

impl Reducible for ControlsState {
    type Action = ControlsAction;
    fn reduce(self: Rc<Self>, action: ControlsAction) -> Rc<Self> {
        let (ControlsAction::Refused(field, _) | ControlsAction::Accepted(field)) = action;
        // The other fields' messages copied by one loop, then the refused field's at the end:
        // no clone of the whole list and no `retain`, each of which the page had for this
        // list alone.
        let mut next = ControlsState::default();
        for (id, message) in &self.field_errors {
            if *id != field {
                next.field_errors.push((id, message.clone()));
            }
        }
        if let ControlsAction::Refused(_, message) = action {
            next.field_errors.push((field, message));
        }
        if next == *self {
            self
        } else {
            Rc::new(next)
        }
    }
}

/// Which setting a field edits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Rate,
    KeyDistribution,
    ZipfS,
    ValueBytes,
    ReadPercent,
    RangeDeletePercent,
    RangeDeleteWidth,
    TtlMs,
    AwaitDurable,
    FlushIntervalMs,
    MemtableKib,
    CacheKib,
    CompactionStyle,
    L0Trigger,
    LevelBaseKib,
    LevelRatio,
    MinMergeRuns,
    MaxRuns,
    BackpressureMode,
    MaxL0Ssts,
    MaxUnflushedKib,
    Preset,
    GetP50,
    GetP99,
    PutP50,
    PutP99,
    PutPrice,
    PutLimit,
}

impl Field {
    pub fn id(self) -> &'static str {
        match self {
            Field::Rate => "rate",
            Field::KeyDistribution => "key-distribution",
            Field::ZipfS => "zipf-s",
            Field::ValueBytes => "value-bytes",
            Field::ReadPercent => "read-percent",
            Field::RangeDeletePercent => "range-delete-percent",
            Field::RangeDeleteWidth => "range-delete-width",
            Field::TtlMs => "ttl-ms",
            Field::AwaitDurable => "await-durable",
            Field::FlushIntervalMs => "flush-interval",
            Field::MemtableKib => "memtable-kib",
            Field::CacheKib => "cache-kib",
            Field::CompactionStyle => "compaction-style",
            Field::L0Trigger => "l0-trigger",
            Field::LevelBaseKib => "level-base-kib",
            Field::LevelRatio => "level-ratio",
            Field::MinMergeRuns => "min-merge-runs",
            Field::MaxRuns => "max-runs",
            Field::BackpressureMode => "backpressure-mode",
            Field::MaxL0Ssts => "max-l0-ssts",
            Field::MaxUnflushedKib => "max-unflushed-kib",
            Field::Preset => "preset",
            Field::GetP50 => "get-p50",
            Field::GetP99 => "get-p99",
            Field::PutP50 => "put-p50",
            Field::PutP99 => "put-p99",
            Field::PutPrice => "put-price",
            Field::PutLimit => "put-limit",
        }
    }
}

fn number(field: Field, text: &str) -> Result<f64, String> {
    let trimmed = text.trim();
    crate::format::parse_f64(trimmed)
        .filter(|v| v.is_finite())
        .ok_or_else(|| format!("{}: “{trimmed}” is not a number", field.id()))
}

fn whole(field: Field, text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    trimmed
        .parse::<u64>()
        .map_err(|_| format!("{}: “{trimmed}” is not a whole number ≥ 0", field.id()))
}

/// The control a field's new value makes, from the current settings. Pure, so tests can call
/// it: every refusal is a message naming the field and the rule.
pub fn control_for(
    settings: &Settings,
    field: Field,
    value: &str,
    checked: bool,
) -> Result<Control, String> {
    let mut workload = settings.workload.clone();
    let mut engine = settings.engine.clone();
    let mut store = settings.store.clone();
    let kind = match field {
        Field::Rate => {
            workload.rate_ops_per_sec = number(field, value)?;
            0
        }
        Field::KeyDistribution => {
            workload.key_distribution = match value {
                "uniform" => KeyDistribution::Uniform,
                "sequential" => KeyDistribution::Sequential,
                "zipf" => KeyDistribution::Zipf {
                    s: match workload.key_distribution {
                        KeyDistribution::Zipf { s } => s,
                        _ => 0.99,
                    },
                },
                other => return Err(format!("key distribution: unknown choice “{other}”")),
            };
            0
        }
        Field::ZipfS => {
            workload.key_distribution = KeyDistribution::Zipf {
                s: number(field, value)?,
            };
            0
        }
        Field::ValueBytes => {
            workload.value_bytes = ValueBytes::fixed(whole(field, value)?);
            0
        }
        Field::ReadPercent => {
            let percent = number(field, value)?;
            if !(0.0..=100.0).contains(&percent) {
                return Err(format!(
                    "read share must be between 0 and 100%, got {}",
                    shortest(percent)
                ));
            }
            let reads_and_writes = (workload.mix.read + workload.mix.write).max(1e-9);
            workload.mix.read = reads_and_writes * percent / 100.0;
            workload.mix.write = reads_and_writes - workload.mix.read;
            0
        }
        Field::RangeDeletePercent => {
            let percent = number(field, value)?;
            if !(0.0..100.0).contains(&percent) {
                return Err(format!(
                    "range delete share must be at least 0% and under 100%, got {}",
                    shortest(percent)
                ));
            }
            // The other kinds keep their weights; range deletes take `percent` of the total.
            let others: f64 = workload.mix.weights()[..5].iter().sum();
            workload.mix.delete_range = others * percent / (100.0 - percent);
            0
        }
        Field::RangeDeleteWidth => {
            workload.range_delete_width = u32::try_from(whole(field, value)?)
                .map_err(|_| format!("{}: “{value}” is too large", field.id()))?;
            0
        }
        Field::TtlMs => {
            // 0 (or nothing) writes entries that never expire.
            let text = value.trim();
            workload.ttl_ms = if text.is_empty() {
                None
            } else {
                Some(whole(field, text)?).filter(|ms| *ms > 0)
            };
            0
        }
        Field::AwaitDurable => {
            workload.await_durable = checked;
            0
        }
        Field::FlushIntervalMs => {
            engine.flush_interval_ms = Some(number(field, value)?);
            1
        }
        Field::MemtableKib => {
            engine.memtable_bytes = Some(whole(field, value)?.saturating_mul(1024));
            1
        }
        Field::CacheKib => {
            engine.block_cache_bytes = Some(whole(field, value)?.saturating_mul(1024));
            1
        }
        Field::CompactionStyle => {
            let style: CompactionKind = value
                .parse()
                .map_err(|_| format!("compaction style: unknown choice “{value}”"))?;
            // A new style starts from its own defaults; the L0 trigger carries over.
            let l0_trigger = engine.compaction.as_ref().and_then(|c| c.l0_trigger);
            engine.compaction = Some(CompactionSpec {
                l0_trigger: l0_trigger.filter(|_| style != CompactionKind::None),
                ..CompactionSpec::style(style)
            });
            1
        }
        Field::L0Trigger
        | Field::LevelBaseKib
        | Field::LevelRatio
        | Field::MinMergeRuns
        | Field::MaxRuns => {
            let compaction = engine
                .compaction
                .as_mut()
                .ok_or_else(|| format!("{}: choose a compaction style first", field.id()))?;
            let count = |text: &str| -> Result<u32, String> {
                u32::try_from(whole(field, text)?)
                    .map_err(|_| format!("{}: “{text}” is too large", field.id()))
            };
            match field {
                Field::L0Trigger => compaction.l0_trigger = Some(count(value)?),
                Field::LevelBaseKib => {
                    compaction.level_base_bytes = Some(whole(field, value)?.saturating_mul(1024))
                }
                Field::LevelRatio => compaction.level_ratio = Some(number(field, value)?),
                Field::MinMergeRuns => compaction.min_merge_runs = Some(count(value)?),
                _ => compaction.max_runs = Some(count(value)?),
            }
            1
        }
        Field::BackpressureMode | Field::MaxL0Ssts | Field::MaxUnflushedKib => {
            let backpressure = engine
                .backpressure
                .get_or_insert_with(BackpressureSpec::default);
            match field {
                Field::BackpressureMode => {
                    let mode: BackpressureKind = value
                        .parse()
                        .map_err(|_| format!("backpressure mode: unknown choice “{value}”"))?;
                    backpressure.mode = Some(mode);
                }
                // 0 turns the limit off.
                Field::MaxL0Ssts => {
                    backpressure.max_l0_ssts = Some(whole(field, value)?).filter(|n| *n > 0)
                }
                _ => {
                    backpressure.max_unflushed_bytes =
                        Some(whole(field, value)?.saturating_mul(1024)).filter(|n| *n > 0)
                }
            }
            1
        }
        Field::Preset => {
            // A new preset starts from that preset's own parameters.
            store = StoreSpec {
                preset: match value {
                    "s3_standard" => StorePreset::S3Standard,
                    "s3_express" => StorePreset::S3Express,
                    "instant" => StorePreset::Instant,
                    other => return Err(format!("store preset: unknown choice “{other}”")),
                },
                ..StoreSpec::default()
            };
            2
        }
        Field::GetP50 | Field::GetP99 | Field::PutP50 | Field::PutP99 => {
            let ms = number(field, value)?;
            let defaults = preset_latency(store.preset);
            let (slot, default) = match field {
                Field::GetP50 | Field::GetP99 => (&mut store.get_latency, defaults.0),
                _ => (&mut store.put_latency, defaults.1),
            };
            let mut latency = slot.unwrap_or(default);
            match field {
                Field::GetP50 | Field::PutP50 => latency.p50_ms = ms,
                _ => latency.p99_ms = ms,
            }
            *slot = Some(latency);
            2
        }
        Field::PutPrice => {
            store.put_usd_per_1000 = Some(number(field, value)?);
            2
        }
        Field::PutLimit => {
            let limit = number(field, value)?;
            store.put_limit_per_sec = (limit > 0.0).then_some(limit);
            if limit < 0.0 {
                return Err(format!(
                    "put-limit must be ≥ 0 (0 turns throttling off), got {}",
                    shortest(limit)
                ));
            }
            2
        }
    };
    match kind {
        0 => {
            workload.validate().map_err(|e| e.to_string())?;
            Ok(Control::SetWorkload { workload })
        }
        1 => {
            engine.validate().map_err(|e| e.to_string())?;
            strata_lab::runner::engine_options(&engine).map_err(|e| e.to_string())?;
            Ok(Control::SetEngine { engine })
        }
        _ => {
            store.validate().map_err(|e| e.to_string())?;
            Ok(Control::SetStore { store })
        }
    }
}

/// The (GET, PUT) latency a preset starts from, for fields the scenario leaves unset.
pub fn preset_latency(preset: StorePreset) -> (LatencySpec, LatencySpec) {
    let config = match preset {
        StorePreset::S3Standard => strata_objstore::SimStoreConfig::s3_standard(),
        StorePreset::S3Express => strata_objstore::SimStoreConfig::s3_express(),
        StorePreset::Instant => strata_objstore::SimStoreConfig::instant(),
    };
    let spec = |d: &strata_objstore::sim::LatencyDist| LatencySpec {
        p50_ms: d.p50_ms,
        p99_ms: d.p99_ms,
    };
    (spec(&config.latency.get), spec(&config.latency.put))
}

/// The (GET, PUT) latency the store uses now.
fn current_latency(store: &StoreSpec) -> (LatencySpec, LatencySpec) {
    let (get, put) = preset_latency(store.preset);
    (
        store.get_latency.unwrap_or(get),
        store.put_latency.unwrap_or(put),
    )
}

/// The engine options in force for `engine` (defaults filled in), or the engine's defaults
/// when the settings would not validate (they always do: every change is checked first).
fn effective_options(engine: &EngineSpec) -> DbOptions {
    strata_lab::runner::engine_options(engine).unwrap_or_default()
}

fn engine_value(engine: &EngineSpec) -> (f64, u64, u64) {
    let defaults = strata_engine::DbOptions::default();
    (
        engine
            .flush_interval_ms
            .unwrap_or(defaults.flush_interval.as_millis_f64()),
        engine
            .memtable_bytes
            .unwrap_or(defaults.memtable_bytes as u64)
            / 1024,
        engine
            .block_cache_bytes
            .unwrap_or(defaults.block_cache_bytes as u64)
            / 1024,
    )
}

fn read_percent(workload: &WorkloadSpec) -> f64 {
    let total = workload.mix.read + workload.mix.write;
    if total <= 0.0 {
        0.0
    } else {
        (workload.mix.read / total * 100.0).round()
    }
}

/// The share of operations that are range deletes, in whole percent.
fn range_delete_percent(workload: &WorkloadSpec) -> f64 {
    let total: f64 = workload.mix.weights().iter().sum();
    if total <= 0.0 {
        0.0
    } else {
        (workload.mix.delete_range / total * 100.0).round()
    }
}

#[derive(Properties)]
pub struct ControlsProps {
    /// The settings in force, compared by identity: a frame shares the last frame's settings
    /// while their revision holds (`frame::codec`), so the same `Rc` is the same settings
    /// without writing them out to compare.
    pub settings: Rc<Settings>,
    pub on_command: Callback<Command>,
    #[prop_or_default]
    pub disabled: bool,
}

impl PartialEq for ControlsProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.settings, &other.settings)
            && self.on_command == other.on_command
            && self.disabled == other.disabled
    }
}

#[function_component(ControlsPanel)]
pub fn controls_panel(props: &ControlsProps) -> Html {
    let state = use_reducer(ControlsState::default);
    let settings = &props.settings;
    // What happens to a field's new value: validated here, then sent as a live control or
    // refused with a message beside the field.
    let submit = {
        let state = state.clone();
        let settings = settings.clone();
        let on_command = props.on_command.clone();
        Rc::new(move |field: Field, value: String, checked: bool| {
            match control_for(&settings, field, &value, checked) {
                Ok(control) => {
                    state.dispatch(ControlsAction::Accepted(field.id()));
                    on_command.emit(Command::Live(control));
                }
                Err(message) => {
                    state.dispatch(ControlsAction::Refused(field.id(), message.clone()));
                    on_command.emit(Command::Refused(format!(
                        "That setting was refused and the run goes on unchanged: {message}"
                    )));
                }
            }
        })
    };
    let commit = |field: Field| {
        let submit = submit.clone();
        Callback::from(move |text: String| submit(field, text, false))
    };
    let send = |field: Field| {
        let submit = submit.clone();
        Callback::from(move |event: Event| {
            let target = event.target();
            let (value, checked) = if let Some(input) = target
                .clone()
                .and_then(|t| wasm_bindgen::JsCast::dyn_into::<HtmlInputElement>(t).ok())
            {
                (input.value(), input.checked())
            } else if let Some(select) =
                target.and_then(|t| wasm_bindgen::JsCast::dyn_into::<HtmlSelectElement>(t).ok())
            {
                (select.value(), false)
            } else {
                return;
            };
            submit(field, value, checked)
        })
    };
    let error_for = |field: Field| {
        state.error_for(field.id()).map(|message| {
            html! { <span class="field-error" role="alert" id={format!("{}-error", field.id())}>{ message.clone() }</span> }
        })
    };
    let number_input = |field: Field,
                        label: &'static str,
                        unit: &'static str,
                        value: String,
                        min: &'static str,
                        step: &'static str| {
        html! {
            { container("label", "field", html! { <>
                { text_element("span", "field-label", label.into()) }
                { container("span", "field-input", html! { <>
                    <DraftInput id={field.id()} kind="number" value={value} min={min} step={step}
                                on_commit={commit(field)} disabled={props.disabled} />
                    { text_element("span", "unit", unit.into()) }
                </> }) }
                { for error_for(field) }
            </> }) }
        }
    };
    let w = &settings.workload;
    let (flush_ms, memtable_kib, cache_kib) = engine_value(&settings.engine);
    let options = effective_options(&settings.engine);
    let select = |field: Field,
                  label: &'static str,
                  choices: &[(&'static str, &'static str)],
                  chosen: &str| {
        select_field(
            label,
            field.id(),
            choices,
            chosen,
            send(field),
            props.disabled,
            error_for(field).unwrap_or_default(),
        )
    };
    let compaction_fields = match options.compaction.style {
        CompactionStyle::None => html! {},
        CompactionStyle::Leveled {
            l0_trigger,
            level_base_bytes,
            level_ratio,
            ..
        } => html! { <>
            { number_input(Field::L0Trigger, "L0 trigger", "SSTs", l0_trigger.to_string(), "1", "1") }
            { number_input(Field::LevelBaseKib, "L1 target", "KiB", (level_base_bytes / 1024).to_string(), "1", "1") }
            { number_input(Field::LevelRatio, "level ratio", "× per level", shortest(level_ratio).to_string(), "2", "any") }
        </> },
        CompactionStyle::SizeTiered {
            l0_trigger,
            min_merge_runs,
            max_runs,
            ..
        } => html! { <>
            { number_input(Field::L0Trigger, "L0 trigger", "SSTs", l0_trigger.to_string(), "1", "1") }
            { number_input(Field::MinMergeRuns, "merge at least", "runs", min_merge_runs.to_string(), "2", "1") }
            { number_input(Field::MaxRuns, "at most", "runs", max_runs.to_string(), "2", "1") }
        </> },
    };
    let backpressure = &options.backpressure;
    let backpressure_mode = match backpressure.mode {
        BackpressureMode::Stall => "stall",
        BackpressureMode::Reject => "reject",
    };
    let (get_latency, put_latency) = current_latency(&settings.store);
    let distribution = match w.key_distribution {
        KeyDistribution::Uniform => "uniform",
        KeyDistribution::Zipf { .. } => "zipf",
        KeyDistribution::Sequential => "sequential",
    };
    let zipf_s = match w.key_distribution {
        KeyDistribution::Zipf { s } => Some(s),
        _ => None,
    };
    let put_price = settings.store.put_usd_per_1000.unwrap_or_else(|| {
        let config = strata_lab::runner::store_config(&settings.store);
        config.pricing.put_list_request_picousd as f64 / 1e9
    });
    html! {
        { panel("panel controls-panel", "live controls", html! { <>
            { text_element("h2", "", "Live controls".into()) }
            { text_element("p", "hint", "Changes apply at the current simulated moment and are recorded into the scenario at that time, so the share link replays them (listed in the Scenario tab).".into()) }
            { container("fieldset", "", html! { <>
                <legend>{ "Workload" }</legend>
                { number_input(Field::Rate, "rate", "ops/s", shortest(w.rate_ops_per_sec).to_string(), "0", "any") }
                { select(Field::KeyDistribution, "keys", &[("uniform", "uniform"), ("zipf", "zipf"), ("sequential", "sequential")], distribution) }
                if let Some(s) = zipf_s {
                    { number_input(Field::ZipfS, "Zipf s", "", shortest(s).to_string(), "0", "0.01") }
                }
                { number_input(Field::ValueBytes, "value size", "bytes", w.value_bytes.max.to_string(), "8", "1") }
                { container("label", "field", html! { <>
                    { text_element("span", "field-label", "reads".into()) }
                    { container("span", "field-input", html! { <>
                        <DraftInput id={Field::ReadPercent.id()} kind="range" min="0" max="100" step="5"
                                    value={shortest(read_percent(w)).to_string()} on_commit={commit(Field::ReadPercent)} disabled={props.disabled} />
                        { text_element("span", "unit", format!("{}% reads / {}% writes", shortest(read_percent(w)), shortest(100.0 - read_percent(w))).into()) }
                    </> }) }
                    { for error_for(Field::ReadPercent) }
                </> }) }
                { number_input(Field::RangeDeletePercent, "range deletes", "% of operations", shortest(range_delete_percent(w)).to_string(), "0", "1") }
                { number_input(Field::RangeDeleteWidth, "range width", "keys", w.range_delete_width.to_string(), "1", "1") }
                { number_input(Field::TtlMs, "time-to-live", "ms (0: never expires)", w.ttl_ms.unwrap_or(0).to_string(), "0", "1") }
                { container("label", "field checkbox", html! { <>
                    <input id={Field::AwaitDurable.id()} type="checkbox" checked={w.await_durable}
                           onchange={send(Field::AwaitDurable)} disabled={props.disabled} />
                    { text_element("span", "", "await durable (acknowledge a write only once it is in the object store)".into()) }
                </> }) }
            </> }) }
            { container("fieldset", "", html! { <>
                <legend>{ "Engine (the writer restarts cleanly to take them)" }</legend>
                { number_input(Field::FlushIntervalMs, "WAL flush interval", "ms", shortest(flush_ms).to_string(), "0", "any") }
                { number_input(Field::MemtableKib, "memtable", "KiB", memtable_kib.to_string(), "1", "1") }
                { number_input(Field::CacheKib, "block cache", "KiB", cache_kib.to_string(), "0", "1") }
                { select(Field::CompactionStyle, "compaction", &COMPACTION_CHOICES, options.compaction.style.name()) }
                { compaction_fields }
                { select(Field::BackpressureMode, "backpressure", &BACKPRESSURE_CHOICES, backpressure_mode) }
                { number_input(Field::MaxL0Ssts, "max L0 SSTs", "(0: none)", backpressure.max_l0_ssts.to_string(), "0", "1") }
                { number_input(Field::MaxUnflushedKib, "max unflushed", "KiB (0: none)", (backpressure.max_unflushed_bytes / 1024).to_string(), "0", "1") }
            </> }) }
            { container("fieldset", "", html! { <>
                <legend>{ "Object store" }</legend>
                { select(Field::Preset, "preset", &[("s3_standard", "S3 Standard"), ("s3_express", "S3 Express One Zone"), ("instant", "instant (no latency, no cost)")], settings.store.preset.as_str()) }
                { number_input(Field::GetP50, "GET p50", "ms", shortest(get_latency.p50_ms).to_string(), "0", "any") }
                { number_input(Field::GetP99, "GET p99", "ms", shortest(get_latency.p99_ms).to_string(), "0", "any") }
                { number_input(Field::PutP50, "PUT p50", "ms", shortest(put_latency.p50_ms).to_string(), "0", "any") }
                { number_input(Field::PutP99, "PUT p99", "ms", shortest(put_latency.p99_ms).to_string(), "0", "any") }
                { number_input(Field::PutPrice, "PUT price", "$ per 1,000", shortest(put_price).to_string(), "0", "any") }
                { number_input(Field::PutLimit, "PUT limit", "per s per prefix (0: none)", shortest(settings.store.put_limit_per_sec.unwrap_or(0.0)).to_string(), "0", "any") }
            </> }) }
        </> }) }
    }
}

/// The compaction select's choices: each style's name in a scenario, in the order of
/// `CompactionKind::ALL`, and what the select shows for it. A constant rather than a `map` and
/// `collect` of `ALL` at each render (a test checks the names against it).
const COMPACTION_CHOICES: [(&str, &str); 3] = [
    ("none", "none (L0 grows)"),
    ("leveled", "leveled"),
    ("size_tiered", "size-tiered"),
];
/// The backpressure select's choices, likewise, in the order of `BackpressureKind::ALL`.
const BACKPRESSURE_CHOICES: [(&str, &str); 2] =
    [("stall", "stall writes"), ("reject", "reject writes")];

#[cfg(test)]
mod tests {
    use super::*;
    use strata_lab::Scenario;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn the_selects_offer_every_style_and_mode_by_its_scenario_name() {
        let names = |choices: &[(&'static str, &'static str)]| {
            choices.iter().map(|c| c.0).collect::<Vec<_>>()
        };
        let styles: Vec<&str> = CompactionKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(names(&COMPACTION_CHOICES), styles);
        let modes: Vec<&str> = BackpressureKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(names(&BACKPRESSURE_CHOICES), modes);
    }

    #[test]
    fn a_field_shows_its_latest_refusal_until_it_is_accepted() {
        let state = Rc::new(ControlsState::default());
        let state = state.reduce(ControlsAction::Refused("rate", "too fast".to_string()));
        let state = state.reduce(ControlsAction::Refused("zipf-s", "too flat".to_string()));
        let state = state.reduce(ControlsAction::Refused("rate", "too slow".to_string()));
        assert_eq!(
            state.error_for("rate").map(String::as_str),
            Some("too slow")
        );
        assert_eq!(state.field_errors.len(), 2, "one message a field");
        let state = state.reduce(ControlsAction::Accepted("rate"));
        assert_eq!(state.error_for("rate"), None);
        assert_eq!(
            state.error_for("zipf-s").map(String::as_str),
            Some("too flat")
        );
        let unchanged = state.clone().reduce(ControlsAction::Accepted("rate"));
        assert!(
            Rc::ptr_eq(&unchanged, &state),
            "nothing changed: the same state"
        );
    }

    fn settings() -> Settings {
        let scenario = Scenario::default();
        Settings {
            workload: scenario.workload,
            engine: scenario.engine,
            store: scenario.store,
        }
    }

    #[test]
    fn valid_values_become_controls() {
        match control_for(&settings(), Field::Rate, "2500", false).unwrap() {
            Control::SetWorkload { workload } => assert_eq!(workload.rate_ops_per_sec, 2500.0),
            other => panic!("{other:?}"),
        }
        match control_for(&settings(), Field::ReadPercent, "25", false).unwrap() {
            Control::SetWorkload { workload } => {
                assert!((workload.mix.read - 0.25).abs() < 1e-12);
                assert!((workload.mix.write - 0.75).abs() < 1e-12);
            }
            other => panic!("{other:?}"),
        }
        match control_for(&settings(), Field::MemtableKib, "64", false).unwrap() {
            Control::SetEngine { engine } => assert_eq!(engine.memtable_bytes, Some(65_536)),
            other => panic!("{other:?}"),
        }
        match control_for(&settings(), Field::PutP99, "400", false).unwrap() {
            Control::SetStore { store } => {
                let latency = store.put_latency.unwrap();
                assert_eq!(latency.p99_ms, 400.0);
                assert!(latency.p50_ms > 0.0 && latency.p50_ms < 400.0);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_compaction_style_and_backpressure_become_engine_controls() {
        let engine = |control: Control| match control {
            Control::SetEngine { engine } => engine,
            other => panic!("{other:?}"),
        };
        let leveled =
            engine(control_for(&settings(), Field::CompactionStyle, "leveled", false).unwrap());
        assert_eq!(
            leveled.compaction.as_ref().unwrap().style,
            CompactionKind::Leveled
        );
        let mut with_leveled = settings();
        with_leveled.engine = leveled;
        let ratio = engine(control_for(&with_leveled, Field::LevelRatio, "4", false).unwrap());
        assert_eq!(ratio.compaction.as_ref().unwrap().level_ratio, Some(4.0));
        let tiered = engine(
            control_for(&with_leveled, Field::CompactionStyle, "size_tiered", false).unwrap(),
        );
        assert_eq!(
            tiered.compaction.as_ref().unwrap().style,
            CompactionKind::SizeTiered
        );
        assert_eq!(tiered.compaction.as_ref().unwrap().level_ratio, None);
        let limit = engine(control_for(&settings(), Field::MaxL0Ssts, "8", false).unwrap());
        assert_eq!(limit.backpressure.unwrap().max_l0_ssts, Some(8));
        let error = control_for(&with_leveled, Field::LevelRatio, "1.5", false).unwrap_err();
        assert!(error.contains("level_ratio"), "{error}");
        let error = control_for(&settings(), Field::L0Trigger, "4", false).unwrap_err();
        assert!(error.contains("choose a compaction style first"), "{error}");
    }

    #[test]
    fn range_deletes_and_ttl_become_workload_controls() {
        let workload = |control: Control| match control {
            Control::SetWorkload { workload } => workload,
            other => panic!("{other:?}"),
        };
        let with_ranges =
            workload(control_for(&settings(), Field::RangeDeletePercent, "20", false).unwrap());
        assert!((with_ranges.mix.delete_range - 0.25).abs() < 1e-12);
        assert_eq!(range_delete_percent(&with_ranges), 20.0);
        let wide =
            workload(control_for(&settings(), Field::RangeDeleteWidth, "50", false).unwrap());
        assert_eq!(wide.range_delete_width, 50);
        let expiring = workload(control_for(&settings(), Field::TtlMs, "1500", false).unwrap());
        assert_eq!(expiring.ttl_ms, Some(1500));
        let mut current = settings();
        current.workload = expiring;
        let forever = workload(control_for(&current, Field::TtlMs, "0", false).unwrap());
        assert_eq!(forever.ttl_ms, None);
    }

    #[test]
    fn out_of_range_values_are_refused_with_the_field_named() {
        for (field, value, expected) in [
            (Field::RangeDeletePercent, "100", "under 100%"),
            (Field::RangeDeleteWidth, "0", "range_delete_width"),
            (Field::TtlMs, "999999999999", "ttl_ms"),
            (Field::Rate, "-1", "rate_ops_per_sec"),
            (Field::Rate, "fast", "not a number"),
            (Field::ValueBytes, "2", "value_bytes"),
            (Field::ReadPercent, "140", "between 0 and 100"),
            (Field::MemtableKib, "0", "memtable_bytes"),
            (Field::GetP99, "0.001", "below p50"),
            (Field::ZipfS, "50", "Zipf"),
        ] {
            let error = control_for(&settings(), field, value, false).unwrap_err();
            assert!(error.contains(expected), "{field:?} {value}: {error}");
        }
    }
}

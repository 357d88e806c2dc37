//! Compaction policy, as pure functions over a snapshot of the manifest: which SSTs to merge
//! next (`plan`) and how a finished merge changes the manifest (`apply`). No I/O and no
//! clock, so tests, benchmarks and the UI drive it directly; `db::compact` performs the tasks.
//!
//! Vocabulary: a *style* (size-tiered or leveled) decides; a *task* names its inputs (L0
//! SSTs and whole sorted runs, always a contiguous span of the newest-first read order) and
//! its output level; a *job* is one task being executed; its *outcome* lists the SSTs
//! written.
//!
//! Both styles merge whole runs: leveled keeps one run per level and merges a full level into
//! the next (not SST by SST), which keeps the model small and its amplification honest for
//! the update-heavy workloads the playground runs.

use crate::error::{Error, Result};
use crate::format::manifest::{Manifest, RetiredSst, SortedRun, SstInfo};
use serde::{Deserialize, Serialize};
use strata_sim::fmt::shortest;
use strata_sim::maps::IdSet;
use strata_sim::SimTime;

/// The deepest level a leveled layout may have; the last level never overflows.
pub const MAX_LEVELS: u32 = 10;

/// How L0 SSTs and sorted runs are merged.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "style")]
pub enum CompactionStyle {
    /// No compaction: L0 grows without bound (backpressure, if set, stops writes).
    None,
    /// Size-tiered: L0 becomes a new run; runs of similar size are merged together.
    SizeTiered {
        /// Merge L0 into a new run once it holds this many SSTs.
        l0_trigger: usize,
        /// Merge at least this many similar runs at once.
        min_merge_runs: usize,
        /// Merge every run into one once there are more than this many.
        max_runs: usize,
        /// A run joins a merge when its size is at most this many times the total of the
        /// newer runs already chosen.
        size_ratio: f64,
    },
    /// Leveled: L0 merges into L1; level i holds at most `level_base_bytes × ratio^(i−1)`
    /// before it merges into level i+1.
    Leveled {
        l0_trigger: usize,
        level_base_bytes: u64,
        level_ratio: f64,
        max_levels: u32,
    },
}

impl CompactionStyle {
    /// Size-tiered with the defaults used by scenarios that just say "tiered".
    pub fn size_tiered() -> Self {
        CompactionStyle::SizeTiered {
            l0_trigger: 4,
            min_merge_runs: 4,
            max_runs: 8,
            size_ratio: 1.0,
        }
    }

    /// Leveled with base level `level_base_bytes` and ratio 10.
    pub fn leveled(level_base_bytes: u64) -> Self {
        CompactionStyle::Leveled {
            l0_trigger: 4,
            level_base_bytes,
            level_ratio: 10.0,
            max_levels: 6,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            CompactionStyle::None => "none",
            CompactionStyle::SizeTiered { .. } => "size_tiered",
            CompactionStyle::Leveled { .. } => "leveled",
        }
    }

    /// Checks the style's parameters, naming the first bad one.
    pub fn validate(&self) -> Result<()> {
        let fail = |message: String| Err(Error::Invalid(message));
        match *self {
            CompactionStyle::None => Ok(()),
            CompactionStyle::SizeTiered {
                l0_trigger,
                min_merge_runs,
                max_runs,
                size_ratio,
            } => {
                if l0_trigger == 0 {
                    return fail("compaction l0_trigger must be at least 1".to_string());
                }
                if min_merge_runs < 2 {
                    return fail(format!(
                        "compaction min_merge_runs must be at least 2, got {min_merge_runs}"
                    ));
                }
                if max_runs < min_merge_runs {
                    return fail(format!(
                        "compaction max_runs ({max_runs}) must be at least min_merge_runs ({min_merge_runs})"
                    ));
                }
                if !(size_ratio.is_finite() && size_ratio > 0.0) {
                    return fail(format!(
                        "compaction size_ratio must be positive, got {}",
                        shortest(size_ratio)
                    ));
                }
                Ok(())
            }
            CompactionStyle::Leveled {
                l0_trigger,
                level_base_bytes,
                level_ratio,
                max_levels,
            } => {
                if l0_trigger == 0 {
                    return fail("compaction l0_trigger must be at least 1".to_string());
                }
                if level_base_bytes == 0 {
                    return fail("compaction level_base_bytes must be positive (a zero-sized level holds nothing)".to_string());
                }
                if !(level_ratio.is_finite() && level_ratio >= 2.0) {
                    return fail(format!(
                        "compaction level_ratio must be at least 2, got {}",
                        shortest(level_ratio)
                    ));
                }
                if !(1..=MAX_LEVELS).contains(&max_levels) {
                    return fail(format!(
                        "compaction max_levels must be between 1 and {MAX_LEVELS}, got {max_levels}"
                    ));
                }
                Ok(())
            }
        }
    }
}

/// Compaction settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CompactionOptions {
    pub style: CompactionStyle,
    /// A compaction closes an output SST once it holds about this many bytes.
    pub target_sst_bytes: u64,
}

impl Default for CompactionOptions {
    /// Off, so that databases and scenarios that never asked for compaction behave as before.
    fn default() -> Self {
        CompactionOptions {
            style: CompactionStyle::None,
            target_sst_bytes: 4 * 1024 * 1024,
        }
    }
}

impl CompactionOptions {
    pub fn validate(&self) -> Result<()> {
        self.style.validate()?;
        if self.target_sst_bytes < 1024 {
            return Err(Error::Invalid(format!(
                "compaction target_sst_bytes must be at least 1024, got {}",
                self.target_sst_bytes
            )));
        }
        Ok(())
    }
}

/// What the policy looks at: the style in force, the manifest's SST layout, and the SSTs a
/// compaction found corrupt.
#[derive(Clone, Debug, PartialEq)]
pub struct CompactionState<'a> {
    pub style: &'a CompactionStyle,
    pub manifest: &'a Manifest,
    /// No task that reads one of these is planned: merging around a corrupt SST would
    /// reorder versions, and merging it again would only download it again.
    pub quarantined: &'a IdSet,
}

/// One merge to perform.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompactionTask {
    /// L0 SSTs to merge (newest first); every L0 SST at planning time, or none.
    pub input_l0: Vec<u64>,
    /// Runs to merge (newest first), contiguous in read order.
    pub input_runs: Vec<u64>,
    /// The output run's level (0 for a size-tiered run).
    pub output_level: u32,
    /// True when no older data lies below the inputs: tombstones can be dropped.
    pub bottom: bool,
}

impl CompactionTask {
    /// Every input SST id, newest first, and the input bytes.
    pub fn input_ssts<'m>(&self, manifest: &'m Manifest) -> Vec<&'m SstInfo> {
        let mut inputs: Vec<&SstInfo> = Vec::new();
        for sst in &manifest.l0 {
            if self.input_l0.contains(&sst.id) {
                inputs.push(sst);
            }
        }
        for run in &manifest.runs {
            if self.input_runs.contains(&run.id) {
                inputs.extend(run.ssts.iter());
            }
        }
        inputs
    }
}

/// What a finished compaction wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompactionOutcome {
    /// Output SSTs in key order (possibly none: everything was shadowed or deleted).
    pub ssts: Vec<SstInfo>,
    /// The highest SST counter the job allocated.
    pub max_sst_counter: u64,
    /// When the inputs leave the manifest (the committing writer's clock): they are retired
    /// at this instant, and GC keeps them for `gc_min_age` after it.
    pub retired_at: SimTime,
}

fn run_size(run: &SortedRun) -> u64 {
    run.size_bytes()
}

/// The next compaction, if any, under the style in force. A style switch takes effect here.
/// `None` as well when the task the style wants would read a quarantined SST.
pub fn plan(state: &CompactionState<'_>) -> Option<CompactionTask> {
    let task = plan_style(state)?;
    let blocked = task
        .input_ssts(state.manifest)
        .iter()
        .any(|sst| state.quarantined.contains(&sst.id));
    (!blocked).then_some(task)
}

fn plan_style(state: &CompactionState<'_>) -> Option<CompactionTask> {
    match *state.style {
        CompactionStyle::None => None,
        CompactionStyle::SizeTiered {
            l0_trigger,
            min_merge_runs,
            max_runs,
            size_ratio,
        } => plan_tiered(
            state.manifest,
            l0_trigger,
            min_merge_runs,
            max_runs,
            size_ratio,
        ),
        CompactionStyle::Leveled {
            l0_trigger,
            level_base_bytes,
            level_ratio,
            max_levels,
        } => plan_leveled(
            state.manifest,
            l0_trigger,
            level_base_bytes,
            level_ratio,
            max_levels,
        ),
    }
}

/// The ids of L0's SSTs and of `runs`, by loops: each policy's `map` and `collect` was an
/// instance of its own in the playground's wasm.
fn l0_ids(manifest: &Manifest) -> Vec<u64> {
    let mut ids = Vec::with_capacity(manifest.l0.len());
    for sst in &manifest.l0 {
        ids.push(sst.id);
    }
    ids
}

fn run_ids(runs: &[SortedRun]) -> Vec<u64> {
    let mut ids = Vec::with_capacity(runs.len());
    for run in runs {
        ids.push(run.id);
    }
    ids
}

fn plan_tiered(
    manifest: &Manifest,
    l0_trigger: usize,
    min_merge_runs: usize,
    max_runs: usize,
    size_ratio: f64,
) -> Option<CompactionTask> {
    let runs = &manifest.runs;
    if manifest.l0.len() >= l0_trigger {
        return Some(CompactionTask {
            input_l0: l0_ids(manifest),
            input_runs: Vec::new(),
            output_level: 0,
            bottom: runs.is_empty(),
        });
    }
    if runs.len() > max_runs {
        return Some(CompactionTask {
            input_l0: Vec::new(),
            input_runs: run_ids(runs),
            output_level: 0,
            bottom: true,
        });
    }
    // Newest first: a run joins while it is not much larger than what was chosen so far.
    for start in 0..runs.len() {
        let mut total = run_size(&runs[start]);
        let mut end = start + 1;
        while end < runs.len() && (run_size(&runs[end]) as f64) <= total as f64 * size_ratio {
            total += run_size(&runs[end]);
            end += 1;
        }
        if end - start >= min_merge_runs {
            return Some(CompactionTask {
                input_l0: Vec::new(),
                input_runs: run_ids(&runs[start..end]),
                output_level: 0,
                bottom: end == runs.len(),
            });
        }
    }
    None
}

/// The byte limit of `level` (1-based).
pub fn level_target_bytes(level_base_bytes: u64, level_ratio: f64, level: u32) -> u64 {
    let mut target = level_base_bytes as f64;
    for _ in 1..level {
        target *= level_ratio;
    }
    if target >= u64::MAX as f64 {
        u64::MAX
    } else {
        target as u64
    }
}

fn plan_leveled(
    manifest: &Manifest,
    l0_trigger: usize,
    level_base_bytes: u64,
    level_ratio: f64,
    max_levels: u32,
) -> Option<CompactionTask> {
    let runs = &manifest.runs;
    // A leveled layout has one run per level, levels increasing with age. Anything else
    // (runs left by size-tiered, or levels beyond max_levels after a switch) is first merged
    // into a single run at the level its size fits.
    let well_formed = runs.iter().all(|run| (1..=max_levels).contains(&run.level))
        && runs.windows(2).all(|pair| pair[0].level < pair[1].level);
    if !well_formed {
        let total: u64 = runs.iter().map(run_size).sum();
        let level = (1..=max_levels)
            .find(|&level| total <= level_target_bytes(level_base_bytes, level_ratio, level))
            .unwrap_or(max_levels);
        return Some(CompactionTask {
            input_l0: Vec::new(),
            input_runs: run_ids(runs),
            output_level: level,
            bottom: true,
        });
    }
    if manifest.l0.len() >= l0_trigger {
        let mut input_runs = Vec::new();
        if let Some(first) = runs.first().filter(|run| run.level == 1) {
            input_runs.push(first.id);
        }
        return Some(CompactionTask {
            input_l0: l0_ids(manifest),
            bottom: runs.len() == input_runs.len(),
            input_runs,
            output_level: 1,
        });
    }
    for (index, run) in runs.iter().enumerate() {
        if run.level >= max_levels {
            break;
        }
        if run_size(run) <= level_target_bytes(level_base_bytes, level_ratio, run.level) {
            continue;
        }
        let mut input_runs = vec![run.id];
        if let Some(next) = runs
            .get(index + 1)
            .filter(|next| next.level == run.level + 1)
        {
            input_runs.push(next.id);
        }
        return Some(CompactionTask {
            bottom: index + input_runs.len() == runs.len(),
            input_runs,
            input_l0: Vec::new(),
            output_level: run.level + 1,
        });
    }
    None
}

/// Why a finished compaction could not be applied to a manifest.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    #[error("compaction input SST {0} is no longer in the manifest")]
    MissingSst(u64),
    #[error("compaction input run {0} is no longer in the manifest")]
    MissingRun(u64),
}

/// Records a finished compaction: removes its inputs, lists them as retired at
/// `outcome.retired_at`, and puts its output run where the inputs were in read order. The
/// manifest is unchanged on error.
pub fn apply(
    manifest: &mut Manifest,
    task: &CompactionTask,
    outcome: &CompactionOutcome,
) -> Result<(), ApplyError> {
    for id in &task.input_l0 {
        if !manifest.l0.iter().any(|sst| sst.id == *id) {
            return Err(ApplyError::MissingSst(*id));
        }
    }
    for id in &task.input_runs {
        if !manifest.runs.iter().any(|run| run.id == *id) {
            return Err(ApplyError::MissingRun(*id));
        }
    }
    // Output position: where the first input run was, or the front (L0 merges are newest).
    let position = manifest
        .runs
        .iter()
        .position(|run| task.input_runs.contains(&run.id))
        .unwrap_or(0);
    let retired_at = outcome.retired_at;
    let mut retired: Vec<RetiredSst> = Vec::new();
    for sst in task.input_ssts(manifest) {
        retired.push(RetiredSst {
            id: sst.id,
            retired_at,
        });
    }
    manifest.retired.extend(retired);
    manifest.l0.retain(|sst| !task.input_l0.contains(&sst.id));
    manifest
        .runs
        .retain(|run| !task.input_runs.contains(&run.id));
    if !outcome.ssts.is_empty() {
        let run = SortedRun {
            id: manifest.next_run_id,
            level: task.output_level,
            ssts: outcome.ssts.clone(),
        };
        manifest.next_run_id += 1;
        manifest.runs.insert(position.min(manifest.runs.len()), run);
    }
    manifest.next_sst_counter = manifest.next_sst_counter.max(outcome.max_sst_counter + 1);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn sst(id: u64, size_bytes: u64) -> SstInfo {
        SstInfo {
            id,
            size_bytes,
            meta_offset: size_bytes - 1,
            first_key: Bytes::from_static(b"a"),
            last_key: Bytes::from_static(b"z"),
            entries: 1,
            max_seq: id,
        }
    }

    fn run(id: u64, level: u32, size_bytes: u64) -> SortedRun {
        SortedRun {
            id,
            level,
            ssts: vec![sst(1000 + id, size_bytes)],
        }
    }

    fn manifest(l0: usize, runs: Vec<SortedRun>) -> Manifest {
        let mut manifest = Manifest::empty();
        manifest.l0 = (0..l0 as u64).rev().map(|id| sst(id + 1, 100)).collect();
        manifest.next_run_id = 100;
        manifest.runs = runs;
        manifest
    }

    #[test]
    fn leveled_merges_l0_into_l1_then_overflowing_levels_down() {
        let style = CompactionStyle::leveled(1_000);
        let state = manifest(4, vec![run(1, 1, 500), run(2, 2, 5_000)]);
        let task = plan(&CompactionState {
            style: &style,
            manifest: &state,
            quarantined: &IdSet::new(),
        })
        .expect("L0 is at its trigger");
        assert_eq!(task.input_l0, vec![4, 3, 2, 1]);
        assert_eq!(task.input_runs, vec![1]);
        assert_eq!(task.output_level, 1);
        assert!(!task.bottom, "L2 lies below");

        let state = manifest(1, vec![run(1, 1, 1_500), run(2, 2, 5_000)]);
        let task = plan(&CompactionState {
            style: &style,
            manifest: &state,
            quarantined: &IdSet::new(),
        })
        .expect("L1 is over its 1000-byte target");
        assert_eq!(
            (task.input_runs.clone(), task.output_level),
            (vec![1, 2], 2)
        );
        assert!(task.bottom);

        let quiet = manifest(3, vec![run(1, 1, 900), run(2, 2, 9_000)]);
        assert_eq!(
            plan(&CompactionState {
                style: &style,
                manifest: &quiet,
                quarantined: &IdSet::new(),
            }),
            None
        );
    }

    #[test]
    fn tiered_merges_l0_into_a_run_then_similar_runs_together() {
        let style = CompactionStyle::size_tiered();
        let state = manifest(4, vec![run(1, 0, 100)]);
        let task = plan(&CompactionState {
            style: &style,
            manifest: &state,
            quarantined: &IdSet::new(),
        })
        .expect("L0 at trigger");
        assert_eq!((task.input_runs.len(), task.bottom), (0, false));

        let state = manifest(
            0,
            vec![
                run(1, 0, 100),
                run(2, 0, 100),
                run(3, 0, 150),
                run(4, 0, 300),
                run(5, 0, 10_000),
            ],
        );
        let task = plan(&CompactionState {
            style: &style,
            manifest: &state,
            quarantined: &IdSet::new(),
        })
        .expect("four similar runs");
        assert_eq!(task.input_runs, vec![1, 2, 3, 4]);
        assert!(!task.bottom, "the big run stays below");
    }

    #[test]
    fn switching_to_leveled_first_merges_tiered_runs_into_one_level() {
        let style = CompactionStyle::leveled(1_000);
        let state = manifest(0, vec![run(1, 0, 400), run(2, 0, 400)]);
        let task = plan(&CompactionState {
            style: &style,
            manifest: &state,
            quarantined: &IdSet::new(),
        })
        .expect("tiered runs are not a leveled layout");
        assert_eq!(task.input_runs, vec![1, 2]);
        assert_eq!(task.output_level, 1, "800 bytes fit level 1");
        assert!(task.bottom);
    }

    #[test]
    fn apply_replaces_inputs_with_one_run_in_read_order() {
        let mut state = manifest(2, vec![run(1, 1, 500), run(2, 2, 5_000)]);
        let task = CompactionTask {
            input_l0: vec![2, 1],
            input_runs: vec![1],
            output_level: 1,
            bottom: false,
        };
        let outcome = CompactionOutcome {
            ssts: vec![sst(77, 600)],
            max_sst_counter: 40,
            retired_at: SimTime::from_nanos(9),
        };
        apply(&mut state, &task, &outcome).unwrap();
        assert!(state.l0.is_empty());
        assert_eq!(state.runs.len(), 2);
        assert_eq!((state.runs[0].id, state.runs[0].level), (100, 1));
        assert_eq!(state.runs[0].ssts[0].id, 77);
        assert_eq!(state.runs[1].id, 2);
        assert_eq!(state.next_sst_counter, 41);
        let retired: Vec<(u64, u64)> = state
            .retired
            .iter()
            .map(|retired| (retired.id, retired.retired_at.as_nanos()))
            .collect();
        assert_eq!(
            retired,
            vec![(2, 9), (1, 9), (1001, 9)],
            "every input, retired"
        );
        // Applying again finds its inputs gone and changes nothing.
        let before = state.clone();
        assert_eq!(
            apply(&mut state, &task, &outcome),
            Err(ApplyError::MissingSst(2))
        );
        assert_eq!(state, before);
    }

    #[test]
    fn bad_parameters_are_rejected_with_a_message() {
        let bad = [
            CompactionStyle::Leveled {
                l0_trigger: 4,
                level_base_bytes: 1_000,
                level_ratio: 1.5,
                max_levels: 4,
            },
            CompactionStyle::Leveled {
                l0_trigger: 4,
                level_base_bytes: 0,
                level_ratio: 10.0,
                max_levels: 4,
            },
            CompactionStyle::SizeTiered {
                l0_trigger: 0,
                min_merge_runs: 2,
                max_runs: 4,
                size_ratio: 1.0,
            },
        ];
        for style in bad {
            let message = style.validate().unwrap_err().to_string();
            assert!(message.contains("compaction"), "{message}");
        }
        assert!(CompactionStyle::leveled(1).validate().is_ok());
        assert!(CompactionStyle::size_tiered().validate().is_ok());
    }
}

//! Slates: k items shown together, each at its position (0 = top).
//!
//! A slate is filled position by position. At each position the guarded policy chooses among
//! the items not yet placed (and, when the diversity floor requires it, only among categories
//! not yet represented). The propensity logged for a position is therefore the probability of
//! that item *given the items above it*: exact for closed-form policies, Monte-Carlo for the
//! Thompson ones. The top position is an unrestricted choice, so its propensity is the plain
//! action probability; that is the position off-policy evaluation uses by default.

use crate::error::{RecommenderError, Result};
use crate::guardrails::Guardrails;
use crate::policy::{Context, Policy};
use serde::{Deserialize, Serialize};
use strata_sim::maps::IdSet;
use strata_sim::SimRng;

/// One filled position of a slate.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SlateSlot {
    pub arm: usize,
    pub position: usize,
    pub propensity: f64,
    pub exploratory: bool,
}

/// Fills a slate of `k` items. `categories[arm]` is each arm's category, used by the
/// diversity floor.
pub fn build_slate<P: Policy + ?Sized>(
    guard: &mut Guardrails,
    policy: &P,
    context: &Context,
    k: usize,
    categories: &[u32],
    rng: &mut SimRng,
) -> Result<Vec<SlateSlot>> {
    let arms = policy.arm_count();
    if k == 0 || k > arms {
        return Err(RecommenderError::param(
            "slate_size",
            k,
            format!("must lie in [1, {arms}] (the number of items)"),
        ));
    }
    if categories.len() != arms {
        return Err(RecommenderError::InvalidCall(format!(
            "{} categories for {arms} arms",
            categories.len()
        )));
    }
    let floor = guard.config().min_distinct_categories.unwrap_or(0);
    // Sets of a few categories, as the engine's sorted sets of ids: a type the wasm has
    // anyway, so no set code of their own, and far less of it than a `BTreeSet`'s.
    let mut distinct = IdSet::new();
    for category in categories {
        distinct.insert(u64::from(*category));
    }
    let distinct_available = distinct.len();
    if floor > k || floor > distinct_available {
        return Err(RecommenderError::param(
            "min_distinct_categories",
            floor,
            format!(
                "cannot exceed the slate size ({k}) or the catalogue's categories ({distinct_available})"
            ),
        ));
    }
    let mut slate = Vec::with_capacity(k);
    let mut shown = vec![false; arms];
    let mut represented = IdSet::new();
    let mut restricted_positions = 0u64;
    let mut mask = vec![true; arms];
    for position in 0..k {
        let missing = floor.saturating_sub(represented.len());
        let slots_left = k - position;
        let restrict = missing > 0 && missing >= slots_left;
        for ((slot, already_shown), category) in mask.iter_mut().zip(&shown).zip(categories) {
            let category_done = restrict && represented.contains(&u64::from(*category));
            *slot = !already_shown && !category_done;
        }
        // With nothing placed yet every category is missing and the restriction excludes
        // nothing, so it only counts once something is represented.
        if restrict && !represented.is_empty() {
            restricted_positions += 1;
        }
        let eligible = if position == 0 {
            None
        } else {
            Some(mask.as_slice())
        };
        let decision = guard.decide(policy, context, eligible, rng)?;
        shown[decision.arm] = true;
        represented.insert(u64::from(categories[decision.arm]));
        slate.push(SlateSlot {
            arm: decision.arm,
            position,
            propensity: decision.propensity,
            exploratory: decision.exploratory,
        });
    }
    guard.record_slate(represented.len(), restricted_positions);
    Ok(slate)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guardrails::GuardrailConfig;
    use crate::policy::{PolicyConfig, Ucb1Config};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn slates_hold_distinct_items_and_the_floor_holds() {
        // Six arms in categories 0,0,0,0,1,2; arms 0..3 (category 0) are the best.
        let categories = [0, 0, 0, 0, 1, 2];
        let mut policy = PolicyConfig::Ucb1(Ucb1Config {
            alpha: 0.0,
            ..Default::default()
        })
        .build(6)
        .unwrap();
        let ctx = Context::empty();
        for (arm, reward) in [(0, 1.0), (1, 0.9), (2, 0.8), (3, 0.7), (4, 0.2), (5, 0.1)] {
            policy.update(&ctx, arm, reward).unwrap();
        }
        let mut rng = SimRng::seed_from_u64(1);
        let mut free = Guardrails::new(GuardrailConfig::default()).unwrap();
        let slate = build_slate(&mut free, &policy, &ctx, 3, &categories, &mut rng).unwrap();
        let arms: Vec<usize> = slate.iter().map(|s| s.arm).collect();
        assert_eq!(arms, vec![0, 1, 2]);
        assert_eq!(free.metrics().min_distinct_categories_seen, Some(1));

        let mut floored = Guardrails::new(GuardrailConfig {
            min_distinct_categories: Some(3),
            ..Default::default()
        })
        .unwrap();
        let slate = build_slate(&mut floored, &policy, &ctx, 3, &categories, &mut rng).unwrap();
        let arms: Vec<usize> = slate.iter().map(|s| s.arm).collect();
        // Top stays the best; then the floor forces one item of each missing category.
        assert_eq!(arms, vec![0, 4, 5]);
        assert!(slate.iter().all(|s| s.propensity == 1.0));
        let m = floored.metrics();
        assert_eq!(m.min_distinct_categories_seen, Some(3));
        assert_eq!(m.diversity_restricted_positions, 2);

        let mut two = Guardrails::new(GuardrailConfig {
            min_distinct_categories: Some(2),
            ..Default::default()
        })
        .unwrap();
        let slate = build_slate(&mut two, &policy, &ctx, 3, &categories, &mut rng).unwrap();
        let arms: Vec<usize> = slate.iter().map(|s| s.arm).collect();
        assert_eq!(arms, vec![0, 1, 4]);
    }

    #[test]
    fn impossible_slates_are_typed_errors() {
        let policy = PolicyConfig::default().build(3).unwrap();
        let ctx = Context::empty();
        let mut rng = SimRng::seed_from_u64(1);
        let mut guard = Guardrails::new(GuardrailConfig::default()).unwrap();
        assert!(build_slate(&mut guard, &policy, &ctx, 4, &[0, 1, 2], &mut rng).is_err());
        assert!(build_slate(&mut guard, &policy, &ctx, 0, &[0, 1, 2], &mut rng).is_err());
        let mut floored = Guardrails::new(GuardrailConfig {
            min_distinct_categories: Some(3),
            ..Default::default()
        })
        .unwrap();
        assert!(build_slate(&mut floored, &policy, &ctx, 3, &[0, 0, 1], &mut rng).is_err());
    }
}

//! The registry of fuzz targets: one per decoder of outside bytes.
//!
//! A target supplies valid inputs to start from (`seeds`), a structure-aware mutation that
//! re-seals its output with valid checksums (`mutate_sealed`), and a `check` that decodes an
//! input and uses what decoded the way the product does. `check` returns `Ok(true)` when the
//! decoder accepted the input, `Ok(false)` when it refused it with a typed error, and `Err`
//! when a contract broke (for example an accepted WAL object that cannot be flushed).

pub mod engine;
pub mod lab;
pub mod recommender;

use strata_sim::SimRng;

/// One decoder under test.
pub struct Target {
    pub name: &'static str,
    /// What the input is, for `--list`.
    pub about: &'static str,
    /// Valid inputs, built deterministically.
    pub seeds: fn() -> Vec<Vec<u8>>,
    /// A mutation of the valid input given, with every checksum recomputed.
    pub mutate_sealed: fn(&mut SimRng, &[u8]) -> Vec<u8>,
    /// Decodes and uses the input; see the module documentation.
    pub check: fn(&[u8]) -> Result<bool, String>,
}

/// Every target, in the order runs and reports list them.
pub static TARGETS: [Target; 11] = [
    engine::WAL,
    engine::BLOCK,
    engine::SST_FOOTER,
    engine::SST_META,
    engine::SST_RANGES,
    engine::BLOOM,
    engine::MANIFEST,
    lab::SHARE_TOKEN,
    lab::SCENARIO_JSON,
    recommender::OPE_CSV,
    recommender::CHECKPOINT,
];

/// The target called `name`.
pub fn target_named(name: &str) -> Option<&'static Target> {
    TARGETS.iter().find(|target| target.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn every_seed_of_every_target_is_accepted() {
        for target in &TARGETS {
            let seeds = (target.seeds)();
            assert!(!seeds.is_empty(), "{} has no seed", target.name);
            for (index, seed) in seeds.iter().enumerate() {
                assert_eq!(
                    (target.check)(seed),
                    Ok(true),
                    "{} seed {index}",
                    target.name
                );
            }
        }
    }

    #[test]
    fn names_are_unique_and_found() {
        for target in &TARGETS {
            assert!(std::ptr::eq(
                target_named(target.name).expect("listed"),
                target
            ));
        }
        assert!(target_named("nope").is_none());
    }
}

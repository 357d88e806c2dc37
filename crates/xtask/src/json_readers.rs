//! JSON text is read in one place: the crates whose code runs a simulation (in the page or
//! in the CLI) read it through `strata_sim::json`, never through serde_json's own reader.
//!
//! The two readers give the same values only when serde_json's `float_roundtrip` feature is
//! on, and it is on only where a crate's tests turn it on (`strata-sim`'s, to compare them):
//! a serde_json read left in library code would read a long float one way in the tests and
//! another in the page and the CLI, and split their trace hashes. The page is also smaller
//! without serde_json's reader (docs/ui.md, the cuts table).

use std::path::Path;

use crate::asserts::{
    crate_dirs, crate_name, rust_files, strip_comments_and_literals, strip_tests,
};

/// The crates that run a simulation; their binaries (`src/bin/`) are tools, not the run.
const SIMULATION_CRATES: &[&str] = &[
    "strata-sim",
    "strata-objstore",
    "strata-engine",
    "strata-recommender",
    "strata-lab",
    "strata-web",
];

/// Calls of serde_json's text readers.
const TEXT_READERS: &[&str] = &[
    "serde_json::from_str",
    "serde_json::from_slice",
    "serde_json::from_reader",
    "serde_json::Deserializer",
];

/// `path:line` of every call of a text reader in `source`'s code outside its tests.
fn reads(path: &Path, source: &str) -> Vec<String> {
    let code = strip_tests(&strip_comments_and_literals(source));
    code.lines()
        .enumerate()
        .filter(|(_, line)| TEXT_READERS.iter().any(|reader| line.contains(reader)))
        .map(|(number, _)| format!("{}:{}", path.display(), number + 1))
        .collect()
}

#[test]
fn simulation_code_reads_json_text_only_through_the_shared_reader() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut found = Vec::new();
    let mut scanned = 0;
    for dir in crate_dirs(&root).unwrap() {
        if !SIMULATION_CRATES.contains(&crate_name(&dir).unwrap().as_str()) {
            continue;
        }
        for path in rust_files(&dir.join("src")).unwrap() {
            let name = path.file_name().unwrap().to_string_lossy();
            if path.components().any(|c| c.as_os_str() == "bin") || name.ends_with("_tests.rs") {
                continue;
            }
            scanned += 1;
            found.extend(reads(&path, &std::fs::read_to_string(&path).unwrap()));
        }
    }
    assert!(scanned > 100, "only {scanned} files scanned");
    assert!(
        found.is_empty(),
        "serde_json reads JSON text at {found:#?}; use strata_sim::json"
    );
}

#[test]
fn a_read_in_code_is_found_and_one_in_tests_or_comments_is_not() {
    let source = "fn a() { let v: Value = serde_json::from_str(t)?; }\n\
                  // serde_json::from_slice(b)\n\
                  #[cfg(test)]\nmod tests {\n    fn b() { serde_json::from_str::<Value>(t); }\n}\n";
    assert_eq!(reads(Path::new("x.rs"), source), vec!["x.rs:1".to_string()]);
}

//! The lab's and the page's source files stay short enough to read as one stage each: none is
//! over [`MAX_LINES`] lines. The lab is split by stage (scenario/, runner/, explain/, export/)
//! and the page by component; a file that grows past the limit is split where its concerns
//! part, before it becomes a second `scenario.rs` of 2,000 lines.

use std::path::Path;

use crate::asserts::rust_files;

/// Lines a source file of the lab or the page may hold, tests included.
const MAX_LINES: usize = 800;

/// The source trees held to the limit.
const TREES: &[&str] = &["crates/lab/src", "web/src"];

#[test]
fn no_source_file_of_the_lab_or_the_page_is_over_the_limit() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut scanned = 0;
    let mut long = Vec::new();
    for tree in TREES {
        for path in rust_files(&root.join(tree)).unwrap() {
            scanned += 1;
            let lines = std::fs::read_to_string(&path).unwrap().lines().count();
            if lines > MAX_LINES {
                long.push(format!("{} ({lines} lines)", path.display()));
            }
        }
    }
    // Both trees were found and read: a wrong path would make this pass on nothing.
    assert!(scanned > 100, "only {scanned} files read under {TREES:?}");
    assert!(
        long.is_empty(),
        "over {MAX_LINES} lines; split them where their concerns part:\n{}",
        long.join("\n")
    );
}

//! `cargo xtask asserts`: assertion density per crate, and a floor for the engine.
//!
//! For every workspace crate it counts the lines of non-test code under `src/` and the
//! assertions in them, and prints one table row per crate: non-test lines, assertions, and
//! lines per assertion. It fails when the engine has more than
//! `ENGINE_MAX_LINES_PER_ASSERTION` lines per assertion: the engine asserts its invariants
//! where its state changes, and the floor keeps new code doing the same.
//!
//! What counts:
//! - a line: a line of a `.rs` file under `src/` that holds code once comments are removed;
//!   blank lines, comments (`//`, `///`, `//!`, nested `/* */`), items under `#[cfg(test)]`
//!   (a test module is skipped to its closing brace), `tests.rs` files (a module's tests in a
//!   file of their own) and `tests/` directories do not count;
//! - an assertion: `assert!`, `assert_eq!`, `assert_ne!`, their `debug_assert` forms, and a
//!   call of the engine's invariant checks (`invariants::check_…(`), each a place where an
//!   invariant is asserted. Text inside string and character literals and comments never
//!   counts, so `"assert!("` in a message is not an assertion.
//!
//! The scan is a small lexer, not a parser: it knows comments, strings (with escapes, byte
//! and raw strings), character literals and lifetimes, which is all brace matching needs.

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};

/// The engine may have at most this many lines of non-test code per assertion.
pub const ENGINE_MAX_LINES_PER_ASSERTION: u64 = 150;

/// The crate the floor applies to.
const ENGINE_CRATE: &str = "strata-engine";

/// The macros that count as assertions (each followed by `!`).
const ASSERT_MACROS: &[&str] = &[
    "assert",
    "assert_eq",
    "assert_ne",
    "debug_assert",
    "debug_assert_eq",
    "debug_assert_ne",
];

/// A call of one of the engine's invariant checks starts with this path.
const INVARIANT_CHECK_PREFIX: &str = "invariants::check_";

/// One source file's counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Lines holding non-test code.
    pub lines: u64,
    pub assertions: u64,
}

impl Counts {
    fn add(&mut self, other: Counts) {
        self.lines += other.lines;
        self.assertions += other.assertions;
    }

    /// Lines per assertion, or `None` when there is no assertion.
    pub fn lines_per_assertion(&self) -> Option<f64> {
        (self.assertions > 0).then(|| self.lines as f64 / self.assertions as f64)
    }
}

pub fn run(args: &[String]) -> Result<()> {
    if let Some(unknown) = args.first() {
        bail!("asserts takes no arguments (got {unknown:?})");
    }
    let root = crate::workspace_root();
    let mut rows = Vec::new();
    for dir in crate_dirs(&root)? {
        let name = crate_name(&dir)?;
        let mut counts = Counts::default();
        for file in rust_files(&dir.join("src"))? {
            let source = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            counts.add(count_source(&source));
        }
        rows.push((name, counts));
    }
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    println!(
        "{:<20} {:>16} {:>11} {:>20}",
        "crate", "non-test lines", "assertions", "lines per assertion"
    );
    for (name, counts) in &rows {
        let ratio = counts
            .lines_per_assertion()
            .map_or_else(|| "-".to_string(), |ratio| format!("{ratio:.1}"));
        println!(
            "{name:<20} {:>16} {:>11} {ratio:>20}",
            counts.lines, counts.assertions
        );
    }
    let Some((_, engine)) = rows.iter().find(|(name, _)| name == ENGINE_CRATE) else {
        bail!("no crate named {ENGINE_CRATE} in the workspace");
    };
    check_engine_floor(*engine)
}

/// Fails when the engine's code has more lines per assertion than the floor allows.
pub fn check_engine_floor(engine: Counts) -> Result<()> {
    if engine.assertions * ENGINE_MAX_LINES_PER_ASSERTION < engine.lines {
        bail!(
            "{ENGINE_CRATE} has {} non-test lines and {} assertions: more than {ENGINE_MAX_LINES_PER_ASSERTION} lines per assertion. Assert the invariants of the state you change.",
            engine.lines,
            engine.assertions
        );
    }
    println!(
        "xtask: {ENGINE_CRATE} is within {ENGINE_MAX_LINES_PER_ASSERTION} lines per assertion"
    );
    Ok(())
}

/// The directories of the workspace's crates: `crates/*` and `web`.
pub(crate) fn crate_dirs(root: &Path) -> Result<Vec<PathBuf>> {
    let mut dirs = Vec::new();
    let crates = root.join("crates");
    for entry in
        std::fs::read_dir(&crates).with_context(|| format!("listing {}", crates.display()))?
    {
        let path = entry?.path();
        if path.join("Cargo.toml").is_file() {
            dirs.push(path);
        }
    }
    if root.join("web/Cargo.toml").is_file() {
        dirs.push(root.join("web"));
    }
    dirs.sort();
    Ok(dirs)
}

/// The `name` in a crate's `[package]` section.
pub(crate) fn crate_name(dir: &Path) -> Result<String> {
    let manifest = dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest)
        .with_context(|| format!("reading {}", manifest.display()))?;
    text.lines()
        .map(str::trim)
        .find_map(|line| {
            let value = line.strip_prefix("name")?.trim_start().strip_prefix('=')?;
            Some(value.trim().trim_matches('"').to_string())
        })
        .with_context(|| format!("{} names no package", manifest.display()))
}

/// Every `.rs` file under `dir`, outside `tests/` directories, in path order.
pub(crate) fn rust_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue; // a crate without src/ has no code to count
        };
        for entry in entries {
            let path = entry?.path();
            if path.is_dir() {
                if path.file_name().is_some_and(|name| name != "tests") {
                    pending.push(path);
                }
            } else if path.extension().is_some_and(|ext| ext == "rs") && !is_test_file(&path) {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// A module's tests in a file of their own: `tests.rs`, declared `#[cfg(test)] mod tests;`.
fn is_test_file(path: &Path) -> bool {
    path.file_name().is_some_and(|name| name == "tests.rs")
}

/// Counts the non-test code lines and the assertions of one source file.
pub fn count_source(source: &str) -> Counts {
    let code = strip_tests(&strip_comments_and_literals(source));
    let mut counts = Counts::default();
    for line in code.lines() {
        if !line.trim().is_empty() {
            counts.lines += 1;
        }
    }
    counts.assertions = count_assertions(&code);
    counts
}

/// The source with comments removed and the contents of string and character literals
/// replaced by `_` (quotes kept), newlines preserved everywhere.
pub(crate) fn strip_comments_and_literals(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    // Blanks `chars[from..to]`, keeping newlines.
    let blank = |out: &mut String, chars: &[char], from: usize, to: usize| {
        for &c in &chars[from..to.min(chars.len())] {
            out.push(if c == '\n' { '\n' } else { '_' });
        }
    };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    if chars[i] == '\n' {
                        out.push('\n');
                    }
                    i += 1;
                }
            }
        } else if let Some(hashes) = raw_string_start(&chars, i) {
            // r"…", r#"…"#, br#"…"#: no escapes, ends at a quote followed by the hashes.
            let open = chars[i..]
                .iter()
                .position(|&c| c == '"')
                .map_or(i, |p| i + p);
            out.extend(&chars[i..=open]);
            let mut j = open + 1;
            while j < chars.len() {
                if chars[j] == '"' && (0..hashes).all(|k| chars.get(j + 1 + k) == Some(&'#')) {
                    break;
                }
                j += 1;
            }
            blank(&mut out, &chars, open + 1, j);
            let end = (j + 1 + hashes).min(chars.len());
            out.extend(&chars[j.min(chars.len())..end]);
            i = end;
        } else if c == '"' {
            out.push('"');
            let mut j = i + 1;
            while j < chars.len() && chars[j] != '"' {
                j += if chars[j] == '\\' { 2 } else { 1 };
            }
            blank(&mut out, &chars, i + 1, j);
            if j < chars.len() {
                out.push('"');
            }
            i = j + 1;
        } else if c == '\'' {
            // A character literal ('a', '\n', '\u{1F600}', '{') or a lifetime ('a).
            let end = if next == Some('\\') {
                // The escaped character may itself be a quote: search after it.
                chars
                    .get(i + 3..)
                    .and_then(|tail| tail.iter().position(|&c| c == '\''))
                    .map(|p| i + 3 + p)
            } else if chars.get(i + 2) == Some(&'\'') {
                Some(i + 2)
            } else {
                None
            };
            match end {
                Some(end) => {
                    out.push('\'');
                    blank(&mut out, &chars, i + 1, end);
                    out.push('\'');
                    i = end + 1;
                }
                None => {
                    out.push('\'');
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// If a raw string (`r"`, `r#"`, `br#"`…) starts at `i`, the number of its `#`s.
fn raw_string_start(chars: &[char], i: usize) -> Option<usize> {
    let previous_is_ident = i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
    if previous_is_ident {
        return None;
    }
    let mut j = i;
    if chars.get(j) == Some(&'b') {
        j += 1;
    }
    if chars.get(j) != Some(&'r') {
        return None;
    }
    j += 1;
    let mut hashes = 0;
    while chars.get(j) == Some(&'#') {
        hashes += 1;
        j += 1;
    }
    (chars.get(j) == Some(&'"')).then_some(hashes)
}

/// `code` (comments and literals already stripped) with every item under `#[cfg(test)]`
/// removed: from the attribute to the item's closing brace (or its `;`), newlines kept.
pub(crate) fn strip_tests(code: &str) -> String {
    const ATTRIBUTE: &str = "#[cfg(test)]";
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    while let Some(at) = rest.find(ATTRIBUTE) {
        out.push_str(&rest[..at]);
        let item = &rest[at..];
        let mut depth = 0usize;
        let mut end = item.len();
        for (offset, c) in item.char_indices().skip(ATTRIBUTE.len()) {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        end = offset + 1;
                        break;
                    }
                }
                ';' if depth == 0 => {
                    end = offset + 1;
                    break;
                }
                _ => {}
            }
        }
        out.extend(item[..end].chars().filter(|&c| c == '\n'));
        rest = &item[end..];
    }
    out.push_str(rest);
    out
}

/// Assertion macros and invariant-check calls in `code` (comments and literals stripped).
fn count_assertions(code: &str) -> u64 {
    let bytes = code.as_bytes();
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut count = 0;
    let mut i = 0;
    while i < bytes.len() {
        if !is_ident(bytes[i]) || (i > 0 && (is_ident(bytes[i - 1]) || bytes[i - 1] == b':')) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && (is_ident(bytes[i]) || bytes[i..].starts_with(b"::")) {
            i += if bytes[i] == b':' { 2 } else { 1 };
        }
        let word = &code[start..i];
        let macro_call = bytes.get(i) == Some(&b'!') && ASSERT_MACROS.contains(&word);
        let check_call = bytes.get(i) == Some(&b'(')
            && word
                .rsplit_once(INVARIANT_CHECK_PREFIX)
                .is_some_and(|(path, name)| {
                    !name.is_empty() && (path.is_empty() || path.ends_with("::"))
                });
        if macro_call || check_call {
            count += 1;
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"//! A module header, not code.

/// Doc comment with assert!(x) in it.
pub fn checked(x: u64) -> u64 {
    assert!(x > 0, "assert!(x) in a message is text");
    debug_assert_eq!(x, x);
    /* a block comment
       assert_ne!(1, 2); /* nested */ still comment */
    let brace = '{';
    let lifetime: &'static str = "}";
    super::invariants::check_watermarks(1, 2, 3, 4);
    invariants::check_layout(&manifest);
    let raw = r"assert!(no)";
    my_assert!(not_counted);
    x
}

#[cfg(test)]
mod tests {
    #[test]
    fn inside_tests() {
        assert_eq!(1, 1);
        let s = "}";
    }
}

fn after_tests() {
    assert_ne!(1, 2);
}
"#;

    #[test]
    fn counts_code_lines_and_assertions_outside_tests_and_comments() {
        let counts = count_source(SAMPLE);
        // Code lines: `pub fn checked` … `}` (11 of the 15 lines between hold code, the
        // others are comments), then `fn after_tests() {`, its assertion and `}`.
        assert_eq!(
            counts,
            Counts {
                lines: 14,
                assertions: 5
            }
        );
    }

    #[test]
    fn a_modules_tests_in_a_file_of_their_own_do_not_count() {
        let dir = std::env::temp_dir().join(format!("strata-asserts-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("format")).unwrap();
        std::fs::write(dir.join("format/mod.rs"), "#[cfg(test)]\nmod tests;\n").unwrap();
        std::fs::write(dir.join("format/tests.rs"), "fn t() { assert!(true); }\n").unwrap();
        let files = rust_files(&dir).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(files, vec![dir.join("format/mod.rs")]);
    }

    #[test]
    fn a_test_module_is_skipped_to_its_closing_brace() {
        let source = "fn a() {}\n#[cfg(test)]\nmod tests {\n    fn b() { assert!(true); }\n}\nfn c() { assert!(true); }\n";
        assert_eq!(
            count_source(source),
            Counts {
                lines: 2,
                assertions: 1
            }
        );
    }

    #[test]
    fn literals_and_comments_hide_assertions_and_braces() {
        let source =
            "let a = \"assert!(1) {\";\nlet b = b'{';\n// assert!(2)\nlet c = r#\"assert!(3)\"#;\n";
        assert_eq!(
            count_source(source),
            Counts {
                lines: 3,
                assertions: 0
            }
        );
    }

    #[test]
    fn the_engine_floor_fails_above_the_limit() {
        let at_limit = Counts {
            lines: 150 * 4,
            assertions: 4,
        };
        assert!(check_engine_floor(at_limit).is_ok());
        let above = Counts {
            lines: 150 * 4 + 1,
            assertions: 4,
        };
        assert!(check_engine_floor(above).is_err());
        assert!(check_engine_floor(Counts {
            lines: 10,
            assertions: 0
        })
        .is_err());
    }
}

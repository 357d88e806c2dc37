//! `cargo xtask dist [--no-wasm-opt]`: builds the playground (release wasm, JS glue, static
//! files) into a self-contained `dist/` that needs no CDN and no network, then shrinks the wasm
//! with wasm-opt (npm `binaryen`, pinned in tests/e2e/package.json and installed on first use).
//!
//! The chapters (`web/chapters/*.json`) are copied to `dist/chapters/` with an index,
//! `dist/chapters/index.json` (each chapter's name, title and question, in the order of the
//! chapter list in crates/lab/tests/chapters.rs), which the page fetches at run time: the
//! chapter texts never grow the wasm. The example scenarios (`tests/scenarios/*.json`) go to
//! `dist/examples/` likewise.
//!
//! The download has a budget, [`WASM_GZIP_BUDGET_BYTES`] after gzip -9: `dist` (and so the
//! end-to-end stage of `cargo xtask test`, which builds through it) fails when the shipped wasm
//! is over it, naming the size, the budget and the excess. `dist/` is still written, so the page
//! can be looked at; `cargo xtask serve` builds without the check and only warns.

use crate::toolchain::{cargo, ensure_rust_src, ensure_wasm_target, run_checked, WASM_TARGET};
use crate::workspace_root;
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The cargo profile the playground ships with (size-optimised release; see Cargo.toml).
pub const WEB_PROFILE: &str = "web-release";

/// The playground's wasm, after wasm-opt and gzip -9, may be at most this many bytes: 450 KB in
/// decimal kilobytes (450 × 1000 B), as docs/ui.md counts them. A change that takes the wasm
/// over it fails CI; docs/ui.md's bundle section says what each size trick saves.
pub const WASM_GZIP_BUDGET_BYTES: usize = 450_000;

/// The standard library rebuilt with the playground, for size: `std` compiled from the
/// toolchain's source (`rust-src`) at the profile's `opt-level = "z"` with fat LTO across it and
/// the page, and with `std`'s `optimize_for_size` feature (smaller sorts, integer formatting and
/// float parsing; the same results). Unstable cargo flags on the stable toolchain, so the one
/// cargo invocation that uses them runs with `RUSTC_BOOTSTRAP=1`; nothing else sees it. A panic
/// still runs the page's hook before it aborts, so the banner shows its message
/// (`-Cpanic=immediate-abort` would abort at once, with no message). Measured in docs/ui.md,
/// bundle section.
///
/// With it, `-Ztrim-paths` and the profile's `trim-paths = "all"`: the source paths in panic
/// locations become `/rustc/<commit>/library/…` for `std` (as in the prebuilt one; rebuilt, it
/// would carry this machine's rustup home) and `index.crates.io-<hash>/CRATE-VERSION/src/…` for
/// the registry's crates, so the wasm is shorter and the same on every machine.
pub const BUILD_STD: &[&str] = &[
    "-Zbuild-std=std,panic_abort",
    "-Zbuild-std-features=optimize_for_size",
    "-Ztrim-paths",
    "--config",
    "profile.web-release.trim-paths=\"all\"",
];

/// The shipped page without panic locations: every panic's file, line and column become one
/// redacted location (`-Zlocation-detail=none`, unstable, so it rides on the same
/// `RUSTC_BOOTSTRAP=1` invocation; cargo appends it to the target's `rustflags` in
/// `.cargo/config.toml`). A panic still runs the hook and the banner still shows its message
/// (`web/src/panic.rs`); what it loses is where, which the native build keeps: a run is
/// deterministic, so `strata run` on the page's exported scenario panics at the same place and
/// names it. The thousands of locations (16 B each, their numbers incompressible) and their
/// file names were 12.5 KB of the gzip size (docs/ui.md, cuts table).
pub const NO_PANIC_LOCATIONS: &[&str] = &[
    "--config",
    "target.wasm32-unknown-unknown.rustflags=[\"-Zlocation-detail=none\"]",
];

/// wasm-opt's optimisation flags for the shipped wasm.
///
/// Measured on the playground (docs/ui.md, bundle section): binaryen's inliner with its
/// default limits *grows* the gzip size (-Oz: 520 KB to 554 KB), because it copies bodies that
/// gzip had been compressing as repeats (functions of up to 20 bytes into every caller) and
/// inlines functions of any size into their one caller. Limited to the functions of at most 3
/// bytes (into every caller) and of at most 12 bytes with one caller, it saves 3.4 KB gzip
/// against no inliner at all (2 bytes: 497,532 to 494,383 B; 3 bytes: 232 B less again; 4 or 5
/// bytes, or one caller up to 8, 10, 14 or 16 bytes, gave more; 40 bytes 5 KB more). The
/// pipeline runs twice, -O2 then -O3: a second run finds work the first one's last passes
/// left (−330 B without the inliner for -O3 twice; -O2 first, 313 B less than -O3 first; a
/// third run took 3–19 B more, for another 4 s of build). Between the two runs, binaryen
/// merges functions that differ only in constants or callees into one with those as
/// parameters (`--merge-similar-functions`: −262 B gzip, 24 KB raw; after both runs it cost
/// 0.6 KB, before both 0.9 KB). Settings near these differ by a few hundred bytes either way,
/// so measure again when the code has moved much. The producers and target features sections,
/// which no browser reads, are left out.
const WASM_OPT_FLAGS: &[&str] = &[
    "-O2",
    "--merge-similar-functions",
    "-O3",
    "--always-inline-max-function-size=3",
    "--flexible-inline-max-function-size=0",
    "--one-caller-inline-max-function-size=12",
    "--strip-producers",
    "--strip-target-features",
];

/// The wasm features rustc 1.95 enables by default for wasm32-unknown-unknown, which the
/// binary therefore already uses; wasm-opt must be told, as `strip` removes the section that
/// would say so.
const WASM_FEATURES: &[&str] = &[
    "--enable-bulk-memory",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-nontrapping-float-to-int",
    "--enable-multivalue",
    "--enable-reference-types",
];

/// What [`build`] made.
pub struct Built {
    pub dir: PathBuf,
    /// The shipped wasm's size after gzip -9.
    pub wasm_gzip_bytes: usize,
    /// Whether wasm-opt ran (the budget applies to the shipped, optimised wasm only).
    pub optimised: bool,
}

/// Builds `dist/` and returns its path; fails when the wasm is over its budget.
pub fn run(args: &[String]) -> Result<PathBuf> {
    let built = build(args)?;
    if built.optimised {
        check_budget(built.wasm_gzip_bytes, WASM_GZIP_BUDGET_BYTES)?;
        eprintln!(
            "xtask: the wasm is within its budget ({} of {} bytes gzip -9)",
            built.wasm_gzip_bytes, WASM_GZIP_BUDGET_BYTES
        );
    }
    Ok(built.dir)
}

/// Fails, saying by how much, when `wasm_gzip_bytes` is over `budget_bytes`.
pub fn check_budget(wasm_gzip_bytes: usize, budget_bytes: usize) -> Result<()> {
    if wasm_gzip_bytes > budget_bytes {
        bail!(
            "the playground's wasm is {wasm_gzip_bytes} bytes gzip -9, over its budget of {budget_bytes} bytes ({} bytes too many); docs/ui.md lists what the bytes are and the cuts measured so far",
            wasm_gzip_bytes - budget_bytes
        );
    }
    Ok(())
}

/// Builds `dist/`, without the budget check.
pub fn build(args: &[String]) -> Result<Built> {
    let wasm_opt = !crate::has_flag(args, "--no-wasm-opt");
    ensure_wasm_target()?;
    ensure_rust_src()?;
    let root = workspace_root();
    let yew = crate::yew_patch::prepare().context("patching Yew for the page's build")?;
    eprintln!(
        "xtask: building the playground (wasm32, profile {WEB_PROFILE}, std rebuilt for size, \
         Yew patched for size)"
    );
    run_checked(
        cargo()
            .env("RUSTC_BOOTSTRAP", "1")
            .args([
                "build",
                "-p",
                "strata-web",
                "--lib",
                "--target",
                WASM_TARGET,
                "--profile",
                WEB_PROFILE,
            ])
            .args(BUILD_STD)
            .args(NO_PANIC_LOCATIONS)
            .args(yew.cargo_args()),
        "cargo build of the playground",
    )?;
    let wasm = target_dir()
        .join(WASM_TARGET)
        .join(WEB_PROFILE)
        .join("strata_web.wasm");
    let dist = root.join("dist");
    if dist.exists() {
        std::fs::remove_dir_all(&dist).with_context(|| format!("clearing {}", dist.display()))?;
    }
    std::fs::create_dir_all(&dist)?;
    crate::wasm::generate_bindings(&wasm, &dist)?;
    let glue = dist.join("strata_web.js");
    let (short, short_glue) = crate::imports::shorten(
        &std::fs::read(dist.join("strata_web_bg.wasm"))?,
        &std::fs::read_to_string(&glue)?,
    )
    .context("giving the wasm's imports short names")?;
    std::fs::write(dist.join("strata_web_bg.wasm"), short)?;
    std::fs::write(&glue, short_glue)?;
    copy_static(&root.join("web").join("static"), &dist)?;
    let list = root.join(CHAPTER_LIST);
    let order = listed_order(
        &std::fs::read_to_string(&list).with_context(|| format!("reading {}", list.display()))?,
    );
    let chapters = copy_chapters(
        &root.join("web").join("chapters"),
        &dist.join("chapters"),
        &order,
    )?;
    eprintln!("xtask: {chapters} chapters copied, with their index");
    let examples = copy_examples(&root.join(EXAMPLES_SOURCE), &dist.join("examples"))?;
    eprintln!("xtask: {examples} example scenarios copied");
    let wasm_out = dist.join("strata_web_bg.wasm");
    if wasm_opt {
        let before = std::fs::read(&wasm_out)?;
        optimise(&wasm_out)?;
        eprintln!(
            "xtask: before wasm-opt: {} bytes raw, {} bytes gzip -9",
            before.len(),
            gzip_len(&before)?
        );
    }
    let raw = std::fs::read(&wasm_out)?;
    let gzipped = gzip_len(&raw)?;
    eprintln!(
        "xtask: dist ready at {} (wasm {} bytes raw, {} bytes gzip -9)",
        dist.display(),
        raw.len(),
        gzipped
    );
    Ok(Built {
        dir: dist,
        wasm_gzip_bytes: gzipped,
        optimised: wasm_opt,
    })
}

/// Copies the page's static files (`index.html`, the style sheet, the worker's script
/// `worker.js`, which loads the same wasm and glue as the page) into `to`. Returns their names.
fn copy_static(from: &Path, to: &Path) -> Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name()))?;
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    names.sort();
    Ok(names)
}

/// Where the chapters' order is kept: the list of the test that runs them all, which also
/// checks that it names every file in `web/chapters`.
pub const CHAPTER_LIST: &str = "crates/lab/tests/chapters.rs";

/// The chapter names in the order `source` (the text of [`CHAPTER_LIST`]) lists them: the
/// string literals inside its `chapters![ … ]`.
pub fn listed_order(source: &str) -> Vec<String> {
    let Some(start) = source.find("chapters![") else {
        return Vec::new();
    };
    let list = &source[start + "chapters![".len()..];
    let list = &list[..list.find(']').unwrap_or(list.len())];
    list.split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// The chapter index the page reads: `[{name, title, question}, …]` for `chapters` (name and
/// file text), in the order of `order` (the talk's), then any others by name. Fails, naming
/// the file, on a name the page would refuse or a file without a title and a question.
pub fn chapter_index(chapters: &[(String, String)], order: &[String]) -> Result<String> {
    let mut entries = Vec::with_capacity(chapters.len());
    let mut sorted: Vec<&(String, String)> = chapters.iter().collect();
    let rank = |name: &str| order.iter().position(|n| n == name).unwrap_or(order.len());
    sorted.sort_by(|a, b| (rank(&a.0), &a.0).cmp(&(rank(&b.0), &b.0)));
    for (name, text) in sorted {
        let valid_name = !name.is_empty()
            && name.len() <= 64
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !valid_name {
            bail!("chapter file {name}.json: a chapter's name is lower-case letters, digits and dashes, at most 64");
        }
        let value: serde_json::Value = serde_json::from_str(text)
            .with_context(|| format!("chapter file {name}.json is not JSON"))?;
        let field = |key: &str| {
            value
                .get(key)
                .and_then(serde_json::Value::as_str)
                .map(str::to_string)
                .with_context(|| format!("chapter file {name}.json has no {key:?}"))
        };
        entries.push(serde_json::json!({
            "name": name,
            "title": field("title")?,
            "question": field("question")?,
        }));
    }
    Ok(serde_json::to_string_pretty(&entries)?)
}

/// Copies every `*.json` in `from` to `to` and writes `to/index.json` in the order `order`;
/// returns how many.
fn copy_chapters(from: &Path, to: &Path, order: &[String]) -> Result<usize> {
    std::fs::create_dir_all(to)?;
    let mut chapters = Vec::new();
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let path = entry?.path();
        let Some(name) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".json"))
        else {
            continue;
        };
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        std::fs::write(to.join(format!("{name}.json")), &text)?;
        chapters.push((name.to_string(), text));
    }
    if chapters.iter().any(|(name, _)| name == "index") {
        bail!("web/chapters/index.json would be overwritten by the chapter index; rename it");
    }
    std::fs::write(to.join("index.json"), chapter_index(&chapters, order)?)?;
    Ok(chapters.len())
}

/// Where the example scenarios are kept (the lab's tests run them too); `dist` copies them to
/// `dist/examples/`, where the page's examples menu fetches them, so they are not in the wasm.
pub const EXAMPLES_SOURCE: &str = "tests/scenarios";

/// Copies every `*.json` in `from` to `to`; returns how many.
fn copy_examples(from: &Path, to: &Path) -> Result<usize> {
    std::fs::create_dir_all(to)?;
    let mut copied = 0;
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let path = entry?.path();
        if path.extension().and_then(|e| e.to_str()) == Some("json") {
            let name = path.file_name().context("a file without a name")?;
            std::fs::copy(&path, to.join(name))
                .with_context(|| format!("copying {}", path.display()))?;
            copied += 1;
        }
    }
    Ok(copied)
}

/// Runs the pinned wasm-opt over `wasm` in place.
fn optimise(wasm: &Path) -> Result<()> {
    let exe = crate::npm::wasm_opt()?;
    let tmp = wasm.with_extension("opt.wasm");
    eprintln!("xtask: wasm-opt {}", WASM_OPT_FLAGS.join(" "));
    run_checked(
        Command::new(&exe)
            .args(WASM_OPT_FLAGS)
            .args(WASM_FEATURES)
            .arg(wasm)
            .arg("-o")
            .arg(&tmp),
        "wasm-opt (npm binaryen in tests/e2e)",
    )?;
    std::fs::rename(&tmp, wasm).with_context(|| format!("replacing {}", wasm.display()))?;
    Ok(())
}

/// Cargo's target directory (honours CARGO_TARGET_DIR).
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| {
            if p.is_absolute() {
                p
            } else {
                workspace_root().join(p)
            }
        })
        .unwrap_or_else(|| workspace_root().join("target"))
}

/// The size of `bytes` after gzip at maximum compression, as a web server would send it.
pub fn gzip_len(bytes: &[u8]) -> Result<usize> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wasm_at_the_budget_passes_and_one_byte_over_fails_by_name() {
        check_budget(WASM_GZIP_BUDGET_BYTES, WASM_GZIP_BUDGET_BYTES).unwrap();
        let error = check_budget(WASM_GZIP_BUDGET_BYTES + 1, WASM_GZIP_BUDGET_BYTES)
            .unwrap_err()
            .to_string();
        assert!(error.contains("450001 bytes gzip -9"), "{error}");
        assert!(
            error.contains("budget of 450000 bytes (1 bytes too many)"),
            "{error}"
        );
    }

    #[test]
    fn the_chapter_index_lists_names_titles_and_questions_by_name() {
        let chapter =
            |title: &str| format!(r#"{{"title":"{title}","question":"Why {title}?","beats":[]}}"#);
        let index = chapter_index(
            &[
                ("zombie".to_string(), chapter("Z")),
                ("durable".to_string(), chapter("D")),
            ],
            &[],
        )
        .unwrap();
        let value: serde_json::Value = serde_json::from_str(&index).unwrap();
        assert_eq!(
            value,
            serde_json::json!([
                {"name": "durable", "title": "D", "question": "Why D?"},
                {"name": "zombie", "title": "Z", "question": "Why Z?"},
            ])
        );
        let order = vec!["zombie".to_string(), "wal".to_string()];
        let index = chapter_index(
            &[
                ("durable".to_string(), chapter("D")),
                ("wal".to_string(), chapter("W")),
                ("zombie".to_string(), chapter("Z")),
            ],
            &order,
        )
        .unwrap();
        let names: Vec<String> = serde_json::from_str::<Vec<serde_json::Value>>(&index)
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(
            names,
            ["zombie", "wal", "durable"],
            "listed first, then by name"
        );
        assert!(chapter_index(&[("Bad Name".to_string(), chapter("B"))], &[]).is_err());
        let message = chapter_index(&[("untitled".to_string(), "{}".to_string())], &[])
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("untitled.json") && message.contains("title"),
            "{message}"
        );
    }

    #[test]
    fn every_chapter_of_the_playground_is_in_its_index() {
        let dir = workspace_root().join("web").join("chapters");
        let out = std::env::temp_dir().join(format!("strata-chapters-{}", std::process::id()));
        let order =
            listed_order(&std::fs::read_to_string(workspace_root().join(CHAPTER_LIST)).unwrap());
        assert_eq!(
            order.first().map(String::as_str),
            Some("wal-batching"),
            "{order:?}"
        );
        let copied = copy_chapters(&dir, &out, &order).unwrap();
        let index: Vec<serde_json::Value> =
            serde_json::from_str(&std::fs::read_to_string(out.join("index.json")).unwrap())
                .unwrap();
        assert_eq!(index.len(), copied);
        assert!(copied >= 11, "{copied}");
        for entry in &index {
            let name = entry["name"].as_str().unwrap();
            assert!(out.join(format!("{name}.json")).exists(), "{name}");
        }
        let names: Vec<&str> = index.iter().map(|e| e["name"].as_str().unwrap()).collect();
        assert_eq!(names, order, "the index in the talk's order");
        std::fs::remove_dir_all(&out).unwrap();
    }

    #[test]
    fn every_example_of_the_playground_is_copied() {
        let out = std::env::temp_dir().join(format!("strata-examples-{}", std::process::id()));
        let copied = copy_examples(&workspace_root().join(EXAMPLES_SOURCE), &out).unwrap();
        assert!(copied >= 8, "{copied}");
        let menu =
            std::fs::read_to_string(workspace_root().join("web/src/scenario_panel.rs")).unwrap();
        let list = &menu[menu.find("pub const EXAMPLES").unwrap()..];
        let list = &list[..list.find("];").unwrap()];
        let ids: Vec<&str> = list
            .lines()
            .filter_map(|line| line.trim().strip_prefix("(\""))
            .filter_map(|line| line.split('"').next())
            .collect();
        assert_eq!(ids.len(), 8, "{ids:?}");
        for id in ids {
            assert!(out.join(format!("{id}.json")).is_file(), "{id}");
        }
        std::fs::remove_dir_all(&out).unwrap();
    }

    #[test]
    fn the_worker_ships_beside_the_page_and_calls_the_entry_points_the_wasm_exports() {
        let out = std::env::temp_dir().join(format!("strata-static-{}", std::process::id()));
        std::fs::create_dir_all(&out).unwrap();
        let names = copy_static(&workspace_root().join("web/static"), &out).unwrap();
        assert!(names.iter().any(|n| n == "worker.js"), "{names:?}");
        assert!(names.iter().any(|n| n == "index.html"), "{names:?}");
        let worker = std::fs::read_to_string(out.join("worker.js")).unwrap();
        let page = std::fs::read_to_string(out.join("index.html")).unwrap();
        std::fs::remove_dir_all(&out).unwrap();
        // Both load the glue wasm-bindgen writes for the crate, and call what the crate exports:
        // the page its `start` (not a start hook, which would run in the worker too), the worker
        // its `workerMain`.
        assert!(worker.contains("from './strata_web.js'"), "{worker}");
        assert!(page.contains("from './strata_web.js'"), "{page}");
        assert!(worker.contains("workerMain()"), "{worker}");
        assert!(page.contains("start()"), "{page}");
        let web = workspace_root().join("web/src");
        let entry = std::fs::read_to_string(web.join("worker/entry.rs")).unwrap();
        assert!(entry.contains("#[wasm_bindgen(js_name = workerMain)]"));
        let lib = std::fs::read_to_string(web.join("lib.rs")).unwrap();
        assert!(lib.contains("#[wasm_bindgen]\npub fn start()"));
        assert!(!lib.contains("wasm_bindgen(start)"));
    }

    #[test]
    fn the_budget_holds_up_to_its_last_byte() {
        check_budget(449_999, 450_000).unwrap();
        check_budget(450_000, 450_000).unwrap();
        let message = check_budget(465_273, 450_000).unwrap_err().to_string();
        assert!(message.contains("465273 bytes gzip -9"), "{message}");
        assert!(message.contains("budget of 450000 bytes"), "{message}");
        assert!(message.contains("15273 bytes too many"), "{message}");
    }
}

//! The shipped page's Yew, patched for size. `cargo xtask dist` copies the registry's Yew (the
//! version Cargo.lock names) into the target directory, makes the [`REPLACEMENTS`] in the copy,
//! and builds the page against it: `[patch.crates-io]` given on the command line, with a lock
//! file of its own in the target directory (`-Zlockfile-path`, on the build's
//! `RUSTC_BOOTSTRAP=1` invocation), so the repository's Cargo.lock, every other build and every
//! test but the end-to-end suite (which runs the shipped page) keep the published crate.
//!
//! What the patch changes, measured with `CARGO_INCREMENTAL=0 cargo xtask dist` (docs/ui.md, cuts
//! table):
//! - The scheduler's five queues of component tasks by component id were `BTreeMap<usize,
//!   QueueEntry>`s, the only B-tree of its key and value in the page, whose node code was about
//!   3.5 KB of the gzip size; they are lists kept in id order (`yew-patch/by_component.rs`, held
//!   to the `BTreeMap` by this module's tests), taken and drained in the same order.
//! - `ListenerKind::type_name`, its `AsRef<str>` and its derived `Clone` each matched every DOM
//!   event kind; the enum is `repr(u8)` now, its name an entry of a table indexed by the
//!   variant's index, and a kind without a name of its own is cloned as its bytes.
//! - The scheduler, a thread local, was made on first use by `Default`, with the lazy
//!   initialisation's code; it is a constant now, its ten empty queues made at compile time.
//! - An element was cloned from a thread-local cache of one element per tag name (a
//!   `HashMap<String, Element>`); it is made by `document.createElement`, the same element.
//!
//! Cargo warns that the patch "was not used in the crate graph": that is the standard
//! library's own graph, which `-Zbuild-std` resolves separately; the page's graph uses it.
//!
//! Each replacement names the upstream text it expects exactly once: a Yew whose text differs
//! (another version) fails the build, naming the file, rather than ship it unpatched.

use crate::dist::target_dir;
use crate::toolchain::cargo;
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};

/// One change to one file of Yew's source: `upstream` must occur exactly once.
struct Replacement {
    file: &'static str,
    upstream: &'static str,
    patched: &'static str,
}

const REPLACEMENTS: &[Replacement] = &[
    Replacement {
        file: "src/scheduler.rs",
        upstream: "use std::collections::BTreeMap;\n",
        patched: "mod by_component;\n",
    },
    Replacement {
        file: "src/scheduler.rs",
        upstream: "inner: BTreeMap<usize, QueueEntry>,",
        patched: "inner: by_component::ByComponent<QueueEntry>,",
    },
    Replacement {
        file: "src/scheduler.rs",
        upstream: "self.inner.pop_first().map(|(_, v)| v)",
        patched: "self.inner.pop_first()",
    },
    Replacement {
        file: "src/scheduler.rs",
        upstream: "queue.extend(rendered.into_values().rev());",
        patched: "queue.extend(rendered.into_values_descending());",
    },
    Replacement {
        file: "src/scheduler.rs",
        upstream: "static SCHEDULER: RefCell<Scheduler> = Default::default();",
        patched: "static SCHEDULER: RefCell<Scheduler> = const {
            const FIFO: FifoQueue = FifoQueue { inner: Vec::new() };
            const BY_ID: TopologicalQueue = TopologicalQueue {
                inner: by_component::ByComponent::new(),
            };
            RefCell::new(Scheduler {
                main: FIFO,
                destroy: FIFO,
                create: FIFO,
                props_update: FIFO,
                update: FIFO,
                render: BY_ID,
                render_first: BY_ID,
                render_priority: BY_ID,
                rendered_first: BY_ID,
                rendered: BY_ID,
            })
        };",
    },
    Replacement {
        file: "src/virtual_dom/listeners.rs",
        upstream: "        #[derive(Clone, PartialEq, Eq, Hash, Debug)]
        #[allow(non_camel_case_types)]",
        patched: "        #[derive(PartialEq, Eq, Hash, Debug)]
        #[repr(u8)]
        #[allow(non_camel_case_types)]",
    },
    Replacement {
        file: "src/virtual_dom/listeners.rs",
        upstream: "        impl AsRef<str> for ListenerKind {",
        patched: "        impl Clone for ListenerKind {
            fn clone(&self) -> Self {
                match self {
                    Self::other(type_name) => Self::other(type_name.clone()),
                    // SAFETY: every other variant has no fields, so a copy of its bytes is the
                    // same value and owns nothing.
                    _ => unsafe { std::ptr::read(self) },
                }
            }
        }

        impl AsRef<str> for ListenerKind {",
    },
    Replacement {
        file: "src/virtual_dom/listeners.rs",
        upstream: "                    Self::other(type_name) => type_name.clone(),
                    $( Self::$kind => stringify!($kind)[2..].into(), )*
                }
            }
        }",
        patched: "                    Self::other(type_name) => type_name.clone(),
                    _ => self.attribute_name()[2..].into(),
                }
            }

            /// The attribute's name (`onclick`) of a kind Yew knows; `\"\"` for `other`.
            fn attribute_name(&self) -> &'static str {
                const NAMES: &[&str] = &[$( stringify!($kind), )* \"\"];
                // SAFETY: the first byte of a `repr(u8)` enum is its variant's index (the
                // Reference, primitive representation of enums with fields), and `NAMES` has
                // one entry per variant, in their order.
                NAMES[usize::from(unsafe { *(self as *const Self).cast::<u8>() })]
            }
        }",
    },
    Replacement {
        file: "src/virtual_dom/listeners.rs",
        upstream: "                    $( Self::$kind => stringify!($kind), )*
                    Self::other(type_name) => type_name.as_ref(),",
        patched: "                    Self::other(type_name) => type_name.as_ref(),
                    _ => self.attribute_name(),",
    },
    Replacement {
        file: "src/dom_bundle/btag/mod.rs",
        upstream: "            thread_local! {
                static CACHED_ELEMENTS: RefCell<HashMap<String, Element>> = RefCell::new(HashMap::with_capacity(32));
            }

            CACHED_ELEMENTS.with(|cache| {
                let mut cache = cache.borrow_mut();
                let cached = cache.get(tag).map(|el| {
                    el.clone_node()
                        .expect(\"couldn't clone cached element\")
                        .unchecked_into::<Element>()
                });
                cached.unwrap_or_else(|| {
                    let to_be_cached = document()
                        .create_element(tag)
                        .expect(\"can't create element for vtag\");
                    cache.insert(
                        tag.to_string(),
                        to_be_cached
                            .clone_node()
                            .expect(\"couldn't clone node to be cached\")
                            .unchecked_into(),
                    );
                    to_be_cached
                })
            })
",
        patched: "            document()
                .create_element(tag)
                .expect(\"can't create element for vtag\")
",
    },
    Replacement {
        file: "src/dom_bundle/btag/mod.rs",
        upstream: "use std::cell::RefCell;\nuse std::collections::HashMap;\n",
        patched: "",
    },
    Replacement {
        file: "src/lib.rs",
        upstream: "#![allow(clippy::needless_doctest_main)]\n",
        patched: "#![allow(clippy::needless_doctest_main)]\n\
                  // Built as a path dependency, whose warnings cargo shows (a registry crate's are\n\
                  // capped): `scheduler::start_now` is used by Yew's tests only.\n\
                  #![allow(dead_code)]\n",
    },
];

/// Files the patch adds to Yew's source.
const ADDED: &[(&str, &str)] = &[(
    "src/scheduler/by_component.rs",
    include_str!("../yew-patch/by_component.rs"),
)];

/// The patched copy and the lock file the page's build uses with it.
pub struct Patched {
    pub source: PathBuf,
    pub lockfile: PathBuf,
}

impl Patched {
    /// Cargo's arguments that build against the patched copy (unstable: the lock file's path).
    pub fn cargo_args(&self) -> Vec<String> {
        vec![
            "-Zlockfile-path".into(),
            "--config".into(),
            format!("resolver.lockfile-path={}", toml_string(&self.lockfile)),
            "--config".into(),
            format!("patch.crates-io.yew.path={}", toml_string(&self.source)),
        ]
    }
}

/// A path as a TOML basic string (JSON's escapes are TOML's).
fn toml_string(path: &Path) -> String {
    serde_json::Value::String(path.to_string_lossy().into_owned()).to_string()
}

/// Copies the registry's Yew to `target/yew-patched/yew` with the patch made, writing only the
/// files whose bytes differ (so an unchanged copy does not rebuild), and the workspace's lock
/// file beside it.
pub fn prepare() -> Result<Patched> {
    let upstream = registry_source()?;
    let out = target_dir().join("yew-patched");
    let source = out.join("yew");
    write_patched(&upstream, &source)?;
    let lockfile = out.join("lock").join("Cargo.lock");
    std::fs::create_dir_all(lockfile.parent().expect("a parent"))?;
    std::fs::copy(crate::workspace_root().join("Cargo.lock"), &lockfile)
        .context("copying Cargo.lock for the patched build")?;
    Ok(Patched { source, lockfile })
}

/// The directory of the Yew the workspace's lock file names (cargo fetches it if needed).
fn registry_source() -> Result<PathBuf> {
    let output = cargo()
        .args([
            "metadata",
            "--format-version",
            "1",
            "--filter-platform",
            crate::toolchain::WASM_TARGET,
        ])
        .output()
        .context("could not run cargo metadata")?;
    if !output.status.success() {
        bail!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).context("reading cargo metadata's output")?;
    let manifests: Vec<&str> = metadata["packages"]
        .as_array()
        .context("cargo metadata lists no packages")?
        .iter()
        .filter(|package| package["name"] == "yew")
        .filter_map(|package| package["manifest_path"].as_str())
        .collect();
    let [manifest] = manifests[..] else {
        bail!("cargo metadata lists {} Yews, not one", manifests.len());
    };
    Ok(Path::new(manifest)
        .parent()
        .context("Yew's manifest has no directory")?
        .to_path_buf())
}

/// Writes `upstream`'s files, patched, under `out`.
fn write_patched(upstream: &Path, out: &Path) -> Result<()> {
    let mut files = Vec::new();
    list_files(upstream, Path::new(""), &mut files)?;
    let mut made = vec![0usize; REPLACEMENTS.len()];
    for relative in &files {
        let bytes = std::fs::read(upstream.join(relative))?;
        let name = relative.to_string_lossy().replace('\\', "/");
        let bytes = if REPLACEMENTS.iter().any(|r| r.file == name) {
            patch_text(&name, &String::from_utf8(bytes)?, &mut made)?.into_bytes()
        } else {
            bytes
        };
        write_if_changed(&out.join(relative), &bytes)?;
    }
    for (replacement, count) in REPLACEMENTS.iter().zip(&made) {
        if *count != 1 {
            bail!(
                "the Yew patch expects {} in Yew's {} once, and found it {count} times (another \
                 Yew version? crates/xtask/src/yew_patch.rs)",
                replacement
                    .upstream
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .trim(),
                replacement.file
            );
        }
    }
    for (relative, text) in ADDED {
        write_if_changed(&out.join(relative), text.as_bytes())?;
    }
    Ok(())
}

/// `text` (Yew's file `name`) with this file's replacements made; counts each one's matches.
fn patch_text(name: &str, text: &str, made: &mut [usize]) -> Result<String> {
    let mut text = text.to_owned();
    for (replacement, count) in REPLACEMENTS.iter().zip(made.iter_mut()) {
        if replacement.file == name {
            *count += text.matches(replacement.upstream).count();
            text = text.replacen(replacement.upstream, replacement.patched, 1);
        }
    }
    Ok(text)
}

fn list_files(root: &Path, relative: &Path, files: &mut Vec<PathBuf>) -> Result<()> {
    let mut entries = std::fs::read_dir(root.join(relative))
        .with_context(|| format!("listing {}", root.join(relative).display()))?
        .collect::<std::io::Result<Vec<_>>>()?;
    entries.sort_by_key(|entry| entry.file_name());
    for entry in entries {
        let path = relative.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            list_files(root, &path, files)?;
        } else {
            files.push(path);
        }
    }
    Ok(())
}

fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<()> {
    if std::fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(());
    }
    std::fs::create_dir_all(path.parent().expect("a parent"))?;
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}

/// The file the patch adds, compiled here for its tests.
#[cfg(test)]
#[path = "../yew-patch/by_component.rs"]
mod by_component;

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    use by_component::ByComponent;

    /// A small deterministic generator for the operations (splitmix64).
    struct Ops(u64);
    impl Ops {
        fn next(&mut self, below: u64) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            (z ^ (z >> 31)) % below
        }
    }

    #[test]
    fn the_queue_by_component_answers_as_the_b_tree_it_replaces() {
        for seed in 0..500 {
            let mut ops = Ops(seed);
            let (mut queue, mut model) = (ByComponent::default(), BTreeMap::new());
            let ids = 1 + ops.next(40) as usize;
            for step in 0..200 {
                match ops.next(10) {
                    0..=5 => {
                        let id = ops.next(ids as u64) as usize;
                        queue.insert(id, (id, step));
                        model.insert(id, (id, step));
                    }
                    6..=8 => assert_eq!(queue.pop_first(), model.pop_first().map(|(_, v)| v)),
                    _ => {
                        let drained: Vec<_> = std::mem::take(&mut queue)
                            .into_values_descending()
                            .collect();
                        let expected: Vec<_> =
                            std::mem::take(&mut model).into_values().rev().collect();
                        assert_eq!(drained, expected, "seed {seed}, step {step}");
                    }
                }
                assert_eq!(queue.is_empty(), model.is_empty());
            }
        }
    }

    #[test]
    fn every_replacement_applies_once_to_the_yew_in_the_lock_file() {
        let upstream = registry_source().expect("the locked Yew's source");
        let out = std::env::temp_dir().join(format!("strata-yew-patch-{}", std::process::id()));
        write_patched(&upstream, &out).expect("the patch applies");
        let scheduler = std::fs::read_to_string(out.join("src/scheduler.rs")).unwrap();
        assert!(!scheduler.contains("BTreeMap<usize, QueueEntry>"));
        assert!(out.join("src/scheduler/by_component.rs").is_file());
        let listeners = std::fs::read_to_string(out.join("src/virtual_dom/listeners.rs")).unwrap();
        assert_eq!(listeners.matches("stringify!($kind)").count(), 1);
        let tags = std::fs::read_to_string(out.join("src/dom_bundle/btag/mod.rs")).unwrap();
        assert!(!tags.contains("CACHED_ELEMENTS"));
        std::fs::remove_dir_all(&out).unwrap();
    }

    #[test]
    fn a_yew_without_the_expected_text_is_refused_by_name() {
        let root = std::env::temp_dir().join(format!("strata-yew-other-{}", std::process::id()));
        let (upstream, out) = (root.join("upstream"), root.join("out"));
        std::fs::create_dir_all(upstream.join("src/virtual_dom")).unwrap();
        std::fs::write(upstream.join("src/scheduler.rs"), "fn main() {}\n").unwrap();
        std::fs::write(upstream.join("src/virtual_dom/listeners.rs"), "").unwrap();
        let error = write_patched(&upstream, &out).unwrap_err().to_string();
        std::fs::remove_dir_all(&root).unwrap();
        assert!(error.contains("src/scheduler.rs"), "{error}");
        assert!(error.contains("found it 0 times"), "{error}");
    }
}

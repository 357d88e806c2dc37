//! Short names for the wasm's imports from its JS glue. wasm-bindgen names each import after
//! what it calls plus a 16-digit hexadecimal hash (`__wbg_setTimeout_a89fa3173dd1b518`), about
//! 190 of them: 6.4 KB of names in the wasm whose hashes gzip cannot compress. `dist` renames
//! every import of the glue's module to its index (`i0`, `i1f`, …) and the module to `w` in the
//! wasm's import section and in the glue's import object, where each name is one key
//! (`name: function(…)`, `"./strata_web_bg.js": import0`), so the two still agree; an import the glue does not name exactly once as a key fails the build rather
//! than ship a page whose wasm cannot be instantiated.

use anyhow::{bail, Context, Result};

/// The module the glue's imports come from, as wasm-bindgen names it for the web target.
pub const GLUE_MODULE: &str = "./strata_web_bg.js";
/// Its short name, in the wasm and in the glue's object of import objects.
pub const SHORT_MODULE: &str = "w";

/// `wasm` and `glue` with every import of [`GLUE_MODULE`] renamed to `i` and its index in hex,
/// and the module to [`SHORT_MODULE`].
pub fn shorten(wasm: &[u8], glue: &str) -> Result<(Vec<u8>, String)> {
    if wasm.len() < 8 || &wasm[..4] != b"\0asm" {
        bail!("not a wasm module");
    }
    let mut out = wasm[..8].to_vec();
    let quoted = format!("\"{GLUE_MODULE}\":");
    if glue.matches(&quoted).count() != 1 {
        bail!("the JS glue does not name the module {GLUE_MODULE} once as a key");
    }
    let mut glue = glue.replace(&quoted, &format!("{SHORT_MODULE}:"));
    let mut at = 8;
    while at < wasm.len() {
        let id = wasm[at];
        let (size, start) = uleb(wasm, at + 1)?;
        let end = start
            .checked_add(size as usize)
            .filter(|end| *end <= wasm.len())
            .context("a section longer than the module")?;
        let body = &wasm[start..end];
        if id == 2 {
            let body = rename_imports(body, &mut glue)?;
            out.push(id);
            write_uleb(&mut out, body.len() as u64);
            out.extend_from_slice(&body);
        } else {
            out.extend_from_slice(&wasm[at..end]);
        }
        at = end;
    }
    Ok((out, glue))
}

/// The import section `body` with the glue's imports renamed, and `glue`'s keys with them.
fn rename_imports(body: &[u8], glue: &mut String) -> Result<Vec<u8>> {
    let (count, mut at) = uleb(body, 0)?;
    let mut out = Vec::with_capacity(body.len());
    write_uleb(&mut out, count);
    for index in 0..count {
        let (module, next) = name(body, at)?;
        let (field, next) = name(body, next)?;
        let described = describe_end(body, next)?;
        if module == GLUE_MODULE {
            let short = format!("i{index:x}");
            rename_key(glue, field, &short)?;
            write_name(&mut out, SHORT_MODULE);
            write_name(&mut out, &short);
        } else {
            write_name(&mut out, module);
            write_name(&mut out, field);
        }
        out.extend_from_slice(&body[next..described]);
        at = described;
    }
    if at != body.len() {
        bail!("bytes after the last import");
    }
    Ok(out)
}

/// Replaces the one key `old` of the glue's import object (`old:`) by `new`.
fn rename_key(glue: &mut String, old: &str, new: &str) -> Result<()> {
    let is_ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'$';
    let bytes = glue.as_bytes();
    let found: Vec<usize> = glue
        .match_indices(old)
        .map(|(at, _)| at)
        .filter(|&at| {
            let before = at.checked_sub(1).map(|b| bytes[b]);
            let after = bytes.get(at + old.len()).copied();
            !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
        })
        .collect();
    match found.as_slice() {
        [at] if bytes.get(at + old.len()) == Some(&b':') => {
            glue.replace_range(*at..at + old.len(), new);
            Ok(())
        }
        _ => bail!(
            "the JS glue names the import {old} {} times, not once as a key",
            found.len()
        ),
    }
}

/// Where an import's description that starts at `at` ends.
fn describe_end(body: &[u8], at: usize) -> Result<usize> {
    let kind = *body.get(at).context("an import without its kind")?;
    let at = at + 1;
    Ok(match kind {
        // A function (its type) or a tag (an attribute byte, then its type).
        0 => uleb(body, at)?.1,
        4 => uleb(body, at + 1)?.1,
        // A table (its element type, then limits) or a memory (limits).
        1 => limits_end(body, at + 1)?,
        2 => limits_end(body, at)?,
        // A global: its value type and mutability.
        3 => at + 2,
        other => bail!("an import of unknown kind {other}"),
    })
}

fn limits_end(body: &[u8], at: usize) -> Result<usize> {
    let flags = *body.get(at).context("limits without their flags")?;
    let after_min = uleb(body, at + 1)?.1;
    Ok(if flags & 1 == 1 {
        uleb(body, after_min)?.1
    } else {
        after_min
    })
}

/// A name (its length, then UTF-8) at `at`, and where it ends.
fn name(body: &[u8], at: usize) -> Result<(&str, usize)> {
    let (len, start) = uleb(body, at)?;
    let end = start
        .checked_add(len as usize)
        .filter(|end| *end <= body.len())
        .context("a name longer than its section")?;
    let text = std::str::from_utf8(&body[start..end]).context("a name that is not UTF-8")?;
    Ok((text, end))
}

fn write_name(out: &mut Vec<u8>, text: &str) {
    write_uleb(out, text.len() as u64);
    out.extend_from_slice(text.as_bytes());
}

/// An unsigned LEB128 number at `at`, and where it ends.
fn uleb(bytes: &[u8], mut at: usize) -> Result<(u64, usize)> {
    let mut value = 0u64;
    let mut shift = 0;
    loop {
        let byte = *bytes.get(at).context("a number cut short")?;
        at += 1;
        if shift >= 64 {
            bail!("a number too long");
        }
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok((value, at));
        }
        shift += 7;
    }
}

fn write_uleb(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A module with a type section and an import section holding `imports`
    /// (module, name, description).
    fn module(imports: &[(&str, &str, &[u8])]) -> Vec<u8> {
        let mut wasm = b"\0asm\x01\0\0\0".to_vec();
        // One function type () -> ().
        wasm.extend_from_slice(&[1, 4, 1, 0x60, 0, 0]);
        let mut body = Vec::new();
        write_uleb(&mut body, imports.len() as u64);
        for (module, field, description) in imports {
            write_name(&mut body, module);
            write_name(&mut body, field);
            body.extend_from_slice(description);
        }
        wasm.push(2);
        write_uleb(&mut wasm, body.len() as u64);
        wasm.extend_from_slice(&body);
        // A custom section after it, kept as is.
        wasm.extend_from_slice(&[0, 3, 2, b'h', b'i']);
        wasm
    }

    const FUNCTION: &[u8] = &[0, 0];

    #[test]
    fn the_glues_imports_get_short_names_in_the_wasm_and_the_glue_alike() {
        let wasm = module(&[
            (GLUE_MODULE, "__wbg_then_656f253a5dd7d8ea", FUNCTION),
            ("env", "memory", &[2, 1, 17, 0xac, 2]),
            (GLUE_MODULE, "__wbg_then2_0123456789abcdef", FUNCTION),
            (GLUE_MODULE, "__wbindgen_init_externref_table", FUNCTION),
        ]);
        let glue = "const import0 = {\n    __wbg_then_656f253a5dd7d8ea: function(a) { return a.__wbg_then2; },\n    __wbg_then2_0123456789abcdef: function() {},\n    __wbindgen_init_externref_table: function() {},\n};\nreturn { \"./strata_web_bg.js\": import0 };";
        let (short, glue) = shorten(&wasm, glue).unwrap();
        assert_eq!(
            short,
            module(&[
                (SHORT_MODULE, "i0", FUNCTION),
                ("env", "memory", &[2, 1, 17, 0xac, 2]),
                (SHORT_MODULE, "i2", FUNCTION),
                (SHORT_MODULE, "i3", FUNCTION),
            ])
        );
        assert_eq!(
            glue,
            "const import0 = {\n    i0: function(a) { return a.__wbg_then2; },\n    i2: function() {},\n    i3: function() {},\n};\nreturn { w: import0 };"
        );
    }

    #[test]
    fn an_import_the_glue_does_not_name_once_as_a_key_fails_the_build() {
        let wasm = module(&[(GLUE_MODULE, "__wbg_x_1", FUNCTION)]);
        let module = "\n{ \"./strata_web_bg.js\": import0 }";
        for glue in [
            "{}",
            "{ __wbg_x_1: function() {}, __wbg_x_1: 1 }",
            "{ f: __wbg_x_1 }",
            "{ __wbg_x_12: function() {} }",
        ] {
            assert!(
                shorten(&wasm, &format!("{glue}{module}")).is_err(),
                "{glue}"
            );
        }
        assert!(shorten(&wasm, &format!("{{ __wbg_x_1: function() {{}} }}{module}")).is_ok());
        // The module named as a key once, no more, no less.
        for module in [
            "",
            "\n{ \"./strata_web_bg.js\": a, \"./strata_web_bg.js\": b }",
        ] {
            let glue = format!("{{ __wbg_x_1: function() {{}} }}{module}");
            assert!(shorten(&wasm, &glue).is_err(), "{glue}");
        }
    }

    #[test]
    fn a_damaged_module_is_an_error_never_a_panic() {
        let wasm = module(&[(GLUE_MODULE, "__wbg_x_1", FUNCTION)]);
        let glue = "{ __wbg_x_1: function() {} }\n{ \"./strata_web_bg.js\": import0 }";
        // Cut anywhere: read or refused, never a panic; cut inside a section, refused.
        let sections = [8, 14, wasm.len() - 5, wasm.len()];
        for end in 0..wasm.len() {
            let read = shorten(&wasm[..end], glue);
            assert_eq!(read.is_ok(), sections.contains(&end), "{end}");
        }
        let mut unknown = wasm.clone();
        let kind = unknown.len() - 5 - FUNCTION.len();
        unknown[kind] = 9;
        assert!(shorten(&unknown, glue).is_err());
    }
}

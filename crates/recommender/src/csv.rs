//! CSV parsing from in-memory text, shared by the CLI and the browser (which hands over file
//! contents, so there is no filesystem here).
//!
//! The dialect is deliberately small: comma-separated, no quoting, fields trimmed, `\r\n` or
//! `\n` line ends, blank lines and lines starting with `#` skipped. Line numbers in errors are
//! 1-based and count every physical line, so they match what an editor shows.
//!
//! Two shapes are read:
//! - a **table** with a header row naming its columns (the OPE log);
//! - a **matrix** of numbers, with an optional header row (a first row whose fields are all
//!   non-numeric is taken as a header).

use crate::error::{RecommenderError, Result};

/// The most data rows any CSV input may have (a header row is not counted): bounds memory for
/// pasted or uploaded files.
pub const MAX_CSV_ROWS: usize = 10_000_000;
/// The most fields a row may have: one per arm of the widest policy (`policy::MAX_ARMS`).
pub const MAX_CSV_COLUMNS: usize = crate::policy::MAX_ARMS;

/// One non-blank, non-comment line: its 1-based line number and its trimmed fields.
#[derive(Clone, Debug, PartialEq)]
pub struct CsvLine<'a> {
    pub line: usize,
    pub fields: Vec<&'a str>,
}

fn csv_error(file: &str, line: usize, message: impl Into<String>) -> RecommenderError {
    RecommenderError::Csv {
        file: file.to_string(),
        line,
        message: message.into(),
    }
}

/// The meaningful lines of `text`, trimmed, with their 1-based line numbers.
fn meaningful_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(index, raw)| (index + 1, raw.trim()))
        .filter(|(_, trimmed)| !trimmed.is_empty() && !trimmed.starts_with('#'))
}

/// Splits one line into fields after checking its width (against `expected` when given, and
/// against `MAX_CSV_COLUMNS`), so that a malformed row costs no allocation.
fn split_checked<'a>(
    file: &str,
    line: usize,
    trimmed: &'a str,
    expected: Option<(usize, &str)>,
) -> Result<CsvLine<'a>> {
    let width = trimmed.bytes().filter(|b| *b == b',').count() + 1;
    if let Some((expected, what)) = expected {
        if width != expected {
            return Err(csv_error(
                file,
                line,
                format!("{width} fields, {what} {expected}"),
            ));
        }
    }
    if width > MAX_CSV_COLUMNS {
        return Err(csv_error(
            file,
            line,
            format!("{width} fields, more than the {MAX_CSV_COLUMNS} allowed"),
        ));
    }
    Ok(CsvLine {
        line,
        fields: trimmed.split(',').map(str::trim).collect(),
    })
}

/// The error for a row past the limit.
fn too_many_rows(file: &str, line: usize, max_rows: usize) -> RecommenderError {
    csv_error(file, line, format!("more than {max_rows} data rows"))
}

/// Splits text into its meaningful lines (at most `MAX_CSV_ROWS` of them).
pub fn lines<'a>(file: &str, text: &'a str) -> Result<Vec<CsvLine<'a>>> {
    let mut out = Vec::new();
    for (line, trimmed) in meaningful_lines(text) {
        if out.len() == MAX_CSV_ROWS {
            return Err(too_many_rows(file, line, MAX_CSV_ROWS));
        }
        out.push(split_checked(file, line, trimmed, None)?);
    }
    Ok(out)
}

/// Parses one field as a finite number, or explains which line and column is wrong.
pub fn number(file: &str, line: usize, column: &str, field: &str) -> Result<f64> {
    match decimal(field) {
        Some(value) if value.is_finite() => Ok(value),
        _ => Err(csv_error(
            file,
            line,
            format!("column {column}: {field:?} is not a finite number"),
        )),
    }
}

/// `field` as a JSON number's text, if it is a decimal number in one of the spellings
/// [`decimal`] takes: a `+` sign and leading zeros dropped, a missing digit before or after
/// the point supplied or the point dropped.
fn json_number(field: &str) -> Option<String> {
    let (negative, unsigned) = match field.as_bytes().first() {
        Some(b'-') => (true, &field[1..]),
        Some(b'+') => (false, &field[1..]),
        _ => (false, field),
    };
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (&unsigned[..at], Some(&unsigned[at + 1..])),
        None => (unsigned, None),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |text: &str| text.bytes().all(|b| b.is_ascii_digit());
    if whole.len() + fraction.len() == 0 || !digits(whole) || !digits(fraction) {
        return None;
    }
    let mut json = String::with_capacity(field.len() + 3);
    if negative {
        json.push('-');
    }
    let whole = whole.trim_start_matches('0');
    json.push_str(if whole.is_empty() { "0" } else { whole });
    if !fraction.is_empty() {
        json.push('.');
        json.push_str(fraction);
    }
    if let Some(exponent) = exponent {
        let unsigned = exponent
            .strip_prefix('+')
            .or_else(|| exponent.strip_prefix('-'))
            .unwrap_or(exponent);
        if unsigned.is_empty() || !digits(unsigned) {
            return None;
        }
        json.push('e');
        json.push_str(exponent);
    }
    Some(json)
}

/// A decimal number (`-1.5`, `+2`, `.5`, `5.`, `1e-3`, `007`) read as JSON's reader reads
/// a number (`strata_sim::decimal`), correctly rounded, so the same value as
/// `str::parse::<f64>` gives. Why not that: core's parser brings its own power-of-five table
/// and slow path into the playground's wasm; reading an uploaded log through core's parser
/// cost the page about 10 KB gzip (docs/ui.md's cuts table). The spellings core takes and
/// JSON does not (a `+` sign, a missing digit before or after the point, leading zeros) are
/// rewritten first; anything else (spaces, `inf`, `nan`, `1_000`) is `None`, and so is a
/// number past the largest float.
pub fn decimal(field: &str) -> Option<f64> {
    strata_sim::decimal::parse(&json_number(field)?).ok()
}

/// A numeric matrix read from CSV, with the line number of each row.
#[derive(Clone, Debug, PartialEq)]
pub struct Matrix {
    pub rows: usize,
    pub cols: usize,
    /// Row-major values.
    pub values: Vec<f64>,
    /// The 1-based source line of each row.
    pub lines: Vec<usize>,
    /// The header's names, when the first row was a header.
    pub header: Option<Vec<String>>,
}

impl Matrix {
    pub fn row(&self, r: usize) -> &[f64] {
        &self.values[r * self.cols..(r + 1) * self.cols]
    }
    pub fn get(&self, r: usize, c: usize) -> f64 {
        self.values[r * self.cols + c]
    }
    /// The last line of the file that holds data (for errors about the whole matrix).
    pub fn last_line(&self) -> usize {
        self.lines.last().copied().unwrap_or(1)
    }
}

/// Reads a numeric matrix; every row must have the same number of columns.
pub fn matrix(file: &str, text: &str) -> Result<Matrix> {
    matrix_within(file, text, MAX_CSV_ROWS)
}

/// `matrix` with a row limit of `max_rows`. Every row's width is checked as it is read, and
/// the values are allocated only once every row has been, so the allocation is never larger
/// than the fields the text holds.
fn matrix_within(file: &str, text: &str, max_rows: usize) -> Result<Matrix> {
    let mut source = meaningful_lines(text);
    let Some((line, trimmed)) = source.next() else {
        return Err(csv_error(file, 1, "no data rows"));
    };
    let first = split_checked(file, line, trimmed, None)?;
    let cols = first.fields.len();
    let (header, mut rows, expected) = if first.fields.iter().all(|f| decimal(f).is_none()) {
        (Some(first), Vec::new(), (cols, "the header has"))
    } else {
        (None, vec![first], (cols, "expected"))
    };
    for (line, trimmed) in source {
        if rows.len() == max_rows {
            return Err(too_many_rows(file, line, max_rows));
        }
        rows.push(split_checked(file, line, trimmed, Some(expected))?);
    }
    if rows.is_empty() {
        return Err(csv_error(file, 1, "no data rows"));
    }
    let mut values = Vec::with_capacity(rows.iter().map(|row| row.fields.len()).sum());
    let mut line_numbers = Vec::with_capacity(rows.len());
    for row in &rows {
        for (c, field) in row.fields.iter().enumerate() {
            values.push(number(file, row.line, &(c + 1).to_string(), field)?);
        }
        line_numbers.push(row.line);
    }
    Ok(Matrix {
        rows: rows.len(),
        cols,
        values,
        lines: line_numbers,
        header: header.map(|names| names.fields.iter().map(|f| f.to_string()).collect()),
    })
}

/// A table with a header row: the header's names and the data lines.
#[derive(Clone, Debug, PartialEq)]
pub struct Table<'a> {
    pub header_line: usize,
    pub columns: Vec<&'a str>,
    pub rows: Vec<CsvLine<'a>>,
}

impl Table<'_> {
    /// The index of a named column, case-insensitively.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns
            .iter()
            .position(|c| c.eq_ignore_ascii_case(name))
    }
}

/// Reads a table whose first meaningful line is a header; every row must match its width.
pub fn table<'a>(file: &str, text: &'a str) -> Result<Table<'a>> {
    table_within(file, text, MAX_CSV_ROWS)
}

/// `table` with a row limit of `max_rows` data rows, each checked against the header's width
/// before its fields are collected.
fn table_within<'a>(file: &str, text: &'a str, max_rows: usize) -> Result<Table<'a>> {
    let mut source = meaningful_lines(text);
    let Some((header_line, trimmed)) = source.next() else {
        return Err(csv_error(file, 1, "empty file: expected a header row"));
    };
    let header = split_checked(file, header_line, trimmed, None)?;
    let width = header.fields.len();
    let mut rows = Vec::new();
    for (line, trimmed) in source {
        if rows.len() == max_rows {
            return Err(too_many_rows(file, line, max_rows));
        }
        rows.push(split_checked(
            file,
            line,
            trimmed,
            Some((width, "the header has")),
        )?);
    }
    Ok(Table {
        header_line,
        columns: header.fields,
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every spelling core's parser reads gives the same bits here, and the ones it refuses
    /// are refused: a sweep over mantissas, points, signs and exponents, with values near
    /// the halfway cases and the ends of the range.
    #[test]
    fn decimal_reads_what_core_reads_with_the_same_bits() {
        let mantissas = [
            "0",
            "00",
            "1",
            "007",
            "5.",
            ".5",
            "0.1",
            "1.5",
            "123.456",
            "9007199254740993",
            "0.30000000000000004",
            "2.2250738585072014",
            "1.7976931348623157",
            "4.9406564584124654",
            "123456789012345678901234567890",
            "0.000001",
            "",
            ".",
            "1.2.3",
            "1a",
            " 1",
            "1 ",
            "inf",
            "nan",
            "1_0",
        ];
        let exponents = [
            "", "e0", "E5", "e-5", "e+3", "e308", "e-308", "e-324", "e400", "e", "e+", "e1.5",
        ];
        let mut checked = 0;
        for sign in ["", "-", "+"] {
            for mantissa in mantissas {
                for exponent in exponents {
                    let text = format!("{sign}{mantissa}{exponent}");
                    let core = text.parse::<f64>().ok();
                    let ours = decimal(&text);
                    match (core, ours) {
                        (Some(a), Some(b)) => {
                            assert_eq!(a.to_bits(), b.to_bits(), "{text}");
                            checked += 1;
                        }
                        // Out of range: core says infinity, serde_json refuses; both are
                        // not a finite number to `number`.
                        (Some(a), None) => assert!(a.is_infinite() || a.is_nan(), "{text}"),
                        (None, ours) => assert_eq!(ours, None, "{text}"),
                    }
                }
            }
        }
        assert!(checked > 300, "{checked}");
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let value = f64::from_bits(state);
            if value.is_finite() {
                for text in [
                    format!("{value}"),
                    format!("{value:e}"),
                    format!("{value:.3}"),
                ] {
                    assert_eq!(
                        decimal(&text).map(f64::to_bits),
                        text.parse::<f64>().ok().map(f64::to_bits),
                        "{text}"
                    );
                }
            }
        }
    }
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// What `decimal` promises: the same rewriting ([`json_number`]), then core's reader,
    /// past the largest float refused. The reference the property test below checks
    /// `decimal` against.
    #[cfg(not(target_arch = "wasm32"))]
    fn decimal_as_f64(field: &str) -> Option<f64> {
        let value = json_number(field)?.parse::<f64>().ok()?;
        value.is_finite().then_some(value)
    }

    /// A number's text as a CSV might hold it: signs, leading zeros, a point with or without
    /// digits on either side, long mantissas, exponents near and past the range's ends.
    #[cfg(not(target_arch = "wasm32"))]
    fn number_text() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let digits = "[0-9]{0,3}|[0-9]{15,25}";
        (
            "[+-]?",
            digits,
            prop_oneof![Just(""), Just(".")],
            digits,
            prop_oneof![Just(String::new()), "[eE][+-]?[0-9]{0,4}"],
        )
            .prop_map(|(sign, whole, point, fraction, exponent)| {
                format!("{sign}{whole}{point}{fraction}{exponent}")
            })
    }

    #[cfg(not(target_arch = "wasm32"))]
    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(20_000))]

        /// The same value, to the bit, or the same refusal as core's reader, for numbers'
        /// texts, those texts with one character inserted, replaced or taken out (a stray sign,
        /// point, letter, space, underscore or non-ASCII character among them), and any short
        /// text of those characters.
        #[test]
        fn decimal_reads_what_core_reads(
            text in number_text(),
            edit in 0usize..4,
            at in 0usize..64,
            stray in proptest::sample::select(vec!['0', '9', '+', '-', '.', 'e', 'E', ' ', '_', 'n', 'x', ',', '\u{e9}']),
            noise in "[0-9+.eE -]{0,8}",
        ) {
            let mut mutated: Vec<char> = text.chars().collect();
            let at = at % (mutated.len() + 1);
            match edit {
                0 => mutated.insert(at, stray),
                1 if at < mutated.len() => mutated[at] = stray,
                2 if at < mutated.len() => {
                    mutated.remove(at);
                }
                _ => {}
            }
            let mutated: String = mutated.into_iter().collect();
            for field in [&text, &mutated, &noise] {
                proptest::prop_assert_eq!(
                    decimal(field).map(f64::to_bits),
                    decimal_as_f64(field).map(f64::to_bits),
                    "{:?}",
                    field
                );
            }
        }
    }

    #[test]
    fn matrix_with_header_comments_and_crlf() {
        let text = "# rewards\r\na,b\r\n1,0\r\n\r\n0.5, 2\r\n";
        let m = matrix("R.csv", text).unwrap();
        assert_eq!((m.rows, m.cols), (2, 2));
        assert_eq!(m.values, vec![1.0, 0.0, 0.5, 2.0]);
        assert_eq!(m.lines, vec![3, 5]);
        assert_eq!(m.header, Some(vec!["a".to_string(), "b".to_string()]));
        let headless = matrix("X.csv", "1,2\n3,4\n").unwrap();
        assert_eq!(headless.header, None);
        assert_eq!(headless.row(1), &[3.0, 4.0]);
    }

    #[test]
    fn matrix_errors_carry_line_numbers() {
        let err = matrix("R.csv", "1,2\n3\n").unwrap_err();
        assert_eq!(
            err,
            RecommenderError::Csv {
                file: "R.csv".into(),
                line: 2,
                message: "1 fields, expected 2".into()
            }
        );
        let err = matrix("R.csv", "1,2\n\n3,x\n").unwrap_err();
        assert!(
            matches!(err, RecommenderError::Csv { line: 3, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("\"x\" is not a finite number"));
        let err = matrix("R.csv", "1,2\nNaN,1\n").unwrap_err();
        assert!(matches!(err, RecommenderError::Csv { line: 2, .. }));
        assert!(matrix("R.csv", "# nothing\n").is_err());
    }

    #[test]
    fn table_reads_a_header_and_checks_widths() {
        let t = table("LOG.csv", "action,reward,propensity\n0,1,0.5\n").unwrap();
        assert_eq!(t.column("Reward"), Some(1));
        assert_eq!(t.column("position"), None);
        assert_eq!(t.rows[0].line, 2);
        let err = table("LOG.csv", "action,reward\n0,1,0.5\n").unwrap_err();
        assert!(matches!(err, RecommenderError::Csv { line: 2, .. }));
        assert!(table("LOG.csv", "").is_err());
    }

    #[test]
    fn the_row_limit_is_exact_and_names_the_first_line_over_it() {
        let text = "a,b\n1,2\n3,4\n5,6\n";
        assert_eq!(table_within("LOG.csv", text, 3).unwrap().rows.len(), 3);
        let err = table_within("LOG.csv", text, 2).unwrap_err();
        assert_eq!(
            err,
            RecommenderError::Csv {
                file: "LOG.csv".into(),
                line: 4,
                message: "more than 2 data rows".into()
            }
        );
        assert_eq!(matrix_within("R.csv", text, 3).unwrap().rows, 3);
        let err = matrix_within("R.csv", text, 2).unwrap_err();
        assert!(
            matches!(err, RecommenderError::Csv { line: 4, .. }),
            "{err}"
        );
        // Without a header, every line is a data row.
        let err = matrix_within("R.csv", "1,2\n3,4\n", 1).unwrap_err();
        assert!(
            matches!(err, RecommenderError::Csv { line: 2, .. }),
            "{err}"
        );
    }

    #[test]
    fn a_wide_row_is_refused_before_its_fields_are_collected() {
        let wide = ",".repeat(MAX_CSV_COLUMNS);
        let err = table("LOG.csv", &format!("{wide}\n")).unwrap_err();
        assert!(err.to_string().contains("more than"), "{err}");
        let err = matrix("R.csv", &format!("1\n{wide}\n")).unwrap_err();
        assert!(
            matches!(err, RecommenderError::Csv { line: 2, .. }),
            "{err}"
        );
        // A header wider than its rows names the first row.
        let err = matrix("R.csv", "a,b,c\n1,2\n").unwrap_err();
        assert!(err.to_string().contains("the header has 3"), "{err}");
    }
}

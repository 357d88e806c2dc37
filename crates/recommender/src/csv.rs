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

/// The most data rows any CSV input may have: bounds memory for pasted or uploaded files.
pub const MAX_CSV_ROWS: usize = 10_000_000;

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

/// Splits text into its meaningful lines.
pub fn lines<'a>(file: &str, text: &'a str) -> Result<Vec<CsvLine<'a>>> {
    let mut out = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if out.len() > MAX_CSV_ROWS {
            return Err(csv_error(
                file,
                index + 1,
                format!("more than {MAX_CSV_ROWS} rows"),
            ));
        }
        out.push(CsvLine {
            line: index + 1,
            fields: trimmed.split(',').map(str::trim).collect(),
        });
    }
    Ok(out)
}

/// Parses one field as a finite number, or explains which line and column is wrong.
pub fn number(file: &str, line: usize, column: &str, field: &str) -> Result<f64> {
    match field.parse::<f64>() {
        Ok(value) if value.is_finite() => Ok(value),
        _ => Err(csv_error(
            file,
            line,
            format!("column {column}: {field:?} is not a finite number"),
        )),
    }
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
    let all = lines(file, text)?;
    let mut rows = all.as_slice();
    let mut header = None;
    if let Some(first) = rows.first() {
        if first.fields.iter().all(|f| f.parse::<f64>().is_err()) {
            header = Some(first.fields.iter().map(|f| f.to_string()).collect());
            rows = &rows[1..];
        }
    }
    let Some(first) = rows.first() else {
        return Err(csv_error(file, 1, "no data rows"));
    };
    let cols = first.fields.len();
    if let Some(names) = &header {
        let names: &Vec<String> = names;
        if names.len() != cols {
            return Err(csv_error(
                file,
                first.line,
                format!("{cols} columns, the header has {}", names.len()),
            ));
        }
    }
    let mut values = Vec::with_capacity(rows.len() * cols);
    let mut line_numbers = Vec::with_capacity(rows.len());
    for row in rows {
        if row.fields.len() != cols {
            return Err(csv_error(
                file,
                row.line,
                format!("{} columns, expected {cols}", row.fields.len()),
            ));
        }
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
        header,
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
    let mut all = lines(file, text)?;
    if all.is_empty() {
        return Err(csv_error(file, 1, "empty file: expected a header row"));
    }
    let header = all.remove(0);
    for row in &all {
        if row.fields.len() != header.fields.len() {
            return Err(csv_error(
                file,
                row.line,
                format!(
                    "{} fields, the header has {}",
                    row.fields.len(),
                    header.fields.len()
                ),
            ));
        }
    }
    Ok(Table {
        header_line: header.line,
        columns: header.fields,
        rows: all,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

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
                message: "1 columns, expected 2".into()
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
}

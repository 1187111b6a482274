//! CSV reading (encoding and delimiter detection, true row numbers) and
//! Excel-friendly CSV writing with a formula-injection guard.

use std::borrow::Cow;

use encoding_rs::{Encoding, GB18030};

use crate::{DocError, TableBuilder};

pub(crate) fn read(bytes: &[u8], builder: &mut TableBuilder) -> Result<(), DocError> {
    let text = decode(bytes)?;
    if text.contains('\0') {
        return Err(DocError::UnknownFormat); // binary data, not text
    }
    let raw = text.as_bytes();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter(&text))
        .from_reader(raw);
    // The parser silently skips blank lines and does not report where a record
    // really starts, so row numbers are derived from byte offsets: count the
    // line breaks before the record's first byte, minus those that were inside
    // quoted cells (a spreadsheet shows such a cell as one row).
    let (mut counted, mut breaks, mut breaks_in_cells) = (0, 0, 0);
    let mut record = csv::StringRecord::new();
    loop {
        let start = usize::try_from(reader.position().byte()).unwrap_or(raw.len());
        if !reader.read_record(&mut record).map_err(csv_error)? {
            return Ok(());
        }
        let rest = raw.get(start..).unwrap_or_default();
        let first = start + rest.iter().take_while(|b| matches!(b, b'\r' | b'\n')).count();
        breaks += (counted..first).filter(|&i| is_line_break(raw, i)).count();
        counted = first;
        let number = breaks - breaks_in_cells + 1;
        breaks_in_cells += record.iter().map(|cell| (0..cell.len()).filter(|&i| is_line_break(cell.as_bytes(), i)).count()).sum::<usize>();
        builder.push(number, record.iter().map(str::to_string))?;
    }
}

/// A line break is LF, CR LF (counted at the LF) or a lone CR.
fn is_line_break(bytes: &[u8], i: usize) -> bool {
    match bytes.get(i) {
        Some(b'\n') => true,
        Some(b'\r') => bytes.get(i + 1) != Some(&b'\n'),
        _ => false,
    }
}

fn csv_error(e: csv::Error) -> DocError {
    let line = e.position().map_or(0, |p| usize::try_from(p.line()).unwrap_or(usize::MAX));
    DocError::Csv { line, message: e.to_string() }
}

/// UTF-8 or UTF-16 when a BOM says so, else UTF-8 if valid, else GBK
/// (decoded as its superset GB18030), which is what Chinese Excel writes.
fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, DocError> {
    let (encoding, body) = match Encoding::for_bom(bytes) {
        Some((encoding, bom_len)) => (encoding, bytes.get(bom_len..).unwrap_or_default()),
        None => match std::str::from_utf8(bytes) {
            Ok(text) => return Ok(Cow::Borrowed(text)),
            Err(_) => (GB18030, bytes),
        },
    };
    match encoding.decode_without_bom_handling(body) {
        (_, true) => Err(DocError::Encoding),
        (text, false) => Ok(text),
    }
}

/// Comma, unless the header line has none but has semicolons or tabs
/// (European Excel uses `;`, "Unicode text" exports use tabs).
fn delimiter(text: &str) -> u8 {
    let header = text.lines().find(|line| !line.trim().is_empty()).unwrap_or_default();
    let (semicolons, tabs) = (header.matches(';').count(), header.matches('\t').count());
    if header.contains(',') || semicolons + tabs == 0 {
        b','
    } else if tabs > semicolons {
        b'\t'
    } else {
        b';'
    }
}

/// CSV bytes: UTF-8 with BOM (so Excel shows Chinese), CRLF line ends, RFC
/// 4180 quoting. Cells that Excel would run as a formula (starting with `=`,
/// `+`, `-`, `@`, tab or CR) get a leading `'`, except plain numbers and phone
/// numbers such as `-12.5` or `+86 138 0013 8000`.
pub fn write_csv(headers: &[&str], rows: &[Vec<String>]) -> Vec<u8> {
    let mut out = String::from("\u{feff}");
    write_record(&mut out, headers.iter().copied());
    for row in rows {
        write_record(&mut out, row.iter().map(String::as_str));
    }
    out.into_bytes()
}

fn write_record<'a>(out: &mut String, cells: impl Iterator<Item = &'a str>) {
    for (i, cell) in cells.enumerate() {
        if i > 0 {
            out.push(',');
        }
        let cell = defuse(cell);
        if cell.contains([',', '"', '\r', '\n']) {
            out.push('"');
            out.push_str(&cell.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(&cell);
        }
    }
    out.push_str("\r\n");
}

fn defuse(cell: &str) -> Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let numeric = cell.chars().any(|c| c.is_ascii_digit())
        && cell.chars().all(|c| c.is_ascii_digit() || " .+-()".contains(c));
    if risky && !numeric { Cow::Owned(format!("'{cell}")) } else { Cow::Borrowed(cell) }
}

//! XLSX reading (first worksheet, via calamine) and writing (via rust_xlsxwriter).

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use rust_xlsxwriter::{Format as CellFormat, Workbook, XlsxError as WriteError};

use crate::{DocError, TableBuilder};

pub(crate) fn read(bytes: &[u8], builder: &mut TableBuilder) -> Result<(), DocError> {
    let mut workbook = Xlsx::new(Cursor::new(bytes)).map_err(read_error)?;
    let range = match workbook.worksheet_range_at(0) {
        Some(range) => range.map_err(read_error)?,
        None => return Err(DocError::Empty),
    };
    // The range starts at the first used cell; sheet rows are 1-based.
    let Some((first_row, _)) = range.start() else {
        return Ok(()); // no cells at all: the caller reports Empty
    };
    for (i, cells) in range.rows().enumerate() {
        builder.push(first_row as usize + i + 1, cells.iter().map(cell_text))?;
    }
    Ok(())
}

fn read_error(e: calamine::XlsxError) -> DocError {
    match e {
        calamine::XlsxError::Password => DocError::XlsxPassword,
        e => DocError::Xlsx(e.to_string()),
    }
}

/// Cell as the user typed it: whole numbers without ".0" (phone numbers stay
/// intact), dates as ISO `YYYY-MM-DD[ HH:MM:SS]`.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if *f == 0.0 => "0".to_string(), // not "-0"
        Data::Float(f) => f.to_string(),                // Display never prints "1.0" or exponents
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) if dt.is_duration() => dt.as_f64().to_string(),
        Data::DateTime(dt) => {
            let (y, mo, d, h, mi, s, _) = dt.to_ymd_hms_milli();
            match (dt.as_f64() < 1.0, (h, mi, s) == (0, 0, 0)) {
                (true, _) => format!("{h:02}:{mi:02}:{s:02}"),
                (false, true) => format!("{y:04}-{mo:02}-{d:02}"),
                (false, false) => format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}"),
            }
        }
        Data::Error(e) => e.to_string(),
    }
}

/// XLSX bytes: one worksheet named `sheet` (made valid for Excel and cut to 31
/// characters), bold frozen header row, column widths fitted to the content
/// (CJK characters count double), every cell written as a string.
pub fn write_xlsx(sheet: &str, headers: &[&str], rows: &[Vec<String>]) -> Result<Vec<u8>, DocError> {
    let mut workbook = Workbook::new();
    let worksheet = workbook.add_worksheet();
    worksheet.set_name(sheet_name(sheet)).map_err(write_error)?;
    let bold = CellFormat::new().set_bold();
    let mut widths = Vec::new();
    let rows = std::iter::once(headers.to_vec()).chain(rows.iter().map(|r| r.iter().map(String::as_str).collect()));
    for (r, row) in rows.enumerate() {
        for (c, text) in row.into_iter().enumerate() {
            let (xr, xc) = position(r, c)?;
            match xr {
                0 => worksheet.write_string_with_format(xr, xc, text, &bold),
                _ => worksheet.write_string(xr, xc, text),
            }
            .map_err(write_error)?;
            if widths.len() <= c {
                widths.resize(c + 1, 0);
            }
            widths[c] = widths[c].max(display_width(text));
        }
    }
    worksheet.set_freeze_panes(1, 0).map_err(write_error)?;
    for (c, width) in widths.into_iter().enumerate() {
        let width = u16::try_from(width.clamp(6, 60) + 2).unwrap_or(62);
        worksheet.set_column_width(position(0, c)?.1, width).map_err(write_error)?;
    }
    workbook.save_to_buffer().map_err(write_error)
}

fn position(row: usize, col: usize) -> Result<(u32, u16), DocError> {
    match (u32::try_from(row), u16::try_from(col)) {
        (Ok(r), Ok(c)) => Ok((r, c)),
        _ => Err(write_error(WriteError::RowColumnLimitError)),
    }
}

fn write_error(e: WriteError) -> DocError {
    DocError::XlsxWrite(match e {
        WriteError::RowColumnLimitError => {
            "it has more rows or columns than Excel allows (1,048,576 rows, 16,384 columns). Export fewer rows or use CSV.".to_string()
        }
        WriteError::MaxStringLengthExceeded => {
            "a cell is longer than Excel's limit of 32,767 characters. Use CSV export instead.".to_string()
        }
        e => e.to_string(),
    })
}

/// A valid Excel sheet name: no `[]:*?/\`, no leading/trailing apostrophe, at
/// most 31 UTF-16 units, not blank and not the reserved "History".
fn sheet_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) || c.is_control() { '_' } else { c })
        .collect();
    let mut units = 0;
    let cut: String = cleaned
        .trim()
        .chars()
        .take_while(|c| {
            units += c.len_utf16();
            units <= 31
        })
        .collect();
    match cut.trim().trim_matches('\'') {
        "" => "Sheet1".to_string(),
        n if n.eq_ignore_ascii_case("history") => "Sheet1".to_string(),
        n => n.to_string(),
    }
}

/// Width in Excel character units of the longest line; East Asian wide
/// characters count double.
fn display_width(text: &str) -> usize {
    let wide = |c: char| {
        matches!(c as u32,
            0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF
            | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD)
    };
    text.lines().map(|line| line.chars().map(|c| if wide(c) { 2 } else { 1 }).sum()).max().unwrap_or(0)
}

//! XLSX reading (first worksheet, via calamine) and writing (via rust_xlsxwriter).

use std::fmt::Write as _;
use std::io::{Read, Seek};

use calamine::{DataRef, Reader, Xlsx, XlsxError};
use rust_xlsxwriter::{Format as CellFormat, Workbook, XlsxError as WriteError};

use crate::{DocError, Rows};

/// Streams the first worksheet's rows. Cells are taken from the sheet's
/// leftmost used column on (as a spreadsheet range would), so a table that
/// starts at B3 reads like one that starts at A1; row numbers are the sheet's.
pub(crate) fn stream<R: Read + Seek>(source: R, rows: &mut Rows) -> Result<(), DocError> {
    let mut workbook = Xlsx::new(source).map_err(read_error)?;
    let Some(name) = workbook.sheet_names().first().cloned() else {
        return Ok(()); // no sheet: the caller reports Empty
    };
    // First pass: the leftmost column with a value (at once when it is A).
    let mut first_col = None::<u32>;
    {
        let Some(mut cells) = cells_reader(&mut workbook, &name)? else {
            return Ok(());
        };
        while let Some(cell) = cells.next_cell().map_err(read_error)? {
            let col = cell.get_position().1;
            if *cell.get_value() != DataRef::Empty && first_col.is_none_or(|c| col < c) {
                first_col = Some(col);
                if col == 0 {
                    break;
                }
            }
        }
    }
    let Some(first_col) = first_col else {
        return Ok(()); // no values at all
    };
    // Second pass: the rows. `texts[..len]` is the current row, the Strings reused.
    let Some(mut cells) = cells_reader(&mut workbook, &name)? else {
        return Ok(());
    };
    let mut texts: Vec<String> = Vec::new();
    let mut len = 0;
    let mut current = None::<u32>;
    while let Some(cell) = cells.next_cell().map_err(read_error)? {
        let value = cell.get_value();
        if *value == DataRef::Empty {
            continue;
        }
        let (row, col) = cell.get_position();
        if current != Some(row) {
            if let Some(done) = current
                && !emit(rows, done, &texts[..len])?
            {
                return Ok(());
            }
            current = Some(row);
            len = 0;
        }
        let Some(i) = col.checked_sub(first_col).map(|i| i as usize) else {
            continue; // cannot happen: the first pass saw every value
        };
        if texts.len() <= i {
            texts.resize_with(i + 1, String::new);
        }
        for text in texts.iter_mut().take(i + 1).skip(len) {
            text.clear();
        }
        len = len.max(i + 1);
        texts[i].clear();
        cell_text(value, &mut texts[i]);
    }
    if let Some(done) = current {
        emit(rows, done, &texts[..len])?;
    }
    Ok(())
}

fn emit(rows: &mut Rows, row: u32, texts: &[String]) -> Result<bool, DocError> {
    rows.push(row as usize + 1, texts.iter().map(String::as_str))
}

/// The worksheet's cells in file order; `None` when the first sheet is not a
/// worksheet (a chart sheet), which reads as empty.
fn cells_reader<'a, R: Read + Seek>(
    workbook: &'a mut Xlsx<R>,
    name: &str,
) -> Result<Option<calamine::XlsxCellReader<'a, R>>, DocError> {
    match workbook.worksheet_cells_reader(name) {
        Ok(cells) => Ok(Some(cells)),
        Err(XlsxError::NotAWorksheet(_)) => Ok(None),
        Err(e) => Err(read_error(e)),
    }
}

fn read_error(e: XlsxError) -> DocError {
    match e {
        XlsxError::Password => DocError::XlsxPassword,
        e => DocError::Xlsx(e.to_string()),
    }
}

/// Cell as the user typed it, appended to `out`: whole numbers without ".0"
/// (phone numbers stay intact), dates as ISO `YYYY-MM-DD[ HH:MM:SS]`.
fn cell_text(cell: &DataRef, out: &mut String) {
    match cell {
        DataRef::Empty => {}
        DataRef::SharedString(s) => out.push_str(s),
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => out.push_str(s),
        DataRef::Float(f) if *f == 0.0 => out.push('0'), // not "-0"
        other => {
            let _ = write_value(other, out); // writing to a String cannot fail
        }
    }
}

fn write_value(cell: &DataRef, out: &mut String) -> std::fmt::Result {
    match cell {
        DataRef::Int(i) => write!(out, "{i}"),
        DataRef::Float(f) => write!(out, "{f}"), // Display never prints "1.0" or exponents
        DataRef::Bool(b) => write!(out, "{b}"),
        DataRef::DateTime(dt) if dt.is_duration() => write!(out, "{}", dt.as_f64()),
        DataRef::DateTime(dt) => {
            let (y, mo, d, h, mi, s, _) = dt.to_ymd_hms_milli();
            match (dt.as_f64() < 1.0, (h, mi, s) == (0, 0, 0)) {
                (true, _) => write!(out, "{h:02}:{mi:02}:{s:02}"),
                (false, true) => write!(out, "{y:04}-{mo:02}-{d:02}"),
                (false, false) => write!(out, "{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}"),
            }
        }
        DataRef::Error(e) => write!(out, "{e}"),
        DataRef::Empty
        | DataRef::SharedString(_)
        | DataRef::String(_)
        | DataRef::DateTimeIso(_)
        | DataRef::DurationIso(_) => Ok(()), // in cell_text
    }
}

/// XLSX bytes: one worksheet named `sheet` (made valid for Excel and cut to 31
/// characters), bold frozen header row, column widths fitted to the content
/// (CJK characters count double), every cell written as a string.
pub fn write_xlsx(
    sheet: &str,
    headers: &[&str],
    rows: &[Vec<String>],
) -> Result<Vec<u8>, DocError> {
    let mut workbook = Workbook::new();
    let worksheet = workbook.add_worksheet();
    worksheet.set_name(sheet_name(sheet)).map_err(write_error)?;
    let bold = CellFormat::new().set_bold();
    let mut widths = Vec::new();
    let rows = std::iter::once(headers.to_vec())
        .chain(rows.iter().map(|r| r.iter().map(String::as_str).collect()));
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
        worksheet
            .set_column_width(position(0, c)?.1, width)
            .map_err(write_error)?;
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
        .map(|c| {
            if "[]:*?/\\".contains(c) || c.is_control() {
                '_'
            } else {
                c
            }
        })
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
    text.lines()
        .map(|line| line.chars().map(|c| if wide(c) { 2 } else { 1 }).sum())
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;
    use crate::read_table;

    fn strings(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|c| c.to_string()).collect()
    }

    #[test]
    fn round_trip_with_chinese_and_long_digits() {
        let rows = vec![
            strings(&["P001", "华东代理商", "13800138000", "012345678901234567890"]),
            strings(&["P002", "=SUM(A1)", "", "多行\n备注"]),
        ];
        let bytes =
            write_xlsx("渠道伙伴", &["编码", "名称", "手机", "账号"], &rows).expect("xlsx written");
        assert!(bytes.starts_with(b"PK\x03\x04"));
        let table = read_table(None, &bytes, 10).expect("xlsx read");
        assert_eq!(table.headers, strings(&["编码", "名称", "手机", "账号"]));
        let got: Vec<_> = table
            .rows
            .iter()
            .map(|r| (r.number, r.cells.clone()))
            .collect();
        assert_eq!(got, vec![(2, rows[0].clone()), (3, rows[1].clone())]);

        let workbook: Xlsx<_> = Xlsx::new(Cursor::new(&bytes[..])).expect("opens");
        assert_eq!(workbook.sheet_names(), vec!["渠道伙伴".to_string()]);
    }

    #[test]
    fn typed_cells_and_offset_rows() {
        let mut workbook = Workbook::new();
        let ws = workbook.add_worksheet();
        let date = CellFormat::new().set_num_format("yyyy-mm-dd");
        let datetime = CellFormat::new().set_num_format("yyyy-mm-dd hh:mm");
        // Table starts at B3, with an empty sheet row 5 in the middle.
        for (c, h) in ["手机", "金额", "启用", "日期", "时间"]
            .into_iter()
            .enumerate()
        {
            ws.write_string(2, c as u16 + 1, h).expect("header");
        }
        ws.write_number(3, 1, 13_800_138_000.0).expect("phone");
        ws.write_number(3, 2, 12.5).expect("float");
        ws.write_boolean(3, 3, true).expect("bool");
        let day = rust_xlsxwriter::ExcelDateTime::from_ymd(2024, 3, 5).expect("date");
        ws.write_datetime_with_format(3, 4, &day, &date)
            .expect("date");
        let at = day.clone().and_hms(14, 30, 0).expect("time");
        ws.write_datetime_with_format(3, 5, &at, &datetime)
            .expect("datetime");
        ws.write_number(5, 1, -3.0).expect("int");
        let bytes = workbook.save_to_buffer().expect("saved");

        let table = read_table(Some("导入.xlsx"), &bytes, 10).expect("read");
        assert_eq!(
            table.headers,
            strings(&["手机", "金额", "启用", "日期", "时间"])
        );
        assert_eq!(table.rows[0].number, 4);
        assert_eq!(
            table.rows[0].cells,
            strings(&[
                "13800138000",
                "12.5",
                "true",
                "2024-03-05",
                "2024-03-05 14:30:00"
            ])
        );
        assert_eq!(table.rows[1].number, 6);
        assert_eq!(table.rows[1].cells, strings(&["-3", "", "", "", ""]));
    }

    #[test]
    fn bad_and_empty_workbooks() {
        let err =
            read_table(Some("x.xlsx"), b"PK\x03\x04 not really a zip", 10).expect_err("corrupt");
        assert!(matches!(err, DocError::Xlsx(_)), "{err:?}");
        let empty = write_xlsx("空", &[], &[]).expect("empty workbook");
        let err = read_table(None, &empty, 10).expect_err("no header");
        assert!(matches!(err, DocError::Empty), "{err:?}");
        let three = write_xlsx(
            "s",
            &["a"],
            &[strings(&["1"]), strings(&["2"]), strings(&["3"])],
        )
        .expect("xlsx");
        let err = read_table(None, &three, 2).expect_err("too large");
        assert!(matches!(err, DocError::TooLarge { limit: 2 }), "{err:?}");
    }

    #[test]
    fn sheet_names_are_made_valid() {
        let long = "渠".repeat(40);
        assert_eq!(sheet_name(&long), "渠".repeat(31));
        assert_eq!(sheet_name("a/b:c"), "a_b_c");
        assert_eq!(sheet_name(" 'x' "), "x");
        assert_eq!(sheet_name(""), "Sheet1");
        assert_eq!(sheet_name("History"), "Sheet1");
        assert!(write_xlsx(&long, &["a"], &[]).is_ok());
    }

    #[test]
    fn widths_count_cjk_double() {
        assert_eq!(display_width("abc"), 3);
        assert_eq!(display_width("编码"), 4);
        assert_eq!(display_width("ab\n编码编码\nx"), 8);
        assert_eq!(display_width(""), 0);
    }
}

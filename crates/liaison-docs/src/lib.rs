//! CSV and XLSX import/export for Liaison (SPEC A5): files become a `Table` of trimmed text
//! cells with the row numbers a person sees in their spreadsheet, and rows become a CSV that
//! Excel opens with Chinese intact (UTF-8 with BOM) or an XLSX workbook. Slow-to-compile
//! formats live here so the web crate rebuilds quickly.

use std::io::Cursor;

/// A parsed table: the header row and the data rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Row>,
}

/// One data row and its 1-based row number in the file (the header is row 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub number: usize,
    pub cells: Vec<String>,
}

impl Table {
    /// The index of the first header matching any alias, case-insensitively.
    pub fn column(&self, names: &[&str]) -> Option<usize> {
        self.headers.iter().position(|h| {
            names
                .iter()
                .any(|n| h.trim().eq_ignore_ascii_case(n.trim()))
        })
    }
}

impl Row {
    /// The cell in `col`, or "" when the column or the cell is missing.
    pub fn get(&self, col: Option<usize>) -> &str {
        col.and_then(|c| self.cells.get(c))
            .map_or("", String::as_str)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DocError {
    #[error("the file has no header row")]
    Empty,
    #[error("line {line} cannot be read as CSV: {message}")]
    Csv { line: usize, message: String },
    #[error("the workbook cannot be read: {0}; save it again as .xlsx or CSV")]
    Xlsx(String),
    #[error("the file has more than {0} rows; split it into smaller files")]
    TooLarge(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    pub fn detect(filename: Option<&str>, bytes: &[u8]) -> Format {
        let named_xlsx = filename.is_some_and(|n| n.to_lowercase().ends_with(".xlsx"));
        if bytes.starts_with(b"PK\x03\x04") || named_xlsx {
            Format::Xlsx
        } else {
            Format::Csv
        }
    }
}

/// Reads a CSV (UTF-8 with or without BOM, or GBK/GB18030 as Chinese Excel saves it) or the
/// first worksheet of an XLSX file.
pub fn read_table(
    filename: Option<&str>,
    bytes: &[u8],
    max_rows: usize,
) -> Result<Table, DocError> {
    let raw: Vec<(usize, Vec<String>)> = match Format::detect(filename, bytes) {
        Format::Csv => read_csv(bytes)?,
        Format::Xlsx => read_xlsx(bytes)?,
    };
    let mut it = raw
        .into_iter()
        .filter(|(_, cells)| cells.iter().any(|c| !c.is_empty()));
    let (_, headers) = it.next().ok_or(DocError::Empty)?;
    let width = headers.len();
    let mut rows = Vec::new();
    for (number, mut cells) in it {
        if rows.len() >= max_rows {
            return Err(DocError::TooLarge(max_rows));
        }
        if cells.len() < width {
            cells.resize(width, String::new());
        }
        rows.push(Row { number, cells });
    }
    Ok(Table { headers, rows })
}

fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::GB18030.decode(bytes).0.into_owned(),
    }
}

fn read_csv(bytes: &[u8]) -> Result<Vec<(usize, Vec<String>)>, DocError> {
    let text = decode(bytes);
    let first = text.lines().next().unwrap_or("");
    let delimiter = if first.contains(',') {
        b','
    } else if first.contains(';') {
        b';'
    } else if first.contains('\t') {
        b'\t'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| DocError::Csv {
            line: e.position().map_or(0, |p| p.line() as usize),
            message: e.to_string(),
        })?;
        let line = record
            .position()
            .map_or(out.len() + 1, |p| p.line() as usize);
        out.push((line, record.iter().map(|c| c.trim().to_string()).collect()));
    }
    Ok(out)
}

fn cell_text(d: &calamine::Data) -> String {
    use calamine::Data;
    match d {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.trim().to_string(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => dt.as_f64().to_string(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

fn read_xlsx(bytes: &[u8]) -> Result<Vec<(usize, Vec<String>)>, DocError> {
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|e: calamine::XlsxError| DocError::Xlsx(e.to_string()))?;
    let range = wb
        .worksheet_range_at(0)
        .ok_or_else(|| DocError::Xlsx("it has no worksheet".into()))?
        .map_err(|e| DocError::Xlsx(e.to_string()))?;
    let first_row = range.start().map_or(0, |(r, _)| r as usize);
    Ok(range
        .rows()
        .enumerate()
        .map(|(i, r)| (first_row + i + 1, r.iter().map(cell_text).collect()))
        .collect())
}

/// Whether a cell would be taken as a formula by a spreadsheet (CSV injection), excluding
/// plain numbers and phone numbers.
fn needs_guard(cell: &str) -> bool {
    let Some(first) = cell.chars().next() else {
        return false;
    };
    if !matches!(first, '=' | '+' | '-' | '@' | '\t' | '\r') {
        return false;
    }
    let phone_like = cell
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().".contains(c))
        && cell.chars().any(|c| c.is_ascii_digit());
    !phone_like
}

/// CSV bytes: a UTF-8 BOM so Excel shows Chinese, CRLF line ends, RFC 4180 quoting, and a
/// leading apostrophe on cells a spreadsheet would run as formulas.
pub fn write_csv(headers: &[&str], rows: &[Vec<String>]) -> Vec<u8> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(&mut out);
        let _ = w.write_record(headers);
        for r in rows {
            let guarded = r.iter().map(|c| {
                if needs_guard(c) {
                    format!("'{c}")
                } else {
                    c.clone()
                }
            });
            let _ = w.write_record(guarded);
        }
        let _ = w.flush();
    }
    out
}

fn display_width(s: &str) -> f64 {
    s.chars()
        .map(|c| if c.is_ascii() { 1.0 } else { 2.0 })
        .sum()
}

/// XLSX bytes: one worksheet, a bold frozen header row, columns sized to their content.
pub fn write_xlsx(
    sheet: &str,
    headers: &[&str],
    rows: &[Vec<String>],
) -> Result<Vec<u8>, DocError> {
    let err = |e: rust_xlsxwriter::XlsxError| DocError::Xlsx(e.to_string());
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    let name: String = sheet
        .chars()
        .filter(|c| !"[]:*?/\\".contains(*c))
        .take(31)
        .collect();
    ws.set_name(if name.is_empty() {
        "Sheet1".to_string()
    } else {
        name
    })
    .map_err(err)?;
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let mut widths: Vec<f64> = headers.iter().map(|h| display_width(h)).collect();
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)
            .map_err(err)?;
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            ws.write_string(r as u32 + 1, c as u16, cell).map_err(err)?;
            if let Some(w) = widths.get_mut(c) {
                *w = w.max(display_width(cell));
            }
        }
    }
    for (c, w) in widths.iter().enumerate() {
        ws.set_column_width(c as u16, (w + 2.0).min(60.0))
            .map_err(err)?;
    }
    ws.set_freeze_panes(1, 0).map_err(err)?;
    wb.save_to_buffer().map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows() -> Vec<Vec<String>> {
        vec![
            vec![
                "SH-D001".into(),
                "上海恒通商贸, \"华东\"".into(),
                "第一行\n第二行".into(),
            ],
            vec!["BJ-D002".into(), "北京京联".into(), "13800138000".into()],
        ]
    }

    #[test]
    fn csv_round_trips_chinese_quotes_and_newlines_with_a_bom() {
        let bytes = write_csv(&["code", "name", "notes"], &rows());
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
        let t = read_table(Some("x.csv"), &bytes, 10).expect("read");
        assert_eq!(t.headers, vec!["code", "name", "notes"]);
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[0].cells, rows()[0]);
        assert_eq!(t.rows[0].number, 2);
        assert_eq!(t.rows[1].number, 4, "the quoted newline takes a line");
    }

    #[test]
    fn gbk_csv_from_chinese_excel_reads_as_chinese() {
        let (gbk, _, _) = encoding_rs::GBK.encode("编码,名称\nSH-01,上海恒通商贸有限公司\n");
        let t = read_table(None, &gbk, 10).expect("read");
        assert_eq!(t.column(&["code", "编码"]), Some(0));
        assert_eq!(
            t.rows[0].get(t.column(&["name", "名称"])),
            "上海恒通商贸有限公司"
        );
    }

    #[test]
    fn xlsx_round_trips() {
        let bytes = write_xlsx(
            "partners",
            &["code", "name", "phone"],
            &[vec!["SH-1".into(), "恒通".into(), "13800138000".into()]],
        )
        .expect("xlsx");
        assert_eq!(Format::detect(None, &bytes), Format::Xlsx);
        let t = read_table(None, &bytes, 10).expect("read");
        assert_eq!(t.rows[0].cells, vec!["SH-1", "恒通", "13800138000"]);
        assert_eq!(t.rows[0].number, 2);
    }

    #[test]
    fn formulas_are_guarded_but_numbers_and_phones_are_not() {
        let out = String::from_utf8(write_csv(
            &["a"],
            &[
                vec!["=SUM(A1)".into()],
                vec!["-12.5".into()],
                vec!["+86 138 0013 8000".into()],
                vec!["@cmd".into()],
            ],
        ))
        .expect("utf8");
        assert!(out.contains("'=SUM(A1)"));
        assert!(out.contains("\r\n-12.5\r\n"));
        assert!(out.contains("\r\n+86 138 0013 8000\r\n"));
        assert!(out.contains("'@cmd"));
    }

    #[test]
    fn semicolons_blank_lines_limits_and_empty_files() {
        let t = read_table(None, b"code;name\n\nA1;x\n", 10).expect("read");
        assert_eq!(t.rows.len(), 1);
        assert_eq!(t.rows[0].number, 3);
        assert_eq!(t.rows[0].get(Some(1)), "x");
        assert_eq!(t.rows[0].get(Some(9)), "");
        assert_eq!(t.rows[0].get(None), "");
        assert!(matches!(
            read_table(None, b"a\n1\n2\n3\n", 2),
            Err(DocError::TooLarge(2))
        ));
        assert!(matches!(read_table(None, b"", 2), Err(DocError::Empty)));
        assert!(matches!(
            read_table(None, b"\n \n", 2),
            Err(DocError::Empty)
        ));
    }
}

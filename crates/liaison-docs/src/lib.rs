//! CSV/XLSX import and export for Liaison (SPEC A5), and iCalendar (`ics`): feeds (§3.2.2),
//! meeting invitations and the replies to them (RFC 5545/5546).
//!
//! [`read_table`] turns an uploaded CSV or XLSX file into a [`Table`] of
//! trimmed strings with the row numbers the user sees in their spreadsheet, so
//! import errors can point at "row 7". CSV input may be UTF-8 (with or without
//! BOM), UTF-16 with BOM, or GBK/GB18030 as saved by Chinese Excel.
//! [`write_csv`] and [`write_xlsx`] produce exports that open correctly in
//! Excel with Chinese text; CSV output is guarded against formula injection.
//! [`stream_table`] reads the same files a row at a time into a [`RowSink`]
//! (large uploads; [`read_table`] is built on it), and [`svg::line_chart`]
//! renders trend charts for HTML pages.
//! The slow-to-compile format crates live here so the web crate rebuilds fast.

mod csv_io;
mod decode;
pub mod ics;
#[cfg(test)]
mod stream_tests;
pub mod svg;
mod xlsx_io;

pub use csv_io::write_csv;
pub use xlsx_io::write_xlsx;

/// A parsed table: the header row (trimmed) and the data rows, each a
/// `Vec<String>` of cells (trimmed), with the 1-based row number as the user
/// sees it in their file (header = row 1, first data row = 2).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Row>,
}

/// One data row. `cells` has at least as many entries as the header (short
/// rows are padded with `""`); extra cells beyond the header are kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Row {
    /// 1-based row number in the user's file: the spreadsheet row. For CSV,
    /// blank lines count, and a quoted cell spanning several lines is one row.
    pub number: usize,
    pub cells: Vec<String>,
}

impl Table {
    /// Index of a header, matched case-insensitively after trimming, also
    /// accepting any alias given (e.g. `&["code", "编码", "代码"]`). Earlier
    /// names take priority over later ones.
    pub fn column(&self, names: &[&str]) -> Option<usize> {
        let headers: Vec<String> = self
            .headers
            .iter()
            .map(|h| h.trim().to_lowercase())
            .collect();
        names.iter().find_map(|name| {
            let name = name.trim().to_lowercase();
            headers.iter().position(|h| *h == name)
        })
    }
}

impl Row {
    /// The cell in column `col`, or `""` when the column is missing or the row
    /// is shorter.
    pub fn get(&self, col: Option<usize>) -> &str {
        col.and_then(|c| self.cells.get(c))
            .map_or("", String::as_str)
    }
}

/// Why a file could not be read or written. Messages are meant for the end
/// user and say what to fix.
#[derive(Debug, thiserror::Error)]
pub enum DocError {
    #[error("The file is empty: it has no header row. Put the column names in the first row.")]
    Empty,
    #[error(
        "The CSV file could not be read at line {line}: {message}. Check the quotes on that line, or save the file again from Excel as CSV."
    )]
    Csv { line: usize, message: String },
    #[error(
        "The CSV file is not in a text encoding we recognise. In Excel, choose “Save As” → “CSV UTF-8 (Comma delimited)” and upload it again."
    )]
    Encoding,
    #[error(
        "The Excel file could not be read ({0}). Open it in Excel, save it as “Excel Workbook (.xlsx)” or “CSV UTF-8”, and upload it again."
    )]
    Xlsx(String),
    #[error(
        "The Excel file is password-protected. Remove the password in Excel and upload it again."
    )]
    XlsxPassword,
    #[error("The Excel file could not be created: {0}")]
    XlsxWrite(String),
    #[error(
        "The file has more than {limit} data rows. Split it into files of at most {limit} rows each."
    )]
    TooLarge { limit: usize },
    #[error(
        "This file type is not supported. Save it as “Excel Workbook (.xlsx)” or as CSV and upload it again."
    )]
    UnknownFormat,
}

/// The two supported file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    /// XLSX when the bytes start with the zip magic `PK\x03\x04` or the name
    /// ends in `.xlsx`; CSV otherwise.
    pub fn detect(filename: Option<&str>, bytes: &[u8]) -> Format {
        if bytes.starts_with(b"PK\x03\x04") || has_extension(filename, &["xlsx"]) {
            Format::Xlsx
        } else {
            Format::Csv
        }
    }
}

/// Receives a table's rows one at a time from [`stream_table`].
pub trait RowSink {
    /// The header row (the first non-empty row), cells trimmed.
    fn header(&mut self, cells: &[String]) -> Result<(), DocError>;
    /// One non-empty data row: its 1-based spreadsheet row number (header =
    /// row 1 when it is the first line) and its trimmed cells (may be shorter
    /// or longer than the header). Return `Ok(false)` to stop reading early.
    fn row(&mut self, number: usize, cells: &[&str]) -> Result<bool, DocError>;
}

/// How many bytes are looked at to tell the format, the encoding and the
/// delimiter; also the size of the CSV reading buffers.
const HEAD: usize = 64 * 1024;

/// Streams CSV (any encoding [`read_table`] accepts) or XLSX (first
/// worksheet) from `source`, without holding the whole file or its decoded
/// text in memory. Entirely empty rows are skipped but still counted in row
/// numbers. The same files as in [`read_table`] are refused with
/// [`DocError::UnknownFormat`], and a file without a non-empty row is
/// [`DocError::Empty`]. An error returned by the sink stops the reading and is
/// returned as is.
pub fn stream_table<R: std::io::Read + std::io::Seek>(
    mut source: R,
    filename: Option<&str>,
    sink: &mut dyn RowSink,
) -> Result<(), DocError> {
    use std::io::{Read, SeekFrom};

    let start = source.stream_position().map_err(io_error)?;
    let mut head = Vec::with_capacity(HEAD);
    (&mut source)
        .take(HEAD as u64)
        .read_to_end(&mut head)
        .map_err(io_error)?;
    let ole_magic = head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
    if ole_magic || has_extension(filename, &["xls", "et", "ods", "numbers"]) {
        return Err(DocError::UnknownFormat);
    }
    let mut rows = Rows::new(sink);
    match Format::detect(filename, &head) {
        Format::Csv => csv_io::stream(head, source, &mut rows)?,
        Format::Xlsx => {
            source.seek(SeekFrom::Start(start)).map_err(io_error)?;
            xlsx_io::stream(std::io::BufReader::new(source), &mut rows)?;
        }
    }
    if rows.header_seen {
        Ok(())
    } else {
        Err(DocError::Empty)
    }
}

/// A read error of the upload itself (rare: the bytes are usually in memory
/// or in a temporary file).
fn io_error(e: std::io::Error) -> DocError {
    DocError::Csv {
        line: 0,
        message: e.to_string(),
    }
}

/// Reads CSV or XLSX (first worksheet) into a [`Table`] through
/// [`stream_table`]. Entirely empty rows are skipped but still counted in row
/// numbers. At most `max_rows` data rows are accepted, else
/// [`DocError::TooLarge`]. Legacy `.xls`, WPS `.et`, `.ods` and `.numbers`
/// files are refused with [`DocError::UnknownFormat`].
pub fn read_table(
    filename: Option<&str>,
    bytes: &[u8],
    max_rows: usize,
) -> Result<Table, DocError> {
    let mut collect = Collect {
        table: Table::default(),
        max_rows,
    };
    stream_table(std::io::Cursor::new(bytes), filename, &mut collect)?;
    Ok(collect.table)
}

fn has_extension(filename: Option<&str>, exts: &[&str]) -> bool {
    let Some((_, ext)) = filename.and_then(|f| f.trim().rsplit_once('.')) else {
        return false;
    };
    exts.iter().any(|e| ext.eq_ignore_ascii_case(e))
}

/// The sink behind [`read_table`]: data rows are padded with `""` to the
/// header's width; more than `max_rows` is [`DocError::TooLarge`].
struct Collect {
    table: Table,
    max_rows: usize,
}

impl RowSink for Collect {
    fn header(&mut self, cells: &[String]) -> Result<(), DocError> {
        self.table.headers = cells.to_vec();
        Ok(())
    }

    fn row(&mut self, number: usize, cells: &[&str]) -> Result<bool, DocError> {
        if self.table.rows.len() >= self.max_rows {
            return Err(DocError::TooLarge {
                limit: self.max_rows,
            });
        }
        let width = cells.len().max(self.table.headers.len());
        let mut owned = Vec::with_capacity(width);
        owned.extend(cells.iter().map(|c| c.to_string()));
        owned.resize(width, String::new());
        self.table.rows.push(Row {
            number,
            cells: owned,
        });
        Ok(true)
    }
}

/// What both readers share: cells are trimmed, entirely empty rows skipped,
/// the first non-empty row goes to [`RowSink::header`], the others to
/// [`RowSink::row`], through one reused buffer of cells.
struct Rows<'s> {
    sink: &'s mut dyn RowSink,
    header_seen: bool,
    spare: Vec<&'static str>,
}

impl<'s> Rows<'s> {
    fn new(sink: &'s mut dyn RowSink) -> Self {
        Rows {
            sink,
            header_seen: false,
            spare: Vec::new(),
        }
    }

    /// Passes one row on; `Ok(false)` when the sink wants no more.
    fn push<'c>(
        &mut self,
        number: usize,
        cells: impl Iterator<Item = &'c str>,
    ) -> Result<bool, DocError> {
        let mut trimmed = recycle(std::mem::take(&mut self.spare));
        trimmed.extend(cells.map(str::trim));
        let more = if trimmed.iter().all(|c| c.is_empty()) {
            Ok(true)
        } else if self.header_seen {
            self.sink.row(number, &trimmed)
        } else {
            self.header_seen = true;
            let header: Vec<String> = trimmed.iter().map(|c| c.to_string()).collect();
            self.sink.header(&header).map(|()| true)
        };
        self.spare = recycle(trimmed);
        more
    }
}

/// An empty vector with the allocation of `v`, for references of another
/// lifetime (the collect reuses the buffer: same element size and alignment).
fn recycle<'a>(mut v: Vec<&str>) -> Vec<&'a str> {
    v.clear();
    v.into_iter().map(|_| "").collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(headers: &[&str]) -> Table {
        Table {
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    #[test]
    fn column_matches_aliases_case_insensitively() {
        let t = table(&["Name", "编码", "CODE "]);
        assert_eq!(t.column(&["name"]), Some(0));
        assert_eq!(t.column(&[" NAME "]), Some(0));
        // The first alias wins even when a later alias appears earlier in the header.
        assert_eq!(t.column(&["code", "编码"]), Some(2));
        assert_eq!(t.column(&["代码", "编码"]), Some(1));
        assert_eq!(t.column(&["email", "邮箱"]), None);
        assert_eq!(t.column(&[]), None);
    }

    #[test]
    fn row_get_out_of_range_is_empty() {
        let row = Row {
            number: 2,
            cells: vec!["a".into(), "b".into()],
        };
        assert_eq!(row.get(Some(1)), "b");
        assert_eq!(row.get(Some(2)), "");
        assert_eq!(row.get(Some(usize::MAX)), "");
        assert_eq!(row.get(None), "");
    }

    #[test]
    fn detect_format() {
        assert_eq!(Format::detect(None, b"PK\x03\x04rest"), Format::Xlsx);
        assert_eq!(Format::detect(Some("Partners.XLSX"), b"a,b"), Format::Xlsx);
        assert_eq!(Format::detect(Some("partners.csv"), b"a,b"), Format::Csv);
        assert_eq!(Format::detect(None, b""), Format::Csv);
    }

    #[test]
    fn unsupported_formats_are_rejected() {
        let ole = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0];
        assert!(matches!(
            read_table(None, &ole, 10),
            Err(DocError::UnknownFormat)
        ));
        assert!(matches!(
            read_table(Some("old.xls"), b"a,b", 10),
            Err(DocError::UnknownFormat)
        ));
        assert!(matches!(
            read_table(Some("表格.et"), b"a,b", 10),
            Err(DocError::UnknownFormat)
        ));
    }

    #[test]
    fn error_messages_say_what_to_do() {
        let msg = DocError::TooLarge { limit: 5000 }.to_string();
        assert!(msg.contains("at most 5000 rows"), "{msg}");
        assert!(DocError::Empty.to_string().contains("first row"));
    }
}

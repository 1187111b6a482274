//! CSV/XLSX import and export for Liaison (SPEC A5), and iCalendar feeds (`ics`, §3.2.2).
//!
//! [`read_table`] turns an uploaded CSV or XLSX file into a [`Table`] of
//! trimmed strings with the row numbers the user sees in their spreadsheet, so
//! import errors can point at "row 7". CSV input may be UTF-8 (with or without
//! BOM), UTF-16 with BOM, or GBK/GB18030 as saved by Chinese Excel.
//! [`write_csv`] and [`write_xlsx`] produce exports that open correctly in
//! Excel with Chinese text; CSV output is guarded against formula injection.
//! The slow-to-compile format crates live here so the web crate rebuilds fast.

mod csv_io;
pub mod ics;
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

/// Reads CSV or XLSX (first worksheet) into a [`Table`]. Entirely empty rows
/// are skipped but still counted in row numbers. At most `max_rows` data rows
/// are accepted, else [`DocError::TooLarge`]. Legacy `.xls`, WPS `.et`, `.ods`
/// and `.numbers` files are refused with [`DocError::UnknownFormat`].
pub fn read_table(
    filename: Option<&str>,
    bytes: &[u8],
    max_rows: usize,
) -> Result<Table, DocError> {
    let ole_magic = bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
    if ole_magic || has_extension(filename, &["xls", "et", "ods", "numbers"]) {
        return Err(DocError::UnknownFormat);
    }
    let mut builder = TableBuilder {
        headers: None,
        rows: Vec::new(),
        max_rows,
    };
    match Format::detect(filename, bytes) {
        Format::Csv => csv_io::read(bytes, &mut builder)?,
        Format::Xlsx => xlsx_io::read(bytes, &mut builder)?,
    }
    let headers = builder.headers.ok_or(DocError::Empty)?;
    Ok(Table {
        headers,
        rows: builder.rows,
    })
}

fn has_extension(filename: Option<&str>, exts: &[&str]) -> bool {
    let Some((_, ext)) = filename.and_then(|f| f.trim().rsplit_once('.')) else {
        return false;
    };
    exts.iter().any(|e| ext.eq_ignore_ascii_case(e))
}

/// Collects rows from either reader: the first non-empty row becomes the
/// header, later non-empty rows become data rows.
struct TableBuilder {
    headers: Option<Vec<String>>,
    rows: Vec<Row>,
    max_rows: usize,
}

impl TableBuilder {
    fn push(
        &mut self,
        number: usize,
        cells: impl IntoIterator<Item = String>,
    ) -> Result<(), DocError> {
        let mut cells: Vec<String> = cells.into_iter().map(|c| c.trim().to_string()).collect();
        if cells.iter().all(String::is_empty) {
            return Ok(());
        }
        let Some(headers) = &self.headers else {
            self.headers = Some(cells);
            return Ok(());
        };
        if self.rows.len() >= self.max_rows {
            return Err(DocError::TooLarge {
                limit: self.max_rows,
            });
        }
        if cells.len() < headers.len() {
            cells.resize(headers.len(), String::new());
        }
        self.rows.push(Row { number, cells });
        Ok(())
    }
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

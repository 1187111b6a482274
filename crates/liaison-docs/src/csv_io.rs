//! CSV reading (encoding and delimiter detection, true row numbers) and
//! Excel-friendly CSV writing with a formula-injection guard.

use std::borrow::Cow;
use std::io::Read;

use crate::decode::Decoded;
use crate::{DocError, HEAD, Rows};

/// Streams the CSV text whose first bytes are `head` (see [`Decoded`] for the
/// encodings) and whose rest is in `source`, one record at a time.
pub(crate) fn stream<R: Read>(head: Vec<u8>, source: R, rows: &mut Rows) -> Result<(), DocError> {
    let mut text = Decoded::new(head, source);
    let delimiter = match text.peek() {
        Ok(first) => delimiter(first),
        Err(e) => return Err(text.failure().unwrap_or_else(|| crate::io_error(e))),
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .buffer_capacity(HEAD)
        .from_reader(text);
    // The parser silently skips blank lines and does not report where a record
    // really starts, so the decoder keeps where each non-empty line starts and
    // its line number: the record's row is the line of the first non-empty line
    // at or after the parser's position before the record, minus the line
    // breaks that were inside quoted cells (a spreadsheet shows such a cell as
    // one row).
    let mut breaks_in_cells = 0;
    let mut record = csv::StringRecord::new();
    loop {
        let start = reader.position().byte();
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => return Ok(()),
            Err(e) => return Err(reader.get_mut().failure().unwrap_or_else(|| csv_error(e))),
        }
        let line = usize::try_from(reader.get_mut().line_at(start)).unwrap_or(usize::MAX);
        let number = (line + 1).saturating_sub(breaks_in_cells);
        for cell in &record {
            breaks_in_cells += line_breaks(cell.as_bytes());
        }
        if !rows.push(number, record.iter().map(undefuse))? {
            return Ok(());
        }
    }
}

/// Line breaks (LF, CR LF counted once, or a lone CR) in `bytes`.
fn line_breaks(bytes: &[u8]) -> usize {
    if !bytes.contains(&b'\n') && !bytes.contains(&b'\r') {
        return 0;
    }
    (0..bytes.len())
        .filter(|&i| match bytes.get(i) {
            Some(b'\n') => true,
            Some(b'\r') => bytes.get(i + 1) != Some(&b'\n'),
            _ => false,
        })
        .count()
}

fn csv_error(e: csv::Error) -> DocError {
    let line = e
        .position()
        .map_or(0, |p| usize::try_from(p.line()).unwrap_or(usize::MAX));
    DocError::Csv {
        line,
        message: e.to_string(),
    }
}

/// Comma, unless the header line has none but has semicolons or tabs
/// (European Excel uses `;`, "Unicode text" exports use tabs).
fn delimiter(text: &str) -> u8 {
    let header = text
        .split(['\n', '\r'])
        .find(|line| !line.trim().is_empty())
        .unwrap_or_default();
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
/// `+`, `-`, `@`, tab or CR) get a leading `'`, except a plain number such as
/// `-12.5`. A phone number such as `+86 138 0013 8000` or `-1+1` is guarded
/// too: Excel reads it as a formula (issue 10). Reading takes the `'` off.
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
    if cell.starts_with(RISKY) && !plain_number(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// What a spreadsheet runs as a formula when a cell starts with it.
const RISKY: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A signed decimal (`-12.5`, `+3`): a spreadsheet reads it as that number and nothing else.
fn plain_number(cell: &str) -> bool {
    let digits = cell.strip_prefix(['+', '-']).unwrap_or(cell);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, "0"));
    !whole.is_empty()
        && !fraction.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
}

/// A cell as written before [`defuse`]: the guard's `'` in front of what a spreadsheet would
/// run is taken off, so an export imports back unchanged.
fn undefuse(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(RISKY) => rest,
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use crate::{DocError, Table, read_table, write_csv};

    fn read(bytes: &[u8]) -> Table {
        read_table(Some("partners.csv"), bytes, 100).expect("readable CSV")
    }

    fn strings(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|c| c.to_string()).collect()
    }

    #[test]
    fn round_trip_with_chinese_commas_quotes_and_newlines() {
        let rows = vec![
            strings(&["P001", "华东,代理", "他说\"你好\""]),
            strings(&["P002", "多行\r\n文本", "a\nb"]),
            strings(&["P003", "", "末尾"]),
        ];
        let bytes = write_csv(&["编码", "名称", "备注"], &rows);
        let table = read(&bytes);
        assert_eq!(table.headers, strings(&["编码", "名称", "备注"]));
        let got: Vec<_> = table
            .rows
            .iter()
            .map(|r| (r.number, r.cells.clone()))
            .collect();
        // Multi-line cells occupy one spreadsheet row each.
        assert_eq!(
            got,
            vec![
                (2, rows[0].clone()),
                (3, rows[1].clone()),
                (4, rows[2].clone())
            ]
        );
    }

    #[test]
    fn bom_written_first_and_stripped_on_read() {
        let bytes = write_csv(&["编码", "名称"], &[strings(&["P001", "代理商"])]);
        assert!(bytes.starts_with(&[0xEF, 0xBB, 0xBF]));
        assert_eq!(&bytes[3..], "编码,名称\r\nP001,代理商\r\n".as_bytes());
        assert_eq!(read(&bytes).headers[0], "编码");
    }

    #[test]
    fn gbk_csv_is_decoded() {
        let (bytes, _, unmappable) =
            encoding_rs::GBK.encode("编码,名称,地区\r\nP001,华东代理商,上海\r\n");
        assert!(!unmappable);
        assert!(
            std::str::from_utf8(&bytes).is_err(),
            "test input must not be UTF-8"
        );
        let table = read(&bytes);
        assert_eq!(table.headers, strings(&["编码", "名称", "地区"]));
        assert_eq!(
            table.rows[0].cells,
            strings(&["P001", "华东代理商", "上海"])
        );
    }

    #[test]
    fn undecodable_bytes_are_an_encoding_error() {
        let err = read_table(None, b"name\r\n\xFF\xFF\xFF\r\n", 10).expect_err("not text");
        assert!(matches!(err, DocError::Encoding), "{err:?}");
        let err = read_table(None, b"name\0\x01", 10).expect_err("binary");
        assert!(matches!(err, DocError::UnknownFormat), "{err:?}");
    }

    #[test]
    fn utf16_with_bom_and_tabs() {
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend(
            "名称\t编码\r\n代理\t7\r\n"
                .encode_utf16()
                .flat_map(u16::to_le_bytes),
        );
        let table = read(&bytes);
        assert_eq!(table.headers, strings(&["名称", "编码"]));
        assert_eq!(table.rows[0].cells, strings(&["代理", "7"]));
    }

    #[test]
    fn formula_injection_guard() {
        let cells = [
            "=SUM(A1)",
            "-12.5",
            "+86 138 0013 8000",
            "@cmd",
            "+1",
            "-",
            "\tx",
            "(010) 1234-5678",
            "普通",
            "-1+1",
            "+86-138",
        ];
        let bytes = write_csv(&["a"], &[strings(&cells)]);
        let text = std::str::from_utf8(&bytes[3..]).expect("UTF-8");
        let line = text.lines().nth(1).expect("data line");
        assert_eq!(
            line,
            "'=SUM(A1),-12.5,'+86 138 0013 8000,'@cmd,+1,'-,'\tx,(010) 1234-5678,普通,'-1+1,'+86-138"
        );
        // Read back, every cell is what was written (trimmed, as every cell read is).
        let table = read(&bytes);
        assert_eq!(table.rows[0].cells, strings(&cells.map(str::trim)));
        // A guarded cell that also needs quoting keeps the apostrophe inside the quotes.
        let bytes = write_csv(&["=a,b"], &[]);
        assert_eq!(&bytes[3..], b"\"'=a,b\"\r\n");
    }

    #[test]
    fn semicolon_and_tab_delimiters_detected_from_header() {
        let table = read("名称;编码\r\n代理;7\r\n".as_bytes());
        assert_eq!(table.headers, strings(&["名称", "编码"]));
        assert_eq!(table.rows[0].cells, strings(&["代理", "7"]));
        let table = read(b"\r\nname\tcode\nA\t1\n");
        assert_eq!(table.headers, strings(&["name", "code"]));
        // A comma in the header line means comma-separated, whatever else it holds.
        let table = read(b"a,b;c\n1,2;3\n");
        assert_eq!(table.headers, strings(&["a", "b;c"]));
    }

    #[test]
    fn too_many_rows() {
        let bytes = b"name\nA\nB\nC\n";
        assert_eq!(
            read_table(None, bytes, 3).expect("at the limit").rows.len(),
            3
        );
        let err = read_table(None, bytes, 2).expect_err("over the limit");
        assert!(matches!(err, DocError::TooLarge { limit: 2 }), "{err:?}");
        assert!(err.to_string().contains('2'));
    }

    #[test]
    fn empty_files() {
        for bytes in [&b""[..], b"\xEF\xBB\xBF", b"\r\n\r\n  \r\n,,\r\n"] {
            let err = read_table(Some("empty.csv"), bytes, 10).expect_err("empty");
            assert!(matches!(err, DocError::Empty), "{err:?}");
        }
        let table = read(b"name,code\r\n");
        assert_eq!(table.headers, strings(&["name", "code"]));
        assert!(table.rows.is_empty());
    }

    #[test]
    fn row_numbers_count_blank_lines_but_not_lines_inside_cells() {
        let lf = "\n\nname,code\n\nA,1\n,,\n\"multi\nline\",2\n\nB,3";
        for text in [
            lf.to_string(),
            lf.replace('\n', "\r\n"),
            lf.replace('\n', "\r"),
        ] {
            let table = read(text.as_bytes());
            assert_eq!(table.headers, strings(&["name", "code"]), "{text:?}");
            let numbers: Vec<_> = table
                .rows
                .iter()
                .map(|r| (r.number, r.get(Some(1))))
                .collect();
            assert_eq!(numbers, vec![(5, "1"), (7, "2"), (9, "3")], "{text:?}");
        }
    }

    #[test]
    fn cells_trimmed_and_ragged_rows_padded() {
        let table = read(" Name ,\u{3000}编码 , note\n  A , 1 \nB\n1,2,3,4\n".as_bytes());
        assert_eq!(table.headers, strings(&["Name", "编码", "note"]));
        assert_eq!(table.rows[0].cells, strings(&["A", "1", ""]));
        assert_eq!(table.rows[1].cells, strings(&["B", "", ""]));
        assert_eq!(table.rows[2].cells, strings(&["1", "2", "3", "4"]));
        assert_eq!(table.rows[1].get(table.column(&["code", "编码"])), "");
        assert_eq!(table.rows[0].get(table.column(&["code", "编码"])), "1");
    }
}

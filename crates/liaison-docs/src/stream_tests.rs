//! Tests of [`stream_table`] across encodings, buffer boundaries and formats.

use std::io::{Cursor, Read, Seek, SeekFrom};

use crate::{DocError, HEAD, RowSink, read_table, stream_table, write_xlsx};

/// Everything the sink was given: the header as row 0, then (number, cells).
#[derive(Debug, Default)]
struct Seen {
    header: Vec<String>,
    rows: Vec<(usize, Vec<String>)>,
    stop_after: Option<usize>,
}

impl RowSink for Seen {
    fn header(&mut self, cells: &[String]) -> Result<(), DocError> {
        self.header = cells.to_vec();
        Ok(())
    }

    fn row(&mut self, number: usize, cells: &[&str]) -> Result<bool, DocError> {
        self.rows
            .push((number, cells.iter().map(|c| c.to_string()).collect()));
        Ok(self.stop_after.is_none_or(|n| self.rows.len() < n))
    }
}

/// A source that hands out at most `step` bytes per read, to move every
/// buffer boundary.
struct Trickle {
    inner: Cursor<Vec<u8>>,
    step: usize,
}

impl Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.step);
        self.inner.read(&mut buf[..n])
    }
}

impl Seek for Trickle {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(pos)
    }
}

fn stream(name: &str, bytes: &[u8]) -> Result<Seen, DocError> {
    let mut seen = Seen::default();
    stream_table(Cursor::new(bytes), Some(name), &mut seen)?;
    Ok(seen)
}

fn trickle(bytes: &[u8], step: usize) -> Result<Seen, DocError> {
    let mut seen = Seen::default();
    let source = Trickle {
        inner: Cursor::new(bytes.to_vec()),
        step,
    };
    stream_table(source, Some("t.csv"), &mut seen)?;
    Ok(seen)
}

fn strings(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| c.to_string()).collect()
}

fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
    let mut bytes = if big_endian {
        vec![0xFE, 0xFF]
    } else {
        vec![0xFF, 0xFE]
    };
    for unit in text.encode_utf16() {
        bytes.extend(if big_endian {
            unit.to_be_bytes()
        } else {
            unit.to_le_bytes()
        });
    }
    bytes
}

fn gbk(text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(text);
    assert!(!unmappable, "GBK can encode the test text");
    bytes.into_owned()
}

const SAMPLE: &str = "编码,名称,地区,金额\r\n\r\nP001,华东代理商,上海,12.5\r\nP002,\"多行\r\n备注\",北京,'=1+1\r\n,,,\r\nP003,  深圳 ,广东,-3\r\n";

fn sample_rows() -> Vec<(usize, Vec<String>)> {
    vec![
        (3, strings(&["P001", "华东代理商", "上海", "12.5"])),
        (4, strings(&["P002", "多行\r\n备注", "北京", "=1+1"])),
        (6, strings(&["P003", "深圳", "广东", "-3"])),
    ]
}

#[test]
fn every_csv_encoding_reads_the_same() {
    let mut utf8_bom = vec![0xEF, 0xBB, 0xBF];
    utf8_bom.extend(SAMPLE.as_bytes());
    let inputs = [
        ("UTF-8", SAMPLE.as_bytes().to_vec()),
        ("UTF-8 BOM", utf8_bom),
        ("GBK", gbk(SAMPLE)),
        ("UTF-16LE", utf16(SAMPLE, false)),
        ("UTF-16BE", utf16(SAMPLE, true)),
    ];
    for (encoding, bytes) in inputs {
        for step in [1, 2, 3, 7, usize::MAX] {
            let seen = trickle(&bytes, step).expect(encoding);
            assert_eq!(seen.header, strings(&["编码", "名称", "地区", "金额"]));
            assert_eq!(seen.rows, sample_rows(), "{encoding}, step {step}");
        }
        let table = read_table(Some("x.csv"), &bytes, 10).expect(encoding);
        let rows: Vec<_> = table
            .rows
            .into_iter()
            .map(|r| (r.number, r.cells))
            .collect();
        assert_eq!(rows, sample_rows(), "{encoding}");
    }
}

#[test]
fn xlsx_reads_like_the_csv() {
    let rows: Vec<Vec<String>> = vec![
        strings(&["P001", "华东代理商", "上海", "12.5"]),
        strings(&["P002", "多行\r\n备注", "北京", "=1+1"]),
        strings(&["", "", "", ""]),
        strings(&["P003", "  深圳 ", "广东", "-3"]),
    ];
    // A blank sheet row 2, as in the CSV.
    let mut all = vec![strings(&["", "", "", ""])];
    all.extend(rows);
    let bytes = write_xlsx("s", &["编码", "名称", "地区", "金额"], &all).expect("xlsx");
    for name in ["upload.xlsx", "upload"] {
        let seen = stream(name, &bytes).expect("xlsx streams");
        assert_eq!(seen.header, strings(&["编码", "名称", "地区", "金额"]));
        assert_eq!(seen.rows, sample_rows());
    }
    let seen = trickle(&bytes, 5).expect("xlsx from a slow source");
    assert_eq!(seen.rows, sample_rows());
}

#[test]
fn xlsx_numbers_and_ragged_rows() {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let ws = workbook.add_worksheet();
    ws.write_string(0, 2, "a").expect("cell");
    ws.write_string(0, 3, "b").expect("cell");
    ws.write_number(1, 3, 1.5).expect("cell");
    ws.write_number(2, 2, 0.0).expect("cell");
    ws.write_number(2, 5, 42.0).expect("cell");
    ws.write_string(4, 1, "left").expect("cell");
    let bytes = workbook.save_to_buffer().expect("saved");
    let seen = stream("x.xlsx", &bytes).expect("read");
    // Column B is the leftmost used one, though only row 5 uses it.
    assert_eq!(seen.header, strings(&["", "a", "b"]));
    assert_eq!(
        seen.rows,
        vec![
            (2, strings(&["", "", "1.5"])),
            (3, strings(&["", "0", "", "", "42"])),
            (5, strings(&["left"])),
        ]
    );
    let table = read_table(None, &bytes, 10).expect("read");
    assert_eq!(table.rows[2].cells, strings(&["left", "", ""]));
}

#[test]
fn semicolon_delimiter_and_utf8_bom() {
    let bytes = "\u{feff}名称;编码;备注\n代理;7;\"a;b\"\n".as_bytes();
    let seen = stream("x.csv", bytes).expect("read");
    assert_eq!(seen.header, strings(&["名称", "编码", "备注"]));
    assert_eq!(seen.rows, vec![(2, strings(&["代理", "7", "a;b"]))]);
}

/// Row numbers as the whole-file reader worked them out before streaming
/// (line breaks before each record's first byte, minus those inside cells).
fn reference_numbers(text: &str) -> Vec<usize> {
    fn breaks(bytes: &[u8], from: usize, to: usize) -> usize {
        (from..to)
            .filter(|&i| match bytes.get(i) {
                Some(b'\n') => true,
                Some(b'\r') => bytes.get(i + 1) != Some(&b'\n'),
                _ => false,
            })
            .count()
    }
    let raw = text.as_bytes();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(raw);
    let (mut counted, mut total, mut in_cells) = (0, 0, 0);
    let mut numbers = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        let start = usize::try_from(reader.position().byte()).expect("offset");
        if !reader.read_record(&mut record).expect("valid CSV") {
            return numbers;
        }
        let first = start
            + raw[start..]
                .iter()
                .take_while(|b| matches!(b, b'\r' | b'\n'))
                .count();
        total += breaks(raw, counted, first);
        counted = first;
        let number = (total + 1) - in_cells;
        in_cells += record
            .iter()
            .map(|c| breaks(c.as_bytes(), 0, c.len()))
            .sum::<usize>();
        if record.iter().any(|c| !c.trim().is_empty()) {
            numbers.push(number);
        }
    }
}

/// Deterministic pseudo-random CSV text with blank lines, the three kinds of
/// line break, quoted multi-line cells and Chinese text.
fn generated_csv(seed: u64, records: usize) -> String {
    let mut state = seed;
    let mut next = move |n: u64| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) % n
    };
    let breaks = ["\n", "\r\n", "\r"];
    let mut text = String::from("name,code\r\n");
    for i in 0..records {
        for _ in 0..next(3) {
            text.push_str(breaks[next(3) as usize]);
        }
        match next(5) {
            0 => text.push_str(&format!(
                "\"多行{}{}行\",{i}",
                breaks[next(3) as usize],
                breaks[next(3) as usize]
            )),
            1 => text.push_str(&format!(" ,{i}")),
            2 => text.push_str(",,"),
            _ => text.push_str(&format!("伙伴{i},{}", next(1000))),
        }
        text.push_str(breaks[next(3) as usize]);
    }
    text
}

#[test]
fn row_numbers_match_the_whole_file_reader() {
    for seed in 0..40 {
        let text = generated_csv(seed, 200);
        let expected = reference_numbers(&text);
        let seen = stream("g.csv", text.as_bytes()).expect("read");
        let numbers: Vec<usize> = std::iter::once(1)
            .chain(seen.rows.iter().map(|r| r.0))
            .collect();
        assert_eq!(numbers, expected, "seed {seed}");
        if seed < 4 {
            let seen = trickle(&gbk(&text), 3).expect("GBK read");
            let gbk_numbers: Vec<usize> = std::iter::once(1)
                .chain(seen.rows.iter().map(|r| r.0))
                .collect();
            assert_eq!(gbk_numbers, expected, "seed {seed}, GBK");
        }
    }
    // Large enough to cross every internal buffer many times.
    let text = generated_csv(99, 60_000);
    assert!(text.len() > 8 * HEAD);
    let seen = stream("g.csv", text.as_bytes()).expect("read");
    let numbers: Vec<usize> = std::iter::once(1)
        .chain(seen.rows.iter().map(|r| r.0))
        .collect();
    assert_eq!(numbers, reference_numbers(&text));
}

#[test]
fn chunk_boundary_inside_a_character() {
    // The first 64 KiB end inside a character, for each offset into it.
    for (label, encode, width) in [
        (
            "UTF-8",
            (|t: &str| t.as_bytes().to_vec()) as fn(&str) -> Vec<u8>,
            3,
        ),
        ("GBK", gbk as fn(&str) -> Vec<u8>, 2),
    ] {
        for shift in 0..width {
            let header = "name,note\n";
            let filler = "x".repeat(HEAD - header.len() - 2 - shift);
            let text = format!("{header}{filler},中文字\nb,尾\n");
            let bytes = encode(&text);
            assert!(bytes.len() > HEAD);
            let seen = stream("b.csv", &bytes).expect(label);
            assert_eq!(
                seen.rows,
                vec![
                    (2, strings(&[filler.as_str(), "中文字"])),
                    (3, strings(&["b", "尾"])),
                ],
                "{label}, shift {shift}"
            );
        }
    }
}

#[test]
fn gbk_after_a_long_ascii_start_is_still_gbk() {
    // More than the first 64 KiB are ASCII: the encoding is decided at the
    // first non-ASCII byte, whatever its position.
    let mut text = String::from("code,amount\r\n");
    for i in 0..20_000 {
        text.push_str(&format!("P{i:05},{i}\r\n"));
    }
    text.push_str("华东,上海\r\n");
    let bytes = gbk(&text);
    assert!(bytes.len() > 2 * HEAD);
    let seen = stream("late.csv", &bytes).expect("GBK read");
    assert_eq!(seen.rows.len(), 20_001);
    assert_eq!(
        seen.rows.last(),
        Some(&(20_002, strings(&["华东", "上海"])))
    );
}

#[test]
fn invalid_utf8_after_a_utf8_start_is_an_encoding_error() {
    let mut bytes = "名称\n中文\n".as_bytes().to_vec();
    bytes.extend(std::iter::repeat_n(b'a', 2 * HEAD));
    bytes.extend(b"\n\xFF\xFE\n");
    let err = stream("bad.csv", &bytes).expect_err("invalid later");
    assert!(matches!(err, DocError::Encoding), "{err:?}");
    // Binary data after the start is not text either.
    let mut bytes = b"name\n".to_vec();
    bytes.extend(std::iter::repeat_n(b'a', HEAD));
    bytes.extend(b"\n\0\0\n");
    let err = stream("nul.csv", &bytes).expect_err("binary");
    assert!(matches!(err, DocError::UnknownFormat), "{err:?}");
}

#[test]
fn a_sink_can_stop_early_or_fail() {
    let text = "n\n1\n2\n3\n4\n";
    let mut seen = Seen {
        stop_after: Some(2),
        ..Seen::default()
    };
    stream_table(Cursor::new(text), None, &mut seen).expect("stopped");
    assert_eq!(seen.rows, vec![(2, strings(&["1"])), (3, strings(&["2"]))]);

    struct Refuse;
    impl RowSink for Refuse {
        fn header(&mut self, _: &[String]) -> Result<(), DocError> {
            Ok(())
        }
        fn row(&mut self, _: usize, _: &[&str]) -> Result<bool, DocError> {
            Err(DocError::TooLarge { limit: 0 })
        }
    }
    let err = stream_table(Cursor::new(text), None, &mut Refuse).expect_err("refused");
    assert!(matches!(err, DocError::TooLarge { limit: 0 }), "{err:?}");
}

#[test]
fn refusals_and_empty_files_when_streaming() {
    let ole = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0];
    let mut seen = Seen::default();
    let err = stream_table(Cursor::new(&ole[..]), None, &mut seen).expect_err("OLE");
    assert!(matches!(err, DocError::UnknownFormat), "{err:?}");
    let err = stream("a.numbers", b"a,b").expect_err("numbers");
    assert!(matches!(err, DocError::UnknownFormat), "{err:?}");
    let err = stream("a.csv", b"\r\n ,\r\n").expect_err("empty");
    assert!(matches!(err, DocError::Empty), "{err:?}");
    // A source not at its start: the XLSX reader seeks back to where it began.
    let bytes = write_xlsx("s", &["h"], &[strings(&["v"])]).expect("xlsx");
    let mut source = Cursor::new(bytes);
    source.seek(SeekFrom::Start(0)).expect("seek");
    let mut seen = Seen::default();
    stream_table(source, None, &mut seen).expect("xlsx");
    assert_eq!(seen.rows, vec![(2, strings(&["v"]))]);
}

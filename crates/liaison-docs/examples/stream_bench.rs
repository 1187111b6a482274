//! Times `stream_table` on a generated 1,000,000-row, 4-column CSV (about 60 MB).
//!
//! `cargo run --release -p liaison-docs --example stream_bench [rows] [utf8|gbk]`

use std::io::{BufWriter, Write};
use std::time::Instant;

use liaison_docs::{DocError, RowSink, stream_table};

struct Count {
    rows: usize,
    bytes: usize,
    last: usize,
}

impl RowSink for Count {
    fn header(&mut self, _cells: &[String]) -> Result<(), DocError> {
        Ok(())
    }

    fn row(&mut self, number: usize, cells: &[&str]) -> Result<bool, DocError> {
        self.rows += 1;
        self.bytes += cells.iter().map(|c| c.len()).sum::<usize>();
        self.last = number;
        Ok(true)
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let rows: usize = args.next().map_or(Ok(1_000_000), |a| a.parse())?;
    let gbk = args.next().is_some_and(|a| a == "gbk");
    let path =
        std::env::temp_dir().join(format!("liaison-stream-bench-{}.csv", std::process::id()));
    {
        let mut out = BufWriter::new(std::fs::File::create(&path)?);
        let mut line = String::new();
        let mut write = |line: &str| -> std::io::Result<()> {
            if gbk {
                out.write_all(&encoding_rs::GBK.encode(line).0)
            } else {
                out.write_all(line.as_bytes())
            }
        };
        write("partner_code,partner_name,month,sales_amount\r\n")?;
        for i in 0..rows {
            line.clear();
            use std::fmt::Write as _;
            write!(
                line,
                "P{i:08},华东渠道伙伴 Shanghai {},{}-{:02},{}.{:02}\r\n",
                i % 997,
                2020 + i % 6,
                1 + i % 12,
                (i * 7919) % 1_000_000,
                i % 100
            )?;
            write(&line)?;
        }
        out.flush()?;
    }
    let size = std::fs::metadata(&path)?.len();
    let file = std::fs::File::open(&path)?;
    let mut sink = Count {
        rows: 0,
        bytes: 0,
        last: 0,
    };
    let started = Instant::now();
    let result = stream_table(file, Some("bench.csv"), &mut sink);
    let seconds = started.elapsed().as_secs_f64();
    std::fs::remove_file(&path)?;
    result?;
    assert_eq!(sink.rows, rows);
    assert_eq!(sink.last, rows + 1);
    println!(
        "{} rows, {:.1} MB ({}): {seconds:.3} s, {:.0} rows/s, {:.0} MB/s ({} cell bytes)",
        sink.rows,
        size as f64 / 1e6,
        if gbk { "GBK" } else { "UTF-8" },
        sink.rows as f64 / seconds,
        size as f64 / 1e6 / seconds,
        sink.bytes
    );
    Ok(())
}

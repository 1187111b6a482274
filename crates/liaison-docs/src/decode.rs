//! Incremental decoding of CSV bytes to UTF-8 for the CSV parser, with fixed
//! buffers: the encoding is told from the first bytes, and the line structure
//! of the decoded text is tracked so records get their spreadsheet row number.

use std::collections::VecDeque;
use std::io::{self, Read};

use encoding_rs::{Decoder, DecoderResult, Encoding, GB18030, UTF_8};

use crate::{DocError, HEAD};

/// A `Read` of UTF-8 text decoded from `source`: UTF-8, UTF-16LE or UTF-16BE
/// when a BOM says so (the BOM is dropped); otherwise ASCII is passed through
/// until the first non-ASCII byte, and the text from there on is decoded as
/// UTF-8 if the next 64 KiB are valid UTF-8, else as GBK (its superset
/// GB18030), which is what Chinese Excel writes. Once decided, bytes that are
/// not valid in the encoding fail the read with [`DocError::Encoding`], and a
/// NUL character (binary data, not text) with [`DocError::UnknownFormat`]: the
/// reason is kept in [`Decoded::failure`].
pub(crate) struct Decoded<R> {
    source: R,
    /// Undecoded input: `raw[start..end]`.
    raw: Box<[u8]>,
    start: usize,
    end: usize,
    /// The source has no more bytes.
    eof: bool,
    /// `None` while everything so far was ASCII and no BOM was seen.
    decoder: Option<Decoder>,
    /// The decoder has been told the input ended.
    flushed: bool,
    /// Decoded text not yet handed out: `stage[stage_pos..stage_len]`.
    stage: Box<[u8]>,
    stage_pos: usize,
    stage_len: usize,
    /// Bytes of decoded text produced so far.
    produced: u64,
    lines: Lines,
    failure: Option<DocError>,
}

impl<R: Read> Decoded<R> {
    /// `head` holds the first bytes of the input (up to [`HEAD`], fewer only
    /// when that is all there is); `source` continues after them.
    pub(crate) fn new(head: Vec<u8>, source: R) -> Self {
        let eof = head.len() < HEAD;
        let end = head.len();
        let mut raw = head;
        raw.resize(HEAD.max(end), 0);
        let (decoder, start) = match Encoding::for_bom(&raw[..end]) {
            Some((encoding, bom)) => (Some(encoding.new_decoder_without_bom_handling()), bom),
            None => (None, 0),
        };
        Decoded {
            source,
            raw: raw.into_boxed_slice(),
            start,
            end,
            eof,
            decoder,
            flushed: false,
            stage: vec![0; HEAD].into_boxed_slice(),
            stage_pos: 0,
            stage_len: 0,
            produced: 0,
            lines: Lines::default(),
            failure: None,
        }
    }

    /// The first decoded text (up to 64 KiB, whole characters), still to be
    /// read: for telling the delimiter before parsing.
    pub(crate) fn peek(&mut self) -> io::Result<&str> {
        let mut stage = std::mem::take(&mut self.stage);
        let mut len = self.stage_len;
        let result = loop {
            match stage.get_mut(len..) {
                Some(free) if free.len() >= 4 => match self.produce(free) {
                    Ok(0) => break Ok(()),
                    Ok(n) => len += n,
                    Err(e) => break Err(e),
                },
                _ => break Ok(()),
            }
        };
        self.stage = stage;
        self.stage_len = len;
        result?;
        let text = self.stage.get(self.stage_pos..len).unwrap_or_default();
        Ok(match std::str::from_utf8(text) {
            Ok(text) => text,
            // Not expected (the decoder writes whole characters): the valid part.
            Err(e) => std::str::from_utf8(&text[..e.valid_up_to()]).unwrap_or_default(),
        })
    }

    /// The 0-based line of the first non-empty line starting at or after
    /// decoded byte `offset` (where a CSV record starts: records start at a
    /// line start, after any blank lines). Lines before it are forgotten.
    pub(crate) fn line_at(&mut self, offset: u64) -> u64 {
        while self
            .lines
            .starts
            .front()
            .is_some_and(|&(at, _)| at < offset)
        {
            self.lines.starts.pop_front();
        }
        self.lines
            .starts
            .front()
            .map_or(self.lines.line, |&(_, line)| line)
    }

    /// Why the last read failed, if it was the text rather than the source.
    pub(crate) fn failure(&mut self) -> Option<DocError> {
        self.failure.take()
    }

    /// Reads more input into `raw` (moving the unread part to the front);
    /// with `full`, until `raw` is full or the source ends.
    fn fill(&mut self, full: bool) -> io::Result<()> {
        if self.start > 0 {
            self.raw.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        while !self.eof && self.end < self.raw.len() {
            match self.source.read(&mut self.raw[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(n) => {
                    self.end += n;
                    if !full {
                        break;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Decodes into `dst` (at least 4 bytes, so a character always fits);
    /// 0 only at the end of the text.
    fn produce(&mut self, dst: &mut [u8]) -> io::Result<usize> {
        let n = self.decode(dst)?;
        let at = self.produced;
        self.produced += n as u64;
        if !self.lines.track(&dst[..n], at) {
            self.failure = Some(DocError::UnknownFormat);
            return Err(io::Error::new(io::ErrorKind::InvalidData, "NUL in text"));
        }
        Ok(n)
    }

    fn decode(&mut self, dst: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.start == self.end && !self.eof {
                self.fill(false)?;
                continue;
            }
            let Some(decoder) = &mut self.decoder else {
                let input = &self.raw[self.start..self.end];
                if input.is_empty() {
                    return Ok(0);
                }
                let n = input
                    .iter()
                    .take(dst.len())
                    .position(|b| !b.is_ascii())
                    .unwrap_or(input.len().min(dst.len()));
                if n > 0 {
                    dst[..n].copy_from_slice(&input[..n]);
                    self.start += n;
                    return Ok(n);
                }
                // The first non-ASCII byte: look at what follows to decide.
                self.fill(true)?;
                let input = &self.raw[self.start..self.end];
                let utf8 = match std::str::from_utf8(input) {
                    Ok(_) => true,
                    // Cut inside a character only because the buffer is full.
                    Err(e) => e.error_len().is_none() && !self.eof,
                };
                let encoding = if utf8 { UTF_8 } else { GB18030 };
                self.decoder = Some(encoding.new_decoder_without_bom_handling());
                continue;
            };
            if self.flushed {
                return Ok(0);
            }
            let last = self.eof;
            let (result, read, written) = decoder.decode_to_utf8_without_replacement(
                &self.raw[self.start..self.end],
                dst,
                last,
            );
            self.start += read;
            match result {
                DecoderResult::Malformed(..) => {
                    self.failure = Some(DocError::Encoding);
                    return Err(io::Error::new(io::ErrorKind::InvalidData, "not text"));
                }
                DecoderResult::InputEmpty if last => self.flushed = true,
                DecoderResult::InputEmpty => {}
                DecoderResult::OutputFull if written == 0 => {
                    return Err(io::Error::other("decoding buffer too small"));
                }
                DecoderResult::OutputFull => {}
            }
            if written > 0 || self.flushed {
                return Ok(written);
            }
        }
    }
}

impl<R: Read> Read for Decoded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.stage_pos == self.stage_len {
            if buf.len() >= 4 {
                return self.produce(buf);
            }
            let mut stage = std::mem::take(&mut self.stage);
            let produced = self.produce(&mut stage);
            self.stage = stage;
            self.stage_pos = 0;
            self.stage_len = produced?;
        }
        let staged = &self.stage[self.stage_pos..self.stage_len];
        let n = staged.len().min(buf.len());
        buf[..n].copy_from_slice(&staged[..n]);
        self.stage_pos += n;
        Ok(n)
    }
}

/// Line breaks in the decoded text: LF, CR LF (one break) or a lone CR, the
/// same rule as for the line breaks inside cells.
struct Lines {
    /// Breaks so far (the 0-based line of the next byte).
    line: u64,
    /// The last byte was a CR (a break, unless an LF follows).
    pending_cr: bool,
    /// The last byte ended a line (or nothing was read yet).
    ended: bool,
    /// Where non-empty lines start, and their line: (offset, line).
    starts: VecDeque<(u64, u64)>,
}

impl Default for Lines {
    fn default() -> Self {
        Lines {
            line: 0,
            pending_cr: false,
            ended: true,
            starts: VecDeque::new(),
        }
    }
}

impl Lines {
    /// Follows `bytes`, the decoded text from offset `at`; false on a NUL.
    fn track(&mut self, bytes: &[u8], at: u64) -> bool {
        for (i, &b) in bytes.iter().enumerate() {
            match b {
                b'\n' => {
                    self.pending_cr = false;
                    self.line += 1;
                    self.ended = true;
                }
                b'\r' => {
                    if self.pending_cr {
                        self.line += 1;
                    }
                    self.pending_cr = true;
                    self.ended = false;
                }
                0 => return false,
                _ => {
                    if self.pending_cr {
                        self.pending_cr = false;
                        self.line += 1;
                        self.ended = true;
                    }
                    if self.ended {
                        self.ended = false;
                        self.starts.push_back((at + i as u64, self.line));
                    }
                }
            }
        }
        true
    }
}

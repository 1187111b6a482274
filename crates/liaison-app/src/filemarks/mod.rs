//! Marks on a downloaded confidential file (policy §7.3; SPEC G6): a visible watermark naming
//! the reader, and an invisible copy code naming their delivery that `leaks::trace_file` reads
//! back. PDF: grey diagonal Helvetica text over every page and an Info entry; PNG and JPEG: a
//! tiled, semi-transparent bitmap-font stamp and a tEXt chunk or COM segment. The codes are
//! made (and checked) in `leaks`; this module only writes and reads bytes, and never panics on
//! a malformed file: it says why it could not mark it.

mod font;

/// The key the copy code is stored under (PDF Info entry, PNG tEXt keyword, JPEG comment).
pub const KEY: &str = "LiaisonCopy";
/// Decoded images larger than this are served unmarked (a small file can inflate to gigabytes).
const MAX_PIXELS: u64 = 40_000_000;

/// The kinds of file that carry marks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Pdf,
    Png,
    Jpeg,
}

impl Kind {
    /// The kind of a stored file by its content type; `None`: served as it is.
    pub fn of(content_type: &str) -> Option<Kind> {
        match content_type {
            "application/pdf" => Some(Kind::Pdf),
            "image/png" => Some(Kind::Png),
            "image/jpeg" => Some(Kind::Jpeg),
            _ => None,
        }
    }

    /// The kind of an uploaded file by its first bytes.
    pub fn sniff(bytes: &[u8]) -> Option<Kind> {
        if bytes.starts_with(b"%PDF-") {
            Some(Kind::Pdf)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Kind::Png)
        } else if bytes.starts_with(b"\xFF\xD8\xFF") {
            Some(Kind::Jpeg)
        } else {
            None
        }
    }
}

/// Why a file could not be marked (it is then served unmarked, and the audit entry says so).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Unmarkable(pub String);

fn fail(what: &str, e: impl std::fmt::Display) -> Unmarkable {
    Unmarkable(format!("{what}: {e}"))
}

/// The file with `lines` drawn over it and `code` stored in it.
pub fn mark(kind: Kind, bytes: &[u8], lines: &[String], code: &str) -> Result<Vec<u8>, Unmarkable> {
    let lines: Vec<String> = lines.iter().map(|l| ascii(l)).collect();
    match kind {
        Kind::Pdf => pdf::mark(bytes, &lines, code),
        Kind::Png => raster::mark_png(bytes, &lines, code),
        Kind::Jpeg => raster::mark_jpeg(bytes, &lines, code),
    }
}

/// The copy code stored in a marked file, if it kept one.
pub fn read_code(bytes: &[u8]) -> Option<String> {
    match Kind::sniff(bytes)? {
        Kind::Pdf => pdf::read_code(bytes),
        Kind::Png => raster::png_code(bytes),
        Kind::Jpeg => raster::jpeg_code(bytes),
    }
}

/// Printable ASCII only: the PDF standard fonts and the bitmap font have nothing else.
fn ascii(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect()
}

mod pdf {
    use super::{KEY, Unmarkable, fail};
    use lopdf::{Dictionary, Document, Object, ObjectId, Stream, dictionary};

    const FONT: &str = "LiaisonWmF";
    const STATE: &str = "LiaisonWmGs";

    pub fn mark(bytes: &[u8], lines: &[String], code: &str) -> Result<Vec<u8>, Unmarkable> {
        let mut doc = Document::load_mem(bytes).map_err(|e| fail("unreadable PDF", e))?;
        if doc.is_encrypted() || doc.was_encrypted() {
            return Err(Unmarkable("encrypted PDF".into()));
        }
        let pages: Vec<ObjectId> = doc.get_pages().into_values().collect();
        if pages.is_empty() {
            return Err(Unmarkable("PDF without pages".into()));
        }
        let font = doc.add_object(dictionary! {
            "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
            "Encoding" => "WinAnsiEncoding",
        });
        let state = doc.add_object(dictionary! {
            "Type" => "ExtGState", "ca" => 0.28f32, "CA" => 0.28f32,
        });
        for page in pages {
            let bbox = media_box(&doc, page);
            let mut res = resources(&doc, page);
            add_entry(&doc, &mut res, "Font", FONT, font);
            add_entry(&doc, &mut res, "ExtGState", STATE, state);
            let mut contents = contents(&doc, page);
            let open = doc.add_object(Stream::new(Dictionary::new(), b"q\n".to_vec()));
            let stamp = doc.add_object(Stream::new(Dictionary::new(), stamp(bbox, lines)));
            contents.insert(0, Object::Reference(open));
            contents.push(Object::Reference(stamp));
            let p = doc
                .get_object_mut(page)
                .and_then(Object::as_dict_mut)
                .map_err(|e| fail("PDF page", e))?;
            p.set("Resources", res);
            p.set("Contents", contents);
        }
        let info = match doc.trailer.get(b"Info").and_then(Object::as_reference) {
            Ok(id) if doc.get_dictionary(id).is_ok() => id,
            _ => {
                let id = doc.add_object(Dictionary::new());
                doc.trailer.set("Info", id);
                id
            }
        };
        doc.get_dictionary_mut(info)
            .map_err(|e| fail("PDF Info", e))?
            .set(KEY, Object::string_literal(code));
        let mut out = Vec::with_capacity(bytes.len() + 4096);
        doc.save_to(&mut out).map_err(|e| fail("PDF writer", e))?;
        Ok(out)
    }

    /// The page's box, inherited from its parents when it has none (US Letter at worst).
    fn media_box(doc: &Document, page: ObjectId) -> [f32; 4] {
        let mut node = doc.get_dictionary(page).ok();
        for _ in 0..32 {
            let Some(d) = node else { break };
            if let Ok(Object::Array(a)) = d.get(b"MediaBox").map(|o| deref(doc, o)) {
                let n: Vec<f32> = a
                    .iter()
                    .filter_map(|o| deref(doc, o).as_float().ok())
                    .collect();
                if let [x0, y0, x1, y1] = n[..] {
                    return [x0.min(x1), y0.min(y1), x0.max(x1), y0.max(y1)];
                }
            }
            node = d
                .get(b"Parent")
                .and_then(Object::as_reference)
                .and_then(|id| doc.get_dictionary(id))
                .ok();
        }
        [0.0, 0.0, 612.0, 792.0]
    }

    fn deref<'a>(doc: &'a Document, o: &'a Object) -> &'a Object {
        match o {
            Object::Reference(id) => doc.get_object(*id).unwrap_or(o),
            _ => o,
        }
    }

    /// A copy of the page's resources (its own, referred or inherited), to add ours to.
    fn resources(doc: &Document, page: ObjectId) -> Dictionary {
        match doc.get_page_resources(page) {
            Ok((Some(d), _)) => d.clone(),
            Ok((None, ids)) => ids
                .first()
                .and_then(|id| doc.get_dictionary(*id).ok())
                .cloned()
                .unwrap_or_default(),
            Err(_) => Dictionary::new(),
        }
    }

    fn add_entry(doc: &Document, res: &mut Dictionary, kind: &str, name: &str, id: ObjectId) {
        let mut sub = match res.get(kind.as_bytes()).map(|o| deref(doc, o)) {
            Ok(Object::Dictionary(d)) => d.clone(),
            _ => Dictionary::new(),
        };
        sub.set(name, Object::Reference(id));
        res.set(kind, sub);
    }

    fn contents(doc: &Document, page: ObjectId) -> Vec<Object> {
        let Ok(p) = doc.get_dictionary(page) else {
            return Vec::new();
        };
        match p.get(b"Contents") {
            Ok(Object::Reference(id)) => match doc.get_object(*id) {
                Ok(Object::Array(a)) => a.clone(),
                _ => vec![Object::Reference(*id)],
            },
            Ok(Object::Array(a)) => a.clone(),
            _ => Vec::new(),
        }
    }

    /// The watermark content: the page's own drawing closed off (`Q`), then the lines repeated
    /// diagonally across the box in translucent grey.
    fn stamp(b: [f32; 4], lines: &[String]) -> Vec<u8> {
        let (w, h) = (b[2] - b[0], b[3] - b[1]);
        let size = (w.min(h) / 40.0).clamp(7.0, 14.0);
        let lead = size * 1.3;
        let text: String = lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let dy = if i == 0 { 0.0 } else { -lead };
                format!("0 {dy:.2} Td ({}) Tj\n", escape(l))
            })
            .collect();
        let mut s = format!("Q\nq\n/{STATE} gs\n0.45 g\nBT\n/{FONT} {size:.2} Tf\n");
        let step_y = lead * (lines.len() as f32 + 3.0);
        let step_x = size * 0.5 * lines.iter().map(|l| l.len()).max().unwrap_or(1) as f32 + 60.0;
        let mut row = 0;
        let mut y = b[1] - w;
        while y < b[3] + step_y {
            let mut x = b[0] - h + if row % 2 == 0 { 0.0 } else { step_x / 2.0 };
            while x < b[2] {
                s.push_str(&format!(
                    "0.7071 0.7071 -0.7071 0.7071 {x:.2} {y:.2} Tm\n{text}"
                ));
                x += step_x;
            }
            y += step_y;
            row += 1;
        }
        s.push_str("ET\nQ\n");
        s.into_bytes()
    }

    fn escape(s: &str) -> String {
        s.chars()
            .flat_map(|c| match c {
                '(' | ')' | '\\' => vec!['\\', c],
                c => vec![c],
            })
            .collect()
    }

    /// The code from the Info entry: found in the bytes as written, or by reading the document
    /// when another program rewrote it.
    pub fn read_code(bytes: &[u8]) -> Option<String> {
        let key = format!("/{KEY}");
        if let Some(at) = find(bytes, key.as_bytes()) {
            let rest = &bytes[at + key.len()..];
            let rest = &rest[rest.iter().position(|b| !b.is_ascii_whitespace())?..];
            if let Some(body) = rest.strip_prefix(b"(") {
                let end = body.iter().position(|&b| b == b')')?;
                return String::from_utf8(body[..end].to_vec()).ok();
            }
        }
        let doc = Document::load_mem(bytes).ok()?;
        let info = doc
            .trailer
            .get(b"Info")
            .and_then(Object::as_reference)
            .and_then(|id| doc.get_dictionary(id))
            .ok()?;
        let s = info.get(KEY.as_bytes()).ok()?.as_str().ok()?;
        String::from_utf8(s.to_vec()).ok()
    }

    fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
        hay.windows(needle.len()).rposition(|w| w == needle)
    }
}

mod raster {
    use super::{KEY, MAX_PIXELS, Unmarkable, fail, font};
    use std::io::Cursor;

    /// Draws the lines tiled along the rising diagonal, blended at 35 % in mid grey (seen on
    /// light and dark pictures alike). `px` holds `channels` bytes a pixel, colour first.
    fn stamp(px: &mut [u8], w: usize, h: usize, channels: usize, lines: &[String]) {
        let scale = (w.min(h) / 320).max(1);
        let cols = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0);
        if cols == 0 {
            return;
        }
        let cell_w = font::WIDTH + 1;
        let cell_h = font::HEIGHT + 3;
        let block_w = cols * cell_w;
        let block_h = lines.len() * cell_h;
        let glyphs: Vec<Vec<[u8; font::HEIGHT]>> = lines
            .iter()
            .map(|l| l.chars().map(font::glyph).collect())
            .collect();
        let ink = |tx: usize, ty: usize| -> bool {
            let (line, row) = (ty / cell_h, ty % cell_h);
            let (col, bit) = (tx / cell_w, tx % cell_w);
            if row >= font::HEIGHT || bit >= font::WIDTH {
                return false;
            }
            glyphs
                .get(line)
                .and_then(|g| g.get(col))
                .is_some_and(|g| g[row] >> (font::WIDTH - 1 - bit) & 1 == 1)
        };
        let pitch_x = (block_w + 4 * cell_w) as f32;
        let pitch_y = (block_h + 2 * cell_h) as f32;
        let k = std::f32::consts::FRAC_1_SQRT_2 / scale as f32;
        for y in 0..h {
            for x in 0..w {
                // Text space: along the rising diagonal (u) and across it (v), in font pixels;
                // every other row shifted by half a block.
                let (xf, yf) = (x as f32, y as f32);
                let u = (xf - yf) * k;
                let v = (xf + yf) * k;
                let row = (v / pitch_y).floor();
                let ty = (v - row * pitch_y) as usize;
                let tx = (u + row * pitch_x / 2.0).rem_euclid(pitch_x) as usize;
                if tx < block_w && ty < block_h && ink(tx, ty) {
                    let i = (y * w + x) * channels;
                    for c in &mut px[i..i + channels.min(3)] {
                        *c = ((*c as u32 * 65 + 128 * 35) / 100) as u8;
                    }
                    if channels == 4 {
                        px[i + 3] = px[i + 3].max(90);
                    }
                }
            }
        }
    }

    fn check_size(w: u64, h: u64) -> Result<(), Unmarkable> {
        if w * h > MAX_PIXELS {
            return Err(Unmarkable(format!("image too large to mark ({w}x{h})")));
        }
        Ok(())
    }

    pub fn mark_png(bytes: &[u8], lines: &[String], code: &str) -> Result<Vec<u8>, Unmarkable> {
        let mut dec = png::Decoder::new_with_limits(
            Cursor::new(bytes),
            png::Limits {
                bytes: 4 * MAX_PIXELS as usize,
            },
        );
        dec.set_transformations(png::Transformations::normalize_to_color8());
        let mut reader = dec.read_info().map_err(|e| fail("unreadable PNG", e))?;
        let (w, h) = reader.info().size();
        check_size(w as u64, h as u64)?;
        let size = reader
            .output_buffer_size()
            .ok_or_else(|| Unmarkable("PNG too large".into()))?;
        let mut buf = vec![0; size];
        let out = reader
            .next_frame(&mut buf)
            .map_err(|e| fail("unreadable PNG", e))?;
        buf.truncate(out.buffer_size());
        let (w, h) = (out.width as usize, out.height as usize);
        let (mut px, color) = match out.color_type {
            png::ColorType::Rgba => (buf, png::ColorType::Rgba),
            png::ColorType::Rgb => (buf, png::ColorType::Rgb),
            png::ColorType::GrayscaleAlpha => (
                buf.chunks_exact(2)
                    .flat_map(|p| [p[0], p[0], p[0], p[1]])
                    .collect(),
                png::ColorType::Rgba,
            ),
            png::ColorType::Grayscale => (
                buf.iter().flat_map(|&g| [g, g, g]).collect(),
                png::ColorType::Rgb,
            ),
            png::ColorType::Indexed => return Err(Unmarkable("PNG palette not expanded".into())),
        };
        let channels = if color == png::ColorType::Rgba { 4 } else { 3 };
        if px.len() < w * h * channels {
            return Err(Unmarkable("PNG data short".into()));
        }
        stamp(&mut px, w, h, channels, lines);
        let mut outb = Vec::with_capacity(bytes.len() + 1024);
        let mut enc = png::Encoder::new(&mut outb, w as u32, h as u32);
        enc.set_color(color);
        enc.set_depth(png::BitDepth::Eight);
        enc.add_text_chunk(KEY.to_string(), code.to_string())
            .map_err(|e| fail("PNG writer", e))?;
        let mut wr = enc.write_header().map_err(|e| fail("PNG writer", e))?;
        wr.write_image_data(&px[..w * h * channels])
            .map_err(|e| fail("PNG writer", e))?;
        wr.finish().map_err(|e| fail("PNG writer", e))?;
        Ok(outb)
    }

    pub fn mark_jpeg(bytes: &[u8], lines: &[String], code: &str) -> Result<Vec<u8>, Unmarkable> {
        let mut dec = jpeg_decoder::Decoder::new(Cursor::new(bytes));
        dec.set_max_decoding_buffer_size(4 * MAX_PIXELS as usize);
        dec.read_info().map_err(|e| fail("unreadable JPEG", e))?;
        let info = dec
            .info()
            .ok_or_else(|| Unmarkable("unreadable JPEG".into()))?;
        let (w, h) = (info.width as usize, info.height as usize);
        check_size(w as u64, h as u64)?;
        let data = dec.decode().map_err(|e| fail("unreadable JPEG", e))?;
        let mut px: Vec<u8> = match info.pixel_format {
            jpeg_decoder::PixelFormat::RGB24 => data,
            jpeg_decoder::PixelFormat::L8 => data.iter().flat_map(|&g| [g, g, g]).collect(),
            jpeg_decoder::PixelFormat::L16 => data
                .chunks_exact(2)
                .flat_map(|p| [p[0], p[0], p[0]])
                .collect(),
            jpeg_decoder::PixelFormat::CMYK32 => data
                .chunks_exact(4)
                .flat_map(|p| {
                    let k = 255 - p[3] as u32;
                    let f = |c: u8| ((255 - c as u32) * k / 255) as u8;
                    [f(p[0]), f(p[1]), f(p[2])]
                })
                .collect(),
        };
        if px.len() < w * h * 3 {
            return Err(Unmarkable("JPEG data short".into()));
        }
        stamp(&mut px, w, h, 3, lines);
        let mut encoded = Vec::with_capacity(bytes.len() + 1024);
        jpeg_encoder::Encoder::new(&mut encoded, 90)
            .encode(
                &px[..w * h * 3],
                w as u16,
                h as u16,
                jpeg_encoder::ColorType::Rgb,
            )
            .map_err(|e| fail("JPEG writer", e))?;
        // The copy code as a COM segment right after SOI.
        let comment = format!("{KEY}={code}");
        let len = u16::try_from(comment.len() + 2).map_err(|e| fail("JPEG comment", e))?;
        let mut out = Vec::with_capacity(encoded.len() + comment.len() + 4);
        out.extend_from_slice(encoded.get(..2).unwrap_or(b"\xFF\xD8"));
        out.extend_from_slice(&[0xFF, 0xFE]);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(comment.as_bytes());
        out.extend_from_slice(encoded.get(2..).unwrap_or_default());
        Ok(out)
    }

    pub fn png_code(bytes: &[u8]) -> Option<String> {
        let mut at = 8;
        while at + 8 <= bytes.len() {
            let len = u32::from_be_bytes(bytes[at..at + 4].try_into().ok()?) as usize;
            let kind = &bytes[at + 4..at + 8];
            let data = bytes.get(at + 8..(at + 8).checked_add(len)?)?;
            if kind == b"tEXt"
                && let Some(v) = data
                    .strip_prefix(KEY.as_bytes())
                    .and_then(|r| r.strip_prefix(b"\0"))
            {
                return String::from_utf8(v.to_vec()).ok();
            }
            if kind == b"IEND" {
                break;
            }
            at += 12 + len;
        }
        None
    }

    pub fn jpeg_code(bytes: &[u8]) -> Option<String> {
        let mut at = 2;
        while at + 4 <= bytes.len() {
            if bytes[at] != 0xFF {
                return None;
            }
            let marker = bytes[at + 1];
            if marker == 0xDA || marker == 0xD9 {
                return None;
            }
            let len = u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]) as usize;
            let data = bytes.get(at + 4..(at + 2).checked_add(len)?)?;
            if marker == 0xFE
                && let Some(v) = data
                    .strip_prefix(KEY.as_bytes())
                    .and_then(|r| r.strip_prefix(b"="))
            {
                return String::from_utf8(v.to_vec()).ok();
            }
            at += 2 + len;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let mut out = Vec::new();
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut wr = enc.write_header().expect("header");
        wr.write_image_data(&vec![250; (w * h * 3) as usize])
            .expect("data");
        wr.finish().expect("finish");
        out
    }

    fn lines() -> Vec<String> {
        vec![
            "ACME-01 li.lei@acme.example".into(),
            "2026-12-05 17:00 UTC".into(),
        ]
    }

    #[test]
    fn a_marked_png_keeps_its_size_and_carries_the_code() {
        let src = png(200, 120);
        let out = mark(Kind::Png, &src, &lines(), "LC1-abc").expect("marked");
        assert_ne!(out, src);
        assert_eq!(read_code(&out).as_deref(), Some("LC1-abc"));
        let dec = png::Decoder::new(Cursor::new(&out[..]));
        let r = dec.read_info().expect("decodes");
        assert_eq!(r.info().size(), (200, 120));
    }

    #[test]
    fn a_marked_jpeg_carries_the_code() {
        let mut src = Vec::new();
        jpeg_encoder::Encoder::new(&mut src, 80)
            .encode(
                &vec![200; 64 * 48 * 3],
                64,
                48,
                jpeg_encoder::ColorType::Rgb,
            )
            .expect("jpeg");
        let out = mark(Kind::Jpeg, &src, &lines(), "LC1-xyz").expect("marked");
        assert_eq!(read_code(&out).as_deref(), Some("LC1-xyz"));
        let mut d = jpeg_decoder::Decoder::new(Cursor::new(&out[..]));
        d.decode().expect("decodes");
        assert_eq!(d.info().map(|i| (i.width, i.height)), Some((64, 48)));
    }

    #[test]
    fn malformed_files_are_refused_not_panicked_on() {
        for bad in [
            &b"%PDF-1.4 nonsense"[..],
            b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR",
            b"\xFF\xD8\xFF\xE0\xFF\xFF",
            b"",
        ] {
            for k in [Kind::Pdf, Kind::Png, Kind::Jpeg] {
                assert!(mark(k, bad, &lines(), "c").is_err());
            }
            assert_eq!(read_code(bad), None);
        }
    }
}

//! A fast path for the JPEGs of an X-ray tree: 8-bit, one component, baseline
//! reduced 1/2, 1/4 or 1/8 while decoding, or progressive reduced 1/8.
//!
//! With a reduction, only the top-left 4×4, 2×2 or 1×1 coefficients of each block
//! are needed, so the time goes to Huffman decoding; jpeg-decoder's general decoder
//! was the measured floor of `ingest folders`. This one decodes coefficients with a
//! 64-bit bit buffer and one table look-up per code, and keeps only those needed.
//! At 1/8 a progressive file needs only its DC scans: the AC scans are not decoded.
//! The scaled IDCTs are jpeg-decoder 0.3's (from stb_image), so the pixels are the
//! same as before.
//!
//! Anything else (progressive above 1/8, 12-bit, colour, CMYK, arithmetic coding, odd
//! sampling, restart markers out of place, data that ends early) returns `None`, and
//! the caller decodes the file with jpeg-decoder, which also words the errors.
//!
//! One file over 500 lines: a decoder kernel whose bit reader, Huffman tables and scan
//! loops share one state.

use std::num::Wrapping;

/// Zig-zag index → natural (row-major) index.
const UNZIGZAG: [u8; 64] = [
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20,
    13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59,
    52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
];

/// Bits looked up at once; longer codes take the slow path.
const LOOKUP_BITS: u32 = 9;

/// A Huffman table: `fast[next 9 bits]` = (code length << 8) | symbol, 0 when the
/// code is longer; `max_code`/`offset` per length for the rest (JPEG Annex F.2.2.3).
struct Huffman {
    fast: [u16; 1 << LOOKUP_BITS],
    max_code: [i32; 18],
    offset: [i32; 17],
    symbols: Vec<u8>,
}

impl Huffman {
    fn new(counts: &[u8; 16], symbols: &[u8]) -> Option<Self> {
        let mut fast = [0u16; 1 << LOOKUP_BITS];
        let mut max_code = [-1i32; 18];
        let mut offset = [0i32; 17];
        let mut code = 0i32;
        let mut k = 0usize;
        for len in 1..=16usize {
            let n = counts[len - 1] as usize;
            offset[len] = k as i32 - code;
            for _ in 0..n {
                let &symbol = symbols.get(k)?;
                // A code space overflow is a corrupt table.
                if code >= 1 << len {
                    return None;
                }
                if len as u32 <= LOOKUP_BITS {
                    let shift = LOOKUP_BITS - len as u32;
                    let first = (code as usize) << shift;
                    for e in &mut fast[first..first + (1 << shift)] {
                        *e = (len as u16) << 8 | symbol as u16;
                    }
                }
                code += 1;
                k += 1;
            }
            if n > 0 {
                max_code[len] = code - 1;
            }
            code <<= 1;
        }
        max_code[17] = i32::MAX; // stops the slow search
        Some(Self { fast, max_code, offset, symbols: symbols[..k].to_vec() })
    }
}

/// The entropy-coded data, MSB first, with `FF 00` unstuffed. At a marker or the end,
/// zero bytes are fed (and counted): using them means the data ended early.
struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
    bits: u64,
    count: u32,
    fake: u32,
}

impl<'a> Bits<'a> {
    fn new(data: &'a [u8], pos: usize) -> Self {
        Self { data, pos, bits: 0, count: 0, fake: 0 }
    }

    #[inline]
    fn refill(&mut self) {
        // Eight bytes at once when none of them is FF (no stuffing, no marker).
        if let Some(chunk) = self.data.get(self.pos..self.pos + 8) {
            let v = u64::from_be_bytes(chunk.try_into().unwrap());
            let inv = !v;
            let has_ff = inv.wrapping_sub(0x0101_0101_0101_0101) & !inv & 0x8080_8080_8080_8080;
            if has_ff == 0 && self.fake == 0 {
                let n = (64 - self.count) / 8;
                let count = self.count + 8 * n;
                let mask = if count == 64 { u64::MAX } else { !(u64::MAX >> count) };
                self.bits |= (v >> self.count) & mask;
                self.pos += n as usize;
                self.count = count;
                return;
            }
        }
        while self.count <= 56 {
            let byte = match self.data.get(self.pos) {
                Some(&0xFF) if self.fake == 0 => match self.data.get(self.pos + 1) {
                    Some(0x00) => {
                        self.pos += 2;
                        0xFF
                    }
                    _ => {
                        self.fake += 8;
                        0
                    }
                },
                Some(&b) if self.fake == 0 => {
                    self.pos += 1;
                    b
                }
                _ => {
                    self.fake += 8;
                    0
                }
            };
            self.bits |= (byte as u64) << (56 - self.count);
            self.count += 8;
        }
    }

    /// True when no fed zero byte was consumed.
    fn intact(&self) -> bool {
        self.count >= self.fake
    }

    #[inline]
    fn take(&mut self, n: u32) -> u32 {
        let v = (self.bits >> (64 - n)) as u32;
        self.bits <<= n;
        self.count -= n;
        v
    }

    /// One symbol; the caller has refilled (≥ 16 bits in the buffer).
    #[inline]
    fn decode(&mut self, h: &Huffman) -> Option<u8> {
        let e = h.fast[(self.bits >> (64 - LOOKUP_BITS)) as usize];
        if e != 0 {
            self.bits <<= e >> 8;
            self.count -= (e >> 8) as u32;
            return Some(e as u8);
        }
        let mut len = LOOKUP_BITS as usize + 1;
        let mut code = (self.bits >> (64 - len)) as i32;
        while code > h.max_code[len] {
            len += 1;
            code = (self.bits >> (64 - len)) as i32;
        }
        if len > 16 {
            return None;
        }
        self.take(len as u32);
        h.symbols.get((code + h.offset[len]) as usize).copied()
    }

    /// A `s`-bit value, sign-extended (JPEG F.2.2.1); the caller has refilled.
    #[inline]
    fn extend(&mut self, s: u32) -> i16 {
        let v = self.take(s) as i32;
        let v = if v < 1 << (s - 1) { v - (1 << s) + 1 } else { v };
        v as i16
    }
}

fn be16(bytes: &[u8], at: usize) -> Option<usize> {
    Some(u16::from_be_bytes([*bytes.get(at)?, *bytes.get(at + 1)?]) as usize)
}

/// Decodes a baseline 8-bit grayscale JPEG reduced by `reduction` (2, 4 or 8), as
/// (height, width, pixels) with sides `⌈side / reduction⌉`; `None` when the file is
/// not of that kind or not intact (see the module doc).
pub fn decode_gray_reduced(bytes: &[u8], reduction: usize) -> Option<(usize, usize, Vec<u8>)> {
    let scale = match reduction {
        2 => 4,
        4 => 2,
        8 => 1,
        _ => return None,
    };
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return None;
    }
    let mut quant: [Option<[u16; 64]>; 4] = [None; 4];
    let mut dc: [Option<Huffman>; 4] = [None, None, None, None];
    let mut ac: [Option<Huffman>; 4] = [None, None, None, None];
    let mut frame: Option<(usize, usize, u8, usize)> = None; // height, width, id, table
    let mut restart = 0usize;
    // A progressive file at 1/8: the DC coefficients of its DC scans (AC scans are
    // skipped unread), and whether a first DC scan was seen.
    let mut progressive: Option<(Vec<i16>, bool)> = None;
    let mut pos = 2;
    loop {
        // A marker, after any fill bytes.
        if *bytes.get(pos)? != 0xFF {
            return None;
        }
        while *bytes.get(pos)? == 0xFF {
            pos += 1;
        }
        let marker = bytes[pos];
        pos += 1;
        if marker == 0xD9 {
            let (h, w, _, qt) = frame?;
            let (dcs, seen) = progressive?;
            let q0 = quant[qt].as_ref()?[0] as i32;
            if !seen {
                return None;
            }
            // The 1×1 IDCT of each block: its pixel.
            let px = dcs
                .iter()
                .map(|&c| clamp((Wrapping(c as i32 * q0) + Wrapping(1024)) / Wrapping(8)));
            return Some((h.div_ceil(8), w.div_ceil(8), px.collect()));
        }
        let len = be16(bytes, pos)?;
        let body = bytes.get(pos + 2..pos + len)?;
        match marker {
            0xDB => {
                let mut b = body;
                while let Some((&pq_tq, rest)) = b.split_first() {
                    let (precision, id) = (pq_tq >> 4, (pq_tq & 15) as usize);
                    let width = if precision == 0 { 1 } else { 2 };
                    let values = rest.get(..64 * width)?;
                    let mut table = [0u16; 64];
                    for (k, &n) in UNZIGZAG.iter().enumerate() {
                        table[n as usize] = if width == 1 {
                            values[k] as u16
                        } else {
                            u16::from_be_bytes([values[2 * k], values[2 * k + 1]])
                        };
                    }
                    if table.contains(&0) {
                        return None;
                    }
                    *quant.get_mut(id)? = Some(table);
                    b = &rest[64 * width..];
                }
            }
            0xC4 => {
                let mut b = body;
                while let Some((&tc_th, rest)) = b.split_first() {
                    let counts: &[u8; 16] = rest.get(..16)?.try_into().ok()?;
                    let n: usize = counts.iter().map(|&c| c as usize).sum();
                    let symbols = rest.get(16..16 + n)?;
                    let table = Huffman::new(counts, symbols)?;
                    let id = (tc_th & 15) as usize;
                    match tc_th >> 4 {
                        0 => *dc.get_mut(id)? = Some(table),
                        1 => *ac.get_mut(id)? = Some(table),
                        _ => return None,
                    }
                    b = &rest[16 + n..];
                }
            }
            // Baseline and extended sequential Huffman, 8-bit, one component 1×1.
            // Baseline, extended sequential and (at 1/8 only) progressive Huffman, 8-bit,
            // one component 1×1.
            0xC0..=0xC2 => {
                if frame.is_some() || body.len() != 9 || body[0] != 8 || body[5] != 1 {
                    return None;
                }
                let (h, w) = (be16(body, 1)?, be16(body, 3)?);
                if h == 0 || w == 0 || body[7] != 0x11 || body[8] > 3 {
                    return None;
                }
                frame = Some((h, w, body[6], body[8] as usize));
                if marker == 0xC2 {
                    if scale != 1 {
                        return None;
                    }
                    progressive = Some((vec![0; w.div_ceil(8) * h.div_ceil(8)], false));
                }
            }
            0xDD if body.len() == 2 => restart = be16(body, 0)?,
            0xDA if progressive.is_some() => {
                let (_, _, id, _) = frame?;
                let (dcs, seen) = progressive.as_mut()?;
                if body.len() != 6 || body[0] != 1 || body[1] != id {
                    return None;
                }
                let (ss, se, ah, al) = (body[3], body[4], body[5] >> 4, body[5] & 15);
                pos = if ss == 0 {
                    if se != 0 || al > 13 {
                        return None;
                    }
                    let table =
                        if ah == 0 { Some(dc.get(body[2] as usize >> 4)?.as_ref()?) } else { None };
                    *seen |= ah == 0;
                    dc_scan(bytes, pos + len, dcs, restart, table, al)?
                } else {
                    skip_scan(bytes, pos + len)?
                };
                continue;
            }
            0xDA => {
                let (h, w, id, qt) = frame?;
                // One component, full spectrum, no successive approximation.
                if body.len() != 6 || body[0] != 1 || body[1] != id || body[3..] != [0, 63, 0] {
                    return None;
                }
                let dc = dc.get(body[2] as usize >> 4)?.as_ref()?;
                let ac = ac.get(body[2] as usize & 15)?.as_ref()?;
                let quant = quant[qt].as_ref()?;
                let (plane, stride, end) =
                    decode_scan(bytes, pos + len, h, w, dc, ac, quant, restart, scale)?;
                // The scan must be followed by the end of the image (a second scan, DNL...
                // is left to jpeg-decoder).
                if bytes.get(end..end + 2)? != [0xFF, 0xD9] {
                    return None;
                }
                let (oh, ow) = (h.div_ceil(reduction), w.div_ceil(reduction));
                let mut out = Vec::with_capacity(oh * ow);
                for row in plane.chunks_exact(stride).take(oh) {
                    out.extend_from_slice(&row[..ow]);
                }
                return Some((oh, ow, out));
            }
            // APPn, COM: skipped.
            0xE0..=0xEF | 0xFE => {}
            // Other frame types, DNL, EOI before a scan, anything unexpected.
            _ => return None,
        }
        pos += len;
    }
}

/// Decodes the entropy-coded data from `start`: the `scale`²-pixel-per-block plane,
/// its row stride, and where the data ended (the position of the next marker).
#[allow(clippy::too_many_arguments)]
fn decode_scan(
    bytes: &[u8],
    start: usize,
    h: usize,
    w: usize,
    dc: &Huffman,
    ac: &Huffman,
    quant: &[u16; 64],
    restart: usize,
    scale: usize,
) -> Option<(Vec<u8>, usize, usize)> {
    let (bw, bh) = (w.div_ceil(8), h.div_ceil(8));
    let stride = bw * scale;
    let mut plane = vec![0u8; stride * bh * scale];
    // Zig-zag positions kept: those inside the top-left scale×scale corner.
    let keep = UNZIGZAG.map(|n| (n as usize % 8) < scale && (n as usize / 8) < scale);
    let mut pred = 0i16;
    let mut coef = [0i16; 64];
    let end = scan_blocks(bytes, start, bw * bh, restart, |bits, b, fresh| {
        if fresh {
            pred = 0;
        }
        let s = bits.decode(dc)? as u32;
        if s > 11 {
            return None;
        }
        let diff = if s == 0 { 0 } else { bits.extend(s) };
        pred = pred.wrapping_add(diff);
        coef[0] = pred;
        let mut k = 1usize;
        while k < 64 {
            if bits.count < 32 {
                bits.refill();
            }
            let rs = bits.decode(ac)?;
            let (r, s) = ((rs >> 4) as usize, (rs & 15) as u32);
            if s == 0 {
                if r != 15 {
                    break; // end of block
                }
                k += 16;
                continue;
            }
            k += r;
            if k > 63 {
                return None;
            }
            let v = bits.extend(s);
            if keep[k] {
                coef[UNZIGZAG[k] as usize] = v;
            }
            k += 1;
        }
        let (bx, by) = (b % bw, b / bw);
        let at = by * scale * stride + bx * scale;
        match scale {
            1 => idct_1x1(&coef, quant, &mut plane[at..]),
            2 => idct_2x2(&coef, quant, stride, &mut plane[at..]),
            _ => idct_4x4(&coef, quant, stride, &mut plane[at..]),
        }
        for n in [0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27] {
            coef[n] = 0;
        }
        Some(())
    })?;
    Some((plane, stride, end))
}

/// Runs `block` on each of `blocks` blocks of the scan data from `start` (with the bit
/// buffer refilled, and `true` for the first block after a restart marker); returns
/// where the data ended (the position of the next marker).
fn scan_blocks(
    bytes: &[u8],
    start: usize,
    blocks: usize,
    restart: usize,
    mut block: impl FnMut(&mut Bits, usize, bool) -> Option<()>,
) -> Option<usize> {
    let mut bits = Bits::new(bytes, start);
    let mut next_rst = 0u8;
    for b in 0..blocks {
        let fresh = restart > 0 && b > 0 && b % restart == 0;
        if fresh {
            // Bits left before the marker are dropped (as jpeg-decoder does: some
            // encoders leave a few); the marker must be the next RSTn in sequence.
            if !bits.intact() {
                return None;
            }
            let at = next_marker(bytes, bits.pos)?;
            if bytes.get(at..at + 2)? != [0xFF, 0xD0 + next_rst] {
                return None;
            }
            next_rst = (next_rst + 1) & 7;
            bits = Bits::new(bytes, at + 2);
        }
        bits.refill();
        block(&mut bits, b, fresh)?;
    }
    if !bits.intact() {
        return None;
    }
    next_marker(bytes, bits.pos)
}

/// A progressive DC scan into `dcs`: a first scan (with its table) or a refinement
/// (one bit per block), as jpeg-decoder stores them.
fn dc_scan(
    bytes: &[u8],
    start: usize,
    dcs: &mut [i16],
    restart: usize,
    table: Option<&Huffman>,
    al: u8,
) -> Option<usize> {
    let mut pred = 0i16;
    scan_blocks(bytes, start, dcs.len(), restart, |bits, b, fresh| {
        if fresh {
            pred = 0;
        }
        match table {
            Some(table) => {
                let s = bits.decode(table)? as u32;
                if s > 11 {
                    return None;
                }
                pred = pred.wrapping_add(if s == 0 { 0 } else { bits.extend(s) });
                dcs[b] = pred << al;
            }
            None => {
                if bits.take(1) == 1 {
                    dcs[b] |= 1 << al;
                }
            }
        }
        Some(())
    })
}

/// Skips the data of a scan (and its restart markers); returns the next marker's position.
fn skip_scan(bytes: &[u8], mut at: usize) -> Option<usize> {
    loop {
        at = next_marker(bytes, at)?;
        if !(0xD0..=0xD7).contains(&bytes[at + 1]) {
            return Some(at);
        }
        at += 2;
    }
}

/// The position of the first marker (`FF` not followed by `00` or a fill `FF`) from `at`.
fn next_marker(bytes: &[u8], mut at: usize) -> Option<usize> {
    loop {
        match bytes.get(at..at + 2)? {
            [0xFF, 0x00] => at += 2, // a stuffed data byte
            [0xFF, 0xFF] => at += 1, // a fill byte
            [0xFF, _] => return Some(at),
            _ => at += 1,
        }
    }
}

fn clamp(x: Wrapping<i32>) -> u8 {
    x.0.clamp(0, 255) as u8
}

/// (The literals are the f32 values of stb_image's 0.541196100, -1.847759065, 0.765366865.)
fn f2f(x: f32) -> Wrapping<i32> {
    Wrapping((x * 4096.0 + 0.5) as i32)
}

fn dequantized(coef: &[i16; 64], quant: &[u16; 64], n: usize) -> Wrapping<i32> {
    Wrapping(coef[n] as i32 * quant[n] as i32)
}

fn idct_1x1(coef: &[i16; 64], quant: &[u16; 64], out: &mut [u8]) {
    out[0] = clamp((dequantized(coef, quant, 0) + Wrapping(128 * 8)) / Wrapping(8));
}

fn idct_2x2(coef: &[i16; 64], quant: &[u16; 64], stride: usize, out: &mut [u8]) {
    const SCALE_BITS: usize = 3;
    let (s00, s10) = (dequantized(coef, quant, 0), dequantized(coef, quant, 8));
    let (s01, s11) = (dequantized(coef, quant, 1), dequantized(coef, quant, 9));
    let round = Wrapping(1 << (SCALE_BITS - 1)) + Wrapping(128 << SCALE_BITS);
    let (x0, x2) = (s00 + s10 + round, s00 - s10 + round);
    let (x1, x3) = (s01 + s11, s01 - s11);
    out[0] = clamp((x0 + x1) >> SCALE_BITS);
    out[1] = clamp((x0 - x1) >> SCALE_BITS);
    out[stride] = clamp((x2 + x3) >> SCALE_BITS);
    out[stride + 1] = clamp((x2 - x3) >> SCALE_BITS);
}

fn idct_4x4(coef: &[i16; 64], quant: &[u16; 64], stride: usize, out: &mut [u8]) {
    const CONST_BITS: usize = 12;
    const PASS1_BITS: usize = 2;
    const FINAL_BITS: usize = CONST_BITS + PASS1_BITS + 3;
    let mut temp = [Wrapping(0i32); 16];
    for i in 0..4 {
        let s0 = dequantized(coef, quant, i);
        let s1 = dequantized(coef, quant, i + 8);
        let s2 = dequantized(coef, quant, i + 16);
        let s3 = dequantized(coef, quant, i + 24);
        let x0 = (s0 + s2) << PASS1_BITS;
        let x2 = (s0 - s2) << PASS1_BITS;
        let p1 = (s1 + s3) * f2f(0.541_196_1);
        let t0 = (p1 + s3 * f2f(-1.847_759) + Wrapping(512)) >> (CONST_BITS - PASS1_BITS);
        let t2 = (p1 + s1 * f2f(0.765_366_85) + Wrapping(512)) >> (CONST_BITS - PASS1_BITS);
        temp[i] = x0 + t2;
        temp[i + 12] = x0 - t2;
        temp[i + 4] = x2 + t0;
        temp[i + 8] = x2 - t0;
    }
    for i in 0..4 {
        let [s0, s1, s2, s3] = [temp[i * 4], temp[i * 4 + 1], temp[i * 4 + 2], temp[i * 4 + 3]];
        let x0 = (s0 + s2) << CONST_BITS;
        let x2 = (s0 - s2) << CONST_BITS;
        let p1 = (s1 + s3) * f2f(0.541_196_1);
        let t0 = p1 + s3 * f2f(-1.847_759);
        let t2 = p1 + s1 * f2f(0.765_366_85);
        let round = Wrapping(1 << (FINAL_BITS - 1)) + Wrapping(128 << FINAL_BITS);
        let (x0, x2) = (x0 + round, x2 + round);
        let row = &mut out[i * stride..][..4];
        row[0] = clamp((x0 + t2) >> FINAL_BITS);
        row[3] = clamp((x0 - t2) >> FINAL_BITS);
        row[1] = clamp((x2 + t0) >> FINAL_BITS);
        row[2] = clamp((x2 - t0) >> FINAL_BITS);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A textured `w × h` gray JPEG (edges and noise, so AC codes of every length occur).
    fn jpeg(w: u16, h: u16, restart: Option<u16>, progressive: bool, optimized: bool) -> Vec<u8> {
        let mut state = 12345u32;
        let gray: Vec<u8> = (0..w as usize * h as usize)
            .map(|i| {
                state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
                let (x, y) = (i % w as usize, i / w as usize);
                let edge = if (x / 37 + y / 23) % 2 == 0 { 40 } else { 200 };
                (edge + (state >> 27) as usize) as u8
            })
            .collect();
        let mut bytes = Vec::new();
        let mut enc = jpeg_encoder::Encoder::new(&mut bytes, 85);
        if let Some(r) = restart {
            enc.set_restart_interval(r);
        }
        enc.set_progressive(progressive);
        enc.set_optimized_huffman_tables(optimized);
        enc.encode(&gray, w, h, jpeg_encoder::ColorType::Luma).unwrap();
        bytes
    }

    /// jpeg-decoder's output at the same reduction, the reference.
    fn reference(bytes: &[u8], reduction: usize) -> (usize, usize, Vec<u8>) {
        let mut d = jpeg_decoder::Decoder::new(bytes);
        d.read_info().unwrap();
        let i = d.info().unwrap();
        let (w, h) = (i.width as usize, i.height as usize);
        d.scale(w.div_ceil(reduction) as u16, h.div_ceil(reduction) as u16).unwrap();
        let px = d.decode().unwrap();
        let i = d.info().unwrap();
        (i.height as usize, i.width as usize, px)
    }

    #[test]
    fn same_pixels_as_jpeg_decoder_at_every_reduction() {
        for (w, h) in [(203, 117), (64, 64), (9, 17)] {
            // (jpeg-encoder's optimized tables with restarts give streams that
            // jpeg-decoder refuses, so restarts are tested with the standard tables.)
            for (restart, optimized) in
                [(None, false), (None, true), (Some(1), false), (Some(5), false)]
            {
                let bytes = jpeg(w, h, restart, false, optimized);
                for reduction in [2, 4, 8] {
                    let ours = decode_gray_reduced(&bytes, reduction)
                        .unwrap_or_else(|| panic!("{w}x{h} {restart:?} 1/{reduction}"));
                    assert_eq!(ours, reference(&bytes, reduction), "{w}x{h} {restart:?}");
                }
            }
            for restart in [None, Some(3)] {
                let bytes = jpeg(w, h, restart, true, false);
                let ours = decode_gray_reduced(&bytes, 8)
                    .unwrap_or_else(|| panic!("{w}x{h} {restart:?} progressive"));
                assert_eq!(ours, reference(&bytes, 8), "{w}x{h} {restart:?} progressive");
            }
        }
    }

    #[test]
    fn mutated_files_are_refused_or_decoded_never_a_panic() {
        // The path parses untrusted bytes by hand: testkit's mutations (flips, cuts,
        // splices, repeated runs) of baseline, restart and progressive files at every
        // reduction; `LAB_FUZZ_CASES` sets the budget (scripts/test/fuzz-long.sh).
        let seeds = [
            jpeg(40, 33, None, false, true),
            jpeg(48, 40, Some(2), false, false),
            jpeg(40, 24, Some(3), true, false),
        ];
        let mut rng = testkit::Rng::new(7);
        let (mut decoded, cases) = (0, testkit::fuzz_cases());
        let mut slowest = testkit::Slowest::default();
        for case in 0..cases {
            let bytes = testkit::mutate(&seeds[case % seeds.len()], &mut rng);
            let reduction = [2, 4, 8][case % 3];
            if let Some((h, w, px)) = slowest.time(case, || decode_gray_reduced(&bytes, reduction))
            {
                assert_eq!(px.len(), h * w, "case {case}");
                decoded += 1;
            }
        }
        println!(
            "fuzz fast_jpeg: {cases} cases: {decoded} decoded, the rest refused, 0 panics; {slowest}"
        );
    }

    #[test]
    fn other_kinds_and_damaged_data_are_left_to_jpeg_decoder() {
        assert!(decode_gray_reduced(&jpeg(64, 48, None, true, false), 4).is_none());
        assert!(decode_gray_reduced(&jpeg(64, 48, None, false, false), 1).is_none());
        let good = jpeg(160, 120, Some(4), false, false);
        for cut in [good.len() - 2, good.len() * 2 / 3, 200, 3] {
            assert!(decode_gray_reduced(&good[..cut], 8).is_none(), "cut at {cut}");
        }
        // Every byte of the data flipped in turn: either refused or a full image.
        for at in (good.len() / 2..good.len()).step_by(7) {
            let mut bad = good.clone();
            bad[at] ^= 0x5A;
            if let Some((h, w, px)) = decode_gray_reduced(&bad, 8) {
                assert_eq!((h, w, px.len()), (15, 20, 300));
            }
        }
    }
}

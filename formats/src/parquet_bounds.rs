//! Bounds on the Thrift structures of a Parquet file, checked before the parquet
//! crate reads them.
//!
//! Parquet's footer and page headers are Thrift compact-protocol structs. The parquet
//! crate skips fields it does not know, and a skipped list of booleans costs it no
//! bytes per element, so 16 hostile bytes (an unknown field holding a list of 2³¹
//! booleans, or a map of 2³¹ boolean pairs) keep every reader busy for minutes before
//! it fails. Every element of a compact-protocol container takes at least one byte,
//! so here a container that declares more elements than bytes remain is refused, and
//! the whole walk is linear in the file's size:
//! * [`check_footer`]: the footer (`FileMetaData`), before the parquet crate parses it;
//! * [`check_pages`]: every page header of every column chunk, each within its chunk's
//!   byte range (`PageHeader.compressed_page_size` leads to the next one).
//!
//! Every Parquet file of a dataset is opened through [`open_footer`] (metadata only)
//! or [`open_checked`] (to read its rows), which apply these checks first.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::metadata::ParquetMetaData;

use crate::error::{Error, IoAction, Result};

/// Nesting deeper than this is refused (the parquet crate's own skip limit is 64).
const MAX_DEPTH: u32 = 64;

/// Why a structure is refused.
#[derive(Debug, PartialEq)]
enum Bad {
    /// Ran out of bytes.
    End,
    /// Something no valid file holds, said in a few words.
    Invalid(String),
}

struct Cursor<'a> {
    buf: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn left(&self) -> usize {
        self.buf.len() - self.at
    }
    fn byte(&mut self) -> Result<u8, Bad> {
        let b = *self.buf.get(self.at).ok_or(Bad::End)?;
        self.at += 1;
        Ok(b)
    }
    fn skip(&mut self, n: u64) -> Result<(), Bad> {
        if n > self.left() as u64 {
            return Err(Bad::End);
        }
        self.at += n as usize;
        Ok(())
    }
    fn varint(&mut self) -> Result<u64, Bad> {
        let mut value = 0u64;
        for shift in (0..70).step_by(7) {
            let b = self.byte()?;
            value |= u64::from(b & 0x7f).checked_shl(shift).unwrap_or(0);
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(Bad::Invalid("a varint longer than 10 bytes".into()))
    }
    fn zigzag(&mut self) -> Result<i64, Bad> {
        let v = self.varint()?;
        Ok((v >> 1) as i64 ^ -((v & 1) as i64))
    }

    /// Skips a value of compact type `ty`; `in_container`: booleans take a byte there.
    fn value(&mut self, ty: u8, in_container: bool, depth: u32) -> Result<(), Bad> {
        if depth > MAX_DEPTH {
            return Err(Bad::Invalid(format!("structures nested over {MAX_DEPTH} deep")));
        }
        match ty {
            1 | 2 if in_container => self.skip(1),
            1 | 2 => Ok(()),
            3 => self.skip(1),
            4..=6 => self.varint().map(drop),
            7 => self.skip(8),
            8 => {
                let n = self.varint()?;
                self.skip(n)
            }
            9 | 10 => {
                let header = self.byte()?;
                let (mut n, elem) = (u64::from(header >> 4), header & 0x0f);
                if n == 15 {
                    n = self.varint()?;
                }
                self.container(n, 1)?;
                (0..n).try_for_each(|_| self.value(elem, true, depth + 1))
            }
            11 => {
                let n = self.varint()?;
                if n == 0 {
                    return Ok(());
                }
                let kinds = self.byte()?;
                self.container(n, 2)?;
                (0..n).try_for_each(|_| {
                    self.value(kinds >> 4, true, depth + 1)?;
                    self.value(kinds & 0x0f, true, depth + 1)
                })
            }
            12 => self.fields(depth + 1, |_, _, _| Ok(false)),
            13 => self.skip(16),
            other => Err(Bad::Invalid(format!("unknown Thrift type {other}"))),
        }
    }

    /// Refuses `n` elements of at least `bytes_each` bytes when fewer bytes remain.
    fn container(&self, n: u64, bytes_each: u64) -> Result<(), Bad> {
        if n.saturating_mul(bytes_each) > self.left() as u64 {
            return Err(Bad::Invalid(format!(
                "a list or map of {n} elements in the {} bytes that remain",
                self.left()
            )));
        }
        Ok(())
    }

    /// Walks a struct's fields to its stop byte; `field(id, type, cursor)` may read a
    /// field itself (returning true), otherwise it is skipped.
    fn fields(
        &mut self,
        depth: u32,
        mut field: impl FnMut(i64, u8, &mut Self) -> Result<bool, Bad>,
    ) -> Result<(), Bad> {
        let mut id = 0i64;
        loop {
            let header = self.byte()?;
            if header == 0 {
                return Ok(());
            }
            let (delta, ty) = (header >> 4, header & 0x0f);
            id = if delta == 0 { self.zigzag()? } else { id + i64::from(delta) };
            if !field(id, ty, self)? {
                self.value(ty, false, depth)?;
            }
        }
    }
}

fn refused(path: &Path, what: String) -> Error {
    Error::PanickedParquet { path: path.to_path_buf(), message: what }
}

/// Checks the footer of the Parquet file `file` (at `path`), before it is parsed.
/// A file too short or without the magic is left to the parquet crate's own error.
pub(crate) fn check_footer(file: &mut File, path: &Path) -> Result<()> {
    let io = |e| Error::io(IoAction::Read, path)(e);
    let len = file.seek(SeekFrom::End(0)).map_err(io)?;
    if len < 12 {
        return Ok(());
    }
    let mut tail = [0u8; 8];
    file.seek(SeekFrom::End(-8)).map_err(io)?;
    file.read_exact(&mut tail).map_err(io)?;
    let footer_len = u64::from(u32::from_le_bytes(tail[..4].try_into().expect("4 bytes")));
    if &tail[4..] != b"PAR1" || footer_len > len - 8 {
        return Ok(());
    }
    let mut footer = vec![0u8; footer_len as usize];
    file.seek(SeekFrom::Start(len - 8 - footer_len)).map_err(io)?;
    file.read_exact(&mut footer).map_err(io)?;
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    let mut c = Cursor { buf: &footer, at: 0 };
    match c.fields(0, |_, _, _| Ok(false)) {
        Err(Bad::Invalid(why)) => Err(refused(path, format!("its footer holds {why}"))),
        // Truncation and the rest are the parquet crate's to report.
        _ => Ok(()),
    }
}

/// Checks every page header of every column chunk of `file`, whose footer parsed
/// into `meta`: each header bounded, each page inside its chunk.
pub(crate) fn check_pages(file: &mut File, path: &Path, meta: &ParquetMetaData) -> Result<()> {
    let io = |e| Error::io(IoAction::Read, path)(e);
    let file_len = file.seek(SeekFrom::End(0)).map_err(io)?;
    let mut window = Vec::new();
    for (g, group) in meta.row_groups().iter().enumerate() {
        for column in group.columns() {
            // As `byte_range()`, which panics on negative values.
            let start = column.dictionary_page_offset().unwrap_or(column.data_page_offset());
            let (start, size) =
                match (u64::try_from(start), u64::try_from(column.compressed_size())) {
                    (Ok(start), Ok(size)) => (start, size),
                    _ => {
                        return Err(refused(
                            path,
                            format!(
                                "a column chunk of row group {g} has a negative offset or size"
                            ),
                        ))
                    }
                };
            let end = start.checked_add(size).filter(|&e| e <= file_len).ok_or_else(|| {
                refused(path, format!("a column chunk of row group {g} ends past the file"))
            })?;
            let mut at = start;
            while at < end {
                let page = read_page_header(file, &mut window, at, end).map_err(io)?;
                let (header_len, data_len) = page.map_err(|why| {
                    refused(path, format!("the page header at byte {at} holds {why}"))
                })?;
                at = at
                    .checked_add(header_len)
                    .and_then(|a| a.checked_add(data_len))
                    .filter(|&a| a <= end)
                    .ok_or_else(|| {
                        refused(path, format!("the page at byte {at} runs past its column chunk"))
                    })?;
            }
        }
    }
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    Ok(())
}

/// Reads the page header at `at` (within a chunk ending at `end`): its length and the
/// length of the page's data after it. The window grows until the header fits.
fn read_page_header(
    file: &mut File,
    window: &mut Vec<u8>,
    at: u64,
    end: u64,
) -> std::io::Result<Result<(u64, u64), String>> {
    let mut want = 4096u64;
    loop {
        let n = want.min(end - at) as usize;
        window.resize(n, 0);
        file.seek(SeekFrom::Start(at))?;
        file.read_exact(window)?;
        let mut c = Cursor { buf: window, at: 0 };
        let mut data_len = None;
        let walked = c.fields(0, |id, ty, c| {
            // PageHeader field 3: compressed_page_size, an i32.
            if id == 3 && ty == 5 {
                data_len = Some(c.zigzag()?);
                return Ok(true);
            }
            Ok(false)
        });
        return Ok(match walked {
            Err(Bad::End) if (n as u64) < end - at => {
                want = want.saturating_mul(4);
                continue;
            }
            Err(Bad::End) => Err("a header that runs past its column chunk".into()),
            Err(Bad::Invalid(why)) => Err(why),
            Ok(()) => match data_len {
                Some(d) if d >= 0 => Ok((c.at as u64, d as u64)),
                Some(d) => Err(format!("a negative page size ({d})")),
                None => Err("no page size".into()),
            },
        });
    }
}

/// Opens one Parquet file and parses its footer, checked for bounds first
/// ([`check_footer`]); panics inside the parquet crate caught.
/// For its metadata: the pages are not looked at.
pub(crate) fn open_footer(path: &Path) -> Result<ParquetRecordBatchReaderBuilder<File>> {
    let mut file = File::open(path).map_err(Error::io(IoAction::Open, path))?;
    check_footer(&mut file, path)?;
    crate::guard::catch(|| ParquetRecordBatchReaderBuilder::try_new(file))
        .map_err(|message| Error::PanickedParquet { path: path.to_path_buf(), message })?
        .map_err(|source| Error::NotParquet { path: path.to_path_buf(), source })
}

/// [`open_footer`], and every page header checked for bounds too
/// ([`check_pages`]): for reading the rows.
pub(crate) fn open_checked(path: &Path) -> Result<ParquetRecordBatchReaderBuilder<File>> {
    let builder = open_footer(path)?;
    let mut pages = File::open(path).map_err(Error::io(IoAction::Open, path))?;
    check_pages(&mut pages, path, builder.metadata())?;
    Ok(builder)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk(bytes: &[u8]) -> Result<(), Bad> {
        Cursor { buf: bytes, at: 0 }.fields(0, |_, _, _| Ok(false))
    }

    #[test]
    fn containers_larger_than_their_bytes_are_refused() {
        // Field 15, a list of 2^31 − 1 booleans: the parquet crate loops 2^31 times.
        let list = [0xF9, 0xF1, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0];
        assert!(
            matches!(walk(&list), Err(Bad::Invalid(w)) if w.contains("map of 2147483647 elements"))
        );
        // A map of 2^31 − 1 boolean pairs.
        let map = [0xFB, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x11, 0];
        assert!(matches!(walk(&map), Err(Bad::Invalid(_))));
        // Deep nesting: struct in struct in …
        let deep: Vec<u8> =
            std::iter::repeat_n(0x1C, 100).chain(std::iter::repeat_n(0, 100)).collect();
        assert!(matches!(walk(&deep), Err(Bad::Invalid(w)) if w.contains("nested")));
        // What fits is walked: i32 field 1 = 5, a list of 2 bools, a binary of 3 bytes, stop.
        assert_eq!(walk(&[0x15, 0x0A, 0x19, 0x21, 1, 2, 0x18, 3, b'a', b'b', b'c', 0]), Ok(()));
        assert_eq!(walk(&[0x15]), Err(Bad::End));
    }

    #[test]
    fn a_real_file_passes_and_a_hostile_page_header_is_refused_at_once() {
        let fixture =
            concat!(env!("CARGO_MANIFEST_DIR"), "/../evaluate/tests/fixtures/features-81.parquet");
        let good = std::fs::read(fixture).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (ok, bad) = (dir.path().join("ok.parquet"), dir.path().join("bad.parquet"));
        std::fs::write(&ok, &good).unwrap();
        // 16 bytes inserted where the first page header starts.
        let mut hostile = good[..4].to_vec();
        hostile.extend([0xF9, 0xF1, 0xFF, 0xFF, 0xFF, 0xFF, 0x07]);
        hostile.extend([0; 9]);
        hostile.extend(&good[4..]);
        std::fs::write(&bad, &hostile).unwrap();
        // Refused by this check (the parquet crate would loop for seconds, then say
        // something else).
        let err = crate::read_any_dataset(&bad).unwrap_err().to_string();
        assert!(err.contains("map of 2147483647 elements"), "{err}");
        assert!(crate::read_any_dataset(&ok).is_ok());
    }
}

//! Reading one IDX file (gzip or raw): the header checked before any large
//! allocation, then the payload, whole or streamed in chunks of rows.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use crate::error::{fail, Context, Error, ErrorKind, Result};

/// IDX dtype byte for unsigned 8-bit values.
const DTYPE_U8: u8 = 0x08;

/// A decoded IDX file: its dimensions and payload bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxArray {
    /// The header's dimensions (N, then rows and columns for images).
    pub dims: Vec<usize>,
    /// ∏dims unsigned bytes, row-major.
    pub data: Vec<u8>,
}

/// True when `bytes` start with the gzip magic 1f 8b.
fn is_gzip(first: &[u8]) -> bool {
    first.len() >= 2 && first[0] == 0x1f && first[1] == 0x8b
}

fn dtype_name(code: u8) -> &'static str {
    match code {
        0x08 => "unsigned byte",
        0x09 => "signed byte",
        0x0B => "int16",
        0x0C => "int32",
        0x0D => "float32",
        0x0E => "float64",
        _ => "unknown",
    }
}

/// An open IDX file whose header has been checked; the reader is at the payload.
pub struct IdxStream {
    /// The file, for messages.
    pub path: PathBuf,
    /// The header's dimensions.
    pub dims: Vec<usize>,
    /// Payload bytes the header announces (∏dims, overflow-checked).
    pub claimed: u64,
    gzip: bool,
    reader: Box<dyn Read + Send>,
}

impl IdxStream {
    /// Opens `path` (gzip or raw, told by content) and checks magic, dtype and
    /// dimensions; for a raw file also that the payload length matches the header.
    pub fn open(path: &Path, expected_dims: u8, what: &str) -> Result<Self> {
        let file = File::open(path)
            .context(ErrorKind::Read, || format!("cannot open {what} file {}", path.display()))?;
        let meta = file
            .metadata()
            .context(ErrorKind::Read, || format!("cannot stat {}", path.display()))?;
        if meta.is_dir() {
            fail!(Idx, "{what} file {} is a directory, not an IDX file", path.display());
        }
        // Only a regular file's length is its content's; a pipe or device (/dev/stdin)
        // is read as a stream and checked as it ends, as gzip data is.
        let file_len = meta.is_file().then_some(meta.len());
        let mut reader = BufReader::with_capacity(1 << 16, file);
        let mut first = [0u8; 2];
        let got = read_up_to(&mut reader, &mut first)
            .context(ErrorKind::Read, || format!("cannot read {}", path.display()))?;
        let gzip = is_gzip(&first[..got]);
        // Put the sniffed bytes back in front of the stream.
        let chained = std::io::Cursor::new(first[..got].to_vec()).chain(reader);
        let reader: Box<dyn Read + Send> = if gzip {
            Box::new(flate2::bufread::MultiGzDecoder::new(BufReader::with_capacity(
                1 << 16,
                chained,
            )))
        } else {
            Box::new(chained)
        };
        let mut stream =
            IdxStream { path: path.to_path_buf(), dims: Vec::new(), claimed: 0, gzip, reader };
        stream.read_header(expected_dims, what, file_len.filter(|_| !gzip))?;
        Ok(stream)
    }

    /// Turns a read error into a sentence naming the file.
    fn io_error(&self, e: std::io::Error) -> Error {
        if self.gzip {
            let message =
                format!("{} is a truncated or corrupt gzip file ({e})", self.path.display());
            Error::new(ErrorKind::Idx, message)
        } else {
            Error::new(ErrorKind::Read, format!("cannot read {}: {e}", self.path.display()))
        }
    }

    fn read_header(&mut self, expected_dims: u8, what: &str, raw_len: Option<u64>) -> Result<()> {
        let name = self.path.display().to_string();
        let mut magic = [0u8; 4];
        let got = read_up_to(&mut self.reader, &mut magic).map_err(|e| self.io_error(e))?;
        if got < 4 {
            fail!(Idx, "{name} is too short to be an IDX {what} file ({got} bytes, the header alone needs 4)");
        }
        let expected_magic = 0x0800u32 | expected_dims as u32;
        let magic_value = u32::from_be_bytes(magic);
        if magic[0] != 0 || magic[1] != 0 {
            fail!(
Idx,
                "{name} is not an IDX file: wrong magic number 0x{magic_value:08X} (IDX {what} start with 0x{expected_magic:08X})"
            );
        }
        if magic[2] != DTYPE_U8 {
            fail!(
                Idx,
                "{name}: IDX dtype byte is 0x{:02X} ({}), only 0x08 (unsigned byte) is supported",
                magic[2],
                dtype_name(magic[2])
            );
        }
        if magic[3] != expected_dims {
            fail!(
Idx,
                "{name}: wrong magic number 0x{magic_value:08X}: {} dimensions, but IDX {what} have {expected_dims} (magic 0x{expected_magic:08X})",
                magic[3]
            );
        }
        let mut dim_bytes = vec![0u8; 4 * expected_dims as usize];
        let got = read_up_to(&mut self.reader, &mut dim_bytes).map_err(|e| self.io_error(e))?;
        if got < dim_bytes.len() {
            fail!(
                Idx,
                "{name}: header is truncated ({} of {} dimension bytes present)",
                got,
                dim_bytes.len()
            );
        }
        let dims: Vec<usize> = dim_bytes
            .chunks_exact(4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize)
            .collect();
        let header_len = 4 + dim_bytes.len() as u64;
        let claimed = dims
            .iter()
            .try_fold(1u64, |acc, &d| acc.checked_mul(d as u64))
            .context(ErrorKind::Idx, || {
                format!("{name}: header dimensions {dims:?} overflow a 64-bit size")
            })?;
        if let Some(raw_len) = raw_len {
            // Raw file: the exact size is known, so check before reading anything.
            let present = raw_len.saturating_sub(header_len);
            if present != claimed {
                fail!(
Idx,
                    "{name}: header {dims:?} claims {claimed} payload bytes but the file holds {present} ({})",
                    if present < claimed { "truncated payload" } else { "extra bytes after the payload" }
                );
            }
        }
        self.dims = dims;
        self.claimed = claimed;
        Ok(())
    }

    /// Reads the next `len` payload bytes (`consumed` already read), into a buffer
    /// that grows with the data actually present: a gzip header announcing more
    /// than the stream holds fails when the data runs out, not by allocating.
    pub fn read_chunk(&mut self, len: u64, consumed: u64) -> Result<Vec<u8>> {
        let mut data = Vec::with_capacity(len.min(8 << 20) as usize);
        let read = (&mut self.reader).take(len).read_to_end(&mut data);
        read.map_err(|e| self.io_error(e))?;
        if (data.len() as u64) < len {
            fail!(
Idx,
                "{}: header {:?} claims {} payload bytes but only {} are present (truncated payload)",
                self.path.display(),
                self.dims,
                self.claimed,
                consumed + data.len() as u64
            );
        }
        Ok(data)
    }

    /// After the payload: the stream must end here (for gzip this also checks the
    /// CRC and length trailer).
    pub fn finish(mut self) -> Result<()> {
        let mut extra = [0u8; 1];
        let got = read_up_to(&mut self.reader, &mut extra).map_err(|e| self.io_error(e))?;
        if got > 0 {
            fail!(
                Idx,
                "{}: extra bytes after the {}-byte payload that the header {:?} announces",
                self.path.display(),
                self.claimed,
                self.dims
            );
        }
        Ok(())
    }
}

/// Reads a whole IDX file of unsigned bytes with exactly `expected_dims` dimensions.
/// `what` ("images", "labels") is used in error messages.
pub fn read_idx(path: &Path, expected_dims: u8, what: &str) -> Result<IdxArray> {
    let mut stream = IdxStream::open(path, expected_dims, what)?;
    let data = stream.read_chunk(stream.claimed, 0)?;
    let dims = stream.dims.clone();
    stream.finish()?;
    Ok(IdxArray { dims, data })
}

/// Fills `buf` as far as the stream allows; returns how many bytes were read.
fn read_up_to(reader: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

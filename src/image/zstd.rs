//! Reading a zstd stream (OCI `tar+zstd` layers, a `docker save | zstd`
//! archive) in pure Rust, every frame of it, with a bounded window.
//!
//! A stream may hold several frames (`pzstd`, concatenated files) and
//! skippable frames (`zstd:chunked` puts its table of contents in one), so
//! frames are read one after the other until the input ends; skippable ones
//! are read past. What the decoder yields is not bounded here: the caller
//! counts it against its budget as it reads, as it does for gzip.

use ruzstd::decoding::errors::{FrameDecoderError, ReadFrameHeaderError};
use ruzstd::decoding::{BlockDecodingStrategy, FrameDecoder};
use std::io::{self, BufRead, Read};

/// The four bytes every zstd frame starts with.
pub const MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// The largest window a frame may ask for: the decoder keeps that much of
/// the output in memory, so a frame header claiming gigabytes would be a
/// memory bomb. `zstd --long` uses 128 MiB at most; larger frames are
/// refused as broken input.
pub const MAX_WINDOW: u64 = 128 << 20;

/// Decompresses every frame of a zstd stream.
pub struct Decoder<R> {
    source: R,
    frame: FrameDecoder,
    /// Whether a data frame is being decoded (its header was read).
    in_frame: bool,
    /// Set when the decoder panicked: its state is not to be trusted.
    failed: bool,
}

impl<R: BufRead> Decoder<R> {
    pub fn new(source: R) -> Decoder<R> {
        let mut frame = FrameDecoder::new();
        frame.set_max_window_size(MAX_WINDOW);
        Decoder {
            source,
            frame,
            in_frame: false,
            failed: false,
        }
    }

    /// Reads the next frame header, past skippable frames; `false` at the
    /// end of the input.
    fn next_frame(&mut self) -> io::Result<bool> {
        loop {
            if self.source.fill_buf()?.is_empty() {
                return Ok(false);
            }
            let (frame, source) = (&mut self.frame, &mut self.source);
            match guarded(&mut self.failed, || frame.reset(source))? {
                Ok(()) => return Ok(true),
                Err(FrameDecoderError::ReadFrameHeaderError(ReadFrameHeaderError::SkipFrame {
                    length,
                    ..
                })) => {
                    let want = u64::from(length);
                    let skipped = io::copy(&mut (&mut self.source).take(want), &mut io::sink())?;
                    if skipped < want {
                        return Err(io::ErrorKind::UnexpectedEof.into());
                    }
                }
                Err(e) => return Err(io::Error::other(e)),
            }
        }
    }
}

impl<R: BufRead> Read for Decoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if !self.in_frame {
                if !self.next_frame()? {
                    return Ok(0);
                }
                self.in_frame = true;
            }
            // Blocks are decoded one at a time, so what is held is at most
            // the window and one block (128 KiB), whatever the frame claims.
            while self.frame.can_collect() == 0 && !self.frame.is_finished() {
                let (frame, source) = (&mut self.frame, &mut self.source);
                guarded(&mut self.failed, || {
                    frame.decode_blocks(source, BlockDecodingStrategy::UptoBlocks(1))
                })?
                .map_err(io::Error::other)?;
            }
            let n = self.frame.read(buf)?;
            if n > 0 {
                return Ok(n);
            }
            // The frame is finished and drained: on to the next one.
            self.in_frame = false;
        }
    }
}

/// Runs a decoder step. The decoder is a third-party parser of hostile
/// bytes: a panic in it must cost this stream (an error, and every later
/// read fails), not the scan. Fuzzers still see the panic (their hook
/// aborts).
fn guarded<T>(failed: &mut bool, step: impl FnOnce() -> T) -> io::Result<T> {
    if *failed {
        return Err(io::Error::other(
            "zstd decoder failed earlier on this stream",
        ));
    }
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(step)).map_err(|_| {
        *failed = true;
        io::Error::other("zstd decoder failed on this stream (internal error)")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ruzstd::encoding::{compress_to_vec, CompressionLevel};

    fn decode(data: &[u8]) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        Decoder::new(data).read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn every_frame_is_read_and_skippable_frames_are_skipped() {
        let a = compress_to_vec(&b"first frame "[..], CompressionLevel::Fastest);
        let b = compress_to_vec(&vec![b'z'; 300_000][..], CompressionLevel::Fastest);
        let mut stream = a.clone();
        // A skippable frame: magic 0x184D2A5?, a length, that many bytes.
        stream.extend_from_slice(&[0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 9, 9, 9]);
        stream.extend_from_slice(&b);
        let out = decode(&stream).unwrap();
        assert_eq!(&out[..12], b"first frame ");
        assert_eq!(out.len(), 12 + 300_000);
        assert!(out[12..].iter().all(|c| *c == b'z'));
        assert_eq!(decode(&[]).unwrap(), b"");
    }

    #[test]
    fn broken_and_oversized_frames_are_errors() {
        let good = compress_to_vec(&vec![7u8; 100_000][..], CompressionLevel::Fastest);
        // Cut short.
        assert!(decode(&good[..good.len() / 2]).is_err());
        // Not zstd after a good frame.
        let mut junk = good.clone();
        junk.extend_from_slice(b"not a frame");
        assert!(decode(&junk).is_err());
        // A skippable frame claiming more bytes than there are.
        assert!(decode(&[0x50, 0x2a, 0x4d, 0x18, 0xff, 0xff, 0, 0, 1]).is_err());
        // A frame header asking for a 2 GiB window: refused before any
        // allocation (descriptor 0: window descriptor follows; exponent 21
        // gives 2^(10+21) bytes).
        let big_window = [0x28, 0xb5, 0x2f, 0xfd, 0x00, 21 << 3, 0, 0, 0];
        let e = decode(&big_window).unwrap_err().to_string();
        assert!(e.to_lowercase().contains("window"), "{e}");
    }
}

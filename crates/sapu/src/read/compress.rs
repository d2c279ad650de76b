//! Compression chosen by file extension.
//!
//! gzip is read member by member and zstd frame by frame, each unit's output held back until
//! the unit has been decoded to its end and checked (gzip's CRC-32 and length; zstd's block
//! structure and, when the frame has one, its checksum), up to [`CHECKED_UNIT_BYTES`] of
//! output: a corrupt unit yields no data at all instead of the garbage a streaming decoder
//! produces before it reaches the check. A truncated unit releases what it decoded (output
//! before a cut is what was compressed), then the error. A larger unit is streamed, and its
//! error says which decompressed range was read before the check.

use std::io::{self, BufRead, BufReader, ErrorKind, Read};

use flate2::bufread::GzDecoder;
use zstd::stream::read::Decoder as ZstdDecoder;

/// How a file is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Plain.
    None,
    /// gzip, possibly several members (as Common Crawl writes them).
    Gzip,
    /// zstd, possibly several frames.
    Zstd,
}

impl Compression {
    /// Split a lowercase file name into the name without the compression suffix and the
    /// compression it names.
    pub fn strip(name: &str) -> (&str, Compression) {
        if let Some(s) = name.strip_suffix(".gz") {
            (s, Compression::Gzip)
        } else if let Some(s) = name
            .strip_suffix(".zst")
            .or_else(|| name.strip_suffix(".zstd"))
        {
            (s, Compression::Zstd)
        } else {
            (name, Compression::None)
        }
    }

    /// A reader that decompresses `inner`.
    pub fn decoder<R: Read + Send + 'static>(
        self,
        inner: R,
    ) -> std::io::Result<Box<dyn Read + Send>> {
        Ok(match self {
            Compression::None => Box::new(inner),
            _ => self.buf_decoder(inner)?,
        })
    }

    /// A buffered reader that decompresses `inner`: the checked decoders serve their own
    /// buffer, so no copy is added on top of them.
    pub fn buf_decoder<R: Read + Send + 'static>(
        self,
        inner: R,
    ) -> std::io::Result<Box<dyn BufRead + Send>> {
        Ok(match self {
            Compression::None => Box::new(BufReader::with_capacity(1 << 20, inner)),
            Compression::Gzip => Box::new(Checked::<_, GzUnit<_>>::new(BufReader::with_capacity(
                1 << 16,
                inner,
            ))),
            Compression::Zstd => Box::new(Checked::<_, ZstdUnit<_>>::new(
                BufReader::with_capacity(1 << 17, inner),
            )),
        })
    }

    /// The input issue code for a failure while decompressing.
    pub fn error_code(self) -> &'static str {
        match self {
            Compression::None => "read_error",
            Compression::Gzip => "truncated_gzip",
            Compression::Zstd => "corrupt_zstd",
        }
    }

    /// The input issue code for this decompression failure: gzip tells a truncated stream
    /// (`truncated_gzip`) from a corrupt one (`corrupt_gzip`).
    pub fn error_code_for(self, kind: ErrorKind) -> &'static str {
        match (self, kind) {
            (Compression::Gzip, ErrorKind::UnexpectedEof) => "truncated_gzip",
            (Compression::Gzip, _) => "corrupt_gzip",
            _ => self.error_code(),
        }
    }
}

/// Decompressed bytes of one gzip member or zstd frame held back until it is checked; a larger
/// unit is streamed, unchecked until its end.
pub const CHECKED_UNIT_BYTES: usize = 32 << 20;

fn size(bytes: usize) -> String {
    if bytes >= 1 << 20 {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{bytes} bytes")
    }
}

/// A `BufRead` that counts the bytes consumed from it.
struct Counted<R> {
    inner: R,
    pos: u64,
}

impl<R: BufRead> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counted<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        self.pos += amt as u64;
        self.inner.consume(amt);
    }
}

/// One independently checked unit of a compressed stream: a gzip member or a zstd frame.
trait Unit<R: BufRead>: Read + Sized {
    /// What a unit is called in messages.
    const NAME: &'static str;
    /// A decoder of the unit starting at the reader's position.
    fn start(inner: Counted<R>) -> io::Result<Self>;
    /// The reader, positioned just after the unit.
    fn into_inner(self) -> Counted<R>;
}

/// One gzip member.
struct GzUnit<R>(GzDecoder<Counted<R>>);

impl<R: BufRead> Read for GzUnit<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl<R: BufRead> Unit<R> for GzUnit<R> {
    const NAME: &'static str = "gzip member";
    fn start(inner: Counted<R>) -> io::Result<Self> {
        Ok(GzUnit(GzDecoder::new(inner)))
    }
    fn into_inner(self) -> Counted<R> {
        self.0.into_inner()
    }
}

/// One zstd frame (a skippable frame is a unit without output).
struct ZstdUnit<R: BufRead>(ZstdDecoder<'static, Counted<R>>);

impl<R: BufRead> Read for ZstdUnit<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl<R: BufRead> Unit<R> for ZstdUnit<R> {
    const NAME: &'static str = "zstd frame";
    fn start(inner: Counted<R>) -> io::Result<Self> {
        Ok(ZstdUnit(ZstdDecoder::with_buffer(inner)?.single_frame()))
    }
    fn into_inner(self) -> Counted<R> {
        self.0.finish()
    }
}

enum State<R, U> {
    /// At a unit boundary (or the start).
    Between(Counted<R>),
    /// Inside a unit too large to hold back: (decoder, unit number, where it started in
    /// compressed and decompressed bytes).
    Streaming(U, u64, u64, u64),
    /// After the last unit or an error.
    Done,
}

/// A multi-unit compressed stream, each unit checked before its output is released (see the
/// module).
struct Checked<R, U> {
    state: State<R, U>,
    /// Checked output not yet read, from `pos`.
    out: Vec<u8>,
    pos: usize,
    /// An error to return once `out` is drained (a truncated member).
    pending: Option<io::Error>,
    members: u64,
    /// Decompressed bytes handed out so far.
    released: u64,
    limit: usize,
}

impl<R: BufRead, U: Unit<R>> Checked<R, U> {
    /// A reader of the compressed stream `inner`.
    fn new(inner: R) -> Self {
        Self::with_limit(inner, CHECKED_UNIT_BYTES)
    }

    /// As [`Checked::new`], holding back at most `limit` bytes of a unit.
    fn with_limit(inner: R, limit: usize) -> Self {
        Checked {
            state: State::Between(Counted { inner, pos: 0 }),
            out: Vec::new(),
            pos: 0,
            pending: None,
            members: 0,
            released: 0,
            limit: limit.max(1),
        }
    }

    /// Decode the next unit into `out`, up to the limit. `Ok(false)` at the end of input.
    fn next_unit(&mut self, mut inner: Counted<R>) -> io::Result<bool> {
        if inner.fill_buf()?.is_empty() {
            return Ok(false);
        }
        self.members += 1;
        let (member, start, from) = (self.members, inner.pos, self.released);
        self.out.clear();
        self.pos = 0;
        let name = U::NAME;
        let mut dec = U::start(inner)?;
        loop {
            if self.out.len() >= self.limit {
                self.state = State::Streaming(dec, member, start, from);
                return Ok(true);
            }
            let want = (self.limit - self.out.len()).min(1 << 16);
            // `read_to_end` appends without zero-filling first, and keeps what it read before
            // an error; fewer bytes than asked for means the unit's end.
            match (&mut dec).take(want as u64).read_to_end(&mut self.out) {
                Ok(n) if n < want => {
                    self.state = State::Between(dec.into_inner());
                    return Ok(true);
                }
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::UnexpectedEof => {
                    self.pending = Some(io::Error::new(
                        ErrorKind::UnexpectedEof,
                        format!("{name} {member} at compressed byte {start} is cut short: {e}"),
                    ));
                    return Ok(true);
                }
                Err(e) => {
                    let dropped = self.out.len();
                    self.out.clear();
                    return Err(io::Error::new(
                        ErrorKind::InvalidData,
                        format!(
                            "{name} {member} at compressed byte {start} is corrupt: {e}; \
                             its {dropped} decompressed bytes were dropped unchecked"
                        ),
                    ));
                }
            }
        }
    }
}

impl<R: BufRead, U: Unit<R>> BufRead for Checked<R, U> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        loop {
            if self.pos < self.out.len() {
                return Ok(&self.out[self.pos..]);
            }
            if let Some(e) = self.pending.take() {
                return Err(e);
            }
            match std::mem::replace(&mut self.state, State::Done) {
                State::Done => return Ok(&[]),
                State::Between(inner) => {
                    if !self.next_unit(inner)? {
                        return Ok(&[]);
                    }
                }
                State::Streaming(mut dec, member, start, from) => {
                    self.out.clear();
                    self.pos = 0;
                    match (&mut dec).take(1 << 20).read_to_end(&mut self.out) {
                        Ok(0) => self.state = State::Between(dec.into_inner()),
                        Ok(_) => self.state = State::Streaming(dec, member, start, from),
                        Err(e) => {
                            self.out.clear();
                            let kind = match e.kind() {
                                ErrorKind::UnexpectedEof => ErrorKind::UnexpectedEof,
                                _ => ErrorKind::InvalidData,
                            };
                            return Err(io::Error::new(
                                kind,
                                format!(
                                    "{} {member} at compressed byte {start} is damaged: {e}; \
                                     it is larger than the {} checked before use, so the \
                                     records decoded from it (decompressed bytes {from} to {}) \
                                     were read before its check and may be damaged",
                                    U::NAME,
                                    size(self.limit),
                                    self.released
                                ),
                            ));
                        }
                    }
                }
            }
        }
    }

    fn consume(&mut self, amt: usize) {
        let amt = amt.min(self.out.len() - self.pos);
        self.pos += amt;
        self.released += amt as u64;
    }
}

impl<R: BufRead, U: Unit<R>> Read for Checked<R, U> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = buf.len().min(available.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn member(text: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(text).unwrap();
        enc.finish().unwrap()
    }

    fn lines(from: usize, to: usize) -> Vec<u8> {
        (from..to)
            .flat_map(|i| format!("line {i} of the test\n").into_bytes())
            .collect()
    }

    fn read(bytes: &[u8], limit: usize) -> (Vec<u8>, Option<io::Error>) {
        read_with::<GzUnit<&[u8]>>(bytes, limit)
    }

    fn read_with<'a, U: Unit<&'a [u8]>>(
        bytes: &'a [u8],
        limit: usize,
    ) -> (Vec<u8>, Option<io::Error>) {
        let mut r = Checked::<_, U>::with_limit(bytes, limit);
        let mut out = Vec::new();
        let mut buf = [0u8; 777];
        loop {
            match r.read(&mut buf) {
                Ok(0) => return (out, None),
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e) => return (out, Some(e)),
            }
        }
    }

    #[test]
    fn intact_members_read_the_same_at_any_limit() {
        let bytes = [
            member(&lines(0, 300)),
            member(b""),
            member(&lines(300, 301)),
            member(&lines(301, 2000)),
        ]
        .concat();
        let expected = lines(0, 2000);
        for limit in [1, 100, 4096, 1 << 20] {
            let (out, err) = read(&bytes, limit);
            assert!(err.is_none(), "limit {limit}: {err:?}");
            assert!(out == expected, "limit {limit}");
        }
        assert_eq!(read(b"", 10).0, b"", "an empty file is no member, no error");
    }

    #[test]
    fn a_corrupt_member_within_the_limit_releases_nothing_of_it() {
        let (a, mut b) = (member(&lines(0, 100)), member(&lines(100, 200)));
        let mid = b.len() / 2;
        b[mid] ^= 0x10;
        let bytes = [a.clone(), b].concat();
        let (out, err) = read(&bytes, 1 << 20);
        assert!(out == lines(0, 100));
        let err = err.unwrap();
        assert_eq!(err.kind(), ErrorKind::InvalidData);
        assert!(
            err.to_string().starts_with(&format!(
                "gzip member 2 at compressed byte {} is corrupt: ",
                a.len()
            )),
            "{err}"
        );
    }

    #[test]
    fn a_corrupt_member_beyond_the_limit_is_streamed_and_said_unchecked() {
        let mut b = member(&lines(0, 2000));
        let mid = b.len() / 2;
        b[mid] ^= 0x10;
        let (out, err) = read(&b, 1000);
        assert!(out.len() >= 1000, "{} bytes streamed", out.len());
        let err = err.unwrap();
        assert_eq!(err.kind(), ErrorKind::InvalidData);
        let msg = err.to_string();
        assert!(
            msg.starts_with("gzip member 1 at compressed byte 0 is damaged: ")
                && msg.ends_with(&format!(
                    "; it is larger than the 1000 bytes checked before use, so the records \
                     decoded from it (decompressed bytes 0 to {}) were read before its check \
                     and may be damaged",
                    out.len()
                )),
            "{msg}"
        );
    }

    fn frame(text: &[u8], checksum: bool) -> Vec<u8> {
        let mut enc = zstd::stream::Encoder::new(Vec::new(), 3).unwrap();
        enc.include_checksum(checksum).unwrap();
        enc.write_all(text).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn intact_zstd_frames_read_the_same_at_any_limit() {
        let bytes = [
            frame(&lines(0, 300), true),
            frame(b"", false),
            frame(&lines(300, 301), false),
            frame(&lines(301, 2000), true),
        ]
        .concat();
        let expected = lines(0, 2000);
        for limit in [1, 100, 4096, 1 << 20] {
            let (out, err) = read_with::<ZstdUnit<&[u8]>>(&bytes, limit);
            assert!(err.is_none(), "limit {limit}: {err:?}");
            assert!(out == expected, "limit {limit}");
        }
    }

    /// With the frame checksum (without it, some damage decodes silently: see
    /// `read::tests::one_flipped_byte_in_a_zstd_file_without_checksum_is_not_always_detectable`).
    #[test]
    fn a_corrupt_zstd_frame_releases_nothing_of_it() {
        let (a, mut b) = (frame(&lines(0, 100), true), frame(&lines(100, 2000), true));
        // Inside the compressed block, past the frame and block headers.
        let at = b.len() / 2;
        for x in &mut b[at..at + 16] {
            *x ^= 0x5a;
        }
        let bytes = [a.clone(), b].concat();
        let (out, err) = read_with::<ZstdUnit<&[u8]>>(&bytes, 1 << 20);
        assert!(out == lines(0, 100));
        let err = err.expect("an error");
        assert!(
            err.to_string().starts_with(&format!(
                "zstd frame 2 at compressed byte {} is corrupt: ",
                a.len()
            )),
            "{err}"
        );
    }

    #[test]
    fn a_truncated_member_releases_what_it_decoded_then_says_so() {
        let b = member(&lines(0, 2000));
        let (out, err) = read(&b[..b.len() * 2 / 3], 1 << 20);
        let whole = lines(0, 2000);
        assert!(
            !out.is_empty() && whole.starts_with(&out),
            "{} bytes",
            out.len()
        );
        let err = err.unwrap();
        assert_eq!(err.kind(), ErrorKind::UnexpectedEof);
        assert!(
            err.to_string()
                .starts_with("gzip member 1 at compressed byte 0 is cut short: "),
            "{err}"
        );
    }
}

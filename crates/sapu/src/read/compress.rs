//! Compression chosen by file extension.

use std::io::Read;

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
            Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(inner)),
            Compression::Zstd => Box::new(zstd::stream::read::Decoder::new(inner)?),
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
}

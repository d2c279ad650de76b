//! Reading one `\n`-terminated record with a size cap, so a 100 MB line costs bounded memory.

use std::io::{self, BufRead};

/// What `read_capped_line` found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum LineRead {
    /// End of input, nothing read.
    Eof,
    /// A line (without its `\n`), `consumed` bytes including the terminator.
    Line { consumed: u64 },
    /// A line longer than the cap: `buf` holds its first `cap` bytes; the rest was skipped.
    TooLong { consumed: u64 },
}

/// Read the next line into `buf` (cleared first), keeping at most `cap` bytes of it.
pub(crate) fn read_capped_line(
    reader: &mut dyn BufRead,
    buf: &mut Vec<u8>,
    cap: usize,
) -> io::Result<LineRead> {
    buf.clear();
    let mut consumed = 0u64;
    let mut too_long = false;
    loop {
        let chunk = match reader.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            break;
        }
        let (take, done) = match memchr(chunk) {
            Some(i) => (i, true),
            None => (chunk.len(), false),
        };
        let room = cap.saturating_sub(buf.len());
        if take > room {
            too_long = true;
        }
        buf.extend_from_slice(&chunk[..take.min(room)]);
        let used = if done { take + 1 } else { take };
        reader.consume(used);
        consumed += used as u64;
        if done {
            break;
        }
    }
    if consumed == 0 {
        return Ok(LineRead::Eof);
    }
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    Ok(if too_long {
        LineRead::TooLong { consumed }
    } else {
        LineRead::Line { consumed }
    })
}

fn memchr(hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&b| b == b'\n')
}

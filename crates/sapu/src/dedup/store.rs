//! Per-document records a dedup stage needs after `observe` but only for a few documents
//! (the id of a kept document, the shingle set of a candidate pair): appended in input order,
//! held in memory up to a budget, beyond it written to an anonymous temporary file (deleted on
//! drop) and read back by position.
//!
//! The spill file is created when the store is (`RecordStore::create`, called from the
//! stages' `build`), so a temporary directory that cannot take it is a clear error naming the
//! directory before any input is read, not a panic in the middle of a run; a write that fails
//! later (the disk filled up) is an error the stage returns, which stops the run resumably.
//!
//! Memory held per document: one `u64` offset, plus the in-memory tail below the budget.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::stage::StageError;

/// Append-only store of `(id, [u32])` records indexed by document number.
#[derive(Debug)]
pub struct RecordStore {
    /// Start of record `i` (over file then memory); one more entry than records.
    offsets: Vec<u64>,
    /// Bytes already written to the file (they precede `tail`).
    spilled: u64,
    /// Records not yet written to the file.
    tail: Vec<u8>,
    /// Write to the file once `tail` reaches this many bytes.
    budget: usize,
    file: Option<Mutex<File>>,
    /// The directory of the spill file, for error messages.
    dir: PathBuf,
}

impl RecordStore {
    /// An empty store that keeps up to `budget` bytes in memory and has no spill file: pushing
    /// beyond the budget creates one in the system temporary directory (an error if it cannot).
    /// For small or placeholder stores; stages use [`RecordStore::create`].
    pub fn new(budget: usize) -> Self {
        RecordStore {
            offsets: vec![0],
            spilled: 0,
            tail: Vec::new(),
            budget: budget.max(1),
            file: None,
            dir: std::env::temp_dir(),
        }
    }

    /// An empty store that keeps up to `budget` bytes in memory, its spill file created now in
    /// the system temporary directory (`$TMPDIR`, else `/tmp`).
    ///
    /// # Errors
    /// If the file cannot be created there: the message names the directory.
    pub fn create(budget: usize) -> Result<Self, String> {
        Self::create_in(budget, &std::env::temp_dir())
    }

    /// As [`RecordStore::create`], in `dir`.
    ///
    /// # Errors
    /// If the file cannot be created in `dir`: the message names it.
    pub fn create_in(budget: usize, dir: &Path) -> Result<Self, String> {
        let file = tempfile::tempfile_in(dir).map_err(|e| {
            format!(
                "cannot create the dedup spill file in `{}` ({e}): set TMPDIR to a writable directory",
                dir.display()
            )
        })?;
        Ok(RecordStore {
            file: Some(Mutex::new(file)),
            dir: dir.to_path_buf(),
            ..Self::new(budget)
        })
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes written to the temporary file so far.
    pub fn spilled_bytes(&self) -> u64 {
        self.spilled
    }

    /// Append one record.
    ///
    /// # Errors
    /// If the spill file cannot be written (disk full) or, for a store made by
    /// [`RecordStore::new`], created: the message names the directory and the OS error. The
    /// record is not stored then, and the store must not be used further.
    pub fn push(&mut self, id: &str, values: &[u32]) -> Result<(), StageError> {
        let size = 8 + id.len() + 4 * values.len();
        if !self.tail.is_empty() && self.tail.len() + size > self.budget {
            self.spill()?;
        }
        if self.tail.capacity() == 0 {
            // Reserve the whole budget once: no reallocation (and no transient copy) later;
            // untouched pages of the reservation are not resident.
            self.tail.reserve_exact(self.budget.max(size));
        }
        self.tail
            .extend_from_slice(&(id.len() as u32).to_le_bytes());
        self.tail.extend_from_slice(id.as_bytes());
        self.tail
            .extend_from_slice(&(values.len() as u32).to_le_bytes());
        for v in values {
            self.tail.extend_from_slice(&v.to_le_bytes());
        }
        self.offsets.push(self.spilled + self.tail.len() as u64);
        Ok(())
    }

    fn spill(&mut self) -> Result<(), StageError> {
        let dir = &self.dir;
        let what = || format!("the dedup spill file in `{}`", dir.display());
        let file = match &mut self.file {
            Some(f) => f,
            None => {
                let f = tempfile::tempfile_in(dir)
                    .map_err(|e| StageError::io(format!("cannot create {}", what()), &e))?;
                self.file.insert(Mutex::new(f))
            }
        };
        let f = file.get_mut().expect("store lock poisoned");
        f.seek(SeekFrom::End(0))
            .and_then(|_| f.write_all(&self.tail))
            .map_err(|e| StageError::io(format!("cannot write {}", what()), &e))?;
        self.spilled += self.tail.len() as u64;
        self.tail.clear();
        Ok(())
    }

    /// Use `file` as the spill file (tests: `/dev/full` simulates a full disk).
    #[cfg(test)]
    pub(crate) fn with_file(mut self, file: File) -> Self {
        self.file = Some(Mutex::new(file));
        self
    }

    /// A store in `dir` that spills every record to a file it cannot read back (opened
    /// write-only: reads fail with EBADF), for tests of read errors.
    #[cfg(test)]
    pub(crate) fn unreadable_in(dir: &Path) -> Self {
        let write_only = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(dir.join("spill"))
            .unwrap();
        Self::create_in(1, dir).unwrap().with_file(write_only)
    }

    /// Panics unless `err` is the error of a failed spill-file read in `dir`.
    #[cfg(test)]
    pub(crate) fn assert_read_error_in(err: &str, dir: &Path) {
        assert!(
            err.starts_with(&format!(
                "cannot read the dedup spill file in `{}`: ",
                dir.display()
            )),
            "{err}"
        );
    }

    /// The raw bytes of record `i`.
    fn bytes(&self, i: usize) -> Result<Vec<u8>, StageError> {
        let (start, end) = (self.offsets[i], self.offsets[i + 1]);
        if start >= self.spilled {
            let s = (start - self.spilled) as usize;
            return Ok(self.tail[s..(end - self.spilled) as usize].to_vec());
        }
        let mut buf = vec![0; (end - start) as usize];
        let mut f = self
            .file
            .as_ref()
            .expect("spilled records have a file")
            .lock()
            .expect("store lock poisoned");
        f.seek(SeekFrom::Start(start))
            .and_then(|_| f.read_exact(&mut buf))
            .map_err(|e| {
                StageError::io(
                    format!(
                        "cannot read the dedup spill file in `{}`",
                        self.dir.display()
                    ),
                    &e,
                )
            })?;
        Ok(buf)
    }

    /// The id of record `i`.
    ///
    /// # Errors
    /// If the record was spilled and the file cannot be read back (EIO): the message names the
    /// directory and the OS error.
    pub fn id(&self, i: usize) -> Result<String, StageError> {
        let b = self.bytes(i)?;
        let n = u32::from_le_bytes(b[..4].try_into().unwrap()) as usize;
        Ok(String::from_utf8_lossy(&b[4..4 + n]).into_owned())
    }

    /// The values of record `i`, written into `out` (cleared first).
    ///
    /// # Errors
    /// As [`RecordStore::id`].
    pub fn values(&self, i: usize, out: &mut Vec<u32>) -> Result<(), StageError> {
        out.clear();
        let b = self.bytes(i)?;
        let n = u32::from_le_bytes(b[..4].try_into().unwrap()) as usize;
        let rest = &b[4 + n + 4..];
        out.extend(
            rest.chunks_exact(4)
                .map(|c| u32::from_le_bytes(c.try_into().unwrap())),
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_back_records_from_memory_and_file() {
        for budget in [1, 10, 1 << 20] {
            let mut s = RecordStore::new(budget);
            s.push("a", &[1, 2, 3]).unwrap();
            s.push("", &[]).unwrap();
            s.push("ccc", &[7]).unwrap();
            let mut v = Vec::new();
            assert_eq!(s.len(), 3);
            assert_eq!(s.id(0).unwrap(), "a");
            s.values(0, &mut v).unwrap();
            assert_eq!(v, [1, 2, 3]);
            assert_eq!(s.id(1).unwrap(), "");
            s.values(1, &mut v).unwrap();
            assert_eq!(v, Vec::<u32>::new());
            assert_eq!(s.id(2).unwrap(), "ccc");
            s.values(2, &mut v).unwrap();
            assert_eq!(v, [7], "budget {budget}");
            assert_eq!(s.spilled_bytes() > 0, budget < 30, "budget {budget}");
        }
    }

    #[test]
    fn created_store_spills_to_its_directory() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = RecordStore::create_in(4, dir.path()).unwrap();
        s.push("a", &[1, 2]).unwrap();
        s.push("b", &[3]).unwrap();
        let mut v = Vec::new();
        s.values(0, &mut v).unwrap();
        assert_eq!((s.id(0).unwrap(), v.clone()), ("a".to_string(), vec![1, 2]));
        s.values(1, &mut v).unwrap();
        assert_eq!((s.id(1).unwrap(), v), ("b".to_string(), vec![3]));
        assert_eq!(s.spilled_bytes(), 17, "the first record went to the file");
    }

    /// A disk that fills up while the store spills (simulated with `/dev/full`, whose writes
    /// fail with ENOSPC): an error naming the directory and the OS error, not a panic.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_full_disk_while_spilling_is_an_error_naming_the_directory() {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut s = RecordStore::create_in(16, dir.path())
            .unwrap()
            .with_file(full);
        s.push("a", &[1, 2]).unwrap();
        let err = s.push("b", &[3]).unwrap_err().to_string();
        assert_eq!(
            err,
            format!(
                "cannot write the dedup spill file in `{}`: No space left on device (os error 28)",
                dir.path().display()
            )
        );
    }

    /// A spill file that cannot be read back (simulated with a write-only file: reads fail
    /// with EBADF, as they would with EIO on a failing disk): an error naming the directory and
    /// the OS error, not a panic; records still in memory stay readable.
    #[cfg(unix)]
    #[test]
    fn an_unreadable_spill_file_is_an_error_naming_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = RecordStore::unreadable_in(dir.path());
        s.push("a", &[1, 2]).unwrap();
        s.push("b", &[3]).unwrap();
        assert!(s.spilled_bytes() > 0, "the first record went to the file");
        let expected = format!(
            "cannot read the dedup spill file in `{}`: Bad file descriptor (os error 9)",
            dir.path().display()
        );
        assert_eq!(s.id(0).unwrap_err().to_string(), expected);
        let mut v = Vec::new();
        assert_eq!(s.values(0, &mut v).unwrap_err().to_string(), expected);
        assert_eq!(s.id(1).unwrap(), "b", "the in-memory tail is still read");
    }

    #[test]
    fn an_unusable_directory_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no-such-dir");
        let err = RecordStore::create_in(1 << 20, &missing).unwrap_err();
        assert!(
            err.starts_with(&format!(
                "cannot create the dedup spill file in `{}` (",
                missing.display()
            )),
            "{err}"
        );
        assert!(
            err.ends_with("): set TMPDIR to a writable directory"),
            "{err}"
        );
    }
}

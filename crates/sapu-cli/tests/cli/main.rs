//! End-to-end tests of the `sapu` command-line contract (product.md): one binary, a module
//! per command. Each test gets a fresh temporary directory.

mod config;
mod errors;
mod reliability;
mod run;

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A fresh working directory for one test.
pub struct Case {
    pub dir: tempfile::TempDir,
}

impl Case {
    pub fn fresh() -> Case {
        Case {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path(name);
        if let Some(parent) = p.parent() {
            fs::create_dir_all(parent).unwrap();
        }
        fs::write(&p, bytes).unwrap();
        p
    }

    /// Run `sapu` with arguments, in this directory.
    pub fn sapu(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_sapu"))
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .unwrap()
    }

    pub fn summary(&self, out: &str) -> serde_json::Value {
        serde_json::from_slice(&fs::read(self.path(out).join("summary.json")).unwrap()).unwrap()
    }
}

/// Every line of every part file in `dir`, decompressed, in part order.
pub fn read_parts(dir: &Path) -> Vec<serde_json::Value> {
    let mut names: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    let mut out = Vec::new();
    for p in names {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.starts_with("part-"),
            "unexpected file {name} in {}",
            dir.display()
        );
        let mut bytes = Vec::new();
        let f = fs::File::open(&p).unwrap();
        if name.ends_with(".zst") {
            zstd::stream::read::Decoder::new(f)
                .unwrap()
                .read_to_end(&mut bytes)
                .unwrap();
        } else if name.ends_with(".gz") {
            flate2::read::MultiGzDecoder::new(f)
                .read_to_end(&mut bytes)
                .unwrap();
        } else {
            bytes = fs::read(&p).unwrap();
        }
        for line in bytes.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            out.push(serde_json::from_slice(line).unwrap());
        }
    }
    out
}

/// Assert equality of two texts, printing both in full between rulers on failure.
pub fn assert_text_eq(expected: &str, actual: &str) {
    if expected != actual {
        panic!("\n--- expected ---\n{expected}\n--- actual ---\n{actual}\n----------------\n");
    }
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

//! What checking each gzip member / zstd frame before use costs: thread CPU time to decompress
//! the same bytes with the plain streaming decoders (flate2 `MultiGzDecoder`, zstd `Decoder`,
//! behind a 1 MiB `BufReader`) and with sapu's checked readers (`Compression::buf_decoder`),
//! alternating, median of REPS. Synthetic JSON Lines (~88 MB), no data files needed.
//!
//! `cargo run --release -p sapu-eval --bin bench_decompress -- [REPS]`

use std::io::{BufRead, BufReader, Read, Write};

use sapu::read::Compression;
use sapu_eval::{median, thread_cpu_seconds, Rng};

fn drain(mut r: Box<dyn BufRead + Send>) -> u64 {
    let mut n = 0u64;
    loop {
        let k = r.fill_buf().expect("intact input").len();
        if k == 0 {
            return n;
        }
        n += k as u64;
        r.consume(k);
    }
}

fn main() {
    let reps: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(5);
    let words = [
        "kata", "dan", "yang", "untuk", "dengan", "ini", "itu", "dari", "pada", "tidak",
    ];
    let mut rng = Rng(7);
    let mut plain = Vec::new();
    for i in 0..400_000u64 {
        let text: Vec<&str> = (0..40)
            .map(|_| words[(rng.next_u64() % 10) as usize])
            .collect();
        writeln!(plain, "{{\"id\":\"d{i}\",\"text\":\"{}\"}}", text.join(" ")).unwrap();
    }
    let gz_all = gzip(&plain);
    let gz_small: Vec<u8> = plain.chunks(20_000).flat_map(gzip).collect();
    let zst_all = zstd::encode_all(&plain[..], 3).unwrap();
    let zst_4mb: Vec<u8> = plain
        .chunks(4 << 20)
        .flat_map(|c| zstd::encode_all(c, 3).unwrap())
        .collect();
    println!("{} MB of JSON Lines; load {}", plain.len() >> 20, loadavg());
    for (name, bytes, comp) in [
        ("gzip, 1 member", &gz_all, Compression::Gzip),
        ("gzip, 20 KB members", &gz_small, Compression::Gzip),
        ("zstd, 1 frame", &zst_all, Compression::Zstd),
        ("zstd, 4 MB frames", &zst_4mb, Compression::Zstd),
    ] {
        let (mut plain_s, mut checked_s) = (Vec::new(), Vec::new());
        for _ in 0..reps {
            let input = std::io::Cursor::new(bytes.clone());
            let t = thread_cpu_seconds();
            let r: Box<dyn Read + Send> = match comp {
                Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(input)),
                _ => Box::new(zstd::stream::read::Decoder::new(input).unwrap()),
            };
            assert_eq!(
                drain(Box::new(BufReader::with_capacity(1 << 20, r))),
                plain.len() as u64
            );
            plain_s.push(thread_cpu_seconds() - t);
            let input = std::io::Cursor::new(bytes.clone());
            let t = thread_cpu_seconds();
            assert_eq!(drain(comp.buf_decoder(input).unwrap()), plain.len() as u64);
            checked_s.push(thread_cpu_seconds() - t);
        }
        let (a, b) = (median(plain_s), median(checked_s));
        println!(
            "{name}: streaming {a:.3} s, checked {b:.3} s CPU, ratio {:.3}",
            b / a
        );
    }
    println!("load {}", loadavg());
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

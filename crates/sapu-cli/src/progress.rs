//! The progress bar for long runs: shown on a terminal, silent otherwise.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use sapu::pipeline::Progress;

/// A thread that redraws the bar from the engine's counters until stopped.
pub struct Display {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl Display {
    /// Start a display, or nothing when stderr is not a terminal or `quiet` is set.
    pub fn start(progress: &Arc<Progress>, quiet: bool) -> Display {
        let stop = Arc::new(AtomicBool::new(false));
        if quiet || !std::io::stderr().is_terminal() {
            return Display { stop, handle: None };
        }
        let progress = Arc::clone(progress);
        let flag = Arc::clone(&stop);
        let handle = std::thread::spawn(move || {
            let bar = ProgressBar::new(0);
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} {msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
                )
                .expect("a valid template")
                .progress_chars("=> "),
            );
            while !flag.load(Ordering::Relaxed) {
                let phase = progress.phase.load(Ordering::Relaxed);
                let phases = progress.phases.load(Ordering::Relaxed).max(1);
                let docs = progress.docs_done.load(Ordering::Relaxed);
                if phase == 0 {
                    bar.set_length(progress.read.total_bytes.load(Ordering::Relaxed));
                    bar.set_position(progress.read.bytes.load(Ordering::Relaxed));
                    bar.set_message(format!("reading: {docs} docs"));
                } else {
                    bar.set_message(format!("pass {}/{phases}: {docs} docs", phase + 1));
                }
                bar.tick();
                std::thread::sleep(Duration::from_millis(100));
            }
            bar.finish_and_clear();
        });
        Display {
            stop,
            handle: Some(handle),
        }
    }

    /// Stop and erase the bar.
    pub fn finish(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

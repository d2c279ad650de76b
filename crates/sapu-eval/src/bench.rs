//! The pure part of `bench_all` (the side-by-side benchmark behind `bench/run.sh`): the results
//! format written to `bench/results/latest.json`, the figures derived from it (medians,
//! MB/s per core, sapu/peer ratios), and the two renderings: `BENCHMARKS.md` and the SVG bar
//! chart of the ratios. No I/O here, so all of it is unit-tested.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::median;

/// What a measured command is in its task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// sapu itself.
    Sapu,
    /// A peer tool doing the same job.
    Peer,
    /// A physical floor: the least any tool must spend (reading the input, touching memory).
    Floor,
}

/// One repetition of one command.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    /// Wall-clock seconds of the whole process.
    pub wall_s: f64,
    /// User + system CPU seconds of the process and its children.
    pub cpu_s: f64,
    /// Peak resident set of the process (largest of it and its children), KiB.
    pub max_rss_kib: u64,
    /// Seconds the tool reported for its own work, when it reports them (floors that time
    /// only their inner loop; Python drivers after their imports).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub work_s: Option<f64>,
}

/// All repetitions of one tool on one task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolResult {
    /// Short name (`sapu`, `datatrove`, `fasttext`, `zstd -dc | wc -c` ...).
    pub tool: String,
    /// sapu, peer or floor.
    pub role: Role,
    /// Version of the tool (package version for peers).
    pub version: String,
    /// The command line, for reproduction.
    pub command: String,
    /// Successful repetitions.
    pub runs: Vec<Run>,
    /// Documents the tool read and kept (last repetition), when known.
    #[serde(default)]
    pub docs_in: Option<u64>,
    /// Documents written (kept), when known.
    #[serde(default)]
    pub docs_out: Option<u64>,
    /// Why a repetition failed (the first failure), if one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl ToolResult {
    /// Median wall seconds over the repetitions (NaN without any).
    pub fn wall(&self) -> f64 {
        median(self.runs.iter().map(|r| r.wall_s).collect())
    }

    /// Median CPU seconds over the repetitions. A floor that reports its own inner-loop time
    /// is judged by that time (its process start and set-up are not part of the floor).
    pub fn cpu(&self) -> f64 {
        median(
            self.runs
                .iter()
                .map(|r| match (self.role, r.work_s) {
                    (Role::Floor, Some(w)) => w,
                    _ => r.cpu_s,
                })
                .collect(),
        )
    }

    /// Median peak RSS in MiB.
    pub fn rss_mib(&self) -> f64 {
        median(
            self.runs
                .iter()
                .map(|r| r.max_rss_kib as f64 / 1024.0)
                .collect(),
        )
    }

    /// MB (10^6 bytes) of input per CPU-second: throughput per core.
    pub fn mb_per_core_s(&self, input_bytes: u64) -> f64 {
        input_bytes as f64 / 1e6 / self.cpu()
    }
}

/// One task: one input, sapu and its peers (and floors) measured on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskResult {
    /// Identifier (`read_write`, `langid_lingua` ...).
    pub task: String,
    /// Human title.
    pub title: String,
    /// Input file, relative to the repository.
    pub input: String,
    /// Uncompressed bytes of the input (the MB of MB/s).
    pub input_bytes: u64,
    /// Documents in the input.
    pub input_docs: u64,
    /// What is compared and how it differs, in one or two sentences.
    pub notes: String,
    /// The tools, sapu first.
    pub tools: Vec<ToolResult>,
}

impl TaskResult {
    /// sapu's result in this task.
    pub fn sapu(&self) -> Option<&ToolResult> {
        self.tools.iter().find(|t| t.role == Role::Sapu)
    }
}

/// The machine and the conditions of the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Machine {
    /// CPU model name.
    pub cpu: String,
    /// Logical cores.
    pub cores: usize,
    /// Physical memory, GiB.
    pub ram_gib: f64,
    /// Operating system and kernel.
    pub os: String,
    /// 1, 5 and 15 minute load averages when the run started.
    pub load_start: [f64; 3],
    /// The same when it finished.
    pub load_end: [f64; 3],
}

/// Everything one `bench_all run` measured: `bench/results/latest.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Results {
    /// `quick` or `full`.
    pub mode: String,
    /// Repetitions per tool.
    pub repetitions: usize,
    /// UTC start time (RFC 3339).
    pub started_utc: String,
    /// Total wall seconds of the run (corpus building included).
    pub total_seconds: f64,
    /// `git describe --always --dirty` of the measured tree.
    pub git: String,
    /// The machine.
    pub machine: Machine,
    /// The tasks in order.
    pub tasks: Vec<TaskResult>,
}

/// One row of the ratio table: sapu against one peer or floor in one task.
#[derive(Debug, Clone, PartialEq)]
pub struct Ratio {
    /// Task identifier.
    pub task: String,
    /// The other tool.
    pub other: String,
    /// Peer or floor.
    pub role: Role,
    /// sapu throughput per core / the other's (= other's CPU seconds / sapu's): above 1,
    /// sapu does the job with less CPU.
    pub per_core: f64,
    /// Other's wall seconds / sapu's.
    pub wall: f64,
}

/// The sapu/other ratios of every task, in task order, peers before floors.
pub fn ratios(results: &Results) -> Vec<Ratio> {
    let mut out = Vec::new();
    for t in &results.tasks {
        let Some(s) = t.sapu().filter(|s| !s.runs.is_empty()) else {
            continue;
        };
        for role in [Role::Peer, Role::Floor] {
            for o in t
                .tools
                .iter()
                .filter(|o| o.role == role && !o.runs.is_empty())
            {
                out.push(Ratio {
                    task: t.task.clone(),
                    other: o.tool.clone(),
                    role,
                    per_core: o.cpu() / s.cpu(),
                    wall: o.wall() / s.wall(),
                });
            }
        }
    }
    out
}

/// A ratio for a table: `12.3x`, `0.45x`.
pub fn fmt_ratio(r: f64) -> String {
    if !r.is_finite() {
        "n/a".into()
    } else if r >= 100.0 {
        format!("{r:.0}x")
    } else if r >= 10.0 {
        format!("{r:.1}x")
    } else {
        format!("{r:.2}x")
    }
}

/// A throughput or time with three significant figures or so.
pub fn fmt_num(x: f64) -> String {
    if !x.is_finite() {
        "n/a".into()
    } else if x >= 100.0 {
        format!("{x:.0}")
    } else if x >= 10.0 {
        format!("{x:.1}")
    } else if x >= 1.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.3}")
    }
}

/// Text for a Markdown table cell (`|` escaped).
fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

fn fmt_load(l: &[f64; 3]) -> String {
    format!("{:.2} / {:.2} / {:.2}", l[0], l[1], l[2])
}

/// The ratio table (Markdown).
pub fn ratio_table(results: &Results) -> String {
    let mut s = String::from(
        "| task | sapu vs | per core (CPU) | wall | sapu MB/s per core | their MB/s per core |\n\
         |---|---|---:|---:|---:|---:|\n",
    );
    for r in ratios(results) {
        let t = results.tasks.iter().find(|t| t.task == r.task).unwrap();
        let sapu = t.sapu().unwrap();
        let other = t.tools.iter().find(|o| o.tool == r.other).unwrap();
        let vs = match r.role {
            Role::Floor => format!("floor: {}", cell(&r.other)),
            _ => cell(&r.other),
        };
        let _ = writeln!(
            s,
            "| {} | {} | **{}** | {} | {} | {} |",
            t.task,
            vs,
            fmt_ratio(r.per_core),
            fmt_ratio(r.wall),
            fmt_num(sapu.mb_per_core_s(t.input_bytes)),
            fmt_num(other.mb_per_core_s(t.input_bytes)),
        );
    }
    s
}

/// The absolute figures of every tool in every task (Markdown).
pub fn absolute_table(results: &Results) -> String {
    let mut s = String::from(
        "| task | tool | version | input MB | docs in -> out | MB/s per core | wall s | CPU s | peak RSS MiB | runs |\n\
         |---|---|---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for t in &results.tasks {
        for o in &t.tools {
            let docs = match (o.docs_in, o.docs_out) {
                (Some(i), Some(k)) => format!("{i} -> {k}"),
                (Some(i), None) => format!("{i}"),
                _ => String::new(),
            };
            let name = match (&o.error, o.role) {
                (Some(_), _) => format!("{} (failed, see notes)", cell(&o.tool)),
                (None, Role::Floor) => format!("floor: {}", cell(&o.tool)),
                (None, _) => cell(&o.tool),
            };
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                t.task,
                name,
                o.version,
                fmt_num(t.input_bytes as f64 / 1e6),
                docs,
                fmt_num(o.mb_per_core_s(t.input_bytes)),
                fmt_num(o.wall()),
                fmt_num(o.cpu()),
                fmt_num(o.rss_mib()),
                o.runs.len(),
            );
        }
    }
    s
}

/// `BENCHMARKS.md`: machine, ratio table, chart, absolute figures, per-task notes, commands.
pub fn render_markdown(results: &Results, preamble: &str) -> String {
    let m = &results.machine;
    let mut s = String::from("# Benchmarks: sapu side by side with its peers\n\n");
    s.push_str(preamble);
    if !preamble.ends_with('\n') {
        s.push('\n');
    }
    let _ = write!(
        s,
        "\n## This run\n\n\
         - mode: **{}** ({} repetitions per tool, alternating), started {}, took {:.0} s; tree `{}`\n\
         - machine: {}, {} logical cores, {:.1} GiB RAM, {}\n\
         - load average (1/5/15 min): {} at the start, {} at the end (a shared machine: \
           compare tools within this run, not with other runs)\n\n",
        results.mode,
        results.repetitions,
        results.started_utc,
        results.total_seconds,
        results.git,
        m.cpu,
        m.cores,
        m.ram_gib,
        m.os,
        fmt_load(&m.load_start),
        fmt_load(&m.load_end),
    );
    s.push_str(
        "## Ratios\n\n\
         Ratio = the other tool's median CPU seconds / sapu's on the same input (equivalently \
         sapu's MB/s per core / theirs): above 1 sapu is ahead. Against a floor the ratio is \
         below 1 by nature; it says how close sapu gets. `wall` is the same with wall-clock \
         seconds.\n\n",
    );
    s.push_str(&ratio_table(results));
    let behind: Vec<String> = ratios(results)
        .into_iter()
        .filter(|r| r.role == Role::Peer && (r.per_core < 1.0 || r.per_core.is_nan()))
        .map(|r| format!("{} vs {} ({})", r.task, r.other, fmt_ratio(r.per_core)))
        .collect();
    if behind.is_empty() {
        s.push_str("\nsapu is ahead of every peer per core in this run.\n");
    } else {
        let _ = writeln!(
            s,
            "\nsapu is **not ahead** per core in: {}.",
            behind.join(", ")
        );
    }
    s.push_str("\n![sapu / peer throughput per core, log scale](bench/results/ratios.svg)\n\n");
    s.push_str("## Absolute figures\n\nMB = 10^6 bytes of uncompressed input JSONL; medians over the repetitions.\n\n");
    s.push_str(&absolute_table(results));
    s.push_str("\n## Tasks\n\n");
    for t in &results.tasks {
        let _ = writeln!(
            s,
            "- **{}** ({}): `{}`, {} docs, {} MB. {}",
            t.task,
            t.title,
            t.input,
            t.input_docs,
            fmt_num(t.input_bytes as f64 / 1e6),
            t.notes
        );
        for o in &t.tools {
            let _ = writeln!(s, "  - {}: `{}`", o.tool, o.command);
            if let Some(e) = &o.error {
                let _ = writeln!(s, "    - failed: {}", e.replace('\n', " "));
            }
        }
    }
    s
}

/// The ratio chart: one horizontal bar per ratio (per-core), log scale, a line at 1x.
pub fn render_svg(results: &Results) -> String {
    let rows = ratios(results);
    let (label_w, bar_w, row_h, top) = (300.0, 520.0, 22.0, 40.0);
    let width = label_w + bar_w + 80.0;
    let height = top + row_h * rows.len() as f64 + 40.0;
    // Log10 axis over whole decades covering every ratio and 1.
    let finite: Vec<f64> = rows
        .iter()
        .map(|r| r.per_core)
        .filter(|r| r.is_finite() && *r > 0.0)
        .collect();
    let lo = finite
        .iter()
        .fold(1.0f64, |a, &b| a.min(b))
        .log10()
        .floor()
        .min(-1.0);
    let hi = finite
        .iter()
        .fold(1.0f64, |a, &b| a.max(b))
        .log10()
        .ceil()
        .max(1.0);
    let x = |r: f64| label_w + (r.log10() - lo) / (hi - lo) * bar_w;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" \
         viewBox=\"0 0 {width:.0} {height:.0}\" font-family=\"sans-serif\" font-size=\"12\">"
    );
    let _ = writeln!(
        s,
        "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n\
         <text x=\"10\" y=\"20\" font-size=\"14\" font-weight=\"bold\">sapu / other, throughput per core \
         (log scale; right of 1x: sapu ahead) - {} run</text>",
        xml_escape(&results.mode)
    );
    let axis_y = top + row_h * rows.len() as f64;
    for d in (lo as i32)..=(hi as i32) {
        let v = 10f64.powi(d);
        let _ = writeln!(
            s,
            "<line x1=\"{0:.1}\" y1=\"{top}\" x2=\"{0:.1}\" y2=\"{axis_y}\" stroke=\"{1}\" stroke-width=\"{2}\"/>\n\
             <text x=\"{0:.1}\" y=\"{3}\" text-anchor=\"middle\">{4}x</text>",
            x(v),
            if d == 0 { "#333333" } else { "#dddddd" },
            if d == 0 { 1.5 } else { 1.0 },
            axis_y + 16.0,
            axis_label(d)
        );
    }
    for (i, r) in rows.iter().enumerate() {
        let y = top + row_h * i as f64;
        let label = match r.role {
            Role::Floor => format!("{} vs floor {}", r.task, r.other),
            _ => format!("{} vs {}", r.task, r.other),
        };
        let v = if r.per_core.is_finite() && r.per_core > 0.0 {
            r.per_core
        } else {
            1.0
        };
        let (x0, x1) = (x(1.0), x(v));
        let (bx, bw) = if x1 >= x0 {
            (x0, x1 - x0)
        } else {
            (x1, x0 - x1)
        };
        let colour = match (r.role, v >= 1.0) {
            (Role::Floor, _) => "#9e9e9e",
            (_, true) => "#2a9d8f",
            (_, false) => "#e76f51",
        };
        let _ = writeln!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\n\
             <rect class=\"bar\" x=\"{bx:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{colour}\"/>\n\
             <text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            label_w - 8.0,
            y + row_h * 0.7,
            xml_escape(&label),
            y + 3.0,
            bw.max(1.0),
            row_h - 6.0,
            bx + bw.max(1.0) + 4.0,
            y + row_h * 0.7,
            fmt_ratio(r.per_core)
        );
    }
    s.push_str("</svg>\n");
    s
}

/// The label of the decade 10^d on the chart's axis: `0.01`, `0.1`, `1`, `10`, `100`.
fn axis_label(d: i32) -> String {
    if d < 0 {
        format!("{:.*}", (-d) as usize, 10f64.powi(d))
    } else {
        format!("{:.0}", 10f64.powi(d))
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(wall: f64, cpu: f64) -> Run {
        Run {
            wall_s: wall,
            cpu_s: cpu,
            max_rss_kib: 2048,
            work_s: None,
        }
    }

    fn tool(name: &str, role: Role, runs: Vec<Run>) -> ToolResult {
        ToolResult {
            tool: name.into(),
            role,
            version: "1".into(),
            command: format!("{name} <in>"),
            runs,
            docs_in: Some(10),
            docs_out: Some(8),
            error: None,
        }
    }

    fn sample() -> Results {
        Results {
            mode: "quick".into(),
            repetitions: 3,
            started_utc: "2026-01-01T00:00:00Z".into(),
            total_seconds: 12.0,
            git: "abc123".into(),
            machine: Machine {
                cpu: "Test CPU".into(),
                cores: 2,
                ram_gib: 8.0,
                os: "Linux".into(),
                load_start: [1.0, 2.0, 3.0],
                load_end: [1.5, 2.5, 3.5],
            },
            tasks: vec![
                TaskResult {
                    task: "filters".into(),
                    title: "four filters".into(),
                    input: "bench/work/text.jsonl.zst".into(),
                    input_bytes: 10_000_000,
                    input_docs: 10,
                    notes: "n".into(),
                    tools: vec![
                        tool(
                            "sapu",
                            Role::Sapu,
                            vec![run(1.0, 2.0), run(3.0, 1.0), run(2.0, 4.0)],
                        ),
                        tool(
                            "datatrove",
                            Role::Peer,
                            vec![run(10.0, 20.0), run(10.0, 20.0)],
                        ),
                        tool("zstd | wc", Role::Floor, vec![run(0.5, 0.5)]),
                    ],
                },
                TaskResult {
                    task: "extract".into(),
                    title: "HTML".into(),
                    input: "bench/work/html.jsonl.zst".into(),
                    input_bytes: 1_000_000,
                    input_docs: 5,
                    notes: String::new(),
                    tools: vec![
                        tool("sapu", Role::Sapu, vec![run(1.0, 1.0)]),
                        tool("resiliparse", Role::Peer, vec![run(0.5, 0.5)]),
                        tool("broken", Role::Peer, vec![]),
                    ],
                },
            ],
        }
    }

    #[test]
    fn medians_of_runs() {
        let r = sample();
        let s = r.tasks[0].sapu().unwrap();
        assert_eq!(s.wall(), 2.0);
        assert_eq!(s.cpu(), 2.0);
        assert_eq!(s.rss_mib(), 2.0);
        assert_eq!(s.mb_per_core_s(10_000_000), 5.0);
        assert_eq!(r.tasks[0].tools[1].cpu(), 20.0);
    }

    #[test]
    fn median_even_and_empty() {
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!(median(vec![]).is_nan());
    }

    #[test]
    fn floor_uses_reported_work_time() {
        let mut t = tool("membw", Role::Floor, vec![run(2.0, 2.0)]);
        t.runs[0].work_s = Some(0.25);
        assert_eq!(t.cpu(), 0.25);
        let mut p = tool("peer", Role::Peer, vec![run(2.0, 2.0)]);
        p.runs[0].work_s = Some(0.25);
        assert_eq!(p.cpu(), 2.0);
    }

    #[test]
    fn ratios_peers_then_floors_and_skip_empty() {
        let rows = ratios(&sample());
        let names: Vec<(&str, &str)> = rows
            .iter()
            .map(|r| (r.task.as_str(), r.other.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                ("filters", "datatrove"),
                ("filters", "zstd | wc"),
                ("extract", "resiliparse")
            ]
        );
        assert_eq!(rows[0].per_core, 10.0);
        assert_eq!(rows[0].wall, 5.0);
        assert_eq!(rows[1].per_core, 0.25);
        assert_eq!(rows[2].per_core, 0.5);
    }

    #[test]
    fn ratio_table_rows() {
        let t = ratio_table(&sample());
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 2 + 3);
        assert_eq!(
            lines[2],
            "| filters | datatrove | **10.0x** | 5.00x | 5.00 | 0.500 |"
        );
        assert_eq!(
            lines[3],
            "| filters | floor: zstd \\| wc | **0.25x** | 0.25x | 5.00 | 20.0 |"
        );
        assert_eq!(
            lines[4],
            "| extract | resiliparse | **0.50x** | 0.50x | 1.00 | 2.00 |"
        );
    }

    #[test]
    fn markdown_has_machine_tables_and_chart() {
        let md = render_markdown(&sample(), "Intro.\n");
        assert!(md.starts_with("# Benchmarks"));
        assert!(md.contains("Test CPU, 2 logical cores, 8.0 GiB RAM, Linux"));
        assert!(md.contains("1.00 / 2.00 / 3.00 at the start"));
        assert!(md.contains("(bench/results/ratios.svg)"));
        assert!(md.contains("| extract | broken | 1 | 1.00 | 10 -> 8 | n/a |"));
    }

    #[test]
    fn svg_has_one_bar_per_ratio() {
        let svg = render_svg(&sample());
        assert!(svg.starts_with("<svg "));
        assert!(svg.trim_end().ends_with("</svg>"));
        assert_eq!(svg.matches("<rect class=\"bar\"").count(), 3);
        assert!(svg.contains("filters vs datatrove"));
        assert!(svg.contains(">10.0x</text>"));
        // the 1x line is drawn dark
        assert!(svg.contains("stroke=\"#333333\""));
    }

    #[test]
    fn axis_labels() {
        assert_eq!(axis_label(-2), "0.01");
        assert_eq!(axis_label(0), "1");
        assert_eq!(axis_label(2), "100");
    }

    #[test]
    fn markdown_names_where_sapu_is_behind() {
        let md = render_markdown(&sample(), "");
        assert!(md.contains("sapu is **not ahead** per core in: extract vs resiliparse (0.50x)."));
        let mut r = sample();
        r.tasks.truncate(1);
        let md = render_markdown(&r, "");
        assert!(md.contains("sapu is ahead of every peer per core in this run."));
    }

    #[test]
    fn svg_escapes_labels() {
        let mut r = sample();
        r.tasks[0].tools[1].tool = "a<b&c".into();
        let svg = render_svg(&r);
        assert!(svg.contains("a&lt;b&amp;c"));
        assert!(!svg.contains("a<b"));
    }

    #[test]
    fn json_round_trip() {
        let r = sample();
        let json = serde_json::to_string_pretty(&r).unwrap();
        let back: Results = serde_json::from_str(&json).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn formats() {
        assert_eq!(fmt_ratio(172.4), "172x");
        assert_eq!(fmt_ratio(12.34), "12.3x");
        assert_eq!(fmt_ratio(0.456), "0.46x");
        assert_eq!(fmt_ratio(f64::NAN), "n/a");
        assert_eq!(fmt_num(0.0381), "0.038");
        assert_eq!(fmt_num(229.9), "230");
    }
}

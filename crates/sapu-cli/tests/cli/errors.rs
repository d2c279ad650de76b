//! Usage errors, version and help.

use crate::{stderr, stdout, Case};

#[test]
fn usage_errors_exit_2() {
    let case = Case::fresh();
    let o = case.sapu(&["run"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("Usage"), "{}", stderr(&o));
    let o = case.sapu(&["frobnicate"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn version_and_help_with_examples() {
    let case = Case::fresh();
    let o = case.sapu(&["--version"]);
    assert_eq!(
        stdout(&o).trim(),
        format!("sapu {}", env!("CARGO_PKG_VERSION"))
    );
    let o = case.sapu(&["--help"]);
    let help = stdout(&o);
    assert!(
        help.contains("Examples:") && help.contains("sapu run examples/corpus -o out"),
        "{help}"
    );
}

#[test]
fn resume_of_a_complete_run_says_so_and_of_a_fresh_dir_just_runs() {
    let case = Case::fresh();
    case.write("a.jsonl", "{\"text\":\"x\"}\n");
    let o = case.sapu(&["run", "a.jsonl", "-o", "out", "--resume", "--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = case.sapu(&["run", "a.jsonl", "-o", "out", "--resume", "--quiet"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("this run is already complete"),
        "{}",
        stderr(&o)
    );
}

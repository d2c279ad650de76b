//! `sapu config` and recipe errors.

use crate::{stderr, stdout, Case};

#[test]
fn default_recipe_prints_and_checks_back() {
    let case = Case::fresh();
    let o = case.sapu(&["config", "--default"]);
    assert_eq!(o.status.code(), Some(0));
    case.write("default.toml", &o.stdout);
    let text = stdout(&o);
    assert!(text.contains("[input]\ntext_field = \"text\""), "{text}");
    let o = case.sapu(&["config", "--check", "default.toml"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("default.toml: ok"), "{}", stdout(&o));
}

#[test]
fn unknown_stage_type_names_the_line_and_suggests() {
    let case = Case::fresh();
    case.write(
        "r.toml",
        "[input]\ntext_field = \"text\"\n\n[[stages]]\ntype = \"no_such_stage_at_all\"\n",
    );
    let o = case.sapu(&["config", "--check", "r.toml"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.starts_with("sapu: r.toml:5: stage 1: unknown stage type `no_such_stage_at_all`"),
        "{err}"
    );
}

#[test]
fn unknown_keys_name_their_line_and_suggest_the_close_one() {
    let case = Case::fresh();
    case.write(
        "r.toml",
        "[input]\ntext_feld = \"body\"\n\n[output]\nformat = \"csv\"\n",
    );
    let o = case.sapu(&["config", "--check", "r.toml"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("r.toml:2: unknown key `text_feld` in [input]; did you mean `text_field`?"),
        "{err}"
    );
    assert!(
        err.contains(
            "r.toml:5: output `format` must be one of jsonl, jsonl.gz, jsonl.zst, parquet (got `csv`)"
        ),
        "{err}"
    );
}

#[test]
fn toml_syntax_errors_name_the_line() {
    let case = Case::fresh();
    case.write("r.toml", "[input]\ntext_field = \n");
    let o = case.sapu(&["run", "x.jsonl", "-o", "out", "--config", "r.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).starts_with("sapu: r.toml:2: "), "{}", stderr(&o));
}

#[test]
fn stage_without_type_is_an_error() {
    let case = Case::fresh();
    case.write("r.toml", "[[stages]]\nkeep = [\"ind\"]\n");
    let o = case.sapu(&["config", "--check", "r.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("r.toml:1: stage 1 has no `type`"),
        "{}",
        stderr(&o)
    );
}

//! Formatter properties over every `.star` file under `testdata/` (read-only): idempotency and
//! AST equality before and after formatting. Set `HORTUS_FORMAT_CORPUS=<dir>` to also run
//! over another folder of `.star` files.

#![allow(clippy::unwrap_used, clippy::panic, reason = "test helpers may panic")]

use std::path::{Path, PathBuf};

use hortus_lint::format_source;
use hortus_lint::parse::ast_fingerprint;

fn star_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            star_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "star") {
            out.push(p);
        }
    }
}

fn check(files: &[PathBuf]) -> Vec<String> {
    let mut failures = Vec::new();
    for f in files {
        let src = std::fs::read_to_string(f).unwrap();
        let Ok(before) = ast_fingerprint(&src) else {
            continue; // not parseable: the formatter is not expected to handle it
        };
        let once = match format_source(&src) {
            Ok(x) => x,
            Err(e) => {
                failures.push(format!("{}: format failed: {e}", f.display()));
                continue;
            }
        };
        match ast_fingerprint(&once) {
            Ok(after) if after == before => {}
            Ok(_) => failures.push(format!("{}: AST changed", f.display())),
            Err(e) => failures.push(format!(
                "{}: output does not parse: {e}\n{once}",
                f.display()
            )),
        }
        let twice = format_source(&once).unwrap();
        if twice != once {
            failures.push(format!(
                "{}: not idempotent\n--- once\n{once}\n--- twice\n{twice}",
                f.display()
            ));
        }
        let count = |s: &str| s.matches('#').count();
        if count(&once) < count(&src) {
            failures.push(format!("{}: lost a comment", f.display()));
        }
    }
    failures
}

#[test]
fn formatter_is_idempotent_and_keeps_the_ast_on_testdata() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata");
    let mut files = Vec::new();
    star_files(&root, &mut files);
    if let Ok(extra) = std::env::var("HORTUS_FORMAT_CORPUS") {
        star_files(Path::new(&extra), &mut files);
    }
    assert!(!files.is_empty());
    let failures = check(&files);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn no_panic_on_truncated_sources() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata");
    let mut files = Vec::new();
    star_files(&root, &mut files);
    if let Ok(extra) = std::env::var("HORTUS_FORMAT_CORPUS") {
        star_files(Path::new(&extra), &mut files);
    }
    let registry = hortus_builtins::registry::registry();
    for f in &files {
        let src = std::fs::read_to_string(f).unwrap();
        let mut cut = 0;
        while cut < src.len() {
            if src.is_char_boundary(cut) {
                let part = &src[..cut];
                // Either result is fine; neither may panic.
                let _ = format_source(part);
                let ctx = hortus_lint::check::FileContext {
                    path: f,
                    package_root: None,
                    registry: &registry,
                    check_docstring: true,
                };
                let _ = hortus_lint::lint_source(part, &ctx);
            }
            cut += 37;
        }
    }
}

//! `hortus package init` output interprets: the generated package records one service and
//! returns an output (the dry-run path of `hortus run`).

#![allow(clippy::unwrap_used, clippy::panic, reason = "test")]

use hortus_interpreter::{CacheOptions, InterpretRequest, interpret};

#[test]
fn init_package_dry_runs() {
    let dir = tempfile::tempdir().unwrap();
    hortus_lint::init::init_package(dir.path(), None).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let req = InterpretRequest {
        cache: CacheOptions {
            dir: Some(cache.path().to_owned()),
            ..CacheOptions::default()
        },
        ..InterpretRequest::new(dir.path().display().to_string())
    };
    let out = interpret(&req).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(out.plan.instructions.len(), 1);
    assert_eq!(out.package.name, hortus_lint::init::DEFAULT_NAME);
}

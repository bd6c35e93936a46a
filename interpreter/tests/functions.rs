//! Functions across module boundaries, before and after their module freezes.
//!
//! The vendored starlark compiles a top-level `def`'s bytecode on its first non-frozen call
//! and releases its IR once the module is frozen (vendor/README.md). These packages call
//! functions in every state that touches: before the freeze, after it, nested defs made by
//! frozen functions, lambdas made in a loop at top level, and recursion through imports.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::path::Path;

use hortus_interpreter::{CacheOptions, InterpretRequest, interpret};
use serde_json::json;

fn write(root: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

fn run_package(files: &[(&str, &str)]) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), files);
    let request = InterpretRequest {
        cache: CacheOptions {
            dir: Some(dir.path().join(".cache")),
            offline: true,
        },
        ..InterpretRequest::new(dir.path().to_string_lossy())
    };
    let interpreted = match interpret(&request) {
        Ok(i) => i,
        Err(e) => panic!("interpretation failed: {e:?}"),
    };
    interpreted.plan.output.expect("run returns a value")
}

const LIB: &str = r#"
def double(x):
    return 2 * x

# Called while this module is still being evaluated (not frozen yet).
BEFORE = double(21)

def adder(n):
    # A nested def: a new function per call, also after the module froze.
    def add(x):
        return x + n
    return add

ADD_ONE = adder(1)

# Top-level lambdas made in a loop share one definition.
SHIFTS = [lambda x, i = i: x + i for i in range(3)]

def fact(n):
    return 1 if n <= 1 else n * fact(n - 1)

def counter():
    state = {"n": 0}
    def bump():
        state["n"] += 1
        return state["n"]
    return bump

def kw(a, b = 10, *args, **kwargs):
    return [a, b, list(args), sorted(kwargs.keys())]
"#;

const MIDDLE: &str = r#"
lib = import_module("/lib.star")

# Calls frozen functions of another module at top level.
TOTAL = lib.double(lib.BEFORE) + lib.ADD_ONE(1) + lib.SHIFTS[2](1)

def via_lib(x):
    return lib.adder(x)(x)
"#;

const MAIN: &str = r#"
lib = import_module("/lib.star")
middle = import_module("/middle.star")

def run(plan):
    bump = lib.counter()
    bump()
    return {
        "before": lib.BEFORE,
        "double": lib.double(5),
        "add_one": lib.ADD_ONE(41),
        "adder": lib.adder(100)(1),
        "shifts": [f(10) for f in lib.SHIFTS],
        "fact": lib.fact(10),
        "counter": bump(),
        "kw": lib.kw(1, 2, 3, z = 1, y = 2),
        "total": middle.TOTAL,
        "via_lib": middle.via_lib(4),
    }
"#;

#[test]
fn functions_work_before_and_after_their_module_freezes() {
    let output = run_package(&[
        ("kurtosis.yml", "name: github.com/t/functions\n"),
        ("lib.star", LIB),
        ("middle.star", MIDDLE),
        ("main.star", MAIN),
    ]);
    assert_eq!(
        output,
        json!({
            "before": 42,
            "double": 10,
            "add_one": 42,
            "adder": 101,
            "shifts": [10, 11, 12],
            "fact": 3628800,
            "counter": 2,
            "kw": [1, 2, [3], ["y", "z"]],
            "total": 84 + 2 + 3,
            "via_lib": 8,
        })
    );
}

#[test]
fn a_function_called_only_before_the_freeze_and_one_never_called() {
    let output = run_package(&[
        ("kurtosis.yml", "name: github.com/t/functions2\n"),
        (
            "lib.star",
            "def only_here():\n    return 7\n\nVALUE = only_here() * 6\n\ndef never_called():\n    fail(\"unreachable\")\n",
        ),
        (
            "main.star",
            "lib = import_module(\"/lib.star\")\n\ndef local(x):\n    return x + 1\n\nLOCAL = local(1)\n\ndef run(plan):\n    return [lib.VALUE, LOCAL, local(2)]\n",
        ),
    ]);
    assert_eq!(output, json!([42, 2, 3]));
}

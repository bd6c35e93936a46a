//! Benchmark (not a test): generates a ~25k-line package in a temp dir and times
//! `lint_paths` over it. Run with `cargo run --release -p hortus-lint --example bench_lint`.

use std::fmt::Write as _;
use std::io::Write as _;
use std::time::Instant;

fn module(i: usize) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "\"\"\"Generated module {i}.\"\"\"\n");
    let _ = writeln!(s, "BASE_PORT = {}", 8000 + i);
    for f in 0..40 {
        let _ = write!(
            s,
            "\n\ndef service_{f}(plan, name, count=2):\n    ports = {{\n        \"http\": PortSpec(number=BASE_PORT + {f}, application_protocol=\"http\"),\n    }}\n    env = {{\"INDEX\": str({f}), \"NAME\": name}}\n    names = []\n    for n in range(count):\n        svc = plan.add_service(\n            name=\"{{}}-{{}}\".format(name, n),\n            config=ServiceConfig(image=\"nginx:latest\", ports=ports, env_vars=env),\n        )\n        names.append(svc.name)\n    # keep the names sorted\n    return sorted(names)\n"
        );
    }
    s
}

fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    fs_err::write(
        dir.path().join("kurtosis.yml"),
        "name: github.com/bench/package\n",
    )?;
    let mut lines = 0;
    let mut i = 0;
    let mut imports = String::new();
    while lines < 25_000 {
        let m = module(i);
        lines += m.lines().count();
        fs_err::create_dir_all(dir.path().join("lib"))?;
        fs_err::write(dir.path().join(format!("lib/mod_{i}.star")), m)?;
        let _ = writeln!(imports, "mod_{i} = import_module(\"/lib/mod_{i}.star\")");
        i += 1;
    }
    let mut main = imports;
    main.push_str("\n\ndef run(plan):\n    \"\"\"Runs everything.\"\"\"\n    return [\n");
    for j in 0..i {
        let _ = writeln!(main, "        mod_{j}.service_0(plan, \"s{j}\"),");
    }
    main.push_str("    ]\n");
    lines += main.lines().count();
    fs_err::write(dir.path().join("main.star"), main)?;

    let opts = hortus_lint::LintOptions {
        format: false,
        check_docstring: true,
    };
    let start = Instant::now();
    let report = hortus_lint::lint_paths(&[dir.path().to_owned()], &opts)?;
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "linted {} files, {lines} lines, {} finding(s) in {ms:.1} ms",
        report.files_checked,
        report.findings.len()
    )?;
    for f in report.findings.iter().take(5) {
        writeln!(out, "{}", f.render())?;
    }
    Ok(())
}

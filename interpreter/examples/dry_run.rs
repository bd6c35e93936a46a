//! Interprets a target (package folder, script or locator) and prints the number of recorded
//! instructions and the interpretation time: `cargo run --release -p hortus-interpreter
//! --example dry_run -- <target> [--offline] [--repeat N]`.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::time::Instant;

use hortus_interpreter::{CacheOptions, InterpretRequest, interpret};

fn main() {
    let mut target = None;
    let mut offline = false;
    let mut repeat = 1usize;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--offline" => offline = true,
            "--repeat" => repeat = args.next().and_then(|n| n.parse().ok()).unwrap_or(1),
            _ => target = Some(arg),
        }
    }
    let Some(target) = target else {
        eprintln!("usage: dry_run <target> [--offline] [--repeat N]");
        std::process::exit(2);
    };
    let request = InterpretRequest {
        cache: CacheOptions { dir: None, offline },
        skip_teardown: true,
        ..InterpretRequest::new(target)
    };
    for _ in 0..repeat.max(1) {
        let start = Instant::now();
        match interpret(&request) {
            Ok(interpreted) => println!(
                "{} instructions, {} modules, {:.1} ms",
                interpreted.plan.instructions.len(),
                interpreted.sources.names().count(),
                start.elapsed().as_secs_f64() * 1000.0
            ),
            Err(err) => {
                eprintln!("{:?}", miette::Report::new(err));
                std::process::exit(1);
            }
        }
    }
}

//! Golden plans of the `testdata/packages/b_*` fixture packages, interpreted with the
//! builtins' in-memory [`Fixture`] (deterministic ids; scratch paths redacted).

use hortus_builtins::testing::Fixture;

/// Replaces the scratch directory of a fixture run in every path of the plan's JSON text.
fn redact(text: &str) -> String {
    let marker = "hortus-builtins-fixture-";
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        match line.find(marker) {
            Some(at) => {
                let start = line[..at].rfind('"').map_or(0, |q| q + 1);
                let rest = &line[at..];
                let tail = rest.find('/').map_or("", |slash| &rest[slash..]);
                out.push_str(&line[..start]);
                out.push_str("[package]");
                out.push_str(tail);
            }
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

#[test]
fn b_package_plans() {
    insta::glob!("../../testdata", "packages/b_*/kurtosis.yml", |manifest| {
        let dir = manifest.parent().unwrap();
        let (plan, output) = Fixture::from_dir(dir).unwrap().run().unwrap();
        let json = serde_json::to_string_pretty(&plan).unwrap();
        insta::assert_snapshot!(format!("return value: {output}\n\n{}", redact(&json)));
    });
}

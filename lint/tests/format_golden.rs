//! Formatter golden files: `testdata/lint/format/<case>.star` formats to
//! `<case>.expected.star`, and the expected output is a fixed point.

#![allow(clippy::unwrap_used, clippy::panic, reason = "test helpers may panic")]

use std::path::Path;

use hortus_lint::format_source;

#[test]
fn golden_files() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/lint/format");
    let mut cases = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.ends_with(".star") || name.ends_with(".expected.star") {
            continue;
        }
        let expected_path = dir.join(name.replace(".star", ".expected.star"));
        let src = std::fs::read_to_string(&path).unwrap();
        let expected = std::fs::read_to_string(&expected_path)
            .unwrap_or_else(|_| panic!("missing {}", expected_path.display()));
        let got = format_source(&src).unwrap();
        assert_eq!(got, expected, "{name}");
        assert_eq!(
            format_source(&expected).unwrap(),
            expected,
            "{name} is not a fixed point"
        );
        cases += 1;
    }
    assert!(cases >= 4);
}

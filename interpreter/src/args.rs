//! Run arguments (spec §1.3.3, cli §3): the positional JSON/YAML text or an args file,
//! turned into one JSON object text. JSON objects keep their text (key order, exact
//! numbers); YAML is converted with strict booleans and leading-zero numbers as strings,
//! keys sorted as Go's YAML→JSON conversion does.

use std::path::Path;

/// Picks the argument text: the positional text unless it is absent or `{}`, then the args
/// file, else `{}`.
pub fn select(positional: Option<&str>, file: Option<&Path>) -> Result<String, String> {
    if let Some(text) = positional
        && text.trim() != "{}"
        && !text.trim().is_empty()
    {
        return Ok(text.to_owned());
    }
    if let Some(path) = file {
        let shown = path.display().to_string();
        if shown.starts_with("http://") || shown.starts_with("https://") {
            return Err(format!(
                "args file `{shown}` is a URL: only local args files are supported, download it first"
            ));
        }
        return fs_err::read_to_string(path).map_err(|e| format!("cannot read the args file: {e}"));
    }
    Ok("{}".to_owned())
}

/// Converts argument text (JSON or YAML) into JSON object text.
pub fn to_json_object_text(text: &str) -> Result<String, String> {
    let json_err = match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(_)) => return Ok(text.to_owned()),
        Ok(_) => None,
        Err(e) => Some(e.to_string()),
    };
    let mut options = serde_saphyr::Options::default();
    options.strict_booleans = true;
    options.leading_zero_numbers_as_strings = true;
    options.with_snippet = false;
    let protected = protect_big_integers(text);
    match serde_saphyr::from_str_with_options::<serde_json::Value>(&protected, options) {
        Ok(serde_json::Value::Object(map)) => {
            let sorted = sort_keys(serde_json::Value::Object(map));
            serde_json::to_string(&sorted).map_err(|e| format!("cannot convert the arguments: {e}"))
        }
        Ok(_) => Err(
            "the arguments must be a JSON or YAML object (JSON other than dictionaries isn't supported)"
                .to_owned(),
        ),
        Err(yaml) => Err(format!(
            "the arguments are neither valid JSON nor valid YAML\n  JSON: {}\n  YAML: {}",
            json_err.unwrap_or_else(|| "not an object".to_owned()),
            yaml.without_snippet()
        )),
    }
}

/// Marks a plain integer scalar too large for `u64`/`i64` (which YAML parsers turn into a
/// lossy float) so that it survives as text and is restored exactly by [`sort_keys`].
const BIG_INT_MARK: char = '\u{E000}';

/// Quotes block-style plain scalars made of 20+ digits (`key: 1234...`, `- 1234...`) with a
/// marker; other YAML is left untouched.
fn protect_big_integers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        let mut start = body.len() - body.trim_start().len();
        loop {
            let rest = body.get(start..).unwrap_or_default();
            if let Some(after) = rest.strip_prefix("- ") {
                start = body.len() - after.trim_start().len();
            } else {
                break;
            }
        }
        let rest = body.get(start..).unwrap_or_default();
        let value_start = match rest.find(": ") {
            Some(colon) if !rest.starts_with(['"', '\'', '{', '[']) => {
                let after = rest.get(colon + 2..).unwrap_or_default();
                start + colon + 2 + (after.len() - after.trim_start().len())
            }
            _ => start,
        };
        let value = body.get(value_start..).unwrap_or_default();
        let value = value.split(" #").next().unwrap_or_default().trim_end();
        let digits = value.strip_prefix(['-', '+']).unwrap_or(value);
        if digits.len() >= 20 && digits.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str(body.get(..value_start).unwrap_or_default());
            out.push('"');
            out.push(BIG_INT_MARK);
            out.push_str(value);
            out.push('"');
            out.push_str(line.get(value_start + value.len()..).unwrap_or_default());
        } else {
            out.push_str(line);
        }
    }
    out
}

fn sort_keys(v: serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::String(s) if s.starts_with(BIG_INT_MARK) => {
            let digits = s.trim_start_matches(BIG_INT_MARK).trim_start_matches('+');
            serde_json::from_str::<serde_json::Number>(digits).map_or(
                serde_json::Value::String(s.clone()),
                serde_json::Value::Number,
            )
        }
        serde_json::Value::Object(map) => {
            let mut entries: Vec<_> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            serde_json::Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, sort_keys(v)))
                    .collect(),
            )
        }
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.into_iter().map(sort_keys).collect())
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_objects_keep_their_text() {
        let text = r#"{"b": 1, "a": 123456789012345678901234567890}"#;
        assert_eq!(to_json_object_text(text).unwrap(), text);
    }

    #[test]
    fn yaml_is_converted_strictly_with_sorted_keys() {
        let out = to_json_object_text("b: yes\na: 0755\nc:\n  z: 1\n  y: 1.5\n").unwrap();
        assert_eq!(out, r#"{"a":"0755","b":"yes","c":{"y":1.5,"z":1}}"#);
    }

    #[test]
    fn non_objects_and_garbage_are_errors() {
        assert!(
            to_json_object_text("[1, 2]")
                .unwrap_err()
                .contains("dictionaries")
        );
        assert!(to_json_object_text("{").unwrap_err().contains("neither"));
    }

    #[test]
    fn positional_wins_unless_empty_object() {
        let tmp = tempfile::NamedTempFile::new().unwrap();
        fs_err::write(tmp.path(), "a: 1\n").unwrap();
        assert_eq!(
            select(Some("{\"x\": 1}"), Some(tmp.path())).unwrap(),
            "{\"x\": 1}"
        );
        assert_eq!(select(Some("{}"), Some(tmp.path())).unwrap(), "a: 1\n");
        assert_eq!(select(None, None).unwrap(), "{}");
    }
}

#[cfg(test)]
mod big_tests {
    #[test]
    fn yaml_big_integers_stay_exact() {
        let out = super::to_json_object_text(
            "a: 123456789012345678901234567890\nb: 18446744073709551615\nc:\n  - -123456789012345678901 # big\nd: \"123456789012345678901234\"\n",
        )
        .unwrap();
        assert_eq!(
            out,
            r#"{"a":123456789012345678901234567890,"b":18446744073709551615,"c":[-123456789012345678901],"d":"123456789012345678901234"}"#
        );
    }
}

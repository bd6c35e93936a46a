//! Future references: `{{kurtosis:<32-hex id>:<field>.runtime_value}}` placeholders that
//! stand for values only known at execution (starlark-api.md §6).

use regex::Regex;
use std::sync::LazyLock;

/// The recognition regex of §6.1; every substitution uses it.
pub static FUTURE_REF: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\{\{kurtosis:([a-f0-9]{32}):([a-zA-Z0-9\-_.]+)\.runtime_value\}\}")
        .expect("the future-reference regex is valid")
});

/// One placeholder found in a text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RuntimeRef {
    pub id: String,
    pub field: String,
}

impl RuntimeRef {
    /// The placeholder text for this reference.
    pub fn placeholder(&self) -> String {
        format(&self.id, &self.field)
    }
}

/// Builds the placeholder text for `id` and `field`.
pub fn format(id: &str, field: &str) -> String {
    format!("{{{{kurtosis:{id}:{field}.runtime_value}}}}")
}

/// Every placeholder in `text`, left to right.
pub fn find_all(text: &str) -> Vec<RuntimeRef> {
    FUTURE_REF
        .captures_iter(text)
        .map(|c| RuntimeRef {
            id: c[1].to_owned(),
            field: c[2].to_owned(),
        })
        .collect()
}

/// If the whole text is exactly one placeholder, that reference.
pub fn whole(text: &str) -> Option<RuntimeRef> {
    let c = FUTURE_REF.captures(text)?;
    let m = c.get(0)?;
    (m.start() == 0 && m.end() == text.len()).then(|| RuntimeRef {
        id: c[1].to_owned(),
        field: c[2].to_owned(),
    })
}

/// Replaces every placeholder in `text` with what `lookup` returns for it.
pub fn substitute<E>(
    text: &str,
    mut lookup: impl FnMut(&RuntimeRef) -> Result<String, E>,
) -> Result<String, E> {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for c in FUTURE_REF.captures_iter(text) {
        let m = c.get(0).expect("capture 0 is the whole match");
        out.push_str(&text[last..m.start()]);
        let r = RuntimeRef {
            id: c[1].to_owned(),
            field: c[2].to_owned(),
        };
        out.push_str(&lookup(&r)?);
        last = m.end();
    }
    out.push_str(&text[last..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_and_substitutes_placeholders() {
        let id = "0123456789abcdef0123456789abcdef";
        let text = format!(
            "http://{}:80/{}",
            format(id, "ip_address"),
            format(id, "code")
        );
        assert_eq!(find_all(&text).len(), 2);
        let out = substitute::<()>(&text, |r| Ok(r.field.to_uppercase())).unwrap();
        assert_eq!(out, "http://IP_ADDRESS:80/CODE");
        assert!(whole(&format(id, "code")).is_some());
        assert!(whole(&text).is_none());
    }
}

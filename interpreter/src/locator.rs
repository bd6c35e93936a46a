//! Locators (spec §1.4): parsing absolute `github.com/...` locators with Kurtosis's `@`
//! rules, resolving relative locators against the calling module, the same-package
//! absolute-locator ban and `replace` (longest prefix wins). Pure string logic, no disk.

use std::fmt;

/// The host every absolute locator starts with.
pub const GITHUB: &str = "github.com";

/// A parsed absolute locator: a repository, a cleaned path inside it and an optional version
/// (tag, branch or full commit hash).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Locator {
    pub owner: String,
    pub repo: String,
    /// Path segments inside the repository (cleaned: no empty, `.` or `..` segments).
    pub path: Vec<String>,
    /// The `@version` as written, if any.
    pub version: Option<String>,
}

/// Why a locator could not be resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocatorError {
    #[error(
        "`{0}` is not a valid locator: only `github.com/<owner>/<repo>[/<path>][@<ref>]` is supported"
    )]
    NotGithub(String),
    #[error("`{0}` is not a valid locator: it needs at least an owner and a repository")]
    TooShort(String),
    #[error("`{0}` is not a valid locator: a URL scheme is not allowed")]
    Scheme(String),
    #[error("empty locator")]
    Empty,
    #[error(
        "relative locator `{0}` cannot be used in a standalone script: relative URLs don't work with standalone scripts"
    )]
    RelativeInScript(String),
    #[error("locator `{locator}` escapes the repository of `{caller}`")]
    EscapesRepository { locator: String, caller: String },
    #[error(
        "locator `{locator}` is referencing a file within the same package using absolute import syntax, but only relative import syntax (path starting with `/` or `.`) is allowed within a package"
    )]
    SamePackageAbsolute { locator: String },
}

impl Locator {
    /// Parses an absolute locator (spec §1.4.1); `None` when `text` is relative.
    pub fn parse(text: &str) -> Result<Option<Locator>, LocatorError> {
        if text.is_empty() {
            return Err(LocatorError::Empty);
        }
        if text.contains("://") {
            return Err(LocatorError::Scheme(text.to_owned()));
        }
        let first = text.split('/').next().unwrap_or_default();
        if !first.eq_ignore_ascii_case(GITHUB) {
            return Ok(None);
        }
        let (path_part, version) = split_version(text);
        let segments = clean_segments(path_part.split('/').skip(1));
        let Some(segments) = segments else {
            return Err(LocatorError::TooShort(text.to_owned()));
        };
        let mut it = segments.into_iter();
        let (Some(owner), Some(repo)) = (it.next(), it.next()) else {
            return Err(LocatorError::TooShort(text.to_owned()));
        };
        Ok(Some(Locator {
            owner,
            repo,
            path: it.collect(),
            version,
        }))
    }

    /// Parses an absolute locator; relative text is an error.
    pub fn parse_absolute(text: &str) -> Result<Locator, LocatorError> {
        Locator::parse(text)?.ok_or_else(|| LocatorError::NotGithub(text.to_owned()))
    }

    /// `github.com/<owner>/<repo>`.
    pub fn repository(&self) -> String {
        format!("{GITHUB}/{}/{}", self.owner, self.repo)
    }

    /// The locator without its version: `github.com/<owner>/<repo>[/<path>]`.
    pub fn unversioned(&self) -> String {
        let mut s = self.repository();
        for seg in &self.path {
            s.push('/');
            s.push_str(seg);
        }
        s
    }

    /// The same locator without a version.
    pub fn without_version(&self) -> Locator {
        Locator {
            version: None,
            ..self.clone()
        }
    }

    /// All segments: owner, repo, then the path.
    pub fn segments(&self) -> impl Iterator<Item = &str> {
        [self.owner.as_str(), self.repo.as_str()]
            .into_iter()
            .chain(self.path.iter().map(String::as_str))
    }

    /// Whether `prefix` (owner/repo/path segments) is a segment prefix of this locator.
    pub fn starts_with(&self, prefix: &Locator) -> bool {
        let mine: Vec<&str> = self.segments().collect();
        let theirs: Vec<&str> = prefix.segments().collect();
        theirs.len() <= mine.len() && mine.iter().zip(&theirs).all(|(a, b)| a == b)
    }

    /// The path segments after `prefix` (which must be a prefix, see [`Locator::starts_with`]).
    pub fn rest_after(&self, prefix: &Locator) -> Vec<String> {
        self.segments()
            .skip(prefix.segments().count())
            .map(str::to_owned)
            .collect()
    }

    /// The directory of this locator (path without its last segment).
    pub fn parent(&self) -> Locator {
        let mut path = self.path.clone();
        path.pop();
        Locator {
            path,
            ..self.clone()
        }
    }
}

impl fmt::Display for Locator {
    /// The module identity spelling: `github.com/o/r/path[@version]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.unversioned())?;
        if let Some(v) = &self.version {
            write!(f, "@{v}")?;
        }
        Ok(())
    }
}

/// Splits `text` at the first `@` following Kurtosis's rule: when the text after `@` has a `/`
/// and its last part contains a `.`, that last part is a file name re-appended to the path.
fn split_version(text: &str) -> (String, Option<String>) {
    let Some((head, rest)) = text.split_once('@') else {
        return (text.to_owned(), None);
    };
    if let Some((version, last)) = rest.rsplit_once('/')
        && last.contains('.')
    {
        return (format!("{head}/{last}"), non_empty(version));
    }
    (head.to_owned(), non_empty(rest))
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}

/// Lexically cleans path segments (`path.Clean`); `None` when `..` climbs above the start.
fn clean_segments<'a>(segments: impl Iterator<Item = &'a str>) -> Option<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for seg in segments {
        match seg {
            "" | "." => {}
            ".." => {
                out.pop()?;
            }
            s => out.push(s.to_owned()),
        }
    }
    Some(out)
}

/// Resolves a relative locator (not starting with `github.com`) against the module
/// locator `caller` (spec §1.4.2). The caller's version is kept so that the file comes from
/// the same checkout. Climbing above the repository root is an error.
pub fn resolve_relative(caller: &Locator, relative: &str) -> Result<Locator, LocatorError> {
    let escape = || LocatorError::EscapesRepository {
        locator: relative.to_owned(),
        caller: caller.to_string(),
    };
    let path = if let Some(from_root) = relative.strip_prefix('/') {
        clean_segments(from_root.split('/')).ok_or_else(escape)?
    } else {
        let mut base = caller.path.clone();
        base.pop();
        let joined = base
            .iter()
            .map(String::as_str)
            .chain(relative.split('/'))
            .collect::<Vec<_>>();
        clean_segments(joined.into_iter()).ok_or_else(escape)?
    };
    Ok(Locator {
        owner: caller.owner.clone(),
        repo: caller.repo.clone(),
        path,
        version: caller.version.clone(),
    })
}

/// The same-package absolute-locator ban (spec §1.4.3), with a `/` (or `@`) boundary.
pub fn check_same_package_ban(
    root_package_id: Option<&str>,
    caller: &str,
    requested: &str,
) -> Result<(), LocatorError> {
    let Some(root) = root_package_id else {
        return Ok(());
    };
    let within = |s: &str| {
        s.strip_prefix(root)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/') || rest.starts_with('@'))
    };
    if within(caller) && within(requested) {
        return Err(LocatorError::SamePackageAbsolute {
            locator: requested.to_owned(),
        });
    }
    Ok(())
}

/// The target of a `replace` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replacement {
    /// Another remote package (`github.com/me/fork[@ref]`).
    Remote(Locator),
    /// A local directory (value starting with `/` or `.`), as written.
    Local(String),
}

/// The root package's `replace` map, keyed by package locator.
#[derive(Debug, Clone, Default)]
pub struct ReplaceMap {
    entries: Vec<(Locator, Replacement)>,
}

impl ReplaceMap {
    /// Builds the map from `kurtosis.yml` entries (key → value as written).
    pub fn new<'a>(
        entries: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<ReplaceMap, LocatorError> {
        let mut out = Vec::new();
        for (key, value) in entries {
            let key_loc = Locator::parse_absolute(key.trim_end_matches('/'))?.without_version();
            let replacement = if value.starts_with('/') || value.starts_with('.') {
                Replacement::Local(value.to_owned())
            } else {
                Replacement::Remote(Locator::parse_absolute(value)?)
            };
            out.push((key_loc, replacement));
        }
        Ok(ReplaceMap { entries: out })
    }

    /// The local replacements (key, directory as written).
    pub fn locals(&self) -> impl Iterator<Item = (&Locator, &str)> {
        self.entries.iter().filter_map(|(k, r)| match r {
            Replacement::Local(dir) => Some((k, dir.as_str())),
            Replacement::Remote(_) => None,
        })
    }

    /// The longest key that is a proper prefix of `loc` (spec §1.4.5 step 1), and its target.
    pub fn lookup(&self, loc: &Locator) -> Option<(&Locator, &Replacement)> {
        let total = loc.segments().count();
        self.entries
            .iter()
            .filter(|(key, _)| key.segments().count() < total && loc.starts_with(key))
            .max_by_key(|(key, _)| key.segments().count())
            .map(|(k, r)| (k, r))
    }

    /// Applies a remote replacement to `loc`; local replacements and misses leave it as is.
    pub fn apply(&self, loc: &Locator) -> Locator {
        match self.lookup(loc) {
            Some((key, Replacement::Remote(target))) => {
                let mut path = target.path.clone();
                path.extend(loc.rest_after(key));
                Locator {
                    owner: target.owner.clone(),
                    repo: target.repo.clone(),
                    path,
                    version: target.version.clone().or_else(|| loc.version.clone()),
                }
            }
            _ => loc.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Locator {
        Locator::parse_absolute(text).unwrap()
    }

    #[test]
    fn parses_every_example_of_the_spec() {
        let l = p("github.com/a/b/x.star@v1");
        assert_eq!(
            (l.unversioned().as_str(), l.version.as_deref()),
            ("github.com/a/b/x.star", Some("v1"))
        );
        let l = p("github.com/a/b@v1/x.star");
        assert_eq!(
            (l.unversioned().as_str(), l.version.as_deref()),
            ("github.com/a/b/x.star", Some("v1"))
        );
        let l = p("github.com/a/b@feature/foo");
        assert_eq!(
            (l.unversioned().as_str(), l.version.as_deref()),
            ("github.com/a/b", Some("feature/foo"))
        );
        // the quirk: the last part contains a dot, so it is taken as a file name
        let l = p("github.com/a/b@release/v1.2");
        assert_eq!(
            (l.unversioned().as_str(), l.version.as_deref()),
            ("github.com/a/b/v1.2", Some("release"))
        );
        let l = p("GitHub.com/a//b/./c/../d.star");
        assert_eq!(l.unversioned(), "github.com/a/b/d.star");
        assert_eq!(l.version, None);
    }

    #[test]
    fn relative_and_invalid_locators() {
        assert_eq!(Locator::parse("./x.star").unwrap(), None);
        assert_eq!(Locator::parse("/static/x").unwrap(), None);
        assert_eq!(Locator::parse("gitlab.com/a/b").unwrap(), None);
        assert!(matches!(
            Locator::parse("https://github.com/a/b"),
            Err(LocatorError::Scheme(_))
        ));
        assert!(matches!(
            Locator::parse("github.com/a"),
            Err(LocatorError::TooShort(_))
        ));
        assert!(matches!(
            Locator::parse("github.com/a/.."),
            Err(LocatorError::TooShort(_))
        ));
        assert_eq!(Locator::parse(""), Err(LocatorError::Empty));
    }

    #[test]
    fn relative_resolution_follows_the_caller() {
        let caller = p("github.com/o/r/src/lib/a.star");
        assert_eq!(
            resolve_relative(&caller, "./b.star").unwrap().to_string(),
            "github.com/o/r/src/lib/b.star"
        );
        assert_eq!(
            resolve_relative(&caller, "../c.star").unwrap().to_string(),
            "github.com/o/r/src/c.star"
        );
        assert_eq!(
            resolve_relative(&caller, "d/e.star").unwrap().to_string(),
            "github.com/o/r/src/lib/d/e.star"
        );
        assert_eq!(
            resolve_relative(&caller, "/static/f.txt")
                .unwrap()
                .to_string(),
            "github.com/o/r/static/f.txt"
        );
        assert!(matches!(
            resolve_relative(&caller, "../../../../x.star"),
            Err(LocatorError::EscapesRepository { .. })
        ));
        let versioned = p("github.com/o/r/main.star@v1");
        assert_eq!(
            resolve_relative(&versioned, "./lib.star")
                .unwrap()
                .to_string(),
            "github.com/o/r/lib.star@v1"
        );
    }

    #[test]
    fn same_package_ban_applies_only_to_root_package_callers() {
        let root = Some("github.com/a/b");
        assert!(
            check_same_package_ban(root, "github.com/a/b/main.star", "github.com/a/b/lib.star")
                .is_err()
        );
        assert!(
            check_same_package_ban(root, "github.com/x/y/main.star", "github.com/a/b/lib.star")
                .is_ok()
        );
        assert!(
            check_same_package_ban(root, "github.com/a/b/main.star", "github.com/a/bc/lib.star")
                .is_ok()
        );
        assert!(check_same_package_ban(None, "script.star", "github.com/a/b/lib.star").is_ok());
    }

    #[test]
    fn replace_longest_prefix_wins() {
        let map = ReplaceMap::new([
            ("github.com/o/r", "github.com/me/fork@v2"),
            ("github.com/o/r/sub", "github.com/me/sub-fork"),
            ("github.com/l/local", "../local-dep"),
        ])
        .unwrap();
        assert_eq!(
            map.apply(&p("github.com/o/r/x.star")).to_string(),
            "github.com/me/fork/x.star@v2"
        );
        assert_eq!(
            map.apply(&p("github.com/o/r/sub/y.star")).to_string(),
            "github.com/me/sub-fork/y.star"
        );
        // the locator itself is never a candidate
        assert_eq!(
            map.apply(&p("github.com/o/r")).to_string(),
            "github.com/o/r"
        );
        assert_eq!(
            map.apply(&p("github.com/o/rr/x.star")).to_string(),
            "github.com/o/rr/x.star"
        );
        // local replacements leave the locator unchanged
        let local = p("github.com/l/local/z.star");
        assert_eq!(map.apply(&local), local);
        assert!(
            matches!(map.lookup(&local), Some((_, Replacement::Local(d))) if d == "../local-dep")
        );
        assert_eq!(map.locals().count(), 1);
    }
}

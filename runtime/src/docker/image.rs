//! Images: making sure an image is present (inspect, pull only per policy, bounded so an
//! unreachable registry fails fast) and building one from a context directory with the
//! classic builder (context tarred here, minimal `.dockerignore` support: `*`, `?`, `**`
//! and `!` exceptions, last match wins; an excluded directory is not descended into, so an
//! exception inside it is not honoured).

use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::time::Duration;

use bollard::query_parameters::{BuildImageOptionsBuilder, CreateImageOptionsBuilder};
use futures::StreamExt;

use super::DockerBackend;
use super::error::{is_not_found, message_of};
use crate::backend::{BackendError, BackendResult, ImageBuild, ImageOrigin, PullPolicy};

/// A pull that reports nothing for this long is abandoned.
const PULL_IDLE_TIMEOUT: Duration = Duration::from_secs(120);
/// Response-head timeout of a build (the classic builder answers at once, but be generous).
const BUILD_TIMEOUT: Duration = Duration::from_secs(3600);
/// How many output lines a build failure quotes.
const BUILD_ERROR_LINES: usize = 20;

/// `repo[:tag]` or `repo@digest` → the `fromImage` and `tag` of a pull. A missing tag means
/// `latest` (an empty tag would pull every tag of the repository).
fn pull_reference(image: &str) -> (String, String) {
    if image.contains('@') {
        return (image.to_owned(), String::new());
    }
    let last_slash = image.rfind('/').map_or(0, |i| i + 1);
    match image.rfind(':') {
        Some(colon) if colon >= last_slash => (
            image.get(..colon).unwrap_or(image).to_owned(),
            image.get(colon + 1..).unwrap_or("latest").to_owned(),
        ),
        _ => (image.to_owned(), "latest".to_owned()),
    }
}

impl DockerBackend {
    pub(super) async fn ensure_image_present(
        &self,
        image: &str,
        policy: PullPolicy,
    ) -> BackendResult<ImageOrigin> {
        let present = match self.docker.inspect_image(image).await {
            Ok(_) => true,
            Err(error) if is_not_found(&error) => false,
            Err(error) => return Err(self.error(&format!("inspecting image `{image}`"), error)),
        };
        if present && policy == PullPolicy::Missing {
            return Ok(ImageOrigin::LocallyCached);
        }
        match self.pull(image).await {
            Ok(()) => Ok(ImageOrigin::RemotelyDownloaded),
            // `always` with no registry in reach: the local copy is still usable.
            Err(BackendError::ImageUnavailable { .. }) if present => Ok(ImageOrigin::LocallyCached),
            Err(error) => Err(error),
        }
    }

    /// Pulls `image`; every failure (registry unreachable, unknown image, stalled stream)
    /// becomes `ImageUnavailable`, except an unreachable engine.
    async fn pull(&self, image: &str) -> BackendResult<()> {
        let (from_image, tag) = pull_reference(image);
        let mut options = CreateImageOptionsBuilder::new().from_image(&from_image);
        if !tag.is_empty() {
            options = options.tag(&tag);
        }
        let unavailable = |reason: String| BackendError::ImageUnavailable {
            image: image.to_owned(),
            reason,
        };
        let mut stream = self.docker.create_image(Some(options.build()), None, None);
        loop {
            match tokio::time::timeout(PULL_IDLE_TIMEOUT, stream.next()).await {
                Err(_) => {
                    return Err(unavailable(format!(
                        "the pull made no progress for {PULL_IDLE_TIMEOUT:?}"
                    )));
                }
                Ok(None) => return Ok(()),
                Ok(Some(Ok(_))) => {}
                Ok(Some(Err(error))) => {
                    if super::error::is_transport(&error) {
                        return Err(self.error(&format!("pulling image `{image}`"), error));
                    }
                    let reason = match &error {
                        bollard::errors::Error::DockerStreamError { error } => error.clone(),
                        other if !message_of(other).is_empty() => {
                            message_of(other).trim().to_owned()
                        }
                        other => other.to_string(),
                    };
                    return Err(unavailable(reason));
                }
            }
        }
    }

    /// Builds `build` with the classic builder, handing every output line to `progress`.
    /// A failed step is `BuildFailed` quoting the last output lines and the error.
    pub async fn build_image_with_progress(
        &self,
        build: &ImageBuild,
        progress: &mut (dyn FnMut(&str) + Send),
    ) -> BackendResult<()> {
        let failed = |reason: String| BackendError::BuildFailed {
            tag: build.tag.clone(),
            reason,
        };
        let context_dir = build.context_dir.clone();
        let dockerfile = build.dockerfile.clone();
        let context = tokio::task::spawn_blocking(move || tar_context(&context_dir, &dockerfile))
            .await
            .map_err(|e| failed(format!("packing the build context failed: {e}")))?
            .map_err(|e| {
                failed(format!(
                    "cannot pack the build context `{}`: {e}",
                    build.context_dir.display()
                ))
            })?;
        let build_args: HashMap<String, String> = build
            .build_args
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let mut options = BuildImageOptionsBuilder::new()
            .dockerfile(&build.dockerfile)
            .t(&build.tag)
            .rm(true)
            .forcerm(true)
            .buildargs(&build_args);
        if let Some(target) = &build.target {
            options = options.target(target);
        }
        let client = self.client_with_timeout(BUILD_TIMEOUT);
        let mut stream = client.build_image(
            options.build(),
            None,
            Some(bollard::body_full(context.into())),
        );
        let mut last_lines: VecDeque<String> = VecDeque::new();
        while let Some(item) = stream.next().await {
            match item {
                Ok(info) => {
                    let text = info.stream.or(info.status).unwrap_or_default();
                    for line in text.lines().filter(|l| !l.trim().is_empty()) {
                        progress(line);
                        if last_lines.len() == BUILD_ERROR_LINES {
                            last_lines.pop_front();
                        }
                        last_lines.push_back(line.to_owned());
                    }
                }
                Err(error) => {
                    if super::error::is_transport(&error) {
                        return Err(self.error(&format!("building image `{}`", build.tag), error));
                    }
                    let message = match &error {
                        bollard::errors::Error::DockerStreamError { error } => error.clone(),
                        other if !message_of(other).is_empty() => {
                            message_of(other).trim().to_owned()
                        }
                        other => other.to_string(),
                    };
                    let mut reason = message;
                    if !last_lines.is_empty() {
                        reason.push_str("\nlast build output:\n");
                        reason.push_str(&Vec::from(last_lines).join("\n"));
                    }
                    return Err(failed(reason));
                }
            }
        }
        Ok(())
    }
}

/// Tars `context_dir` (symlinks kept as links), skipping what `.dockerignore` excludes;
/// the Dockerfile and `.dockerignore` are always sent, as Docker does.
fn tar_context(context_dir: &Path, dockerfile: &str) -> std::io::Result<Vec<u8>> {
    let patterns = match fs_err::read_to_string(context_dir.join(".dockerignore")) {
        Ok(text) => parse_dockerignore(&text),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(error) => return Err(error),
    };
    let keep: [&str; 2] = [dockerfile.trim_start_matches("./"), ".dockerignore"];
    let mut builder = tar::Builder::new(Vec::new());
    builder.follow_symlinks(false);
    let mut pending = vec![(context_dir.to_path_buf(), String::new())];
    while let Some((dir, prefix)) = pending.pop() {
        let mut entries: Vec<_> = fs_err::read_dir(&dir)?.collect::<Result<_, _>>()?;
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let name = entry.file_name().to_string_lossy().into_owned();
            let relative = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}/{name}")
            };
            if is_ignored(&patterns, &relative) && !keep.contains(&relative.as_str()) {
                continue;
            }
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                builder.append_dir(&relative, &path)?;
                pending.push((path, relative));
            } else {
                builder.append_path_with_name(&path, &relative)?;
            }
        }
    }
    builder.into_inner()
}

/// A `.dockerignore` rule: a glob over the slash-separated relative path; `!` re-includes.
#[derive(Debug, Clone, PartialEq, Eq)]
struct IgnoreRule {
    pattern: String,
    negated: bool,
}

fn parse_dockerignore(text: &str) -> Vec<IgnoreRule> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|line| {
            let (negated, pattern) = match line.strip_prefix('!') {
                Some(rest) => (true, rest.trim()),
                None => (false, line),
            };
            let pattern = pattern.trim_start_matches("./").trim_matches('/');
            (!pattern.is_empty()).then(|| IgnoreRule {
                pattern: pattern.to_owned(),
                negated,
            })
        })
        .collect()
}

/// The last matching rule decides, as in Docker.
fn is_ignored(rules: &[IgnoreRule], relative: &str) -> bool {
    let mut ignored = false;
    for rule in rules {
        if glob_match(&rule.pattern, relative) {
            ignored = !rule.negated;
        }
    }
    ignored
}

/// `*` (within a segment), `?`, and `**` (any number of segments).
fn glob_match(pattern: &str, path: &str) -> bool {
    fn segments_match(pattern: &[&str], path: &[&str]) -> bool {
        match (pattern.split_first(), path.split_first()) {
            (None, None) => true,
            (Some((&"**", rest)), _) => {
                segments_match(rest, path)
                    || path
                        .split_first()
                        .is_some_and(|(_, tail)| segments_match(pattern, tail))
            }
            (Some((first, rest)), Some((segment, tail))) => {
                segment_match(first.as_bytes(), segment.as_bytes()) && segments_match(rest, tail)
            }
            _ => false,
        }
    }
    fn segment_match(pattern: &[u8], text: &[u8]) -> bool {
        match (pattern.split_first(), text.split_first()) {
            (None, None) => true,
            (Some((b'*', rest)), _) => {
                segment_match(rest, text)
                    || text
                        .split_first()
                        .is_some_and(|(_, tail)| segment_match(pattern, tail))
            }
            (Some((b'?', rest)), Some((_, tail))) => segment_match(rest, tail),
            (Some((p, rest)), Some((t, tail))) => p == t && segment_match(rest, tail),
            _ => false,
        }
    }
    let pattern: Vec<&str> = pattern.split('/').collect();
    let path: Vec<&str> = path.split('/').collect();
    segments_match(&pattern, &path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pull_references_default_to_latest() {
        let pair = |a: &str, b: &str| (a.to_owned(), b.to_owned());
        assert_eq!(pull_reference("busybox"), pair("busybox", "latest"));
        assert_eq!(pull_reference("busybox:1.36"), pair("busybox", "1.36"));
        assert_eq!(
            pull_reference("localhost:5000/team/app"),
            pair("localhost:5000/team/app", "latest")
        );
        assert_eq!(
            pull_reference("localhost:5000/team/app:v2"),
            pair("localhost:5000/team/app", "v2")
        );
        assert_eq!(pull_reference("app@sha256:abc"), pair("app@sha256:abc", ""));
    }

    #[test]
    fn dockerignore_rules_follow_docker_order() {
        let rules = parse_dockerignore(
            "# comment\n\nnode_modules\n*.log\n!keep.log\n/build/\ndocs/**/*.md\n",
        );
        assert!(is_ignored(&rules, "node_modules"));
        assert!(is_ignored(&rules, "debug.log"));
        assert!(!is_ignored(&rules, "keep.log"));
        assert!(is_ignored(&rules, "build"));
        assert!(is_ignored(&rules, "docs/a/b/readme.md"));
        assert!(is_ignored(&rules, "docs/readme.md"));
        assert!(!is_ignored(&rules, "src/main.rs"));
        assert!(!is_ignored(&rules, "sub/debug.log"));
    }

    #[test]
    fn context_tar_skips_ignored_files_but_keeps_the_dockerfile() {
        let dir = tempfile::tempdir().unwrap();
        fs_err::write(dir.path().join("Dockerfile"), "FROM scratch\n").unwrap();
        fs_err::write(dir.path().join(".dockerignore"), "*\n!app\n").unwrap();
        fs_err::create_dir_all(dir.path().join("app/sub")).unwrap();
        fs_err::write(dir.path().join("app/sub/file.txt"), "x").unwrap();
        fs_err::write(dir.path().join("secret.env"), "y").unwrap();
        let bytes = tar_context(dir.path(), "Dockerfile").unwrap();
        let mut archive = tar::Archive::new(bytes.as_slice());
        let mut names: Vec<String> = archive
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().display().to_string())
            .map(|n| n.trim_end_matches('/').to_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            vec![
                ".dockerignore",
                "Dockerfile",
                "app",
                "app/sub",
                "app/sub/file.txt"
            ]
        );
    }
}

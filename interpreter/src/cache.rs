//! The package cache: remote repositories checked out with git2 at
//! `<cache>/github.com/<owner>/<repo>` (unversioned) or `<cache>/github.com/<owner>/<repo>@<ref>`
//! (pinned, spelled as written). Offline mode never touches the network.

use std::cell::RefCell;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use git2::build::{CheckoutBuilder, RepoBuilder};
use git2::{FetchOptions, Oid, Repository};

/// Environment variable overriding the cache directory.
pub const CACHE_ENV: &str = "HORTUS_PACKAGE_CACHE";
/// Environment variable forcing offline mode when `1` or `true`.
pub const OFFLINE_ENV: &str = "HORTUS_OFFLINE";
/// Environment variable overriding the clone base URL (default `https://github.com`).
pub const GIT_BASE_URL_ENV: &str = "HORTUS_GIT_BASE_URL";

/// Where remote packages are cached and whether the network may be used.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CacheOptions {
    /// The cache directory; `None` → `HORTUS_PACKAGE_CACHE`, else `<user cache dir>/hortus/packages`.
    pub dir: Option<PathBuf>,
    /// Never touch the network (also set by `HORTUS_OFFLINE=1`).
    pub offline: bool,
}

/// Why a package could not be provided by the cache.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error(
        "cannot determine the user cache directory: set `HORTUS_PACKAGE_CACHE` or pass `--package-cache`"
    )]
    NoCacheDir,
    #[error(
        "`{repository}` is not in the package cache (`{path}`) and offline mode forbids fetching it"
    )]
    Offline { repository: String, path: String },
    #[error("could not clone `{url}`: {message}")]
    Clone { url: String, message: String },
    #[error("cannot use the package cache at `{path}`: {message}")]
    Io { path: String, message: String },
    #[error(
        "tried using the passed version `{version}` of `{repository}` as a tag, a branch and a commit hash, but none exists"
    )]
    VersionNotFound { repository: String, version: String },
}

impl CacheError {
    /// Whether the package author can fix it (otherwise it is the environment's fault).
    pub fn is_author_error(&self) -> bool {
        matches!(self, CacheError::VersionNotFound { .. })
    }
}

/// Resolves the cache directory from options and environment.
pub fn cache_root(options: &CacheOptions) -> Result<PathBuf, CacheError> {
    if let Some(dir) = &options.dir {
        return Ok(dir.clone());
    }
    if let Some(dir) = std::env::var_os(CACHE_ENV).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    directories::BaseDirs::new()
        .map(|dirs| dirs.cache_dir().join("hortus").join("packages"))
        .ok_or(CacheError::NoCacheDir)
}

/// Whether offline mode is on (option or `HORTUS_OFFLINE`).
pub fn is_offline(options: &CacheOptions) -> bool {
    options.offline
        || std::env::var(OFFLINE_ENV)
            .is_ok_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "1" | "true" | "yes"))
}

/// The cache of one run.
pub struct PackageCache {
    root: PathBuf,
    offline: bool,
    base_url: String,
    /// Unversioned checkouts already refreshed (or cloned) in this run.
    fresh: RefCell<HashSet<PathBuf>>,
    warnings: RefCell<Vec<String>>,
}

impl PackageCache {
    /// Opens the cache described by `options` (nothing is created until a fetch).
    pub fn new(options: &CacheOptions) -> Result<PackageCache, CacheError> {
        let base_url = std::env::var(GIT_BASE_URL_ENV)
            .ok()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "https://github.com".to_owned());
        Ok(PackageCache {
            root: cache_root(options)?,
            offline: is_offline(options),
            base_url: base_url.trim_end_matches('/').to_owned(),
            fresh: RefCell::new(HashSet::new()),
            warnings: RefCell::new(Vec::new()),
        })
    }

    /// `<cache>/github.com/<owner>/<repo>[@<version>]`.
    pub fn entry_path(&self, owner: &str, repo: &str, version: Option<&str>) -> PathBuf {
        entry_path(&self.root, owner, repo, version)
    }

    /// Warnings produced so far (failed refreshes).
    pub fn take_warnings(&self) -> Vec<String> {
        std::mem::take(&mut *self.warnings.borrow_mut())
    }

    /// The checkout of `owner/repo` at `version`, fetched when missing (or refreshed once
    /// per run when unversioned and online).
    pub fn checkout(
        &self,
        owner: &str,
        repo: &str,
        version: Option<&str>,
    ) -> Result<PathBuf, CacheError> {
        let path = self.entry_path(owner, repo, version);
        let repository = format!("github.com/{owner}/{repo}");
        if path.is_dir() {
            if version.is_none()
                && !self.offline
                && self.fresh.borrow_mut().insert(path.clone())
                && let Err(e) = refresh(&path)
            {
                self.warnings.borrow_mut().push(format!(
                    "could not refresh `{repository}`, using the cached checkout: {}",
                    e.message()
                ));
            }
            return Ok(path);
        }
        if self.offline {
            return Err(CacheError::Offline {
                repository,
                path: path.display().to_string(),
            });
        }
        let url = format!("{}/{owner}/{repo}.git", self.base_url);
        self.clone_into(&url, &path, &repository, version)?;
        self.fresh.borrow_mut().insert(path.clone());
        Ok(path)
    }

    fn clone_into(
        &self,
        url: &str,
        path: &Path,
        repository: &str,
        version: Option<&str>,
    ) -> Result<(), CacheError> {
        let io = |p: &Path, e: std::io::Error| CacheError::Io {
            path: p.display().to_string(),
            message: e.to_string(),
        };
        let parent = path.parent().unwrap_or(&self.root);
        fs_err::create_dir_all(parent).map_err(|e| io(parent, e))?;
        let nonce = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let tmp = parent.join(format!(".tmp-clone-{}-{nonce}", std::process::id()));
        let local = url.starts_with("file://") || url.starts_with('/');
        let attempts = if local { 1 } else { 3 };
        let mut last = None;
        for attempt in 0..attempts {
            if attempt > 0 {
                std::thread::sleep(Duration::from_secs(1 << (attempt - 1)));
            }
            let _ = fs_err::remove_dir_all(&tmp);
            let mut fetch = FetchOptions::new();
            if version.is_none() && !local {
                fetch.depth(1);
            }
            match RepoBuilder::new().fetch_options(fetch).clone(url, &tmp) {
                Ok(repo) => {
                    last = None;
                    if let Some(v) = version
                        && let Err(e) = checkout_version(&repo, v, repository)
                    {
                        let _ = fs_err::remove_dir_all(&tmp);
                        return Err(e);
                    }
                    break;
                }
                Err(e) => last = Some(e),
            }
        }
        if let Some(e) = last {
            let _ = fs_err::remove_dir_all(&tmp);
            return Err(CacheError::Clone {
                url: url.to_owned(),
                message: format!(
                    "{}; check that the repository exists and is public",
                    e.message()
                ),
            });
        }
        if let Err(e) = fs_err::rename(&tmp, path) {
            let _ = fs_err::remove_dir_all(&tmp);
            // another process may have filled the entry meanwhile
            if !path.is_dir() {
                return Err(io(path, e));
            }
        }
        Ok(())
    }
}

/// `<root>/github.com/<owner>/<repo>[@<version>]`.
pub fn entry_path(root: &Path, owner: &str, repo: &str, version: Option<&str>) -> PathBuf {
    let name = match version {
        Some(v) => format!("{repo}@{v}"),
        None => repo.to_owned(),
    };
    root.join("github.com").join(owner).join(name)
}

/// Resolves `version` as a tag, a remote branch, then a full commit hash, and checks it out.
fn checkout_version(repo: &Repository, version: &str, repository: &str) -> Result<(), CacheError> {
    let not_found = || CacheError::VersionNotFound {
        repository: repository.to_owned(),
        version: version.to_owned(),
    };
    let commit = repo
        .find_reference(&format!("refs/tags/{version}"))
        .or_else(|_| repo.find_reference(&format!("refs/remotes/origin/{version}")))
        .and_then(|r| r.peel_to_commit())
        .or_else(|_| {
            if version.len() == 40 && version.chars().all(|c| c.is_ascii_hexdigit()) {
                Oid::from_str(version).and_then(|oid| repo.find_commit(oid))
            } else {
                Err(git2::Error::from_str("not a commit"))
            }
        })
        .map_err(|_| not_found())?;
    repo.checkout_tree(commit.as_object(), Some(CheckoutBuilder::new().force()))
        .and_then(|()| repo.set_head_detached(commit.id()))
        .map_err(|e| CacheError::Clone {
            url: repository.to_owned(),
            message: e.message().to_owned(),
        })
}

/// Fetches the remote's `HEAD` and resets the checkout to it.
fn refresh(path: &Path) -> Result<(), git2::Error> {
    let repo = Repository::open(path)?;
    let mut remote = repo.find_remote("origin")?;
    let mut options = FetchOptions::new();
    if repo.is_shallow() {
        options.depth(1);
    }
    remote.fetch(&["HEAD"], Some(&mut options), None)?;
    let head = repo.find_reference("FETCH_HEAD")?.peel_to_commit()?;
    repo.checkout_tree(head.as_object(), Some(CheckoutBuilder::new().force()))?;
    repo.set_head_detached(head.id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_paths_follow_the_layout() {
        let root = Path::new("/c");
        assert_eq!(
            entry_path(root, "o", "r", None),
            Path::new("/c/github.com/o/r")
        );
        assert_eq!(
            entry_path(root, "o", "r", Some("v1.0")),
            Path::new("/c/github.com/o/r@v1.0")
        );
        assert_eq!(
            entry_path(root, "o", "r", Some("feature/x")),
            Path::new("/c/github.com/o/r@feature/x")
        );
    }

    #[test]
    fn explicit_dir_wins_and_offline_fails_clearly() {
        let tmp = tempfile::tempdir().unwrap();
        let options = CacheOptions {
            dir: Some(tmp.path().to_path_buf()),
            offline: true,
        };
        assert_eq!(cache_root(&options).unwrap(), tmp.path());
        let cache = PackageCache::new(&options).unwrap();
        let err = cache.checkout("o", "r", None).unwrap_err();
        assert!(matches!(err, CacheError::Offline { .. }), "{err}");
        assert!(err.to_string().contains("github.com/o/r"));
        // an existing entry is used as is
        fs_err::create_dir_all(tmp.path().join("github.com/o/r@v1")).unwrap();
        assert_eq!(
            cache.checkout("o", "r", Some("v1")).unwrap(),
            tmp.path().join("github.com/o/r@v1")
        );
    }
}

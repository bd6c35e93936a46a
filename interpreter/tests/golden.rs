//! Golden snapshots: every `testdata/packages/*/kurtosis.yml` is interpreted and its plan
//! snapshotted; every `testdata/errors/*/` must fail and its rendered report is snapshotted.
//!
//! Remote packages come from local git repositories built from `testdata/repos/` (see its
//! README) and served through `HORTUS_GIT_BASE_URL=file://...`; the package cache is a fresh
//! temporary directory per case. Optional `test-request.json` beside `kurtosis.yml` sets
//! `main_file`, `main_function`, `args`, `args_file` (relative to the case) and `offline`;
//! `args.json` is passed as the positional arguments.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use hortus_builtins::context::{EvalOptions, IdMode};
use hortus_interpreter::{CacheOptions, InterpretError, InterpretRequest, Interpreted, interpret};
use miette::{GraphicalReportHandler, GraphicalTheme};

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata")
        .canonicalize()
        .unwrap()
}

/// Builds the git repositories once per process and points `HORTUS_GIT_BASE_URL` at them.
fn repos() -> &'static Path {
    static REPOS: OnceLock<PathBuf> = OnceLock::new();
    REPOS.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        let sources = testdata().join("repos");
        for org in std::fs::read_dir(&sources).unwrap() {
            let org = org.unwrap().path();
            if !org.is_dir() {
                continue;
            }
            for repo in std::fs::read_dir(&org).unwrap() {
                let repo = repo.unwrap().path();
                let target = dir.join(org.file_name().unwrap()).join(format!(
                    "{}.git",
                    repo.file_name().unwrap().to_string_lossy()
                ));
                build_repo(&repo, &target);
            }
        }
        // SAFETY: set once, before any interpretation reads it, from inside the OnceLock
        unsafe { std::env::set_var("HORTUS_GIT_BASE_URL", format!("file://{}", dir.display())) };
        dir
    })
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        if path.is_dir() {
            copy_dir(&path, &to.join(entry.file_name()));
        } else {
            std::fs::copy(&path, to.join(entry.file_name())).unwrap();
        }
    }
}

/// One commit per `NN-<kind>-<name>` folder, in order (see `testdata/repos/README.md`).
fn build_repo(source: &Path, target: &Path) {
    let repo = git2::Repository::init(target).unwrap();
    let sig = git2::Signature::now("hortus", "hortus@example.com").unwrap();
    let mut steps: Vec<PathBuf> = std::fs::read_dir(source)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    steps.sort();
    let mut parent: Option<git2::Oid> = None;
    for step in steps {
        // replace the work tree content with this step's files
        for entry in std::fs::read_dir(target).unwrap() {
            let path = entry.unwrap().path();
            if path.file_name().unwrap() == ".git" {
                continue;
            }
            if path.is_dir() {
                std::fs::remove_dir_all(&path).unwrap();
            } else {
                std::fs::remove_file(&path).unwrap();
            }
        }
        copy_dir(&step, target);
        let mut index = repo.index().unwrap();
        index.clear().unwrap();
        index
            .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
            .unwrap();
        index.write().unwrap();
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        let name = step.file_name().unwrap().to_string_lossy().into_owned();
        let parents: Vec<git2::Commit> = parent
            .map(|p| repo.find_commit(p).unwrap())
            .into_iter()
            .collect();
        let parent_refs: Vec<&git2::Commit> = parents.iter().collect();
        let oid = repo
            .commit(Some("HEAD"), &sig, &sig, &name, &tree, &parent_refs)
            .unwrap();
        let commit = repo.find_commit(oid).unwrap();
        let mut parts = name.splitn(3, '-').skip(1);
        let (kind, ref_name) = (parts.next().unwrap(), parts.next().unwrap());
        match kind {
            "tag" => {
                repo.tag_lightweight(ref_name, commit.as_object(), false)
                    .unwrap();
            }
            "branch" => {
                repo.branch(ref_name, &commit, false).unwrap();
            }
            _ => {}
        }
        parent = Some(oid);
    }
}

#[derive(Default, serde::Deserialize)]
struct TestRequest {
    main_file: Option<String>,
    main_function: Option<String>,
    args: Option<String>,
    args_file: Option<String>,
    #[serde(default)]
    offline: bool,
}

fn request_for(case: &Path, cache: &Path) -> InterpretRequest {
    let extra: TestRequest = std::fs::read_to_string(case.join("test-request.json"))
        .map(|t| serde_json::from_str(&t).unwrap())
        .unwrap_or_default();
    let args = extra
        .args
        .or_else(|| std::fs::read_to_string(case.join("args.json")).ok());
    InterpretRequest {
        target: case.display().to_string(),
        args,
        args_file: extra.args_file.map(|f| case.join(f)),
        main_file: extra.main_file,
        main_function: extra.main_function,
        cache: CacheOptions {
            dir: Some(cache.to_path_buf()),
            offline: extra.offline,
        },
        options: EvalOptions {
            id_mode: IdMode::Deterministic,
            ..EvalOptions::default()
        },
        skip_teardown: false,
    }
}

fn redact(text: &str, cache: &Path) -> String {
    text.replace(&cache.display().to_string(), "[CACHE]")
        .replace(&repos().display().to_string(), "[REPOS]")
        .replace(&testdata().display().to_string(), "[TESTDATA]")
}

fn run_case(case: &Path) -> (Result<Interpreted, InterpretError>, tempfile::TempDir) {
    repos();
    let cache = tempfile::tempdir().unwrap();
    let result = interpret(&request_for(case, cache.path()));
    (result, cache)
}

/// The plan as YAML text with absolute paths redacted.
fn plan_yaml(interpreted: &Interpreted, cache: &Path) -> String {
    let json = serde_json::to_string(&interpreted.plan).unwrap();
    // re-parse so that numbers print plainly (serde_json's arbitrary_precision is on)
    let value: serde_json::Value = serde_json::from_str(&redact(&json, cache)).unwrap();
    serde_saphyr::to_string(&PlainJson(&value)).unwrap()
}

/// Serialises a JSON value with numbers as plain YAML scalars.
struct PlainJson<'a>(&'a serde_json::Value);

impl serde::Serialize for PlainJson<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self.0 {
            serde_json::Value::Null => s.serialize_unit(),
            serde_json::Value::Bool(b) => s.serialize_bool(*b),
            serde_json::Value::Number(n) => {
                let text = n.to_string();
                if let Ok(i) = text.parse::<i128>() {
                    s.serialize_i128(i)
                } else if let Ok(f) = text.parse::<f64>()
                    && text.contains(['.', 'e', 'E'])
                {
                    s.serialize_f64(f)
                } else {
                    s.serialize_str(&text)
                }
            }
            serde_json::Value::String(t) => s.serialize_str(t),
            serde_json::Value::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&PlainJson(item))?;
                }
                seq.end()
            }
            serde_json::Value::Object(map) => {
                let mut m = s.serialize_map(Some(map.len()))?;
                for (k, v) in map {
                    m.serialize_entry(k, &PlainJson(v))?;
                }
                m.end()
            }
        }
    }
}

fn render(err: &InterpretError) -> String {
    let handler = GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
        .with_width(100)
        .with_links(false)
        .with_urls(false);
    let mut out = String::new();
    handler.render_report(&mut out, err).unwrap();
    out
}

#[test]
fn package_plans() {
    insta::glob!("../../testdata", "packages/i_*/kurtosis.yml", |manifest| {
        let case = manifest.parent().unwrap();
        let (result, cache) = run_case(case);
        match result {
            Ok(interpreted) => insta::assert_snapshot!(plan_yaml(&interpreted, cache.path())),
            Err(err) => panic!("{} failed:\n{}", case.display(), render(&err)),
        }
    });
}

#[test]
fn error_reports() {
    insta::glob!("../../testdata", "errors/*/kurtosis.yml", |manifest| {
        let case = manifest.parent().unwrap();
        let (result, cache) = run_case(case);
        match result {
            Ok(_) => panic!("{} unexpectedly succeeded", case.display()),
            Err(err) => insta::assert_snapshot!(format!(
                "exit code: {}\n{}",
                err.exit_code(),
                redact(&render(&err), cache.path())
            )),
        }
    });
}

#[test]
fn standalone_script_runs() {
    let script = testdata().join("packages/i_script/standalone.star");
    let (result, cache) = run_case(&script);
    let interpreted = result.map_err(|e| render(&e)).unwrap();
    assert_eq!(interpreted.package.name, "DEFAULT_PACKAGE_ID_FOR_SCRIPT");
    insta::assert_snapshot!(plan_yaml(&interpreted, cache.path()));
}

#[test]
fn offline_uses_an_existing_cache_entry() {
    let case = testdata().join("packages/i_remote");
    repos();
    let cache = tempfile::tempdir().unwrap();
    let mut request = request_for(&case, cache.path());
    let online = interpret(&request).map_err(|e| render(&e)).unwrap();
    assert!(cache.path().join("github.com/hortus-org/lib-repo").is_dir());
    assert!(
        cache
            .path()
            .join("github.com/hortus-org/lib-repo@v1.0.0")
            .is_dir()
    );
    assert!(
        cache
            .path()
            .join("github.com/hortus-org/lib-repo@stable")
            .is_dir()
    );
    assert!(
        cache
            .path()
            .join("github.com/hortus-org/fork-repo")
            .is_dir()
    );
    // a second online run refreshes the unversioned checkouts (git fetch) without warnings
    let refreshed = interpret(&request).map_err(|e| render(&e)).unwrap();
    assert_eq!(online.plan, refreshed.plan);
    assert!(
        refreshed.plan.warnings.is_empty(),
        "{:?}",
        refreshed.plan.warnings
    );
    request.cache.offline = true;
    let offline = interpret(&request).map_err(|e| render(&e)).unwrap();
    assert_eq!(online.plan, offline.plan);
}

#[test]
fn remote_root_package_from_a_locator() {
    repos();
    let cache = tempfile::tempdir().unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let mut request = request_for(scratch.path(), cache.path());
    request.target = "github.com/hortus-org/lib-repo@v1.0.0".to_owned();
    let err = interpret(&request).unwrap_err();
    // the package exists but has no main.star
    assert!(err.to_string().contains("main.star"), "{err}");
    assert_eq!(err.exit_code(), 1);
    let info =
        hortus_interpreter::locate_package("github.com/hortus-org/lib-repo@stable", &request.cache)
            .unwrap();
    assert_eq!(info.name, "github.com/hortus-org/lib-repo");
    assert!(info.root.ends_with("lib-repo@stable"));
}

#[test]
fn sources_are_kept_by_display_name() {
    let case = testdata().join("packages/i_imports");
    let (result, _cache) = run_case(&case);
    let interpreted = result.map_err(|e| render(&e)).unwrap();
    let names: Vec<&str> = interpreted.sources.names().collect();
    assert_eq!(
        names,
        ["main.star", "src/lib.star", "src/util/helpers.star"]
    );
    assert!(interpreted.sources.get("main.star").is_some());
}

#[test]
fn failed_clone_is_an_environment_error() {
    repos();
    let cache = tempfile::tempdir().unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let mut request = request_for(scratch.path(), cache.path());
    request.target = "github.com/hortus-org/does-not-exist".to_owned();
    let err = interpret(&request).unwrap_err();
    assert_eq!(err.exit_code(), 2, "{err}");
    assert!(err.to_string().contains("could not clone"), "{err}");
    // nothing half-cloned is left behind
    assert!(
        !cache
            .path()
            .join("github.com/hortus-org/does-not-exist")
            .exists()
    );
}

#[test]
fn locate_package_accepts_folders_and_manifests() {
    let cache = CacheOptions {
        dir: Some(tempfile::tempdir().unwrap().keep()),
        offline: true,
    };
    let dir = testdata().join("packages/i_imports");
    let by_dir = hortus_interpreter::locate_package(&dir.display().to_string(), &cache).unwrap();
    let by_file =
        hortus_interpreter::locate_package(&dir.join("kurtosis.yml").display().to_string(), &cache)
            .unwrap();
    assert_eq!(by_dir, by_file);
    assert_eq!(by_dir.name, "github.com/hortus-test/i-imports");
    assert_eq!(by_dir.main_file, dir.join("main.star"));
    let missing = hortus_interpreter::locate_package("/nonexistent/pkg", &cache).unwrap_err();
    assert_eq!(missing.exit_code(), 1);
}

#[test]
fn a_failed_refresh_of_an_existing_checkout_only_warns() {
    repos();
    let cache = tempfile::tempdir().unwrap();
    // an existing entry that is not a git checkout: the refresh fails, the files are used
    copy_dir(
        &testdata().join("repos/hortus-org/lib-repo/03-head-main"),
        &cache.path().join("github.com/hortus-org/lib-repo"),
    );
    let case = testdata().join("packages/i_remote");
    let interpreted = interpret(&request_for(&case, cache.path()))
        .map_err(|e| render(&e))
        .unwrap();
    assert_eq!(
        interpreted.plan.warnings.len(),
        1,
        "{:?}",
        interpreted.plan.warnings
    );
    assert!(
        interpreted.plan.warnings[0].contains("could not refresh `github.com/hortus-org/lib-repo`")
    );
}

#[test]
fn remote_root_package_runs_with_relative_imports() {
    repos();
    let cache = tempfile::tempdir().unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let mut request = request_for(scratch.path(), cache.path());
    request.target = "github.com/hortus-org/lib-repo".to_owned();
    request.args = Some("greeting: hello".to_owned());
    let interpreted = interpret(&request).map_err(|e| render(&e)).unwrap();
    assert_eq!(interpreted.package.name, "github.com/hortus-org/lib-repo");
    assert_eq!(interpreted.plan.output, Some(serde_json::json!("main")));
    let origins: Vec<String> = interpreted
        .plan
        .instructions
        .iter()
        .map(|i| i.origin.to_string())
        .collect();
    assert_eq!(origins, ["main.star:4:15", "main.star:5:15"]);
    insta::assert_snapshot!(plan_yaml(&interpreted, cache.path()));
}

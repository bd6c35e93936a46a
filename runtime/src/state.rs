//! The per-enclave state directory: `<root>/enclaves/<uuid>/` with `enclave.json`,
//! `artifacts/<uuid>.tgz` + `artifacts.json`, `runtime_values.json`, `services.json` and
//! `plan.json`. Every write is atomic (temp file + rename) and an exclusive lock file is held
//! for as long as an [`EnclaveState`] lives, so two runs on one enclave cannot interleave.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::TryLockError;
use std::io;
use std::path::{Path, PathBuf};

/// Where hortus keeps enclave state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateHome {
    pub root: PathBuf,
}

impl StateHome {
    /// `HORTUS_HOME` when set, else the user data directory + `/hortus`.
    pub fn from_env() -> Self {
        if let Some(home) = std::env::var_os("HORTUS_HOME").filter(|h| !h.is_empty()) {
            return Self {
                root: PathBuf::from(home),
            };
        }
        let root = directories::BaseDirs::new()
            .map(|d| d.data_dir().join("hortus"))
            .unwrap_or_else(|| std::env::temp_dir().join("hortus"));
        Self { root }
    }

    /// `<root>/enclaves`.
    pub fn enclaves_dir(&self) -> PathBuf {
        self.root.join("enclaves")
    }

    /// `<root>/enclaves/<uuid>`.
    pub fn enclave_dir(&self, uuid: &str) -> PathBuf {
        self.enclaves_dir().join(uuid)
    }
}

/// `enclave.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnclaveRecord {
    pub name: String,
    pub uuid: String,
    pub created: String,
}

/// One entry of `artifacts.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArtifactRecord {
    pub uuid: String,
    pub hash: String,
}

/// A port of a registered service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortRecord {
    pub id: String,
    pub number: u16,
    /// `TCP`, `UDP` or `SCTP`.
    pub protocol: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_protocol: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_port: Option<u16>,
}

/// One entry of `services.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceRecord {
    pub uuid: String,
    pub container_id: String,
    pub ip: String,
    #[serde(default)]
    pub ports: Vec<PortRecord>,
}

/// Runtime values: id → field → typed value.
pub type RuntimeValues = BTreeMap<String, BTreeMap<String, serde_json::Value>>;

/// A state error.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("enclave `{0}` is in use by another hortus process")]
    Busy(String),
    #[error("enclave state at `{path}`: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("enclave state file `{path}` is corrupt: {reason}")]
    Corrupt { path: PathBuf, reason: String },
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> StateError + '_ {
    move |source| StateError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes `bytes` to `path` atomically (a temporary sibling, then a rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), StateError> {
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    fs_err::write(&tmp, bytes).map_err(io_err(path))?;
    fs_err::rename(&tmp, path).map_err(io_err(path))
}

fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), StateError> {
    let text = serde_json::to_vec_pretty(value).map_err(|e| StateError::Corrupt {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    write_atomic(path, &text)
}

fn read_json<T: DeserializeOwned + Default>(path: &Path) -> Result<T, StateError> {
    match fs_err::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| StateError::Corrupt {
            path: path.to_path_buf(),
            reason: e.to_string(),
        }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(T::default()),
        Err(e) => Err(StateError::Io {
            path: path.to_path_buf(),
            source: e,
        }),
    }
}

/// The locked state of one enclave, loaded in memory.
#[derive(Debug)]
pub struct EnclaveState {
    pub dir: PathBuf,
    pub record: EnclaveRecord,
    /// Artifact name → record.
    pub artifacts: BTreeMap<String, ArtifactRecord>,
    pub runtime_values: RuntimeValues,
    /// Service name → record.
    pub services: BTreeMap<String, ServiceRecord>,
    /// Executed instructions, in order.
    pub plan: Vec<serde_json::Value>,
    _lock: std::fs::File,
}

impl EnclaveState {
    /// Creates (if needed) and locks the state directory of `record`, then loads it.
    pub fn open(home: &StateHome, record: &EnclaveRecord) -> Result<Self, StateError> {
        let dir = home.enclave_dir(&record.uuid);
        fs_err::create_dir_all(dir.join("artifacts")).map_err(io_err(&dir))?;
        let lock_path = dir.join("lock");
        let lock = fs_err::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io_err(&lock_path))?
            .into_parts()
            .0;
        match lock.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Err(StateError::Busy(record.name.clone())),
            Err(TryLockError::Error(e)) => return Err(io_err(&lock_path)(e)),
        }
        let enclave_json = dir.join("enclave.json");
        if !enclave_json.exists() {
            write_json(&enclave_json, record)?;
        }
        Ok(Self {
            artifacts: read_json(&dir.join("artifacts.json"))?,
            runtime_values: read_json(&dir.join("runtime_values.json"))?,
            services: read_json(&dir.join("services.json"))?,
            plan: read_json(&dir.join("plan.json"))?,
            record: record.clone(),
            dir,
            _lock: lock,
        })
    }

    /// Reads `enclave.json` of a state directory without locking it.
    pub fn read_record(dir: &Path) -> Option<EnclaveRecord> {
        let bytes = fs_err::read(dir.join("enclave.json")).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Path of a stored artifact archive.
    pub fn artifact_path(&self, uuid: &str) -> PathBuf {
        self.dir.join("artifacts").join(format!("{uuid}.tgz"))
    }

    /// Stores (or replaces) an artifact; returns its uuid and whether content changed
    /// (`None` = new, `Some(true)` = updated, `Some(false)` = identical, nothing written).
    pub fn put_artifact(
        &mut self,
        name: &str,
        tgz: &[u8],
    ) -> Result<(String, Option<bool>), StateError> {
        let hash = crate::artifacts::content_hash(tgz).map_err(|e| StateError::Corrupt {
            path: self.dir.clone(),
            reason: format!("artifact `{name}` is not a valid archive: {e}"),
        })?;
        let (uuid, existed) = match self.artifacts.get(name) {
            Some(old) if old.hash == hash => return Ok((old.uuid.clone(), Some(false))),
            Some(old) => (old.uuid.clone(), true),
            None => (uuid::Uuid::new_v4().simple().to_string(), false),
        };
        write_atomic(&self.artifact_path(&uuid), tgz)?;
        self.artifacts.insert(
            name.to_owned(),
            ArtifactRecord {
                uuid: uuid.clone(),
                hash,
            },
        );
        self.save_artifacts()?;
        Ok((uuid, existed.then_some(true)))
    }

    /// The archive of an artifact by name.
    pub fn read_artifact(&self, name: &str) -> Result<Vec<u8>, StateError> {
        let record = self
            .artifacts
            .get(name)
            .ok_or_else(|| StateError::Corrupt {
                path: self.dir.clone(),
                reason: format!("files artifact `{name}` does not exist"),
            })?;
        let path = self.artifact_path(&record.uuid);
        fs_err::read(&path).map_err(io_err(&path))
    }

    pub fn save_artifacts(&self) -> Result<(), StateError> {
        write_json(&self.dir.join("artifacts.json"), &self.artifacts)
    }

    pub fn save_runtime_values(&self) -> Result<(), StateError> {
        write_json(&self.dir.join("runtime_values.json"), &self.runtime_values)
    }

    pub fn save_services(&self) -> Result<(), StateError> {
        write_json(&self.dir.join("services.json"), &self.services)
    }

    /// Appends an executed instruction to `plan.json`.
    pub fn append_plan(&mut self, entry: serde_json::Value) -> Result<(), StateError> {
        self.plan.push(entry);
        write_json(&self.dir.join("plan.json"), &self.plan)
    }

    /// Saves everything.
    pub fn save_all(&self) -> Result<(), StateError> {
        self.save_artifacts()?;
        self.save_runtime_values()?;
        self.save_services()?;
        write_json(&self.dir.join("plan.json"), &self.plan)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> EnclaveRecord {
        EnclaveRecord {
            name: "quiet-brook".into(),
            uuid: "0123456789abcdef0123456789abcdef".into(),
            created: "2026-01-01T00:00:00Z".into(),
        }
    }

    #[test]
    fn second_lock_fails_until_the_first_is_dropped() {
        let tmp = tempfile::tempdir().unwrap();
        let home = StateHome {
            root: tmp.path().to_path_buf(),
        };
        let first = EnclaveState::open(&home, &record()).unwrap();
        let err = EnclaveState::open(&home, &record()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "enclave `quiet-brook` is in use by another hortus process"
        );
        drop(first);
        assert!(EnclaveState::open(&home, &record()).is_ok());
    }

    #[test]
    fn state_round_trips_and_writes_are_atomic() {
        let tmp = tempfile::tempdir().unwrap();
        let home = StateHome {
            root: tmp.path().to_path_buf(),
        };
        let mut state = EnclaveState::open(&home, &record()).unwrap();
        let tgz = crate::artifacts::pack_bytes("a.txt", b"hello").unwrap();
        let (uuid, first) = state.put_artifact("art", &tgz).unwrap();
        assert_eq!(first, None);
        assert_eq!(
            state.put_artifact("art", &tgz).unwrap(),
            (uuid.clone(), Some(false))
        );
        let other = crate::artifacts::pack_bytes("a.txt", b"bye").unwrap();
        assert_eq!(
            state.put_artifact("art", &other).unwrap(),
            (uuid.clone(), Some(true))
        );
        state
            .runtime_values
            .entry("id".into())
            .or_default()
            .insert("code".into(), serde_json::json!(0));
        state.save_runtime_values().unwrap();
        state
            .append_plan(serde_json::json!({"name": "print"}))
            .unwrap();
        drop(state);
        let state = EnclaveState::open(&home, &record()).unwrap();
        assert_eq!(state.artifacts["art"].uuid, uuid);
        assert_eq!(state.read_artifact("art").unwrap(), other);
        assert_eq!(state.runtime_values["id"]["code"], serde_json::json!(0));
        assert_eq!(state.plan.len(), 1);
        let leftovers: Vec<_> = fs_err::read_dir(&state.dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
            .collect();
        assert!(leftovers.is_empty());
        assert_eq!(EnclaveState::read_record(&state.dir).unwrap(), record());
    }
}

//! Enclaves as the executor sees them: open-or-create by name (generated nature names),
//! list, remove (Docker objects through the backend plus the state directory), and the
//! [`Enclave`] handle holding the locked state for a run.

use crate::backend::{Backend, BackendError, EnclaveInfo, EnclaveStatus};
pub use crate::state::StateHome;
use crate::state::{EnclaveRecord, EnclaveState, StateError};
use hortus_plan::names::{NATURE_ADJECTIVES as ADJECTIVES, NATURE_NOUNS as NOUNS};
use rand::seq::IndexedRandom;
use std::collections::{BTreeMap, BTreeSet};

/// An enclave opened for a run; its state stays locked while this value lives.
#[derive(Debug)]
pub struct Enclave {
    pub name: String,
    pub uuid: String,
    pub state: EnclaveState,
}

impl Enclave {
    /// What validation needs to know about the enclave: service → port ids, artifact names.
    pub fn existing(&self) -> (BTreeMap<String, Vec<String>>, BTreeSet<String>) {
        let services = self
            .state
            .services
            .iter()
            .map(|(name, s)| (name.clone(), s.ports.iter().map(|p| p.id.clone()).collect()))
            .collect();
        (services, self.state.artifacts.keys().cloned().collect())
    }

    /// The same as a [`hortus_plan::EnclaveView`].
    pub fn view(&self) -> hortus_plan::EnclaveView {
        let (services, artifacts) = self.existing();
        hortus_plan::EnclaveView {
            services,
            artifacts,
        }
    }
}

/// An enclave-level error.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error(transparent)]
    Backend(#[from] BackendError),
    #[error(transparent)]
    State(#[from] StateError),
    #[error("enclave name `{0}` is invalid: use 1 to 60 letters, digits and dashes")]
    InvalidName(String),
    #[error("no enclave named or identified by `{0}`")]
    NotFound(String),
    #[error(
        "enclave `{0}` is running; stop it first with `hortus enclave stop {0}` or remove it anyway with `--force`"
    )]
    Running(String),
}

/// A random `<adjective>-<noun>` name not in `taken` (5 draws, then `-1`, `-2`, ...).
pub fn generate_name(taken: &BTreeSet<String>) -> String {
    let mut rng = rand::rng();
    let mut draw = || {
        format!(
            "{}-{}",
            ADJECTIVES.choose(&mut rng).copied().unwrap_or("quiet"),
            NOUNS.choose(&mut rng).copied().unwrap_or("brook")
        )
    };
    let mut name = draw();
    for _ in 0..5 {
        if !taken.contains(&name) {
            return name;
        }
        name = draw();
    }
    (1..)
        .map(|i| format!("{name}-{i}"))
        .find(|candidate| !taken.contains(candidate))
        .unwrap_or(name)
}

fn valid_name(name: &str) -> bool {
    (1..=60).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// Opens the enclave `name` (reusing it when Docker has it), or creates it (generated name
/// when `None`). The returned enclave holds the state lock.
pub async fn open_or_create<B: Backend>(
    backend: &B,
    home: &StateHome,
    name: Option<&str>,
) -> Result<Enclave, RuntimeError> {
    let existing = backend.list_enclaves().await?;
    if let Some(name) = name {
        if let Some(info) = existing.iter().find(|e| e.name == name) {
            let record = EnclaveRecord {
                name: info.name.clone(),
                uuid: info.uuid.clone(),
                created: info.created.clone(),
            };
            let state = EnclaveState::open(home, &record)?;
            return Ok(Enclave {
                name: record.name,
                uuid: record.uuid,
                state,
            });
        }
        if !valid_name(name) {
            return Err(RuntimeError::InvalidName(name.to_owned()));
        }
    }
    let name = match name {
        Some(n) => n.to_owned(),
        None => generate_name(&existing.iter().map(|e| e.name.clone()).collect()),
    };
    let uuid = uuid::Uuid::new_v4().simple().to_string();
    let info = backend.create_enclave(&name, &uuid).await?;
    let record = EnclaveRecord {
        name: info.name.clone(),
        uuid: info.uuid.clone(),
        created: info.created.clone(),
    };
    match EnclaveState::open(home, &record) {
        Ok(state) => Ok(Enclave {
            name: record.name,
            uuid: record.uuid,
            state,
        }),
        Err(e) => {
            // Undo what was made: the Docker objects and any partial state directory.
            let _ = backend.remove_enclave(&record.uuid).await;
            let _ = fs_err::remove_dir_all(home.enclave_dir(&record.uuid));
            Err(e.into())
        }
    }
}

/// Every enclave Docker knows about, oldest first.
pub async fn list<B: Backend>(
    backend: &B,
    _home: &StateHome,
) -> Result<Vec<EnclaveInfo>, RuntimeError> {
    Ok(backend.list_enclaves().await?)
}

/// Removes an enclave by name or uuid (or uuid prefix): every labelled Docker object and its
/// state directory. A running enclave needs `force`. Orphan state directories (no Docker
/// enclave) are removed too.
pub async fn remove<B: Backend>(
    backend: &B,
    home: &StateHome,
    name_or_uuid: &str,
    force: bool,
) -> Result<(), RuntimeError> {
    let enclaves = backend.list_enclaves().await?;
    let found = enclaves
        .iter()
        .find(|e| e.name == name_or_uuid || e.uuid == name_or_uuid)
        .or_else(|| {
            let mut by_prefix = enclaves
                .iter()
                .filter(|e| !name_or_uuid.is_empty() && e.uuid.starts_with(name_or_uuid));
            match (by_prefix.next(), by_prefix.next()) {
                (Some(one), None) => Some(one),
                _ => None,
            }
        });
    let mut removed_state = false;
    if let Some(info) = found {
        if info.status == EnclaveStatus::Running && !force {
            return Err(RuntimeError::Running(info.name.clone()));
        }
        backend.remove_enclave(&info.uuid).await?;
        let dir = home.enclave_dir(&info.uuid);
        if dir.exists() {
            fs_err::remove_dir_all(&dir).map_err(|source| StateError::Io { path: dir, source })?;
        }
        removed_state = true;
    }
    // Orphans: state directories whose enclave is gone from Docker.
    let known: BTreeSet<&str> = enclaves
        .iter()
        .filter(|e| found.is_none_or(|f| f.uuid != e.uuid))
        .map(|e| e.uuid.as_str())
        .collect();
    let mut removed_orphan = false;
    if let Ok(entries) = fs_err::read_dir(home.enclaves_dir()) {
        for entry in entries.flatten() {
            let dir_name = entry.file_name().to_string_lossy().into_owned();
            if known.contains(dir_name.as_str()) {
                continue;
            }
            let record = EnclaveState::read_record(&entry.path());
            let matches =
                dir_name == name_or_uuid || record.as_ref().is_some_and(|r| r.name == name_or_uuid);
            if found.is_some() || matches {
                let _ = fs_err::remove_dir_all(entry.path());
                removed_orphan |= matches;
            }
        }
    }
    if removed_state || removed_orphan {
        Ok(())
    } else {
        Err(RuntimeError::NotFound(name_or_uuid.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_names_avoid_taken_ones() {
        let name = generate_name(&BTreeSet::new());
        let (adj, noun) = name.split_once('-').unwrap();
        assert!(ADJECTIVES.contains(&adj) && NOUNS.contains(&noun));
        let all: BTreeSet<String> = ADJECTIVES
            .iter()
            .flat_map(|a| NOUNS.iter().map(move |n| format!("{a}-{n}")))
            .collect();
        let next = generate_name(&all);
        assert!(next.ends_with("-1"), "{next}");
        assert!(valid_name(&next));
        assert!(!valid_name("bad name"));
    }
}

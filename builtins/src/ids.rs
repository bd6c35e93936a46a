//! Generated identifiers: runtime-value ids (32 hex characters), task names and files
//! artifact names (`<adjective>-<noun>`, nature words, starlark-api.md §7.4).
//!
//! Deterministic mode counts ids up from 1 and draws names from a fixed-seed sequence, so
//! snapshots are stable; random mode seeds the same generator from the OS.

use hortus_plan::names::{NATURE_ADJECTIVES as ADJECTIVES, NATURE_NOUNS as NOUNS};
use std::collections::HashSet;

use crate::context::IdMode;

/// How many random draws are tried before a numeric suffix is added.
const NAME_ATTEMPTS: usize = 5;

/// The generator of ids and names for one interpretation.
#[derive(Debug)]
pub struct IdGen {
    mode: IdMode,
    counter: u128,
    tasks: u128,
    state: u64,
    used_names: HashSet<String>,
}

impl IdGen {
    /// A generator in the given mode.
    pub fn new(mode: IdMode) -> Self {
        let state = match mode {
            IdMode::Deterministic => 0x005e_ed0f_a71f_ac75,
            IdMode::Random => rand::random::<u64>(),
        };
        Self {
            mode,
            counter: 0,
            tasks: 0,
            state,
            used_names: HashSet::new(),
        }
    }

    fn next_u64(&mut self) -> u64 {
        // splitmix64: tiny, stable across versions (snapshots depend on it).
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A fresh runtime-value id: 32 lower-case hex characters.
    pub fn next_id(&mut self) -> String {
        match self.mode {
            IdMode::Deterministic => {
                self.counter += 1;
                format!("{:032x}", self.counter)
            }
            IdMode::Random => format!(
                "{:016x}{:016x}",
                rand::random::<u64>(),
                rand::random::<u64>()
            ),
        }
    }

    /// A task container name: `task-<uuid v4 text>`.
    pub fn task_name(&mut self) -> String {
        // A counter of its own, so task names do not shift the runtime-value ids.
        let hex = match self.mode {
            IdMode::Deterministic => {
                self.tasks += 1;
                format!("{:032x}", self.tasks)
            }
            IdMode::Random => self.next_id(),
        };
        let part = |from: usize, to: usize| hex.get(from..to).unwrap_or("0").to_owned();
        format!(
            "task-{}-{}-{}-{}-{}",
            part(0, 8),
            part(8, 12),
            part(12, 16),
            part(16, 20),
            part(20, 32)
        )
    }

    /// Records a user-given artifact name so generated names avoid it.
    pub fn register_name(&mut self, name: &str) {
        self.used_names.insert(name.to_owned());
    }

    /// A fresh `<adjective>-<noun>` name not used yet in this interpretation.
    pub fn artifact_name(&mut self) -> String {
        let mut candidate = String::new();
        for _ in 0..NAME_ATTEMPTS {
            candidate = self.draw();
            if !self.used_names.contains(&candidate) {
                self.used_names.insert(candidate.clone());
                return candidate;
            }
        }
        let mut suffix = 1u64;
        loop {
            let name = format!("{candidate}-{suffix}");
            if !self.used_names.contains(&name) {
                self.used_names.insert(name.clone());
                return name;
            }
            suffix += 1;
        }
    }

    fn draw(&mut self) -> String {
        let a = self.next_u64();
        let n = self.next_u64();
        let adjective = pick(ADJECTIVES, a);
        let noun = pick(NOUNS, n);
        format!("{adjective}-{noun}")
    }
}

fn pick(words: &[&'static str], random: u64) -> &'static str {
    let len = u64::try_from(words.len()).unwrap_or(1).max(1);
    let index = usize::try_from(random % len).unwrap_or(0);
    words.get(index).copied().unwrap_or("nameless")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_ids_count_up() {
        let mut ids = IdGen::new(IdMode::Deterministic);
        assert_eq!(ids.next_id(), "00000000000000000000000000000001");
        assert_eq!(ids.task_name(), "task-00000000-0000-0000-0000-000000000001");
        assert_eq!(ids.next_id(), "00000000000000000000000000000002");
    }

    #[test]
    fn deterministic_names_repeat_across_generators_and_never_collide() {
        let mut a = IdGen::new(IdMode::Deterministic);
        let mut b = IdGen::new(IdMode::Deterministic);
        let names: Vec<String> = (0..200).map(|_| a.artifact_name()).collect();
        let again: Vec<String> = (0..200).map(|_| b.artifact_name()).collect();
        assert_eq!(names, again);
        let unique: HashSet<&String> = names.iter().collect();
        assert_eq!(unique.len(), names.len());
        assert!(names.iter().all(|n| n.contains('-')));
    }

    #[test]
    fn random_ids_are_32_hex() {
        let mut ids = IdGen::new(IdMode::Random);
        let id = ids.next_id();
        assert_eq!(id.len(), 32);
        assert!(
            id.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert!(ids.task_name().starts_with("task-"));
    }
}

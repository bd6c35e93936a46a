//! hortus-runtime: executes a validated plan inside an enclave.
//!
//! The executor drives a [`backend::Backend`]: Docker through bollard for real runs, an
//! in-memory fake for executor unit tests. Files artifacts, runtime values and the executed
//! plan live in a per-enclave state directory. Nothing here knows Starlark.

pub mod artifacts;
pub mod backend;
pub mod docker;
pub mod enclave;
pub mod executor;
pub mod fake;
pub mod state;

//! hortus-builtins: every Kurtosis-specific name a package can see.
//!
//! Three kinds, as in Kurtosis: plan instructions (methods of the `plan` value), helpers
//! (`import_module`, `read_file`) and type constructors (`ServiceConfig`, `PortSpec`, ...).
//! Builtins only record instructions into the [`context::EvalContext`]; they never touch a
//! backend.

pub mod context;
pub mod registry;

//! hortus-builtins: every Kurtosis-specific name a package can see.
//!
//! Three kinds, as in Kurtosis: plan instructions (methods of the `plan` value), helpers
//! (`import_module`, `read_file`) and type constructors (`ServiceConfig`, `PortSpec`, ...).
//! Builtins only record instructions into the [`context::EvalContext`]; they never touch a
//! backend.

pub mod args;
pub mod context;
pub mod helpers;
pub mod ids;
pub mod plan;
pub mod registry;
pub mod testing;
pub mod types;
pub mod value;

use starlark::environment::GlobalsBuilder;

pub use plan::plan_value;

/// Registers the type constructors and the helpers (`import_module`, `read_file`) as
/// globals. The language library (`json`, `struct`, ...) comes from hortus-stdlib.
pub fn register_globals(builder: &mut GlobalsBuilder) {
    types::register(builder);
    helpers::register(builder);
}

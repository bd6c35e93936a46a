//! Global helpers (starlark-api.md §1.5): `import_module` and `read_file`. They run at
//! interpretation time through the [`crate::context::PackageLoader`] and never appear in
//! the plan.

pub mod import_module;
pub mod read_file;

use crate::args::Spec;

/// Every helper declaration, sorted by name.
pub fn helpers() -> [&'static Spec; 2] {
    [&import_module::SPEC, &read_file::SPEC]
}

/// Registers the helpers as globals.
pub fn register(builder: &mut starlark::environment::GlobalsBuilder) {
    import_module::register(builder);
    read_file::register(builder);
}

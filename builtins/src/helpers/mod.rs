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

#[cfg(test)]
mod tests {
    use crate::testing::Fixture;

    #[test]
    fn import_module_exposes_every_global_including_private_ones() {
        let (_, out) = Fixture::new(
            "lib = import_module(\"./src/lib.star\", description = \"ignored\")\nagain = import_module(\"github.com/hortus-test/fixture/src/lib.star\")\ndef run(plan):\n    return [type(lib), str(lib), lib.PORT, lib._secret, lib.double(2), hasattr(lib, \"nope\"), again.PORT]\n",
        )
        .file("src/lib.star", "PORT = 80\n_secret = \"s\"\ndef double(x):\n    return x * 2\n")
        .run()
        .unwrap();
        assert_eq!(
            out,
            "[\"module\", \"<module \\\"./src/lib.star\\\">\", 80, \"s\", 4, False, 80]"
        );
        let err = Fixture::new(
            "lib = import_module(\"./lib.star\")\ndef run(plan):\n    return lib.missing\n",
        )
        .file("lib.star", "X = 1\n")
        .plan()
        .unwrap_err();
        assert!(err.contains("missing"), "{err}");
        let err = Fixture::new("lib = import_module(\"\")\ndef run(plan):\n    pass\n")
            .plan()
            .unwrap_err();
        assert!(
            err.contains("`module_file` must not be an empty string"),
            "{err}"
        );
        let err = Fixture::new("lib = import_module(\"./nope.star\")\ndef run(plan):\n    pass\n")
            .plan()
            .unwrap_err();
        assert!(err.contains("nope.star"), "{err}");
    }

    #[test]
    fn frozen_kurtosis_values_from_modules_are_consumed_like_fresh_ones() {
        let (plan, out) = Fixture::new(
            "lib = import_module(\"./lib.star\")\nTOP = PortSpec(number = 81)\ndef run(plan):\n    s = plan.add_service(\"a\", lib.CONFIG)\n    return [s.ports[\"p\"].number, TOP == PortSpec(81), type(lib.CONFIG)]\n",
        )
        .file("lib.star", "CONFIG = ServiceConfig(image = \"x\", ports = {\"p\": PortSpec(80)})\n")
        .run()
        .unwrap();
        assert_eq!(out, "[80, True, \"ServiceConfig\"]");
        assert_eq!(
            plan.instructions[0].canonical,
            "add_service(name=\"a\", config=ServiceConfig(image=\"x\", ports={\"p\": PortSpec(number=80)}))"
        );
    }

    #[test]
    fn imported_values_are_frozen() {
        let err = Fixture::new(
            "lib = import_module(\"./lib.star\")\ndef run(plan):\n    lib.ITEMS.append(1)\n",
        )
        .file("lib.star", "ITEMS = []\n")
        .plan()
        .unwrap_err();
        let lower = err.to_lowercase();
        assert!(
            lower.contains("frozen") || lower.contains("immutable"),
            "{err}"
        );
    }

    #[test]
    fn read_file_returns_the_content() {
        let (plan, out) = Fixture::new("def run(plan):\n    return read_file(src = \"./templates/a.tmpl\", description = \"x\")\n")
            .file("templates/a.tmpl", "port {{.Port}}\n")
            .run()
            .unwrap();
        assert_eq!(out, "port {{.Port}}\n");
        assert!(plan.instructions.is_empty());
        let err = Fixture::new("def run(plan):\n    return read_file(\"./missing\")\n")
            .plan()
            .unwrap_err();
        assert!(err.contains("cannot read `./missing`"), "{err}");
        let err = Fixture::new("def run(plan):\n    return read_file(src = 1)\n")
            .plan()
            .unwrap_err();
        assert!(err.contains("`src` must be of type `str`"), "{err}");
    }
}

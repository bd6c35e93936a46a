//! Test helper: evaluates a snippet with `GlobalsBuilder::standard()` + [`crate::register`]
//! in the Kurtosis [`crate::dialect`].

use starlark::environment::Globals;
use starlark::environment::GlobalsBuilder;
use starlark::environment::Module;
use starlark::eval::Evaluator;
use starlark::syntax::AstModule;

/// The globals every Kurtosis module sees (language level only).
pub fn globals() -> Globals {
    let mut builder = GlobalsBuilder::standard();
    crate::register(&mut builder);
    builder.build()
}

/// Evaluates `program` and returns starlark-go's `str()` of its last expression, or the error
/// text.
pub fn eval(program: &str) -> Result<String, String> {
    let ast = AstModule::parse("test.star", program.to_owned(), &crate::dialect())
        .map_err(|e| e.to_string())?;
    let globals = globals();
    Module::with_temp_heap(|module| {
        let mut eval = Evaluator::new(&module);
        let value = eval.eval_module(ast, &globals).map_err(|e| e.to_string())?;
        Ok(crate::go_str(value))
    })
}

/// Evaluates `program`, which must succeed, and returns `str()` of its last expression.
#[allow(clippy::panic)]
pub fn ok(program: &str) -> String {
    match eval(program) {
        Ok(s) => s,
        Err(e) => panic!("`{program}` failed: {e}"),
    }
}

/// Evaluates `program`, which must fail, and returns the error text.
#[allow(clippy::panic)]
pub fn err(program: &str) -> String {
    match eval(program) {
        Ok(s) => panic!("`{program}` unexpectedly succeeded with {s}"),
        Err(e) => e,
    }
}

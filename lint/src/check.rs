//! Semantic checks of one parsed file that need no engine: names, builtin calls against the
//! registry, file references, constructs Kurtosis forbids, and the `run` docstring.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use hortus_builtins::registry::{BuiltinDoc, BuiltinKind};
use starlark_syntax::codemap::{Pos, Span};
use starlark_syntax::syntax::AstModule;
use starlark_syntax::syntax::ast::{
    ArgumentP, AssignTargetP, AstAssignTarget, AstExpr, AstLiteral, AstParameter, AstStmt, ClauseP,
    ExprP, ForClauseP, ParameterP, StmtP,
};

use crate::docstring::{find_run, is_known_type, parse_docstring};
use crate::rules::Rule;

/// A raw finding: rule, byte span in the file, message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawFinding {
    /// The rule.
    pub rule: Rule,
    /// Byte span in the source.
    pub span: Span,
    /// The message (lowercase start, values in backticks).
    pub message: String,
}

/// The language-level globals every module sees (starlark-go universe plus Kurtosis's
/// predeclared modules and helpers).
pub const LANGUAGE_GLOBALS: &[&str] = &[
    "None",
    "True",
    "False",
    "abs",
    "any",
    "all",
    "bool",
    "bytes",
    "chr",
    "dict",
    "dir",
    "enumerate",
    "fail",
    "float",
    "getattr",
    "hasattr",
    "hash",
    "int",
    "len",
    "list",
    "max",
    "min",
    "ord",
    "range",
    "repr",
    "reversed",
    "sorted",
    "str",
    "tuple",
    "type",
    "zip",
    "json",
    "struct",
    "time",
    "kurtosis",
    "import_module",
    "read_file",
    "Service",
    "ServiceConfig",
    "PortSpec",
    "ReadyCondition",
    "ExecRecipe",
    "GetHttpRequestRecipe",
    "PostHttpRequestRecipe",
    "Directory",
    "StoreSpec",
    "ImageSpec",
    "ImageBuildSpec",
    "NixBuildSpec",
    "User",
    "Toleration",
    "GpuConfig",
];

/// What the checks need to know about the file's surroundings.
pub struct FileContext<'a> {
    /// The file's path (for resolving relative `import_module` / `read_file` paths).
    pub path: &'a Path,
    /// The package root (nearest ancestor with `kurtosis.yml`), if any.
    pub package_root: Option<&'a Path>,
    /// The builtin registry.
    pub registry: &'a [BuiltinDoc],
    /// Check the `run` docstring (only for `main.star`).
    pub check_docstring: bool,
}

/// Edit distance, for did-you-mean suggestions.
pub fn levenshtein(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            let v = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
            cur.push(v);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The closest candidate to `name`, if close enough to be a likely typo.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).clamp(1, 3);
    candidates
        .into_iter()
        .filter(|c| *c != name)
        .map(|c| (levenshtein(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, c)| c)
}

fn suggestion(name: &str, candidates: Vec<&str>) -> String {
    match did_you_mean(name, candidates) {
        Some(s) => format!(", did you mean `{s}`?"),
        None => String::new(),
    }
}

#[derive(Debug)]
struct Binding {
    span: Span,
    used: bool,
    /// A simple `x = ...` assignment (reportable when unused).
    simple: bool,
    import: bool,
}

struct Scope {
    names: HashMap<String, Binding>,
    order: Vec<String>,
}

impl Scope {
    fn new() -> Self {
        Scope {
            names: HashMap::new(),
            order: Vec::new(),
        }
    }
    fn bind(&mut self, name: &str, span: Span, simple: bool, import: bool) {
        if let Some(b) = self.names.get_mut(name) {
            // Re-binding: keep the first position, but an import stays an import.
            b.simple &= simple;
            b.import |= import;
            return;
        }
        self.order.push(name.to_owned());
        self.names.insert(
            name.to_owned(),
            Binding {
                span,
                used: false,
                simple,
                import,
            },
        );
    }
}

struct Checker<'a> {
    ctx: &'a FileContext<'a>,
    globals: HashSet<&'a str>,
    instructions: HashMap<&'a str, &'a BuiltinDoc>,
    global_builtins: HashMap<&'a str, &'a BuiltinDoc>,
    /// Names of Kurtosis value types (type constructors and `Service`).
    value_types: HashSet<&'a str>,
    scopes: Vec<Scope>,
    findings: Vec<RawFinding>,
    /// Top-level function currently being walked.
    current_def: Option<String>,
    /// Calls between top-level functions: caller -> [(callee, span)].
    calls: HashMap<String, Vec<(String, Span)>>,
    top_defs: HashSet<String>,
}

/// Runs every semantic check over a parsed file.
pub fn check_module(ast: &AstModule, ctx: &FileContext<'_>) -> Vec<RawFinding> {
    let mut globals: HashSet<&str> = LANGUAGE_GLOBALS.iter().copied().collect();
    if ctx
        .path
        .file_name()
        .is_some_and(|n| n.to_string_lossy().ends_with("_test.star"))
    {
        // Third-party unit-test runners predeclare these (starlark-api.md §2.2).
        globals.extend(["expect", "kurtosistest"]);
    }
    let mut instructions = HashMap::new();
    let mut global_builtins = HashMap::new();
    for b in ctx.registry {
        match b.kind {
            BuiltinKind::Instruction => {
                instructions.insert(b.name.as_str(), b);
            }
            BuiltinKind::TypeConstructor | BuiltinKind::Helper => {
                globals.insert(b.name.as_str());
                global_builtins.insert(b.name.as_str(), b);
            }
            // Modules and `struct(**kwargs)`: names only, no signature to check.
            BuiltinKind::Library => {
                globals.insert(b.name.as_str());
            }
        }
    }
    let mut value_types: HashSet<&str> = ctx
        .registry
        .iter()
        .filter(|b| b.kind == BuiltinKind::TypeConstructor)
        .map(|b| b.name.as_str())
        .collect();
    value_types.insert("Service");
    let mut c = Checker {
        ctx,
        globals,
        instructions,
        global_builtins,
        value_types,
        scopes: Vec::new(),
        findings: Vec::new(),
        current_def: None,
        calls: HashMap::new(),
        top_defs: HashSet::new(),
    };
    c.module(ast.statement());
    c.recursion();
    if ctx.check_docstring {
        c.docstring(ast);
    }
    c.findings.sort_by_key(|f| (f.span.begin(), f.rule));
    c.findings
}

fn top_level(stmt: &AstStmt) -> Vec<&AstStmt> {
    match &stmt.node {
        StmtP::Statements(s) => s.iter().collect(),
        _ => vec![stmt],
    }
}

/// Collects the names a block binds (not descending into nested defs).
fn collect_bindings(stmt: &AstStmt, scope: &mut Scope) {
    match &stmt.node {
        StmtP::Statements(s) => s.iter().for_each(|s| collect_bindings(s, scope)),
        StmtP::Assign(a) => {
            let import = is_call_to(&a.rhs, "import_module");
            match &a.lhs.node {
                AssignTargetP::Identifier(id) => scope.bind(&id.node.ident, id.span, true, import),
                _ => collect_target(&a.lhs, scope),
            }
        }
        StmtP::AssignModify(t, _, _) => collect_target(t, scope),
        StmtP::If(_, body) => collect_bindings(body, scope),
        StmtP::IfElse(_, b) => {
            collect_bindings(&b.0, scope);
            collect_bindings(&b.1, scope);
        }
        StmtP::For(f) => {
            collect_target(&f.var, scope);
            collect_bindings(&f.body, scope);
        }
        StmtP::Def(d) => scope.bind(&d.name.node.ident, d.name.span, false, false),
        StmtP::Load(l) => {
            for a in &l.args {
                scope.bind(&a.local.node.ident, a.local.span, false, false);
            }
        }
        _ => {}
    }
}

fn collect_target(t: &AstAssignTarget, scope: &mut Scope) {
    match &t.node {
        AssignTargetP::Identifier(id) => scope.bind(&id.node.ident, id.span, false, false),
        AssignTargetP::Tuple(xs) => xs.iter().for_each(|x| collect_target(x, scope)),
        _ => {}
    }
}

fn is_call_to(e: &AstExpr, name: &str) -> bool {
    matches!(&e.node, ExprP::Call(f, _) if matches!(&f.node, ExprP::Identifier(id) if id.node.ident == name))
}

/// The literal kind of an argument expression, when it is a literal.
fn literal_kind(e: &AstExpr) -> Option<&'static str> {
    match &e.node {
        ExprP::Literal(AstLiteral::String(_)) => Some("str"),
        ExprP::Literal(AstLiteral::Int(_)) => Some("int"),
        ExprP::Literal(AstLiteral::Float(_)) => Some("float"),
        ExprP::Minus(x) => match &x.node {
            ExprP::Literal(AstLiteral::Int(_)) => Some("int"),
            ExprP::Literal(AstLiteral::Float(_)) => Some("float"),
            _ => None,
        },
        ExprP::Identifier(id) if id.node.ident == "True" || id.node.ident == "False" => {
            Some("bool")
        }
        ExprP::Identifier(id) if id.node.ident == "None" => Some("None"),
        ExprP::List(_) | ExprP::ListComprehension(..) => Some("list"),
        ExprP::Dict(_) | ExprP::DictComprehension(..) => Some("dict"),
        ExprP::Tuple(_) => Some("tuple"),
        _ => None,
    }
}

/// Whether a literal of `kind` can be passed where `ty` (registry text) is expected.
/// Conservative: unknown type words accept anything.
fn type_accepts(ty: &str, kind: &str, required: bool, value_types: &HashSet<&str>) -> bool {
    if kind == "None" && !required {
        return true;
    }
    let mut depth = 0i32;
    let mut alts = Vec::new();
    let mut start = 0;
    for (i, ch) in ty.char_indices() {
        match ch {
            '[' | '(' => depth += 1,
            ']' | ')' => depth -= 1,
            '|' if depth == 0 => {
                alts.push(&ty[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    alts.push(&ty[start..]);
    for alt in alts {
        let base = alt.trim().split('[').next().unwrap_or_default().trim();
        let ok = match base {
            "str" | "string" => kind == "str",
            "int" => kind == "int",
            "float" => kind == "float" || kind == "int",
            "bool" => kind == "bool",
            "list" | "tuple" | "sequence" | "Sequence" => kind == "list" || kind == "tuple",
            "dict" => kind == "dict",
            "None" | "NoneType" => kind == "None",
            // A Kurtosis value type (`PortSpec`, `Service`, ...) takes no plain literal;
            // anything else we do not know (`Value`, `Comparable`, `json`) accepts everything.
            other => !value_types.contains(other),
        };
        if ok {
            return true;
        }
    }
    false
}

impl<'a> Checker<'a> {
    fn report(&mut self, rule: Rule, span: Span, message: String) {
        self.findings.push(RawFinding {
            rule,
            span,
            message,
        });
    }

    fn module(&mut self, stmt: &AstStmt) {
        let mut scope = Scope::new();
        collect_bindings(stmt, &mut scope);
        for s in top_level(stmt) {
            if let StmtP::Def(d) = &s.node {
                self.top_defs.insert(d.name.node.ident.clone());
            }
        }
        self.scopes.push(scope);
        for s in top_level(stmt) {
            match &s.node {
                StmtP::If(..) | StmtP::IfElse(..) => self.report(
                    Rule::TopLevelStatement,
                    s.span,
                    "`if` statement not within a function".to_owned(),
                ),
                StmtP::For(..) => self.report(
                    Rule::TopLevelStatement,
                    s.span,
                    "`for` loop not within a function".to_owned(),
                ),
                _ => {}
            }
            self.stmt(s);
        }
        if let Some(scope) = self.scopes.pop() {
            for name in &scope.order {
                if let Some(b) = scope.names.get(name)
                    && b.import
                    && !b.used
                    && !name.starts_with('_')
                {
                    self.report(
                        Rule::UnusedImport,
                        b.span,
                        format!("`{name}` is imported with `import_module` but never used"),
                    );
                }
            }
        }
    }

    fn stmt(&mut self, s: &AstStmt) {
        match &s.node {
            StmtP::Break | StmtP::Continue | StmtP::Pass => {}
            StmtP::Return(e) => {
                if let Some(e) = e {
                    self.expr(e);
                }
            }
            StmtP::Expression(e) => self.expr(e),
            StmtP::Assign(a) => {
                if let Some(ty) = &a.ty {
                    self.report(
                        Rule::TypeAnnotation,
                        ty.span,
                        "type annotations are not supported by Kurtosis".to_owned(),
                    );
                }
                self.expr(&a.rhs);
                self.target(&a.lhs, false);
            }
            StmtP::AssignModify(t, _, e) => {
                self.expr(e);
                self.target(t, true);
            }
            StmtP::Statements(xs) => xs.iter().for_each(|x| self.stmt(x)),
            StmtP::If(c, body) => {
                self.expr(c);
                self.stmt(body);
            }
            StmtP::IfElse(c, b) => {
                self.expr(c);
                self.stmt(&b.0);
                self.stmt(&b.1);
            }
            StmtP::For(f) => {
                self.expr(&f.over);
                self.target(&f.var, false);
                self.stmt(&f.body);
            }
            StmtP::Def(d) => {
                let top = self.scopes.len() == 1;
                self.params(&d.params);
                if let Some(rt) = &d.return_type {
                    self.report(
                        Rule::TypeAnnotation,
                        rt.span,
                        "type annotations are not supported by Kurtosis".to_owned(),
                    );
                }
                let mut scope = Scope::new();
                for p in &d.params {
                    if let Some(id) = p.node.ident() {
                        scope.bind(&id.node.ident, id.span, false, false);
                    }
                }
                collect_bindings(&d.body, &mut scope);
                let prev = self.current_def.clone();
                if top {
                    self.current_def = Some(d.name.node.ident.clone());
                }
                self.scopes.push(scope);
                self.stmt(&d.body);
                self.pop_function_scope();
                self.current_def = prev;
            }
            StmtP::Load(l) => self.report(
                Rule::LoadStatement,
                s.span,
                format!(
                    "`load(\"{}\", ...)` is not supported by Kurtosis, use `import_module`",
                    l.module.node
                ),
            ),
        }
    }

    fn pop_function_scope(&mut self) {
        let Some(scope) = self.scopes.pop() else {
            return;
        };
        for name in &scope.order {
            if let Some(b) = scope.names.get(name)
                && !b.used
                && b.simple
                && !name.starts_with('_')
            {
                let rule = if b.import {
                    Rule::UnusedImport
                } else {
                    Rule::UnusedVariable
                };
                self.report(
                    rule,
                    b.span,
                    format!("local variable `{name}` is assigned but never used"),
                );
            }
        }
    }

    fn params(&mut self, params: &[AstParameter]) {
        for p in params {
            let (ty, default) = match &p.node {
                ParameterP::Normal(_, ty, d) => (ty.as_deref(), d.as_deref()),
                ParameterP::Args(_, ty) | ParameterP::KwArgs(_, ty) => (ty.as_deref(), None),
                _ => (None, None),
            };
            if let Some(ty) = ty {
                self.report(
                    Rule::TypeAnnotation,
                    ty.span,
                    "type annotations are not supported by Kurtosis".to_owned(),
                );
            }
            if let Some(d) = default {
                self.expr(d);
            }
        }
    }

    fn target(&mut self, t: &AstAssignTarget, modify: bool) {
        match &t.node {
            AssignTargetP::Identifier(id) => {
                if modify {
                    self.use_name(&id.node.ident, id.span);
                }
            }
            AssignTargetP::Tuple(xs) => xs.iter().for_each(|x| self.target(x, modify)),
            AssignTargetP::Index(b) => {
                self.expr(&b.0);
                self.expr(&b.1);
            }
            AssignTargetP::Dot(e, _) => self.expr(e),
        }
    }

    fn lookup(&mut self, name: &str) -> Option<&mut Binding> {
        self.scopes
            .iter_mut()
            .rev()
            .find_map(|s| s.names.get_mut(name))
    }

    fn is_shadowed(&self, name: &str) -> bool {
        self.scopes.iter().any(|s| s.names.contains_key(name))
    }

    fn use_name(&mut self, name: &str, span: Span) {
        if let Some(b) = self.lookup(name) {
            b.used = true;
            return;
        }
        if self.globals.contains(name) {
            return;
        }
        match name {
            "set" => self.report(
                Rule::SetUsage,
                span,
                "`set` is not supported by Kurtosis, use a dict or a list".to_owned(),
            ),
            "print" => {}
            _ => {
                let mut candidates: Vec<&str> = self.globals.iter().copied().collect();
                for s in &self.scopes {
                    candidates.extend(s.names.keys().map(String::as_str));
                }
                let hint = suggestion(name, candidates);
                self.report(
                    Rule::UndefinedName,
                    span,
                    format!("`{name}` is not defined{hint}"),
                );
            }
        }
    }

    fn comprehension(
        &mut self,
        first: &ForClauseP<starlark_syntax::syntax::ast::AstNoPayload>,
        clauses: &[ClauseP<starlark_syntax::syntax::ast::AstNoPayload>],
        body: &[&AstExpr],
    ) {
        self.expr(&first.over);
        let mut scope = Scope::new();
        collect_target(&first.var, &mut scope);
        for c in clauses {
            if let ClauseP::For(f) = c {
                collect_target(&f.var, &mut scope);
            }
        }
        self.scopes.push(scope);
        for c in clauses {
            match c {
                ClauseP::For(f) => self.expr(&f.over),
                ClauseP::If(e) => self.expr(e),
            }
        }
        for e in body {
            self.expr(e);
        }
        self.scopes.pop();
    }

    fn expr(&mut self, e: &AstExpr) {
        match &e.node {
            ExprP::Identifier(id) => self.use_name(&id.node.ident, e.span),
            ExprP::Call(f, args) => {
                self.call(e.span, f, &args.args);
                self.expr(f);
                for a in &args.args {
                    self.expr(a.node.expr());
                }
            }
            ExprP::Lambda(l) => {
                self.params(&l.params);
                let mut scope = Scope::new();
                for p in &l.params {
                    if let Some(id) = p.node.ident() {
                        scope.bind(&id.node.ident, id.span, false, false);
                    }
                }
                self.scopes.push(scope);
                self.expr(&l.body);
                self.scopes.pop();
            }
            ExprP::ListComprehension(x, first, clauses) => {
                self.comprehension(first, clauses, &[x]);
            }
            ExprP::DictComprehension(kv, first, clauses) => {
                self.comprehension(first, clauses, &[&kv.0, &kv.1]);
            }
            ExprP::FString(fs) => {
                self.report(
                    Rule::FString,
                    e.span,
                    "f-strings are not supported by Kurtosis, use `\"...\".format(...)` or `%`"
                        .to_owned(),
                );
                for x in &fs.node.expressions {
                    self.expr(x);
                }
            }
            _ => {
                let mut children = Vec::new();
                e.node.visit_expr(|c| children.push(c));
                for c in children {
                    self.expr(c);
                }
            }
        }
    }

    fn call(
        &mut self,
        span: Span,
        f: &AstExpr,
        args: &[starlark_syntax::syntax::ast::AstArgument],
    ) {
        match &f.node {
            ExprP::Dot(obj, attr) => {
                let ExprP::Identifier(id) = &obj.node else {
                    return;
                };
                let obj_name = id.node.ident.as_str();
                if obj_name == "plan" && !self.instructions.is_empty() {
                    match self.instructions.get(attr.node.as_str()).copied() {
                        Some(doc) => self.check_args(doc, "plan.", args, span),
                        None => {
                            let hint =
                                suggestion(&attr.node, self.instructions.keys().copied().collect());
                            self.report(
                                Rule::UnknownInstruction,
                                attr.span,
                                format!("`plan.{}` is not a plan instruction{hint}", attr.node),
                            );
                        }
                    }
                } else if obj_name == "time" && attr.node == "now" && !self.is_shadowed("time") {
                    self.report(
                        Rule::TimeNow,
                        span,
                        "`time.now()` is disabled in Kurtosis, use `plan.run_python` to get the time"
                            .to_owned(),
                    );
                }
            }
            ExprP::Identifier(id) => {
                let name = id.node.ident.as_str();
                if self.is_shadowed(name) {
                    if let Some(cur) = self.current_def.clone()
                        && self.top_defs.contains(name)
                        && self.scopes.len() >= 2
                        && !self.scopes[1..].iter().any(|s| s.names.contains_key(name))
                    {
                        self.calls
                            .entry(cur)
                            .or_default()
                            .push((name.to_owned(), span));
                    }
                    return;
                }
                if name == "print" {
                    self.report(
                        Rule::PrintCall,
                        span,
                        "`print(...)` is not supported by Kurtosis, use `plan.print(...)`"
                            .to_owned(),
                    );
                    return;
                }
                if let Some(doc) = self.global_builtins.get(name).copied() {
                    self.check_args(doc, "", args, span);
                }
                if name == "import_module" || name == "read_file" {
                    self.check_file_arg(name, args);
                }
            }
            _ => {}
        }
    }

    fn check_args(
        &mut self,
        doc: &BuiltinDoc,
        prefix: &str,
        args: &[starlark_syntax::syntax::ast::AstArgument],
        span: Span,
    ) {
        let full = format!("{prefix}{}", doc.name);
        let mut given: HashSet<&str> = HashSet::new();
        let mut star = false;
        let mut positional = 0usize;
        for a in args {
            match &a.node {
                ArgumentP::Positional(e) => {
                    match doc.params.get(positional) {
                        Some(p) => {
                            given.insert(p.name.as_str());
                            self.check_type(&full, p, e);
                        }
                        None => self.report(
                            Rule::TooManyArguments,
                            a.span,
                            format!(
                                "`{full}` takes at most {} positional argument(s)",
                                doc.params.len()
                            ),
                        ),
                    }
                    positional += 1;
                }
                ArgumentP::Named(name, e) => {
                    if name.node == "description" {
                        continue;
                    }
                    match doc.params.iter().find(|p| p.name == name.node) {
                        Some(p) => {
                            given.insert(p.name.as_str());
                            self.check_type(&full, p, e);
                        }
                        None => {
                            let mut cands: Vec<&str> =
                                doc.params.iter().map(|p| p.name.as_str()).collect();
                            cands.push("description");
                            let hint = suggestion(&name.node, cands);
                            self.report(
                                Rule::UnknownArgument,
                                name.span,
                                format!("`{full}` has no argument `{}`{hint}", name.node),
                            );
                        }
                    }
                }
                ArgumentP::Args(_) | ArgumentP::KwArgs(_) => star = true,
            }
        }
        if !star {
            let missing: Vec<String> = doc
                .params
                .iter()
                .filter(|p| p.required && !given.contains(p.name.as_str()))
                .map(|p| format!("`{}`", p.name))
                .collect();
            if !missing.is_empty() {
                self.report(
                    Rule::MissingArgument,
                    span,
                    format!(
                        "`{full}` is missing required argument(s) {}",
                        missing.join(", ")
                    ),
                );
            }
        }
    }

    fn check_type(&mut self, full: &str, p: &hortus_builtins::registry::ParamDoc, e: &AstExpr) {
        if let Some(kind) = literal_kind(e)
            && !p.ty.trim().is_empty()
            && !type_accepts(&p.ty, kind, p.required, &self.value_types)
        {
            self.report(
                Rule::WrongArgumentType,
                e.span,
                format!(
                    "argument `{}` of `{full}` expects `{}`, got a `{kind}` literal",
                    p.name, p.ty
                ),
            );
        }
    }

    fn check_file_arg(&mut self, name: &str, args: &[starlark_syntax::syntax::ast::AstArgument]) {
        let Some(arg) = args.first() else {
            return;
        };
        let e = arg.node.expr();
        let ExprP::Literal(AstLiteral::String(s)) = &e.node else {
            return;
        };
        let locator = s.node.as_str();
        if locator.starts_with("github.com/") || locator.contains("://") {
            return;
        }
        let resolved: Option<PathBuf> = if let Some(rest) = locator.strip_prefix('/') {
            self.ctx.package_root.map(|r| r.join(rest))
        } else {
            self.ctx.path.parent().map(|d| d.join(locator))
        };
        let exists = resolved.as_ref().is_some_and(|p| p.is_file());
        if !exists {
            let msg = match resolved {
                Some(p) => format!("`{name}` of `{locator}`: `{}` does not exist", p.display()),
                None => format!(
                    "`{name}` of `{locator}`: no package root (`kurtosis.yml`) to resolve it against"
                ),
            };
            self.report(Rule::MissingFile, e.span, msg);
        }
    }

    fn recursion(&mut self) {
        // For every call edge f -> g, report it when g can reach f.
        let mut reports = Vec::new();
        for (caller, edges) in &self.calls {
            for (callee, span) in edges {
                if self.reaches(callee, caller) {
                    let msg = if callee == caller {
                        format!("function `{caller}` calls itself (Kurtosis forbids recursion)")
                    } else {
                        format!(
                            "function `{caller}` calls `{callee}`, which calls `{caller}` again (Kurtosis forbids recursion)"
                        )
                    };
                    reports.push((*span, msg));
                }
            }
        }
        for (span, msg) in reports {
            self.report(Rule::Recursion, span, msg);
        }
    }

    fn reaches(&self, from: &str, to: &str) -> bool {
        let mut seen = HashSet::new();
        let mut stack = vec![from.to_owned()];
        while let Some(f) = stack.pop() {
            if f == to {
                return true;
            }
            if !seen.insert(f.clone()) {
                continue;
            }
            if let Some(edges) = self.calls.get(&f) {
                stack.extend(edges.iter().map(|(g, _)| g.clone()));
            }
        }
        false
    }

    fn docstring(&mut self, ast: &AstModule) {
        let Some(run) = find_run(ast) else {
            self.report(
                Rule::MissingDocstring,
                Span::default(),
                "`main.star` has no `run` function".to_owned(),
            );
            return;
        };
        let Some(raw) = &run.docstring else {
            self.report(
                Rule::MissingDocstring,
                run.name_span,
                "`run` has no docstring".to_owned(),
            );
            return;
        };
        let doc = parse_docstring(raw);
        let src = ast.file_span(run.doc_span).file.source().to_owned();
        // The span of `name` where the docstring documents it, else the whole docstring.
        let arg_span = |name: &str| -> Span {
            let (b, e) = (
                run.doc_span.begin().get() as usize,
                run.doc_span.end().get() as usize,
            );
            let text = src.get(b..e).unwrap_or_default();
            let mut offset = 0;
            for line in text.split_inclusive('\n') {
                let trimmed = line.trim_start();
                if let Some(rest) = trimmed.strip_prefix(name)
                    && rest.trim_start().starts_with(['(', ':'])
                {
                    let start = b + offset + (line.len() - trimmed.len());
                    let to_pos = |x: usize| Pos::new(u32::try_from(x).unwrap_or(u32::MAX));
                    return Span::new(to_pos(start), to_pos(start + name.len()));
                }
                offset += line.len();
            }
            run.doc_span
        };
        if doc.description.is_empty() {
            self.report(
                Rule::MissingDocstring,
                run.doc_span,
                "the docstring of `run` has no description".to_owned(),
            );
        }
        for (i, p) in run.params.iter().enumerate() {
            if i == 0 && p.name == "plan" {
                continue;
            }
            if !doc.args.iter().any(|a| a.name == p.name) {
                self.report(
                    Rule::UndocumentedParameter,
                    p.span,
                    format!(
                        "parameter `{}` is not documented in the docstring of `run`",
                        p.name
                    ),
                );
            }
        }
        for a in &doc.args {
            if !run.params.iter().any(|p| p.name == a.name) || a.name == "plan" {
                let hint = suggestion(
                    &a.name,
                    run.params.iter().map(|p| p.name.as_str()).collect(),
                );
                self.report(
                    Rule::UnknownDocumentedParameter,
                    arg_span(&a.name),
                    format!(
                        "the docstring documents `{}`, which `run` does not take{hint}",
                        a.name
                    ),
                );
            }
            if let Some(ty) = &a.ty
                && !is_known_type(ty)
            {
                self.report(
                    Rule::UnknownDocstringType,
                    arg_span(&a.name),
                    format!(
                        "unknown type `{ty}` for `{}` (expected `string`, `int`, `bool`, `float`, `json`, `list[...]` or `dict[..., ...]`)",
                        a.name
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hortus_builtins::registry::ParamDoc;

    fn param(name: &str, required: bool, ty: &str) -> ParamDoc {
        ParamDoc {
            name: name.to_owned(),
            required,
            ty: ty.to_owned(),
            default: None,
            doc: String::new(),
        }
    }

    fn registry() -> Vec<BuiltinDoc> {
        vec![
            BuiltinDoc {
                name: "add_service".to_owned(),
                kind: BuiltinKind::Instruction,
                params: vec![
                    param("name", true, "str"),
                    param("config", true, "ServiceConfig"),
                ],
                doc: String::new(),
                returns: "Service".to_owned(),
            },
            BuiltinDoc {
                name: "PortSpec".to_owned(),
                kind: BuiltinKind::TypeConstructor,
                params: vec![
                    param("number", true, "int"),
                    param("transport_protocol", false, "str"),
                ],
                doc: String::new(),
                returns: "PortSpec".to_owned(),
            },
        ]
    }

    fn rules(src: &str) -> Vec<(Rule, String)> {
        let ast = crate::parse::parse("x.star", src).expect("parses");
        let reg = registry();
        let ctx = FileContext {
            path: Path::new("/nonexistent/x.star"),
            package_root: None,
            registry: &reg,
            check_docstring: false,
        };
        check_module(&ast, &ctx)
            .into_iter()
            .map(|f| (f.rule, f.message))
            .collect()
    }

    #[test]
    fn builtin_arguments_are_checked() {
        let found = rules(
            "def run(plan):\n    plan.add_servce(name = \"a\")\n    plan.add_service(name = 1, confg = 2)\n    PortSpec(number = \"80\")\n",
        );
        let codes: Vec<Rule> = found.iter().map(|f| f.0).collect();
        assert!(codes.contains(&Rule::UnknownInstruction), "{found:?}");
        assert!(
            found
                .iter()
                .any(|f| f.1.contains("did you mean `add_service`"))
        );
        assert!(
            found
                .iter()
                .any(|f| f.0 == Rule::UnknownArgument && f.1.contains("`config`"))
        );
        assert!(found.iter().any(|f| f.0 == Rule::MissingArgument));
        assert_eq!(
            found
                .iter()
                .filter(|f| f.0 == Rule::WrongArgumentType)
                .count(),
            2,
            "{found:?}"
        );
    }

    #[test]
    fn names_are_resolved() {
        let found = rules(
            "lib = import_module(\"/lib.star\")\ndef f(x):\n    y = 1\n    return lenn(x) + z\ndef g():\n    return f(1)\n",
        );
        let codes: Vec<Rule> = found.iter().map(|f| f.0).collect();
        assert_eq!(
            codes.iter().filter(|r| **r == Rule::UndefinedName).count(),
            2,
            "{found:?}"
        );
        assert!(found.iter().any(|f| f.1.contains("did you mean `len`")));
        assert!(codes.contains(&Rule::UnusedVariable));
        assert!(codes.contains(&Rule::UnusedImport));
        assert!(codes.contains(&Rule::MissingFile));
    }

    #[test]
    fn forbidden_constructs() {
        let found = rules(
            "if True:\n    pass\ndef f(n: int):\n    print(n)\n    s = set([1])\n    t = time.now()\n    return f(n) + [s, t] + [f\"{n}\"]\n",
        );
        let codes: HashSet<Rule> = found.iter().map(|f| f.0).collect();
        for r in [
            Rule::TopLevelStatement,
            Rule::TypeAnnotation,
            Rule::PrintCall,
            Rule::SetUsage,
            Rule::TimeNow,
            Rule::Recursion,
            Rule::FString,
        ] {
            assert!(codes.contains(&r), "{r:?} not in {found:?}");
        }
    }

    #[test]
    fn clean_code_has_no_findings() {
        let found = rules(
            "def helper(plan, n):\n    return [PortSpec(number = n + i) for i in range(3)]\n\ndef run(plan, args = {}):\n    ports = helper(plan, 80)\n    plan.add_service(name = \"a\", config = ports[0], description = \"x\")\n    return {k: v for k, v in args.items()}\n",
        );
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn did_you_mean_thresholds() {
        assert_eq!(
            did_you_mean("add_servce", ["add_service", "exec"]),
            Some("add_service")
        );
        assert_eq!(did_you_mean("zzz", ["add_service"]), None);
    }
}

//! The deterministic Starlark formatter behind `hortus lint` / `hortus lint --format`.
//!
//! It works on tokens (from the `starlark_syntax` lexer, which keeps comments), never on the
//! AST, so every comment survives. The style is written down in `lint/FORMAT.md`. The
//! formatter only changes whitespace, line breaks, string quotes (when the content stays
//! byte-identical) and trailing commas in bracketed lists, so the parsed program is the same
//! before and after.

use starlark_syntax::codemap::CodeMap;
use starlark_syntax::lexer::{Lexer, Token};

use crate::parse::lint_dialect;

/// Maximum line width the formatter aims for.
pub const LINE_WIDTH: usize = 88;
const INDENT: &str = "    ";

/// Why a source could not be formatted.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    /// The source does not lex; the message and byte offset of the problem.
    #[error("cannot format a file with a syntax error at byte {offset}: {message}")]
    Syntax {
        /// What went wrong.
        message: String,
        /// Byte offset of the problem.
        offset: usize,
    },
}

/// Formats Starlark source text. Idempotent: `format_source(format_source(x)) ==
/// format_source(x)`.
pub fn format_source(src: &str) -> Result<String, FormatError> {
    let src = crate::parse::normalize_tabs(src);
    let toks = lex(&src)?;
    let items = logical_lines(&src, toks);
    Ok(emit(&src, &items))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Ident,
    Keyword,
    Str,
    Num,
    Comma,
    Colon,
    Dot,
    Equal,
    Semicolon,
    Open,
    Close,
    Op,
    Comment,
    Newline,
    Indent,
}

#[derive(Debug, Clone)]
struct Tok {
    kind: Kind,
    text: String,
    start: usize,
    end: usize,
    /// For `Op`: used as a unary operator (no space after it).
    unary: bool,
    /// For `Open`: a call or subscript bracket (no space before it).
    tight: bool,
}

fn lex(src: &str) -> Result<Vec<Tok>, FormatError> {
    let codemap = CodeMap::new(String::new(), src.to_owned());
    let lexer = Lexer::new(src, &lint_dialect(), codemap);
    let mut out: Vec<Tok> = Vec::new();
    let mut fstring_depth = 0usize;
    let mut fstring_start = 0usize;
    for lexeme in lexer {
        let (start, token, end) = lexeme.map_err(|e| {
            let e = e.into_error();
            FormatError::Syntax {
                message: e.without_diagnostic().to_string(),
                offset: e.span().map_or(0, |s| s.span.begin().get() as usize),
            }
        })?;
        let text = src.get(start..end).unwrap_or_default().to_owned();
        // F-strings come as many tokens: keep them as one verbatim atom.
        match token {
            Token::FStringStart(_) => {
                if fstring_depth == 0 {
                    fstring_start = start;
                }
                fstring_depth += 1;
                continue;
            }
            Token::FStringEnd => {
                fstring_depth = fstring_depth.saturating_sub(1);
                if fstring_depth == 0 {
                    out.push(Tok {
                        kind: Kind::Str,
                        text: src.get(fstring_start..end).unwrap_or_default().to_owned(),
                        start: fstring_start,
                        end,
                        unary: false,
                        tight: false,
                    });
                }
                continue;
            }
            _ if fstring_depth > 0 => continue,
            _ => {}
        }
        let kind = match &token {
            Token::Comment(_) => Kind::Comment,
            Token::Newline => Kind::Newline,
            Token::Indent | Token::Dedent | Token::Tabs => Kind::Indent,
            Token::Identifier(_) => Kind::Ident,
            Token::String(_) | Token::Bytes(_) => Kind::Str,
            Token::Int(_) | Token::Float(_) => Kind::Num,
            Token::And
            | Token::Break
            | Token::Continue
            | Token::Def
            | Token::Elif
            | Token::Else
            | Token::For
            | Token::If
            | Token::In
            | Token::Lambda
            | Token::Load
            | Token::Not
            | Token::Or
            | Token::Pass
            | Token::Return
            | Token::Reserved => Kind::Keyword,
            Token::Comma => Kind::Comma,
            Token::Colon => Kind::Colon,
            Token::Dot => Kind::Dot,
            Token::Equal => Kind::Equal,
            Token::Semicolon => Kind::Semicolon,
            Token::OpeningCurly | Token::OpeningRound | Token::OpeningSquare => Kind::Open,
            Token::ClosingCurly | Token::ClosingRound | Token::ClosingSquare => Kind::Close,
            _ => Kind::Op,
        };
        let text = match kind {
            Kind::Str => normalize_quotes(&text),
            Kind::Comment => normalize_comment(&text),
            _ => text,
        };
        out.push(Tok {
            kind,
            text,
            start,
            end,
            unary: false,
            tight: false,
        });
    }
    Ok(out)
}

/// Turns `'x'` into `"x"` when that does not change the literal (no `"` or `\` inside).
fn normalize_quotes(text: &str) -> String {
    let prefix_len = text.find(['\'', '"']).unwrap_or(0);
    let (prefix, lit) = text.split_at(prefix_len);
    if prefix.contains(['f', 'F']) {
        return text.to_owned();
    }
    for (q, dq) in [("'''", "\"\"\""), ("'", "\"")] {
        if lit.len() >= 2 * q.len() && lit.starts_with(q) && lit.ends_with(q) {
            let body = &lit[q.len()..lit.len() - q.len()];
            if body.contains(['"', '\\']) {
                return text.to_owned();
            }
            return format!("{prefix}{dq}{body}{dq}");
        }
    }
    text.to_owned()
}

fn normalize_comment(text: &str) -> String {
    let body = text.strip_prefix('#').unwrap_or(text).trim_end();
    if body.is_empty() {
        "#".to_owned()
    } else if body.starts_with([' ', '!', ':']) {
        format!("#{body}")
    } else {
        format!("# {body}")
    }
}

/// One output unit at statement level.
#[derive(Debug)]
enum LineItem {
    Code {
        level: usize,
        toks: Vec<Tok>,
        trailing: Vec<String>,
        start: usize,
        end: usize,
        opener: bool,
        is_def: bool,
    },
    Comment {
        level: usize,
        text: String,
        start: usize,
        end: usize,
    },
}

impl LineItem {
    fn level(&self) -> usize {
        match self {
            LineItem::Code { level, .. } | LineItem::Comment { level, .. } => *level,
        }
    }
    fn span(&self) -> (usize, usize) {
        match self {
            LineItem::Code { start, end, .. } | LineItem::Comment { start, end, .. } => {
                (*start, *end)
            }
        }
    }
}

fn column(src: &str, pos: usize) -> usize {
    let before = src.get(..pos).unwrap_or_default();
    match before.rfind('\n') {
        Some(nl) => pos - nl - 1,
        None => pos,
    }
}

fn logical_lines(src: &str, toks: Vec<Tok>) -> Vec<LineItem> {
    let mut items = Vec::new();
    let mut stack: Vec<usize> = vec![0];
    let mut after_opener = false;
    let mut cur: Vec<Tok> = Vec::new();
    let mut trailing: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;

    let finish = |cur: &mut Vec<Tok>,
                  trailing: &mut Vec<(String, usize)>,
                  stack: &mut Vec<usize>,
                  after_opener: &mut bool,
                  items: &mut Vec<LineItem>| {
        let Some(first) = cur.first() else {
            return;
        };
        let col = column(src, first.start);
        let top = stack.last().copied().unwrap_or(0);
        if *after_opener && col > top {
            stack.push(col);
        } else {
            while stack.len() > 1 && stack.last().is_some_and(|&t| col < t) {
                stack.pop();
            }
        }
        let level = stack.len() - 1;
        let opener = cur.last().is_some_and(|t| t.kind == Kind::Colon);
        let is_def = first.kind == Kind::Keyword && first.text == "def";
        let start = first.start;
        let mut end = cur.last().map_or(start, |t| t.end);
        if let Some((_, e)) = trailing.last() {
            end = end.max(*e);
        }
        *after_opener = opener;
        items.push(LineItem::Code {
            level,
            toks: std::mem::take(cur),
            trailing: trailing.drain(..).map(|(t, _)| t).collect(),
            start,
            end,
            opener,
            is_def,
        });
    };

    for tok in toks {
        match tok.kind {
            Kind::Indent => {}
            Kind::Newline => {
                finish(
                    &mut cur,
                    &mut trailing,
                    &mut stack,
                    &mut after_opener,
                    &mut items,
                );
            }
            Kind::Comment if depth == 0 => {
                if cur.is_empty() {
                    let col = column(src, tok.start);
                    let level = if after_opener {
                        stack.len()
                    } else {
                        stack.iter().filter(|&&c| c <= col).count().max(1) - 1
                    };
                    items.push(LineItem::Comment {
                        level,
                        text: tok.text,
                        start: tok.start,
                        end: tok.end,
                    });
                } else {
                    trailing.push((tok.text, tok.end));
                }
            }
            _ => {
                match tok.kind {
                    Kind::Open => depth += 1,
                    Kind::Close => depth = depth.saturating_sub(1),
                    _ => {}
                }
                cur.push(tok);
            }
        }
    }
    finish(
        &mut cur,
        &mut trailing,
        &mut stack,
        &mut after_opener,
        &mut items,
    );
    items
}

fn emit(src: &str, items: &[LineItem]) -> String {
    // Which items start a top-level def "group" (the def plus the comments glued above it).
    let orig_blank: Vec<usize> = items
        .iter()
        .enumerate()
        .map(|(i, it)| {
            if i == 0 {
                return 0;
            }
            let prev_end = items[i - 1].span().1;
            let start = it.span().0;
            src.get(prev_end..start)
                .map_or(0, |gap| gap.matches('\n').count().saturating_sub(1))
        })
        .collect();
    let mut group_start = vec![false; items.len()];
    for (i, it) in items.iter().enumerate() {
        if let LineItem::Code {
            level: 0,
            is_def: true,
            ..
        } = it
        {
            let mut j = i;
            while j > 0
                && orig_blank[j] == 0
                && matches!(items[j - 1], LineItem::Comment { level: 0, .. })
            {
                j -= 1;
            }
            group_start[j] = true;
        }
    }

    let lines = LineIndex::new(src);
    let mut out: Vec<String> = Vec::new();
    for (i, it) in items.iter().enumerate() {
        let blank = if i == 0 {
            0
        } else {
            let prev = &items[i - 1];
            let prev_opener = matches!(prev, LineItem::Code { opener: true, .. });
            if prev_opener {
                0
            } else if it.level() == 0 {
                let after_def = prev.level() > 0 && last_top_is_def(&items[..i])
                    || matches!(
                        prev,
                        LineItem::Code {
                            level: 0,
                            is_def: true,
                            ..
                        }
                    );
                if group_start[i] || after_def {
                    2
                } else {
                    orig_blank[i].min(2)
                }
            } else {
                orig_blank[i].min(1)
            }
        };
        for _ in 0..blank {
            out.push(String::new());
        }
        match it {
            LineItem::Comment { level, text, .. } => {
                out.push(format!("{}{}", INDENT.repeat(*level), text));
            }
            LineItem::Code {
                level,
                toks,
                trailing,
                ..
            } => {
                let nodes = build_nodes(&lines, toks);
                render(
                    &nodes,
                    *level,
                    Ctx::default(),
                    "",
                    trailing.clone(),
                    &mut out,
                );
            }
        }
    }
    if out.is_empty() {
        return String::new();
    }
    let mut s = out.join("\n");
    s.push('\n');
    s
}

fn last_top_is_def(items: &[LineItem]) -> bool {
    for it in items.iter().rev() {
        if let LineItem::Code {
            level: 0, is_def, ..
        } = it
        {
            return *is_def;
        }
    }
    false
}

// ---------------------------------------------------------------------------------------------
// Bracket trees.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GroupKind {
    Call,
    Subscript,
    Paren,
    List,
    Dict,
}

#[derive(Debug, Clone)]
struct Item {
    leading: Vec<String>,
    nodes: Vec<Node>,
    trailing: Vec<String>,
}

#[derive(Debug, Clone)]
struct Group {
    kind: GroupKind,
    open: Tok,
    close: Tok,
    items: Vec<Item>,
    after_open: Vec<String>,
    before_close: Vec<String>,
    /// The source had a comma right before the closing bracket.
    magic_comma: bool,
}

#[derive(Debug, Clone)]
enum Node {
    Tok(Tok),
    Group(Box<Group>),
}

/// Byte offsets of line starts, for O(log n) line lookups.
struct LineIndex(Vec<usize>);

impl LineIndex {
    fn new(src: &str) -> Self {
        let mut v = vec![0];
        v.extend(src.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex(v)
    }
}

fn line_of(lines: &LineIndex, pos: usize) -> usize {
    lines.0.partition_point(|&s| s <= pos)
}

/// Builds the bracket tree of one logical line.
fn build_nodes(src: &LineIndex, toks: &[Tok]) -> Vec<Node> {
    let mut pos = 0;
    let mut nodes = parse_seq(src, toks, &mut pos).nodes;
    // Stray closing brackets (should not happen after a successful lex): keep them.
    while pos < toks.len() {
        nodes.push(Node::Tok(toks[pos].clone()));
        pos += 1;
    }
    mark_unary(&mut nodes);
    nodes
}

struct Seq {
    nodes: Vec<Node>,
}

fn parse_seq(src: &LineIndex, toks: &[Tok], pos: &mut usize) -> Seq {
    let mut nodes = Vec::new();
    while let Some(t) = toks.get(*pos) {
        match t.kind {
            Kind::Close => break,
            Kind::Open => {
                let kind = group_kind(&t.text, nodes.last());
                let g = parse_group(src, toks, pos, kind);
                nodes.push(Node::Group(Box::new(g)));
            }
            _ => {
                nodes.push(Node::Tok(t.clone()));
                *pos += 1;
            }
        }
    }
    Seq { nodes }
}

fn group_kind(open: &str, prev: Option<&Node>) -> GroupKind {
    let after_atom = match prev {
        Some(Node::Group(_)) => true,
        Some(Node::Tok(t)) => matches!(t.kind, Kind::Ident | Kind::Str),
        None => false,
    };
    match open {
        "(" if after_atom => GroupKind::Call,
        "(" => GroupKind::Paren,
        "[" if after_atom => GroupKind::Subscript,
        "[" => GroupKind::List,
        _ => GroupKind::Dict,
    }
}

fn parse_group(src: &LineIndex, toks: &[Tok], pos: &mut usize, kind: GroupKind) -> Group {
    let mut open = toks[*pos].clone();
    open.tight = matches!(kind, GroupKind::Call | GroupKind::Subscript);
    *pos += 1;
    let mut items: Vec<Item> = Vec::new();
    let mut after_open = Vec::new();
    let mut pending_leading: Vec<String> = Vec::new();
    let mut cur = Item {
        leading: Vec::new(),
        nodes: Vec::new(),
        trailing: Vec::new(),
    };
    let mut last_end_line = line_of(src, open.end);
    let mut magic_comma = false;
    // A comprehension's commas (`for k, v in ...`) are not element separators.
    let comprehension =
        kind != GroupKind::Call && kind != GroupKind::Subscript && has_top_level_for(toks, *pos);
    let mut close = None;
    while let Some(t) = toks.get(*pos) {
        match t.kind {
            Kind::Close => {
                close = Some(t.clone());
                *pos += 1;
                break;
            }
            Kind::Comment => {
                let same_line = line_of(src, t.start) == last_end_line;
                if same_line && items.is_empty() && cur.nodes.is_empty() && !magic_comma {
                    after_open.push(t.text.clone());
                } else if same_line && !cur.nodes.is_empty() {
                    cur.trailing.push(t.text.clone());
                } else if same_line && cur.nodes.is_empty() {
                    if let Some(prev) = items.last_mut() {
                        prev.trailing.push(t.text.clone());
                    } else {
                        after_open.push(t.text.clone());
                    }
                } else if cur.nodes.is_empty() {
                    pending_leading.push(t.text.clone());
                } else {
                    // A comment in the middle of an element: keep it, after the element.
                    cur.trailing.push(t.text.clone());
                }
                last_end_line = line_of(src, t.end);
                *pos += 1;
            }
            Kind::Comma if comprehension => {
                cur.nodes.push(Node::Tok(t.clone()));
                *pos += 1;
            }
            Kind::Comma => {
                magic_comma = true;
                cur.leading.append(&mut pending_leading);
                items.push(std::mem::replace(
                    &mut cur,
                    Item {
                        leading: Vec::new(),
                        nodes: Vec::new(),
                        trailing: Vec::new(),
                    },
                ));
                last_end_line = line_of(src, t.end);
                *pos += 1;
            }
            _ => {
                magic_comma = false;
                let seq_start = *pos;
                // Parse one token or nested group at a time to track comments here.
                if t.kind == Kind::Open {
                    let gk = group_kind(&t.text, cur.nodes.last());
                    let g = parse_group(src, toks, pos, gk);
                    cur.nodes.push(Node::Group(Box::new(g)));
                } else {
                    cur.nodes.push(Node::Tok(t.clone()));
                    *pos += 1;
                }
                let end = toks
                    .get(pos.saturating_sub(1))
                    .map_or(0, |t: &Tok| t.end)
                    .max(toks.get(seq_start).map_or(0, |t| t.end));
                last_end_line = line_of(src, end);
            }
        }
    }
    if !cur.nodes.is_empty() {
        cur.leading.append(&mut pending_leading);
        items.push(cur);
    } else {
        // Comments before the close bracket stay there.
        cur.trailing.clear();
    }
    let close = close.unwrap_or_else(|| Tok {
        kind: Kind::Close,
        text: match open.text.as_str() {
            "(" => ")".to_owned(),
            "[" => "]".to_owned(),
            _ => "}".to_owned(),
        },
        start: open.end,
        end: open.end,
        unary: false,
        tight: false,
    });
    let mut g = Group {
        kind,
        open,
        close,
        items,
        after_open,
        before_close: pending_leading,
        magic_comma,
    };
    if g.items.is_empty() {
        g.magic_comma = false;
    }
    for it in &mut g.items {
        mark_unary(&mut it.nodes);
    }
    g
}

/// Whether the bracket content starting at `start` has a `for` at its own depth.
fn has_top_level_for(toks: &[Tok], start: usize) -> bool {
    let mut depth = 0usize;
    for t in toks.get(start..).unwrap_or_default() {
        match t.kind {
            Kind::Open => depth += 1,
            Kind::Close if depth == 0 => return false,
            Kind::Close => depth -= 1,
            Kind::Keyword if depth == 0 && t.text == "for" => return true,
            _ => {}
        }
    }
    false
}

fn mark_unary(nodes: &mut [Node]) {
    let mut prev_operand = false;
    for n in nodes.iter_mut() {
        match n {
            Node::Group(_) => prev_operand = true,
            Node::Tok(t) => {
                if t.kind == Kind::Op && matches!(t.text.as_str(), "-" | "+" | "~" | "*" | "**") {
                    t.unary = !prev_operand;
                    prev_operand = false;
                } else {
                    prev_operand = matches!(t.kind, Kind::Ident | Kind::Str | Kind::Num);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Rendering.

#[derive(Debug, Clone, Copy, Default)]
struct Ctx {
    /// Inside brackets (keyword `=` takes no spaces).
    inside: bool,
    /// Inside a subscript (slice `:` takes no spaces).
    subscript: bool,
}

impl Group {
    /// Whether the formatter may end the exploded list with a comma.
    fn trailing_comma_ok(&self) -> bool {
        if self.is_comprehension() {
            return false;
        }
        let last_starred = self.items.last().is_some_and(|it| {
            matches!(it.nodes.first(), Some(Node::Tok(t)) if t.kind == Kind::Op && t.unary && (t.text == "*" || t.text == "**"))
        });
        match self.kind {
            GroupKind::Call => !last_starred,
            GroupKind::List | GroupKind::Dict => true,
            GroupKind::Paren => self.items.len() > 1 || self.magic_comma,
            GroupKind::Subscript => self.magic_comma,
        }
    }

    /// Whether the flat form must keep a trailing comma (one-tuples and tuple subscripts).
    fn keeps_flat_comma(&self) -> bool {
        self.magic_comma
            && self.items.len() == 1
            && matches!(self.kind, GroupKind::Paren | GroupKind::Subscript)
    }

    fn is_comprehension(&self) -> bool {
        self.items.len() == 1
            && !self.magic_comma
            && matches!(
                self.kind,
                GroupKind::List | GroupKind::Dict | GroupKind::Paren
            )
            && self.items[0]
                .nodes
                .iter()
                .any(|n| matches!(n, Node::Tok(t) if t.kind == Kind::Keyword && t.text == "for"))
    }

    fn has_comments(&self) -> bool {
        !self.after_open.is_empty()
            || !self.before_close.is_empty()
            || self
                .items
                .iter()
                .any(|i| !i.leading.is_empty() || !i.trailing.is_empty())
    }

    fn forced(&self) -> bool {
        self.has_comments()
            || (self.magic_comma && !self.keeps_flat_comma())
            || self.items.iter().any(|i| nodes_forced(&i.nodes))
    }

    fn ctx(&self) -> Ctx {
        Ctx {
            inside: true,
            subscript: self.kind == GroupKind::Subscript,
        }
    }
}

fn nodes_forced(nodes: &[Node]) -> bool {
    nodes
        .iter()
        .any(|n| matches!(n, Node::Group(g) if g.forced()))
}

fn collect_comments(nodes: &[Node], out: &mut Vec<String>) {
    for n in nodes {
        if let Node::Group(g) = n {
            out.extend(g.after_open.iter().cloned());
            for it in &g.items {
                out.extend(it.leading.iter().cloned());
                collect_comments(&it.nodes, out);
                out.extend(it.trailing.iter().cloned());
            }
            out.extend(g.before_close.iter().cloned());
        }
    }
}

/// Left/right edge of a node for spacing decisions.
fn first_tok(n: &Node) -> &Tok {
    match n {
        Node::Tok(t) => t,
        Node::Group(g) => &g.open,
    }
}

fn last_tok(n: &Node) -> &Tok {
    match n {
        Node::Tok(t) => t,
        Node::Group(g) => &g.close,
    }
}

fn tight_open(n: &Node) -> bool {
    match n {
        Node::Group(g) => matches!(g.kind, GroupKind::Call | GroupKind::Subscript),
        Node::Tok(t) => t.tight,
    }
}

fn space_between(p: &Tok, next: &Node, ctx: Ctx) -> bool {
    let n = first_tok(next);
    if matches!(
        n.kind,
        Kind::Comma | Kind::Close | Kind::Dot | Kind::Semicolon | Kind::Colon
    ) {
        return false;
    }
    if n.kind == Kind::Open && tight_open(next) {
        return false;
    }
    if matches!(p.kind, Kind::Open | Kind::Dot) {
        return false;
    }
    if p.kind == Kind::Op && p.unary {
        return false;
    }
    if (p.kind == Kind::Equal || n.kind == Kind::Equal) && ctx.inside {
        return false;
    }
    if p.kind == Kind::Colon && ctx.subscript {
        return false;
    }
    true
}

fn flat(nodes: &[Node], ctx: Ctx) -> String {
    let mut s = String::new();
    let mut prev: Option<&Tok> = None;
    // Parameter defaults of a `lambda` take no spaces around `=`.
    let mut in_lambda = false;
    for n in nodes {
        let here = Ctx {
            inside: ctx.inside || in_lambda,
            ..ctx
        };
        if let Some(p) = prev
            && space_between(p, n, here)
        {
            s.push(' ');
        }
        if let Node::Tok(t) = n {
            if t.kind == Kind::Keyword && t.text == "lambda" {
                in_lambda = true;
            } else if t.kind == Kind::Colon {
                in_lambda = false;
            }
        }
        match n {
            Node::Tok(t) => s.push_str(&t.text),
            Node::Group(g) => flat_group(g, &mut s),
        }
        prev = Some(last_tok(n));
    }
    s
}

fn flat_group(g: &Group, s: &mut String) {
    s.push_str(&g.open.text);
    let ctx = g.ctx();
    for (i, it) in g.items.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        s.push_str(&flat(&it.nodes, ctx));
    }
    if g.keeps_flat_comma() {
        s.push(',');
    }
    s.push_str(&g.close.text);
}

fn fits(level: usize, text: &str) -> bool {
    level * INDENT.len() + text.chars().count() <= LINE_WIDTH
}

fn push_line(out: &mut Vec<String>, level: usize, text: &str, comments: &[String]) {
    let mut line = format!("{}{}", INDENT.repeat(level), text.trim_end());
    for c in comments {
        if line.trim().is_empty() {
            line = format!("{}{}", INDENT.repeat(level), c);
        } else {
            line.push_str("  ");
            line.push_str(c);
        }
    }
    out.push(line);
}

fn render(
    nodes: &[Node],
    level: usize,
    ctx: Ctx,
    suffix: &str,
    trailing: Vec<String>,
    out: &mut Vec<String>,
) {
    let forced = nodes_forced(nodes);
    let text = format!("{}{suffix}", flat(nodes, ctx));
    if !forced && fits(level, &text) {
        push_line(out, level, &text, &trailing);
        return;
    }
    // Pick the group to explode: one that must be split, else the one with the most content.
    let mut best: Option<(usize, bool, usize)> = None;
    for (i, n) in nodes.iter().enumerate() {
        if let Node::Group(g) = n {
            if g.items.is_empty() && !g.has_comments() {
                continue;
            }
            let f = g.forced();
            let mut s = String::new();
            flat_group(g, &mut s);
            let size = s.len();
            let better = match best {
                None => true,
                Some((_, bf, bs)) => (f, size) >= (bf, bs),
            };
            if better {
                best = Some((i, f, size));
            }
        }
    }
    let Some((idx, _, _)) = best else {
        let mut comments = Vec::new();
        collect_comments(nodes, &mut comments);
        comments.extend(trailing);
        push_line(out, level, &text, &comments);
        return;
    };
    let Node::Group(g) = &nodes[idx] else {
        return;
    };
    // Head: everything before the group, plus the opening bracket.
    let mut head: Vec<Node> = nodes[..idx].to_vec();
    head.push(Node::Tok(g.open.clone()));
    render(&head, level, ctx, "", g.after_open.clone(), out);
    // Body.
    let inner = g.ctx();
    if g.is_comprehension() {
        let mut segs: Vec<Vec<Node>> = vec![Vec::new()];
        for n in &g.items[0].nodes {
            if let Node::Tok(t) = n
                && t.kind == Kind::Keyword
                && (t.text == "for" || t.text == "if")
                && segs.last().is_some_and(|s| !s.is_empty())
                && !is_ternary_if(segs.last().map(Vec::as_slice).unwrap_or_default(), t)
            {
                segs.push(Vec::new());
            }
            if let Some(last) = segs.last_mut() {
                last.push(n.clone());
            }
        }
        for line in &g.items[0].leading {
            push_line(out, level + 1, line, &[]);
        }
        let count = segs.len();
        for (i, seg) in segs.iter().enumerate() {
            let tr = if i + 1 == count {
                g.items[0].trailing.clone()
            } else {
                Vec::new()
            };
            render(seg, level + 1, inner, "", tr, out);
        }
    } else {
        let count = g.items.len();
        let comma_ok = g.trailing_comma_ok();
        for (i, it) in g.items.iter().enumerate() {
            for line in &it.leading {
                push_line(out, level + 1, line, &[]);
            }
            let suffix = if i + 1 < count || comma_ok { "," } else { "" };
            render(
                &it.nodes,
                level + 1,
                inner,
                suffix,
                it.trailing.clone(),
                out,
            );
        }
    }
    for line in &g.before_close {
        push_line(out, level + 1, line, &[]);
    }
    // Tail: the closing bracket and the rest of the line.
    let mut tail: Vec<Node> = vec![Node::Tok(g.close.clone())];
    tail.extend(nodes[idx + 1..].iter().cloned());
    render(&tail, level, ctx, suffix, trailing, out);
}

/// Whether `t` is the `if` of a conditional expression rather than a comprehension's `if`
/// clause: a clause always follows a `for`, so an `if` in the element segment is an expression.
fn is_ternary_if(seg: &[Node], t: &Tok) -> bool {
    t.text == "if"
        && seg
            .iter()
            .all(|n| !matches!(n, Node::Tok(t) if t.kind == Kind::Keyword && t.text == "for"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(s: &str) -> String {
        format_source(s).expect("formats")
    }

    #[test]
    fn short_call_stays_on_one_line() {
        assert_eq!(fmt("x = f( a,b = 1 )\n"), "x = f(a, b=1)\n");
    }

    #[test]
    fn long_call_is_exploded_with_trailing_comma() {
        let src = "def run(plan):\n    plan.add_service(name = 'aaaaaaaaaaaaaaaaaaaa', config = ServiceConfig(image = 'bbbbbbbbbbbbbbbbbbbbbbbb'))\n";
        let out = fmt(src);
        assert_eq!(
            out,
            "def run(plan):\n    plan.add_service(\n        name=\"aaaaaaaaaaaaaaaaaaaa\",\n        config=ServiceConfig(image=\"bbbbbbbbbbbbbbbbbbbbbbbb\"),\n    )\n"
        );
        assert_eq!(fmt(&out), out);
    }

    #[test]
    fn comments_are_kept() {
        let src = "x = [  # after open\n  1, # one\n  # own line\n  2,\n  # before close\n]  # end\n# eof\n";
        let out = fmt(src);
        for c in [
            "# after open",
            "# one",
            "# own line",
            "# before close",
            "# end",
            "# eof",
        ] {
            assert!(out.contains(c), "{c} missing in {out}");
        }
        assert_eq!(fmt(&out), out);
    }

    #[test]
    fn two_blank_lines_around_top_level_defs() {
        let src = "A = 1\ndef f():\n\n    return A\nB = 2\n";
        assert_eq!(fmt(src), "A = 1\n\n\ndef f():\n    return A\n\n\nB = 2\n");
    }

    #[test]
    fn unary_and_binary_operators() {
        assert_eq!(
            fmt("x = -1 + f(*a, **k) - y[1:-2]\n"),
            "x = -1 + f(*a, **k) - y[1:-2]\n"
        );
        assert_eq!(
            fmt("x = 'a' if not b else \"c\"\n"),
            "x = \"a\" if not b else \"c\"\n"
        );
    }

    #[test]
    fn one_tuple_keeps_its_comma() {
        assert_eq!(fmt("x = (1,)\ny = (1)\n"), "x = (1,)\ny = (1)\n");
    }

    #[test]
    fn tabs_are_expanded() {
        assert_eq!(fmt("def f():\n\treturn 1\n"), "def f():\n    return 1\n");
    }

    #[test]
    fn syntax_error_is_reported() {
        assert!(format_source("x = 'unterminated\n").is_err());
    }
}

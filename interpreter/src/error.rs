//! [`InterpretError`]: every way interpretation can fail, split by whose fault it is
//! (the package author's → exit 1, the environment's → exit 2), each carrying a
//! ready-to-render [`ErrorReport`].

use std::fmt;

use miette::{Diagnostic, LabeledSpan, Severity, SourceCode};

use crate::cache::CacheError;
use crate::diagnostic::ErrorReport;

/// An interpretation failure, renderable with miette.
#[derive(Debug)]
pub enum InterpretError {
    /// The package author's (or the command line's) mistake: exit code 1.
    Author(Box<ErrorReport>),
    /// The environment's fault (git/network failure, unreadable cache, offline and not
    /// cached, unreadable files): exit code 2.
    Environment(Box<ErrorReport>),
}

impl InterpretError {
    /// An author error with only a message.
    pub fn author(message: impl Into<String>) -> InterpretError {
        InterpretError::Author(Box::new(ErrorReport::new(message)))
    }

    /// An environment error with only a message.
    pub fn environment(message: impl Into<String>) -> InterpretError {
        InterpretError::Environment(Box::new(ErrorReport::new(message)))
    }

    /// The process exit code: 1 for the author's errors, 2 for the environment's.
    pub fn exit_code(&self) -> i32 {
        match self {
            InterpretError::Author(_) => 1,
            InterpretError::Environment(_) => 2,
        }
    }

    /// The report.
    pub fn report(&self) -> &ErrorReport {
        match self {
            InterpretError::Author(r) | InterpretError::Environment(r) => r,
        }
    }
}

impl From<CacheError> for InterpretError {
    fn from(e: CacheError) -> Self {
        let report = Box::new(ErrorReport::new(e.to_string()));
        if e.is_author_error() {
            InterpretError::Author(report)
        } else {
            InterpretError::Environment(report)
        }
    }
}

impl fmt::Display for InterpretError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.report(), f)
    }
}

impl std::error::Error for InterpretError {}

impl Diagnostic for InterpretError {
    fn severity(&self) -> Option<Severity> {
        self.report().severity()
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.report().help()
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.report().source_code()
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.report().labels()
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        self.report().related()
    }
}

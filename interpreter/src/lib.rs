//! hortus-interpreter

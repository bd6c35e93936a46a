//! hortus-lint

//! hortus-stdlib

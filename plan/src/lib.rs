//! hortus-plan: the plan is plain data.
//!
//! Everything a package asks for is recorded here as typed, serialisable instructions, each
//! with the `.star` position it came from. Nothing in this crate knows Starlark, Docker or
//! tokio: the interpreter produces a [`Plan`], [`validate::validate`] checks it as a pure
//! function, and the runtime executes it.

pub mod duration;
pub mod future_ref;
pub mod instruction;
pub mod jq;
pub mod names;
pub mod service;
pub mod template;
pub mod validate;

pub use duration::GoDuration;
pub use instruction::{Instruction, InstructionKind, Origin, Plan};
pub use service::*;
pub use validate::{EnclaveView, ValidationError, validate};

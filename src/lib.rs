//! # dime
//!
//! DIME, the Dark Internet Mail Environment, in Rust. This crate re-exports the crate family.
#![forbid(unsafe_code)]

pub use dime_core as core;
pub use dime_dmap as dmap;
pub use dime_dmtp as dmtp;
pub use dime_message as message;
pub use dime_signet as signet;

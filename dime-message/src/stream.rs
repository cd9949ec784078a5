//! stream placeholder

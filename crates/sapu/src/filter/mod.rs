//! Quality filters: Gopher repetition, Gopher quality, C4 and FineWeb rules with datatrove
//! 0.10's parameters, defaults and reason codes, per-language settings (FineWeb-2's Indonesian
//! and Malay built in) and an `annotate_only` mode that writes quality signals instead of removing.

pub mod c4_quality;
pub mod fineweb_quality;
pub mod gopher_quality;
pub mod gopher_repetition;
pub mod languages;

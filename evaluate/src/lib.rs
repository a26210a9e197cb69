//! `evaluate` stage library.

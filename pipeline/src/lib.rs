//! `pipeline` stage library.

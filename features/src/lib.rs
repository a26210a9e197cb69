//! `features` stage library.

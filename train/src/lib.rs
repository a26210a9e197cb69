//! `train` stage library.

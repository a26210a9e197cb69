//! `ingest` stage library.

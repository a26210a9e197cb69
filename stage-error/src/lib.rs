//! The stage libraries' error type, written once: [`define_error!`] expands, in the
//! calling crate, to an `Error` that holds what kind of problem it is (the crate's own
//! `ErrorKind`), the sentence the user sees, and the lower-level cause behind it.
//!
//! A generic `Error<K>` defined here would not do: a stage could not write
//! `impl From<params::ParamError> for stage_error::Error<ingest::ErrorKind>` (the orphan
//! rule), so each crate gets its own type from the same definition instead.
//!
//! The cause is not repeated in the sentence but given by
//! [`std::error::Error::source`], so `{:#}` (as the binaries print it, and as `anyhow`
//! prints it) is `sentence: cause: its cause` on one line, and `{}` the sentence alone.
//!
//! ```
//! mod error {
//!     /// What went wrong.
//!     #[derive(Debug, Clone, Copy, PartialEq, Eq)]
//!     pub enum ErrorKind {
//!         /// An input cannot be read.
//!         Read,
//!         /// A value is outside its range.
//!         Parameter,
//!     }
//!
//!     stage_error::define_error! {
//!         /// Why a run stopped.
//!         ErrorKind
//!     }
//! }
//!
//! use error::{fail, Context, Error, ErrorKind, Result};
//!
//! fn batch_size(text: &str) -> Result<u32> {
//!     let n: u32 = text.parse().context(ErrorKind::Parameter, || {
//!         format!("--batch-size {text} is not a whole number")
//!     })?;
//!     if n == 0 {
//!         fail!(Parameter, "--batch-size must be at least 1");
//!     }
//!     Ok(n)
//! }
//!
//! fn main() {
//!     let e: Error = batch_size("x").unwrap_err();
//!     assert_eq!(e.kind(), ErrorKind::Parameter);
//!     assert_eq!(e.to_string(), "--batch-size x is not a whole number");
//!     assert_eq!(
//!         format!("{e:#}"),
//!         "--batch-size x is not a whole number: invalid digit found in string"
//!     );
//!     assert_eq!(format!("{:#}", batch_size("0").unwrap_err()), "--batch-size must be at least 1");
//!
//!     // Another crate's error passed on keeps its own sentence under this crate's kind.
//!     let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
//!     let passed = Error::passed(ErrorKind::Read, io);
//!     assert_eq!((passed.kind(), passed.to_string()), (ErrorKind::Read, "no such file".into()));
//! }
//! ```

/// A boxed lower-level cause: any error that can cross threads.
pub type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Defines, in the module it is called in, a crate's error type over its `ErrorKind`.
///
/// Called in the crate's `error` module (`fail!` names `crate::error::Error`), beside
/// the crate's `ErrorKind` enum (which must be `Copy`), with the doc comment of the
/// `Error` it defines:
///
/// ```text
/// stage_error::define_error! {
///     /// Why an `ingest` run stopped before putting its output in place.
///     ErrorKind
/// }
/// ```
///
/// It defines:
///
/// - `pub struct Error` (with the doc comments given) and its methods:
///   - `pub fn kind(&self) -> ErrorKind`;
///   - `pub(crate) fn new(kind, message)`: a problem this crate found, in one sentence;
///   - `pub(crate) fn because(kind, message, cause)`: a sentence over the error that
///     caused it (the cause is the `source()`);
///   - `pub(crate) fn passed(kind, error)`: another crate's error whose own sentence is
///     the one to show (it displays as that error, and its `source()` is that error's);
/// - `Display`: the sentence; with `{:#}`, followed by each cause after `: `;
/// - `std::error::Error` with `source()`;
/// - `pub type Result<T, E = Error>`;
/// - `pub(crate) trait Context<T>` for `Result` and `Option`:
///   `.context(kind, || sentence)` is the value, or an `Error` of `kind` saying the
///   sentence (over the `Result`'s error as its cause);
/// - `fail!(Kind, "format {args}")`, `pub(crate)`: returns `Err` of an `Error` of
///   `ErrorKind::Kind` with the formatted sentence.
///
/// The crate then adds its own `From` conversions (and any constructors of its own).
#[macro_export]
macro_rules! define_error {
    ($(#[$attr:meta])* $kind:ident) => {
        // `$` is handed down so that the inner macro can have metavariables of its own.
        $crate::__define_error! { ($) $(#[$attr])* $kind }
    };
}

/// [`define_error!`] with a `$` token to write `fail!`'s metavariables with.
#[doc(hidden)]
#[macro_export]
// `fail!` is expanded in the calling crate and means its `Error`: `crate::`, not `$crate`
// (which would name this crate; written through `$`, it still resolves here).
#[allow(clippy::crate_in_macro_def)]
macro_rules! __define_error {
    (($d:tt) $(#[$attr:meta])* $kind:ident) => {
        /// A `Result` whose error is this crate's [`Error`].
        pub type Result<T, E = Error> = ::std::result::Result<T, E>;

        $(#[$attr])*
        #[derive(Debug)]
        pub struct Error {
            kind: $kind,
            repr: Repr,
        }

        #[derive(Debug)]
        enum Repr {
            /// A sentence of this crate, with the error that caused it, if any.
            Message { message: ::std::string::String, source: ::std::option::Option<$crate::Cause> },
            /// Another crate's error passed on as it is (its sentence is already the user's).
            Passed($crate::Cause),
        }

        // Not every crate needs every constructor.
        #[allow(dead_code)]
        impl Error {
            /// A problem this crate found, said in one sentence.
            pub(crate) fn new(kind: $kind, message: impl ::std::convert::Into<::std::string::String>) -> Self {
                Error { kind, repr: Repr::Message { message: message.into(), source: None } }
            }

            /// A sentence of this crate over the error that caused it.
            pub(crate) fn because(
                kind: $kind,
                message: impl ::std::convert::Into<::std::string::String>,
                source: impl ::std::convert::Into<$crate::Cause>,
            ) -> Self {
                Error { kind, repr: Repr::Message { message: message.into(), source: Some(source.into()) } }
            }

            /// Another crate's error whose own sentence is the one to show.
            pub(crate) fn passed(kind: $kind, error: impl ::std::convert::Into<$crate::Cause>) -> Self {
                Error { kind, repr: Repr::Passed(error.into()) }
            }

            /// What kind of problem it is.
            pub fn kind(&self) -> $kind {
                self.kind
            }
        }

        impl ::std::fmt::Display for Error {
            /// The sentence; with `{:#}`, followed by each cause (`sentence: cause: …`).
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                match &self.repr {
                    Repr::Message { message, .. } => f.write_str(message)?,
                    Repr::Passed(e) => ::std::write!(f, "{e}")?,
                }
                if f.alternate() {
                    let mut cause = ::std::error::Error::source(self);
                    while let Some(e) = cause {
                        ::std::write!(f, ": {e}")?;
                        cause = e.source();
                    }
                }
                Ok(())
            }
        }

        impl ::std::error::Error for Error {
            fn source(&self) -> ::std::option::Option<&(dyn ::std::error::Error + 'static)> {
                match &self.repr {
                    Repr::Message { source, .. } => source.as_deref().map(|e| e as _),
                    Repr::Passed(e) => e.source(),
                }
            }
        }

        /// Puts this crate's sentence (and kind) in front of a lower-level error, or in
        /// place of a missing value.
        pub(crate) trait Context<T> {
            /// The value, or an error of `kind` saying `message()` (over the cause, if any).
            fn context<S: ::std::convert::Into<::std::string::String>>(
                self,
                kind: $kind,
                message: impl ::std::ops::FnOnce() -> S,
            ) -> Result<T>;
        }

        impl<T, E: ::std::convert::Into<$crate::Cause>> Context<T> for ::std::result::Result<T, E> {
            fn context<S: ::std::convert::Into<::std::string::String>>(
                self,
                kind: $kind,
                message: impl ::std::ops::FnOnce() -> S,
            ) -> Result<T> {
                self.map_err(|e| Error::because(kind, message(), e))
            }
        }

        impl<T> Context<T> for ::std::option::Option<T> {
            fn context<S: ::std::convert::Into<::std::string::String>>(
                self,
                kind: $kind,
                message: impl ::std::ops::FnOnce() -> S,
            ) -> Result<T> {
                self.ok_or_else(|| Error::new(kind, message()))
            }
        }

        /// Returns an [`Error`] of `kind` with a formatted sentence:
        /// `fail!(Parameter, "--batch-size must be at least 1, got {n}")`.
        #[allow(unused_macros)]
        macro_rules! fail {
            ($d kind:ident, $d($d message:tt)+) => {
                return ::std::result::Result::Err(crate::error::Error::new(
                    crate::error::$kind::$d kind,
                    ::std::format!($d($d message)+),
                ))
            };
        }
        #[allow(unused_imports)]
        pub(crate) use fail;
    };
}

#[cfg(test)]
mod error {
    /// The kinds the tests make errors of.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum ErrorKind {
        Read,
        Parameter,
    }

    define_error! {
        /// The tests' error.
        ErrorKind
    }
}

#[cfg(test)]
mod tests {
    use super::error::{fail, Context, Error, ErrorKind, Result};

    fn not_found() -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::NotFound, "no such file")
    }

    #[test]
    fn display_is_the_sentence_and_alternate_adds_each_cause() {
        let e = Err::<(), _>(not_found()).context(ErrorKind::Read, || "cannot list root");
        let e = e.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Read);
        assert_eq!(e.to_string(), "cannot list root");
        assert_eq!(format!("{e:#}"), "cannot list root: no such file");
        // A sentence over one of these errors keeps that error's causes.
        let outer = Error::because(ErrorKind::Parameter, "outer".to_string(), e);
        assert_eq!(outer.kind(), ErrorKind::Parameter);
        assert_eq!(outer.to_string(), "outer");
        assert_eq!(format!("{outer:#}"), "outer: cannot list root: no such file");
    }

    #[test]
    fn source_chain_is_each_cause_in_turn() {
        let inner = Error::because(ErrorKind::Read, "cannot read x.idx", not_found());
        let outer = Error::because(ErrorKind::Parameter, "bad input", inner);
        let chain: Vec<String> =
            std::iter::successors(Some(&outer as &dyn std::error::Error), |e| e.source())
                .map(|e| e.to_string())
                .collect();
        assert_eq!(chain, ["bad input", "cannot read x.idx", "no such file"]);
        let alone = Error::new(ErrorKind::Read, "no cause");
        assert!(std::error::Error::source(&alone).is_none());
    }

    #[test]
    fn passed_error_shows_its_own_sentence_and_causes() {
        let inner = Error::because(ErrorKind::Read, "cannot read x.idx", not_found());
        let passed = Error::passed(ErrorKind::Parameter, inner);
        assert_eq!(passed.kind(), ErrorKind::Parameter);
        assert_eq!(passed.to_string(), "cannot read x.idx");
        assert_eq!(format!("{passed:#}"), "cannot read x.idx: no such file");
        // Its source is the passed error's cause, not the passed error again.
        let source = std::error::Error::source(&passed).map(|e| e.to_string());
        assert_eq!(source.as_deref(), Some("no such file"));
    }

    #[test]
    fn context_on_option_is_a_sentence_without_cause() {
        assert_eq!(Some(3).context(ErrorKind::Read, || "unused").unwrap(), 3);
        let e = None::<u8>.context(ErrorKind::Parameter, || format!("no {}", "value")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Parameter);
        assert_eq!(format!("{e:#}"), "no value");
        assert!(std::error::Error::source(&e).is_none());
        assert_eq!(Ok::<_, std::io::Error>(4).context(ErrorKind::Read, || "unused").unwrap(), 4);
    }

    #[test]
    fn fail_returns_the_formatted_sentence_of_its_kind() {
        fn check(n: u32) -> Result<u32> {
            if n == 0 {
                fail!(Parameter, "--batch-size must be at least 1, got {n}");
            }
            Ok(n)
        }
        assert_eq!(check(2).unwrap(), 2);
        let e = check(0).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Parameter);
        assert_eq!(format!("{e:#}"), "--batch-size must be at least 1, got 0");
    }

    #[test]
    fn is_send_sync_and_static() {
        fn check<T: Send + Sync + 'static>() {}
        check::<Error>();
    }
}

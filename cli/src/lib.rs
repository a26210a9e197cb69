//! What every stage binary shares on the command line: flag parsing
//! ([`parse_args`]), how `main` ends ([`exit_status`]) and progress bars
//! ([`progress`]).
//!
//! A stage's `main.rs` is glue over its library:
//!
//! ```no_run
//! use clap::Parser;
//!
//! /// Counts to N.
//! #[derive(Parser)]
//! struct Cli {
//!     /// How far to count.
//!     #[arg(long)]
//!     to: u64,
//! }
//!
//! fn main() -> std::process::ExitCode {
//!     let cli: Cli = cli::parse_args();
//!     let bar = cli::progress::bar(cli.to, "numbers");
//!     bar.inc(cli.to);
//!     bar.finish_and_clear();
//!     cli::exit_status(Ok::<(), std::io::Error>(()))
//! }
//! ```

#![warn(missing_docs)]

pub mod progress;

/// Parses the binary's flags. `--help` and `--version` work as clap's; a flag that
/// does not parse is one `error:` line (clap's message without its usage block) and
/// exit status 1, like every other refusal.
pub fn parse_args<T: clap::Parser>() -> T {
    use clap::error::ErrorKind;
    match T::try_parse() {
        Ok(args) => args,
        // --help, --version and a bare command print their text as clap does.
        Err(e)
            if matches!(
                e.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) =>
        {
            e.exit()
        }
        Err(e) => {
            // clap's message without its usage block, on one line, exit status 1.
            let text = e.render().to_string();
            let message: Vec<&str> = text
                .lines()
                .map(str::trim)
                .take_while(|l| !l.starts_with("Usage:"))
                .filter(|l| !l.is_empty() && !l.starts_with("For more information"))
                .collect();
            eprintln!("{} (see --help)", message.join(" "));
            std::process::exit(1)
        }
    }
}

/// How every stage's `main` ends: `Ok` is exit status 0; an error is one line on stderr,
/// `error: ` and the error printed with `{:#}`, and exit status 1.
///
/// The stages pass an `anyhow::Result<()>` or their library's own `Result` (`ingest`,
/// `features`), whose `{:#}` is the whole context chain (file, then problem, then
/// cause). Generic over the error so this crate needs no `anyhow`; an error type whose
/// `{:#}` prints only its own message (such as `formats::Error`) should be converted to
/// `anyhow::Error` first.
pub fn exit_status<E: std::fmt::Display>(
    result: std::result::Result<(), E>,
) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

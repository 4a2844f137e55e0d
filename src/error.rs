//! One error type for the library: `Error { kind }` plus the context chain that says where.
//!
//! Context (file, key, step) is attached once, by the caller that knows it, with
//! [`Error::context`]; leaf code only states what was wrong. The CLI maps the kind to an exit code.
use std::fmt;
use std::path::Path;

/// What went wrong, at the level a caller can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Input (a file, a flag, an artifact) is malformed or does not match what is expected.
    BadInput,
    /// A certificate or artifact was checked and rejected (Lean error, hash mismatch, ...).
    CheckFailed,
    /// A tool torchlean needs (Lean toolchain, npm, node) could not be installed or run.
    Toolchain,
    /// An I/O failure on a named path.
    Io,
    /// A bug or an unexpected state inside torchlean.
    Internal,
    /// The run's deadline (`--timeout`) passed before the work finished.
    Timeout,
}

impl ErrorKind {
    /// The process exit code for this kind (the contract documented in `torchlean --help`).
    pub fn exit_code(&self) -> i32 {
        match self {
            ErrorKind::BadInput => 2,
            // A rejection is the negative answer of a check command (as `grep` exits 1 on no match):
            // the issue contract for `audit` is "any mismatch: exit 1".
            ErrorKind::CheckFailed => 1,
            ErrorKind::Toolchain => 4,
            ErrorKind::Io | ErrorKind::Internal => 1,
            // As `verify`'s unknown: nothing was decided in time.
            ErrorKind::Timeout => 20,
        }
    }
}

/// A library error: its kind, its message, and the context it was raised in (outermost first).
#[derive(Debug, Clone)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    context: Vec<String>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error { kind, message: message.into(), context: Vec::new() }
    }
    pub fn bad_input(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::BadInput, message)
    }
    pub fn check_failed(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::CheckFailed, message)
    }
    pub fn toolchain(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Toolchain, message)
    }
    pub fn timeout(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Timeout, message)
    }
    /// `Err(timeout)` once `deadline` has passed, saying what was cut short.
    pub fn check_deadline(deadline: Option<std::time::Instant>, what: &str) -> Result<()> {
        match deadline {
            Some(d) if std::time::Instant::now() >= d => Err(Self::timeout(format!("the deadline passed while {what}"))),
            _ => Ok(()),
        }
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, message)
    }
    /// An I/O error on `path`, saying what was being attempted.
    pub fn io(action: &str, path: &Path, err: std::io::Error) -> Self {
        // `read_to_string` reports bytes that are not UTF-8 as an I/O error; they are the file's
        // fault, not the machine's.
        if err.kind() == std::io::ErrorKind::InvalidData {
            return Self::bad_input(format!("{action} {}: expected UTF-8 text, found bytes that are not UTF-8", path.display()));
        }
        Self::new(ErrorKind::Io, format!("{action} {}: {err}", path.display()))
    }
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }
    pub fn message(&self) -> &str {
        &self.message
    }
    /// Adds where the error happened (e.g. the file name); the outermost context prints first.
    pub fn context(mut self, ctx: impl Into<String>) -> Self {
        self.context.insert(0, ctx.into());
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in &self.context {
            write!(f, "{c}: ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// Extension to attach context to any `Result<_, Error>` in one place.
pub trait ResultExt<T> {
    fn context(self, ctx: impl Into<String>) -> Result<T>;
    fn with_context<F: FnOnce() -> String>(self, f: F) -> Result<T>;
}

impl<T> ResultExt<T> for Result<T> {
    fn context(self, ctx: impl Into<String>) -> Result<T> {
        self.map_err(|e| e.context(ctx))
    }
    fn with_context<F: FnOnce() -> String>(self, f: F) -> Result<T> {
        self.map_err(|e| e.context(f()))
    }
}

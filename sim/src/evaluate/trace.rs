//! Loading a trace directory (`EVALUATION.md`, "INPUT"): `DIR/<workload>/<replica>.csv`.
//!
//! Parsing is strict on purpose: a malformed trace must stop the evaluation with the file and
//! line, never be half-read into different numbers. What a spreadsheet or another OS adds
//! without changing the data is read as a person expects: a UTF-8 byte-order mark before the
//! header and CRLF line endings. Workloads and replicas are ordered by name
//! (code-point order), which fixes replica ranks and so the replay order.
use std::fs;
use std::path::{Path, PathBuf};

use thiserror::Error;

use super::durations::sample_durations;

/// A UTF-8 byte-order mark, as some editors and spreadsheets write before the header.
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The one accepted header line.
pub const HEADER: &str = "timestamp_s,usage_bytes,peak_bytes,provisioned_bytes";
const COLUMNS: [&str; 4] = [
    "timestamp_s",
    "usage_bytes",
    "peak_bytes",
    "provisioned_bytes",
];

/// A trace that cannot be read as the protocol defines it. Every variant names the file, and the
/// line where one applies.
#[derive(Debug, Error)]
pub enum TraceError {
    /// The I/O error is part of the message (not a `source`), so it is printed once.
    #[error("{}: cannot read: {error}", path.display())]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{}:1: empty file: expected the header `{HEADER}`", path.display())]
    EmptyFile { path: PathBuf },
    #[error("{}:{line}: bad header{detail}: expected exactly `{HEADER}`, found `{found}`", path.display())]
    Header {
        path: PathBuf,
        line: usize,
        found: String,
        /// Which columns are missing, when that explains the mismatch.
        detail: String,
    },
    #[error("{}:{line}: expected 4 fields ({HEADER}), found {found}: missing or extra column", path.display())]
    FieldCount {
        path: PathBuf,
        line: usize,
        found: usize,
    },
    #[error("{}:{line}: {column} `{value}` is beyond the largest accepted value {max}", path.display(), max = i64::MAX)]
    OutOfRange {
        path: PathBuf,
        line: usize,
        column: &'static str,
        value: String,
    },
    #[error("{}:{line}: peak_bytes {peak} is below usage_bytes {usage}: the peak of a sample is at least its usage", path.display())]
    PeakBelowUsage {
        path: PathBuf,
        line: usize,
        usage: String,
        peak: String,
    },
    #[error("{}:{line}: {column} `{value}` is not a non-negative decimal integer", path.display())]
    NotANumber {
        path: PathBuf,
        line: usize,
        column: &'static str,
        value: String,
    },
    #[error("{}:{line}: timestamp {t} is not after {previous} (line {previous_line}): timestamps must strictly increase", path.display())]
    NotIncreasing {
        path: PathBuf,
        line: usize,
        t: i64,
        previous: i64,
        previous_line: usize,
    },
    #[error("{}:{line}: no data row after the header: a replica needs at least one sample", path.display())]
    NoRows { path: PathBuf, line: usize },
    #[error("{}: no workload: expected sub-directories holding <replica>.csv files", path.display())]
    NoWorkloads { path: PathBuf },
}

/// One replica: a CSV file, as columns.
#[derive(Clone, Debug, Default)]
pub struct Replica {
    /// File name, e.g. `task002.csv`.
    pub name: String,
    pub t: Vec<i64>,
    pub usage: Vec<f64>,
    pub peak: Vec<f64>,
    /// Provisioned bytes; 0.0 where the field is empty or 0 (unknown: a Bitbrains VM that was
    /// off has 0, not a size of zero bytes).
    pub provisioned: Vec<f64>,
    /// Sample durations (seconds), from `durations::sample_durations`.
    pub duration: Vec<f64>,
}

impl Replica {
    /// Builds a replica from rows, computing the durations. Timestamps must strictly increase.
    pub fn from_rows(name: &str, rows: &[(i64, f64, f64, f64)]) -> Self {
        let t: Vec<i64> = rows.iter().map(|r| r.0).collect();
        Self {
            name: name.to_owned(),
            duration: sample_durations(&t),
            t,
            usage: rows.iter().map(|r| r.1).collect(),
            peak: rows.iter().map(|r| r.2).collect(),
            provisioned: rows.iter().map(|r| r.3).collect(),
        }
    }

    pub fn len(&self) -> usize {
        self.t.len()
    }

    pub fn is_empty(&self) -> bool {
        self.t.is_empty()
    }

    /// DECLARED size: the first known provisioned value, else `default_memory`.
    pub fn declared(&self, default_memory: f64) -> f64 {
        self.provisioned
            .iter()
            .copied()
            .find(|&p| p > 0.0)
            .unwrap_or(default_memory)
    }
}

/// One workload: its replicas in file-name order (the order is the replica rank).
#[derive(Clone, Debug, Default)]
pub struct Workload {
    pub name: String,
    pub replicas: Vec<Replica>,
}

impl Workload {
    /// The trace source: the name up to the first `-` (`bitbrains`, `google2019`, `nezha`).
    pub fn source(&self) -> &str {
        source_of(&self.name)
    }

    pub fn samples(&self) -> usize {
        self.replicas.iter().map(Replica::len).sum()
    }
}

/// The source of a workload name: the prefix before the first `-`.
pub fn source_of(workload: &str) -> &str {
    workload.split('-').next().unwrap_or(workload)
}

/// Loads every workload under `dir`: its sub-directories with at least one `*.csv` file.
pub fn load_dir(dir: &Path) -> Result<Vec<Workload>, TraceError> {
    let mut workloads = Vec::new();
    for (name, path) in sorted_entries(dir, |p| p.is_dir())? {
        let files = sorted_entries(&path, |p| {
            p.is_file() && p.extension().is_some_and(|e| e == "csv")
        })?;
        if files.is_empty() {
            continue;
        }
        let replicas = files
            .iter()
            .map(|(_, file)| load_replica(file))
            .collect::<Result<_, _>>()?;
        workloads.push(Workload { name, replicas });
    }
    if workloads.is_empty() {
        return Err(TraceError::NoWorkloads {
            path: dir.to_owned(),
        });
    }
    Ok(workloads)
}

/// Entries of `dir` passing `keep`, as (name, path) in code-point order of their names.
fn sorted_entries(
    dir: &Path,
    keep: impl Fn(&Path) -> bool,
) -> Result<Vec<(String, PathBuf)>, TraceError> {
    let read_err = |error| TraceError::Read {
        path: dir.to_owned(),
        error,
    };
    let mut entries = Vec::new();
    for entry in fs::read_dir(dir).map_err(read_err)? {
        let path = entry.map_err(read_err)?.path();
        if keep(&path) {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            entries.push((name, path));
        }
    }
    // Rust's `str` order is byte order, which for UTF-8 is code-point order.
    entries.sort();
    Ok(entries)
}

/// Reads and parses one replica file.
pub fn load_replica(path: &Path) -> Result<Replica, TraceError> {
    let bytes = fs::read(path).map_err(|error| TraceError::Read {
        path: path.to_owned(),
        error,
    })?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    parse_replica(path, &name, &bytes)
}

/// Parses the bytes of one replica file; `path` is only used in errors.
pub fn parse_replica(path: &Path, name: &str, bytes: &[u8]) -> Result<Replica, TraceError> {
    let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    let mut lines = bytes
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .enumerate();
    let header = lines.next().map(|(_, l)| l).unwrap_or_default();
    if bytes.is_empty() {
        return Err(TraceError::EmptyFile {
            path: path.to_owned(),
        });
    }
    if header != HEADER.as_bytes() {
        let found = String::from_utf8_lossy(header).into_owned();
        let missing: Vec<&str> = COLUMNS
            .iter()
            .copied()
            .filter(|c| !found.split(',').any(|f| f == *c))
            .collect();
        let detail = if missing.is_empty() {
            String::new()
        } else {
            format!(" (missing column {})", missing.join(", "))
        };
        return Err(TraceError::Header {
            path: path.to_owned(),
            line: 1,
            found,
            detail,
        });
    }

    let mut rows: Vec<(i64, f64, f64, f64)> = Vec::new();
    let mut previous_line = 1;
    let mut last_line = 1;
    for (index, line) in lines {
        let line_no = index + 1;
        last_line = line_no;
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&[u8]> = line.split(|&b| b == b',').collect();
        if fields.len() != COLUMNS.len() {
            return Err(TraceError::FieldCount {
                path: path.to_owned(),
                line: line_no,
                found: fields.len(),
            });
        }
        let value = |column: usize| String::from_utf8_lossy(fields[column]).into_owned();
        let field = |column: usize| -> Result<i64, TraceError> {
            let (path, line, column_name) = (path.to_owned(), line_no, COLUMNS[column]);
            match parse_integer(fields[column]) {
                Integer::Value(n) => Ok(n),
                Integer::TooLarge => Err(TraceError::OutOfRange {
                    path,
                    line,
                    column: column_name,
                    value: value(column),
                }),
                Integer::Invalid => Err(TraceError::NotANumber {
                    path,
                    line,
                    column: column_name,
                    value: value(column),
                }),
            }
        };
        let t = field(0)?;
        let (usage, peak) = (field(1)?, field(2)?);
        if peak < usage {
            return Err(TraceError::PeakBelowUsage {
                path: path.to_owned(),
                line: line_no,
                usage: value(1),
                peak: value(2),
            });
        }
        // i64 -> f64 rounds to nearest, ties to even (Python's `float(int(s))`).
        let (usage, peak) = (usage as f64, peak as f64);
        let provisioned = if fields[3].is_empty() {
            0.0
        } else {
            field(3)? as f64
        };
        if let Some(&(previous, ..)) = rows.last()
            && t <= previous
        {
            return Err(TraceError::NotIncreasing {
                path: path.to_owned(),
                line: line_no,
                t,
                previous,
                previous_line,
            });
        }
        previous_line = line_no;
        rows.push((t, usage, peak, provisioned));
    }
    if rows.is_empty() {
        return Err(TraceError::NoRows {
            path: path.to_owned(),
            line: last_line,
        });
    }
    Ok(Replica::from_rows(name, &rows))
}

/// A field read as an integer.
enum Integer {
    Value(i64),
    /// Digits only, but beyond `i64`.
    TooLarge,
    /// Empty, or anything but ASCII digits (no sign, no spaces, no `_`).
    Invalid,
}

/// A non-empty run of ASCII digits as an exact integer.
fn parse_integer(field: &[u8]) -> Integer {
    if field.is_empty() || !field.iter().all(u8::is_ascii_digit) {
        return Integer::Invalid;
    }
    field
        .iter()
        .try_fold(0i64, |acc, &b| {
            acc.checked_mul(10)?.checked_add(i64::from(b - b'0'))
        })
        .map_or(Integer::TooLarge, Integer::Value)
}

#[cfg(test)]
mod tests;

//! `--shard K/N`: which contiguous slice of the rows (or of the sorted file list) a
//! stage processes, and the part file it writes.
//!
//! Shard K of N takes the items `[K·n/N, (K+1)·n/N)` and writes
//! `OUT/part-0000K.parquet` ([`Shard::part_name`]). The N parts, read in file-name
//! order, hold the rows of the unsharded run in the same order.
//!
//! Each part records N in its schema metadata ([`PARTS_KEY`], added by
//! [`part_schema`]), so that parts of different N never make one dataset: a writer
//! checks the directory first ([`check_part_directory`]: only parts of the same N,
//! nothing else), and a reader refuses a directory whose parts are not the N parts
//! `part-00000` … `part-(N-1)` of one set ([`check_complete_set`]).
//!
//! ```
//! use formats::Shard;
//!
//! let shards: Vec<Shard> = (0..3).map(|k| format!("{k}/3").parse().unwrap()).collect();
//! let ranges: Vec<_> = shards.iter().map(|s| s.range(10)).collect();
//! assert_eq!(ranges, [0..3, 3..6, 6..10]);
//! assert_eq!(shards[1].part_name(), "part-00001.parquet");
//! assert!("3/3".parse::<Shard>().is_err());
//! ```

use std::path::{Path, PathBuf};

pub use params::shard::MAX_SHARDS;
pub use params::Shard;

/// Schema metadata key of a shard's part file: N, the number of parts of its set.
pub const PARTS_KEY: &str = "shard_parts";

/// Why a directory cannot take, or cannot be read as, the parts of one set of shards.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ShardError {
    /// The output directory holds a file that is not a part of a sharded dataset.
    #[error("{} holds {name}, which is not a part file of a sharded dataset; a shard (--shard) writes only part-NNNNN.parquet files there: choose another output or empty it", dir.display())]
    Foreign {
        /// The output directory.
        dir: PathBuf,
        /// The foreign entry.
        name: String,
    },
    /// The output directory holds parts of a set of another N (or of no sharded set).
    #[error("{} holds {name}, a part of {found}, but --shard {shard} writes a part of a set of {} shards: remove the old parts or write elsewhere", dir.display(), shard.count)]
    OtherSet {
        /// The output directory.
        dir: PathBuf,
        /// The part of the other set.
        name: String,
        /// What N that part belongs to.
        found: String,
        /// The shard being written.
        shard: Shard,
    },
    /// A part file whose footer cannot be read.
    #[error("{} is not a readable Parquet file", path.display())]
    Unreadable {
        /// The part file.
        path: PathBuf,
        /// Why its footer cannot be read.
        #[source]
        source: Box<crate::error::Error>,
    },
    /// A directory that cannot be listed.
    #[error("cannot list {}", dir.display())]
    List {
        /// The directory.
        dir: PathBuf,
        /// Why it cannot be listed.
        #[source]
        source: std::io::Error,
    },
    /// A dataset directory of shard parts that is not the N parts of one set.
    #[error("dataset {} is not one complete set of {count} shard parts: {problem}", dir.display())]
    Incomplete {
        /// The dataset directory.
        dir: PathBuf,
        /// N, from the parts' metadata.
        count: usize,
        /// What is missing or extra.
        problem: String,
    },
}

/// `schema` with this shard's N in its metadata ([`PARTS_KEY`]); unchanged for
/// [`Shard::WHOLE`].
pub fn part_schema(
    schema: arrow::datatypes::SchemaRef,
    shard: Shard,
) -> arrow::datatypes::SchemaRef {
    if shard.is_whole() {
        return schema;
    }
    let mut metadata = schema.metadata().clone();
    metadata.insert(PARTS_KEY.to_string(), shard.count.to_string());
    std::sync::Arc::new(arrow::datatypes::Schema::new_with_metadata(
        schema.fields().clone(),
        metadata,
    ))
}

/// The index K of a `part-0000K.parquet` name.
fn part_index(name: &str) -> Option<usize> {
    let digits = name.strip_prefix("part-")?.strip_suffix(".parquet")?;
    (digits.len() == 5 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

/// A writer's temporary beside its part (`.part-0000K.parquet.tmp-…`): another shard
/// of the same run writing now.
fn is_part_temporary(name: &str) -> bool {
    name.strip_prefix('.')
        .and_then(|rest| rest.split_once(".tmp-"))
        .is_some_and(|(part, _)| part_index(part).is_some())
}

/// N of the set a part file belongs to, from its footer (None: not a shard's part).
fn parts_of(path: &Path) -> Result<Option<usize>, ShardError> {
    let reader = crate::parquet_bounds::open_footer(path)
        .map_err(|e| ShardError::Unreadable { path: path.to_path_buf(), source: Box::new(e) })?;
    let count = reader
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .and_then(|kv| kv.iter().find(|k| k.key == PARTS_KEY).and_then(|k| k.value.clone()));
    Ok(count.and_then(|c| c.parse().ok()))
}

/// Before shard `shard` writes its part into `dir`: `dir` must be absent, a file (the
/// writer refuses it), or a directory holding nothing but parts of a set of the same N
/// (and the temporaries of shards writing now). Parts of another N, an unsharded
/// directory of parts or a user's file are refused, so that two sets never mix.
pub fn check_part_directory(dir: &Path, shard: Shard) -> Result<(), ShardError> {
    if shard.is_whole() || !dir.is_dir() {
        return Ok(());
    }
    let list = |source| ShardError::List { dir: dir.to_path_buf(), source };
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map_err(list)?
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<Result<_, _>>()
        .map_err(list)?;
    names.sort();
    for name in names {
        if is_part_temporary(&name) {
            continue;
        }
        if part_index(&name).is_none() || !dir.join(&name).is_file() {
            return Err(ShardError::Foreign { dir: dir.to_path_buf(), name });
        }
        let found = match parts_of(&dir.join(&name))? {
            Some(n) if n == shard.count => continue,
            Some(n) => format!("a set of {n} shards"),
            None => "an unsharded dataset".to_string(),
        };
        return Err(ShardError::OtherSet { dir: dir.to_path_buf(), name, found, shard });
    }
    Ok(())
}

/// When a dataset's schema `metadata` says it is a set of N shard parts ([`PARTS_KEY`])
/// and `dataset` is their directory: its part files must be exactly `part-00000` …
/// `part-(N-1)` (one missing, or one of another set, would silently drop or repeat
/// rows). A single part file read on its own is not checked.
pub fn check_complete_set(
    dataset: &Path,
    metadata: &arrow::datatypes::Metadata,
) -> Result<(), ShardError> {
    let Some(count) = metadata.get(PARTS_KEY) else { return Ok(()) };
    if !dataset.is_dir() {
        return Ok(());
    }
    let incomplete = |problem: String, count: usize| ShardError::Incomplete {
        dir: dataset.to_path_buf(),
        count,
        problem,
    };
    let count: usize = match count.parse() {
        Ok(n) if (1..=MAX_SHARDS).contains(&n) => n,
        _ => {
            return Err(incomplete(
                format!("metadata `{PARTS_KEY}` = {count:?} is not 1..={MAX_SHARDS}"),
                0,
            ))
        }
    };
    let list = |source| ShardError::List { dir: dataset.to_path_buf(), source };
    let mut present = vec![false; count];
    for entry in std::fs::read_dir(dataset).map_err(list)? {
        let name = entry.map_err(list)?.file_name().to_string_lossy().into_owned();
        // The files a reader takes as parts: non-hidden *.parquet.
        if name.starts_with('.') || !name.ends_with(".parquet") {
            continue;
        }
        match part_index(&name) {
            Some(k) if k < count => present[k] = true,
            _ => return Err(incomplete(format!("{name} is not one of its part files"), count)),
        }
    }
    if let Some(k) = present.iter().position(|&p| !p) {
        let missing = present.iter().filter(|&&p| !p).count();
        return Err(incomplete(
            format!(
                "{missing} part{} missing, the first {}",
                if missing == 1 { " is" } else { "s are" },
                Shard { index: k, count }.part_name()
            ),
            count,
        ));
    }
    Ok(())
}

/// The output directory of a shard's part, removed again if this run created it and
/// puts no part in it (a failed run leaves nothing). [`PartDirectory::keep`] once the
/// part is in place.
#[derive(Debug)]
pub struct PartDirectory {
    dir: PathBuf,
    created_here: bool,
}

impl PartDirectory {
    /// Notes whether `dir` exists before shard `shard` writes into it (nothing to
    /// remove for [`Shard::WHOLE`], which writes no directory of its own).
    pub fn new(dir: &Path, shard: Shard) -> Self {
        Self { dir: dir.to_path_buf(), created_here: !shard.is_whole() && !dir.exists() }
    }

    /// The part is in place: the directory stays.
    pub fn keep(mut self) {
        self.created_here = false;
    }
}

impl Drop for PartDirectory {
    fn drop(&mut self) {
        if self.created_here {
            // Only an empty directory goes: `remove_dir` leaves one that holds anything.
            let _ = std::fs::remove_dir(&self.dir);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_every_item_once_in_order() {
        for n in [0, 1, 2, 7, 10, 1001] {
            for count in 1..=9 {
                let mut next = 0;
                for index in 0..count {
                    let r = Shard { index, count }.range(n);
                    assert_eq!(r.start, next, "n {n} shard {index}/{count}");
                    next = r.end;
                }
                assert_eq!(next, n);
            }
        }
    }

    /// A part file of shard `shard` in `dir`, as a stage writes it.
    fn write_part(dir: &Path, shard: Shard) {
        use arrow::array::{Int32Array, RecordBatch};
        use arrow::datatypes::{DataType, Field, Schema};
        let schema =
            std::sync::Arc::new(Schema::new(vec![Field::new("label", DataType::Int32, false)]));
        let schema = part_schema(schema, shard);
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![std::sync::Arc::new(Int32Array::from(vec![shard.index as i32]))],
        )
        .unwrap();
        crate::DatasetWriter::create_shard(dir, schema, None, shard)
            .and_then(|mut w| w.write(&batch).map(|_| w))
            .and_then(|w| w.finish())
            .unwrap();
    }

    fn metadata(dir: &Path) -> arrow::datatypes::Metadata {
        crate::DatasetReader::open(dir).unwrap().schema().metadata().clone()
    }

    #[test]
    fn a_directory_takes_only_parts_of_one_set() {
        let dir = tempfile::tempdir().unwrap();
        let parts = dir.path().join("parts");
        let shard = |s: &str| s.parse::<Shard>().unwrap();
        check_part_directory(&parts, shard("1/2")).unwrap();
        write_part(&parts, shard("1/2"));
        // The same set again (a rerun of a shard, or the other shard): fine.
        check_part_directory(&parts, shard("1/2")).unwrap();
        check_part_directory(&parts, shard("0/2")).unwrap();
        let e = check_part_directory(&parts, shard("0/3")).unwrap_err().to_string();
        assert!(e.ends_with("holds part-00001.parquet, a part of a set of 2 shards, but --shard 0/3 writes a part of a set of 3 shards: remove the old parts or write elsewhere"), "{e}");
        // A concurrent shard's temporary is not in the way; a user's file is.
        std::fs::write(parts.join(".part-00000.parquet.tmp-1-00ff"), "").unwrap();
        check_part_directory(&parts, shard("0/2")).unwrap();
        std::fs::write(parts.join("notes.txt"), "mine").unwrap();
        let e = check_part_directory(&parts, shard("0/2")).unwrap_err().to_string();
        assert!(e.contains("holds notes.txt, which is not a part file"), "{e}");
        // The parts of an unsharded run (--rows-per-file) are another set too.
        let unsharded = dir.path().join("unsharded");
        std::fs::create_dir(&unsharded).unwrap();
        write_part(&unsharded.join("part-00000.parquet"), Shard::WHOLE);
        let e = check_part_directory(&unsharded, shard("0/2")).unwrap_err().to_string();
        assert!(e.contains("a part of an unsharded dataset"), "{e}");
    }

    #[test]
    fn a_set_of_parts_reads_only_when_complete() {
        let dir = tempfile::tempdir().unwrap();
        let parts = dir.path().join("parts");
        write_part(&parts, "2/3".parse().unwrap());
        let md = metadata(&parts);
        assert_eq!(md.get(PARTS_KEY).map(String::as_str), Some("3"));
        let e = check_complete_set(&parts, &md).unwrap_err().to_string();
        assert!(e.ends_with("is not one complete set of 3 shard parts: 2 parts are missing, the first part-00000.parquet"), "{e}");
        write_part(&parts, "0/3".parse().unwrap());
        write_part(&parts, "1/3".parse().unwrap());
        check_complete_set(&parts, &md).unwrap();
        // One part alone, read as a file, is not checked; a stray part beside the set is refused.
        check_complete_set(&parts.join("part-00001.parquet"), &md).unwrap();
        std::fs::copy(parts.join("part-00000.parquet"), parts.join("part-00003.parquet")).unwrap();
        let e = check_complete_set(&parts, &md).unwrap_err().to_string();
        assert!(e.ends_with("part-00003.parquet is not one of its part files"), "{e}");
    }

    #[test]
    fn parsing_refuses_what_is_not_a_shard() {
        assert_eq!("2/5".parse::<Shard>().unwrap(), Shard { index: 2, count: 5 });
        for bad in ["", "1", "1/0", "5/5", "-1/3", "a/b", "1/100000", "1/2/3"] {
            let e = bad.parse::<Shard>().unwrap_err();
            assert!(e.contains("is not a shard K/N"), "{bad}: {e}");
        }
    }
}

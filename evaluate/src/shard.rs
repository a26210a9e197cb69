//! `evaluate --shard K/N` and `evaluate merge`: inference split over machines, one
//! set of figures.
//!
//! A shard scores its contiguous slice of the rows and writes `shard.json` (a
//! [`RunInfo`](crate::RunInfo)) and its `predictions.parquet` (rows numbered as in the whole
//! dataset). `evaluate merge S0 S1 … --out DIR` checks that the shards are the N
//! of one evaluation, each once, puts their rows back in order, and computes every
//! figure from all of them with the same code as an unsharded run
//! ([`crate::finish`]): the metrics, tables and pictures are those of one run.

use std::path::{Path, PathBuf};

use arrow::array::{Array, FixedSizeListArray, Float32Array, Int32Array};
use formats::{DatasetReader, Shard};

use crate::error::{fail, Context, ErrorKind, Result};
use crate::figures::{finish, predict_classes, Evaluation};
use crate::outputs::write_predictions;
use crate::score::{RunInfo, Scored};

/// The files of a shard's output directory.
pub const SHARD_OUTPUTS: &[&str] = &["shard.json", "predictions.parquet"];

/// Writes `out/shard.json` and `out/predictions.parquet` as one set.
pub fn write_shard(scored: &Scored, out: &Path) -> Result<Vec<PathBuf>> {
    let stage = formats::OutputSet::new(out, SHARD_OUTPUTS)?;
    let info = &scored.info;
    let json = serde_json::to_string_pretty(info)? + "\n";
    std::fs::write(stage.path("shard.json"), json)
        .context(ErrorKind::Output, || "cannot write shard.json")?;
    let predicted = predict_classes(&scored.scores, info.classes.len(), info.threshold);
    write_predictions(
        &info.classes,
        info.first_row,
        &scored.labels,
        &predicted,
        &scored.scores,
        &stage.path("predictions.parquet"),
    )?;
    Ok(stage.commit()?)
}

/// Reads one shard directory back.
pub fn read_shard(dir: &Path) -> Result<Scored> {
    let path = dir.join("shard.json");
    let text = std::fs::read_to_string(&path).context(ErrorKind::Input, || {
        format!("{} is not an evaluate shard: cannot read {}", dir.display(), path.display())
    })?;
    let info: RunInfo = serde_json::from_str(&text).context(ErrorKind::Input, || {
        format!("{} is not a shard.json written by evaluate", path.display())
    })?;
    let predictions = dir.join("predictions.parquet");
    let c = info.classes.len();
    let (mut labels, mut scores) = (Vec::with_capacity(info.rows), Vec::new());
    for batch in DatasetReader::open(&predictions)? {
        let batch = batch?;
        let column = |name: &str| {
            batch.column_by_name(name).context(ErrorKind::Input, || {
                format!("{} has no `{name}` column", predictions.display())
            })
        };
        let label = column("label")?.as_any().downcast_ref::<Int32Array>();
        let list = column("scores")?.as_any().downcast_ref::<FixedSizeListArray>();
        let (Some(label), Some(list)) = (label, list) else {
            fail!(Input, "{}: `label` or `scores` has the wrong type", predictions.display());
        };
        let values = list.values().as_any().downcast_ref::<Float32Array>();
        let Some(values) = values.filter(|_| list.value_length() as usize == c) else {
            fail!(Input, "{}: `scores` is not {c} float32 per row", predictions.display());
        };
        labels.extend(label.values().iter().copied());
        let offset = list.offset() * c;
        scores.extend_from_slice(&values.values()[offset..offset + list.len() * c]);
    }
    if labels.len() != info.rows {
        fail!(
            Input,
            "{} holds {} rows but {} says {}",
            predictions.display(),
            labels.len(),
            path.display(),
            info.rows
        );
    }
    Ok(Scored { info, labels, scores, history: None })
}

/// The N shards of one evaluation, as the scores of all rows in order, with the
/// training history their `shard.json` names.
pub fn merge_scores(dirs: &[PathBuf]) -> Result<Scored> {
    if dirs.is_empty() {
        fail!(Shards, "evaluate merge needs the shard directories");
    }
    let mut shards =
        dirs.iter().map(|d| read_shard(d).map(|s| (d.clone(), s))).collect::<Result<Vec<_>>>()?;
    shards.sort_by_key(|(_, s)| s.info.shard.index);
    let (first_dir, first) = (&shards[0].0, &shards[0].1.info);
    let count = first.shard.count;
    for (dir, s) in &shards {
        let i = &s.info;
        let same = i.model == first.model
            && i.data == first.data
            && i.classes == first.classes
            && i.threshold == first.threshold
            && i.min_recall == first.min_recall
            && i.score_transform == first.score_transform
            && i.total_rows == first.total_rows
            && i.shard.count == count;
        if !same {
            fail!(Shards,
                "shards {} and {} are not of one evaluation (model, dataset, classes, threshold or shard count differ)",
                first_dir.display(),
                dir.display()
            );
        }
    }
    for k in 0..count {
        let found: Vec<&PathBuf> =
            shards.iter().filter(|(_, s)| s.info.shard.index == k).map(|(d, _)| d).collect();
        match found.as_slice() {
            [_] => {}
            [] => fail!(
                Shards,
                "shard {k}/{count} is missing: merge needs all {count} shard directories"
            ),
            [a, b, ..] => {
                fail!(
                    Shards,
                    "shard {k}/{count} is given twice ({} and {})",
                    a.display(),
                    b.display()
                )
            }
        }
    }
    let mut next = 0;
    for (dir, s) in &shards {
        if s.info.first_row != next {
            fail!(
                Shards,
                "{} starts at row {} where row {next} was expected",
                dir.display(),
                s.info.first_row
            );
        }
        next += s.info.rows;
    }
    if next != first.total_rows {
        fail!(Shards, "the shards hold {next} rows, the dataset {}", first.total_rows);
    }
    let mut info = first.clone();
    info.shard = Shard::WHOLE;
    info.first_row = 0;
    info.rows = next;
    info.seconds = shards.iter().map(|(_, s)| s.info.seconds).sum();
    info.threads = shards.iter().map(|(_, s)| s.info.threads).max().unwrap_or(1);
    let mut labels = Vec::with_capacity(next);
    let mut scores = Vec::with_capacity(next * info.classes.len());
    for (_, s) in shards {
        labels.extend(s.labels);
        scores.extend(s.scores);
    }
    let history = info.history.as_deref().map(Path::new).map(formats::History::read);
    Ok(Scored { info, labels, scores, history: history.transpose()? })
}

/// `evaluate merge`: the evaluation of all rows from its shards (history included).
pub fn merge(dirs: &[PathBuf]) -> Result<Evaluation> {
    finish(merge_scores(dirs)?)
}

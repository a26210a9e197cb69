//! Scoring a dataset's batches: a reader thread decodes them, one worker per session
//! runs them through ONNX Runtime, and the caller's thread puts the scores back in
//! row order. Reading overlaps inference, and with several sessions (`--sessions`)
//! several batches are scored at once, each session with its share of the threads.
//!
//! A batch is scored by one session whatever the layout, and the same rows form the
//! same batches, so the scores do not depend on the number of sessions or threads.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::mpsc::{channel, sync_channel, Receiver};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use arrow::array::RecordBatch;
use formats::dataset::{batch_features, batch_images, batch_labels};
use formats::{DatasetKind, DatasetReader};
use ort::session::Session;
use ort::value::TensorRef;

use super::{one_line, Classifier, Feed, Scores};
use crate::error::{fail, Context, Error, ErrorKind, Result};

/// One batch's labels and class scores (a sigmoid column already expanded to two).
struct Scored {
    labels: Vec<i32>,
    scores: Vec<f32>,
    /// Columns of the model's output (1 for a sigmoid); `None` for an empty batch.
    columns: Option<usize>,
}

/// What every worker needs to turn a batch into scores.
struct Job<'a> {
    feed: &'a Feed,
    feed_dims: &'a [i64],
    output_name: &'a str,
    model: &'a Path,
    kind: DatasetKind,
    dataset: &'a Path,
    what: &'a str,
}

impl Job<'_> {
    fn score(&self, session: &mut Session, batch: &RecordBatch) -> Result<Scored> {
        let dataset = self.dataset;
        let labels = batch_labels(batch, dataset)?;
        let n = batch.num_rows();
        if n == 0 {
            return Ok(Scored { labels, scores: Vec::new(), columns: None });
        }
        let mut shape = vec![n as i64];
        shape.extend(self.feed_dims);
        let scaled: Vec<f32>;
        let outputs = match (self.feed, self.kind) {
            (Feed::ImageBytes, DatasetKind::Image) => {
                let bytes = batch_images(batch, dataset)?;
                session.run(ort::inputs![TensorRef::from_array_view((shape, bytes))?])
            }
            (Feed::ImageScaled { scale }, DatasetKind::Image) => {
                let bytes = batch_images(batch, dataset)?;
                scaled = bytes.iter().map(|&b| b as f32 * scale).collect();
                session.run(ort::inputs![TensorRef::from_array_view((shape, scaled.as_slice()))?])
            }
            (Feed::Features, DatasetKind::Features) => {
                let values = batch_features(batch, dataset)?;
                session.run(ort::inputs![TensorRef::from_array_view((shape, values))?])
            }
            _ => unreachable!("feed chosen from the dataset kind"),
        }
        .map_err(|e| {
            Error::new(
                ErrorKind::Model,
                format!("model {} failed on {}: {}", self.model.display(), self.what, one_line(&e)),
            )
        })?;
        let model = self.model.display();
        let value = outputs.get(self.output_name).context(ErrorKind::Model, || {
            format!("model {model} gave no output `{}`", self.output_name)
        })?;
        let (out_shape, data) = value.try_extract_tensor::<f32>().map_err(|e| {
            Error::new(
                ErrorKind::Model,
                format!("model {model} output `{}`: {}", self.output_name, one_line(&e)),
            )
        })?;
        if out_shape.len() != 2 || out_shape[0] as usize != n {
            fail!(
                Model,
                "model {model} output `{}` has shape {:?} for a batch of {n} rows; expected [{n}, C]",
                self.output_name,
                &out_shape[..]
            );
        }
        let columns = out_shape[1] as usize;
        let scores = if columns == 1 {
            data.iter().flat_map(|&p| [1.0 - p, p]).collect()
        } else {
            data.to_vec()
        };
        Ok(Scored { labels, scores, columns: Some(columns) })
    }
}

impl Classifier {
    /// Runs every row of `reader` through the model, one reader batch per call
    /// (open the reader with the wanted batch size), on all sessions at once.
    pub fn predict(&mut self, reader: DatasetReader) -> Result<Scores> {
        let what = reader.describe();
        let dataset = reader.path().to_path_buf();
        let kind = reader.kind()?;
        let rows = reader.rows();
        let bar = cli::progress::bar(rows as u64, "rows");
        if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
            bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
        }
        let job = Job {
            feed: &self.feed,
            feed_dims: &self.feed_dims,
            output_name: &self.output_name,
            model: &self.path,
            kind,
            dataset: &dataset,
            what: &what,
        };
        let started = Instant::now();
        // Batches wait decoded for a free session: one each, so reading keeps ahead.
        let (to_score, batches) = sync_channel::<(usize, RecordBatch)>(self.sessions.len());
        // Shared by the workers; dropped with the last of them, so a reader blocked on
        // a full channel stops when they do.
        let batches: Arc<Mutex<Receiver<(usize, RecordBatch)>>> = Arc::new(Mutex::new(batches));
        let (to_collect, scored) = channel::<(usize, Result<Scored>)>();
        let mut labels = Vec::with_capacity(rows);
        let mut scores: Vec<f32> = Vec::new();
        let mut columns: Option<usize> = None;
        let collected = std::thread::scope(|scope| -> Result<()> {
            // Owned here: an error returned below drops it, so the workers' sends fail
            // and they stop, and with them the reader.
            let scored = scored;
            let reader_out = to_collect.clone();
            scope.spawn(move || {
                for (i, batch) in reader.enumerate() {
                    let sent = match batch {
                        Ok(b) => to_score.send((i, b)).is_ok(),
                        Err(e) => {
                            let _ = reader_out.send((i, Err(e.into())));
                            false
                        }
                    };
                    if !sent {
                        break;
                    }
                }
            });
            for session in self.sessions.iter_mut() {
                let (batches, to_collect, job) = (Arc::clone(&batches), to_collect.clone(), &job);
                scope.spawn(move || loop {
                    let next = batches.lock().expect("no worker panics holding it").recv();
                    let Ok((i, batch)) = next else { break };
                    if to_collect.send((i, job.score(session, &batch))).is_err() {
                        break;
                    }
                });
            }
            drop((batches, to_collect));
            // Back in row order: batch i is appended once batches 0..i are.
            let mut waiting = BTreeMap::new();
            let mut next = 0;
            while let Ok((i, result)) = scored.recv() {
                waiting.insert(i, result);
                while let Some(result) = waiting.remove(&next) {
                    let batch = result?;
                    match (columns, batch.columns) {
                        (_, None) => {}
                        (None, now) => columns = now,
                        (Some(prev), Some(now)) if prev != now => fail!(
                            Model,
                            "model {} output `{}` changed from {prev} to {now} columns between batches",
                            self.path.display(),
                            self.output_name
                        ),
                        _ => {}
                    }
                    bar.inc(batch.labels.len() as u64);
                    labels.extend(batch.labels);
                    scores.extend(batch.scores);
                    next += 1;
                }
            }
            Ok(())
        });
        collected?;
        bar.finish_and_clear();
        let c = columns.unwrap_or(match self.output_shape.get(1) {
            Some(&d) if d > 0 => d as usize,
            _ => 1,
        });
        let seconds = started.elapsed().as_secs_f64();
        Ok(Scores { labels, scores, classes: if c == 1 { 2 } else { c }, sigmoid: c == 1, seconds })
    }
}

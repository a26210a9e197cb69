//! A training run that survives `kill -9`: at the end of every epoch the whole state
//! of the loop (weights, optimizer slots and step, both random streams' positions,
//! the row order, the history so far, early stopping's state) is written atomically
//! beside the output directory (`.OUT.checkpoint`). Run again with the same inputs,
//! `train` continues after the last complete epoch, and because every piece of state
//! is restored bit for bit, the final `model.onnx`, `history.parquet` and
//! `summary.json` equal an uninterrupted run's, byte for byte (the recorded wall-clock
//! seconds aside: they are the time really spent).
//!
//! A checkpoint belongs to one set of inputs: its header holds a fingerprint of the
//! spec, the training and validation rows and the `--init-from` weights, and a
//! checkpoint of other inputs is ignored (and replaced). It is removed once the run's
//! outputs are committed.
//!
//! File layout (little-endian): `LABCKPT1`, the fingerprint (u64), then the fields of
//! [`TrainingState`] in declaration order; a float vector is its length (u64) and its
//! values; an option is a 0/1 byte and the value.

use std::path::{Path, PathBuf};

use formats::{EpochRecord, History};

use crate::early_stopping::{StopperState, Stopping};
use crate::error::{Context, ErrorKind, Result};

const MAGIC: &[u8; 8] = b"LABCKPT1";

/// Everything the training loop needs to continue after an epoch.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TrainingState {
    /// Epochs completed (1-based count).
    pub epochs_done: usize,
    /// The loop has ended (last epoch, or early stopping decided to stop).
    pub finished: bool,
    pub weights: Vec<Vec<f32>>,
    pub optimizer_step: u64,
    pub optimizer_slots: Vec<[Vec<f32>; 2]>,
    /// Word positions of the shuffle and dropout streams (their seeds are the run's).
    pub shuffle_position: u128,
    pub dropout_position: u128,
    /// The row order after the last shuffle (each epoch shuffles the previous order).
    pub order: Vec<usize>,
    pub history: History,
    pub stopper: Option<StopperState>,
    pub stopping: Stopping,
    /// Seconds the fit has taken so far, in the runs before this one.
    pub fit_seconds: f64,
}

/// Where a run's checkpoint lives and which inputs it belongs to.
pub(crate) struct Checkpoint {
    path: PathBuf,
    fingerprint: u64,
}

impl Checkpoint {
    /// The checkpoint of the run writing `out_dir` with inputs hashed to `fingerprint`.
    pub fn for_output(out_dir: &Path, fingerprint: u64) -> Result<Self> {
        let path = formats::atomic::hidden_sibling(out_dir, "checkpoint")?;
        Ok(Self { path, fingerprint })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The saved state, if there is one for these inputs; `None` for none, another
    /// run's or an unreadable one (training starts afresh and replaces it).
    pub fn load(&self) -> Option<TrainingState> {
        let bytes = std::fs::read(&self.path).ok()?;
        let mut r = Reader { bytes: &bytes, at: 0 };
        if r.take(8)? != MAGIC || r.u64()? != self.fingerprint {
            return None;
        }
        let state = r.state()?;
        (r.at == bytes.len()).then_some(state)
    }

    /// Replaces the saved state atomically.
    pub fn save(&self, state: &TrainingState) -> Result<()> {
        let mut w = Writer(Vec::new());
        w.0.extend_from_slice(MAGIC);
        w.u64(self.fingerprint);
        w.state(state);
        formats::atomic::write_bytes(&self.path, &w.0).context(ErrorKind::Output, || {
            format!("cannot write the checkpoint {}", self.path.display())
        })
    }

    /// Removes it once the outputs are committed.
    pub fn remove(&self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

struct Writer(Vec<u8>);

impl Writer {
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn f64(&mut self, v: f64) {
        self.u64(v.to_bits());
    }
    fn flag(&mut self, b: bool) {
        self.0.push(b as u8);
    }
    fn opt_f64(&mut self, v: Option<f64>) {
        self.flag(v.is_some());
        if let Some(v) = v {
            self.f64(v);
        }
    }
    fn opt_usize(&mut self, v: Option<usize>) {
        self.flag(v.is_some());
        if let Some(v) = v {
            self.u64(v as u64);
        }
    }
    fn floats(&mut self, v: &[f32]) {
        self.u64(v.len() as u64);
        self.0.reserve(v.len() * 4);
        v.iter().for_each(|x| self.0.extend_from_slice(&x.to_le_bytes()));
    }
    fn tensors(&mut self, t: &[Vec<f32>]) {
        self.u64(t.len() as u64);
        t.iter().for_each(|v| self.floats(v));
    }
    fn state(&mut self, s: &TrainingState) {
        self.u64(s.epochs_done as u64);
        self.flag(s.finished);
        self.tensors(&s.weights);
        self.u64(s.optimizer_step);
        self.u64(s.optimizer_slots.len() as u64);
        for [a, b] in &s.optimizer_slots {
            self.floats(a);
            self.floats(b);
        }
        self.0.extend_from_slice(&s.shuffle_position.to_le_bytes());
        self.0.extend_from_slice(&s.dropout_position.to_le_bytes());
        self.u64(s.order.len() as u64);
        s.order.iter().for_each(|&i| self.u64(i as u64));
        self.u64(s.history.epochs.len() as u64);
        for r in &s.history.epochs {
            self.u64(r.epoch as u64);
            self.f64(r.loss);
            self.f64(r.accuracy);
            self.opt_f64(r.val_loss);
            self.opt_f64(r.val_accuracy);
            self.opt_f64(r.seconds);
        }
        self.flag(s.stopper.is_some());
        if let Some(st) = &s.stopper {
            self.f64(st.best);
            self.opt_usize(st.best_epoch);
            self.flag(st.best_weights.is_some());
            if let Some(w) = &st.best_weights {
                self.tensors(w);
            }
            self.u64(st.wait as u64);
        }
        self.opt_usize(s.stopping.best_epoch);
        self.opt_usize(s.stopping.stopped_epoch);
        self.flag(s.stopping.restored_best);
        self.f64(s.fit_seconds);
    }
}

/// Reads what [`Writer`] wrote; `None` on any truncation or bad value.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let end = self.at.checked_add(n)?;
        let s = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(s)
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn u128(&mut self) -> Option<u128> {
        Some(u128::from_le_bytes(self.take(16)?.try_into().ok()?))
    }
    fn usize(&mut self) -> Option<usize> {
        usize::try_from(self.u64()?).ok()
    }
    /// A count of items of at least `item_bytes` each, checked against what is left.
    fn count(&mut self, item_bytes: usize) -> Option<usize> {
        let n = self.usize()?;
        (n.checked_mul(item_bytes)? <= self.bytes.len() - self.at).then_some(n)
    }
    fn f64(&mut self) -> Option<f64> {
        Some(f64::from_bits(self.u64()?))
    }
    fn flag(&mut self) -> Option<bool> {
        match self.take(1)?[0] {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }
    fn opt_f64(&mut self) -> Option<Option<f64>> {
        Some(if self.flag()? { Some(self.f64()?) } else { None })
    }
    fn opt_usize(&mut self) -> Option<Option<usize>> {
        Some(if self.flag()? { Some(self.usize()?) } else { None })
    }
    fn floats(&mut self) -> Option<Vec<f32>> {
        let n = self.count(4)?;
        let raw = self.take(n * 4)?;
        Some(raw.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().expect("4"))).collect())
    }
    fn tensors(&mut self) -> Option<Vec<Vec<f32>>> {
        let n = self.count(8)?;
        (0..n).map(|_| self.floats()).collect()
    }
    fn state(&mut self) -> Option<TrainingState> {
        let epochs_done = self.usize()?;
        let finished = self.flag()?;
        let weights = self.tensors()?;
        let optimizer_step = self.u64()?;
        let slots = self.count(16)?;
        let optimizer_slots =
            (0..slots).map(|_| Some([self.floats()?, self.floats()?])).collect::<Option<_>>()?;
        let shuffle_position = self.u128()?;
        let dropout_position = self.u128()?;
        let rows = self.count(8)?;
        let order = (0..rows).map(|_| self.usize()).collect::<Option<_>>()?;
        let records = self.count(8)?;
        let epochs = (0..records)
            .map(|_| {
                Some(EpochRecord {
                    epoch: self.usize()?,
                    loss: self.f64()?,
                    accuracy: self.f64()?,
                    val_loss: self.opt_f64()?,
                    val_accuracy: self.opt_f64()?,
                    seconds: self.opt_f64()?,
                })
            })
            .collect::<Option<_>>()?;
        let stopper = if self.flag()? {
            Some(StopperState {
                best: self.f64()?,
                best_epoch: self.opt_usize()?,
                best_weights: if self.flag()? { Some(self.tensors()?) } else { None },
                wait: self.usize()?,
            })
        } else {
            None
        };
        let stopping = Stopping {
            best_epoch: self.opt_usize()?,
            stopped_epoch: self.opt_usize()?,
            restored_best: self.flag()?,
        };
        Some(TrainingState {
            epochs_done,
            finished,
            weights,
            optimizer_step,
            optimizer_slots,
            shuffle_position,
            dropout_position,
            order,
            history: History { epochs },
            stopper,
            stopping,
            fit_seconds: self.f64()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> TrainingState {
        TrainingState {
            epochs_done: 2,
            finished: false,
            weights: vec![vec![1.0, -0.0, f32::MIN_POSITIVE], vec![]],
            optimizer_step: 14,
            optimizer_slots: vec![[vec![0.5; 3], vec![]], [vec![], vec![]]],
            shuffle_position: u128::MAX - 3,
            dropout_position: 77,
            order: vec![3, 1, 2, 0],
            history: History {
                epochs: vec![EpochRecord {
                    epoch: 1,
                    loss: 0.1,
                    accuracy: 0.9,
                    val_loss: None,
                    val_accuracy: Some(0.5),
                    seconds: Some(1.25),
                }],
            },
            stopper: Some(StopperState {
                best: f64::INFINITY,
                best_epoch: Some(1),
                best_weights: Some(vec![vec![2.0]]),
                wait: 1,
            }),
            stopping: Stopping { best_epoch: Some(1), stopped_epoch: None, restored_best: false },
            fit_seconds: 3.5,
        }
    }

    #[test]
    fn a_state_reads_back_bit_for_bit_and_only_for_its_inputs() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("run");
        let ours = Checkpoint::for_output(&out, 7).unwrap();
        assert_eq!(ours.path(), dir.path().join(".run.checkpoint"));
        assert_eq!(ours.load(), None);
        ours.save(&state()).unwrap();
        assert_eq!(ours.load(), Some(state()));
        assert_eq!(Checkpoint::for_output(&out, 8).unwrap().load(), None, "other inputs");
        // Every truncation is refused, never misread.
        let bytes = std::fs::read(ours.path()).unwrap();
        for cut in 0..bytes.len() {
            std::fs::write(ours.path(), &bytes[..cut]).unwrap();
            assert_eq!(ours.load(), None, "cut at {cut}");
        }
        ours.remove();
        assert!(!ours.path().exists());
    }
}

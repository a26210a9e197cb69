//! The training loop, as Keras's `fit`: shuffle every epoch, mini-batches, the
//! optimizer step per batch, epoch loss/accuracy averaged over the epoch's batches
//! (each batch's loss weighted by its size, i.e. Σᵢ wᵢℓᵢ / N over the epoch, computed
//! on the fly with dropout active, like Keras's running metrics), then a validation
//! pass and early stopping.

use std::time::Instant;

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::checkpoint::{Checkpoint, TrainingState};
use crate::data::Samples;
use crate::early_stopping::{Stopper, Stopping};
use crate::engine::tensor::Tensor;
use crate::error::{fail, Result};
use crate::layers::Ctx;
use crate::loss::{Loss, LossFn};
use crate::model::Model;
use crate::optim::{Optimizer, OptimizerSpec};
use crate::spec::EarlyStopping;

pub use formats::{EpochRecord, History};

pub struct FitOptions {
    pub epochs: usize,
    pub batch_size: usize,
    pub seed: u64,
    pub loss: Loss,
    pub optimizer: OptimizerSpec,
    /// Weight per class index (1.0 without class weights).
    pub class_weights: Vec<f32>,
    pub early_stopping: Option<EarlyStopping>,
    /// Shuffle the rows before every epoch (Keras's default); off keeps their order.
    pub shuffle: bool,
    /// Print a progress bar and one line per epoch on stderr, like Keras's `verbose=1`.
    pub verbose: bool,
    /// Put before every line printed: `[RUN] ` when stderr is a log or a pipe, where
    /// trainings run side by side (`make -j2`) interleave their lines; empty on a terminal.
    pub line_prefix: String,
}

/// Stream seeds derived from the run seed, one per use, so e.g. adding dropout
/// does not change the shuffling order.
const SHUFFLE_STREAM: u64 = 0x5348_5546;
const DROPOUT_STREAM: u64 = 0x4452_4f50;

/// Mean loss (unweighted) and accuracy of `model` on `data`, by batches.
pub fn evaluate(model: &mut Model, data: &Samples, loss: Loss, batch_size: usize) -> (f64, f64) {
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let (mut sum, mut correct) = (0.0f64, 0usize);
    let idx: Vec<usize> = (0..data.len()).collect();
    for chunk in idx.chunks(batch_size) {
        let logits =
            model.forward(data.batch(chunk), &mut Ctx { training: false, rng: &mut rng }, false);
        let labels: Vec<usize> = chunk.iter().map(|&i| data.labels[i]).collect();
        let b = loss.evaluate(&logits.data, logits.last_dim(), &labels, &vec![1.0; chunk.len()]);
        sum += b.weighted_sum;
        correct += b.correct;
    }
    (sum / data.len() as f64, correct as f64 / data.len() as f64)
}

/// What a fit returns: the history and what early stopping did.
pub struct Fitted {
    pub history: History,
    pub stopping: Stopping,
}

/// Seconds since `start`, or 0 with `LAB_ZERO_TIMES` set: a test hook that makes two
/// runs' outputs comparable byte for byte (wall-clock time is the one thing that differs).
pub(crate) fn seconds_since(start: Instant) -> f64 {
    if std::env::var_os("LAB_ZERO_TIMES").is_some() {
        0.0
    } else {
        start.elapsed().as_secs_f64()
    }
}

/// Trains `model` in place and returns its history and what early stopping did.
/// With `checkpoint`, the loop's whole state is saved after every epoch; `resume`
/// (a state saved by an earlier run of the same inputs) continues after its epoch.
pub fn fit(
    model: &mut Model,
    train: &Samples,
    val: Option<&Samples>,
    opts: &FitOptions,
    checkpoint: Option<&Checkpoint>,
    resume: Option<TrainingState>,
) -> Result<Fitted> {
    let started = Instant::now();
    let mut optimizer = Optimizer::new(opts.optimizer.clone());
    let mut shuffle_rng = ChaCha8Rng::seed_from_u64(opts.seed ^ SHUFFLE_STREAM);
    let mut dropout_rng = ChaCha8Rng::seed_from_u64(opts.seed ^ DROPOUT_STREAM);
    let mut history = History::default();
    let mut stopping = Stopping::default();
    let mut order: Vec<usize> = (0..train.len()).collect();
    let mut stopper = opts.early_stopping.as_ref().map(Stopper::new);
    let (mut first_epoch, mut finished, mut seconds_before) = (1, false, 0.0);
    if let Some(state) = resume {
        model.set_weights(&state.weights);
        optimizer.restore(state.optimizer_step, state.optimizer_slots);
        shuffle_rng.set_word_pos(state.shuffle_position);
        dropout_rng.set_word_pos(state.dropout_position);
        order = state.order;
        history = state.history;
        stopping = state.stopping;
        if let (Some(s), Some(saved)) = (&mut stopper, state.stopper) {
            s.restore(saved);
        }
        (first_epoch, finished, seconds_before) =
            (state.epochs_done + 1, state.finished, state.fit_seconds);
    }
    for epoch in first_epoch..=opts.epochs {
        if finished {
            break;
        }
        let start = Instant::now();
        if opts.shuffle {
            order.shuffle(&mut shuffle_rng);
        }
        let bar = if opts.verbose {
            cli::progress::bar(train.len() as u64, "samples")
        } else {
            indicatif::ProgressBar::hidden()
        };
        bar.set_prefix(format!("Epoch {epoch}/{}", opts.epochs));
        let (mut loss_sum, mut correct, mut seen) = (0.0f64, 0usize, 0usize);
        for (batch, chunk) in order.chunks(opts.batch_size).enumerate() {
            let t = Instant::now();
            let x = train.batch(chunk);
            let labels: Vec<usize> = chunk.iter().map(|&i| train.labels[i]).collect();
            let weights: Vec<f32> = labels.iter().map(|&l| opts.class_weights[l]).collect();
            model.loop_clock.batches_s += t.elapsed().as_secs_f64();
            let logits =
                model.forward(x, &mut Ctx { training: true, rng: &mut dropout_rng }, false);
            let t = Instant::now();
            let b = opts.loss.evaluate(&logits.data, logits.last_dim(), &labels, &weights);
            model.loop_clock.loss_s += t.elapsed().as_secs_f64();
            if !b.weighted_sum.is_finite() {
                // Keras's TerminateOnNaN, as an error: the previous outputs stay.
                fail!(
                    Diverged,
                    "the training loss became {} at epoch {epoch}, batch {} of {}; try a lower learning rate (nothing was written)",
                    b.weighted_sum,
                    batch + 1,
                    train.len().div_ceil(opts.batch_size)
                );
            }
            model.backward(Tensor::new(logits.shape, b.grad), false);
            let t = Instant::now();
            optimizer.apply(model.params_and_grads());
            model.loop_clock.optimizer_s += t.elapsed().as_secs_f64();
            loss_sum += b.weighted_sum;
            correct += b.correct;
            seen += chunk.len();
            bar.inc(chunk.len() as u64);
            bar.set_message(format!(
                "loss: {:.4} - accuracy: {:.4}",
                loss_sum / seen as f64,
                correct as f64 / seen as f64
            ));
        }
        if let Some((layer, tensor, value)) = model.first_non_finite_weight() {
            fail!(Diverged, "weight tensor {tensor} of layer {layer} became {value} at epoch {epoch}; try a lower learning rate (nothing was written)");
        }
        let (val_loss, val_accuracy) = match val {
            Some(v) => {
                let (l, a) = evaluate(model, v, opts.loss, opts.batch_size);
                if !l.is_finite() {
                    fail!(
                        Diverged,
                        "the validation loss is {l} after epoch {epoch} (nothing was written)"
                    );
                }
                (Some(l), Some(a))
            }
            None => (None, None),
        };
        bar.finish_and_clear();
        let record = EpochRecord {
            epoch,
            loss: loss_sum / seen as f64,
            accuracy: correct as f64 / seen as f64,
            val_loss,
            val_accuracy,
            seconds: Some(seconds_since(start)),
        };
        if opts.verbose {
            let mut line = format!(
                "Epoch {epoch}/{} - {:.2}s - loss: {:.4} - accuracy: {:.4}",
                opts.epochs,
                record.seconds.unwrap_or(0.0),
                record.loss,
                record.accuracy
            );
            if let (Some(l), Some(a)) = (val_loss, val_accuracy) {
                line += &format!(" - val_loss: {l:.4} - val_accuracy: {a:.4}");
            }
            eprintln!("{}{line}", opts.line_prefix);
        }
        history.epochs.push(record.clone());
        if let Some(s) = &mut stopper {
            let stop = s.update(&record, model, epoch);
            stopping.best_epoch = s.best_epoch();
            if stop {
                stopping.stopped_epoch = Some(epoch);
                if opts.verbose {
                    eprintln!("{}Epoch {epoch}: early stopping", opts.line_prefix);
                }
                finished = true;
            }
        }
        if let Some(c) = checkpoint {
            c.save(&TrainingState {
                epochs_done: epoch,
                finished: finished || epoch == opts.epochs,
                weights: model.weights(),
                optimizer_step: optimizer.step(),
                optimizer_slots: optimizer.slots().to_vec(),
                shuffle_position: shuffle_rng.get_word_pos(),
                dropout_position: dropout_rng.get_word_pos(),
                order: order.clone(),
                history: history.clone(),
                stopper: stopper.as_ref().map(Stopper::state),
                stopping: stopping.clone(),
                fit_seconds: seconds_before + seconds_since(started),
            })?;
        }
    }
    // Keras 3 (`EarlyStopping.on_train_end`) restores the best weights at the end of
    // training whether or not it stopped early.
    if let Some(s) = &stopper {
        if let Some(w) = s.weights_to_restore() {
            model.set_weights(w);
            stopping.restored_best = true;
            if opts.verbose {
                eprintln!(
                    "{}Restoring model weights from the end of the best epoch: {}.",
                    opts.line_prefix,
                    s.best_epoch().unwrap_or(0)
                );
            }
        }
    }
    Ok(Fitted { history, stopping })
}

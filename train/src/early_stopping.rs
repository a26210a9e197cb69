//! Keras's `EarlyStopping` callback: its running state, what it decided, and the
//! weights it puts back.

use formats::EpochRecord;

use crate::model::Model;
use crate::spec::EarlyStopping;

/// What early stopping decided; all empty without `early_stopping`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stopping {
    /// 1-based epoch with the best monitored value.
    pub best_epoch: Option<usize>,
    /// The epoch after which training stopped early.
    pub stopped_epoch: Option<usize>,
    /// Whether the best epoch's weights were put back.
    pub restored_best: bool,
}

/// Early stopping's running state.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StopperState {
    pub best: f64,
    pub best_epoch: Option<usize>,
    pub best_weights: Option<Vec<Vec<f32>>>,
    pub wait: usize,
}

/// Keras's `EarlyStopping` callback (mode `auto`: maximise accuracies, minimise losses).
pub(crate) struct Stopper {
    spec: EarlyStopping,
    best: f64,
    best_epoch: Option<usize>,
    best_weights: Option<Vec<Vec<f32>>>,
    wait: usize,
}

impl Stopper {
    pub(crate) fn new(spec: &EarlyStopping) -> Self {
        let maximise = spec.monitor.contains("acc");
        Stopper {
            spec: spec.clone(),
            best: if maximise { f64::NEG_INFINITY } else { f64::INFINITY },
            best_epoch: None,
            best_weights: None,
            wait: 0,
        }
    }

    pub(crate) fn state(&self) -> StopperState {
        StopperState {
            best: self.best,
            best_epoch: self.best_epoch,
            best_weights: self.best_weights.clone(),
            wait: self.wait,
        }
    }

    pub(crate) fn restore(&mut self, s: StopperState) {
        (self.best, self.best_epoch, self.best_weights, self.wait) =
            (s.best, s.best_epoch, s.best_weights, s.wait);
    }

    /// Returns true when training should stop after this epoch.
    pub(crate) fn update(&mut self, r: &EpochRecord, model: &Model, epoch: usize) -> bool {
        let current = match self.spec.monitor.as_str() {
            "loss" => Some(r.loss),
            "accuracy" => Some(r.accuracy),
            "val_loss" => r.val_loss,
            _ => r.val_accuracy,
        };
        let Some(current) = current else { return false };
        let maximise = self.spec.monitor.contains("acc");
        if self.spec.restore_best_weights && self.best_weights.is_none() {
            // As Keras: until something improves, the first epoch's weights are the best.
            self.best_weights = Some(model.weights());
            self.best_epoch = Some(epoch);
        }
        self.wait += 1;
        let better = if maximise {
            current - self.spec.min_delta > self.best
        } else {
            current + self.spec.min_delta < self.best
        };
        if better {
            self.best = current;
            self.best_epoch = Some(epoch);
            if self.spec.restore_best_weights {
                self.best_weights = Some(model.weights());
            }
            self.wait = 0;
            return false;
        }
        self.wait >= self.spec.patience && epoch > 1
    }

    /// The best epoch so far (1-based).
    pub(crate) fn best_epoch(&self) -> Option<usize> {
        self.best_epoch
    }

    /// The best epoch's weights, when the spec asks to restore them.
    pub(crate) fn weights_to_restore(&self) -> Option<&[Vec<f32>]> {
        self.best_weights.as_deref().filter(|_| self.spec.restore_best_weights)
    }
}

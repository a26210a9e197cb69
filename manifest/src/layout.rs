//! Every stage output's path, in one place: `OUT/data/NAME/SPLIT.parquet`,
//! `OUT/features/…`, `OUT/runs/RUN/{model,eval}`, `OUT/specs`.

use std::path::PathBuf;

use super::{Dataset, DatasetSource, Experiment, FeatureSet, Manifest, Run, RunInput};

impl Manifest {
    /// The dataset named `name`, if declared.
    pub fn dataset(&self, name: &str) -> Option<&Dataset> {
        self.datasets.iter().find(|d| d.name == name)
    }
    /// The feature set named `name` (declared or derived), if any.
    pub fn feature_set(&self, name: &str) -> Option<&FeatureSet> {
        self.feature_sets.iter().find(|f| f.name == name)
    }
    /// The run named `name`, if any.
    pub fn run(&self, name: &str) -> Option<&Run> {
        self.runs.iter().find(|r| r.name == name)
    }
    /// The experiment (model or baseline) named `name`, if any.
    pub fn experiment(&self, name: &str) -> Option<&Experiment> {
        self.experiments.iter().find(|e| e.name == name)
    }

    /// `OUT/data/NAME/SPLIT.parquet`, or the file a `parquet` dataset names.
    pub fn dataset_split_path(&self, dataset: &str, split: &str) -> PathBuf {
        if let Some(Dataset { source: DatasetSource::Parquet { splits }, .. }) =
            self.dataset(dataset)
        {
            if let Some((_, p)) = splits.iter().find(|(s, _)| s == split) {
                return p.clone();
            }
        }
        self.settings.out.join("data").join(dataset).join(format!("{split}.parquet"))
    }
    /// `OUT/data/NAME` for a `synth-xray` dataset (a directory of JPEGs).
    pub fn synthetic_dir(&self, dataset: &str) -> PathBuf {
        self.settings.out.join("data").join(dataset)
    }
    /// `OUT/features/NAME/SPLIT.parquet`.
    pub fn feature_split_path(&self, feature_set: &str, split: &str) -> PathBuf {
        self.settings.out.join("features").join(feature_set).join(format!("{split}.parquet"))
    }
    /// The dataset path a run reads for `split`.
    pub fn run_input_path(&self, run: &Run, split: &str) -> PathBuf {
        match &run.input {
            RunInput::Dataset(d) => self.dataset_split_path(d, split),
            RunInput::Features(f) => self.feature_split_path(f, split),
        }
    }
    /// The dataset a run's input comes from (through its feature set).
    pub fn run_dataset(&self, run: &Run) -> &Dataset {
        let name = match &run.input {
            RunInput::Dataset(d) => d,
            RunInput::Features(f) => &self.feature_set(f).expect("checked at parse").from,
        };
        self.dataset(name).expect("checked at parse")
    }
    /// `OUT/runs/RUN/model` (`train --out`).
    pub fn run_model_dir(&self, run: &str) -> PathBuf {
        self.settings.out.join("runs").join(run).join("model")
    }
    /// `OUT/runs/RUN/eval` (`evaluate --out`).
    pub fn run_eval_dir(&self, run: &str) -> PathBuf {
        self.settings.out.join("runs").join(run).join("eval")
    }
    /// Where a HOG feature set's pictures go: `OUT/features/SET/pictures/hog-00000.png` ….
    pub fn hog_pictures_dir(&self, feature_set: &str) -> PathBuf {
        self.feature_split_path(feature_set, "train").with_file_name("pictures")
    }
    /// The split whose first images a HOG feature set draws: the first of its dataset.
    pub fn hog_pictures_split(&self, f: &FeatureSet) -> Option<String> {
        self.dataset(&f.from)?.splits().into_iter().next()
    }
    /// `OUT/specs` (per-stage parameter files, rewritten only when they change).
    pub fn specs_dir(&self) -> PathBuf {
        self.settings.out.join("specs")
    }
}

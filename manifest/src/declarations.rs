//! The declarations a run is made of: `[datasets.X]`, `[features.X]`, and a run's
//! input (`data` or `features`) with the splits it needs.

use std::path::PathBuf;

use params::{HogParams, ParamError};
use toml::Table;

use super::parse::{check_name_chars, join_path, Locator};
use super::schema::{DatasetKind, DatasetTable, FeatureMethodName, FeatureTable};
use super::{
    CommandDatasetTable, Dataset, DatasetSource, FeatureMethod, FeatureSet, FolderRoot,
    FoldersTable, IdxTable, Result, Run, RunInput, StageCommand, SynthTable,
};

impl Locator {
    /// `[datasets.NAME]`: the kind's keys read by the kind's table type, then checked
    /// with the `ingest` stage's own checks.
    pub(super) fn dataset(&self, path: &str, name: &str, t: DatasetTable) -> Result<Dataset> {
        let refused = |e: ParamError| self.refused(path, e);
        fn read<T: serde::de::DeserializeOwned>(table: Table) -> Result<T, ParamError> {
            params::from_table(table)
        }
        let source = match t.kind {
            DatasetKind::Idx => {
                let idx: IdxTable = read(t.keys).map_err(refused)?;
                idx.check().map_err(refused)?;
                DatasetSource::Idx(idx)
            }
            DatasetKind::SynthXray => {
                let synth: SynthTable = read(t.keys).map_err(refused)?;
                synth.check().map_err(refused)?;
                DatasetSource::SynthXray(synth)
            }
            DatasetKind::Folders => {
                let f: FoldersTable = read(t.keys).map_err(refused)?;
                f.check().map_err(refused)?;
                for s in &f.splits {
                    check_name_chars(s).map_err(|m| self.err(&format!("{path}.splits"), &m))?;
                }
                let root = match (f.root, f.from) {
                    (Some(r), _) => FolderRoot::Path(r),
                    (None, Some(from)) => FolderRoot::Synthetic(from),
                    (None, None) => unreachable!("checked: exactly one of root and from"),
                };
                DatasetSource::Folders {
                    root,
                    splits: f.splits,
                    size: f.size,
                    channels: f.channels,
                    skip_bad: f.skip_bad,
                }
            }
            DatasetKind::Command => {
                let t: CommandDatasetTable = read(t.keys).map_err(refused)?;
                let command = StageCommand { command: t.command, inputs: t.inputs };
                command.check(false).map_err(refused)?;
                if t.splits.is_empty() {
                    return Err(self.err(
                        &format!("{path}.splits"),
                        "expected a non-empty list of split names",
                    ));
                }
                for s in &t.splits {
                    check_name_chars(s).map_err(|m| self.err(&format!("{path}.splits"), &m))?;
                }
                DatasetSource::Command { command, splits: t.splits }
            }
            DatasetKind::Parquet => {
                // Every key is a split, naming its file or part directory.
                let files: std::collections::BTreeMap<String, PathBuf> =
                    read(t.keys).map_err(|e| {
                        let at = join_path(path, &e.key);
                        self.err(&at, "expected the path of a dataset file or directory")
                    })?;
                for split in files.keys() {
                    check_name_chars(split).map_err(|m| self.err(&join_path(path, split), &m))?;
                }
                DatasetSource::Parquet { splits: self.in_file_order(path, files) }
            }
        };
        Ok(Dataset {
            name: name.to_string(),
            line: self.line(path),
            source,
            synthetic: t.kind == DatasetKind::SynthXray,
        })
    }

    /// `[features.NAME]` (or a set derived by a variant): the method's parameters read by
    /// the method's type, and its dataset, which must have splits.
    pub(super) fn feature_set(
        &self,
        path: &str,
        name: &str,
        t: FeatureTable,
        datasets: &[Dataset],
    ) -> Result<FeatureSet> {
        let method = match t.method {
            FeatureMethodName::Pixels => {
                if let Some(key) = t.params.keys().min_by_key(|k| self.line(&join_path(path, k))) {
                    return Err(self.err(
                        &join_path(path, key),
                        &format!(
                            "unknown field `{key}`, expected `method`, `from` or `compression`"
                        ),
                    ));
                }
                FeatureMethod::Pixels
            }
            FeatureMethodName::Hog => FeatureMethod::Hog(
                HogParams::from_table(t.params).map_err(|e| self.refused(path, e))?,
            ),
            FeatureMethodName::Command => {
                if t.compression.is_some() {
                    return Err(self.err(
                        &format!("{path}.compression"),
                        "a command feature set writes its files itself: `compression` is for `pixels` and `hog`",
                    ));
                }
                let c: StageCommand =
                    params::from_table(t.params).map_err(|e| self.refused(path, e))?;
                c.check(true).map_err(|e| self.refused(path, e))?;
                FeatureMethod::Command(c)
            }
        };
        let from = t.from;
        let ds = datasets.iter().find(|d| d.name == from).ok_or_else(|| {
            self.dangling(
                &format!("{path}.from"),
                &from,
                "dataset",
                datasets.iter().map(|d| d.name.as_str()),
            )
        })?;
        if ds.splits().is_empty() {
            return Err(self.err(&format!("{path}.from"), &format!("dataset `{from}` has no splits (a synth-xray dataset is read through a folders dataset)")));
        }
        Ok(FeatureSet {
            name: name.to_string(),
            line: self.line(path),
            from,
            method,
            compression: t.compression.unwrap_or_default(),
            derived_from: None,
            synthetic: ds.synthetic,
        })
    }

    /// `data = "DATASET"` or `features = "FEATURE_SET"` (exactly one).
    pub(super) fn run_input(
        &self,
        path: &str,
        data: Option<String>,
        features: Option<String>,
        datasets: &[Dataset],
        feature_sets: &[FeatureSet],
    ) -> Result<RunInput> {
        match (data, features) {
            (Some(d), None) => {
                let ds = datasets.iter().find(|x| x.name == d).ok_or_else(|| {
                    self.dangling(
                        &format!("{path}.data"),
                        &d,
                        "dataset",
                        datasets.iter().map(|x| x.name.as_str()),
                    )
                })?;
                if ds.splits().is_empty() {
                    return Err(self.err(&format!("{path}.data"), &format!("dataset `{d}` has no splits (a synth-xray dataset is read through a folders dataset)")));
                }
                Ok(RunInput::Dataset(d))
            }
            (None, Some(f)) => {
                if !feature_sets.iter().any(|x| x.name == f) {
                    return Err(self.dangling(
                        &format!("{path}.features"),
                        &f,
                        "feature set",
                        feature_sets.iter().map(|x| x.name.as_str()),
                    ));
                }
                Ok(RunInput::Features(f))
            }
            _ => Err(self
                .err(path, "give exactly one of `data` (a dataset) or `features` (a feature set)")),
        }
    }

    /// The run's dataset has `train` and the evaluated split.
    pub(super) fn check_run_splits(
        &self,
        path: &str,
        run: &Run,
        datasets: &[Dataset],
        features: &[FeatureSet],
    ) -> Result<()> {
        let ds_name = match &run.input {
            RunInput::Dataset(d) => d.clone(),
            RunInput::Features(f) => features.iter().find(|x| &x.name == f).unwrap().from.clone(),
        };
        let splits = datasets.iter().find(|d| d.name == ds_name).unwrap().splits();
        for need in ["train", run.evaluation.split.as_str()] {
            if !splits.iter().any(|s| s == need) {
                return Err(self.err(
                    path,
                    &format!(
                        "dataset `{ds_name}` has no `{need}` split (it has: {})",
                        splits.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }
}

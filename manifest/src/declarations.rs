//! The declarations a run is made of: `[datasets.X]`, `[features.X]`, and a run's
//! input (`data` or `features`) with the splits it needs.

use std::path::PathBuf;

use params::{HogParams, ParamError};
use toml::Table;

use super::parse::{check_name_chars, join_path, Cx};
use super::{
    Dataset, DatasetSource, FeatureMethod, FeatureSet, FolderRoot, FoldersTable, IdxTable, Result,
    Run, RunInput, SynthTable,
};

impl Cx {
    pub(super) fn dataset(&self, path: &str, name: &str, t: &Table) -> Result<Dataset> {
        let kind = self.req_str(path, t, "kind")?;
        let mut table = t.clone();
        table.remove("kind");
        // Serde reads the table; the stage's checks follow; both name the key.
        fn read<T: serde::de::DeserializeOwned>(table: Table) -> Result<T, ParamError> {
            params::from_table(table)
        }
        let refused = |e: ParamError| self.param_err(path, e);
        let source = match kind.as_str() {
            "idx" => {
                let idx: IdxTable = read(table).map_err(refused)?;
                idx.check().map_err(refused)?;
                DatasetSource::Idx(idx)
            }
            "synth-xray" => {
                let synth: SynthTable = read(table).map_err(refused)?;
                synth.check().map_err(refused)?;
                DatasetSource::SynthXray(synth)
            }
            "folders" => {
                let f: FoldersTable = read(table).map_err(refused)?;
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
            "parquet" => {
                let mut splits = Vec::new();
                for (k, v) in t {
                    if k == "kind" {
                        continue;
                    }
                    check_name_chars(k).map_err(|m| self.err(&join_path(path, k), &m))?;
                    let p = v.as_str().ok_or_else(|| {
                        self.err(
                            &join_path(path, k),
                            "expected the path of a dataset file or directory",
                        )
                    })?;
                    splits.push((k.clone(), PathBuf::from(p)));
                }
                splits.sort_by_key(|(k, _)| self.line(&join_path(path, k)));
                DatasetSource::Parquet { splits }
            }
            other => {
                return Err(self.err(
                    &format!("{path}.kind"),
                    &format!(
                    "unknown dataset kind `{other}` (expected idx, synth-xray, folders or parquet)"
                ),
                ))
            }
        };
        Ok(Dataset {
            name: name.to_string(),
            line: self.line(path),
            source,
            synthetic: matches!(kind.as_str(), "synth-xray"),
        })
    }

    pub(super) fn feature_set(
        &self,
        path: &str,
        name: &str,
        t: &Table,
        datasets: &[Dataset],
    ) -> Result<FeatureSet> {
        let method = self.req_str(path, t, "method")?;
        let method = match method.as_str() {
            "pixels" => {
                self.check_keys(path, t, &["method", "from"])?;
                FeatureMethod::Pixels
            }
            "hog" => {
                // Everything but `method` and `from` is `features hog`'s, checked by its type.
                let mut params = t.clone();
                params.remove("method");
                params.remove("from");
                FeatureMethod::Hog(
                    HogParams::from_table(params).map_err(|e| self.param_err(path, e))?,
                )
            }
            other => {
                return Err(self.err(
                    &format!("{path}.method"),
                    &format!("unknown feature method `{other}` (expected hog or pixels)"),
                ))
            }
        };
        let from = self.req_str(path, t, "from")?;
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
            derived_from: None,
            synthetic: ds.synthetic,
        })
    }

    /// `data = "DATASET"` or `features = "FEATURE_SET"` (exactly one).
    pub(super) fn run_input(
        &self,
        path: &str,
        t: &Table,
        datasets: &[Dataset],
        features: &[FeatureSet],
    ) -> Result<RunInput> {
        match (self.opt_str(path, t, "data")?, self.opt_str(path, t, "features")?) {
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
                if !features.iter().any(|x| x.name == f) {
                    return Err(self.dangling(
                        &format!("{path}.features"),
                        &f,
                        "feature set",
                        features.iter().map(|x| x.name.as_str()),
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

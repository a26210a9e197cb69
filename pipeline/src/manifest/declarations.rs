//! The declarations a run is made of: `[datasets.X]`, `[features.X]`, and a run's
//! input (`data` or `features`) with the splits it needs.

use std::path::PathBuf;

use params::HogParams;
use toml::{Table, Value};

use super::parse::{check_name_chars, join_path, Cx};
use super::{
    Dataset, DatasetSource, FeatureMethod, FeatureSet, FolderRoot, Result, Run, RunInput,
    MAX_SYNTH_IMAGES,
};

impl Cx {
    pub(super) fn dataset(&self, path: &str, name: &str, t: &Table) -> Result<Dataset> {
        let kind = self.req_str(path, t, "kind")?;
        let source = match kind.as_str() {
            "idx" => {
                self.check_keys(
                    path,
                    t,
                    &[
                        "kind",
                        "train_images",
                        "train_labels",
                        "test_images",
                        "test_labels",
                        "val_fraction",
                        "seed",
                        "classes",
                    ],
                )?;
                let test_images = self.opt_path(path, t, "test_images")?;
                let test_labels = self.opt_path(path, t, "test_labels")?;
                if test_images.is_some() != test_labels.is_some() {
                    return Err(self.err(path, "give both test_images and test_labels, or neither"));
                }
                let classes = match t.get("classes") {
                    None => None,
                    Some(Value::Array(a)) => Some(
                        a.iter()
                            .map(|v| v.as_str().map(str::to_string))
                            .collect::<Option<Vec<_>>>()
                            .ok_or_else(|| {
                                self.err(&format!("{path}.classes"), "expected a list of strings")
                            })?,
                    ),
                    Some(_) => {
                        return Err(
                            self.err(&format!("{path}.classes"), "expected a list of strings")
                        )
                    }
                };
                DatasetSource::Idx {
                    train_images: self
                        .opt_path(path, t, "train_images")?
                        .ok_or_else(|| self.err(path, "missing key `train_images`"))?,
                    train_labels: self
                        .opt_path(path, t, "train_labels")?
                        .ok_or_else(|| self.err(path, "missing key `train_labels`"))?,
                    test_images,
                    test_labels,
                    val_fraction: match self.opt_float(path, t, "val_fraction", 0.0, 1.0)? {
                        Some(f) => {
                            params::ingest::check_val_fraction(f)
                                .map_err(|e| self.param_err(path, e))?;
                            Some(f)
                        }
                        None => None,
                    },
                    seed: self.opt_int(path, t, "seed", 0, i64::MAX)?,
                    classes,
                }
            }
            "synth-xray" => {
                self.check_keys(
                    path,
                    t,
                    &[
                        "kind",
                        "train",
                        "val",
                        "test",
                        "seed",
                        "min_size",
                        "max_size",
                        "pneumonia_ratio",
                    ],
                )?;
                // The same checks as `ingest synth-xray` (params::ingest).
                let pneumonia_ratio =
                    self.opt_float(path, t, "pneumonia_ratio", f64::NEG_INFINITY, f64::INFINITY)?;
                if let Some(r) = pneumonia_ratio {
                    params::ingest::check_pneumonia_ratio(r)
                        .map_err(|e| self.param_err(path, e))?;
                }
                let side_max = params::ingest::SYNTH_SIDES.1 as i64;
                let (min_size, max_size) = (
                    self.opt_int(path, t, "min_size", 1, side_max)?,
                    self.opt_int(path, t, "max_size", 1, side_max)?,
                );
                let (min_default, max_default) = params::ingest::SYNTH_DEFAULT_SIDES;
                let side = |v: Option<i64>, default: usize| v.map_or(default, |v| v as usize);
                params::ingest::check_synth_sides(
                    side(min_size, min_default),
                    side(max_size, max_default),
                )
                .map_err(|e| self.param_err(path, e))?;
                DatasetSource::SynthXray {
                    train: self.opt_int(path, t, "train", 1, MAX_SYNTH_IMAGES)?.unwrap_or(50),
                    val: self.opt_int(path, t, "val", 1, MAX_SYNTH_IMAGES)?.unwrap_or(8),
                    test: self.opt_int(path, t, "test", 1, MAX_SYNTH_IMAGES)?.unwrap_or(20),
                    seed: self.opt_int(path, t, "seed", 0, i64::MAX)?,
                    min_size,
                    max_size,
                    pneumonia_ratio,
                }
            }
            "folders" => {
                self.check_keys(
                    path,
                    t,
                    &["kind", "root", "from", "splits", "size", "channels", "skip_bad"],
                )?;
                let root = match (self.opt_str(path, t, "root")?, self.opt_str(path, t, "from")?) {
                    (Some(r), None) => FolderRoot::Path(r.into()),
                    (None, Some(f)) => FolderRoot::Synthetic(f),
                    _ => return Err(self.err(
                        path,
                        "give exactly one of `root` (a directory) or `from` (a synth-xray dataset)",
                    )),
                };
                let splits = match t.get("splits") {
                    None => vec!["train".into(), "val".into(), "test".into()],
                    Some(Value::Array(a)) if !a.is_empty() => a
                        .iter()
                        .map(|v| v.as_str().map(str::to_string))
                        .collect::<Option<Vec<_>>>()
                        .ok_or_else(|| {
                            self.err(
                                &format!("{path}.splits"),
                                "expected a list of split directory names",
                            )
                        })?,
                    Some(_) => {
                        return Err(self.err(
                            &format!("{path}.splits"),
                            "expected a non-empty list of split directory names",
                        ))
                    }
                };
                for s in &splits {
                    check_name_chars(s).map_err(|m| self.err(&format!("{path}.splits"), &m))?;
                }
                let size = self
                    .opt_size(path, t, "size")?
                    .ok_or_else(|| self.err(path, "missing key `size` ([height, width])"))?;
                params::ingest::check_image_size(size).map_err(|e| self.param_err(path, e))?;
                let (height, width) = (size.rows as i64, size.cols as i64);
                let channels = self.opt_int(path, t, "channels", 1, 3)?.unwrap_or(1);
                if channels != 1 && channels != 3 {
                    return Err(self.err(&format!("{path}.channels"), "expected 1 or 3"));
                }
                DatasetSource::Folders {
                    root,
                    splits,
                    height,
                    width,
                    channels,
                    skip_bad: self.opt_bool(path, t, "skip_bad")?.unwrap_or(false),
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

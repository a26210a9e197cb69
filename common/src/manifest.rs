//! The pipeline manifest (`pipeline.toml`): datasets, feature sets, models,
//! baselines, evaluations and variants, parsed, checked and expanded into runs.
//!
//! It lives in `common` so that any stage (e.g. a future `train --manifest`)
//! reads exactly the same declarations as `pipeline make` and `pipeline report`.
//! The format is documented in `docs/pipeline.md`.
//!
//! Every error names the manifest file, the line and the full key path
//! (`pipeline.toml line 12: models.mlp.optimzer: unknown key …`): lines come from
//! the spans of `toml::de::DeTable`, values from an ordinary `toml::Table`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context, Result};
use toml::{Table, Value};

/// Run and target names that the root Makefile uses for itself.
pub const RESERVED_NAMES: &[&str] =
    &["all", "setup", "build", "test", "demo", "bench", "clean", "report", "runs", "pipeline"];

/// Keys of a model table that belong to the pipeline, not to `train`'s spec.
const MODEL_PIPELINE_KEYS: &[&str] = &["title", "data", "features", "evaluation", "variants", "sweep"];
/// Keys of `train`'s model spec (`train --spec`, see notes/clis and docs/train.md).
const SPEC_KEYS: &[&str] = &[
    "name", "input_shape", "loss", "epochs", "batch_size", "seed", "validation_split",
    "class_weight", "optimizer", "early_stopping", "layers",
];
const EVALUATION_KEYS: &[&str] = &["split", "batch_size", "threshold", "min_recall"];

/// The whole manifest, with variants already expanded into runs.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The manifest file, as given (used in error messages and make rules).
    pub file: PathBuf,
    pub settings: Settings,
    /// Declaration order.
    pub datasets: Vec<Dataset>,
    /// Declared feature sets first (declaration order), then those derived by variants.
    pub feature_sets: Vec<FeatureSet>,
    /// One per `[models.X]` and `[baselines.X]`, declaration order (models first).
    pub experiments: Vec<Experiment>,
    /// Every run: each experiment's base run followed by its variants.
    pub runs: Vec<Run>,
}

/// `[settings]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Root of every stage output (default `out`).
    pub out: PathBuf,
    /// Where `pipeline report` writes `index.md` / `index.html` (default `report`).
    pub report: PathBuf,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    pub name: String,
    pub line: usize,
    pub source: DatasetSource,
    /// True when the images are generated (`synth-xray`), directly or through `from`.
    pub synthetic: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum DatasetSource {
    /// `ingest idx` on IDX files; splits `train`, `val` (with `val_fraction`), `test`.
    Idx {
        train_images: PathBuf,
        train_labels: PathBuf,
        test_images: Option<PathBuf>,
        test_labels: Option<PathBuf>,
        val_fraction: Option<f64>,
        seed: Option<i64>,
        classes: Option<Vec<String>>,
    },
    /// `ingest synth-xray`: a directory of JPEGs in the Kaggle layout (no splits of its own).
    /// `train`/`val`/`test` count NORMAL images; PNEUMONIA = round(count × `pneumonia_ratio`).
    SynthXray {
        train: i64,
        val: i64,
        test: i64,
        seed: Option<i64>,
        min_size: Option<i64>,
        max_size: Option<i64>,
        /// `--pneumonia-ratio` (> 0; ingest's default 1.0 = balanced when absent).
        pneumonia_ratio: Option<f64>,
    },
    /// `ingest folders`, once per split: `ROOT/SPLIT/CLASS/*.jpeg`.
    Folders { root: FolderRoot, splits: Vec<String>, height: i64, width: i64, channels: i64, skip_bad: bool },
    /// Ready-made dataset files (any program that writes docs/formats.md); no stage runs.
    Parquet { splits: Vec<(String, PathBuf)> },
}

#[derive(Debug, Clone, PartialEq)]
pub enum FolderRoot {
    /// A directory on disk, e.g. the real Kaggle `chest_xray/`.
    Path(PathBuf),
    /// The output directory of a `synth-xray` dataset of this name.
    Synthetic(String),
}

impl Dataset {
    /// The splits this dataset provides, in order (empty for `synth-xray`).
    pub fn splits(&self) -> Vec<String> {
        match &self.source {
            DatasetSource::Idx { val_fraction, test_images, .. } => {
                let mut s = vec!["train".to_string()];
                if val_fraction.is_some() {
                    s.push("val".into());
                }
                if test_images.is_some() {
                    s.push("test".into());
                }
                s
            }
            DatasetSource::SynthXray { .. } => vec![],
            DatasetSource::Folders { splits, .. } => splits.clone(),
            DatasetSource::Parquet { splits } => splits.iter().map(|(s, _)| s.clone()).collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct FeatureSet {
    pub name: String,
    pub line: usize,
    /// The dataset whose splits it transforms, one by one.
    pub from: String,
    pub method: FeatureMethod,
    /// For a set derived by a model variant: the declared set it started from.
    pub derived_from: Option<String>,
    pub synthetic: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FeatureMethod {
    Pixels,
    Hog {
        orientations: Option<i64>,
        pixels_per_cell: Option<(i64, i64)>,
        cells_per_block: Option<(i64, i64)>,
        block_norm: Option<String>,
        transform_sqrt: bool,
    },
}

impl FeatureMethod {
    pub fn name(&self) -> &'static str {
        match self {
            FeatureMethod::Pixels => "pixels",
            FeatureMethod::Hog { .. } => "hog",
        }
    }

    /// The `features` subcommand arguments after `--in P --out P` (e.g. `--orientations 8`).
    pub fn args(&self) -> Vec<String> {
        let mut a = Vec::new();
        if let FeatureMethod::Hog { orientations, pixels_per_cell, cells_per_block, block_norm, transform_sqrt } = self {
            if let Some(o) = orientations {
                a.extend(["--orientations".to_string(), o.to_string()]);
            }
            if let Some((h, w)) = pixels_per_cell {
                a.extend(["--pixels-per-cell".to_string(), format!("{h}x{w}")]);
            }
            if let Some((h, w)) = cells_per_block {
                a.extend(["--cells-per-block".to_string(), format!("{h}x{w}")]);
            }
            if let Some(n) = block_norm {
                a.extend(["--block-norm".to_string(), n.clone()]);
            }
            if *transform_sqrt {
                a.push("--transform-sqrt".into());
            }
        }
        a
    }
}

/// What a run trains on.
#[derive(Debug, Clone, PartialEq)]
pub enum RunInput {
    /// An image dataset (by name).
    Dataset(String),
    /// A feature set (by name).
    Features(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Trainer {
    /// `train --spec`: the model spec table, exactly as `train` reads it.
    Network { spec: Table },
    /// `train --baseline METHOD` (e.g. `logistic`).
    Baseline { method: String },
}

/// `[evaluation]` defaults, overridden per model by its `evaluation` table.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// The split evaluated (default `test`).
    pub split: String,
    pub batch_size: Option<i64>,
    pub threshold: Option<f64>,
    pub min_recall: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Experiment {
    pub name: String,
    pub title: String,
    pub line: usize,
    pub is_baseline: bool,
    /// Run names: the base run first, then the variants in declaration order.
    pub runs: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub name: String,
    pub experiment: String,
    /// The variant's own name (`hidden3`, `epochs40`), `None` for the base run.
    pub variant: Option<String>,
    /// What the variant changes, as `key = value` lines.
    pub changes: Vec<String>,
    pub input: RunInput,
    pub trainer: Trainer,
    pub evaluation: Evaluation,
    pub synthetic: bool,
    pub line: usize,
}

// ---------------------------------------------------------------------------
// Output layout: every stage output's path, in one place.

impl Manifest {
    pub fn dataset(&self, name: &str) -> Option<&Dataset> {
        self.datasets.iter().find(|d| d.name == name)
    }
    pub fn feature_set(&self, name: &str) -> Option<&FeatureSet> {
        self.feature_sets.iter().find(|f| f.name == name)
    }
    pub fn run(&self, name: &str) -> Option<&Run> {
        self.runs.iter().find(|r| r.name == name)
    }
    pub fn experiment(&self, name: &str) -> Option<&Experiment> {
        self.experiments.iter().find(|e| e.name == name)
    }

    /// `OUT/data/NAME/SPLIT.parquet`, or the file a `parquet` dataset names.
    pub fn dataset_split_path(&self, dataset: &str, split: &str) -> PathBuf {
        if let Some(Dataset { source: DatasetSource::Parquet { splits }, .. }) = self.dataset(dataset) {
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
    /// `OUT/specs` (per-stage parameter files, rewritten only when they change).
    pub fn specs_dir(&self) -> PathBuf {
        self.settings.out.join("specs")
    }
}

// ---------------------------------------------------------------------------
// Parsing.

impl Manifest {
    /// Reads and checks `path`.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read manifest {}", path.display()))?;
        Self::parse(&text, path)
    }

    /// Parses manifest text; `file` is only used in messages and make rules.
    pub fn parse(text: &str, file: &Path) -> Result<Self> {
        let fname = file.display().to_string();
        let root: Table = toml::from_str(text)
            .map_err(|e| anyhow!("{fname}: invalid TOML: {}", e.to_string().trim_end()))?;
        let lines = key_lines(text).map_err(|e| anyhow!("{fname}: invalid TOML: {e}"))?;
        let cx = Cx { file: fname, lines };
        cx.check_keys("", &root, &["settings", "datasets", "features", "models", "baselines", "evaluation"])?;

        let settings = match root.get("settings") {
            None => Settings { out: "out".into(), report: "report".into() },
            Some(v) => {
                let t = cx.table("settings", v)?;
                cx.check_keys("settings", t, &["out", "report"])?;
                Settings {
                    out: cx.opt_str("settings", t, "out")?.unwrap_or_else(|| "out".into()).into(),
                    report: cx.opt_str("settings", t, "report")?.unwrap_or_else(|| "report".into()).into(),
                }
            }
        };
        let eval_defaults = match root.get("evaluation") {
            None => Evaluation { split: "test".into(), batch_size: None, threshold: None, min_recall: None },
            Some(v) => {
                let t = cx.table("evaluation", v)?;
                cx.evaluation("evaluation", t, &Evaluation { split: "test".into(), batch_size: None, threshold: None, min_recall: None })?
            }
        };

        let mut names: HashMap<String, String> = HashMap::new();
        let datasets = cx.sections(&root, "datasets")?;
        let mut dataset_list = Vec::new();
        for (name, t) in &datasets {
            let path = format!("datasets.{name}");
            cx.check_name(&path, name, &mut names)?;
            dataset_list.push(cx.dataset(&path, name, t)?);
        }
        // References between datasets (folders → synth-xray).
        for i in 0..dataset_list.len() {
            let d = dataset_list[i].clone();
            if let DatasetSource::Folders { root: FolderRoot::Synthetic(src), .. } = &d.source {
                let path = format!("datasets.{}.from", d.name);
                match dataset_list.iter().find(|x| &x.name == src) {
                    Some(Dataset { source: DatasetSource::SynthXray { .. }, .. }) => dataset_list[i].synthetic = true,
                    Some(_) => return Err(cx.err(&path, &format!("`{src}` is not a synth-xray dataset"))),
                    None => return Err(cx.dangling(&path, src, "dataset", dataset_list.iter().map(|d| d.name.as_str()))),
                }
            }
        }

        let mut feature_sets = Vec::new();
        for (name, t) in &cx.sections(&root, "features")? {
            let path = format!("features.{name}");
            cx.check_name(&path, name, &mut names)?;
            let fs = cx.feature_set(&path, name, t, &dataset_list)?;
            feature_sets.push(fs);
        }

        let mut experiments = Vec::new();
        let mut runs = Vec::new();
        for (name, t) in &cx.sections(&root, "models")? {
            let path = format!("models.{name}");
            cx.check_name(&path, name, &mut names)?;
            cx.model(&path, name, t, &dataset_list, &mut feature_sets, &eval_defaults, &mut experiments, &mut runs, &mut names)?;
        }
        for (name, t) in &cx.sections(&root, "baselines")? {
            let path = format!("baselines.{name}");
            cx.check_name(&path, name, &mut names)?;
            cx.check_keys(&path, t, &["title", "method", "data", "features", "evaluation"])?;
            let method = cx.req_str(&path, t, "method")?;
            if method != "logistic" {
                return Err(cx.err(&format!("{path}.method"), &format!("unknown baseline `{method}` (expected logistic)")));
            }
            let input = cx.run_input(&path, t, &dataset_list, &feature_sets)?;
            let evaluation = match t.get("evaluation") {
                Some(v) => cx.evaluation(&format!("{path}.evaluation"), cx.table(&format!("{path}.evaluation"), v)?, &eval_defaults)?,
                None => eval_defaults.clone(),
            };
            let run = Run {
                name: name.clone(),
                experiment: name.clone(),
                variant: None,
                changes: vec![],
                synthetic: input_synthetic(&input, &dataset_list, &feature_sets),
                input,
                trainer: Trainer::Baseline { method },
                evaluation,
                line: cx.line(&path),
            };
            cx.check_run_splits(&path, &run, &dataset_list, &feature_sets)?;
            experiments.push(Experiment {
                name: name.clone(),
                title: cx.opt_str(&path, t, "title")?.unwrap_or_else(|| format!("{} baseline", name)),
                line: run.line,
                is_baseline: true,
                runs: vec![name.clone()],
            });
            runs.push(run);
        }
        Ok(Manifest { file: file.to_path_buf(), settings, datasets: dataset_list, feature_sets, experiments, runs })
    }
}

fn input_synthetic(input: &RunInput, datasets: &[Dataset], features: &[FeatureSet]) -> bool {
    match input {
        RunInput::Dataset(d) => datasets.iter().any(|x| &x.name == d && x.synthetic),
        RunInput::Features(f) => features.iter().any(|x| &x.name == f && x.synthetic),
    }
}

/// Line (1-based) of every key path (`models.mlp.layers.2.units`) in `text`.
fn key_lines(text: &str) -> Result<HashMap<String, usize>> {
    let doc = toml::de::DeTable::parse(text).map_err(|e| anyhow!("{}", e.to_string().trim_end()))?;
    let line_of = |offset: usize| text[..offset.min(text.len())].bytes().filter(|&b| b == b'\n').count() + 1;
    let mut out = HashMap::new();
    fn walk(
        prefix: &str,
        v: &toml::de::DeValue<'_>,
        line_of: &dyn Fn(usize) -> usize,
        out: &mut HashMap<String, usize>,
    ) {
        match v {
            toml::de::DeValue::Table(t) => {
                for (k, v) in t.iter() {
                    let path = join_path(prefix, k.get_ref());
                    out.entry(path.clone()).or_insert_with(|| line_of(k.span().start));
                    walk(&path, v.get_ref(), line_of, out);
                }
            }
            toml::de::DeValue::Array(a) => {
                for (i, item) in a.iter().enumerate() {
                    let path = join_path(prefix, &i.to_string());
                    out.entry(path.clone()).or_insert_with(|| line_of(item.span().start));
                    walk(&path, item.get_ref(), line_of, out);
                }
            }
            _ => {}
        }
    }
    for (k, v) in doc.get_ref().iter() {
        out.insert(k.get_ref().to_string(), line_of(k.span().start));
        walk(k.get_ref(), v.get_ref(), &line_of, &mut out);
    }
    Ok(out)
}

fn join_path(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

/// Parse context: the file name and the line of every key, for messages.
struct Cx {
    file: String,
    lines: HashMap<String, usize>,
}

impl Cx {
    /// The line of `path`, or of its nearest ancestor that has one.
    fn line(&self, path: &str) -> usize {
        let mut p = path;
        loop {
            if let Some(l) = self.lines.get(p) {
                return *l;
            }
            match p.rfind('.') {
                Some(i) => p = &p[..i],
                None => return 0,
            }
        }
    }

    fn err(&self, path: &str, msg: &str) -> anyhow::Error {
        anyhow!("{} line {}: {}: {}", self.file, self.line(path), path, msg)
    }

    fn dangling<'a>(&self, path: &str, name: &str, what: &str, known: impl Iterator<Item = &'a str>) -> anyhow::Error {
        let known: Vec<&str> = known.collect();
        self.err(
            path,
            &format!(
                "no {what} named `{name}` (declared: {})",
                if known.is_empty() { "none".to_string() } else { known.join(", ") }
            ),
        )
    }

    fn check_keys(&self, path: &str, t: &Table, allowed: &[&str]) -> Result<()> {
        // Report the first unknown key in file order, so the message points at the top-most one.
        let mut unknown: Vec<(usize, &String)> = t
            .keys()
            .filter(|k| !allowed.contains(&k.as_str()))
            .map(|k| (self.line(&join_path(path, k)), k))
            .collect();
        unknown.sort();
        if let Some((_, k)) = unknown.first() {
            return Err(self.err(
                &join_path(path, k),
                &format!("unknown key `{k}` (expected one of: {})", allowed.join(", ")),
            ));
        }
        Ok(())
    }

    fn check_name(&self, path: &str, name: &str, names: &mut HashMap<String, String>) -> Result<()> {
        check_name_chars(name).map_err(|m| self.err(path, &m))?;
        if RESERVED_NAMES.contains(&name) {
            return Err(self.err(path, &format!("`{name}` is reserved for a Makefile target; choose another name")));
        }
        if let Some(other) = names.get(name) {
            return Err(self.err(path, &format!("name `{name}` is already used by {other}")));
        }
        names.insert(name.to_string(), path.to_string());
        Ok(())
    }

    fn table<'a>(&self, path: &str, v: &'a Value) -> Result<&'a Table> {
        v.as_table().ok_or_else(|| self.err(path, &format!("expected a table, found {}", v.type_str())))
    }

    /// The entries of `[SECTION.NAME]` tables, in file order.
    fn sections<'a>(&self, root: &'a Table, section: &str) -> Result<Vec<(String, &'a Table)>> {
        let Some(v) = root.get(section) else { return Ok(vec![]) };
        let t = self.table(section, v)?;
        let mut out = Vec::new();
        for (k, v) in t {
            out.push((k.clone(), self.table(&join_path(section, k), v)?));
        }
        out.sort_by_key(|(k, _)| self.line(&join_path(section, k)));
        Ok(out)
    }

    fn opt_str(&self, path: &str, t: &Table, key: &str) -> Result<Option<String>> {
        match t.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(v) => Err(self.err(&join_path(path, key), &format!("expected a string, found {}", v.type_str()))),
        }
    }
    fn req_str(&self, path: &str, t: &Table, key: &str) -> Result<String> {
        self.opt_str(path, t, key)?.ok_or_else(|| self.err(path, &format!("missing key `{key}`")))
    }
    fn opt_int(&self, path: &str, t: &Table, key: &str, min: i64) -> Result<Option<i64>> {
        match t.get(key) {
            None => Ok(None),
            Some(Value::Integer(i)) if *i >= min => Ok(Some(*i)),
            Some(v) => Err(self.err(&join_path(path, key), &format!("expected a whole number ≥ {min}, found {v}"))),
        }
    }
    fn opt_float(&self, path: &str, t: &Table, key: &str, lo: f64, hi: f64) -> Result<Option<f64>> {
        let x = match t.get(key) {
            None => return Ok(None),
            Some(Value::Integer(i)) => *i as f64,
            Some(Value::Float(f)) => *f,
            Some(v) => return Err(self.err(&join_path(path, key), &format!("expected a number, found {}", v.type_str()))),
        };
        if !(lo..=hi).contains(&x) {
            return Err(self.err(&join_path(path, key), &format!("{x} is outside [{lo}, {hi}]")));
        }
        Ok(Some(x))
    }
    fn opt_bool(&self, path: &str, t: &Table, key: &str) -> Result<Option<bool>> {
        match t.get(key) {
            None => Ok(None),
            Some(Value::Boolean(b)) => Ok(Some(*b)),
            Some(v) => Err(self.err(&join_path(path, key), &format!("expected true or false, found {}", v.type_str()))),
        }
    }
    /// An `n` (→ n×n), `[h, w]` or `"HxW"` pair of positive whole numbers.
    fn opt_pair(&self, path: &str, t: &Table, key: &str) -> Result<Option<(i64, i64)>> {
        let p = join_path(path, key);
        let bad = || self.err(&p, "expected a positive whole number, [h, w] or \"HxW\"");
        let pair = match t.get(key) {
            None => return Ok(None),
            Some(Value::Integer(n)) => (*n, *n),
            Some(Value::Array(a)) if a.len() == 2 => match (&a[0], &a[1]) {
                (Value::Integer(h), Value::Integer(w)) => (*h, *w),
                _ => return Err(bad()),
            },
            Some(Value::String(s)) => {
                let (h, w) = s.split_once(['x', 'X']).ok_or_else(bad)?;
                (h.trim().parse().map_err(|_| bad())?, w.trim().parse().map_err(|_| bad())?)
            }
            Some(_) => return Err(bad()),
        };
        if pair.0 < 1 || pair.1 < 1 {
            return Err(bad());
        }
        Ok(Some(pair))
    }
    fn opt_path(&self, path: &str, t: &Table, key: &str) -> Result<Option<PathBuf>> {
        Ok(self.opt_str(path, t, key)?.map(PathBuf::from))
    }

    fn evaluation(&self, path: &str, t: &Table, defaults: &Evaluation) -> Result<Evaluation> {
        self.check_keys(path, t, EVALUATION_KEYS)?;
        Ok(Evaluation {
            split: self.opt_str(path, t, "split")?.unwrap_or_else(|| defaults.split.clone()),
            batch_size: self.opt_int(path, t, "batch_size", 1)?.or(defaults.batch_size),
            threshold: self.opt_float(path, t, "threshold", 0.0, 1.0)?.or(defaults.threshold),
            min_recall: self.opt_float(path, t, "min_recall", 0.0, 1.0)?.or(defaults.min_recall),
        })
    }

    fn dataset(&self, path: &str, name: &str, t: &Table) -> Result<Dataset> {
        let kind = self.req_str(path, t, "kind")?;
        let source = match kind.as_str() {
            "idx" => {
                self.check_keys(path, t, &["kind", "train_images", "train_labels", "test_images", "test_labels", "val_fraction", "seed", "classes"])?;
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
                            .ok_or_else(|| self.err(&format!("{path}.classes"), "expected a list of strings"))?,
                    ),
                    Some(_) => return Err(self.err(&format!("{path}.classes"), "expected a list of strings")),
                };
                DatasetSource::Idx {
                    train_images: self.opt_path(path, t, "train_images")?.ok_or_else(|| self.err(path, "missing key `train_images`"))?,
                    train_labels: self.opt_path(path, t, "train_labels")?.ok_or_else(|| self.err(path, "missing key `train_labels`"))?,
                    test_images,
                    test_labels,
                    val_fraction: self.opt_float(path, t, "val_fraction", 0.0, 0.99)?,
                    seed: self.opt_int(path, t, "seed", 0)?,
                    classes,
                }
            }
            "synth-xray" => {
                self.check_keys(path, t, &["kind", "train", "val", "test", "seed", "min_size", "max_size", "pneumonia_ratio"])?;
                let pneumonia_ratio = self.opt_float(path, t, "pneumonia_ratio", 0.0, 1000.0)?;
                if pneumonia_ratio == Some(0.0) {
                    return Err(self.err(&join_path(path, "pneumonia_ratio"), "must be > 0 (PNEUMONIA images per NORMAL image)"));
                }
                DatasetSource::SynthXray {
                    train: self.opt_int(path, t, "train", 1)?.unwrap_or(50),
                    val: self.opt_int(path, t, "val", 1)?.unwrap_or(8),
                    test: self.opt_int(path, t, "test", 1)?.unwrap_or(20),
                    seed: self.opt_int(path, t, "seed", 0)?,
                    min_size: self.opt_int(path, t, "min_size", 1)?,
                    max_size: self.opt_int(path, t, "max_size", 1)?,
                    pneumonia_ratio,
                }
            }
            "folders" => {
                self.check_keys(path, t, &["kind", "root", "from", "splits", "size", "channels", "skip_bad"])?;
                let root = match (self.opt_str(path, t, "root")?, self.opt_str(path, t, "from")?) {
                    (Some(r), None) => FolderRoot::Path(r.into()),
                    (None, Some(f)) => FolderRoot::Synthetic(f),
                    _ => return Err(self.err(path, "give exactly one of `root` (a directory) or `from` (a synth-xray dataset)")),
                };
                let splits = match t.get("splits") {
                    None => vec!["train".into(), "val".into(), "test".into()],
                    Some(Value::Array(a)) if !a.is_empty() => a
                        .iter()
                        .map(|v| v.as_str().map(str::to_string))
                        .collect::<Option<Vec<_>>>()
                        .ok_or_else(|| self.err(&format!("{path}.splits"), "expected a list of split directory names"))?,
                    Some(_) => return Err(self.err(&format!("{path}.splits"), "expected a non-empty list of split directory names")),
                };
                for s in &splits {
                    check_name_chars(s).map_err(|m| self.err(&format!("{path}.splits"), &m))?;
                }
                let (height, width) = self.opt_pair(path, t, "size")?.ok_or_else(|| self.err(path, "missing key `size` ([height, width])"))?;
                let channels = self.opt_int(path, t, "channels", 1)?.unwrap_or(1);
                if channels != 1 && channels != 3 {
                    return Err(self.err(&format!("{path}.channels"), "expected 1 or 3"));
                }
                DatasetSource::Folders { root, splits, height, width, channels, skip_bad: self.opt_bool(path, t, "skip_bad")?.unwrap_or(false) }
            }
            "parquet" => {
                let mut splits = Vec::new();
                for (k, v) in t {
                    if k == "kind" {
                        continue;
                    }
                    check_name_chars(k).map_err(|m| self.err(&join_path(path, k), &m))?;
                    let p = v.as_str().ok_or_else(|| self.err(&join_path(path, k), "expected the path of a dataset file or directory"))?;
                    splits.push((k.clone(), PathBuf::from(p)));
                }
                splits.sort_by_key(|(k, _)| self.line(&join_path(path, k)));
                DatasetSource::Parquet { splits }
            }
            other => {
                return Err(self.err(&format!("{path}.kind"), &format!("unknown dataset kind `{other}` (expected idx, synth-xray, folders or parquet)")))
            }
        };
        Ok(Dataset { name: name.to_string(), line: self.line(path), source, synthetic: matches!(kind.as_str(), "synth-xray") })
    }

    fn feature_set(&self, path: &str, name: &str, t: &Table, datasets: &[Dataset]) -> Result<FeatureSet> {
        let method = self.req_str(path, t, "method")?;
        let method = match method.as_str() {
            "pixels" => {
                self.check_keys(path, t, &["method", "from"])?;
                FeatureMethod::Pixels
            }
            "hog" => {
                self.check_keys(path, t, &["method", "from", "orientations", "pixels_per_cell", "cells_per_block", "block_norm", "transform_sqrt"])?;
                let block_norm = self.opt_str(path, t, "block_norm")?;
                if let Some(n) = &block_norm {
                    if !["L1", "L1-sqrt", "L2", "L2-Hys"].contains(&n.as_str()) {
                        return Err(self.err(&format!("{path}.block_norm"), &format!("unknown block norm `{n}` (expected L1, L1-sqrt, L2 or L2-Hys)")));
                    }
                }
                FeatureMethod::Hog {
                    orientations: self.opt_int(path, t, "orientations", 1)?,
                    pixels_per_cell: self.opt_pair(path, t, "pixels_per_cell")?,
                    cells_per_block: self.opt_pair(path, t, "cells_per_block")?,
                    block_norm,
                    transform_sqrt: self.opt_bool(path, t, "transform_sqrt")?.unwrap_or(false),
                }
            }
            other => return Err(self.err(&format!("{path}.method"), &format!("unknown feature method `{other}` (expected hog or pixels)"))),
        };
        let from = self.req_str(path, t, "from")?;
        let ds = datasets
            .iter()
            .find(|d| d.name == from)
            .ok_or_else(|| self.dangling(&format!("{path}.from"), &from, "dataset", datasets.iter().map(|d| d.name.as_str())))?;
        if ds.splits().is_empty() {
            return Err(self.err(&format!("{path}.from"), &format!("dataset `{from}` has no splits (a synth-xray dataset is read through a folders dataset)")));
        }
        Ok(FeatureSet { name: name.to_string(), line: self.line(path), from, method, derived_from: None, synthetic: ds.synthetic })
    }

    /// `data = "DATASET"` or `features = "FEATURE_SET"` (exactly one).
    fn run_input(&self, path: &str, t: &Table, datasets: &[Dataset], features: &[FeatureSet]) -> Result<RunInput> {
        match (self.opt_str(path, t, "data")?, self.opt_str(path, t, "features")?) {
            (Some(d), None) => {
                let ds = datasets
                    .iter()
                    .find(|x| x.name == d)
                    .ok_or_else(|| self.dangling(&format!("{path}.data"), &d, "dataset", datasets.iter().map(|x| x.name.as_str())))?;
                if ds.splits().is_empty() {
                    return Err(self.err(&format!("{path}.data"), &format!("dataset `{d}` has no splits (a synth-xray dataset is read through a folders dataset)")));
                }
                Ok(RunInput::Dataset(d))
            }
            (None, Some(f)) => {
                if !features.iter().any(|x| x.name == f) {
                    return Err(self.dangling(&format!("{path}.features"), &f, "feature set", features.iter().map(|x| x.name.as_str())));
                }
                Ok(RunInput::Features(f))
            }
            _ => Err(self.err(path, "give exactly one of `data` (a dataset) or `features` (a feature set)")),
        }
    }

    /// The run's dataset has `train` and the evaluated split.
    fn check_run_splits(&self, path: &str, run: &Run, datasets: &[Dataset], features: &[FeatureSet]) -> Result<()> {
        let ds_name = match &run.input {
            RunInput::Dataset(d) => d.clone(),
            RunInput::Features(f) => features.iter().find(|x| &x.name == f).unwrap().from.clone(),
        };
        let splits = datasets.iter().find(|d| d.name == ds_name).unwrap().splits();
        for need in ["train", run.evaluation.split.as_str()] {
            if !splits.iter().any(|s| s == need) {
                return Err(self.err(path, &format!("dataset `{ds_name}` has no `{need}` split (it has: {})", splits.join(", "))));
            }
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn model(
        &self,
        path: &str,
        name: &str,
        t: &Table,
        datasets: &[Dataset],
        feature_sets: &mut Vec<FeatureSet>,
        eval_defaults: &Evaluation,
        experiments: &mut Vec<Experiment>,
        runs: &mut Vec<Run>,
        names: &mut HashMap<String, String>,
    ) -> Result<()> {
        let mut allowed: Vec<&str> = SPEC_KEYS.to_vec();
        allowed.extend(MODEL_PIPELINE_KEYS);
        self.check_keys(path, t, &allowed)?;
        let title = self.opt_str(path, t, "title")?.unwrap_or_else(|| name.to_string());
        let line = self.line(path);

        // The variants: named ones (`[models.X.variants.NAME]`, overrides) and sweeps
        // (`[models.X.sweep]`, key path → list of values, one run per value).
        let mut variants: Vec<(String, String, Vec<(String, Value)>)> = Vec::new(); // (name, where, overrides)
        if let Some(v) = t.get("variants") {
            let vt = self.table(&format!("{path}.variants"), v)?;
            let mut entries: Vec<_> = vt.iter().collect();
            entries.sort_by_key(|(k, _)| self.line(&format!("{path}.variants.{k}")));
            for (vname, body) in entries {
                let vpath = format!("{path}.variants.{vname}");
                let body = self.table(&vpath, body)?;
                let mut overrides = Vec::new();
                flatten_overrides("", body, &mut overrides);
                if overrides.is_empty() {
                    return Err(self.err(&vpath, "a variant must change at least one key"));
                }
                variants.push((vname.clone(), vpath, overrides));
            }
        }
        if let Some(v) = t.get("sweep") {
            let spath = format!("{path}.sweep");
            let st = self.table(&spath, v)?;
            let mut leaves = Vec::new();
            flatten_overrides("", st, &mut leaves);
            leaves.sort_by_key(|(k, _)| self.line(&format!("{spath}.{k}")));
            for (key, values) in leaves {
                let kpath = format!("{spath}.{key}");
                let Value::Array(values) = values else {
                    return Err(self.err(&kpath, "a sweep maps a key path to a list of values, e.g. epochs = [20, 40]"));
                };
                let label = key.split('.').rev().find(|s| s.parse::<usize>().is_err()).unwrap_or(&key).to_string();
                for value in values {
                    let vname = format!("{label}{}", value_label(&value));
                    variants.push((vname, kpath.clone(), vec![(key.clone(), value)]));
                }
            }
        }

        let mut experiment = Experiment { name: name.to_string(), title, line, is_baseline: false, runs: vec![] };
        let base = self.network_run(path, name, name, None, t, &[], datasets, feature_sets, eval_defaults, line)?;
        experiment.runs.push(base.name.clone());
        runs.push(base);
        for (vname, vpath, overrides) in variants {
            check_name_chars(&vname).map_err(|m| self.err(&vpath, &format!("variant name: {m}")))?;
            let run_name = format!("{name}-{vname}");
            self.check_name(&vpath, &run_name, names)
                .map_err(|e| anyhow!("{e} (variant `{vname}` of model `{name}`)"))?;
            let run = self.network_run(&vpath, name, &run_name, Some(&vname), t, &overrides, datasets, feature_sets, eval_defaults, self.line(&vpath))?;
            experiment.runs.push(run.name.clone());
            runs.push(run);
        }
        experiments.push(experiment);
        Ok(())
    }

    /// One run of a model: its table with `overrides` applied, checked.
    #[allow(clippy::too_many_arguments)]
    fn network_run(
        &self,
        path: &str,
        experiment: &str,
        run_name: &str,
        variant: Option<&str>,
        model: &Table,
        overrides: &[(String, Value)],
        datasets: &[Dataset],
        feature_sets: &mut Vec<FeatureSet>,
        eval_defaults: &Evaluation,
        line: usize,
    ) -> Result<Run> {
        let mut t = model.clone();
        t.remove("variants");
        t.remove("sweep");
        let mut feature_overrides = Table::new();
        let mut changes = Vec::new();
        for (key, value) in overrides {
            let kpath = format!("{path}.{key}");
            changes.push(describe_change(key, value));
            if let Some(fkey) = key.strip_prefix("features.") {
                feature_overrides.insert(fkey.to_string(), value.clone());
                continue;
            }
            set_path(&mut t, key, value.clone()).map_err(|m| self.err(&kpath, &m))?;
        }
        let mut input = self.run_input(path, &t, datasets, feature_sets)?;
        if !feature_overrides.is_empty() {
            let RunInput::Features(base_fs) = &input else {
                return Err(self.err(path, "`features.KEY` overrides need a model that reads a feature set (`features = ...`)"));
            };
            // A derived feature set: the declared one with the overridden parameters.
            let base = feature_sets.iter().find(|f| &f.name == base_fs).unwrap().clone();
            let mut ft = feature_table(&base);
            for (k, v) in &feature_overrides {
                ft.insert(k.clone(), v.clone());
            }
            let derived_name = format!("{}-{}", base.derived_from.as_deref().unwrap_or(&base.name), variant.unwrap_or("variant"));
            // Lines of the override keys are those of the variant.
            let mut fs = self.feature_set(path, &derived_name, &ft, datasets)?;
            fs.derived_from = Some(base.name.clone());
            fs.line = line;
            match feature_sets.iter().find(|f| f.name == derived_name) {
                Some(existing) if existing.method == fs.method && existing.from == fs.from => {}
                Some(_) => return Err(self.err(path, &format!("derived feature set `{derived_name}` already exists with other parameters; rename the variant"))),
                None => feature_sets.push(fs),
            }
            input = RunInput::Features(derived_name);
        }
        let evaluation = match t.get("evaluation") {
            Some(v) => self.evaluation(&format!("{path}.evaluation"), self.table(&format!("{path}.evaluation"), v)?, eval_defaults)?,
            None => eval_defaults.clone(),
        };
        let mut spec = t.clone();
        for k in MODEL_PIPELINE_KEYS {
            spec.remove(*k);
        }
        // Checked at the model, or at the variant that changed it (`path`).
        self.check_spec(path, &spec)?;
        let run = Run {
            name: run_name.to_string(),
            experiment: experiment.to_string(),
            variant: variant.map(str::to_string),
            changes,
            synthetic: input_synthetic(&input, datasets, feature_sets),
            input,
            trainer: Trainer::Network { spec },
            evaluation,
            line,
        };
        self.check_run_splits(path, &run, datasets, feature_sets)?;
        Ok(run)
    }

    /// Checks a model spec against `train`'s format (keys and value types).
    fn check_spec(&self, path: &str, spec: &Table) -> Result<()> {
        let at = |k: &str| join_path(path, k);
        self.check_keys(path, spec, SPEC_KEYS)?;
        if let Some(l) = self.opt_str(path, spec, "loss")? {
            if l != "categorical_crossentropy" && l != "binary_crossentropy" {
                return Err(self.err(&at("loss"), &format!("unknown loss `{l}` (expected categorical_crossentropy or binary_crossentropy)")));
            }
        } else {
            return Err(self.err(path, "missing key `loss`"));
        }
        self.opt_str(path, spec, "name")?;
        for k in ["epochs", "batch_size"] {
            self.opt_int(path, spec, k, 1)?;
        }
        self.opt_int(path, spec, "seed", 0)?;
        self.opt_float(path, spec, "validation_split", 0.0, 0.99)?;
        if let Some(v) = spec.get("input_shape") {
            let ok = matches!(v, Value::Array(a) if !a.is_empty() && a.len() <= 3 && a.iter().all(|x| matches!(x, Value::Integer(i) if *i > 0)));
            if !ok {
                return Err(self.err(&at("input_shape"), "expected [H, W, C] or [D] of positive whole numbers"));
            }
        }
        match spec.get("class_weight") {
            None => {}
            Some(Value::String(s)) if s == "balanced" => {}
            Some(Value::Table(t)) => {
                for (k, v) in t {
                    if !matches!(v, Value::Float(_) | Value::Integer(_)) {
                        return Err(self.err(&at(&format!("class_weight.{k}")), "expected a number"));
                    }
                }
            }
            Some(_) => return Err(self.err(&at("class_weight"), "expected \"balanced\" or a table { CLASS = weight }")),
        }
        let opath = at("optimizer");
        // Optional: train defaults to RMSprop with Keras defaults.
        let empty = Table::new();
        let o = match spec.get("optimizer") {
            Some(o) => self.table(&opath, o)?,
            None => &empty,
        };
        let oname = self.opt_str(&opath, o, "name")?.unwrap_or_else(|| "rmsprop".into());
        let params: &[&str] = match oname.as_str() {
            "rmsprop" => &["name", "learning_rate", "rho", "momentum", "epsilon", "centered"],
            "adam" => &["name", "learning_rate", "beta_1", "beta_2", "epsilon"],
            "sgd" => &["name", "learning_rate", "momentum", "nesterov"],
            other => return Err(self.err(&format!("{opath}.name"), &format!("unknown optimizer `{other}` (expected rmsprop, adam or sgd)"))),
        };
        self.check_keys(&opath, o, params)?;
        for (k, v) in o {
            let ok = match k.as_str() {
                "name" => true,
                "centered" | "nesterov" => v.is_bool(),
                _ => matches!(v, Value::Float(f) if *f >= 0.0) || matches!(v, Value::Integer(i) if *i >= 0),
            };
            if !ok {
                return Err(self.err(&format!("{opath}.{k}"), &format!("unexpected value {v}")));
            }
        }
        if let Some(e) = spec.get("early_stopping") {
            let epath = at("early_stopping");
            let e = self.table(&epath, e)?;
            self.check_keys(&epath, e, &["monitor", "patience", "restore_best_weights", "min_delta"])?;
            if let Some(m) = self.opt_str(&epath, e, "monitor")? {
                if !["val_loss", "val_accuracy", "loss", "accuracy"].contains(&m.as_str()) {
                    return Err(self.err(&format!("{epath}.monitor"), &format!("unknown metric `{m}`")));
                }
            }
            self.opt_int(&epath, e, "patience", 0)?;
            self.opt_bool(&epath, e, "restore_best_weights")?;
            self.opt_float(&epath, e, "min_delta", 0.0, f64::MAX)?;
        }
        let lpath = at("layers");
        let layers = match spec.get("layers") {
            Some(Value::Array(a)) if !a.is_empty() => a,
            Some(_) => return Err(self.err(&lpath, "expected a non-empty list of layer tables")),
            None => return Err(self.err(path, "missing `layers`")),
        };
        for (i, layer) in layers.iter().enumerate() {
            let p = format!("{lpath}.{i}");
            let l = self.table(&p, layer)?;
            let ty = self.req_str(&p, l, "type")?;
            let keys: &[&str] = match ty.as_str() {
                "flatten" => &["type"],
                "dense" => &["type", "units", "activation"],
                "conv2d" => &["type", "filters", "kernel_size", "strides", "padding", "activation"],
                "max_pool2d" => &["type", "pool_size", "strides", "padding"],
                "dropout" => &["type", "rate"],
                "activation" => &["type", "activation"],
                other => {
                    return Err(self.err(&format!("{p}.type"), &format!("unknown layer type `{other}` (expected flatten, dense, conv2d, max_pool2d, dropout or activation)")))
                }
            };
            self.check_keys(&p, l, keys)?;
            for k in ["units", "filters"] {
                if keys.contains(&k) && self.opt_int(&p, l, k, 1)?.is_none() {
                    return Err(self.err(&p, &format!("missing key `{k}`")));
                }
            }
            for k in ["kernel_size", "strides", "pool_size"] {
                // train reads an int or [h, w] here (not "HxW").
                if matches!(l.get(k), Some(Value::String(_))) {
                    return Err(self.err(&format!("{p}.{k}"), "expected a positive whole number or [h, w]"));
                }
                self.opt_pair(&p, l, k)?;
            }
            if ty == "conv2d" && !l.contains_key("kernel_size") {
                return Err(self.err(&p, "missing key `kernel_size`"));
            }
            if let Some(a) = self.opt_str(&p, l, "activation")? {
                if !["relu", "sigmoid", "tanh", "softmax", "linear"].contains(&a.as_str()) {
                    return Err(self.err(&format!("{p}.activation"), &format!("unknown activation `{a}` (expected relu, sigmoid, tanh, softmax or linear)")));
                }
            }
            if let Some(pd) = self.opt_str(&p, l, "padding")? {
                if pd != "same" && pd != "valid" {
                    return Err(self.err(&format!("{p}.padding"), "expected same or valid"));
                }
            }
            if ty == "dropout" && self.opt_float(&p, l, "rate", 0.0, 0.999)?.is_none() {
                return Err(self.err(&p, "missing key `rate`"));
            }
        }
        Ok(())
    }
}

/// Nested tables → (dotted key path, leaf value). Arrays are leaves.
fn flatten_overrides(prefix: &str, t: &Table, out: &mut Vec<(String, Value)>) {
    for (k, v) in t {
        let p = join_path(prefix, k);
        match v {
            Value::Table(inner) if !inner.is_empty() => flatten_overrides(&p, inner, out),
            _ => out.push((p, v.clone())),
        }
    }
}

/// Sets `path` (dots; whole numbers index arrays) in `t` to `value`; missing
/// table keys are created (and then caught by the key check as unknown).
fn set_path(t: &mut Table, path: &str, value: Value) -> std::result::Result<(), String> {
    let mut root = Value::Table(std::mem::take(t));
    let parts: Vec<&str> = path.split('.').collect();
    let r = set_in(&mut root, &parts, value);
    if let Value::Table(back) = root {
        *t = back;
    }
    r
}

fn set_in(v: &mut Value, parts: &[&str], value: Value) -> std::result::Result<(), String> {
    let (head, rest) = (parts[0], &parts[1..]);
    match v {
        Value::Table(t) => {
            if rest.is_empty() {
                t.insert(head.to_string(), value);
                return Ok(());
            }
            let child = t.entry(head.to_string()).or_insert_with(|| Value::Table(Table::new()));
            set_in(child, rest, value)
        }
        Value::Array(a) => {
            let len = a.len();
            let i: usize = head.parse().map_err(|_| format!("`{head}` must be an index into a list of {len} items"))?;
            let child = a.get_mut(i).ok_or_else(|| format!("index {i} is past the end of the list ({len} items, counted from 0)"))?;
            if rest.is_empty() {
                *child = value;
                Ok(())
            } else {
                set_in(child, rest, value)
            }
        }
        other => Err(format!("cannot set `{head}` inside a {}", other.type_str())),
    }
}

/// `key = value` for the report; a layer list as `flatten → dense 30 relu → …`.
fn describe_change(key: &str, value: &Value) -> String {
    if let Value::Array(items) = value {
        if !items.is_empty() && items.iter().all(|v| v.get("type").is_some()) {
            let layer = |l: &Value| {
                let mut parts = vec![l["type"].as_str().unwrap_or("?").to_string()];
                for k in ["units", "filters", "kernel_size", "pool_size", "rate", "activation"] {
                    if let Some(v) = l.get(k) {
                        parts.push(value_label(v));
                    }
                }
                parts.join(" ")
            };
            return format!("{key}: {}", items.iter().map(layer).collect::<Vec<_>>().join(" → "));
        }
    }
    format!("{key} = {value}")
}

/// A run-name fragment for a sweep value: `40`, `0.01`, `7x7`, `adam`.
fn value_label(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Integer(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Boolean(b) => b.to_string(),
        Value::Array(a) => a.iter().map(value_label).collect::<Vec<_>>().join("x"),
        other => other.to_string(),
    }
}

fn check_name_chars(name: &str) -> std::result::Result<(), String> {
    let ok = !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !name.starts_with(['.', '-']);
    if ok {
        Ok(())
    } else {
        Err(format!("`{name}` is not a usable name (letters, digits, `-`, `_`, `.`; it becomes a file name and a make target)"))
    }
}

/// A feature set back as its manifest table (to apply variant overrides to).
fn feature_table(fs: &FeatureSet) -> Table {
    let mut t = Table::new();
    t.insert("method".into(), Value::String(fs.method.name().into()));
    t.insert("from".into(), Value::String(fs.from.clone()));
    if let FeatureMethod::Hog { orientations, pixels_per_cell, cells_per_block, block_norm, transform_sqrt } = &fs.method {
        let pair = |(h, w): (i64, i64)| Value::Array(vec![Value::Integer(h), Value::Integer(w)]);
        if let Some(o) = orientations {
            t.insert("orientations".into(), Value::Integer(*o));
        }
        if let Some(p) = pixels_per_cell {
            t.insert("pixels_per_cell".into(), pair(*p));
        }
        if let Some(p) = cells_per_block {
            t.insert("cells_per_block".into(), pair(*p));
        }
        if let Some(n) = block_norm {
            t.insert("block_norm".into(), Value::String(n.clone()));
        }
        if *transform_sqrt {
            t.insert("transform_sqrt".into(), Value::Boolean(true));
        }
    }
    t
}

/// The spec file `train --spec` reads: the run's spec as TOML, preceded by comments.
pub fn spec_toml(spec: &Table, header_comments: &[String]) -> Result<String> {
    let mut s = String::new();
    for c in header_comments {
        s.push_str("# ");
        s.push_str(c);
        s.push('\n');
    }
    s.push_str(&toml::to_string(spec).context("cannot write the model spec as TOML")?);
    Ok(s)
}

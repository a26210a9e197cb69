//! Reading `pipeline.toml`: the TOML with the line of every key, the [`Document`] that
//! serde reads from it, and the [`Locator`] whose messages say `FILE line N: key.path: problem`.

use std::collections::HashMap;
use std::path::Path;

use params::{EvalParams, ParamError};
use toml::{Table, Value};

use super::error::toml_syntax;
use super::schema::{BaselineTable, Document, EvaluationTable};
use super::{
    Dataset, DatasetSource, Evaluation, Experiment, FeatureSet, FolderRoot, Manifest,
    ManifestError, Result, Run, RunInput, Trainer, MAX_NAME_BYTES, RESERVED_NAMES,
};

impl Manifest {
    /// Reads and checks `path`.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|error| ManifestError::Read { path: path.to_path_buf(), error })?;
        Self::parse(&text, path)
    }

    /// Parses manifest text; `file` is only used in messages and make rules.
    pub fn parse(text: &str, file: &Path) -> Result<Self> {
        let fname = file.display().to_string();
        let root: Table = toml::from_str(text).map_err(|e| {
            let (line, message, snippet) = toml_syntax(text, &e);
            ManifestError::Toml { file: fname.clone(), line, message, snippet }
        })?;
        let at = Locator { file: fname, lines: key_lines(text) };
        at.refuse_control_characters("", &Value::Table(root.clone()))?;
        let doc: Document = params::from_table(root).map_err(|e| at.refused("", e))?;

        let eval_defaults = match &doc.evaluation {
            None => Evaluation::default(),
            Some(t) => at.evaluation("evaluation", t, &Evaluation::default())?,
        };
        let mut names = Names::default();

        let mut datasets = Vec::new();
        for (name, table) in at.in_file_order("datasets", doc.datasets) {
            let path = format!("datasets.{name}");
            at.check_name(&path, &name, &mut names)?;
            datasets.push(at.dataset(&path, &name, table)?);
        }
        at.resolve_synthetic_roots(&mut datasets)?;

        let mut feature_sets = Vec::new();
        for (name, table) in at.in_file_order("features", doc.features) {
            let path = format!("features.{name}");
            at.check_name(&path, &name, &mut names)?;
            feature_sets.push(at.feature_set(&path, &name, table, &datasets)?);
        }

        let mut experiments = Vec::new();
        let mut runs = Vec::new();
        for (name, table) in at.in_file_order("models", doc.models) {
            let path = format!("models.{name}");
            at.check_name(&path, &name, &mut names)?;
            let model = params::from_table(table).map_err(|e| at.refused(&path, e))?;
            let mut declared = super::variants::Declared {
                datasets: &datasets,
                feature_sets: &mut feature_sets,
                eval_defaults: &eval_defaults,
                names: &mut names,
            };
            let (experiment, model_runs) = at.model(&path, &name, model, &mut declared)?;
            experiments.push(experiment);
            runs.extend(model_runs);
        }
        for (name, table) in at.in_file_order("baselines", doc.baselines) {
            let path = format!("baselines.{name}");
            at.check_name(&path, &name, &mut names)?;
            let (experiment, run) =
                at.baseline(&path, &name, table, &datasets, &feature_sets, &eval_defaults)?;
            experiments.push(experiment);
            runs.push(run);
        }
        at.check_warm_starts(&runs)?;
        Ok(Manifest {
            file: file.to_path_buf(),
            settings: doc.settings,
            datasets,
            feature_sets,
            experiments,
            runs,
        })
    }
}

pub(super) fn input_synthetic(
    input: &RunInput,
    datasets: &[Dataset],
    features: &[FeatureSet],
) -> bool {
    match input {
        RunInput::Dataset(d) => datasets.iter().any(|x| &x.name == d && x.synthetic),
        RunInput::Features(f) => features.iter().any(|x| &x.name == f && x.synthetic),
    }
}

/// Line (1-based) of every key path (`models.mlp.layers.2.units`) in `text`.
/// (Called on text that already parsed as TOML; a document that does not gives no lines.)
pub(super) fn key_lines(text: &str) -> HashMap<String, usize> {
    let Ok(doc) = toml::de::DeTable::parse(text) else { return HashMap::new() };
    // Offsets where each line starts: a key's line is a binary search, not a count
    // of the newlines before it (which would be quadratic in the manifest's size).
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(text.bytes().enumerate().filter(|&(_, b)| b == b'\n').map(|(i, _)| i + 1))
        .collect();
    let line_of = |offset: usize| line_starts.partition_point(|&start| start <= offset);
    let mut out = HashMap::new();
    pub(super) fn walk(
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
    out
}

pub(super) fn join_path(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

/// Where each key of the manifest is, for messages: the file name and the line of every
/// key path.
pub(super) struct Locator {
    pub(super) file: String,
    pub(super) lines: HashMap<String, usize>,
}

/// The names declared so far (datasets, feature sets, models, runs, baselines) and where:
/// one namespace, because each names files and make targets.
#[derive(Default)]
pub(super) struct Names(HashMap<String, String>);

impl Locator {
    /// The line of `path`, or of its nearest ancestor that has one.
    pub(super) fn line(&self, path: &str) -> usize {
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

    /// `FILE line N: path: msg`.
    pub(super) fn err(&self, path: &str, msg: &str) -> ManifestError {
        ManifestError::Key {
            file: self.file.clone(),
            line: self.line(path),
            key: path.to_string(),
            message: msg.to_string(),
        }
    }

    /// A refusal of the table at `path` (serde's or a stage's), at the line of the refused key.
    pub(super) fn refused(&self, path: &str, e: ParamError) -> ManifestError {
        self.err(&join_path(path, &e.key), &e.message)
    }

    /// Every key and string of the manifest may end up in a make rule or a file name;
    /// a newline there would start a make line of its own (make injection), so no
    /// control character is accepted anywhere.
    pub(super) fn refuse_control_characters(&self, path: &str, v: &Value) -> Result<()> {
        let bad = |s: &str| s.chars().any(char::is_control);
        match v {
            Value::String(s) if bad(s) => Err(self.err(
                path,
                &format!("{s:?} holds a control character (newline, tab, …), which a make rule cannot carry"),
            )),
            Value::Table(t) => t.iter().try_for_each(|(k, v)| {
                let key = join_path(path, k);
                if bad(k) {
                    return Err(self.err(path, &format!("the key {k:?} holds a control character (newline, tab, …)")));
                }
                self.refuse_control_characters(&key, v)
            }),
            Value::Array(a) => a
                .iter()
                .enumerate()
                .try_for_each(|(i, v)| self.refuse_control_characters(&join_path(path, &i.to_string()), v)),
            _ => Ok(()),
        }
    }

    /// A reference to a name that is not declared, with those that are.
    pub(super) fn dangling<'a>(
        &self,
        path: &str,
        name: &str,
        what: &str,
        known: impl Iterator<Item = &'a str>,
    ) -> ManifestError {
        let known: Vec<&str> = known.collect();
        self.err(
            path,
            &format!(
                "no {what} named `{name}` (declared: {})",
                if known.is_empty() { "none".to_string() } else { known.join(", ") }
            ),
        )
    }

    /// `name` is usable as a file name and make target, not reserved, and not taken.
    pub(super) fn check_name(&self, path: &str, name: &str, names: &mut Names) -> Result<()> {
        check_name_chars(name).map_err(|m| self.err(path, &m))?;
        if RESERVED_NAMES.contains(&name) {
            return Err(self.err(
                path,
                &format!("`{name}` is reserved for a Makefile target; choose another name"),
            ));
        }
        if let Some(other) = names.0.get(name) {
            return Err(self.err(path, &format!("name `{name}` is already used by {other}")));
        }
        names.0.insert(name.to_string(), path.to_string());
        Ok(())
    }

    /// The `[SECTION.NAME]` entries in the order the file declares them.
    pub(super) fn in_file_order<T>(
        &self,
        section: &str,
        entries: impl IntoIterator<Item = (String, T)>,
    ) -> Vec<(String, T)> {
        let mut entries: Vec<_> = entries.into_iter().collect();
        entries.sort_by_key(|(name, _)| self.line(&join_path(section, name)));
        entries
    }

    /// An `evaluation` table: `split`, and `evaluate`'s own parameters read by their
    /// type ([`EvalParams`]); what it leaves unset comes from `defaults`.
    pub(super) fn evaluation(
        &self,
        path: &str,
        t: &EvaluationTable,
        defaults: &Evaluation,
    ) -> Result<Evaluation> {
        let p = EvalParams::from_table(t.params.clone()).map_err(|e| self.refused(path, e))?;
        let d = &defaults.params;
        Ok(Evaluation {
            split: t.split.clone().unwrap_or_else(|| defaults.split.clone()),
            params: EvalParams {
                threshold: p.threshold.or(d.threshold),
                min_recall: p.min_recall.or(d.min_recall),
                batch_size: p.batch_size.or(d.batch_size),
            },
        })
    }

    /// `[baselines.NAME]`: its experiment and its one run.
    pub(super) fn baseline(
        &self,
        path: &str,
        name: &str,
        t: BaselineTable,
        datasets: &[Dataset],
        feature_sets: &[FeatureSet],
        eval_defaults: &Evaluation,
    ) -> Result<(Experiment, Run)> {
        let input = self.run_input(path, t.data, t.features, datasets, feature_sets)?;
        let evaluation = match &t.evaluation {
            Some(e) => self.evaluation(&format!("{path}.evaluation"), e, eval_defaults)?,
            None => eval_defaults.clone(),
        };
        let run = Run {
            name: name.to_string(),
            experiment: name.to_string(),
            variant: None,
            changes: vec![],
            synthetic: input_synthetic(&input, datasets, feature_sets),
            input,
            trainer: Trainer::Baseline { method: t.method.name().to_string() },
            evaluation,
            line: self.line(path),
            init_from: None,
        };
        self.check_run_splits(path, &run, datasets, feature_sets)?;
        let experiment = Experiment {
            name: name.to_string(),
            title: t.title.unwrap_or_else(|| format!("{name} baseline")),
            line: run.line,
            is_baseline: true,
            runs: vec![name.to_string()],
        };
        Ok((experiment, run))
    }

    /// Every `init_from` names another run that is a network, and no run waits on itself
    /// through a chain of them.
    pub(super) fn check_warm_starts(&self, runs: &[Run]) -> Result<()> {
        for run in runs {
            let Some(first) = &run.init_from else { continue };
            let path = format!("{}.init_from", self.run_path(run));
            let mut seen = vec![run.name.as_str()];
            let mut next = Some(first);
            while let Some(name) = next {
                let Some(from) = runs.iter().find(|r| &r.name == name) else {
                    return Err(self.dangling(
                        &path,
                        name,
                        "run",
                        runs.iter().map(|r| r.name.as_str()),
                    ));
                };
                if !matches!(from.trainer, Trainer::Network { .. }) {
                    return Err(self.err(&path, &format!("run `{name}` is a baseline; a network starts only from a network's weights")));
                }
                if seen.contains(&name.as_str()) {
                    seen.push(name);
                    return Err(self.err(
                        &path,
                        &format!(
                            "the runs start from each other in a circle: {}",
                            seen.join(" ← ")
                        ),
                    ));
                }
                seen.push(name);
                next = from.init_from.as_ref();
            }
        }
        Ok(())
    }

    /// The key path of a run's table: `models.M` or `models.M.variants.V` (a sweep's
    /// runs, `models.M.sweep`).
    fn run_path(&self, run: &Run) -> String {
        match &run.variant {
            None => format!("models.{}", run.experiment),
            Some(v)
                if self.lines.contains_key(&format!("models.{}.variants.{v}", run.experiment)) =>
            {
                format!("models.{}.variants.{v}", run.experiment)
            }
            Some(_) => format!("models.{}.sweep", run.experiment),
        }
    }

    /// A `folders` dataset's `from` names a `synth-xray` dataset, whose images it reads.
    pub(super) fn resolve_synthetic_roots(&self, datasets: &mut [Dataset]) -> Result<()> {
        for i in 0..datasets.len() {
            let DatasetSource::Folders { root: FolderRoot::Synthetic(src), .. } =
                &datasets[i].source
            else {
                continue;
            };
            let path = format!("datasets.{}.from", datasets[i].name);
            match datasets.iter().find(|x| &x.name == src) {
                Some(Dataset { source: DatasetSource::SynthXray(_), .. }) => {}
                Some(_) => {
                    return Err(self.err(&path, &format!("`{src}` is not a synth-xray dataset")))
                }
                None => {
                    return Err(self.dangling(
                        &path,
                        src,
                        "dataset",
                        datasets.iter().map(|d| d.name.as_str()),
                    ))
                }
            }
            datasets[i].synthetic = true;
        }
        Ok(())
    }
}

pub(super) fn check_name_chars(name: &str) -> std::result::Result<(), String> {
    if name.len() > MAX_NAME_BYTES {
        let start: String = name.chars().take(16).collect();
        return Err(format!(
            "the name `{start}…` is {} bytes long; names are at most {MAX_NAME_BYTES} bytes (files are named after them)",
            name.len()
        ));
    }
    let ok = !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !name.starts_with(['.', '-']);
    if ok {
        Ok(())
    } else {
        Err(format!("`{name}` is not a usable name (letters, digits, `-`, `_`, `.`; it becomes a file name and a make target)"))
    }
}

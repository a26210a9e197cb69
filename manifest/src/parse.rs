//! Reading `pipeline.toml`: the TOML with the line of every key, the `[settings]` and
//! `[evaluation]` tables, and the parse context [`Cx`] whose messages say
//! `FILE line N: key.path: problem`.

use std::collections::HashMap;
use std::path::Path;

use params::{EvalParams, ParamError};
use toml::{Table, Value};

use super::error::toml_syntax;
use super::{
    Dataset, DatasetSource, Evaluation, Experiment, FeatureSet, FolderRoot, Manifest,
    ManifestError, Result, Run, RunInput, Settings, Trainer, MAX_NAME_BYTES, RESERVED_NAMES,
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
            let (line, message) = toml_syntax(text, &e);
            ManifestError::Toml { file: fname.clone(), line, message }
        })?;
        let lines = key_lines(text);
        let cx = Cx { file: fname, lines };
        cx.refuse_control_characters("", &Value::Table(root.clone()))?;
        cx.check_keys(
            "",
            &root,
            &["settings", "datasets", "features", "models", "baselines", "evaluation"],
        )?;

        let settings = match root.get("settings") {
            None => Settings { out: "out".into(), report: "report".into() },
            Some(v) => {
                let t = cx.table("settings", v)?;
                cx.check_keys("settings", t, &["out", "report"])?;
                Settings {
                    out: cx.opt_str("settings", t, "out")?.unwrap_or_else(|| "out".into()).into(),
                    report: cx
                        .opt_str("settings", t, "report")?
                        .unwrap_or_else(|| "report".into())
                        .into(),
                }
            }
        };
        let eval_defaults = match root.get("evaluation") {
            None => Evaluation::default(),
            Some(v) => {
                let t = cx.table("evaluation", v)?;
                cx.evaluation("evaluation", t, &Evaluation::default())?
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
                    Some(Dataset { source: DatasetSource::SynthXray(_), .. }) => {
                        dataset_list[i].synthetic = true
                    }
                    Some(_) => {
                        return Err(cx.err(&path, &format!("`{src}` is not a synth-xray dataset")))
                    }
                    None => {
                        return Err(cx.dangling(
                            &path,
                            src,
                            "dataset",
                            dataset_list.iter().map(|d| d.name.as_str()),
                        ))
                    }
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
            cx.model(
                &path,
                name,
                t,
                &dataset_list,
                &mut feature_sets,
                &eval_defaults,
                &mut experiments,
                &mut runs,
                &mut names,
            )?;
        }
        for (name, t) in &cx.sections(&root, "baselines")? {
            let path = format!("baselines.{name}");
            cx.check_name(&path, name, &mut names)?;
            cx.check_keys(&path, t, &["title", "method", "data", "features", "evaluation"])?;
            let method = cx.req_str(&path, t, "method")?;
            if method != "logistic" {
                return Err(cx.err(
                    &format!("{path}.method"),
                    &format!("unknown baseline `{method}` (expected logistic)"),
                ));
            }
            let input = cx.run_input(&path, t, &dataset_list, &feature_sets)?;
            let evaluation = match t.get("evaluation") {
                Some(v) => cx.evaluation(
                    &format!("{path}.evaluation"),
                    cx.table(&format!("{path}.evaluation"), v)?,
                    &eval_defaults,
                )?,
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
                title: cx
                    .opt_str(&path, t, "title")?
                    .unwrap_or_else(|| format!("{} baseline", name)),
                line: run.line,
                is_baseline: true,
                runs: vec![name.clone()],
            });
            runs.push(run);
        }
        Ok(Manifest {
            file: file.to_path_buf(),
            settings,
            datasets: dataset_list,
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

/// Parse context: the file name and the line of every key, for messages.
pub(super) struct Cx {
    pub(super) file: String,
    pub(super) lines: HashMap<String, usize>,
}

impl Cx {
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

    pub(super) fn err(&self, path: &str, msg: &str) -> ManifestError {
        ManifestError::Key {
            file: self.file.clone(),
            line: self.line(path),
            key: path.to_string(),
            message: msg.to_string(),
        }
    }

    /// A stage's refusal of the table at `path`, at the line of the refused key.
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

    pub(super) fn param_err(&self, path: &str, e: ParamError) -> ManifestError {
        self.err(&join_path(path, &e.key), &e.message)
    }

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

    pub(super) fn check_keys(&self, path: &str, t: &Table, allowed: &[&str]) -> Result<()> {
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

    pub(super) fn check_name(
        &self,
        path: &str,
        name: &str,
        names: &mut HashMap<String, String>,
    ) -> Result<()> {
        check_name_chars(name).map_err(|m| self.err(path, &m))?;
        if RESERVED_NAMES.contains(&name) {
            return Err(self.err(
                path,
                &format!("`{name}` is reserved for a Makefile target; choose another name"),
            ));
        }
        if let Some(other) = names.get(name) {
            return Err(self.err(path, &format!("name `{name}` is already used by {other}")));
        }
        names.insert(name.to_string(), path.to_string());
        Ok(())
    }

    pub(super) fn table<'a>(&self, path: &str, v: &'a Value) -> Result<&'a Table> {
        v.as_table()
            .ok_or_else(|| self.err(path, &format!("expected a table, found {}", v.type_str())))
    }

    /// The entries of `[SECTION.NAME]` tables, in file order.
    pub(super) fn sections<'a>(
        &self,
        root: &'a Table,
        section: &str,
    ) -> Result<Vec<(String, &'a Table)>> {
        let Some(v) = root.get(section) else { return Ok(vec![]) };
        let t = self.table(section, v)?;
        let mut out = Vec::new();
        for (k, v) in t {
            out.push((k.clone(), self.table(&join_path(section, k), v)?));
        }
        out.sort_by_key(|(k, _)| self.line(&join_path(section, k)));
        Ok(out)
    }

    pub(super) fn opt_str(&self, path: &str, t: &Table, key: &str) -> Result<Option<String>> {
        match t.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(v) => Err(self
                .err(&join_path(path, key), &format!("expected a string, found {}", v.type_str()))),
        }
    }
    pub(super) fn req_str(&self, path: &str, t: &Table, key: &str) -> Result<String> {
        self.opt_str(path, t, key)?.ok_or_else(|| self.err(path, &format!("missing key `{key}`")))
    }

    /// An `evaluation` table: `split`, and `evaluate`'s own parameters read by their
    /// type ([`EvalParams`]); what it leaves unset comes from `defaults`.
    pub(super) fn evaluation(
        &self,
        path: &str,
        t: &Table,
        defaults: &Evaluation,
    ) -> Result<Evaluation> {
        let mut table = t.clone();
        let split = self.opt_str(path, t, "split")?.unwrap_or_else(|| defaults.split.clone());
        table.remove("split");
        let p = EvalParams::from_table(table).map_err(|e| self.param_err(path, e))?;
        let d = &defaults.params;
        Ok(Evaluation {
            split,
            params: EvalParams {
                threshold: p.threshold.or(d.threshold),
                min_recall: p.min_recall.or(d.min_recall),
                batch_size: p.batch_size.or(d.batch_size),
            },
        })
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

//! `[models.X]` with its variants and sweeps: each becomes a run whose spec is the
//! model table with the variant's overrides applied, read as `train` reads it.

use params::ModelSpec;
use toml::{Table, Value};

use super::parse::{check_name_chars, input_synthetic, join_path, Locator, Names};
use super::schema::{FeatureMethodName, FeatureTable, ModelTable, RunTable};
use super::{
    Dataset, Evaluation, Experiment, FeatureMethod, FeatureSet, Result, Run, RunInput, Trainer,
};

/// What a model's runs refer to and add to: the declarations read before the models,
/// the feature sets that variants derive, and the names taken.
pub(super) struct Declared<'a> {
    pub datasets: &'a [Dataset],
    pub feature_sets: &'a mut Vec<FeatureSet>,
    pub eval_defaults: &'a Evaluation,
    pub names: &'a mut Names,
}

/// A variant before it is a run.
struct Variant {
    /// `hidden3`, `epochs40`.
    name: String,
    /// The table its override keys are relative to: `models.M.variants.NAME`, or
    /// `models.M.sweep` for a sweep value.
    path: String,
    /// Where messages about the variant itself point: its table, or the swept key.
    at: String,
    /// The line of its declaration (of the swept key, for a sweep).
    line: usize,
    /// Its overrides: dotted key path → value.
    overrides: Vec<(String, Value)>,
}

impl Locator {
    /// `[models.NAME]`: its experiment and runs, the base run first, then its variants
    /// (named ones in file order, then the sweep's values).
    pub(super) fn model(
        &self,
        path: &str,
        name: &str,
        model: ModelTable,
        declared: &mut Declared<'_>,
    ) -> Result<(Experiment, Vec<Run>)> {
        let line = self.line(path);
        let mut variants = Vec::new();
        for (vname, body) in self.in_file_order(&format!("{path}.variants"), model.variants) {
            let vpath = format!("{path}.variants.{vname}");
            let mut overrides = Vec::new();
            flatten_overrides("", &body, &mut overrides);
            if overrides.is_empty() {
                return Err(self.err(&vpath, "a variant must change at least one key"));
            }
            variants.push(Variant {
                name: vname,
                line: self.line(&vpath),
                at: vpath.clone(),
                path: vpath,
                overrides,
            });
        }
        let spath = format!("{path}.sweep");
        let mut leaves = Vec::new();
        flatten_overrides("", &model.sweep, &mut leaves);
        for (key, values) in self.in_file_order(&spath, leaves) {
            let kpath = format!("{spath}.{key}");
            let Value::Array(values) = values else {
                return Err(self.err(
                    &kpath,
                    "a sweep maps a key path to a list of values, e.g. epochs = [20, 40]",
                ));
            };
            let label = key.split('.').rev().find(|s| s.parse::<usize>().is_err()).unwrap_or(&key);
            for value in values {
                variants.push(Variant {
                    name: format!("{label}{}", value_label(&value)),
                    path: spath.clone(),
                    at: kpath.clone(),
                    line: self.line(&kpath),
                    overrides: vec![(key.clone(), value)],
                });
            }
        }

        let base = self.network_run(path, name, name, None, &model.run, &[], declared, line)?;
        let title = base.1.unwrap_or_else(|| name.to_string());
        let mut runs = vec![base.0];
        for v in variants {
            let refused_name = |m: String| self.err(&v.at, &format!("variant name: {m}"));
            check_name_chars(&v.name).map_err(refused_name)?;
            let run_name = format!("{name}-{}", v.name);
            self.check_name(&v.at, &run_name, declared.names)
                .map_err(|e| e.with_note(&format!("variant `{}` of model `{name}`", v.name)))?;
            let (run, _) = self.network_run(
                &v.path,
                name,
                &run_name,
                Some(&v.name),
                &model.run,
                &v.overrides,
                declared,
                v.line,
            )?;
            runs.push(run);
        }
        let experiment = Experiment {
            name: name.to_string(),
            title,
            line,
            is_baseline: false,
            runs: runs.iter().map(|r| r.name.clone()).collect(),
        };
        Ok((experiment, runs))
    }

    /// One run of a model: its table with `overrides` applied, read as a [`RunTable`] and
    /// checked; with the run's `title`, if set.
    #[allow(clippy::too_many_arguments)]
    fn network_run(
        &self,
        path: &str,
        experiment: &str,
        run_name: &str,
        variant: Option<&str>,
        model: &Table,
        overrides: &[(String, Value)],
        declared: &mut Declared<'_>,
        line: usize,
    ) -> Result<(Run, Option<String>)> {
        let mut t = model.clone();
        let mut feature_overrides = Table::new();
        let mut changes = Vec::new();
        for (key, value) in overrides {
            let kpath = format!("{path}.{key}");
            changes.push(describe_change(key, value, model));
            if let Some(fkey) = key.strip_prefix("features.") {
                feature_overrides.insert(fkey.to_string(), value.clone());
                continue;
            }
            set_path(&mut t, key, value.clone()).map_err(|m| self.err(&kpath, &m))?;
        }
        // A variant's model is named after its run (its summary says `Model: "mlp-hidden3"`),
        // unless the variant names it.
        if variant.is_some()
            && t.contains_key("name")
            && !overrides.iter().any(|(k, _)| k == "name")
        {
            t.insert("name".into(), Value::String(run_name.to_string()));
        }
        // Checked at the model, or at the variant that changed it (`path`).
        let run: RunTable = params::from_table(t).map_err(|e| self.refused(path, e))?;
        let datasets = declared.datasets;
        let mut input =
            self.run_input(path, run.data, run.features, datasets, declared.feature_sets)?;
        if !feature_overrides.is_empty() {
            let RunInput::Features(base_fs) = &input else {
                return Err(self.err(path, "`features.KEY` overrides need a model that reads a feature set (`features = ...`)"));
            };
            // A derived feature set: the declared one with the overridden parameters.
            let base = declared.feature_sets.iter().find(|f| &f.name == base_fs).unwrap().clone();
            let mut ft = feature_table(&base);
            ft.params.extend(feature_overrides);
            let derived_name = format!(
                "{}-{}",
                base.derived_from.as_deref().unwrap_or(&base.name),
                variant.unwrap_or("variant")
            );
            // Lines of the override keys are those of the variant.
            let mut fs = self.feature_set(path, &derived_name, ft, datasets)?;
            fs.derived_from = Some(base.name.clone());
            fs.line = line;
            match declared.feature_sets.iter().find(|f| f.name == derived_name) {
                Some(existing) if existing.method == fs.method && existing.from == fs.from => {}
                Some(_) => return Err(self.err(path, &format!("derived feature set `{derived_name}` already exists with other parameters; rename the variant"))),
                None => declared.feature_sets.push(fs),
            }
            input = RunInput::Features(derived_name);
        }
        let evaluation = match &run.evaluation {
            Some(e) => self.evaluation(&format!("{path}.evaluation"), e, declared.eval_defaults)?,
            None => declared.eval_defaults.clone(),
        };
        let typed = ModelSpec::from_table(run.spec.clone()).map_err(|e| self.refused(path, e))?;
        let feature_sets = &*declared.feature_sets;
        let result = Run {
            name: run_name.to_string(),
            experiment: experiment.to_string(),
            variant: variant.map(str::to_string),
            changes,
            synthetic: input_synthetic(&input, datasets, feature_sets),
            input,
            trainer: Trainer::Network { table: run.spec, spec: Box::new(typed) },
            evaluation,
            line,
            init_from: run.init_from,
        };
        self.check_run_splits(path, &result, datasets, feature_sets)?;
        Ok((result, run.title))
    }
}

/// Nested tables → (dotted key path, leaf value). Arrays are leaves.
pub(super) fn flatten_overrides(prefix: &str, t: &Table, out: &mut Vec<(String, Value)>) {
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
pub(super) fn set_path(t: &mut Table, path: &str, value: Value) -> std::result::Result<(), String> {
    let mut root = Value::Table(std::mem::take(t));
    let parts: Vec<&str> = path.split('.').collect();
    let r = set_in(&mut root, &parts, value);
    if let Value::Table(back) = root {
        *t = back;
    }
    r
}

pub(super) fn set_in(
    v: &mut Value,
    parts: &[&str],
    value: Value,
) -> std::result::Result<(), String> {
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
            let i: usize = head
                .parse()
                .map_err(|_| format!("`{head}` must be an index into a list of {len} items"))?;
            let child = a.get_mut(i).ok_or_else(|| {
                format!("index {i} is past the end of the list ({len} items, counted from 0)")
            })?;
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

/// The Keras-style name of layer `index` of a model table (`dense_3` for the third
/// dense layer), as `train`'s summary names it.
fn layer_name(model: &Table, index: usize) -> Option<String> {
    let layers = model.get("layers")?.as_array()?;
    layers.get(index)?.get("type")?.as_str()?;
    let types = layers[..=index].iter().map(|l| l.get("type").and_then(Value::as_str));
    let mut names = params::keras_names::LayerNames::default();
    types.map(|t| names.next(params::keras_names::keras_prefix(t.unwrap_or("")))).last()
}

/// `key = value` for the report; a layer list as `flatten → dense 30 relu → …`; a
/// key inside one layer by the layer's name: `dense_3.units = 20 (layers.7.units)`.
pub(super) fn describe_change(key: &str, value: &Value, model: &Table) -> String {
    let mut parts = key.splitn(3, '.');
    if let (Some("layers"), Some(index), Some(rest)) = (parts.next(), parts.next(), parts.next()) {
        if let Some(name) = index.parse().ok().and_then(|i| layer_name(model, i)) {
            return format!("{name}.{rest} = {value} ({key})");
        }
    }
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
pub(super) fn value_label(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Integer(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Boolean(b) => b.to_string(),
        Value::Array(a) => a.iter().map(value_label).collect::<Vec<_>>().join("x"),
        other => other.to_string(),
    }
}

/// A feature set back as its manifest table (to apply variant overrides to).
fn feature_table(fs: &FeatureSet) -> FeatureTable {
    let (method, params) = match &fs.method {
        FeatureMethod::Pixels => (FeatureMethodName::Pixels, Table::new()),
        FeatureMethod::Hog(params) => (
            FeatureMethodName::Hog,
            Table::try_from(params).expect("HOG parameters serialize to a table"),
        ),
        FeatureMethod::Command(c) => (
            FeatureMethodName::Command,
            Table::try_from(c).expect("a command serializes to a table"),
        ),
    };
    let compression = match fs.method {
        FeatureMethod::Command(_) => None,
        _ => Some(fs.compression),
    };
    FeatureTable { method, from: fs.from.clone(), compression, params }
}

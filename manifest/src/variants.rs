//! `[models.X]` with its variants and sweeps: each becomes a run whose spec is the
//! model table with the variant's overrides applied, read as `train` reads it.

use std::collections::HashMap;

use params::ModelSpec;
use toml::{Table, Value};

use super::parse::{check_name_chars, input_synthetic, join_path, Cx};
use super::{
    Dataset, Evaluation, Experiment, FeatureMethod, FeatureSet, Result, Run, RunInput, Trainer,
    MODEL_PIPELINE_KEYS,
};

/// A variant before it is a run: its name, the key path it was declared at, and its
/// overrides (dotted key path → value).
type Variant = (String, String, Vec<(String, Value)>);

impl Cx {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn model(
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
        // Keys other than the pipeline's own are `train`'s spec, checked by its type.
        let title = self.opt_str(path, t, "title")?.unwrap_or_else(|| name.to_string());
        let line = self.line(path);

        // The variants: named ones (`[models.X.variants.NAME]`, overrides) and sweeps
        // (`[models.X.sweep]`, key path → list of values, one run per value).
        let mut variants: Vec<Variant> = Vec::new();
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
                    return Err(self.err(
                        &kpath,
                        "a sweep maps a key path to a list of values, e.g. epochs = [20, 40]",
                    ));
                };
                let label = key
                    .split('.')
                    .rev()
                    .find(|s| s.parse::<usize>().is_err())
                    .unwrap_or(&key)
                    .to_string();
                for value in values {
                    let vname = format!("{label}{}", value_label(&value));
                    variants.push((vname, kpath.clone(), vec![(key.clone(), value)]));
                }
            }
        }

        // Every run starts from the model table without its variants: cloning those
        // once per variant would make a model with n variants cost n².
        let model_table: Table = t
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "variants" | "sweep"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let mut experiment =
            Experiment { name: name.to_string(), title, line, is_baseline: false, runs: vec![] };
        let base = self.network_run(
            path,
            name,
            name,
            None,
            &model_table,
            &[],
            datasets,
            feature_sets,
            eval_defaults,
            line,
        )?;
        experiment.runs.push(base.name.clone());
        runs.push(base);
        for (vname, vpath, overrides) in variants {
            check_name_chars(&vname)
                .map_err(|m| self.err(&vpath, &format!("variant name: {m}")))?;
            let run_name = format!("{name}-{vname}");
            self.check_name(&vpath, &run_name, names)
                .map_err(|e| e.with_note(&format!("variant `{vname}` of model `{name}`")))?;
            let run = self.network_run(
                &vpath,
                name,
                &run_name,
                Some(&vname),
                &model_table,
                &overrides,
                datasets,
                feature_sets,
                eval_defaults,
                self.line(&vpath),
            )?;
            experiment.runs.push(run.name.clone());
            runs.push(run);
        }
        experiments.push(experiment);
        Ok(())
    }

    /// One run of a model: its table with `overrides` applied, checked.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn network_run(
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
        // `model` comes without `variants` and `sweep`.
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
            let derived_name = format!(
                "{}-{}",
                base.derived_from.as_deref().unwrap_or(&base.name),
                variant.unwrap_or("variant")
            );
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
            Some(v) => self.evaluation(
                &format!("{path}.evaluation"),
                self.table(&format!("{path}.evaluation"), v)?,
                eval_defaults,
            )?,
            None => eval_defaults.clone(),
        };
        let mut spec = t.clone();
        for k in MODEL_PIPELINE_KEYS {
            spec.remove(*k);
        }
        // Checked at the model, or at the variant that changed it (`path`).
        let typed = ModelSpec::from_table(spec.clone()).map_err(|e| self.param_err(path, e))?;
        let run = Run {
            name: run_name.to_string(),
            experiment: experiment.to_string(),
            variant: variant.map(str::to_string),
            changes,
            synthetic: input_synthetic(&input, datasets, feature_sets),
            input,
            trainer: Trainer::Network { table: spec, spec: Box::new(typed) },
            evaluation,
            line,
        };
        self.check_run_splits(path, &run, datasets, feature_sets)?;
        Ok(run)
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
pub(super) fn feature_table(fs: &FeatureSet) -> Table {
    let mut t = match &fs.method {
        FeatureMethod::Pixels => Table::new(),
        FeatureMethod::Hog(params) => {
            Table::try_from(params).expect("HOG parameters serialize to a table")
        }
    };
    t.insert("method".into(), Value::String(fs.method.name().into()));
    t.insert("from".into(), Value::String(fs.from.clone()));
    t
}

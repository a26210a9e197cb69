//! The manifest's refusals: each names the file, the line and the whole key path once.

use std::path::Path;

use manifest::Manifest;

const BASE: &str = r#"[datasets.mnist]
kind = "idx"
train_images = "a.gz"
train_labels = "b.gz"
test_images = "c.gz"
test_labels = "d.gz"

[features.hog]
method = "hog"
from = "mnist"

[models.cnn]
features = "hog"
loss = "categorical_crossentropy"
optimizer = { name = "rmsprop" }
layers = [
  { type = "dense", units = 100, activation = "relu" },
  { type = "dense", units = 10, activation = "softmax" },
]
"#;

fn refusal(text: &str) -> String {
    format!("{:#}", Manifest::parse(text, Path::new("pipeline.toml")).expect_err("refused"))
}

#[test]
fn the_base_manifest_reads() {
    let m = Manifest::parse(BASE, Path::new("pipeline.toml")).unwrap();
    assert_eq!(m.runs.len(), 1);
    assert_eq!(m.settings.out, Path::new("out"));
    assert_eq!(m.experiments[0].title, "cnn");
}

#[test]
fn an_unknown_top_level_table_is_named_with_its_line() {
    let e = refusal(&format!("{BASE}\n[modles.x]\nloss = 1\n"));
    assert!(
        e.starts_with("pipeline.toml line 21: modles: unknown field `modles`, expected one of"),
        "{e}"
    );
}

#[test]
fn a_swept_value_the_spec_refuses_names_its_key_once() {
    let e = refusal(&format!("{BASE}\n[models.cnn.sweep]\n\"layers.0.units\" = [0]\n"));
    assert_eq!(
        e.split(": ").take(2).collect::<Vec<_>>(),
        ["pipeline.toml line 22", "models.cnn.sweep.layers.0.units"],
        "{e}"
    );
}

#[test]
fn a_sweep_index_past_the_end_names_its_key_once() {
    let e = refusal(&format!("{BASE}\n[models.cnn.sweep]\n\"layers.5.units\" = [20]\n"));
    assert!(
        e.starts_with(
            "pipeline.toml line 22: models.cnn.sweep.layers.5.units: index 5 is past the end"
        ),
        "{e}"
    );
}

#[test]
fn kinds_and_methods_are_checked_at_their_key() {
    let e = refusal(&BASE.replace("kind = \"idx\"", "kind = \"csv\""));
    assert!(e.starts_with("pipeline.toml line 2: datasets.mnist.kind: unknown variant `csv`, expected one of `idx`, `synth-xray`, `folders`, `command`, `parquet`"), "{e}");
    let e = refusal(&format!("{BASE}\n[baselines.b]\nmethod = \"svm\"\nfeatures = \"hog\"\n"));
    assert!(
        e.starts_with(
            "pipeline.toml line 22: baselines.b.method: unknown variant `svm`, expected `logistic`"
        ),
        "{e}"
    );
    let e = refusal(&BASE.replace("method = \"hog\"", "method = \"pixels\"\norientations = 9"));
    assert!(
        e.starts_with(
            "pipeline.toml line 10: features.hog.orientations: unknown field `orientations`"
        ),
        "{e}"
    );
}

#[test]
fn settings_are_typed() {
    let e = refusal(&format!("[settings]\nout = 3\n{BASE}"));
    assert!(e.starts_with("pipeline.toml line 2: settings.out: invalid type: integer `3`"), "{e}");
    let m =
        Manifest::parse(&format!("[settings]\nreport = \"r\"\n{BASE}"), Path::new("p")).unwrap();
    assert_eq!((m.settings.out.to_str(), m.settings.report.to_str()), (Some("out"), Some("r")));
}

#[test]
fn an_unclosed_list_says_where_it_opened_and_shows_the_line() {
    let text = BASE.replace("{ type = \"dense\", units = 10, activation = \"softmax\" },\n]", "");
    let e = refusal(&format!("{text}\n[models.b]\nloss = 1\n"));
    let lines: Vec<&str> = e.lines().collect();
    assert!(lines[0].starts_with("pipeline.toml: invalid TOML at line "), "{e}");
    assert!(lines[0].ends_with("(the list opened on line 16 is not closed)"), "{e}");
    assert_eq!(lines.len(), 4, "{e}");
    assert!(lines[3].trim_start_matches([' ', '|']).starts_with('^'), "{e}");
}

#[test]
fn a_fine_tune_variant_starts_from_another_run() {
    let text = format!("{BASE}\n[models.cnn.variants.tuned]\ninit_from = \"cnn\"\nepochs = 3\n");
    let m = Manifest::parse(&text, Path::new("pipeline.toml")).unwrap();
    let tuned = m.run("cnn-tuned").unwrap();
    assert_eq!(tuned.init_from.as_deref(), Some("cnn"));
    assert_eq!(m.run("cnn").unwrap().init_from, None);
    assert!(tuned.changes.contains(&"init_from = \"cnn\"".to_string()), "{:?}", tuned.changes);
}

#[test]
fn a_warm_start_names_a_network_run_and_no_circle() {
    let e = refusal(&format!("{BASE}\n[models.cnn.variants.tuned]\ninit_from = \"cnx\"\n"));
    assert!(e.starts_with("pipeline.toml line 22: models.cnn.variants.tuned.init_from: no run named `cnx` (declared: cnn, cnn-tuned)"), "{e}");
    let e = refusal(&BASE.replace("[models.cnn]", "[models.cnn]\ninit_from = \"cnn\""));
    assert!(
        e.contains("models.cnn.init_from: the runs start from each other in a circle: cnn ← cnn"),
        "{e}"
    );
    let e = refusal(&format!(
        "{BASE}\n[baselines.lr]\nmethod = \"logistic\"\nfeatures = \"hog\"\n[models.cnn.variants.t]\ninit_from = \"lr\"\n"
    ));
    assert!(e.contains("run `lr` is a baseline"), "{e}");
}

#[test]
fn a_variant_model_is_named_after_its_run() {
    let named = BASE.replace("[models.cnn]", "[models.cnn]\nname = \"cnn\"");
    let text = format!("{named}\n[models.cnn.sweep]\nepochs = [4]\n[models.cnn.variants.own]\nname = \"mine\"\nepochs = 2\n");
    let m = Manifest::parse(&text, Path::new("pipeline.toml")).unwrap();
    let name = |run: &str| match &m.run(run).unwrap().trainer {
        manifest::Trainer::Network { spec, .. } => spec.name.clone(),
        manifest::Trainer::Baseline { .. } => None,
    };
    assert_eq!(name("cnn").as_deref(), Some("cnn"));
    assert_eq!(name("cnn-epochs4").as_deref(), Some("cnn-epochs4"));
    assert_eq!(name("cnn-own").as_deref(), Some("mine"));
}

#[test]
fn a_dataset_made_by_a_command_writes_each_split() {
    let text = format!(
        "{BASE}\n[datasets.mine]\nkind = \"command\"\ncommand = [\"python3\", \"get.py\", \"{{split}}\", \"{{out}}\"]\ninputs = [\"get.py\"]\nsplits = [\"train\", \"test\"]\n"
    );
    let m = Manifest::parse(&text, Path::new("pipeline.toml")).unwrap();
    assert_eq!(m.dataset("mine").unwrap().splits(), ["train", "test"]);
    let e = refusal(&text.replace("\"{{out}}\"", "\"x\"").replace("\"{out}\"", "\"x\""));
    assert!(e.contains("datasets.mine.command: the command must name the file it writes with {out}; it has no {out}"), "{e}");
    let e = refusal(&text.replace("\"{split}\"", "\"{in}\""));
    assert!(e.contains("{in} is for a feature set's command"), "{e}");
}

#[test]
fn a_feature_set_names_its_codec() {
    let m = Manifest::parse(
        &BASE.replace("from = \"mnist\"", "from = \"mnist\"\ncompression = \"zstd\""),
        Path::new("pipeline.toml"),
    )
    .unwrap();
    assert_eq!(m.feature_sets[0].compression, params::Compression::Zstd);
    let m = Manifest::parse(BASE, Path::new("pipeline.toml")).unwrap();
    assert_eq!(m.feature_sets[0].compression, params::Compression::None);
    let e = refusal(&BASE.replace("from = \"mnist\"", "from = \"mnist\"\ncompression = \"gzip\""));
    assert!(e.starts_with("pipeline.toml line 11: features.hog.compression: unknown compression \"gzip\": expected none, snappy, lz4 or zstd"), "{e}");
    let command = BASE.replace(
        "method = \"hog\"",
        "method = \"command\"\ncommand = [\"x\", \"{in}\", \"{out}\"]\ncompression = \"lz4\"",
    );
    let e = refusal(&command);
    assert!(e.starts_with("pipeline.toml line 11: features.hog.compression: a command feature set writes its files itself"), "{e}");
}

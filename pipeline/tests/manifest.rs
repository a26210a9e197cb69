//! The manifest: errors name the key and the line; variants expand into named runs.

use std::path::Path;

use params::{HogParams, Size2};
use pipeline::manifest::{
    DatasetSource, FeatureMethod, FolderRoot, Manifest, RunInput, SynthTable, Trainer,
};

/// The lab's manifest as committed with these tests (a copy of `pipeline.toml`), so that
/// editing the live one (a student's variant, another parameter) does not fail them.
const LAB: &str = include_str!("fixtures/pipeline.toml");

/// The live manifest at the repository root.
fn live_manifest_path() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../pipeline.toml")
}

fn parse(text: &str) -> Result<Manifest, pipeline::manifest::ManifestError> {
    Manifest::parse(text, Path::new("pipeline.toml"))
}

fn err(text: &str) -> String {
    format!("{:#}", parse(text).expect_err("the manifest should be refused"))
}

const BASE: &str = r#"
[datasets.mnist]
kind = "idx"
train_images = "a.gz"
train_labels = "b.gz"
test_images = "c.gz"
test_labels = "d.gz"
val_fraction = 0.1

[features.hog]
method = "hog"
from = "mnist"
orientations = 8
pixels_per_cell = [4, 4]

[models.m]
features = "hog"
loss = "categorical_crossentropy"
optimizer = { name = "rmsprop" }
layers = [
  { type = "dense", units = 100, activation = "relu" },
  { type = "dense", units = 10, activation = "softmax" },
]
"#;

#[test]
fn base_manifest_parses() {
    let m = parse(BASE).unwrap();
    assert_eq!(m.runs.len(), 1);
    assert_eq!(m.runs[0].name, "m");
    assert_eq!(m.dataset("mnist").unwrap().splits(), vec!["train", "val", "test"]);
}

#[test]
fn unknown_key_names_key_and_line() {
    // Line 22 is the last layer.
    let text = BASE.replace(
        r#"{ type = "dense", units = 10, activation = "softmax" },"#,
        r#"{ type = "dense", unit = 10, activation = "softmax" },"#,
    );
    let e = err(&text);
    assert!(e.contains("pipeline.toml line 22"), "{e}");
    assert!(e.contains("models.m.layers.1.unit"), "{e}");
    assert!(e.contains("unknown field `unit`, expected `units` or `activation`"), "{e}");
}

#[test]
fn unknown_top_level_and_section_keys() {
    let e = err(&format!("{BASE}\n[modles.x]\nloss = 1\n"));
    assert!(e.contains("line 25") && e.contains("modles: unknown field `modles`"), "{e}");
    let e = err(&BASE.replace("val_fraction = 0.1", "val_fraction = 0.1\nval_out = \"x\""));
    assert!(e.contains("line 9") && e.contains("datasets.mnist.val_out"), "{e}");
    let e = err(&BASE.replace(
        r#"optimizer = { name = "rmsprop" }"#,
        r#"optimizer = { name = "rmsprop", beta_1 = 0.9 }"#,
    ));
    assert!(e.contains("line 19") && e.contains("models.m.optimizer.beta_1"), "{e}");
}

#[test]
fn dangling_references_are_errors() {
    let e = err(&BASE.replace(r#"features = "hog""#, r#"features = "hgo""#));
    assert!(
        e.contains("line 17")
            && e.contains("models.m.features")
            && e.contains("no feature set named `hgo`")
            && e.contains("declared: hog"),
        "{e}"
    );
    let e = err(&BASE.replace(r#"from = "mnist""#, r#"from = "minst""#));
    assert!(
        e.contains("line 12")
            && e.contains("features.hog.from")
            && e.contains("no dataset named `minst`"),
        "{e}"
    );
    let e = err(&format!("{BASE}\n[datasets.x]\nkind = \"folders\"\nfrom = \"nope\"\nsize = 64\n"));
    assert!(
        e.contains("line 27")
            && e.contains("datasets.x.from")
            && e.contains("no dataset named `nope`"),
        "{e}"
    );
    let e = err(&format!("{BASE}\n[baselines.b]\nmethod = \"logistic\"\ndata = \"pixels\"\n"));
    assert!(
        e.contains("line 27")
            && e.contains("baselines.b.data")
            && e.contains("no dataset named `pixels`"),
        "{e}"
    );
}

#[test]
fn bad_values_and_variants_are_errors() {
    let e = err(&BASE.replace(r#"loss = "categorical_crossentropy""#, r#"loss = "mse""#));
    assert!(e.contains("line 18") && e.contains("models.m.loss: unknown variant `mse`"), "{e}");
    // A variant that changes a key the spec does not have.
    let e = err(&format!("{BASE}\n[models.m.variants.fast]\nepoch = 3\n"));
    assert!(
        e.contains("line 26")
            && e.contains("models.m.variants.fast.epoch")
            && e.contains("unknown field `epoch`"),
        "{e}"
    );
    // Index past the end of the layers.
    let e = err(&format!("{BASE}\n[models.m.sweep]\n\"layers.5.units\" = [20]\n"));
    assert!(e.contains("line 26") && e.contains("past the end"), "{e}");
    // A sweep entry that is not a list.
    let e = err(&format!("{BASE}\n[models.m.sweep]\nepochs = 40\n"));
    assert!(e.contains("line 26") && e.contains("list of values"), "{e}");
    // Two variants with the same run name.
    let e = err(&format!(
        "{BASE}\n[models.m.variants.epochs40]\nepochs = 40\n[models.m.sweep]\nepochs = [40]\n"
    ));
    assert!(e.contains("name `m-epochs40` is already used"), "{e}");
    // A reserved make target.
    let e = err(&BASE.replace("[models.m]", "[models.report]"));
    assert!(e.contains("line 16") && e.contains("reserved"), "{e}");
    // Invalid TOML says where.
    let e = err("[datasets.x\nkind = 1\n");
    assert!(e.contains("invalid TOML") && e.contains("line 1"), "{e}");
}

#[test]
fn the_live_manifest_is_valid_and_plans() {
    let path = live_manifest_path();
    let m = Manifest::load(&path).unwrap_or_else(|e| panic!("{e:#}"));
    assert!(!m.runs.is_empty(), "{} declares no run", path.display());
    pipeline::make::plan(&m).unwrap_or_else(|e| panic!("{}: {e:#}", path.display()));
}

#[test]
fn a_variant_added_to_the_live_manifest_becomes_a_run() {
    // What a student does after the demo: one more variant of a declared model.
    let live = Manifest::load(&live_manifest_path()).unwrap();
    let network = live.runs.iter().find(|r| matches!(r.trainer, Trainer::Network { .. }));
    let model = &network.expect("the live manifest declares a model").experiment;
    let text = std::fs::read_to_string(live_manifest_path()).unwrap()
        + &format!("\n[models.{model}.variants.student7]\nepochs = 7\n");
    let m = parse(&text).unwrap_or_else(|e| panic!("{e:#}"));
    assert_eq!(m.runs.len(), live.runs.len() + 1);
    let run = m.run(&format!("{model}-student7")).expect("the variant's run");
    assert_eq!(run.changes, ["epochs = 7"]);
    let rules = pipeline::make::plan(&m).unwrap().rules;
    assert_eq!(rules.len(), pipeline::make::plan(&live).unwrap().rules.len() + 2, "train, eval");
}

#[test]
fn default_manifest_expands_the_lab() {
    let m = parse(LAB).unwrap();
    let names: Vec<&str> = m.runs.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "mlp",
            "mlp-hidden3",
            "mlp-epochs40",
            "hog-mlp",
            "hog-mlp-orientations4",
            "hog-mlp-units300",
            "hog-mlp-ppc7",
            "cnn",
            "cnn-units20",
            "cnn-units100",
            "cnn-units300",
            "pneumonia",
            "pneumonia-balanced",
            "logistic-pixels",
            "logistic-hog",
        ]
    );
    let exps: Vec<&str> = m.experiments.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(exps, ["mlp", "hog-mlp", "cnn", "pneumonia", "logistic-pixels", "logistic-hog"]);

    let spec = |run: &str| match &m.run(run).unwrap().trainer {
        Trainer::Network { table, .. } => table.clone(),
        _ => panic!("{run} is not a network"),
    };
    assert_eq!(spec("mlp-epochs40")["epochs"].as_integer(), Some(40));
    assert_eq!(m.run("mlp-epochs40").unwrap().changes, ["epochs = 40"]);
    assert_eq!(
        m.run("mlp-hidden3").unwrap().changes,
        ["layers: flatten → dense 30 relu → dense 30 relu → dense 30 relu → dense 10 softmax"]
    );
    assert_eq!(m.run("hog-mlp-ppc7").unwrap().changes, ["features.pixels_per_cell = [7, 7]"]);
    // A key inside one layer is told by the layer's name, as train's summary names it.
    let layers = spec("cnn")["layers"].as_array().unwrap().clone();
    let dense_before = layers[..7].iter().filter(|l| l["type"].as_str() == Some("dense")).count();
    assert_eq!(
        m.run("cnn-units20").unwrap().changes,
        [format!("dense_{}.units = 20 (layers.7.units)", dense_before + 1)]
    );
    assert_eq!(
        m.run("hog-mlp-units300").unwrap().changes,
        ["dense_1.units = 300 (layers.0.units)"]
    );
    assert_eq!(spec("mlp")["epochs"].as_integer(), Some(10));
    assert_eq!(spec("mlp-hidden3")["layers"].as_array().unwrap().len(), 5);
    assert_eq!(spec("cnn-units300")["layers"][7]["units"].as_integer(), Some(300));
    assert_eq!(spec("cnn")["layers"][7]["units"].as_integer(), Some(10));
    assert_eq!(spec("hog-mlp-units300")["layers"][0]["units"].as_integer(), Some(300));
    assert_eq!(spec("pneumonia-balanced")["class_weight"].as_str(), Some("balanced"));
    assert!(spec("pneumonia").get("class_weight").is_none());
    // Pipeline-only keys do not reach train's spec.
    for k in ["title", "data", "features", "evaluation", "variants", "sweep"] {
        assert!(spec("pneumonia").get(k).is_none(), "{k}");
    }

    // Feature variants derive their own feature sets; the model reads them.
    assert_eq!(
        m.run("hog-mlp-orientations4").unwrap().input,
        RunInput::Features("hog-orientations4".into())
    );
    assert_eq!(m.run("hog-mlp-units300").unwrap().input, RunInput::Features("hog".into()));
    let fs = m.feature_set("hog-ppc7").unwrap();
    assert_eq!(fs.derived_from.as_deref(), Some("hog"));
    assert_eq!(
        fs.method,
        FeatureMethod::Hog(HogParams {
            orientations: 8,
            pixels_per_cell: Size2::square(7),
            cells_per_block: Size2::square(1),
            ..HogParams::DEFAULT
        })
    );
    assert_eq!(
        fs.method.args(),
        [
            "--orientations",
            "8",
            "--pixels-per-cell",
            "7x7",
            "--cells-per-block",
            "1x1",
            "--block-norm",
            "L2-Hys"
        ]
    );

    // The X-rays are synthetic, through the folders dataset; MNIST is not.
    assert!(
        m.run("pneumonia").unwrap().synthetic && m.run("pneumonia-balanced").unwrap().synthetic
    );
    assert!(!m.run("cnn").unwrap().synthetic);
    assert!(
        matches!(&m.dataset("xray").unwrap().source, DatasetSource::Folders { root: FolderRoot::Synthetic(s), .. } if s == "xray-synth")
    );
    assert_eq!(m.run("pneumonia").unwrap().evaluation.params.min_recall, Some(0.95));
    assert_eq!(m.run("mlp").unwrap().evaluation.split, "test");
}

#[test]
fn synth_xray_pneumonia_ratio_is_read_and_checked() {
    let synth = |ratio: &str| {
        format!(
            "{BASE}\n[datasets.xs]\nkind = \"synth-xray\"\ntrain = 4\npneumonia_ratio = {ratio}\n"
        )
    };
    let m = parse(&synth("2.5")).unwrap();
    assert!(
        matches!(m.dataset("xs").unwrap().source, DatasetSource::SynthXray(SynthTable { train: 4, pneumonia_ratio: Some(r), .. }) if r == 2.5)
    );
    let m = parse(&synth("3")).unwrap();
    assert!(
        matches!(m.dataset("xs").unwrap().source, DatasetSource::SynthXray(SynthTable { pneumonia_ratio: Some(r), .. }) if r == 3.0)
    );
    for bad in ["0", "-1.5", "nan", "inf"] {
        let e = err(&synth(bad));
        assert!(e.contains("line 28") && e.contains("datasets.xs.pneumonia_ratio"), "{bad}: {e}");
    }
    let e = err(&synth("\"high\""));
    assert!(
        e.contains("datasets.xs.pneumonia_ratio: invalid type: string \"high\", expected f64"),
        "{e}"
    );
    // The lab's manifest mimics the Kaggle imbalance.
    let m = parse(LAB).unwrap();
    assert!(
        matches!(m.dataset("xray-synth").unwrap().source, DatasetSource::SynthXray(SynthTable { pneumonia_ratio: Some(r), .. }) if r == 2.9)
    );
}

#[test]
fn pointing_root_at_real_data_drops_synthetic() {
    let text = LAB.replace("from = \"xray-synth\"", "root = \"/data/chest_xray\"");
    let m = parse(&text).unwrap();
    assert!(!m.run("pneumonia").unwrap().synthetic);
}

#[test]
fn dataset_values_ingest_would_refuse_are_refused_with_its_words() {
    // Each pair: the manifest edit, and the sentence `ingest` says for the same value.
    let e = err(&BASE.replace("val_fraction = 0.1", "val_fraction = 0"));
    assert!(e.contains("datasets.mnist.val_fraction: --val-fraction must be between 0 and 1 (exclusive), got 0"), "{e}");
    let synth = |extra: &str| format!("{BASE}\n[datasets.xs]\nkind = \"synth-xray\"\n{extra}\n");
    let e = err(&synth("min_size = 10"));
    assert!(e.contains("datasets.xs.min_size: --min-size/--max-size must satisfy 32 ≤ min ≤ max ≤ 8000, got 10 and 1500"), "{e}");
    let e = err(&synth("min_size = 2000"));
    assert!(e.contains("got 2000 and 1500"), "{e}");
    assert!(parse(&synth("min_size = 2000\nmax_size = 2000")).is_ok());
    let folders = |size: &str| {
        format!("{BASE}\n[datasets.xs]\nkind = \"synth-xray\"\n[datasets.xf]\nkind = \"folders\"\nfrom = \"xs\"\nsize = {size}\n")
    };
    let e = err(&folders("[20000, 5]"));
    assert!(e.contains("datasets.xf.size: size 20000x5 is not HxW with sides 1..=16384"), "{e}");
    assert!(parse(&folders("[16384, 5]")).is_ok());
}

#[test]
fn every_number_has_a_bound_refused_at_its_line() {
    let model = |extra: &str| BASE.replace("[models.m]\n", &format!("[models.m]\n{extra}\n"));
    for (text, says) in [
        (model("epochs = 100001"), "line 17: models.m.epochs: epochs = 100001 must be between 1 and 100000"),
        (model("batch_size = 2000000"), "line 17: models.m.batch_size: batch_size = 2000000 must be between 1 and 1048576"),
        (format!("{BASE}\n[models.m.sweep]\nepochs = [5, 9999999]\n"), "epochs = 9999999 must be between 1 and 100000"),
        (model("evaluation = { batch_size = 0 }"), "line 17: models.m.evaluation.batch_size: --batch-size must be 1..=65536, got 0"),
        (format!("[evaluation]\nbatch_size = 9223372036854775807\n{BASE}"), "line 2: evaluation.batch_size: --batch-size must be 1..=65536, got 9223372036854775807"),
        (BASE.replace("val_fraction = 0.1", "val_fraction = 1e308"), "datasets.mnist.val_fraction: --val-fraction must be between 0 and 1 (exclusive), got 1e308"),
        (BASE.replace("val_fraction = 0.1", "val_fraction = nan"), "datasets.mnist.val_fraction: --val-fraction must be between 0 and 1 (exclusive), got NaN"),
        (BASE.replace("val_fraction = 0.1", "val_fraction = 0.1\nseed = -1"), "datasets.mnist.seed: invalid value: integer `-1`, expected u64"),
        (format!("{BASE}\n[datasets.xs]\nkind = \"synth-xray\"\ntrain = 1000001\n"), "datasets.xs.train: expected a whole number from 1 to 1000000, found 1000001"),
        (format!("{BASE}\n[datasets.xs]\nkind = \"synth-xray\"\nmax_size = 100000\n"), "datasets.xs.max_size: --min-size/--max-size must satisfy 32 ≤ min ≤ max ≤ 8000, got 300 and 100000"),
        (format!("{BASE}\n[datasets.f]\nkind = \"folders\"\nroot = \"r\"\nsize = 64\nchannels = 4\n"), "datasets.f.channels: expected 1 or 3"),
    ] {
        let e = err(&text);
        assert!(e.contains(says), "{says:?} not in {e}");
        assert!(e.starts_with("pipeline.toml line "), "{e}");
    }
    // The bounds themselves are accepted.
    parse(&model("epochs = 100000\nbatch_size = 1048576")).unwrap();
}

//! The feature-file recipes of docs/formats.md (pyarrow, pandas, polars), run as they are
//! written there, make files that the readers take, with the values written.

use std::process::Command;

/// The recipes' code block: the Python block that follows "So each of these makes".
fn recipes() -> Vec<(String, String)> {
    let doc = include_str!("../../docs/formats.md");
    let after = doc.split("So each of these makes").nth(1).expect("the recipes' paragraph");
    let block = after.split("```python\n").nth(1).unwrap().split("```").next().unwrap();
    // One recipe per `# NAME: …` comment, up to the next one.
    let mut out: Vec<(String, String)> = Vec::new();
    for line in block.lines() {
        if let Some(comment) = line.strip_prefix("# ") {
            let name = comment.split(':').next().unwrap().to_string();
            out.push((name, String::new()));
        } else if let Some((_, code)) = out.last_mut() {
            code.push_str(line);
            code.push('\n');
        }
    }
    out
}

#[test]
fn each_recipe_writes_a_feature_dataset_the_readers_take() {
    let python = testkit::venv_python("--with interop");
    let recipes = recipes();
    let names: Vec<&str> = recipes.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["pyarrow", "pandas", "polars"]);
    let dir = tempfile::tempdir().unwrap();
    for (name, code) in &recipes {
        // X and y as the docs name them: 5 rows of 3 values, labels 0 and 1.
        let prelude = "import numpy as np, pandas as pd, polars as pl\n\
            X = (np.arange(15, dtype=np.float64).reshape(5, 3) / 7)\n\
            y = np.array([0, 1, 0, 1, 1])\n";
        let o = Command::new(&python)
            .arg("-c")
            .arg(format!("{prelude}{code}"))
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(o.status.success(), "{name}: {}", String::from_utf8_lossy(&o.stderr));
        let ds = formats::read_feature_dataset(&dir.path().join("feat.parquet"))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!((ds.meta.dim, ds.labels.as_slice()), (3, &[0, 1, 0, 1, 1][..]), "{name}");
        let want: Vec<f32> = (0..15).map(|i| (i as f64 / 7.0) as f32).collect();
        assert_eq!(ds.features, want, "{name}");
        std::fs::remove_file(dir.path().join("feat.parquet")).unwrap();
    }
}

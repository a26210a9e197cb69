//! A feature dataset written with each `--compression` codec is read by pyarrow,
//! pandas, polars and DuckDB (`.venv`, `scripts/setup/setup.sh --with interop`) with
//! the labels and the float32 values written, bit for bit.

use std::process::Command;

use formats::dataset::{feature_batch, feature_schema};
use formats::{DatasetWriter, FeatureMeta};
use params::Compression;

/// Each reader's rows as JSON `[[label, [values…]], …]`, from the file `argv[1]`.
const READERS: &str = r#"
import json, sys
import duckdb, pandas as pd, polars as pl, pyarrow.parquet as pq
path = sys.argv[1]
t = pq.read_table(path)
out = {
    "pyarrow": [[l, v] for l, v in zip(t.column("label").to_pylist(), t.column("features").to_pylist())],
    "pandas": [[int(l), [float(x) for x in v]] for l, v in zip(pd.read_parquet(path)["label"], pd.read_parquet(path)["features"])],
    "polars": [[l, list(v)] for l, v in pl.read_parquet(path).select("label", "features").iter_rows()],
    "duckdb": [[l, list(v)] for l, v in duckdb.sql(f"SELECT label, features FROM read_parquet('{path}')").fetchall()],
}
print(json.dumps(out))
"#;

#[test]
fn every_codec_is_read_by_pyarrow_pandas_polars_and_duckdb() {
    let python = testkit::venv_python("--with interop");
    let meta = FeatureMeta {
        dim: 3,
        classes: vec!["a".into(), "b".into()],
        source: "readers test".into(),
        params: None,
    };
    let labels = vec![0, 1, 1, 0];
    // Values whose float32 bits a reader could lose: thirds, the extremes, a subnormal, -0.
    let values: Vec<f32> = vec![
        1.0 / 3.0,
        2.0 / 3.0,
        0.1,
        f32::MAX,
        f32::MIN_POSITIVE,
        1e-45,
        -0.0,
        0.0,
        255.0 / 7.0,
        -1.5,
        3.0e-8,
        0.999_999_94,
    ];
    let dir = tempfile::tempdir().unwrap();
    for codec in [Compression::None, Compression::Snappy, Compression::Lz4Raw, Compression::Zstd] {
        let path = dir.path().join(format!("{codec}.parquet"));
        let mut writer = DatasetWriter::create(&path, feature_schema(&meta), None)
            .unwrap()
            .with_compression(codec);
        writer.write(&feature_batch(&meta, labels.clone(), values.clone()).unwrap()).unwrap();
        writer.finish().unwrap();

        let o = Command::new(&python).arg("-c").arg(READERS).arg(&path).output().unwrap();
        assert!(o.status.success(), "{codec}: {}", String::from_utf8_lossy(&o.stderr));
        let read: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        for reader in ["pyarrow", "pandas", "polars", "duckdb"] {
            let rows = read[reader].as_array().unwrap_or_else(|| panic!("{codec} {reader}"));
            assert_eq!(rows.len(), labels.len(), "{codec} {reader}");
            for (i, row) in rows.iter().enumerate() {
                assert_eq!(row[0].as_i64(), Some(labels[i] as i64), "{codec} {reader} row {i}");
                // JSON keeps a float64 exactly; each float32 widens to one exactly.
                let got: Vec<u32> = row[1]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| (v.as_f64().unwrap() as f32).to_bits())
                    .collect();
                let want: Vec<u32> = values[i * 3..i * 3 + 3].iter().map(|v| v.to_bits()).collect();
                assert_eq!(got, want, "{codec} {reader} row {i}");
            }
        }
    }
}

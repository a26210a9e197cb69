//! `pipeline make` refuses every HOG parameter that `features hog` refuses, with the
//! same sentence: both read them into `params::HogParams`.

use std::path::Path;
use std::process::Command;

use manifest::Manifest;

/// (flag, flag value, manifest key, manifest TOML value).
const BAD: &[(&str, &str, &str, &str)] = &[
    ("--orientations", "0", "orientations", "0"),
    ("--orientations", "255", "orientations", "255"),
    ("--pixels-per-cell", "0x4", "pixels_per_cell", "\"0x4\""),
    ("--pixels-per-cell", "4xq", "pixels_per_cell", "\"4xq\""),
    ("--cells-per-block", "x3", "cells_per_block", "\"x3\""),
    ("--block-norm", "L3", "block_norm", "\"L3\""),
    ("--block-norm", "l2-hys", "block_norm", "\"l2-hys\""),
];

fn features_refusal(flag: &str, value: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_features"))
        .args(["hog", "--in", "missing.parquet", "--out"])
        .arg(dir.path().join("f.parquet"))
        .args([flag, value])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "features accepted {flag} {value}: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    stderr.trim_end().to_string()
}

/// The manifest's refusal: `KEY: sentence` after `features.h.`.
fn manifest_refusal(key: &str, value: &str) -> String {
    let text = format!(
        "[datasets.d]\nkind = \"parquet\"\ntrain = \"train.parquet\"\n\n[features.h]\nmethod = \"hog\"\nfrom = \"d\"\n{key} = {value}\n"
    );
    let e = Manifest::parse(&text, Path::new("pipeline.toml"))
        .expect_err("the manifest accepted it")
        .to_string();
    assert!(e.starts_with("pipeline.toml line 8: "), "{e}");
    e.split_once(": features.h.").unwrap_or_else(|| panic!("{e}")).1.to_string()
}

#[test]
fn the_manifest_refuses_what_features_hog_refuses_with_the_same_words() {
    for &(flag, value, key, toml_value) in BAD {
        let by_features = features_refusal(flag, value);
        let by_manifest = manifest_refusal(key, toml_value);
        let sentence = by_manifest
            .strip_prefix(&format!("{key}: "))
            .unwrap_or_else(|| panic!("{by_manifest}"));
        assert!(
            by_features.contains(sentence),
            "{flag} {value}: features says {by_features:?}, the manifest {sentence:?}"
        );
    }
}

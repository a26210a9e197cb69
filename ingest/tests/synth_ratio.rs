//! `ingest synth-xray --pneumonia-ratio`: PNEUMONIA = round(N × R) per split, NORMAL = N,
//! same seed → same files, and bad ratios are refused before anything is written.

use std::path::Path;

use ingest::{run_synth, SynthParams};

fn count(dir: &Path) -> usize {
    std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
}

fn tiny(out: &Path, ratio: f64) -> SynthParams {
    SynthParams {
        out: out.to_path_buf(),
        train: 4,
        val: 1,
        test: 3,
        pneumonia_ratio: Some(ratio),
        seed: Some(11),
        min_size: Some(40),
        max_size: Some(60),
        quality: Some(80),
        progress: false,
    }
}

#[test]
fn ratio_sets_pneumonia_count_per_split() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("xray");
    let s = run_synth(&tiny(&out, 2.5)).unwrap();
    // train 4 → 10, val 1 → round(2.5) = 3 (half away from zero), test 3 → round(7.5) = 8.
    for (split, normal, pneumonia) in [("train", 4, 10), ("val", 1, 3), ("test", 3, 8)] {
        assert_eq!(count(&out.join(split).join("NORMAL")), normal, "{split}/NORMAL");
        assert_eq!(count(&out.join(split).join("PNEUMONIA")), pneumonia, "{split}/PNEUMONIA");
    }
    assert_eq!(s.files, 4 + 10 + 1 + 3 + 3 + 8);
    assert_eq!(ingest::synth::class_counts(40, 2.9), [40, 116]);
    let readme = std::fs::read_to_string(out.join("README.txt")).unwrap();
    assert!(readme.contains("PNEUMONIA per\nNORMAL image: 2.5"), "{readme}");

    // Deterministic per seed, and an image keeps its bytes whatever the ratio.
    let again = dir.path().join("again");
    run_synth(&tiny(&again, 2.5)).unwrap();
    let balanced = dir.path().join("balanced");
    run_synth(&tiny(&balanced, 1.0)).unwrap();
    for rel in [
        "train/PNEUMONIA/synth-train-pneumonia-00009.jpeg",
        "test/NORMAL/synth-test-normal-00002.jpeg",
    ] {
        assert_eq!(
            std::fs::read(out.join(rel)).unwrap(),
            std::fs::read(again.join(rel)).unwrap(),
            "{rel}"
        );
    }
    let rel = "train/PNEUMONIA/synth-train-pneumonia-00003.jpeg";
    assert_eq!(std::fs::read(out.join(rel)).unwrap(), std::fs::read(balanced.join(rel)).unwrap());
    assert_eq!(count(&balanced.join("train/PNEUMONIA")), 4);
}

#[test]
fn bad_ratio_is_refused_without_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("xray");
    for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let err = format!("{:#}", run_synth(&tiny(&out, bad)).unwrap_err());
        assert!(err.contains("--pneumonia-ratio must be a finite number > 0"), "{bad}: {err}");
        assert!(!out.exists(), "{bad}: output written");
    }
    // Through the CLI: one `error:` line, exit 1.
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_ingest"))
        .args([
            "synth-xray",
            "--train",
            "2",
            "--val",
            "0",
            "--test",
            "0",
            "--pneumonia-ratio",
            "0",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.starts_with("error: --pneumonia-ratio must be a finite number > 0, got 0"),
        "{stderr}"
    );
    assert!(!out.exists());
}

//! Bad input to `ingest` is refused with one sentence before anything is written:
//! numbers beyond their bounds, class names that are duplicated, empty or hold control
//! characters, shard directories of another set; streams are read without trusting a
//! size; a killed synth-xray's temporary tree is removed by the next run.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use ingest::{run_idx, run_synth, ErrorKind, IdxParams, SynthParams};

fn tiny_synth(out: &Path) -> SynthParams {
    SynthParams {
        out: out.to_path_buf(),
        train: 2,
        val: 0,
        test: 0,
        pneumonia_ratio: Some(1.0),
        seed: Some(1),
        min_size: Some(40),
        max_size: Some(48),
        quality: Some(80),
        progress: false,
    }
}

#[test]
fn synth_counts_and_ratios_beyond_their_bounds_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("xray");
    let cases: [(SynthParams, &str); 5] = [
        (
            SynthParams { train: usize::MAX, ..tiny_synth(&out) },
            "--train must be at most 1,000,000",
        ),
        (SynthParams { test: 1_000_001, ..tiny_synth(&out) }, "--test must be at most 1,000,000"),
        (
            SynthParams { pneumonia_ratio: Some(1e30), ..tiny_synth(&out) },
            "--pneumonia-ratio must be at most 100",
        ),
        (
            SynthParams {
                train: 1_000_000,
                val: 1_000_000,
                pneumonia_ratio: Some(5.0),
                ..tiny_synth(&out)
            },
            "make 12,000,000 images, more than the 10,000,000 of one run",
        ),
        (
            SynthParams { quality: Some(101), ..tiny_synth(&out) },
            "--quality (JPEG quality) must be 1..=100",
        ),
    ];
    for (opts, want) in cases {
        let e = format!("{:#}", run_synth(&opts).unwrap_err());
        assert!(e.contains(want), "{want}: {e}");
    }
    assert!(testkit::entries(dir.path()).is_empty(), "{:?}", testkit::entries(dir.path()));
}

/// A killed run's `.NAME.tmp-PID-…` tree goes with the next run beside it, whatever its
/// `--out`; a running process's temporary and a directory that is not a synth tree stay.
#[test]
fn a_killed_synth_runs_temporary_tree_is_removed_by_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    // PID 2147483647 never runs (pid_max ≤ 2^22); PID 1 always does.
    let dead = dir.path().join(".old.tmp-2147483647-00ff00ff00ff00ff");
    let running = dir.path().join(".other.tmp-1-00ff00ff00ff00ff");
    let foreign = dir.path().join(".thesis.tmp-2147483647-00ff00ff00ff00ff");
    for tree in [&dead, &running] {
        std::fs::create_dir_all(tree.join("train/NORMAL")).unwrap();
        std::fs::write(tree.join("train/NORMAL/a.jpeg"), "x").unwrap();
    }
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("chapter1.tex"), "mine").unwrap();
    run_synth(&tiny_synth(&dir.path().join("new"))).unwrap();
    assert!(!dead.exists(), "{:?}", testkit::entries(dir.path()));
    assert!(running.exists() && foreign.exists(), "{:?}", testkit::entries(dir.path()));
}

/// Raw IDX files of `n` 2×3 images and their labels `i % classes`.
fn idx_files(dir: &Path, n: u8, classes: u8) -> (std::path::PathBuf, std::path::PathBuf) {
    let mut images = vec![0, 0, 8, 3, 0, 0, 0, n, 0, 0, 0, 2, 0, 0, 0, 3];
    images.extend((0..6 * n as usize).map(|v| v as u8));
    let mut labels = vec![0, 0, 8, 1, 0, 0, 0, n];
    labels.extend((0..n).map(|i| i % classes));
    let (i, l) = (dir.join("images.idx"), dir.join("labels.idx"));
    std::fs::write(&i, images).unwrap();
    std::fs::write(&l, labels).unwrap();
    (i, l)
}

fn idx_opts(images: &Path, labels: &Path, out: &Path) -> IdxParams {
    IdxParams {
        images: images.to_path_buf(),
        labels: labels.to_path_buf(),
        out: out.to_path_buf(),
        val_fraction: None,
        val_out: None,
        seed: Some(1),
        rows_per_file: None,
        classes: None,
        progress: false,
        shard: formats::Shard::WHOLE,
    }
}

#[test]
fn class_names_duplicated_empty_or_with_control_characters_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (images, labels) = idx_files(dir.path(), 6, 3);
    let out = dir.path().join("out.parquet");
    let names = |n: &[&str]| Some(n.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    let cases = [
        (names(&["a", "b", "a"]), "--classes: classes 0 and 2 have the same name \"a\""),
        (names(&["a", "", "c"]), "--classes: the name of class 1 is empty"),
        (names(&["a", "b\nc", "d"]), "the name of class 1 (\"b\\nc\") holds a control character"),
        (names(&["a\t", "b", "c"]), "the name of class 0 (\"a\\t\") holds a control character"),
    ];
    for (classes, want) in cases {
        let e = run_idx(&IdxParams { classes, ..idx_opts(&images, &labels, &out) }).unwrap_err();
        assert!(format!("{e:#}").contains(want), "{want}: {e:#}");
        assert_eq!(e.kind(), ErrorKind::Classes, "{e:#}");
    }
    let e =
        run_idx(&IdxParams { rows_per_file: Some(usize::MAX), ..idx_opts(&images, &labels, &out) })
            .unwrap_err();
    assert!(format!("{e:#}").contains("--rows-per-file must be 1..=100,000,000"), "{e:#}");
    assert_eq!(e.kind(), ErrorKind::Parameter);
    assert!(!out.exists());
    // Printable names of any kind are kept (the report escapes them).
    let ok = names(&["<script>", "a b", "ü"]);
    let s = run_idx(&IdxParams { classes: ok, ..idx_opts(&images, &labels, &out) }).unwrap();
    assert_eq!(s.classes, ["<script>", "a b", "ü"]);
}

#[test]
fn class_folders_with_control_characters_are_refused_printable_ones_kept() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    common::small_tree(&root);
    let jpeg = std::fs::read(root.join("A/1.jpeg")).unwrap();
    common::put(&root, "B\nC/1.jpeg", &jpeg);
    let out = dir.path().join("out.parquet");
    let e = ingest::run_folders(&common::opts(&root, &out)).unwrap_err();
    assert!(format!("{e:#}").contains("(\"B\\nC\") holds a control character"), "{e:#}");
    assert_eq!(e.kind(), ErrorKind::Classes);
    assert!(!out.exists());
    std::fs::rename(root.join("B\nC"), root.join("<script>")).unwrap();
    let s = ingest::run_folders(&common::opts(&root, &out)).unwrap();
    assert_eq!(s.classes, ["<script>", "A", "B"]);
}

/// A pipe's metadata length is 0: the file is read as a stream, not taken for a file of
/// 2⁶⁴ − 16 bytes.
#[test]
fn idx_from_a_pipe_is_read_as_a_stream() {
    let dir = tempfile::tempdir().unwrap();
    let (images, labels) = idx_files(dir.path(), 6, 3);
    let out = dir.path().join("out.parquet");
    let run = |stdin: &[u8]| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ingest"))
            .args(["idx", "--quiet", "--images", "/dev/stdin", "--labels"])
            .arg(&labels)
            .arg("--out")
            .arg(&out)
            .stdin(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin).unwrap();
        child.wait_with_output().unwrap()
    };
    let o = run(&std::fs::read(&images).unwrap());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(formats::read_image_dataset(&out).unwrap().len(), 6);
    std::fs::remove_file(&out).unwrap();
    let mut short = std::fs::read(&images).unwrap();
    short.truncate(20);
    let o = run(&short);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("claims 36 payload bytes but only 4 are present"), "{err}");
    assert!(!err.contains("18446744"), "{err}");
    assert!(!out.exists());
}

/// Parts of sets of different N never share a directory, a shard never writes beside a
/// user's file, and a directory of shard parts reads only as one complete set.
#[test]
fn shard_parts_of_another_set_or_a_users_file_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (images, labels) = idx_files(dir.path(), 12, 3);
    let out = dir.path().join("parts");
    let shard =
        |s: &str| IdxParams { shard: s.parse().unwrap(), ..idx_opts(&images, &labels, &out) };
    run_idx(&shard("1/2")).unwrap();
    let e = format!("{:#}", run_idx(&shard("0/3")).unwrap_err());
    assert!(
        e.contains("holds part-00001.parquet, a part of a set of 2 shards, but --shard 0/3"),
        "{e}"
    );
    assert_eq!(testkit::entries(&out), ["part-00001.parquet"]);
    // One part of two is not a dataset.
    let e = formats::read_image_dataset(&out).unwrap_err().to_string();
    assert!(e.contains("is not one complete set of 2 shard parts: 1 part is missing, the first part-00000.parquet"), "{e}");
    run_idx(&shard("0/2")).unwrap();
    assert_eq!(formats::read_image_dataset(&out).unwrap().len(), 12);

    let user = dir.path().join("mine");
    std::fs::create_dir(&user).unwrap();
    std::fs::write(user.join("notes.txt"), "keep").unwrap();
    let opts = IdxParams { out: user.clone(), ..shard("0/2") };
    let e = format!("{:#}", run_idx(&opts).unwrap_err());
    assert!(e.contains("holds notes.txt, which is not a part file of a sharded dataset"), "{e}");
    assert_eq!(testkit::entries(&user), ["notes.txt"]);

    // A failed shard leaves no directory it created.
    let fresh = dir.path().join("fresh");
    let opts = IdxParams { out: fresh.clone(), classes: Some(vec!["a".into()]), ..shard("0/2") };
    assert!(run_idx(&opts).is_err());
    assert!(!fresh.exists());
}

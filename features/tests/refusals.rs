//! Bad input to `features` leaves nothing behind: labels outside the classes, a
//! pictures' directory that cannot be one, too many pictures, a shard directory that
//! holds a user's file or parts of another set.

use features::{run_hog, run_pixels, ErrorKind, HogOptions};
use formats::{ImageDataset, ImageMeta, Shard};

/// `n` 16×16 images of classes a, b, c with the given labels.
fn dataset(labels: Vec<i32>) -> ImageDataset {
    let n = labels.len();
    ImageDataset {
        meta: ImageMeta {
            height: 16,
            width: 16,
            channels: 1,
            classes: vec!["a".into(), "b".into(), "c".into()],
            source: "test".into(),
        },
        labels,
        images: (0..n * 256).map(|i| (i * 7 % 251) as u8).collect(),
        paths: None,
    }
}

fn small_cells() -> HogOptions {
    let mut opts = HogOptions::default();
    opts.params.pixels_per_cell = features::Size2::square(4);
    opts.params.cells_per_block = features::Size2::square(1);
    opts
}

/// Train and evaluate refuse a label beyond the classes; features does too, naming the
/// file, the row (among all rows, also in a shard) and the label.
#[test]
fn a_label_outside_the_classes_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.parquet");
    let mut labels = vec![0, 1, 2, 0, 1, 2];
    labels[4] = 15;
    dataset(labels).write(&input, None).unwrap();
    let out = dir.path().join("hog.parquet");
    let e = run_hog(&input, &out, &small_cells()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Input);
    let e = format!("{e:#}");
    let want = format!(
        "dataset {} row 4 has label 15, but the dataset names 3 classes (labels 0..=2)",
        input.display()
    );
    assert_eq!(e, want);
    let px = dir.path().join("px");
    let e = format!(
        "{:#}",
        run_pixels(&input, &px, "1/2".parse().unwrap(), Default::default()).unwrap_err()
    );
    assert!(e.contains("row 4 has label 15"), "{e}");
    assert_eq!(testkit::entries(dir.path()), ["in.parquet"], "nothing written, no directory left");
}

/// The pictures' directory is checked before the dataset is written: a file there, or
/// more pictures than the bound, leave no feature dataset behind.
#[test]
fn a_bad_pictures_directory_leaves_no_dataset() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.parquet");
    dataset(vec![0, 1, 2]).write(&input, None).unwrap();
    let out = dir.path().join("hog.parquet");
    let file = dir.path().join("pictures.png");
    std::fs::write(&file, "a file").unwrap();
    let cases = [
        (
            HogOptions { visualize: 2, visualize_out: Some(file.clone()), ..small_cells() },
            "exists and is not a directory",
            ErrorKind::Output,
        ),
        (
            HogOptions { visualize: 2, visualize_out: Some(out.clone()), ..small_cells() },
            "is the feature dataset's path",
            ErrorKind::Parameter,
        ),
        (
            HogOptions {
                visualize: 1001,
                visualize_out: Some(dir.path().join("p")),
                ..small_cells()
            },
            "--visualize must be at most 1000 pictures, got 1001",
            ErrorKind::Parameter,
        ),
    ];
    for (opts, want, kind) in cases {
        let e = run_hog(&input, &out, &opts).unwrap_err();
        assert_eq!(e.kind(), kind, "{e:#}");
        let e = format!("{e:#}");
        assert!(e.contains(want), "{want}: {e}");
        assert_eq!(testkit::entries(dir.path()), ["in.parquet", "pictures.png"]);
    }
    // Pictures beside a user's file: added one by one, the user's file kept, no staging left.
    let pictures = dir.path().join("pictures");
    std::fs::create_dir(&pictures).unwrap();
    std::fs::write(pictures.join("notes.txt"), "mine").unwrap();
    let opts = HogOptions { visualize: 2, visualize_out: Some(pictures.clone()), ..small_cells() };
    let s = run_hog(&input, &out, &opts).unwrap();
    assert_eq!(s.pictures, [pictures.join("hog-00000.png"), pictures.join("hog-00001.png")]);
    assert_eq!(testkit::entries(&pictures), ["hog-00000.png", "hog-00001.png", "notes.txt"]);
    assert_eq!(
        testkit::entries(dir.path()),
        ["hog.parquet", "in.parquet", "pictures", "pictures.png"]
    );
}

/// A shard writes only beside parts of its own set: a user's file or parts of another N
/// are refused (ingest refuses the same directories).
#[test]
fn a_shard_never_writes_beside_a_users_file_or_another_set() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.parquet");
    dataset(vec![0, 1, 2, 0, 1, 2, 0]).write(&input, None).unwrap();
    let user = dir.path().join("mine");
    std::fs::create_dir(&user).unwrap();
    std::fs::write(user.join("notes.txt"), "keep").unwrap();
    let shard = |s: &str| HogOptions { shard: s.parse::<Shard>().unwrap(), ..small_cells() };
    let e = run_hog(&input, &user, &shard("0/2")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Output);
    let e = format!("{e:#}");
    assert!(e.contains("holds notes.txt, which is not a part file of a sharded dataset"), "{e}");
    assert_eq!(testkit::entries(&user), ["notes.txt"]);

    let parts = dir.path().join("parts");
    run_hog(&input, &parts, &shard("0/2")).unwrap();
    let e = format!("{:#}", run_hog(&input, &parts, &shard("1/3")).unwrap_err());
    assert!(e.contains("a part of a set of 2 shards, but --shard 1/3"), "{e}");
    // Until the set is complete it is not a dataset; then it is the unsharded rows.
    let e = formats::read_feature_dataset(&parts).unwrap_err().to_string();
    assert!(e.contains("not one complete set of 2 shard parts"), "{e}");
    run_hog(&input, &parts, &shard("1/2")).unwrap();
    assert_eq!(formats::read_feature_dataset(&parts).unwrap().len(), 7);
}

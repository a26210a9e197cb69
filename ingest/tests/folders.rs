//! `ingest folders` and `ingest synth-xray`: every file read and sized, colour
//! models (gray, RGB, CMYK, progressive, PNG), bad files, and the SYNTHETIC mark.

mod common;

use std::path::{Path, PathBuf};

use common::{jpeg, opts, put, small_tree};
use formats::read_image_dataset;
use ingest::{run_folders, run_synth, FoldersParams, SynthParams};

fn png(w: u32, h: u32, color: image::ExtendedColorType, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    image::ImageEncoder::write_image(
        image::codecs::png::PngEncoder::new(&mut out),
        data,
        w,
        h,
        color,
    )
    .unwrap();
    out
}

use jpeg_encoder::ColorType;

/// A tree with every kind of file, each of one known uniform colour.
/// Returns (relative path, expected gray value) in row order.
fn build_tree(root: &Path) -> Vec<(&'static str, u8)> {
    let uni = |v: Vec<u8>| move |_: usize, _: usize| v.clone();
    // Class "cats" (label 0): JPEGs of several kinds and sizes.
    put(root, "cats/a_gray_big.jpeg", &jpeg(1200, 900, ColorType::Luma, &uni(vec![200]), false));
    put(root, "cats/b_rgb.jpg", &jpeg(300, 200, ColorType::Rgb, &uni(vec![255, 0, 0]), false));
    put(root, "cats/c_progressive.jpeg", &jpeg(640, 480, ColorType::Luma, &uni(vec![90]), true));
    put(
        root,
        "cats/d_cmyk.jpeg",
        &jpeg(100, 120, ColorType::Cmyk, &uni(vec![0, 0, 0, 128]), false),
    );
    put(root, "cats/e_small.jpeg", &jpeg(8, 6, ColorType::Luma, &uni(vec![30]), false));
    put(
        root,
        "cats/nested/f_progressive_rgb.jpeg",
        &jpeg(500, 700, ColorType::Rgb, &uni(vec![0, 0, 255]), true),
    );
    // Class "dogs" (label 1): PNGs, one with a misleading extension.
    put(root, "dogs/a_gray.png", &png(40, 50, image::ExtendedColorType::L8, &vec![77; 2000]));
    put(
        root,
        "dogs/b_rgba.png",
        &png(20, 20, image::ExtendedColorType::Rgba8, &[0, 255, 0, 255].repeat(400)),
    );
    put(
        root,
        "dogs/c_png_named.jpeg",
        &png(33, 17, image::ExtendedColorType::Rgb8, &[10, 20, 30].repeat(33 * 17)),
    );
    // Hidden files are ignored (the Kaggle archive has .DS_Store files).
    put(root, "dogs/.DS_Store", b"junk");
    vec![
        ("cats/a_gray_big.jpeg", 200),
        ("cats/b_rgb.jpg", 76),
        ("cats/c_progressive.jpeg", 90),
        ("cats/d_cmyk.jpeg", 127),
        ("cats/e_small.jpeg", 30),
        ("cats/nested/f_progressive_rgb.jpeg", 29),
        ("dogs/a_gray.png", 77),
        ("dogs/b_rgba.png", 150),
        ("dogs/c_png_named.jpeg", 18), // (19595·10 + 38470·20 + 7471·30 + 32768) >> 16
    ]
}

#[test]
fn every_file_is_read_and_sized_with_the_right_values() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("tree");
    let expected = build_tree(&root);
    let out = dir.path().join("out.parquet");
    let s = run_folders(&opts(&root, &out)).unwrap();
    assert_eq!(s.rows, expected.len());
    assert_eq!(s.classes, ["cats", "dogs"]);
    assert_eq!(s.hidden_ignored, 1);
    assert!(s.skipped.is_empty() && !s.synthetic);
    let ds = read_image_dataset(&out).unwrap();
    assert_eq!((ds.meta.height, ds.meta.width, ds.meta.channels), (16, 16, 1));
    assert_eq!(ds.meta.classes, ["cats", "dogs"]);
    assert!(ds.meta.source.contains("tree") && !ds.meta.source.contains("SYNTHETIC"));
    let paths = ds.paths.as_ref().unwrap();
    for (i, (rel, value)) in expected.iter().enumerate() {
        assert_eq!(paths[i], root.join(rel).to_string_lossy(), "row {i}");
        assert_eq!(ds.labels[i], if rel.starts_with("cats") { 0 } else { 1 }, "{rel}");
        let img = ds.image(i);
        assert_eq!(img.len(), 256);
        // JPEG is lossy: uniform areas come back within ±2; PNG exactly.
        let tol = if rel.ends_with(".png") || rel.contains("png_named") { 0 } else { 2 };
        for &p in img {
            assert!((p as i32 - *value as i32).abs() <= tol, "{rel}: pixel {p}, expected {value}");
        }
    }
}

#[test]
fn rgb_output_and_rows_per_file_directory() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("tree");
    build_tree(&root);
    let out = dir.path().join("rgb-parts");
    let mut o = opts(&root, &out);
    o.channels = 3;
    o.size = params::Size2::new(8, 12);
    o.rows_per_file = Some(4);
    run_folders(&o).unwrap();
    assert_eq!(formats::list_parts(&out).unwrap().len(), 3);
    let ds = read_image_dataset(&out).unwrap();
    assert_eq!((ds.len(), ds.meta.height, ds.meta.width, ds.meta.channels), (9, 8, 12, 3));
    // b_rgb.jpg is pure red; b_rgba.png pure green; gray files have R = G = B.
    let red = ds.image(1);
    assert!(red.chunks(3).all(|p| p[0] >= 250 && p[1] <= 5 && p[2] <= 5), "{:?}", &red[..6]);
    let green = ds.image(7);
    assert!(green.chunks(3).all(|p| p == [0, 255, 0]));
    assert!(ds.image(0).chunks(3).all(|p| p[0] == p[1] && p[1] == p[2]));
}

#[test]
fn geometry_survives_dct_scaling_and_area_resize() {
    // 1600x800 JPEG: left half black, right half white, top-right quarter gray.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("tree");
    put(
        &root,
        "x/img.jpeg",
        &jpeg(
            1600,
            800,
            ColorType::Luma,
            &|x, y| {
                vec![if x < 800 {
                    0
                } else if y < 400 {
                    128
                } else {
                    255
                }]
            },
            false,
        ),
    );
    let out = dir.path().join("o.parquet");
    let mut o = opts(&root, &out);
    o.size = params::Size2::new(20, 40);
    run_folders(&o).unwrap();
    let ds = read_image_dataset(&out).unwrap();
    let img = ds.image(0);
    let at = |y: usize, x: usize| img[y * 40 + x] as i32;
    for y in [0, 5, 14, 19] {
        for x in [0, 10, 18] {
            assert!(at(y, x) <= 3, "({y},{x}) = {}", at(y, x));
        }
        for x in [21, 30, 39] {
            let want = if y < 10 { 128 } else { 255 };
            assert!((at(y, x) - want).abs() <= 3, "({y},{x}) = {}", at(y, x));
        }
    }
}

fn expect_failure(root: &Path, out: &Path, what: &[&str]) -> String {
    let err = format!("{:#}", run_folders(&opts(root, out)).unwrap_err());
    for w in what {
        assert!(err.contains(w), "error does not say {w:?}: {err}");
    }
    assert!(!out.exists(), "output written despite the error");
    let leftovers: Vec<_> = std::fs::read_dir(out.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    err
}

#[test]
fn corrupt_jpeg_fails_naming_it_or_is_skipped_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("tree");
    small_tree(&root);
    let good = jpeg(200, 200, ColorType::Luma, &|x, y| vec![(x ^ y) as u8], false);
    let bad = put(&root, "B/broken.jpeg", &good[..good.len() / 3]);
    let out = dir.path().join("o.parquet");
    let err = expect_failure(&root, &out, &["1 of 4 files", "broken.jpeg", "--skip-bad"]);
    assert!(err.contains(&bad.display().to_string()), "{err}");

    let mut o = opts(&root, &out);
    o.skip_bad = true;
    let s = run_folders(&o).unwrap();
    assert_eq!(s.rows, 3);
    assert_eq!(s.skipped.len(), 1);
    assert_eq!(s.skipped[0].0, bad);
    let ds = read_image_dataset(&out).unwrap();
    assert_eq!(ds.len(), 3);
    assert!(ds.paths.unwrap().iter().all(|p| !p.contains("broken")));
}

#[test]
fn empty_class_folder_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("tree");
    small_tree(&root);
    std::fs::create_dir_all(root.join("C_empty")).unwrap();
    put(&root, "C_empty/.hidden", b"x");
    expect_failure(&root, &dir.path().join("o.parquet"), &["class folder", "C_empty", "is empty"]);
    // --skip-bad does not excuse a structural error.
    let mut o = opts(&root, &dir.path().join("o.parquet"));
    o.skip_bad = true;
    assert!(run_folders(&o).is_err());
    // A root without class folders.
    let flat = dir.path().join("flat");
    put(&flat, "x.jpeg", &jpeg(8, 8, ColorType::Luma, &|_, _| vec![1], false));
    expect_failure(&flat, &dir.path().join("o.parquet"), &["flat", "no class folders"]);
}

#[test]
fn non_image_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("tree");
    small_tree(&root);
    put(&root, "A/notes.txt", b"these are notes");
    expect_failure(
        &root,
        &dir.path().join("o.parquet"),
        &["notes.txt", "not a JPEG or PNG image", "74 68 65 73"],
    );
}

#[test]
fn zero_byte_jpeg_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("tree");
    small_tree(&root);
    put(&root, "A/zero.jpeg", b"");
    expect_failure(&root, &dir.path().join("o.parquet"), &["zero.jpeg", "empty file (0 bytes)"]);
    // A JPEG header with nothing after it.
    std::fs::remove_file(root.join("A/zero.jpeg")).unwrap();
    put(&root, "A/stub.jpeg", &[0xFF, 0xD8, 0xFF, 0xE0]);
    expect_failure(&root, &dir.path().join("o.parquet"), &["stub.jpeg", "JPEG"]);
}

#[test]
fn all_bad_with_skip_bad_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("tree");
    put(&root, "A/a.jpeg", b"nope");
    let out = dir.path().join("o.parquet");
    let mut o = opts(&root, &out);
    o.skip_bad = true;
    let err = format!("{:#}", run_folders(&o).unwrap_err());
    assert!(err.contains("none of the 1 files"), "{err}");
    assert!(!out.exists());
}

#[test]
fn synthetic_tree_has_kaggle_layout_and_is_marked_synthetic() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("chest_xray");
    let o = SynthParams {
        out: out.clone(),
        train: 8,
        val: 0,
        test: 2,
        pneumonia_ratio: Some(1.0),
        seed: Some(3),
        min_size: Some(100),
        max_size: Some(260),
        quality: Some(85),
        progress: false,
    };
    let s = run_synth(&o).unwrap();
    assert_eq!((s.files, s.rgb, s.progressive), (20, 2, 2));
    let readme = std::fs::read_to_string(out.join("README.txt")).unwrap();
    assert!(readme.starts_with("SYNTHETIC"));
    assert!(!out.join("val").exists());
    for (split, n) in [("train", 8), ("test", 2)] {
        for class in ["NORMAL", "PNEUMONIA"] {
            let count = std::fs::read_dir(out.join(split).join(class)).unwrap().count();
            assert_eq!(count, n, "{split}/{class}");
        }
    }
    // Index 7 is RGB, index 3 progressive; sizes within bounds.
    let decode_info = |p: PathBuf| {
        let bytes = std::fs::read(&p).unwrap();
        let mut d = jpeg_decoder::Decoder::new(&bytes[..]);
        d.read_info().unwrap();
        d.info().unwrap()
    };
    let rgb = decode_info(out.join("train/PNEUMONIA").join(ingest::synth::file_name(
        "train",
        "PNEUMONIA",
        7,
    )));
    assert_eq!(rgb.pixel_format, jpeg_decoder::PixelFormat::RGB24);
    let prog =
        decode_info(out.join("train/NORMAL").join(ingest::synth::file_name("train", "NORMAL", 3)));
    assert_eq!(prog.coding_process, jpeg_decoder::CodingProcess::DctProgressive);
    assert!((100..=260).contains(&prog.width) && (100..=260).contains(&prog.height));

    // Same seed → same bytes.
    let again = dir.path().join("again");
    run_synth(&SynthParams { out: again.clone(), ..o.clone() }).unwrap();
    let rel = "train/NORMAL/synth-train-normal-00005.jpeg";
    assert_eq!(std::fs::read(out.join(rel)).unwrap(), std::fs::read(again.join(rel)).unwrap());

    // Ingested, the dataset says SYNTHETIC, and pneumonia images are brighter in the lungs.
    let ds_path = dir.path().join("train.parquet");
    let mut fo = opts(&out.join("train"), &ds_path);
    fo.size = params::Size2::new(64, 64);
    let fs = run_folders(&fo).unwrap();
    assert!(fs.synthetic);
    let ds = read_image_dataset(&ds_path).unwrap();
    assert_eq!(ds.meta.classes, ["NORMAL", "PNEUMONIA"]);
    assert!(ds.meta.source.starts_with("SYNTHETIC"), "{}", ds.meta.source);
    assert_eq!(ds.len(), 16);

    // A directory that is not ours is never replaced.
    let foreign = dir.path().join("foreign");
    put(&foreign, "keep.txt", b"mine");
    let err =
        format!("{:#}", run_synth(&SynthParams { out: foreign.clone(), ..o.clone() }).unwrap_err());
    assert!(err.contains("refusing to replace"), "{err}");
    assert!(foreign.join("keep.txt").exists());
}

#[test]
fn cli_reports_errors_in_one_sentence_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("tree");
    small_tree(&root);
    put(&root, "A/zero.jpeg", b"");
    let out = dir.path().join("o.parquet");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_ingest"))
        .args(["folders", "--root"])
        .arg(&root)
        .arg("--out")
        .arg(&out)
        .args(["--size", "32x32"])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.starts_with("error: ") && stderr.contains("zero.jpeg"), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(!out.exists());

    let ok = std::process::Command::new(env!("CARGO_BIN_EXE_ingest"))
        .args(["folders", "--skip-bad", "--size", "32x32", "--root"])
        .arg(&root)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(ok.status.success());
    let stdout = String::from_utf8_lossy(&ok.stdout);
    let stderr = String::from_utf8_lossy(&ok.stderr);
    assert!(stdout.contains("3 rows") && stdout.contains("1 bad files skipped"), "{stdout}");
    assert!(stderr.contains("skipped") && stderr.contains("zero.jpeg"), "{stderr}");

    // --help explains every flag.
    for (sub, flags) in [
        (
            "idx",
            &[
                "--images",
                "--labels",
                "--out",
                "--val-fraction",
                "--val-out",
                "--seed",
                "--rows-per-file",
                "--classes",
            ][..],
        ),
        (
            "folders",
            &["--root", "--out", "--size", "--channels", "--skip-bad", "--rows-per-file"][..],
        ),
        (
            "synth-xray",
            &[
                "--out",
                "--train",
                "--val",
                "--test",
                "--pneumonia-ratio",
                "--seed",
                "--min-size",
                "--max-size",
            ][..],
        ),
    ] {
        let help = std::process::Command::new(env!("CARGO_BIN_EXE_ingest"))
            .args([sub, "--help"])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&help.stdout);
        for f in flags {
            assert!(text.contains(f), "{sub} --help lacks {f}: {text}");
        }
    }
}

/// `--shard K/N` over the sorted file list: the parts are the unsharded dataset's
/// rows in order, paths included; a shard given no file writes an empty part.
#[test]
fn shards_concatenated_equal_the_unsharded_run() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    small_tree(&root);
    put(&root, "B/2.jpeg", &jpeg(40, 30, ColorType::Luma, &|x, y| vec![(x * y) as u8], true));
    put(&root, "C/1.jpeg", &jpeg(30, 40, ColorType::Rgb, &|x, _| vec![x as u8, 9, 200], false));
    let whole = dir.path().join("whole.parquet");
    run_folders(&opts(&root, &whole)).unwrap();
    let expected = read_image_dataset(&whole).unwrap();
    assert_eq!(expected.len(), 5);
    for n in [2, 3, 7] {
        let out = dir.path().join(format!("shards-{n}"));
        let mut rows = 0;
        for k in 0..n {
            let o =
                FoldersParams { shard: format!("{k}/{n}").parse().unwrap(), ..opts(&root, &out) };
            let s = run_folders(&o).unwrap();
            assert_eq!(s.classes, ["A", "B", "C"], "every shard knows every class");
            rows += s.rows;
        }
        assert_eq!(rows, 5);
        assert_eq!(read_image_dataset(&out).unwrap(), expected, "{n} shards");
    }
}

/// The Kaggle root given instead of one split (`chest_xray/` rather than
/// `chest_xray/train`) would make a 3-class dataset of train/val/test: refused, unless
/// the user says the folders are classes.
#[test]
fn a_root_of_splits_is_refused_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("chest_xray");
    for split in ["train", "val", "test"] {
        small_tree(&root.join(split));
    }
    let out = dir.path().join("out.parquet");
    let e = format!("{:#}", run_folders(&opts(&root, &out)).unwrap_err());
    assert!(
        e.contains("holds the folders test, train, val, which look like a dataset's splits"),
        "{e}"
    );
    assert!(e.contains("(e.g. ") && e.contains("chest_xray/train)"), "{e}");
    assert!(!out.exists());
    let o = FoldersParams { allow_split_names: true, ..opts(&root, &out) };
    assert_eq!(run_folders(&o).unwrap().classes, ["test", "train", "val"]);
}

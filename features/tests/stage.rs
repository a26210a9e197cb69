//! The `features` stage end to end: datasets in and out, metadata, pictures,
//! `pixels`, and every bad input (one clear error, no output file).

use std::path::{Path, PathBuf};
use std::process::Command;

use features::{run_hog, run_pixels, Hog, HogOptions, HogParams, Size2};
use formats::{
    read_feature_dataset, FeatureDataset, FeatureMeta, FeatureParams, ImageDataset, ImageMeta,
    PixelFeatures,
};

/// A small image dataset with deterministic, varied pixels.
fn images(n: usize, h: usize, w: usize, c: usize) -> ImageDataset {
    let mut state = 12345u32;
    let mut next = move || {
        state = state.wrapping_mul(1664525).wrapping_add(1013904223);
        (state >> 24) as u8
    };
    ImageDataset {
        meta: ImageMeta {
            height: h,
            width: w,
            channels: c,
            classes: vec!["a".into(), "b".into(), "c".into()],
            source: "unit test".into(),
        },
        labels: (0..n as i32).map(|i| i % 3).collect(),
        images: (0..n * h * w * c).map(|_| next()).collect(),
        paths: None,
    }
}

fn seed_params() -> HogParams {
    HogParams {
        orientations: 8,
        pixels_per_cell: Size2::new(4, 4),
        cells_per_block: Size2::new(1, 1),
        ..Default::default()
    }
}

/// Files in `dir`, hidden temporaries included.
fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn hog_writes_features_labels_and_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("images");
    let ds = images(9000, 28, 28, 1); // more than one 8192-row read batch
    ds.write(&input, Some(4000)).unwrap(); // a directory of 3 parts
    let out = dir.path().join("hog.parquet");
    let summary =
        run_hog(&input, &out, &HogOptions { params: seed_params(), ..Default::default() }).unwrap();
    assert_eq!((summary.rows, summary.dim), (9000, 392));
    let back = read_feature_dataset(&out).unwrap();
    assert_eq!(back.labels, ds.labels);
    assert_eq!(back.meta.dim, 392);
    assert_eq!(back.meta.classes, ds.meta.classes);
    assert_eq!(back.meta.source, "unit test");
    let Some(FeatureParams::Hog(p)) = &back.meta.params else {
        panic!("HOG metadata expected: {:?}", back.meta.params)
    };
    assert_eq!(p.params, seed_params());
    assert_eq!((p.height, p.width, p.channels, p.dim), (28, 28, 1, 392));
    assert!(p.reference.starts_with("skimage.feature.hog 0.26"), "{}", p.reference);
    // The metadata's text, as docs/features.md shows it.
    let text = back.meta.params.as_ref().unwrap().to_json();
    assert!(
        text.starts_with(r#"{"block_norm":"L2-Hys","cells_per_block":[1,1],"channels":1,"dim":392,"height":28,"method":"hog","orientations":8,"pixels_per_cell":[4,4],"#),
        "{text}"
    );
    // Row by row equal to the extractor itself (streaming and ordering intact).
    let hog = Hog::new(seed_params(), 28, 28, 1).unwrap();
    let mut s = hog.scratch();
    let mut v = vec![0.0; 392];
    for i in [0, 4321, 8191, 8192, 8999] {
        hog.compute(&ds.images[i * 784..(i + 1) * 784], &mut s, &mut v);
        assert_eq!(back.row(i), &v[..], "row {i}");
    }
    assert_eq!(listing(dir.path()), ["hog.parquet", "images"]);
}

#[test]
fn hog_handles_color_and_uneven_sizes() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("rgb.parquet");
    images(10, 30, 22, 3).write(&input, None).unwrap();
    let params = HogParams {
        orientations: 6,
        pixels_per_cell: Size2::new(5, 4),
        cells_per_block: Size2::new(2, 2),
        ..Default::default()
    };
    let out = dir.path().join("f.parquet");
    let s = run_hog(&input, &out, &HogOptions { params, ..Default::default() }).unwrap();
    // 30x22 → 6x5 cells → 5x4 blocks of 2x2 cells × 6 bins.
    assert_eq!(s.dim, 5 * 4 * 2 * 2 * 6);
    let meta = read_feature_dataset(&out).unwrap().meta;
    let Some(FeatureParams::Hog(p)) = meta.params else { panic!("{:?}", meta.params) };
    assert_eq!((p.params, p.height, p.width, p.channels), (params, 30, 22, 3));
}

#[test]
fn pictures_are_pngs_of_image_and_glyphs() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.parquet");
    images(5, 28, 28, 1).write(&input, None).unwrap();
    let pics = dir.path().join("pics");
    let opts = HogOptions {
        params: seed_params(),
        visualize: 3,
        visualize_out: Some(pics.clone()),
        ..Default::default()
    };
    let s = run_hog(&input, &dir.path().join("f.parquet"), &opts).unwrap();
    assert_eq!(s.pictures.len(), 3);
    assert_eq!(listing(&pics), ["hog-00000.png", "hog-00001.png", "hog-00002.png"]);
    let img = image::open(pics.join("hog-00000.png")).unwrap().to_rgb8();
    // 28 px × 9 on each side, 4 px apart.
    assert_eq!(img.dimensions(), (28 * 9 * 2 + 4, 28 * 9));
    let glyph_pixels = (0..img.height())
        .flat_map(|y| (28 * 9 + 4..img.width()).map(move |x| (x, y)))
        .filter(|&(x, y)| img.get_pixel(x, y)[0] > 0)
        .count();
    assert!(glyph_pixels > 500, "the glyph half is nearly empty: {glyph_pixels} lit pixels");
    // Asking for more pictures than images writes one per image.
    let opts = HogOptions {
        params: seed_params(),
        visualize: 50,
        visualize_out: Some(dir.path().join("all")),
        ..Default::default()
    };
    assert_eq!(run_hog(&input, &dir.path().join("g.parquet"), &opts).unwrap().pictures.len(), 5);
}

#[test]
fn pixels_are_scaled_to_unit_float32() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.parquet");
    let ds = images(7, 4, 3, 2);
    ds.write(&input, None).unwrap();
    let out = dir.path().join("px.parquet");
    let s = run_pixels(&input, &out, formats::Shard::WHOLE, Default::default()).unwrap();
    assert_eq!((s.rows, s.dim), (7, 24));
    let back = read_feature_dataset(&out).unwrap();
    assert_eq!(back.labels, ds.labels);
    let expected: Vec<f32> = ds.images.iter().map(|&v| v as f32 / 255.0).collect();
    assert_eq!(back.features, expected);
    assert_eq!(
        back.meta.params,
        Some(FeatureParams::Pixels(PixelFeatures {
            scale: "1/255".into(),
            height: 4,
            width: 3,
            channels: 2,
            order: "row-major HxWxC".into(),
            dim: 24,
        }))
    );
    assert!(back.features.iter().all(|&v| (0.0..=1.0).contains(&v)));
}

// ---- bad input: one clear error, non-zero exit, no output ----

fn features_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_features"))
}

/// Runs the binary; returns (exit code, stderr).
fn run_cli(args: &[&str]) -> (i32, String) {
    let o = Command::new(features_bin()).args(args).output().unwrap();
    (o.status.code().unwrap_or(-1), String::from_utf8_lossy(&o.stderr).into_owned())
}

fn assert_fails_cleanly(args: &[&str], out: &Path, expected: &str) {
    let (code, err) = run_cli(args);
    assert_eq!(code, 1, "exit code; stderr: {err}");
    assert!(err.starts_with("error: ") && err.contains(expected), "stderr: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line of error: {err}");
    assert!(!out.exists(), "{} was written", out.display());
    let parent = out.parent().unwrap();
    if parent.exists() {
        assert!(
            listing(parent).iter().all(|f| !f.contains(".tmp-")),
            "temporary left: {:?}",
            listing(parent)
        );
    }
}

#[test]
fn dataset_without_image_column_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("features.parquet");
    FeatureDataset {
        meta: FeatureMeta { dim: 2, classes: vec![], source: String::new(), params: None },
        labels: vec![0, 1],
        features: vec![0.0; 4],
    }
    .write(&input, None)
    .unwrap();
    let out = dir.path().join("o/hog.parquet");
    let (i, o) = (input.to_str().unwrap(), out.to_str().unwrap());
    assert_fails_cleanly(
        &["hog", "--in", i, "--out", o],
        &out,
        "has no `image` column (columns: label, features)",
    );
    assert_fails_cleanly(&["pixels", "--in", i, "--out", o], &out, "has no `image` column");
    let e = run_hog(&input, &out, &HogOptions::default()).unwrap_err().to_string();
    assert!(e.contains("features.parquet"), "{e}");
}

#[test]
fn cell_larger_than_image_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.parquet");
    images(3, 28, 28, 1).write(&input, None).unwrap();
    let out = dir.path().join("hog.parquet");
    let (i, o) = (input.to_str().unwrap(), out.to_str().unwrap());
    assert_fails_cleanly(
        &["hog", "--in", i, "--out", o, "--pixels-per-cell", "8x32"],
        &out,
        "a cell of 8x32 pixels is larger than the 28x28 images",
    );
    // Default 3x3 blocks of 10-pixel cells do not fit 28 pixels either (scikit-image refuses too).
    assert_fails_cleanly(
        &["hog", "--in", i, "--out", o, "--pixels-per-cell", "10"],
        &out,
        "block of 3x3 cells is larger",
    );
}

#[test]
fn zero_orientations_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.parquet");
    images(3, 28, 28, 1).write(&input, None).unwrap();
    let out = dir.path().join("hog.parquet");
    let (i, o) = (input.to_str().unwrap(), out.to_str().unwrap());
    assert_fails_cleanly(
        &["hog", "--in", i, "--out", o, "--orientations", "0"],
        &out,
        "orientations must be at least 1",
    );
}

#[test]
fn unknown_block_norm_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.parquet");
    images(3, 28, 28, 1).write(&input, None).unwrap();
    let out = dir.path().join("hog.parquet");
    let (i, o) = (input.to_str().unwrap(), out.to_str().unwrap());
    assert_fails_cleanly(
        &["hog", "--in", i, "--out", o, "--block-norm", "L3"],
        &out,
        "unknown block norm \"L3\": expected L1, L1-sqrt, L2 or L2-Hys",
    );
    assert_fails_cleanly(
        &["hog", "--in", i, "--out", o, "--pixels-per-cell", "4xq"],
        &out,
        "for '--pixels-per-cell <RxC>': \"4xq\" is not valid",
    );
    assert_fails_cleanly(
        &["hog", "--in", i, "--out", o, "--visualize", "2"],
        &out,
        "--visualize 2 needs --visualize-out DIR",
    );
}

#[test]
fn missing_input_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("hog.parquet");
    let missing = dir.path().join("nope.parquet");
    assert_fails_cleanly(
        &["hog", "--in", missing.to_str().unwrap(), "--out", out.to_str().unwrap()],
        &out,
        "nope.parquet",
    );
}

/// `--shard K/N`: the parts of N shards, read in order, are the rows of one unsharded
/// run, value for value, with the same metadata (HOG and pixels).
#[test]
fn shards_concatenated_equal_the_unsharded_run() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    // 23 images as parts of 5 rows: shard boundaries fall inside parts.
    images(23, 28, 28, 1).write(&input, Some(5)).unwrap();
    let whole = dir.path().join("whole.parquet");
    let opts = HogOptions { params: seed_params(), ..Default::default() };
    run_hog(&input, &whole, &opts).unwrap();
    run_pixels(
        &input,
        &dir.path().join("whole-px.parquet"),
        formats::Shard::WHOLE,
        Default::default(),
    )
    .unwrap();
    for n in [1, 2, 3, 7] {
        let sharded = dir.path().join(format!("hog-{n}"));
        let px = dir.path().join(format!("px-{n}"));
        let mut rows = 0;
        for k in 0..n {
            let shard: formats::Shard = format!("{k}/{n}").parse().unwrap();
            rows += run_hog(&input, &sharded, &HogOptions { shard, ..opts.clone() }).unwrap().rows;
            run_pixels(&input, &px, shard, Default::default()).unwrap();
        }
        assert_eq!(rows, 23);
        let (a, b) =
            (read_feature_dataset(&whole).unwrap(), read_feature_dataset(&sharded).unwrap());
        assert_eq!(a, b, "{n} shards of HOG");
        if n > 1 {
            assert_eq!(listing(&sharded).len(), n);
        }
        assert_eq!(
            read_feature_dataset(&dir.path().join("whole-px.parquet")).unwrap(),
            read_feature_dataset(&px).unwrap(),
            "{n} shards of pixels"
        );
    }
}

/// The codecs of the column chunks of the file at `path`, as the footer names them.
fn codecs(path: &Path) -> Vec<String> {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let reader = SerializedFileReader::new(std::fs::File::open(path).unwrap()).unwrap();
    let meta = reader.metadata();
    (0..meta.num_row_groups())
        .flat_map(|g| meta.row_group(g).columns().iter().map(|c| c.compression().to_string()))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect()
}

#[test]
fn compression_changes_the_pages_not_the_values() {
    use params::Compression;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("images.parquet");
    images(300, 28, 28, 1).write(&input, None).unwrap();
    let hog = |codec: Compression| {
        let out = dir.path().join(format!("hog-{codec}.parquet"));
        let opts = HogOptions { params: seed_params(), compression: codec, ..Default::default() };
        run_hog(&input, &out, &opts).unwrap();
        (read_feature_dataset(&out).unwrap(), codecs(&out))
    };
    let (plain, plain_codecs) = hog(Compression::default());
    assert_eq!(plain_codecs, ["UNCOMPRESSED"]);
    for (codec, name) in [
        (Compression::Snappy, "SNAPPY"),
        (Compression::Lz4Raw, "LZ4_RAW"),
        (Compression::Zstd, "ZSTD(ZstdLevel(1))"),
    ] {
        let (back, names) = hog(codec);
        assert_eq!(names, [name], "{codec}");
        assert_eq!(back, plain, "{codec}");
    }
    let px = dir.path().join("pixels.parquet");
    run_pixels(&input, &px, formats::Shard::WHOLE, Compression::Lz4Raw).unwrap();
    assert_eq!(codecs(&px), ["LZ4_RAW"]);
}

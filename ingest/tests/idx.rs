//! `ingest idx`: round trips, the stratified split, every bad-input case, and the
//! full Fashion-MNIST training set read back by pyarrow.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use formats::read_image_dataset;
use ingest::{run_idx, ErrorKind, IdxParams};

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

fn idx_images(n: u32, h: u32, w: u32, pixels: &[u8]) -> Vec<u8> {
    let mut v = vec![0, 0, 8, 3];
    for d in [n, h, w] {
        v.extend_from_slice(&d.to_be_bytes());
    }
    v.extend_from_slice(pixels);
    v
}

fn idx_labels(labels: &[u8]) -> Vec<u8> {
    let mut v = vec![0, 0, 8, 1];
    v.extend_from_slice(&(labels.len() as u32).to_be_bytes());
    v.extend_from_slice(labels);
    v
}

fn sample(n: usize, h: usize, w: usize, classes: u8) -> (Vec<u8>, Vec<u8>) {
    let pixels = (0..n * h * w).map(|i| (i * 31 % 251) as u8).collect();
    let labels = (0..n).map(|i| (i * 7 % classes as usize) as u8).collect();
    (pixels, labels)
}

fn opts(dir: &Path, images: &Path, labels: &Path) -> IdxParams {
    IdxParams {
        images: images.to_path_buf(),
        labels: labels.to_path_buf(),
        out: dir.join("out.parquet"),
        val_fraction: None,
        val_out: None,
        seed: Some(42),
        rows_per_file: None,
        classes: None,
        progress: false,
        shard: formats::Shard::WHOLE,
    }
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// The directory holds exactly `names` (no output, no temporary leftovers).
fn assert_only(dir: &Path, names: &[&str]) {
    let mut found: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    found.sort();
    let mut want: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(found, want);
}

#[test]
fn small_idx_round_trips_gzip_images_and_raw_labels() {
    let dir = tempfile::tempdir().unwrap();
    let (pixels, labels) = sample(20, 4, 3, 10);
    let images = write(dir.path(), "imgs.bin", &gzip(&idx_images(20, 4, 3, &pixels)));
    // A raw file named .gz: the format is told by content, not by name.
    let labels_path = write(dir.path(), "labels.gz", &idx_labels(&labels));
    let o = opts(dir.path(), &images, &labels_path);
    let s = run_idx(&o).unwrap();
    assert_eq!((s.rows, s.height, s.width), (20, 4, 3));
    let ds = read_image_dataset(&o.out).unwrap();
    assert_eq!(ds.images, pixels);
    assert_eq!(ds.labels, labels.iter().map(|&l| l as i32).collect::<Vec<_>>());
    assert_eq!((ds.meta.height, ds.meta.width, ds.meta.channels), (4, 3, 1));
    assert_eq!(ds.meta.classes, (0..10).map(|i| i.to_string()).collect::<Vec<_>>());
    assert!(ds.meta.source.contains("imgs.bin"), "{}", ds.meta.source);
    assert!(ds.paths.is_none());
    assert_only(dir.path(), &["imgs.bin", "labels.gz", "out.parquet"]);
}

#[test]
fn class_names_and_rows_per_file_directory() {
    let dir = tempfile::tempdir().unwrap();
    let (pixels, labels) = sample(25, 2, 2, 3);
    let images = write(dir.path(), "i.idx", &idx_images(25, 2, 2, &pixels));
    let labels_path = write(dir.path(), "l.idx", &idx_labels(&labels));
    let mut o = opts(dir.path(), &images, &labels_path);
    o.out = dir.path().join("parts");
    o.rows_per_file = Some(10);
    o.classes = Some(vec!["a".into(), "b".into(), "c".into()]);
    run_idx(&o).unwrap();
    let parts = formats::list_parts(&o.out).unwrap();
    let names: Vec<_> =
        parts.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(names, ["part-00000.parquet", "part-00001.parquet", "part-00002.parquet"]);
    let ds = read_image_dataset(&o.out).unwrap();
    assert_eq!(ds.images, pixels);
    assert_eq!(ds.meta.classes, ["a", "b", "c"]);

    // A label beyond the named classes is an error.
    o.classes = Some(vec!["a".into(), "b".into()]);
    o.out = dir.path().join("two.parquet");
    let err = run_idx(&o).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Classes);
    let err = format!("{err:#}");
    assert!(
        err.contains("l.idx") && err.contains("label 2") && err.contains("only 2 classes"),
        "{err}"
    );
    assert!(!o.out.exists());
}

#[test]
fn validation_split_is_stratified_seeded_and_complete() {
    let dir = tempfile::tempdir().unwrap();
    // 200 images, classes 0..4 with 50 each.
    let (pixels, labels) = sample(200, 3, 3, 4);
    let images = write(dir.path(), "i.gz", &gzip(&idx_images(200, 3, 3, &pixels)));
    let labels_path = write(dir.path(), "l.gz", &gzip(&idx_labels(&labels)));
    let mut o = opts(dir.path(), &images, &labels_path);
    o.val_fraction = Some(0.2);
    o.val_out = Some(dir.path().join("val.parquet"));
    o.seed = Some(5);
    let s = run_idx(&o).unwrap();
    assert_eq!((s.rows, s.val_rows), (160, 40));
    let train = read_image_dataset(&o.out).unwrap();
    let val = read_image_dataset(o.val_out.as_ref().unwrap()).unwrap();
    for class in 0..4 {
        assert_eq!(val.labels.iter().filter(|&&l| l == class).count(), 10);
        assert_eq!(train.labels.iter().filter(|&&l| l == class).count(), 40);
    }
    // Every source image appears exactly once over the two outputs.
    let mut all: Vec<&[u8]> = (0..train.len())
        .map(|i| train.image(i))
        .chain((0..val.len()).map(|i| val.image(i)))
        .collect();
    all.sort();
    let mut want: Vec<&[u8]> = pixels.chunks(9).collect();
    want.sort();
    assert_eq!(all, want);
    // Same seed, same split; another seed, another split.
    let again = dir.path().join("val2.parquet");
    o.val_out = Some(again.clone());
    o.out = dir.path().join("train2.parquet");
    run_idx(&o).unwrap();
    assert_eq!(read_image_dataset(&again).unwrap(), val);
    o.seed = Some(6);
    run_idx(&o).unwrap();
    assert_ne!(read_image_dataset(&again).unwrap().images, val.images);

    // Out-of-range fraction.
    o.val_fraction = Some(1.5);
    let err = format!("{:#}", run_idx(&o).unwrap_err());
    assert!(err.contains("--val-fraction"), "{err}");
}

/// Runs `ingest idx` expecting an error of `kind`; checks it names `names_file` and says
/// `what`, and that no output appeared.
fn expect_error(kind: ErrorKind, images: &[u8], labels: &[u8], names_file: &str, what: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let i = write(dir.path(), "images.idx.gz", images);
    let l = write(dir.path(), "labels.idx.gz", labels);
    let o = opts(dir.path(), &i, &l);
    let err = run_idx(&o).unwrap_err();
    assert_eq!(err.kind(), kind, "{err:#}");
    let err = format!("{err:#}");
    assert!(err.contains(names_file), "error does not name {names_file}: {err}");
    for w in what {
        assert!(err.contains(w), "error does not say {w:?}: {err}");
    }
    assert_only(dir.path(), &["images.idx.gz", "labels.idx.gz"]);
}

#[test]
fn truncated_gzip_is_a_clear_error() {
    let (pixels, labels) = sample(50, 8, 8, 10);
    let gz = gzip(&idx_images(50, 8, 8, &pixels));
    expect_error(
        ErrorKind::Idx,
        &gz[..gz.len() / 2],
        &idx_labels(&labels),
        "images.idx.gz",
        &["truncated or corrupt gzip"],
    );
    // Cut inside the gzip trailer (CRC/length) only.
    expect_error(
        ErrorKind::Idx,
        &gz[..gz.len() - 3],
        &idx_labels(&labels),
        "images.idx.gz",
        &["gzip"],
    );
}

#[test]
fn truncated_payload_is_a_clear_error() {
    let (pixels, labels) = sample(10, 5, 5, 10);
    let full = idx_images(10, 5, 5, &pixels);
    // Raw: detected from the file size before reading.
    expect_error(
        ErrorKind::Idx,
        &full[..full.len() - 7],
        &idx_labels(&labels),
        "images.idx.gz",
        &["truncated payload", "250"],
    );
    // Gzip of a short payload.
    expect_error(
        ErrorKind::Idx,
        &gzip(&full[..full.len() - 7]),
        &idx_labels(&labels),
        "images.idx.gz",
        &["truncated payload", "243"],
    );
    // Labels short by one.
    expect_error(
        ErrorKind::Idx,
        &full,
        &idx_labels(&labels[..9])[..],
        "labels.idx.gz",
        &["10 images", "9 labels"],
    );
    // Extra bytes after the payload.
    let mut long = full.clone();
    long.push(0);
    expect_error(ErrorKind::Idx, &long, &idx_labels(&labels), "images.idx.gz", &["extra bytes"]);
}

#[test]
fn wrong_magic_and_dtype_are_clear_errors() {
    let (pixels, labels) = sample(4, 2, 2, 10);
    let mut bad = idx_images(4, 2, 2, &pixels);
    bad[0] = 0x12;
    expect_error(
        ErrorKind::Idx,
        &bad,
        &idx_labels(&labels),
        "images.idx.gz",
        &["wrong magic number 0x12000803"],
    );
    // Labels file given as images: 1 dimension instead of 3.
    expect_error(
        ErrorKind::Idx,
        &idx_labels(&labels),
        &idx_labels(&labels),
        "images.idx.gz",
        &["wrong magic number 0x00000801"],
    );
    // Float32 data.
    let mut float = idx_images(4, 2, 2, &pixels);
    float[2] = 0x0D;
    expect_error(
        ErrorKind::Idx,
        &float,
        &idx_labels(&labels),
        "images.idx.gz",
        &["dtype", "float32"],
    );
    // Not IDX at all, and too short for a header.
    expect_error(
        ErrorKind::Idx,
        b"hello world, this is text",
        &idx_labels(&labels),
        "images.idx.gz",
        &["not an IDX file"],
    );
    expect_error(ErrorKind::Idx, &[0, 0], &idx_labels(&labels), "images.idx.gz", &["too short"]);
    expect_error(
        ErrorKind::Idx,
        &gzip(&[0, 0, 8]),
        &idx_labels(&labels),
        "images.idx.gz",
        &["too short"],
    );
}

#[test]
fn count_mismatch_is_a_clear_error() {
    let (pixels, labels) = sample(6, 2, 2, 10);
    expect_error(
        ErrorKind::Idx,
        &gzip(&idx_images(6, 2, 2, &pixels)),
        &gzip(&idx_labels(&labels[..5])),
        "labels.idx.gz",
        &["count mismatch", "6 images", "5 labels", "images.idx.gz"],
    );
}

#[test]
fn header_claiming_terabytes_fails_before_allocating() {
    let (_, labels) = sample(4, 2, 2, 10);
    // 4e9 × 4e9 × 4e9 bytes overflows; 100000³ = 10^15 bytes = 1 PB does not.
    let huge = idx_images(u32::MAX, u32::MAX, u32::MAX, &[1, 2, 3]);
    expect_error(ErrorKind::Idx, &huge, &idx_labels(&labels), "images.idx.gz", &["overflow"]);
    let peta = idx_images(100_000, 100_000, 100_000, &[1, 2, 3, 4]);
    expect_error(
        ErrorKind::Idx,
        &peta,
        &idx_labels(&labels),
        "images.idx.gz",
        &["1000000000000000", "truncated payload"],
    );
    // Inside gzip the decompressed size is unknown up front: 1000 images of
    // 10^6 × 1000 px (1 TB) with 4 bytes present; the reader stops at the real
    // data (this test would abort on a terabyte allocation).
    let tera = idx_images(1000, 1_000_000, 1000, &[1, 2, 3, 4]);
    expect_error(
        ErrorKind::Idx,
        &gzip(&tera),
        &gzip(&idx_labels(&[0; 1000])),
        "images.idx.gz",
        &["1000000000000", "only 4 are present"],
    );
    let labels_peta = {
        let mut v = vec![0, 0, 8, 1];
        v.extend_from_slice(&u32::MAX.to_be_bytes());
        v
    };
    let (pixels, _) = sample(4, 2, 2, 10);
    expect_error(
        ErrorKind::Idx,
        &idx_images(4, 2, 2, &pixels),
        &gzip(&labels_peta),
        "labels.idx.gz",
        &["4294967295", "truncated payload"],
    );
}

#[test]
fn missing_input_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let o =
        opts(dir.path(), &dir.path().join("nope-images.gz"), &dir.path().join("nope-labels.gz"));
    let err = format!("{:#}", run_idx(&o).unwrap_err());
    assert!(err.contains("nope-images.gz") || err.contains("nope-labels.gz"), "{err}");
    assert_only(dir.path(), &[]);
}

const FASHION: &str = "/usr/share/datasets/fashion-mnist";

/// Whether `scripts/setup/setup.sh --with fashion` installs Fashion-MNIST here: as root
/// (the owner of `/proc/self` is this process's user; Linux) where `apt-get` is.
fn setup_could_install_fashion() -> bool {
    use std::os::unix::fs::MetadataExt;
    let root = std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0);
    let apt = std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|d| d.join("apt-get").is_file()));
    root && apt
}

fn gunzip(path: &Path) -> Vec<u8> {
    let mut v = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap()).read_to_end(&mut v).unwrap();
    v
}

#[test]
fn fashion_mnist_train_set_is_exact_and_pyarrow_reads_it() {
    let images = Path::new(FASHION).join("train-images-idx3-ubyte.gz");
    let labels = Path::new(FASHION).join("train-labels-idx1-ubyte.gz");
    if !images.exists() {
        // `make test` installs it where it can (`scripts/setup/setup.sh --with fashion`:
        // root on Debian, as CI runs); there it must be, elsewhere the test is skipped.
        let missing =
            format!("{} missing (Debian: apt-get install dataset-fashion-mnist)", images.display());
        assert!(
            !setup_could_install_fashion(),
            "{missing}: run scripts/setup/setup.sh --with fashion"
        );
        // Straight to stderr: cargo test keeps what `println!` says of a passing test.
        let line =
            format!("skipped: fashion_mnist_train_set_is_exact_and_pyarrow_reads_it: {missing}\n");
        std::io::stderr().write_all(line.as_bytes()).unwrap();
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut o = opts(dir.path(), &images, &labels);
    o.out = dir.path().join("fashion-train.parquet");
    let s = run_idx(&o).unwrap();
    assert_eq!(s.rows, 60_000);
    let ds = read_image_dataset(&o.out).unwrap();
    assert_eq!(ds.len(), 60_000);
    // Pixels and labels equal the IDX payloads byte for byte (headers: 16 and 8 bytes).
    let raw_images = gunzip(&images);
    let raw_labels = gunzip(&labels);
    assert_eq!(ds.images.len(), 60_000 * 784);
    assert!(ds.images == raw_images[16..], "pixels differ from the IDX bytes");
    assert!(ds.labels.iter().zip(&raw_labels[8..]).all(|(&a, &b)| a == b as i32));
    for class in 0..10 {
        assert_eq!(ds.labels.iter().filter(|&&l| l == class).count(), 6_000, "class {class}");
    }

    // pyarrow sees the documented schema and metadata.
    let python = testkit::venv_python("");
    let script = r#"
import json, sys
import pyarrow.parquet as pq
t = pq.read_table(sys.argv[1])
md = {k.decode(): v.decode() for k, v in t.schema.metadata.items()}
col = t.column("image").chunk(0)
print(json.dumps({
    "rows": t.num_rows,
    "fields": [[f.name, str(f.type), f.nullable] for f in t.schema],
    "meta": md,
    "first_label": t.column("label")[0].as_py(),
    "first_image_head": list(col[0].as_py()[:20]),
    "label_sum": sum(t.column("label").to_pylist()),
}))
"#;
    let out =
        std::process::Command::new(&python).arg("-c").arg(script).arg(&o.out).output().unwrap();
    assert!(out.status.success(), "pyarrow failed: {}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["rows"], 60_000);
    assert_eq!(
        v["fields"],
        serde_json::json!([["label", "int32", false], ["image", "fixed_size_binary[784]", false]])
    );
    let meta = &v["meta"];
    assert_eq!(meta["kind"], "image");
    assert_eq!(meta["height"], "28");
    assert_eq!(meta["width"], "28");
    assert_eq!(meta["channels"], "1");
    assert_eq!(meta["classes"], r#"["0","1","2","3","4","5","6","7","8","9"]"#);
    assert!(meta["source"].as_str().unwrap().contains("train-images-idx3-ubyte.gz"));
    assert_eq!(v["first_label"], raw_labels[8] as i64);
    assert_eq!(v["first_image_head"], serde_json::json!(raw_images[16..36].to_vec()));
    assert_eq!(v["label_sum"], 6_000 * 45);
}

#[test]
fn a_stray_large_label_without_class_names_is_refused() {
    // Ten digits and one label 255: 256 classes of which 11 have rows.
    let (pixels, mut labels) = sample(12, 2, 2, 10);
    labels[11] = 255;
    expect_error(
        ErrorKind::Classes,
        &gzip(&idx_images(12, 2, 2, &pixels)),
        &gzip(&idx_labels(&labels)),
        "labels.idx.gz",
        &["label 255", "256 classes", "only 11 of them have rows", "--classes"],
    );
    // Up to ten classes (the digits) need no names, whatever is present.
    let dir = tempfile::tempdir().unwrap();
    let (pixels, labels) = sample(4, 2, 2, 3);
    let i = write(dir.path(), "i.gz", &gzip(&idx_images(4, 2, 2, &pixels)));
    let l = write(dir.path(), "l.gz", &gzip(&idx_labels(&labels)));
    assert!(run_idx(&opts(dir.path(), &i, &l)).is_ok());
}

/// `kill -9` of a part-file ingest at the moment its new directory is about to be
/// swapped in: the old parts stay, whole. Without the kill the new parts replace
/// them whole, and the next run clears the killed run's temporaries.
#[test]
fn a_kill_at_the_commit_of_part_files_leaves_the_old_set() {
    let dir = tempfile::tempdir().unwrap();
    let (pixels, labels) = sample(25, 2, 2, 3);
    let images = write(dir.path(), "i.idx", &idx_images(25, 2, 2, &pixels));
    let labels_path = write(dir.path(), "l.idx", &idx_labels(&labels));
    let mut o = opts(dir.path(), &images, &labels_path);
    o.out = dir.path().join("parts");
    o.rows_per_file = Some(10);
    run_idx(&o).unwrap();
    let old = testkit::tree(&o.out);
    assert_eq!(old.len(), 3, "{:?}", old.iter().map(|f| &f.0).collect::<Vec<_>>());

    // Another set (7 rows per part: 4 files) at the same place, killed at its commit.
    let ingest = || {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_ingest"));
        c.arg("idx").arg("--images").arg(&images).arg("--labels").arg(&labels_path);
        c.arg("--out").arg(&o.out).args(["--rows-per-file", "7"]);
        c
    };
    let said = testkit::kill_at_commit(ingest());
    assert!(said.contains("parts"), "{said}");
    assert_eq!(testkit::tree(&o.out), old, "the old parts are intact");
    let temps = |d: &Path| testkit::temporaries(d).len();
    assert_eq!(temps(dir.path()), 1, "the killed run's staging directory is left");

    let done = ingest().output().unwrap();
    assert!(done.status.success(), "{}", String::from_utf8_lossy(&done.stderr));
    let new = testkit::tree(&o.out);
    assert_eq!(new.len(), 4);
    assert_eq!(read_image_dataset(&o.out).unwrap().images, pixels);
    assert_eq!(temps(dir.path()), 0, "the next run removed it");
}

/// `--shard K/N`: N shards of a stratified ingest, read part by part, are the train
/// and validation rows of the unsharded run, in the same order.
#[test]
fn shards_concatenated_equal_the_unsharded_run_split_included() {
    let dir = tempfile::tempdir().unwrap();
    let (pixels, labels) = sample(101, 3, 2, 4);
    let images = write(dir.path(), "i.gz", &gzip(&idx_images(101, 3, 2, &pixels)));
    let labels_path = write(dir.path(), "l.gz", &gzip(&idx_labels(&labels)));
    let mut o = opts(dir.path(), &images, &labels_path);
    o.val_fraction = Some(0.25);
    o.val_out = Some(dir.path().join("val.parquet"));
    run_idx(&o).unwrap();
    let (train, val) = (
        read_image_dataset(&o.out).unwrap(),
        read_image_dataset(o.val_out.as_ref().unwrap()).unwrap(),
    );
    for n in [2, 3, 5] {
        let mut s = o.clone();
        s.out = dir.path().join(format!("train-{n}"));
        s.val_out = Some(dir.path().join(format!("val-{n}")));
        let (mut rows, mut val_rows) = (0, 0);
        for k in 0..n {
            s.shard = format!("{k}/{n}").parse().unwrap();
            let summary = run_idx(&s).unwrap();
            rows += summary.rows;
            val_rows += summary.val_rows;
        }
        assert_eq!((rows, val_rows), (train.len(), val.len()));
        assert_eq!(read_image_dataset(&s.out).unwrap(), train, "{n} shards: train");
        assert_eq!(
            read_image_dataset(s.val_out.as_ref().unwrap()).unwrap(),
            val,
            "{n} shards: val"
        );
    }
}

//! `ingest folders` reads only regular files, refuses symlink loops, and refuses an image
//! header that claims too many pixels before decoding it.

mod common;

use std::path::Path;

use common::{jpeg, opts, put, small_tree};
use ingest::{run_folders, ErrorKind, FoldersParams};
use jpeg_encoder::ColorType;

/// `run_folders` in a thread, so a hang fails the test instead of blocking it.
fn folders_within(root: &Path, out: &Path, seconds: u64) -> String {
    let o = opts(root, out);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(run_folders(&o).map(|_| ()).map_err(|e| format!("{e:#}"))));
    let result =
        rx.recv_timeout(std::time::Duration::from_secs(seconds)).expect("ingest folders hangs");
    assert!(!out.exists(), "output written despite the error");
    result.expect_err("accepted")
}

#[test]
fn only_regular_files_are_read_and_symlink_loops_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.parquet");
    // A FIFO in a class folder: opening it would block forever.
    let root = dir.path().join("fifo");
    small_tree(&root);
    let fifo = root.join("A/pipe.jpeg");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let e = folders_within(&root, &out, 20);
    assert!(e.contains("pipe.jpeg is not a regular file"), "{e}");
    // A link to a device: read until memory runs out.
    let root = dir.path().join("device");
    small_tree(&root);
    std::os::unix::fs::symlink("/dev/zero", root.join("B/zero.jpeg")).unwrap();
    let e = folders_within(&root, &out, 20);
    assert!(e.contains("zero.jpeg is not a regular file"), "{e}");
    // A link back to its own class folder: a loop, not endless duplicate rows.
    let root = dir.path().join("loop");
    small_tree(&root);
    std::os::unix::fs::symlink(root.join("A"), root.join("A/again")).unwrap();
    let e = folders_within(&root, &out, 20);
    assert!(e.contains("again leads to") && e.contains("already listed"), "{e}");
}

#[test]
fn a_header_claiming_too_many_pixels_is_refused_before_decoding() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("tree");
    small_tree(&root);
    // A 64×64 JPEG whose frame header says 65500×65500.
    let mut bytes = jpeg(64, 64, ColorType::Luma, &|x, _| vec![x as u8], false);
    let sof = bytes.windows(2).position(|w| w == [0xFF, 0xC0]).expect("baseline frame header");
    bytes[sof + 5..sof + 9].copy_from_slice(&[0xFF, 0xDC, 0xFF, 0xDC]);
    put(&root, "A/huge.jpeg", &bytes);
    let out = dir.path().join("out.parquet");
    // The message comes from the header check: a decode would have failed otherwise.
    let e = folders_within(&root, &out, 20);
    assert!(
        e.contains("huge.jpeg") && e.contains("65500x65500 pixels, more than the 100 megapixels"),
        "{e}"
    );
    // The limit is a setting: 64×64 = 4096 pixels is over a limit of 4000.
    let small = dir.path().join("small");
    small_tree(&small);
    let o = FoldersParams { max_megapixels: Some(0.004), ..opts(&small, &out) };
    let e = run_folders(&o).unwrap_err();
    // Refused as images (over the limit), not as a tree.
    assert_eq!(e.kind(), ErrorKind::Image);
    let e = format!("{e:#}");
    assert!(e.contains("64x64 pixels, more than the 0.004 megapixels"), "{e}");
}

//! Test fixtures shared by the `ingest folders` tests: JPEG bytes, a file put in a
//! tree, the options, and a small two-class tree.

use std::path::{Path, PathBuf};

use ingest::FoldersParams;
use jpeg_encoder::ColorType;

pub fn jpeg(
    w: u16,
    h: u16,
    color: jpeg_encoder::ColorType,
    pixel: &dyn Fn(usize, usize) -> Vec<u8>,
    progressive: bool,
) -> Vec<u8> {
    let mut data = Vec::new();
    for y in 0..h as usize {
        for x in 0..w as usize {
            data.extend(pixel(x, y));
        }
    }
    let mut out = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut out, 95);
    enc.set_progressive(progressive);
    enc.encode(&data, w, h, color).unwrap();
    out
}

pub fn put(root: &Path, rel: &str, bytes: &[u8]) -> PathBuf {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, bytes).unwrap();
    p
}

pub fn opts(root: &Path, out: &Path) -> FoldersParams {
    FoldersParams {
        root: root.to_path_buf(),
        out: out.to_path_buf(),
        size: params::Size2::square(16),
        channels: 1,
        skip_bad: false,
        rows_per_file: None,
        progress: false,
        max_megapixels: None,
        shard: formats::Shard::WHOLE,
        allow_split_names: false,
    }
}

pub fn small_tree(root: &Path) {
    put(root, "A/1.jpeg", &jpeg(64, 64, ColorType::Luma, &|x, _| vec![x as u8], false));
    put(root, "A/2.jpeg", &jpeg(64, 64, ColorType::Luma, &|_, y| vec![y as u8], false));
    put(root, "B/1.jpeg", &jpeg(64, 64, ColorType::Luma, &|x, y| vec![(x + y) as u8], false));
}

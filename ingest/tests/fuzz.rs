//! Mutated IDX files (raw and gzip) never panic the IDX reader: every case ends in
//! `Ok` or one error sentence. `LAB_FUZZ_CASES` sets the budget (`scripts/test/fuzz-long.sh`).

use std::io::Write;

use ingest::idx::read_idx;

fn idx(magic_dims: u8, dims: &[u32], payload: &[u8]) -> Vec<u8> {
    let mut v = vec![0, 0, 8, magic_dims];
    dims.iter().for_each(|d| v.extend_from_slice(&d.to_be_bytes()));
    v.extend_from_slice(payload);
    v
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

#[test]
fn mutated_idx_is_an_error_never_a_panic() {
    let pixels: Vec<u8> = (0..12 * 7 * 5).map(|i| (i * 31 % 251) as u8).collect();
    let labels: Vec<u8> = (0..12).map(|i| i % 10).collect();
    let (images, labels) = (idx(3, &[12, 7, 5], &pixels), idx(1, &[12], &labels));
    // The seed corpus: each file raw and gzipped, read as the kind it is.
    let seeds = [(gzip(&images), 3), (images, 3), (gzip(&labels), 1), (labels, 1)];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mutated.idx");
    let cases = testkit::fuzz_cases();
    let mut rng = testkit::Rng::new(0x1D8);
    let (mut ok, mut refused, mut slowest) = (0, 0, testkit::Slowest::default());
    for i in 0..cases {
        let (seed, dims) = &seeds[i % seeds.len()];
        std::fs::write(&path, testkit::mutate(seed, &mut rng)).unwrap();
        match slowest.time(i, || read_idx(&path, *dims, "images")) {
            Ok(_) => ok += 1,
            Err(e) => {
                assert!(!format!("{e:#}").contains('\n'), "a multi-line error: {e:#}");
                refused += 1
            }
        }
    }
    println!("fuzz idx: {cases} cases: {ok} read, {refused} refused, 0 panics; {slowest}");
}

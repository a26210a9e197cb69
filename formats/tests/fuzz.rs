//! Mutated Parquet never panics the dataset or history readers: every case ends in
//! `Ok` or a typed error. `LAB_FUZZ_CASES` sets the budget (`scripts/test/fuzz-long.sh`).

use formats::{read_any_dataset, History};

#[test]
fn mutated_parquet_is_an_error_never_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    // The seed corpus: an image dataset, a feature dataset and a history, as written.
    let mut seeds = Vec::new();
    let image = dir.path().join("image.parquet");
    testkit::image_dataset(20, [6, 5, 1], &["a", "b", "c"], 1).write(&image, None).unwrap();
    seeds.push(std::fs::read(&image).unwrap());
    let features = dir.path().join("features.parquet");
    testkit::feature_dataset(20, 7, &["x", "y"], 2).write(&features, None).unwrap();
    seeds.push(std::fs::read(&features).unwrap());
    let history = dir.path().join("history.parquet");
    let epochs = (1..=4)
        .map(|e| formats::EpochRecord {
            epoch: e,
            loss: 1.0 / e as f64,
            accuracy: 0.5,
            val_loss: Some(0.9),
            val_accuracy: None,
            seconds: Some(0.1),
        })
        .collect();
    History { epochs }.write(&history).unwrap();
    seeds.push(std::fs::read(&history).unwrap());

    let cases = testkit::fuzz_cases();
    let mut rng = testkit::Rng::new(0xF022);
    let target = dir.path().join("mutated.parquet");
    let (mut ok, mut refused, mut slowest) = (0, 0, testkit::Slowest::default());
    for i in 0..cases {
        let bytes = testkit::mutate(&seeds[i % seeds.len()], &mut rng);
        std::fs::write(&target, &bytes).unwrap();
        let results = slowest.time(i, || {
            [read_any_dataset(&target).map(|_| ()), History::read(&target).map(|_| ())]
        });
        for r in results {
            match r {
                Ok(()) => ok += 1,
                Err(e) => {
                    assert!(!e.to_string().contains('\n'), "a multi-line error: {e}");
                    refused += 1
                }
            }
        }
    }
    println!(
        "fuzz parquet: {cases} cases (2 readers each): {ok} read, {refused} refused, 0 panics; {slowest}"
    );
}

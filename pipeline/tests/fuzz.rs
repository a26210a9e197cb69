//! Mutated manifests and model specs never panic their parsers: every case ends in a
//! manifest or one `file line N: key: problem` error. `LAB_FUZZ_CASES` sets the budget
//! (`scripts/test/fuzz-long.sh`).

use std::path::Path;

use pipeline::manifest::Manifest;

#[test]
fn mutated_manifests_are_an_error_never_a_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    // The seed corpus: the lab's manifest (as committed with the tests) and the example
    // model specs.
    let manifest = include_bytes!("fixtures/pipeline.toml");
    let specs: Vec<Vec<u8>> = ["mlp", "cnn", "hog_mlp", "pneumonia_cnn"]
        .iter()
        .map(|n| std::fs::read(root.join(format!("train/examples/{n}.toml"))).unwrap())
        .collect();
    let cases = testkit::fuzz_cases();
    let mut rng = testkit::Rng::new(0x70A1);
    let (mut ok, mut refused, mut slowest) = (0, 0, testkit::Slowest::default());
    for i in 0..cases {
        let result = slowest.time(i, || {
            if i % 2 == 0 {
                let text =
                    String::from_utf8_lossy(&testkit::mutate(manifest, &mut rng)).into_owned();
                Manifest::parse(&text, Path::new("pipeline.toml"))
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            } else {
                let seed = &specs[(i / 2) % specs.len()];
                let text = String::from_utf8_lossy(&testkit::mutate(seed, &mut rng)).into_owned();
                params::ModelSpec::from_toml_str(&text).map(|_| ()).map_err(|e| e.to_string())
            }
        });
        match result {
            Ok(()) => ok += 1,
            Err(e) => {
                // One line, but for a TOML syntax error's snippet (the line and a caret).
                let first_line = e.lines().next().unwrap_or("");
                let snippet = first_line.starts_with("pipeline.toml: invalid TOML at line");
                let lines = if snippet { 4 } else { 1 };
                assert_eq!(e.lines().count(), lines, "an error of other shape: {e}");
                refused += 1
            }
        }
    }
    println!(
        "fuzz manifest and spec: {cases} cases: {ok} parsed, {refused} refused, 0 panics; {slowest}"
    );
}

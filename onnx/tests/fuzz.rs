//! Mutated ONNX bytes never panic `read_metadata` (the protobuf decoder evaluate and
//! the tests use): every case ends in `Ok` or `OnnxError::Decode`.
//! `LAB_FUZZ_CASES` sets the budget (`scripts/test/fuzz-long.sh`).

use onnx::{read_metadata, Activation, GraphBuilder};

#[test]
fn mutated_models_are_an_error_never_a_panic() {
    let mut g = GraphBuilder::feature_input(3);
    g.dense(&[0.5; 6], &[0.0, 1.0], 3, 2);
    g.activation(Activation::Softmax);
    let classes = ["cat".to_string(), "dog".to_string()];
    let seed = g.finish(&classes, &[("spec".into(), "{\"layers\": []}".into())]).unwrap();
    let cases = testkit::fuzz_cases();
    let mut rng = testkit::Rng::new(0x0AA);
    let (mut ok, mut refused, mut slowest) = (0, 0, testkit::Slowest::default());
    for i in 0..cases {
        let bytes = testkit::mutate(&seed, &mut rng);
        match slowest.time(i, || read_metadata(&bytes)) {
            Ok(_) => ok += 1,
            Err(_) => refused += 1,
        }
    }
    println!(
        "fuzz onnx metadata: {cases} cases: {ok} read, {refused} refused, 0 panics; {slowest}"
    );
}

//! What the workspace's tests share: one seeded random stream ([`Rng`]) and small
//! dataset builders ([`image_dataset`], [`feature_dataset`]), so no test file carries
//! its own copy.
//!
//! ```
//! let mut rng = testkit::Rng::new(7);
//! let x = rng.uniform();
//! assert!((-1.0..1.0).contains(&x));
//! assert_eq!(testkit::Rng::new(7).uniform(), x); // the same seed, the same stream
//! let ds = testkit::image_dataset(4, [2, 3, 1], &["a", "b"], 1);
//! assert_eq!((ds.labels, ds.images.len()), (vec![0, 1, 0, 1], 4 * 6));
//! ```

use formats::{FeatureDataset, FeatureMeta, ImageDataset, ImageMeta};

/// Deterministic numbers without a `rand` dependency (xorshift64*).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A stream from a non-zero seed (0 is replaced by 1: xorshift never leaves 0).
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in [-1, 1), on a grid of 2⁻²³.
    pub fn uniform(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 23) as f32 - 1.0
    }

    /// `n` values uniform in [-scale, scale).
    pub fn vec(&mut self, n: usize, scale: f32) -> Vec<f32> {
        (0..n).map(|_| self.uniform() * scale).collect()
    }

    /// `n` uniform bytes.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| (self.next_u64() >> 56) as u8).collect()
    }
}

fn names(classes: &[&str]) -> Vec<String> {
    classes.iter().map(|s| s.to_string()).collect()
}

/// `rows` random images of `[height, width, channels]`, labels cycling through the classes.
pub fn image_dataset(
    rows: usize,
    [height, width, channels]: [usize; 3],
    classes: &[&str],
    seed: u64,
) -> ImageDataset {
    let mut rng = Rng::new(seed);
    let meta =
        ImageMeta { height, width, channels, classes: names(classes), source: "testkit".into() };
    let labels = (0..rows).map(|i| (i % classes.len()) as i32).collect();
    ImageDataset { meta, labels, images: rng.bytes(rows * height * width * channels), paths: None }
}

/// `rows` random feature vectors of `dim` values in [-1, 1), labels cycling through the classes.
pub fn feature_dataset(rows: usize, dim: usize, classes: &[&str], seed: u64) -> FeatureDataset {
    let mut rng = Rng::new(seed);
    let meta = FeatureMeta {
        dim,
        classes: names(classes),
        source: "testkit".into(),
        params: serde_json::json!({ "method": "test" }),
    };
    let labels = (0..rows).map(|i| (i % classes.len()) as i32).collect();
    FeatureDataset { meta, labels, features: rng.vec(rows * dim, 1.0) }
}

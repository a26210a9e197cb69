//! What a model needs in memory to train, computed from its spec before anything is
//! allocated, so a spec that cannot fit is one sentence instead of an abort.
//!
//! Per layer, with `p` its parameter count and `a` its output's elements per sample:
//! * `16·p` bytes: weights, gradients and the optimizer's two slots (f32 each), plus
//!   `4·p` more for the best epoch's copy with `restore_best_weights`;
//! * `8·a·batch_size` bytes: the layer's output and its gradient for one batch.
//!
//! This is a floor (the kernels' scratch buffers come on top). Without the input's
//! shape (a manifest model whose dataset is not read yet) every unknown size counts
//! as 1, so the floor still catches `units = 1e12`.
//!
//! ```
//! use params::{memory, ModelSpec};
//! // Read without `validate()`, which refuses this spec by the same floor.
//! let spec: ModelSpec = toml::from_str(r#"
//!     loss = "categorical_crossentropy"
//!     layers = [{ type = "flatten" }, { type = "dense", units = 1_000_000_000_000 }]
//! "#).unwrap();
//! assert!(ModelSpec::from_toml_str(&toml::to_string(&spec).unwrap()).is_err());
//! let need = memory::estimate(&spec, Some(&[28, 28, 1]));
//! assert_eq!(need.layer, Some(1));
//! let err = need.check(&spec, 24 << 30, "the limit").unwrap_err();
//! assert_eq!(err.key, "layers.1.units");
//! assert!(err.message.starts_with("the model needs 12.8 PB"), "{}", err.message);
//! assert!(err.message.ends_with("layer 2 (dense) takes 12.8 PB"), "{}", err.message);
//! ```

use crate::{LayerSpec, ModelSpec, ParamError};

/// The bytes a spec needs, and which layer makes the largest share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Estimate {
    /// Total bytes; `None` when the count does not fit in 64 bits.
    pub bytes: Option<u64>,
    /// Index of the layer whose own bytes are largest (or that overflowed).
    pub layer: Option<usize>,
    /// That layer's bytes (`None`: more than 2⁶⁴).
    pub layer_bytes: Option<u64>,
}

/// Walks the layers with checked arithmetic; `input` is one sample's shape
/// (`[H, W, C]` or `[D]`), unknown sizes count as 1.
pub fn estimate(spec: &ModelSpec, input: Option<&[usize]>) -> Estimate {
    let input: Vec<u64> = match input.or(spec.input_shape.as_deref()) {
        Some(s) => s.iter().map(|&d| d as u64).collect(),
        None => vec![1, 1, 1],
    };
    let restore = spec.early_stopping.as_ref().is_some_and(|e| e.restore_best_weights);
    let per_param: u64 = if restore { 20 } else { 16 };
    let batch = spec.batch_size as u64;
    // The running shape: [H, W, C] for images, [D] once flat.
    let mut shape = input;
    let mut total = Some(0u64);
    let mut worst: (Option<usize>, Option<u64>) = (None, Some(0));
    for (i, layer) in spec.layers.iter().enumerate() {
        let (params, next) = layer_size(layer, &shape);
        let elements = next.iter().try_fold(1u64, |acc, &d| acc.checked_mul(d));
        let bytes = (|| {
            let weights = params?.checked_mul(per_param)?;
            let activations = elements?.checked_mul(batch)?.checked_mul(8)?;
            weights.checked_add(activations)
        })();
        let larger = match (bytes, worst.1) {
            (None, Some(_)) => true,
            (Some(b), Some(w)) => b > w,
            _ => false,
        };
        if larger {
            worst = (Some(i), bytes);
        }
        total = total.and_then(|t| t.checked_add(bytes?));
        shape = next;
    }
    Estimate { bytes: total, layer: worst.0, layer_bytes: worst.1 }
}

/// A layer's parameter count and output shape from its input shape (saturating
/// where a window does not fit: the trainer names that error itself).
fn layer_size(layer: &LayerSpec, shape: &[u64]) -> (Option<u64>, Vec<u64>) {
    let flat = || shape.iter().try_fold(1u64, |acc, &d| acc.checked_mul(d));
    let channels = shape.last().copied().unwrap_or(1);
    match layer {
        LayerSpec::Flatten {} => (Some(0), vec![flat().unwrap_or(u64::MAX)]),
        LayerSpec::Dense { units, .. } => {
            let units = *units as u64;
            let params = flat().and_then(|d| d.checked_mul(units)?.checked_add(units));
            (params, vec![units])
        }
        LayerSpec::Conv2d { filters, kernel_size, strides, padding, .. } => {
            let (kh, kw) = kernel_size.pair();
            let (sh, sw) = strides.pair();
            let filters = *filters as u64;
            let params = (kh as u64)
                .checked_mul(kw as u64)
                .and_then(|k| k.checked_mul(channels)?.checked_mul(filters)?.checked_add(filters));
            let (h, w) = spatial(shape);
            let ho = padding.window(h as usize, kh, sh).map_or(1, |o| o.0 as u64);
            let wo = padding.window(w as usize, kw, sw).map_or(1, |o| o.0 as u64);
            (params, vec![ho, wo, filters])
        }
        LayerSpec::MaxPool2d { pool_size, strides, padding } => {
            let (ph, pw) = pool_size.pair();
            let (sh, sw) = strides.unwrap_or(*pool_size).pair();
            let (h, w) = spatial(shape);
            let ho = padding.window(h as usize, ph, sh).map_or(1, |o| o.0 as u64);
            let wo = padding.window(w as usize, pw, sw).map_or(1, |o| o.0 as u64);
            (Some(0), vec![ho, wo, channels])
        }
        LayerSpec::Dropout { .. } | LayerSpec::Activation { .. } => (Some(0), shape.to_vec()),
    }
}

fn spatial(shape: &[u64]) -> (u64, u64) {
    match shape {
        [h, w, _] => (*h, *w),
        _ => (1, 1),
    }
}

impl Estimate {
    /// Refuses a spec that needs more than `limit` bytes, naming the largest layer,
    /// its key (`layers.1.units`), both sizes and what the limit is (`limit_name`:
    /// "this machine's memory").
    pub fn check(&self, spec: &ModelSpec, limit: u64, limit_name: &str) -> Result<(), ParamError> {
        if self.bytes.is_some_and(|b| b <= limit) {
            return Ok(());
        }
        let (key, what, i) = match self.layer.map(|i| (i, &spec.layers[i])) {
            Some((i, LayerSpec::Dense { .. })) => (format!("layers.{i}.units"), "dense", i),
            Some((i, LayerSpec::Conv2d { .. })) => (format!("layers.{i}.filters"), "conv2d", i),
            // A layer without weights is large by its outputs: the batch makes it so.
            Some((i, l)) => ("batch_size".into(), l.type_str(), i),
            None => ("batch_size".into(), "", 0),
        };
        let size = |b: Option<u64>| b.map_or("more than 2^64 bytes".to_string(), human);
        Err(ParamError::new(
            key,
            format!(
                "the model needs {} to train (weights, gradients, optimizer state and a batch of {} layer outputs), more than {limit_name}, {}; layer {} ({what}) takes {}",
                size(self.bytes),
                spec.batch_size,
                human(limit),
                i + 1,
                size(self.layer_bytes),
            ),
        ))
    }
}

/// Bytes in decimal units, one decimal: `50.2 TB`, `512 B`.
pub fn human(bytes: u64) -> String {
    const UNITS: [&str; 7] = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
    let mut v = bytes as f64;
    let mut unit = 0;
    while v >= 1000.0 && unit + 1 < UNITS.len() {
        v /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// Parses a memory size: `8G`, `512M`, `1.5GB`, `2GiB`, `1000000` (bytes). Decimal
/// and binary prefixes (k/M/G/T = 10³ⁿ; Ki/Mi/Gi/Ti = 2¹⁰ⁿ).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let value: f64 =
        number.parse().map_err(|_| format!("{text:?} is not a size like 8G or 512M"))?;
    let scale: f64 = match unit.trim().trim_end_matches(['B', 'b']) {
        "" => 1.0,
        "k" | "K" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "Ki" => 1024.0,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        _ => return Err(format!("{text:?}: unknown unit (use k, M, G, T, Ki, Mi, Gi or Ti)")),
    };
    let bytes = value * scale;
    if !(bytes >= 1.0 && bytes < 2f64.powi(63)) {
        return Err(format!("{text:?} must be at least 1 byte and below 8 EiB"));
    }
    Ok(bytes as u64)
}

/// This machine's memory (Linux `MemTotal`), the most any spec can use anywhere it
/// is checked without the data (`ModelSpec::validate`, the pipeline manifest);
/// 2⁶⁴ − 1 where it cannot be read.
pub fn total() -> u64 {
    // Read once: `validate()` runs for every model and variant of a manifest.
    static TOTAL: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *TOTAL.get_or_init(|| meminfo("MemTotal:"))
}

/// The default limit: the memory available now (Linux `MemAvailable`), or, where
/// that cannot be read, no limit but 2⁶⁴ − 1.
pub fn available() -> u64 {
    meminfo("MemAvailable:")
}

fn meminfo(field: &str) -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            let line = text.lines().find(|l| l.starts_with(field))?;
            let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
            kib.checked_mul(1024)
        })
        .unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Read without `validate()` (which applies the floor against this machine).
    fn spec(layers: &str, extra: &str) -> ModelSpec {
        toml::from_str(&format!(
            "loss = \"categorical_crossentropy\"\n{extra}\nlayers = [{layers}]"
        ))
        .unwrap()
    }

    #[test]
    fn the_lab_mlp_needs_what_its_weights_and_batch_take() {
        let s = spec(
            "{ type = \"flatten\" }, { type = \"dense\", units = 30 }, { type = \"dense\", units = 10 }",
            "",
        );
        let e = estimate(&s, Some(&[28, 28, 1]));
        // 23,550 + 310 weights × 16 B, and (784 + 30 + 10) outputs × 32 rows × 8 B.
        assert_eq!(e.bytes, Some((23_550 + 310) * 16 + (784 + 30 + 10) * 32 * 8));
        assert_eq!(e.layer, Some(1));
        assert!(e.check(&s, 1 << 30, "the limit").is_ok());
    }

    #[test]
    fn huge_layers_are_refused_without_overflow() {
        let units =
            spec("{ type = \"flatten\" }, { type = \"dense\", units = 4611686018427387904 }", "");
        let e = estimate(&units, Some(&[28, 28, 1]));
        assert_eq!((e.bytes, e.layer, e.layer_bytes), (None, Some(1), None));
        let err = e.check(&units, u64::MAX, "the limit").unwrap_err();
        assert!(err.message.contains("more than 2^64 bytes"), "{}", err.message);
        // 100,000 filters of 3×3 on 28×28: 28·28·100,000 outputs × 32 rows × 8 B = 20 GB.
        let filters = spec(
            "{ type = \"conv2d\", filters = 100000, kernel_size = 3, padding = \"same\" }",
            "",
        );
        let err = estimate(&filters, Some(&[28, 28, 1]))
            .check(&filters, 16 << 30, "the limit")
            .unwrap_err();
        assert_eq!(err.key, "layers.0.filters");
        assert!(
            err.message.contains("more than the limit, 17.2 GB; layer 1 (conv2d) takes 20.1 GB"),
            "{}",
            err.message
        );
        // Without the input's shape the floor still counts every unit.
        let big = spec("{ type = \"dense\", units = 1000000000000 }", "");
        assert!(estimate(&big, None).check(&big, 1 << 40, "the limit").is_err());
    }

    #[test]
    fn sizes_parse_in_both_prefixes() {
        assert_eq!(parse_size("8G"), Ok(8_000_000_000));
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert_eq!(parse_size("512Mi"), Ok(512 << 20));
        assert_eq!(parse_size("1000"), Ok(1000));
        assert!(
            parse_size("0").is_err() && parse_size("8X").is_err() && parse_size("-1G").is_err()
        );
        assert!(parse_size("1e30").is_err() && parse_size("99999999999T").is_err());
    }
}

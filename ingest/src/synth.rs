//! `ingest synth-xray`: SYNTHETIC chest-X-ray-like JPEGs in the Kaggle layout.
//!
//! No real chest X-rays can be downloaded here, so tests and the demo use drawn
//! images: a dark background, a bright torso, two dark lung fields crossed by
//! bright curved ribs, a spine band, a heart shadow, clavicles, faint vessel
//! markings and film grain; position, size, shape, contrast and brightness vary
//! per image. **PNEUMONIA** images add 2–5 cloudy, textured opacities (soft bright
//! patches) inside the lung fields; **NORMAL** lungs stay clear. The difference
//! survives a resize to 128×128, so a small CNN can learn it.
//!
//! They are not X-rays and carry no medical meaning: the tree's `README.txt` says
//! SYNTHETIC, and `ingest folders` marks datasets made from it as SYNTHETIC.
//!
//! Every image has its own RNG seeded from (seed, split, class, index), so the
//! output is identical whatever the thread count. About 1 in 25 images is saved as
//! RGB (slightly tinted) and 1 in 20 as progressive JPEG, as in real collections.

use std::path::Path;
use std::time::Instant;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::error::{fail, Context, Error, ErrorKind, Result};
use crate::folders::{SYNTHETIC_MARK, SYNTHETIC_README};
use crate::resize::resize;

/// The class folders, label order.
pub const CLASSES: [&str; 2] = ["NORMAL", "PNEUMONIA"];
/// The split folders.
pub const SPLITS: [&str; 3] = ["train", "val", "test"];

/// The most NORMAL images of one split (`--train`, `--val`, `--test`).
pub const MAX_SPLIT_IMAGES: usize = 1_000_000;
/// The largest `--pneumonia-ratio`.
pub const MAX_PNEUMONIA_RATIO: f64 = 100.0;
/// The most images of one run, both classes of all splits together (≈ 1 TB of JPEGs
/// at the largest sides: a bound against a typo, not a storage plan).
pub const MAX_IMAGES: usize = 10_000_000;

pub use params::ingest::SynthParams;

/// What `ingest synth-xray` wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthSummary {
    /// JPEG files written.
    pub files: usize,
    /// Their total size.
    pub bytes: u64,
    /// How many are RGB (the rest gray).
    pub rgb: usize,
    /// How many are progressive JPEGs (the rest baseline).
    pub progressive: usize,
    /// Wall time of the run.
    pub seconds: f64,
}

/// One image to make.
#[derive(Debug, Clone, Copy)]
struct Job {
    split: usize,
    class: usize,
    index: usize,
}

/// SplitMix64 step: decorrelates the per-image seeds.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn job_seed(seed: u64, job: Job) -> u64 {
    mix(mix(mix(seed) ^ job.split as u64) ^ ((job.class as u64) << 32 | job.index as u64))
}

/// The file name of an image.
pub fn file_name(split: &str, class: &str, index: usize) -> String {
    format!("synth-{split}-{}-{index:05}.jpeg", class.to_lowercase())
}

/// Images of each class in a split of `normal` NORMAL images: [NORMAL, PNEUMONIA].
pub fn class_counts(normal: usize, pneumonia_ratio: f64) -> [usize; 2] {
    [normal, (normal as f64 * pneumonia_ratio).round() as usize]
}

/// `ingest synth-xray`: writes `out/{train,val,test}/{NORMAL,PNEUMONIA}/*.jpeg` and `out/README.txt`.
pub fn run_synth(opts: &SynthParams) -> Result<SynthSummary> {
    let start = Instant::now();
    opts.validate()?;
    if !(1..=100).contains(&opts.quality()) {
        fail!(Parameter, "--quality (JPEG quality) must be 1..=100, got {}", opts.quality());
    }
    if opts.pneumonia_ratio() > MAX_PNEUMONIA_RATIO {
        fail!(
            Parameter,
            "--pneumonia-ratio must be at most {MAX_PNEUMONIA_RATIO}, got {}",
            opts.pneumonia_ratio()
        );
    }
    let counts = [opts.train, opts.val, opts.test];
    for (flag, count) in ["--train", "--val", "--test"].iter().zip(counts) {
        if count > MAX_SPLIT_IMAGES {
            fail!(
                Parameter,
                "{flag} must be at most {} NORMAL images, got {count}",
                formats::thousands(MAX_SPLIT_IMAGES as i64)
            );
        }
    }
    if counts.iter().all(|&c| c == 0) {
        fail!(Parameter, "--train, --val and --test are all 0: nothing to generate");
    }
    let total: usize =
        counts.iter().map(|&c| class_counts(c, opts.pneumonia_ratio()).iter().sum::<usize>()).sum();
    if total > MAX_IMAGES {
        fail!(
Parameter,
            "--train {}, --val {}, --test {} with --pneumonia-ratio {} make {} images, more than the {} of one run",
            opts.train,
            opts.val,
            opts.test,
            opts.pneumonia_ratio(),
            formats::thousands(total as i64),
            formats::thousands(MAX_IMAGES as i64)
        );
    }
    refuse_foreign_directory(&opts.out)?;
    let out = formats::AtomicPath::new(&opts.out)?;
    remove_dead_temporaries(out.target());
    out.create_dir()?;
    let tmp = out.temp().to_path_buf();
    let mut jobs = Vec::new();
    for (split, &count) in counts.iter().enumerate() {
        if count == 0 {
            continue;
        }
        // Image i of a class keeps its seed whatever the ratio, so R only adds or drops images.
        for (class, class_count) in
            class_counts(count, opts.pneumonia_ratio()).into_iter().enumerate()
        {
            let dir = tmp.join(SPLITS[split]).join(CLASSES[class]);
            std::fs::create_dir_all(&dir)
                .context(ErrorKind::Output, || format!("cannot create {}", dir.display()))?;
            jobs.extend((0..class_count).map(|index| Job { split, class, index }));
        }
    }
    let bar = opts.progress.then(|| cli::progress::bar(jobs.len() as u64, "images"));
    let made: Vec<(u64, bool, bool)> = jobs
        .par_iter()
        .map(|&job| -> Result<(u64, bool, bool)> {
            let (bytes, rgb, progressive) = make_jpeg(opts, job)?;
            let path = tmp.join(SPLITS[job.split]).join(CLASSES[job.class]).join(file_name(
                SPLITS[job.split],
                CLASSES[job.class],
                job.index,
            ));
            std::fs::write(&path, &bytes)
                .context(ErrorKind::Output, || format!("cannot write {}", path.display()))?;
            if let Some(bar) = &bar {
                bar.inc(1);
            }
            Ok((bytes.len() as u64, rgb, progressive))
        })
        .collect::<Result<_>>()?;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let summary = SynthSummary {
        files: made.len(),
        bytes: made.iter().map(|m| m.0).sum(),
        rgb: made.iter().filter(|m| m.1).count(),
        progressive: made.iter().filter(|m| m.2).count(),
        seconds: 0.0,
    };
    std::fs::write(tmp.join(SYNTHETIC_README), readme(opts, &summary))
        .context(ErrorKind::Output, || {
            format!("cannot write {}", tmp.join(SYNTHETIC_README).display())
        })?;
    out.commit()?;
    Ok(SynthSummary { seconds: start.elapsed().as_secs_f64(), ..summary })
}

/// Removes the temporary trees that killed synth-xray runs left beside `out`, whatever
/// their `--out` was: `.NAME.tmp-PID-…` directories holding nothing but split folders
/// and the README. [`formats::AtomicPath::new`] removes the temporaries of NAME whose
/// process is gone (and keeps those of running processes).
fn remove_dead_temporaries(out: &Path) {
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let Ok(entries) = std::fs::read_dir(parent) else { return };
    for entry in entries.flatten() {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let Some((name, _)) = file_name.strip_prefix('.').and_then(|n| n.rsplit_once(".tmp-"))
        else {
            continue;
        };
        let ours = |n: &str| SPLITS.contains(&n) || n == SYNTHETIC_README;
        if entry.path().is_dir() && formats::atomic::only_names(&entry.path(), ours) {
            let _ = formats::AtomicPath::new(&parent.join(name));
        }
    }
}

/// Replacing a directory is fine only if it is empty or an earlier synthetic tree.
fn refuse_foreign_directory(dir: &Path) -> Result<()> {
    if !dir.exists() {
        return Ok(());
    }
    if !dir.is_dir() {
        fail!(Output, "--out {} exists and is not a directory", dir.display());
    }
    let empty = std::fs::read_dir(dir)
        .context(ErrorKind::Output, || format!("cannot list {}", dir.display()))?
        .next()
        .is_none();
    let ours = std::fs::read_to_string(dir.join(SYNTHETIC_README))
        .is_ok_and(|t| t.contains(SYNTHETIC_MARK));
    if !empty && !ours {
        fail!(
Output,
            "--out {} exists and is not an earlier synth-xray tree (no {SYNTHETIC_README} saying {SYNTHETIC_MARK}); refusing to replace it",
            dir.display()
        );
    }
    Ok(())
}

fn readme(opts: &SynthParams, s: &SynthSummary) -> String {
    format!(
        "SYNTHETIC DATA - NOT REAL CHEST X-RAYS - NO MEDICAL MEANING\n\
         \n\
         Generated by `ingest synth-xray` (lab-pipeline) to stand in for the Kaggle\n\
         \"Chest X-Ray Images (Pneumonia)\" set, which cannot be downloaded here.\n\
         Same layout: {{train,val,test}}/{{NORMAL,PNEUMONIA}}/*.jpeg.\n\
         \n\
         Each image is drawn: dark background, bright torso, two dark lung fields with\n\
         bright curved ribs, spine, heart shadow, clavicles, faint vessel markings and\n\
         film grain, all varying per image. PNEUMONIA images add 2-5 cloudy opacities\n\
         inside the lung fields; NORMAL lungs are clear.\n\
         \n\
         seed {seed}; NORMAL per split: train {train}, val {val}, test {test}; PNEUMONIA per\n\
         NORMAL image: {ratio}; sides {min}-{max} px;\n\
         JPEG quality {q}; {files} files, {rgb} RGB, {prog} progressive, {mb:.1} MB.\n",
        seed = opts.seed(),
        train = opts.train,
        val = opts.val,
        test = opts.test,
        ratio = opts.pneumonia_ratio(),
        min = opts.sides().0,
        max = opts.sides().1,
        q = opts.quality(),
        files = s.files,
        rgb = s.rgb,
        prog = s.progressive,
        mb = s.bytes as f64 / 1e6,
    )
}

/// Encodes one image; returns (bytes, is_rgb, is_progressive).
fn make_jpeg(opts: &SynthParams, job: Job) -> Result<(Vec<u8>, bool, bool)> {
    let mut rng = ChaCha8Rng::seed_from_u64(job_seed(opts.seed(), job));
    let width = rng.random_range(opts.sides().0..=opts.sides().1);
    let aspect: f64 = rng.random_range(0.8..1.2);
    let height = ((width as f64 * aspect).round() as usize).clamp(opts.sides().0, opts.sides().1);
    let gray = render(&mut rng, width, height, job.class == 1);
    let rgb = job.index % 25 == 7;
    let progressive = job.index % 20 == 3;
    let mut bytes = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut bytes, opts.quality());
    encoder.set_progressive(progressive);
    let (w, h) = (width as u16, height as u16);
    let encoded = if rgb {
        // A faint warm tint, so the file is genuinely colour.
        let data: Vec<u8> =
            gray.iter().flat_map(|&g| [g.saturating_add(6), g, g.saturating_sub(6)]).collect();
        encoder.encode(&data, w, h, jpeg_encoder::ColorType::Rgb)
    } else {
        encoder.encode(&gray, w, h, jpeg_encoder::ColorType::Luma)
    };
    encoded.map_err(|e| Error::passed(ErrorKind::Output, e))?;
    Ok((bytes, rgb, progressive))
}

/// Smooth random texture in [0, 1]: a coarse random grid, bilinearly interpolated.
struct ValueNoise {
    n: usize,
    grid: Vec<f32>,
}

impl ValueNoise {
    fn new(rng: &mut impl Rng, n: usize) -> Self {
        Self { n, grid: (0..(n + 1) * (n + 1)).map(|_| rng.random::<f32>()).collect() }
    }

    fn at(&self, u: f32, v: f32) -> f32 {
        let x = u.clamp(0.0, 1.0) * self.n as f32;
        let y = v.clamp(0.0, 1.0) * self.n as f32;
        let (x0, y0) = ((x as usize).min(self.n - 1), (y as usize).min(self.n - 1));
        let (fx, fy) = (x - x0 as f32, y - y0 as f32);
        let g = |i: usize, j: usize| self.grid[j * (self.n + 1) + i];
        let top = g(x0, y0) * (1.0 - fx) + g(x0 + 1, y0) * fx;
        let bottom = g(x0, y0 + 1) * (1.0 - fx) + g(x0 + 1, y0 + 1) * fx;
        top * (1.0 - fy) + bottom * fy
    }
}

/// 1 inside, 0 outside, smooth over `soft` around the boundary `d = 1`.
#[inline]
fn soft_inside(d: f32, soft: f32) -> f32 {
    let t = ((1.0 + soft - d) / (2.0 * soft)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// Normalised elliptical distance (1 on the ellipse).
#[inline]
fn ellipse(u: f32, v: f32, cx: f32, cy: f32, rx: f32, ry: f32) -> f32 {
    (((u - cx) / rx).powi(2) + ((v - cy) / ry).powi(2)).sqrt()
}

struct Blob {
    cx: f32,
    cy: f32,
    sigma: f32,
    amp: f32,
}

/// Draws one image (grayscale, `height × width`). Smooth anatomy is drawn on a
/// coarse canvas and enlarged; the grain is added at full size.
fn render(rng: &mut impl Rng, width: usize, height: usize, pneumonia: bool) -> Vec<u8> {
    let long = width.max(height);
    let scale = (long as f32 / 384.0).max(1.0);
    let cw = ((width as f32 / scale).round() as usize).max(8);
    let ch = ((height as f32 / scale).round() as usize).max(8);

    // Per-image anatomy.
    let jx = rng.random_range(-0.04f32..0.04);
    let jy = rng.random_range(-0.03f32..0.03);
    let body_rx = rng.random_range(0.40f32..0.47);
    let body_ry = rng.random_range(0.52f32..0.62);
    let lung_dx = rng.random_range(0.17f32..0.21);
    let lung_rx = rng.random_range(0.13f32..0.16);
    let lung_ry = rng.random_range(0.27f32..0.32);
    let lung_cy = 0.47 + jy;
    let heart_rx = rng.random_range(0.10f32..0.14);
    let rib_gap = rng.random_range(0.058f32..0.07);
    let rib_bend = rng.random_range(0.07f32..0.11);
    let tissue = rng.random_range(95.0f32..125.0);
    let lung_dark = rng.random_range(45.0f32..65.0);
    let background = rng.random_range(8.0f32..25.0);
    let texture = ValueNoise::new(rng, 12);
    let cloud = ValueNoise::new(rng, 20);
    let lungs = [(0.5 - lung_dx + jx, lung_cy), (0.5 + lung_dx + jx, lung_cy)];
    let random_lung_point = |rng: &mut dyn rand::RngCore, spread: f32| {
        let (cx, cy) = lungs[rng.random_range(0..2)];
        let a = rng.random_range(0.0f32..std::f32::consts::TAU);
        let r = spread * rng.random::<f32>().sqrt();
        (cx + r * lung_rx * a.cos(), cy + r * lung_ry * a.sin())
    };
    // Vessel markings: both classes.
    let vessels: Vec<Blob> = (0..rng.random_range(6..14))
        .map(|_| {
            let (cx, cy) = random_lung_point(&mut *rng, 0.8);
            Blob { cx, cy, sigma: rng.random_range(0.006..0.014), amp: rng.random_range(8.0..18.0) }
        })
        .collect();
    // Opacities: pneumonia only.
    let opacities: Vec<Blob> = if pneumonia {
        (0..rng.random_range(2..=5))
            .map(|_| {
                let (cx, cy) = random_lung_point(&mut *rng, 0.75);
                Blob {
                    cx,
                    cy,
                    sigma: rng.random_range(0.035..0.075),
                    amp: rng.random_range(35.0..65.0),
                }
            })
            .collect()
    } else {
        Vec::new()
    };

    let mut canvas = vec![0u8; cw * ch];
    for y in 0..ch {
        let v = (y as f32 + 0.5) / ch as f32;
        for x in 0..cw {
            let u = (x as f32 + 0.5) / cw as f32;
            let body = soft_inside(ellipse(u, v, 0.5 + jx, 0.58 + jy, body_rx, body_ry), 0.06);
            let mut value = background + (tissue - background) * body;
            // Lung fields.
            let mut lung = 0f32;
            for &(cx, cy) in &lungs {
                lung = lung.max(soft_inside(ellipse(u, v, cx, cy, lung_rx, lung_ry), 0.12));
            }
            value -= lung_dark * lung * body;
            // Spine and heart.
            let spine = (-((u - 0.5 - jx) / 0.035).powi(2)).exp();
            value += 35.0 * spine * body;
            let heart = soft_inside(ellipse(u, v, 0.56 + jx, 0.63 + jy, heart_rx, 0.12), 0.25);
            value += 30.0 * heart * lung.max(0.3) * body;
            // Ribs: arcs bending down away from the spine, on both sides.
            let dx = ((u - 0.5 - jx).abs() - 0.04).max(0.0);
            let rib_v = v - 0.20 - jy - rib_bend * (dx / 0.3).powi(2) * 3.0;
            if rib_v > -0.02 && dx > 0.0 {
                let phase = (rib_v / rib_gap).fract();
                let band = (-((phase - 0.5) / 0.13).powi(2)).exp();
                let fade =
                    soft_inside(ellipse(u, v, 0.5 + jx, 0.5 + jy, body_rx * 0.95, 0.42), 0.1);
                value += 26.0 * band * fade * body;
            }
            // Clavicles.
            let clav = (-((v - 0.15 - jy - 0.08 * (u - 0.5 - jx).abs()) / 0.012).powi(2)).exp();
            value += 30.0 * clav * body * ((u - 0.5 - jx).abs() < 0.3) as u8 as f32;
            // Vessels (both classes) and opacities (pneumonia), inside the lungs.
            let mut inner = 0f32;
            for b in &vessels {
                inner += b.amp * gauss(u, v, b);
            }
            for b in &opacities {
                inner += b.amp * gauss(u, v, b) * (0.45 + 0.9 * cloud.at(u, v));
            }
            value += inner * lung;
            value *= 0.85 + 0.3 * texture.at(u, v);
            canvas[y * cw + x] = value.round().clamp(0.0, 255.0) as u8;
        }
    }
    // Enlarge, then add film grain at full resolution.
    let mut full = resize(&canvas, ch, cw, 1, height, width);
    let gain = rng.random_range(0.85f32..1.15);
    let offset = rng.random_range(-12.0f32..12.0);
    let mut state = rng.random::<u64>() | 1;
    for p in full.iter_mut() {
        // xorshift64*: cheap grain, one draw per pixel.
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        let r = (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 40) as f32 / (1u64 << 24) as f32;
        let grain = (r - 0.5) * 7.0;
        *p = (*p as f32 * gain + offset + grain).round().clamp(0.0, 255.0) as u8;
    }
    full
}

#[inline]
fn gauss(u: f32, v: f32, b: &Blob) -> f32 {
    let d2 = (u - b.cx).powi(2) + (v - b.cy).powi(2);
    if d2 > 9.0 * b.sigma * b.sigma {
        return 0.0;
    }
    (-d2 / (2.0 * b.sigma * b.sigma)).exp()
}

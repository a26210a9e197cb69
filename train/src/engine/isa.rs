//! Which instruction set the kernels run on, decided once per process.
//!
//! [`Isa::current`] is the best set this CPU executes (`cpuid` on x86-64, the
//! feature registers on aarch64), unless the environment variable `LAB_KERNELS` names
//! one (`avx512`, `avx2`, `neon` or `portable`). Every path computes the same bits
//! (see `kernels.rs` for the summation contract), so the choice changes speed only.
//!
//! ```
//! use train::kernels::Isa;
//!
//! let isa = Isa::current();
//! assert!(isa.is_supported());
//! assert!(Isa::Portable.is_supported()); // every CPU runs the portable path
//! assert_eq!("avx2".parse::<Isa>().unwrap(), Isa::Avx2);
//! ```

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

/// The environment variable that forces a kernel path.
pub const ENV: &str = "LAB_KERNELS";

/// An instruction set the kernels are written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Isa {
    /// x86-64 AVX-512F with VL: 16 lanes, 32 registers (Intel Xeon since Skylake-SP, AMD
    /// Zen 4).
    Avx512,
    /// x86-64 AVX2 with FMA: 8 lanes, 16 registers.
    Avx2,
    /// aarch64 Advanced SIMD: 4 lanes, 32 registers (Apple Silicon, Graviton).
    Neon,
    /// No intrinsics: plain Rust with `mul_add`, compiled for the CPU's FMA where it has one.
    Portable,
}

/// `LAB_KERNELS` names a path this CPU cannot run, or no path at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelsError(String);

impl fmt::Display for KernelsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for KernelsError {}

impl Isa {
    /// Every path, fastest first.
    pub const ALL: [Isa; 4] = [Isa::Avx512, Isa::Avx2, Isa::Neon, Isa::Portable];

    /// The name `LAB_KERNELS`, `summary.json` and `--profile` use.
    pub fn name(self) -> &'static str {
        match self {
            Isa::Avx512 => "avx512",
            Isa::Avx2 => "avx2",
            Isa::Neon => "neon",
            Isa::Portable => "portable",
        }
    }

    /// Whether this CPU executes the path.
    pub fn is_supported(self) -> bool {
        match self {
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => {
                std::is_x86_feature_detected!("avx512f")
                    && std::is_x86_feature_detected!("avx512vl")
            }
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => {
                std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
            }
            #[cfg(target_arch = "aarch64")]
            Isa::Neon => std::arch::is_aarch64_feature_detected!("neon"),
            Isa::Portable => true,
            #[allow(unreachable_patterns)]
            _ => false,
        }
    }

    /// The paths this CPU executes, fastest first.
    pub fn supported() -> Vec<Isa> {
        Isa::ALL.into_iter().filter(|i| i.is_supported()).collect()
    }

    /// The fastest path this CPU executes.
    pub fn best() -> Isa {
        Isa::supported()[0]
    }

    /// The path named by `LAB_KERNELS` (checked against this CPU), or the best one.
    pub fn from_env() -> Result<Isa, KernelsError> {
        match std::env::var(ENV) {
            Ok(name) if !name.is_empty() => {
                let isa: Isa = name.parse()?;
                if isa.is_supported() {
                    Ok(isa)
                } else {
                    Err(KernelsError(format!(
                        "{ENV}={name}: this CPU ({}) cannot run the {name} kernels; its features: {}; \
                         paths it runs: {}",
                        cpu_model(),
                        cpu_features(),
                        names(&Isa::supported())
                    )))
                }
            }
            _ => Ok(Isa::best()),
        }
    }

    /// The path of this process: chosen on first use by [`Isa::from_env`], then fixed.
    ///
    /// # Panics
    /// When `LAB_KERNELS` is invalid; binaries call [`Isa::select`] first to report that.
    pub fn current() -> Isa {
        match *CHOSEN.get_or_init(Isa::from_env) {
            Ok(isa) => isa,
            Err(ref e) => panic!("{e}"),
        }
    }

    /// Chooses the process's path now (from `LAB_KERNELS` or the CPU) and returns it, or
    /// the one-sentence error for a bad `LAB_KERNELS`.
    pub fn select() -> Result<Isa, KernelsError> {
        CHOSEN.get_or_init(Isa::from_env).clone()
    }
}

static CHOSEN: OnceLock<Result<Isa, KernelsError>> = OnceLock::new();

impl fmt::Display for Isa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Isa {
    type Err = KernelsError;

    fn from_str(s: &str) -> Result<Isa, KernelsError> {
        Isa::ALL.into_iter().find(|i| i.name() == s).ok_or_else(|| {
            KernelsError(format!("{ENV}={s}: not a kernel path; use one of {}", names(&Isa::ALL)))
        })
    }
}

fn names(isas: &[Isa]) -> String {
    isas.iter().map(|i| i.name()).collect::<Vec<_>>().join(", ")
}

/// Whether this x86-64 CPU has hardware FMA (and AVX, which every FMA CPU has): the
/// portable path is then compiled with it, since `mul_add` is a libm call otherwise.
#[cfg(target_arch = "x86_64")]
pub(crate) fn has_fma() -> bool {
    std::is_x86_feature_detected!("fma") && std::is_x86_feature_detected!("avx")
}

/// The CPU's model name (`/proc/cpuinfo` on Linux), or the architecture elsewhere.
pub fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name") || l.starts_with("Model"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string())
}

/// The SIMD features the kernels care about that this CPU has, space-separated.
pub fn cpu_features() -> String {
    let mut have: Vec<&str> = Vec::new();
    #[cfg(target_arch = "x86_64")]
    {
        macro_rules! probe {
            ($($f:tt),*) => {
                $(if std::is_x86_feature_detected!($f) { have.push($f); })*
            };
        }
        probe!("sse4.2", "avx", "fma", "avx2", "avx512f", "avx512bw", "avx512vl");
    }
    #[cfg(target_arch = "aarch64")]
    {
        if std::arch::is_aarch64_feature_detected!("neon") {
            have.push("neon");
        }
    }
    if have.is_empty() {
        "none".into()
    } else {
        have.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_list_the_choices() {
        for isa in Isa::ALL {
            assert_eq!(isa.name().parse::<Isa>().unwrap(), isa);
        }
        let e = "sse".parse::<Isa>().unwrap_err().to_string();
        assert_eq!(
            e,
            "LAB_KERNELS=sse: not a kernel path; use one of avx512, avx2, neon, portable"
        );
    }

    #[test]
    fn the_best_path_is_supported_and_portable_always_is() {
        assert!(Isa::best().is_supported());
        assert_eq!(*Isa::supported().last().unwrap(), Isa::Portable);
        #[cfg(target_arch = "x86_64")]
        assert!(!Isa::Neon.is_supported());
        #[cfg(target_arch = "aarch64")]
        assert!(!Isa::Avx2.is_supported() && !Isa::Avx512.is_supported());
    }
}

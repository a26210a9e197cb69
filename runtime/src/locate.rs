//! Where ONNX Runtime's shared library is looked for, and by which file name on each
//! operating system (the names the PyPI `onnxruntime` wheel ships in
//! `onnxruntime/capi/`).
//!
//! Only places tied to this run are searched: `ORT_DYLIB_PATH`, then the `.venv` of the
//! directory holding the executable and of each directory above it (a checkout's
//! `target/release/evaluate` finds the checkout's `.venv`), then the same from the
//! current directory. Nothing is remembered from the build, so a copied or moved
//! checkout never loads the library of the checkout it was built in.

use std::path::{Path, PathBuf};

/// An operating system whose onnxruntime wheel layout is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Os {
    /// Linux (and any other Unix but macOS): `libonnxruntime.so.1.31.1`.
    Linux,
    /// macOS: `libonnxruntime.1.31.1.dylib`.
    MacOs,
    /// Windows: `onnxruntime.dll`, and the venv's `Lib\site-packages`.
    Windows,
}

impl Os {
    /// The operating system this build runs on.
    pub const CURRENT: Os = if cfg!(target_os = "macos") {
        Os::MacOs
    } else if cfg!(target_os = "windows") {
        Os::Windows
    } else {
        Os::Linux
    };

    /// The library's file name as a person reads it (a shell pattern).
    pub fn library_pattern(self) -> &'static str {
        match self {
            Os::Linux => "libonnxruntime.so*",
            Os::MacOs => "libonnxruntime*.dylib",
            Os::Windows => "onnxruntime.dll",
        }
    }

    /// Whether `name` is ONNX Runtime's own library on this OS. The wheel also ships
    /// `libonnxruntime_providers_shared.so` (`onnxruntime_providers_shared.dll`), a
    /// plug-in that cannot be loaded on its own: names with `_` after the stem are not.
    pub fn is_library_name(self, name: &str) -> bool {
        match self {
            Os::Linux => name.starts_with("libonnxruntime.so"),
            Os::MacOs => {
                name.starts_with("libonnxruntime")
                    && !name.starts_with("libonnxruntime_")
                    && name.ends_with(".dylib")
            }
            Os::Windows => name.eq_ignore_ascii_case("onnxruntime.dll"),
        }
    }

    /// A venv's `site-packages`, as a person reads it.
    pub fn site_packages_pattern(self) -> &'static str {
        match self {
            Os::Linux | Os::MacOs => ".venv/lib/python3*/site-packages",
            Os::Windows => r".venv\Lib\site-packages",
        }
    }

    /// How to install the library, one clause.
    pub fn install_hint(self) -> String {
        let pattern = self.library_pattern();
        let install = match self {
            Os::Linux | Os::MacOs => {
                "run `scripts/setup/setup.sh` (it does `pip install onnxruntime==1.31.1` into .venv)"
            }
            Os::Windows => {
                r"run `python -m venv .venv` and `.venv\Scripts\pip install onnxruntime==1.31.1` in the checkout"
            }
        };
        format!("{install} or set ORT_DYLIB_PATH to an ONNX Runtime library ({pattern}) of version 1.31 or newer")
    }

    /// The `site-packages` directories of the venv at `venv` that exist.
    fn site_packages(self, venv: &Path) -> Vec<PathBuf> {
        match self {
            Os::Windows => vec![venv.join("Lib").join("site-packages")],
            Os::Linux | Os::MacOs => {
                let Ok(lib) = std::fs::read_dir(venv.join("lib")) else { return Vec::new() };
                let mut dirs: Vec<PathBuf> =
                    lib.flatten().map(|py| py.path().join("site-packages")).collect();
                dirs.sort();
                dirs
            }
        }
    }
}

/// The library of the onnxruntime wheel in `venv`, if installed (the last name in
/// sort order when there are several).
pub fn venv_library(os: Os, venv: &Path) -> Option<PathBuf> {
    for site in os.site_packages(venv) {
        let Ok(entries) = std::fs::read_dir(site.join("onnxruntime").join("capi")) else {
            continue;
        };
        let mut libs: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.file_name().is_some_and(|n| os.is_library_name(&n.to_string_lossy())))
            .collect();
        libs.sort();
        if let Some(l) = libs.pop() {
            return Some(l);
        }
    }
    None
}

/// Candidate library paths, best first, and a description of where they were looked
/// for: `env_path` (`ORT_DYLIB_PATH`), then a `.venv` in the executable's directory or
/// above, then in `cwd` or above.
pub fn candidates_from(
    os: Os,
    env_path: Option<&Path>,
    exe: Option<&Path>,
    cwd: Option<&Path>,
) -> (Vec<PathBuf>, String) {
    let mut found = Vec::new();
    let mut looked = Vec::new();
    match env_path {
        Some(p) => {
            looked.push(format!("ORT_DYLIB_PATH={}", p.display()));
            found.push(p.to_path_buf());
        }
        None => looked.push("ORT_DYLIB_PATH (not set)".into()),
    }
    let exe_dir = exe.and_then(Path::parent);
    let mut starts = Vec::new();
    for start in [exe_dir, cwd].into_iter().flatten() {
        for root in start.ancestors() {
            if let Some(lib) = venv_library(os, &root.join(".venv")) {
                if !found.contains(&lib) {
                    found.push(lib);
                }
            }
        }
        starts.push(format!("{} and each directory above it", start.display()));
    }
    let site = os.site_packages_pattern();
    let capi = match os {
        Os::Windows => r"\onnxruntime\capi\",
        Os::Linux | Os::MacOs => "/onnxruntime/capi/",
    };
    looked.push(format!("{site}{capi} in {}", starts.join(", and in ")));
    (found, looked.join(" and "))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The files of `onnxruntime/capi/` in the 1.31.1 wheels that look like libraries.
    const LINUX_WHEEL: &[&str] = &[
        "libonnxruntime.so.1.31.1",
        "libonnxruntime_providers_shared.so",
        "onnxruntime_pybind11_state.cpython-311-x86_64-linux-gnu.so",
    ];
    const MACOS_WHEEL: &[&str] =
        &["libonnxruntime.1.31.1.dylib", "onnxruntime_pybind11_state.cpython-311-darwin.so"];
    const WINDOWS_WHEEL: &[&str] =
        &["onnxruntime.dll", "onnxruntime_providers_shared.dll", "onnxruntime_pybind11_state.pyd"];

    fn matches(os: Os, names: &[&str]) -> Vec<String> {
        names.iter().filter(|n| os.is_library_name(n)).map(|n| n.to_string()).collect()
    }

    #[test]
    fn each_os_keeps_only_its_own_runtime_library() {
        let all: Vec<&str> = [LINUX_WHEEL, MACOS_WHEEL, WINDOWS_WHEEL].concat();
        assert_eq!(matches(Os::Linux, &all), ["libonnxruntime.so.1.31.1"]);
        assert_eq!(matches(Os::MacOs, &all), ["libonnxruntime.1.31.1.dylib"]);
        assert_eq!(matches(Os::Windows, &all), ["onnxruntime.dll"]);
        assert!(Os::MacOs.is_library_name("libonnxruntime.dylib"));
        assert!(Os::Windows.is_library_name("ONNXRUNTIME.DLL"));
        assert!(!Os::Linux.is_library_name("libonnxruntime_providers_shared.so"));
    }

    #[test]
    fn install_advice_names_each_os_library() {
        assert!(Os::Linux.install_hint().contains("library (libonnxruntime.so*) of version"));
        assert!(Os::MacOs.install_hint().contains("library (libonnxruntime*.dylib) of version"));
        assert!(Os::MacOs.install_hint().contains("scripts/setup/setup.sh"));
        let windows = Os::Windows.install_hint();
        assert!(windows.contains(r".venv\Scripts\pip install onnxruntime==1.31.1"), "{windows}");
        assert!(windows.contains("library (onnxruntime.dll) of version"), "{windows}");
    }

    /// Writes an empty file, making its directories.
    fn touch(path: &Path) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, b"").unwrap();
    }

    #[test]
    fn a_venv_is_found_by_each_os_layout() {
        let dir = tempfile::tempdir().unwrap();
        let mac = dir.path().join("mac/.venv");
        let mac_capi = mac.join("lib/python3.12/site-packages/onnxruntime/capi");
        for name in MACOS_WHEEL {
            touch(&mac_capi.join(name));
        }
        assert_eq!(venv_library(Os::MacOs, &mac), Some(mac_capi.join(MACOS_WHEEL[0])));
        assert_eq!(venv_library(Os::Linux, &mac), None);

        let win = dir.path().join("win/.venv");
        let win_capi = win.join("Lib/site-packages/onnxruntime/capi");
        for name in WINDOWS_WHEEL {
            touch(&win_capi.join(name));
        }
        assert_eq!(venv_library(Os::Windows, &win), Some(win_capi.join("onnxruntime.dll")));
    }

    #[test]
    fn a_copied_checkout_finds_its_own_venv_or_none() {
        // /original has a .venv, /copy (its copy) has none: the copy's executable run
        // from the copy finds nothing, and says where it looked.
        let dir = tempfile::tempdir().unwrap();
        let original = dir.path().join("original");
        let lib = original.join(".venv/lib/python3.11/site-packages/onnxruntime/capi");
        touch(&lib.join(LINUX_WHEEL[0]));
        let copy = dir.path().join("copy");
        let exe = copy.join("target/release/evaluate");
        touch(&exe);
        let (found, looked) = candidates_from(Os::Linux, None, Some(&exe), Some(&copy));
        assert_eq!(found, Vec::<PathBuf>::new());
        let release = copy.join("target/release");
        assert_eq!(
            looked,
            format!(
                "ORT_DYLIB_PATH (not set) and .venv/lib/python3*/site-packages/onnxruntime/capi/ \
                 in {} and each directory above it, and in {} and each directory above it",
                release.display(),
                copy.display()
            )
        );

        // The original's executable finds the original's library; ORT_DYLIB_PATH first.
        let exe = original.join("target/release/evaluate");
        let (found, _) = candidates_from(Os::Linux, None, Some(&exe), None);
        assert_eq!(found, [lib.join(LINUX_WHEEL[0])]);
        let chosen = Path::new("/opt/ort/libonnxruntime.so");
        let (found, looked) = candidates_from(Os::Linux, Some(chosen), Some(&exe), None);
        assert_eq!(found, [chosen.to_path_buf(), lib.join(LINUX_WHEEL[0])]);
        assert!(looked.starts_with("ORT_DYLIB_PATH=/opt/ort/libonnxruntime.so and "), "{looked}");
    }
}

//! The make fragment: golden rule lines, parameter files written only on change,
//! and real `make` runs over fake stage binaries (second run does nothing; a
//! HOG parameter change re-runs exactly the stages below it).

use std::path::{Path, PathBuf};
use std::process::Command;

use pipeline::make;
use pipeline::manifest::Manifest;

/// `pipeline make --manifest PATH [--out OUT] [--outputs-anywhere]`.
fn make_fragment(
    manifest: &std::path::Path,
    out: Option<&std::path::Path>,
    outputs_anywhere: bool,
) -> anyhow::Result<String> {
    pipeline::make_fragment(&pipeline::MakeArgs {
        manifest: manifest.to_path_buf(),
        outputs_anywhere,
        out: out.map(|p| p.to_path_buf()),
    })
    .map_err(anyhow::Error::from)
}

const SMALL: &str = r#"
[datasets.mnist]
kind = "idx"
train_images = "data/train-images.gz"
train_labels = "data/train-labels.gz"
test_images = "data/test-images.gz"
test_labels = "data/test-labels.gz"
val_fraction = 0.1
seed = 42

[datasets.xs]
kind = "synth-xray"
train = 4
val = 2
test = 3

[datasets.xray]
kind = "folders"
from = "xs"
size = [64, 64]

[features.hog]
method = "hog"
from = "mnist"
orientations = 8
pixels_per_cell = [4, 4]
cells_per_block = 1

[models.h]
features = "hog"
loss = "categorical_crossentropy"
epochs = 2
optimizer = { name = "rmsprop" }
layers = [ { type = "dense", units = 10, activation = "softmax" } ]
[models.h.variants.o4]
features.orientations = 4

[models.x]
data = "xray"
loss = "binary_crossentropy"
optimizer = { name = "adam" }
evaluation = { threshold = 0.4, min_recall = 0.9 }
layers = [ { type = "flatten" }, { type = "dense", units = 1, activation = "sigmoid" } ]

[baselines.lr]
method = "logistic"
features = "hog"
"#;

fn fragment_of(text: &str) -> (Manifest, make::MakePlan, String) {
    let m = Manifest::parse(text, Path::new("pipeline.toml")).unwrap();
    let plan = make::plan(&m).unwrap();
    let text = make::render(
        &m,
        &plan,
        "$(BIN)/pipeline make --manifest pipeline.toml --out build/pipeline.mk",
    );
    (m, plan, text)
}

fn has_line(text: &str, line: &str) {
    assert!(text.lines().any(|l| l == line), "missing line\n{line}\nin\n{text}");
}

#[test]
fn fragment_has_one_rule_per_stage_output() {
    let (_, plan, f) = fragment_of(SMALL);
    has_line(&f, "BIN ?= target/release");
    has_line(&f, "out/data/mnist/train.parquet out/data/mnist/val.parquet &: data/train-images.gz data/train-labels.gz out/specs/data-mnist-train.cmd | $(BIN)/ingest");
    has_line(&f, "\t$(BIN)/ingest idx --images data/train-images.gz --labels data/train-labels.gz --out out/data/mnist/train.parquet --val-fraction 0.1 --val-out out/data/mnist/val.parquet --seed 42");
    has_line(&f, "out/data/mnist/test.parquet : data/test-images.gz data/test-labels.gz out/specs/data-mnist-test.cmd | $(BIN)/ingest");
    has_line(&f, "out/data/xs : out/specs/data-xs.cmd | $(BIN)/ingest");
    has_line(&f, "\t$(BIN)/ingest synth-xray --out out/data/xs --train 4 --val 2 --test 3");
    has_line(&f, "\ttouch out/data/xs");
    has_line(
        &f,
        "out/data/xray/val.parquet : out/data/xs out/specs/data-xray-val.cmd | $(BIN)/ingest",
    );
    has_line(&f, "\t$(BIN)/ingest folders --root out/data/xs/val --out out/data/xray/val.parquet --size 64x64 --channels 1");
    has_line(&f, "out/features/hog/train.parquet : out/data/mnist/train.parquet out/specs/features-hog-train.cmd | $(BIN)/features");
    // Only the first split (train) draws the pictures the report shows, beside the set's splits.
    has_line(&f, "\t$(BIN)/features hog --in out/data/mnist/train.parquet --out out/features/hog/train.parquet --orientations 8 --pixels-per-cell 4x4 --cells-per-block 1x1 --block-norm L2-Hys --visualize 3 --visualize-out out/features/hog/pictures");
    has_line(&f, "\t$(BIN)/features hog --in out/data/mnist/val.parquet --out out/features/hog/val.parquet --orientations 8 --pixels-per-cell 4x4 --cells-per-block 1x1 --block-norm L2-Hys");
    has_line(&f, "\t$(BIN)/features hog --in out/data/mnist/train.parquet --out out/features/hog-o4/train.parquet --orientations 4 --pixels-per-cell 4x4 --cells-per-block 1x1 --block-norm L2-Hys --visualize 3 --visualize-out out/features/hog-o4/pictures");
    assert_eq!(f.matches("--visualize 3").count(), 2, "{f}");
    // The variant's derived feature set.
    has_line(&f, "\t$(BIN)/features hog --in out/data/mnist/test.parquet --out out/features/hog-o4/test.parquet --orientations 4 --pixels-per-cell 4x4 --cells-per-block 1x1 --block-norm L2-Hys");
    // Training: inputs + the spec file; evaluation: model + test split + its parameters.
    has_line(&f, "out/runs/h-o4/model/model.onnx : out/features/hog-o4/train.parquet out/features/hog-o4/val.parquet out/specs/h-o4.toml | $(BIN)/train $(PIPELINE_RUNTIME)");
    has_line(&f, "\t$(BIN)/train --spec out/specs/h-o4.toml --train out/features/hog-o4/train.parquet --val out/features/hog-o4/val.parquet --out out/runs/h-o4/model");
    has_line(&f, "out/runs/h-o4/eval/metrics.json : out/runs/h-o4/model/model.onnx out/features/hog-o4/test.parquet out/specs/h-o4.eval.cmd | $(BIN)/evaluate $(PIPELINE_RUNTIME)");
    has_line(&f, "\t$(BIN)/evaluate --model out/runs/h-o4/model/model.onnx --data out/features/hog-o4/test.parquet --out out/runs/h-o4/eval");
    has_line(&f, "\t$(BIN)/evaluate --model out/runs/x/model/model.onnx --data out/data/xray/test.parquet --out out/runs/x/eval --threshold 0.4 --min-recall 0.9");
    has_line(&f, "\t$(BIN)/train --baseline logistic --train out/features/hog/train.parquet --val out/features/hog/val.parquet --out out/runs/lr/model");
    has_line(&f, "\t$(BIN)/pipeline report --manifest pipeline.toml --out report");
    // Phony names: one per run, dataset and feature set; `pipeline` is everything.
    has_line(&f, ".PHONY: mnist xs xray hog hog-o4 h h-o4 x lr runs report pipeline");
    has_line(&f, "h-o4: out/runs/h-o4/eval/metrics.json");
    has_line(&f, "hog: out/features/hog/train.parquet out/features/hog/val.parquet out/features/hog/test.parquet");
    has_line(&f, "pipeline: report");
    let report = f.lines().find(|l| l.starts_with("report/index.md :")).unwrap();
    for run in ["h", "h-o4", "x", "lr"] {
        assert!(report.contains(&format!("out/runs/{run}/eval/metrics.json")), "{report}");
    }
    assert!(report.ends_with("pipeline.toml | $(BIN)/pipeline"), "{report}");
    // Missing parameter files are rewritten by one grouped rule.
    assert!(
        f.contains("out/specs/h.toml")
            && f.contains(
                "&:\n\t$(BIN)/pipeline make --manifest pipeline.toml --out build/pipeline.mk\n"
            )
    );
    // 2 idx + 1 synth + 3 folders + 6 features + 4×2 runs + report.
    assert_eq!(plan.rules.len(), 2 + 1 + 3 + 6 + 8 + 1);

    // The spec file is train's spec (no pipeline keys), headed by the command.
    let spec = plan.spec_files.iter().find(|s| s.path == Path::new("out/specs/x.toml")).unwrap();
    assert!(spec.content.starts_with("# model spec of run `x`"));
    assert!(spec.content.contains("# $ $(BIN)/train --spec out/specs/x.toml --train out/data/xray/train.parquet --val out/data/xray/val.parquet --out out/runs/x/model\n"));
    let parsed: toml::Table = toml::from_str(&spec.content).unwrap();
    let mut keys: Vec<&String> = parsed.keys().collect();
    keys.sort();
    assert_eq!(keys, ["layers", "loss", "optimizer"]);
}

#[test]
fn pneumonia_ratio_is_passed_to_synth_xray_only_when_set() {
    let text = SMALL.replace(
        "train = 4\nval = 2\ntest = 3\n",
        "train = 4\nval = 2\ntest = 3\npneumonia_ratio = 2.9\nseed = 7\n",
    );
    assert_ne!(text, SMALL);
    let (_, _, f) = fragment_of(&text);
    has_line(&f, "\t$(BIN)/ingest synth-xray --out out/data/xs --train 4 --val 2 --test 3 --seed 7 --pneumonia-ratio 2.9");
    // Without the key, no flag: ingest's default (balanced) applies.
    let (_, _, f) = fragment_of(SMALL);
    assert!(!f.contains("--pneumonia-ratio"), "{f}");
}

#[test]
fn shell_words_are_quoted_for_sh_and_make() {
    assert_eq!(make::shell_word("out/a.parquet"), "out/a.parquet");
    assert_eq!(make::shell_word("a b"), "'a b'");
    assert_eq!(make::shell_word("it's"), "'it'\\''s'");
    assert_eq!(make::shell_word("$x"), "'$$x'");
}

#[test]
fn paths_make_cannot_read_are_refused() {
    let text = SMALL.replace("data/test-images.gz", "my data/test images.gz");
    let m = Manifest::parse(&text, Path::new("pipeline.toml")).unwrap();
    let e = format!("{:#}", make::plan(&m).unwrap_err());
    assert!(e.contains("my data/test images.gz"), "{e}");
}

/// A manifest whose every path is under `dir` (absolute, so that spec files and
/// make both work from any current directory).
fn manifest_in(dir: &Path, orientations: u32) -> PathBuf {
    let d = dir.display();
    std::fs::create_dir_all(dir.join("data")).unwrap();
    for f in ["train-images.gz", "train-labels.gz", "test-images.gz", "test-labels.gz"] {
        // Written once: rewriting them would (rightly) re-run ingest.
        if !dir.join("data").join(f).exists() {
            std::fs::write(dir.join("data").join(f), b"idx").unwrap();
        }
    }
    let text = format!(
        "[settings]\nout = \"{d}/out\"\nreport = \"{d}/report\"\n{}",
        SMALL
            .replace("\"data/", &format!("\"{d}/data/"))
            .replace("orientations = 8", &format!("orientations = {orientations}"))
    );
    let path = dir.join("pipeline.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// Fake stage binaries: each logs its command line and creates its outputs.
fn fake_binaries(dir: &Path) -> PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let script = r#"#!/bin/sh
echo "$(basename "$0") $*" >> "$FAKE_LOG"
prev=""
for a in "$@"; do
  case "$prev" in
    --out|--val-out)
      case "$(basename "$0") $1" in
        "ingest synth-xray"|"train "*|"evaluate "*|"pipeline report") mkdir -p "$a";;
        *) mkdir -p "$(dirname "$a")"; echo data > "$a";;
      esac
      case "$(basename "$0")" in
        train) echo onnx > "$a/model.onnx";;
        evaluate) echo '{}' > "$a/metrics.json";;
        pipeline) echo report > "$a/index.md";;
      esac;;
  esac
  prev="$a"
done
"#;
    for name in make::STAGE_BINARIES {
        let p = bin.join(name);
        std::fs::write(&p, script).unwrap();
        Command::new("chmod").arg("+x").arg(&p).status().unwrap();
    }
    bin
}

fn run_make(
    dir: &Path,
    bin: &Path,
    fragment: &Path,
    log: &Path,
    extra: &[&str],
) -> (String, Vec<String>) {
    let _ = std::fs::remove_file(log);
    let out = Command::new("make")
        .current_dir(dir)
        .env("FAKE_LOG", log)
        .arg("-f")
        .arg(fragment)
        .arg(format!("BIN={}", bin.display()))
        .args(extra)
        .output()
        .expect("make runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "make failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let calls =
        std::fs::read_to_string(log).unwrap_or_default().lines().map(str::to_string).collect();
    (stdout, calls)
}

/// Stage calls without the temp dir prefix, for readable assertions.
fn short(calls: &[String], dir: &Path) -> Vec<String> {
    let d = format!("{}/", dir.display());
    let mut v: Vec<String> = calls.iter().map(|c| c.replace(&d, "")).collect();
    v.sort();
    v
}

#[test]
fn make_runs_everything_once_then_only_what_a_parameter_change_touches() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let bin = fake_binaries(dir);
    let log = dir.join("calls.log");
    let manifest = manifest_in(dir, 8);
    let fragment = dir.join("pipeline.mk");
    let write_fragment = || {
        let text = make_fragment(&manifest, Some(&fragment), false).unwrap();
        std::fs::write(&fragment, text).unwrap();
    };
    write_fragment();

    // First run, two jobs: every stage once (2 idx, synth, 3 folders, 6 features, 4 train, 4 evaluate, report).
    let (_, calls) = run_make(dir, &bin, &fragment, &log, &["-j2", "pipeline"]);
    assert_eq!(calls.len(), 2 + 1 + 3 + 6 + 4 + 4 + 1, "{calls:#?}");
    assert!(dir.join("report/index.md").exists());

    // Second run: nothing, and make says so.
    let (stdout, calls) = run_make(dir, &bin, &fragment, &log, &["pipeline"]);
    assert!(calls.is_empty(), "{calls:#?}");
    assert!(stdout.contains("Nothing to be done for 'pipeline'"), "{stdout}");

    // Regenerating with the same manifest rewrites no parameter file: still nothing to do.
    write_fragment();
    let (_, calls) = run_make(dir, &bin, &fragment, &log, &["pipeline"]);
    assert!(calls.is_empty(), "{calls:#?}");

    // One HOG parameter: that feature set (3 splits), the two runs that read it
    // (model h and baseline lr, train + evaluate) and the report. Not the derived
    // `hog-o4` set, not its run, not the X-ray branch, not the datasets.
    std::thread::sleep(std::time::Duration::from_millis(20));
    manifest_in(dir, 9);
    write_fragment();
    let (_, calls) = run_make(dir, &bin, &fragment, &log, &["pipeline"]);
    let calls = short(&calls, dir);
    assert_eq!(calls.len(), 3 + 2 + 2 + 1, "{calls:#?}");
    assert_eq!(
        calls.iter().filter(|c| c.starts_with("features hog --in out/data/mnist/")).count(),
        3
    );
    assert!(
        calls
            .iter()
            .all(|c| !c.contains("hog-o4") && !c.contains("xray") && !c.starts_with("ingest")),
        "{calls:#?}"
    );
    assert!(calls.iter().any(|c| c.starts_with("train --spec out/specs/h.toml")));
    assert!(calls.iter().any(|c| c.starts_with("train --baseline logistic")));
    assert!(calls.iter().any(|c| c.starts_with("evaluate --model out/runs/lr/model/model.onnx")));
    assert!(calls.iter().any(|c| c.starts_with("pipeline report")));

    // `make RUN` builds one run; `make -n RUN` prints its commands without running them.
    let (stdout, calls) = run_make(dir, &bin, &fragment, &log, &["-n", "-B", "x"]);
    assert!(calls.is_empty());
    assert!(
        stdout.contains(&format!(
            "{}/train --spec {}/out/specs/x.toml",
            bin.display(),
            dir.display()
        )),
        "{stdout}"
    );
    assert!(!stdout.contains("features hog"), "{stdout}");
}

#[test]
fn spec_files_are_rewritten_only_when_their_content_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let manifest = manifest_in(tmp.path(), 8);
    let m = Manifest::load(&manifest).unwrap();
    let plan = make::plan(&m).unwrap();
    let n = plan.spec_files.len();
    assert_eq!(make::write_spec_files(&plan).unwrap(), n);
    assert_eq!(make::write_spec_files(&plan).unwrap(), 0);
    let m = Manifest::load(&manifest_in(tmp.path(), 9)).unwrap();
    let plan = make::plan(&m).unwrap();
    // The three HOG splits' command files change; nothing else.
    assert_eq!(make::write_spec_files(&plan).unwrap(), 3);
}

/// A crafted manifest must not make `make` run anything but the stage binaries.
#[test]
fn manifest_strings_cannot_inject_make_lines_or_shell_commands() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let pwned = dir.join("PWNED");
    let path = manifest_in(dir, 8);
    let text = std::fs::read_to_string(&path).unwrap();

    // A newline (or any control character) in any string is refused at parse time:
    // it would end the recipe line and start a make line of its own.
    let injected = format!("x\n\ttouch {}\nall:\n\ttouch {}", pwned.display(), pwned.display());
    for at in ["seed = 42", "[datasets.xs]"] {
        let bad = text.replacen(at, &format!("classes = [\"a\", {injected:?}]\n{at}"), 1);
        std::fs::write(&path, &bad).unwrap();
        let e = make_fragment(&path, None, false).unwrap_err().to_string();
        assert!(e.contains("control character"), "{e}");
    }
    let bad = text.replace("[datasets.xs]", "[datasets.xs]\n\"a\\tb\" = 1");
    std::fs::write(&path, bad).unwrap();
    assert!(make_fragment(&path, None, false)
        .unwrap_err()
        .to_string()
        .contains("control character"));

    // Shell and make metacharacters in a value are quoted: make runs the stage binary
    // with the value as one argument, and nothing else.
    let sneaky = format!("$(shell touch {p}); touch {p} # `touch {p}`", p = pwned.display());
    let classes = format!(
        "classes = [{:?}, \"b\", \"c\", \"d\", \"e\", \"f\", \"g\", \"h\", \"i\", \"j\"]\n",
        sneaky
    );
    std::fs::write(&path, text.replacen("seed = 42", &format!("{classes}seed = 42"), 1)).unwrap();
    let fragment = dir.join("pipeline.mk");
    std::fs::write(&fragment, make_fragment(&path, Some(&fragment), false).unwrap()).unwrap();
    let bin = fake_binaries(dir);
    let log = dir.join("calls.log");
    let (_, calls) = run_make(dir, &bin, &fragment, &log, &[]);
    assert!(!pwned.exists(), "a manifest value ran a command");
    let ingest = calls.iter().find(|c| c.starts_with("ingest idx")).expect("ingest ran");
    assert!(ingest.contains(&format!("--classes {sneaky},b,c")), "{ingest}");
}

#[test]
fn outputs_cannot_be_pointed_outside_the_manifest_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("project");
    let path = manifest_in(&dir, 8);
    let text = std::fs::read_to_string(&path).unwrap();
    let d = dir.display();
    for (out, report) in [
        ("/etc".to_string(), format!("{d}/report")),
        (format!("{d}/../elsewhere"), format!("{d}/report")),
        ("../out".to_string(), "report".to_string()),
        ("out".to_string(), format!("{d}")),
        ("out".to_string(), ".".to_string()),
    ] {
        let bad = text
            .replacen(&format!("out = \"{d}/out\""), &format!("out = {out:?}"), 1)
            .replacen(&format!("report = \"{d}/report\""), &format!("report = {report:?}"), 1);
        std::fs::write(&path, bad).unwrap();
        let e = make_fragment(&path, None, false).unwrap_err().to_string();
        assert!(e.contains("leads outside the manifest's directory"), "{out} {report}: {e}");
    }
    // Inside is fine, absolute or relative.
    let good = text.replacen(&format!("report = \"{d}/report\""), "report = \"reports/latest\"", 1);
    std::fs::write(&path, good).unwrap();
    assert!(make_fragment(&path, None, false).is_ok());
    // Outside, only when the user says so; the flag then rides along in the rule
    // that regenerates the fragment.
    let elsewhere = tmp.path().join("big-disk/out");
    let far = text.replacen(&format!("out = \"{d}/out\""), &format!("out = {elsewhere:?}"), 1);
    std::fs::write(&path, far).unwrap();
    assert!(make_fragment(&path, None, false).is_err());
    let fragment = make_fragment(&path, None, true).unwrap();
    assert!(fragment.contains("--outputs-anywhere"), "{fragment}");
    assert!(fragment.contains(&elsewhere.display().to_string()));
}

#[test]
fn a_symlink_cannot_lead_the_outputs_out_of_the_manifest_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("project");
    let path = manifest_in(&dir, 8);
    let text = std::fs::read_to_string(&path).unwrap();
    let d = dir.display();
    let elsewhere = tmp.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, dir.join("out")).unwrap();
    std::os::unix::fs::symlink(&elsewhere, dir.join("reports")).unwrap();
    for (out, report) in [
        (format!("{d}/out"), format!("{d}/report")),
        ("out".to_string(), "report".to_string()),
        ("out/deeper/still".to_string(), "report".to_string()),
        ("build/out".to_string(), "reports/latest".to_string()),
    ] {
        let bad = text
            .replacen(&format!("out = \"{d}/out\""), &format!("out = {out:?}"), 1)
            .replacen(&format!("report = \"{d}/report\""), &format!("report = {report:?}"), 1);
        std::fs::write(&path, bad).unwrap();
        let e = make_fragment(&path, None, false).unwrap_err().to_string();
        assert!(e.contains("through a symbolic link"), "{out} {report}: {e}");
        assert!(e.contains("outside the manifest's directory"), "{e}");
        assert_eq!(e.lines().count(), 1, "{e}");
    }
    assert_eq!(
        std::fs::read_dir(&elsewhere).unwrap().count(),
        0,
        "nothing written through the link"
    );
    // A link that stays inside is fine.
    std::fs::create_dir_all(dir.join("disk/out")).unwrap();
    std::os::unix::fs::symlink(dir.join("disk/out"), dir.join("inner")).unwrap();
    let inner = text.replacen(&format!("out = \"{d}/out\""), "out = \"inner\"", 1);
    std::fs::write(&path, inner).unwrap();
    // (relative outputs are written from the current directory; only the check is read here)
    let m = Manifest::load(&path).unwrap();
    pipeline::check_output_roots(&m, &path).unwrap();
    // A dangling link is refused too.
    std::os::unix::fs::symlink(tmp.path().join("nowhere"), dir.join("gone")).unwrap();
    let m =
        Manifest::parse(&text.replacen(&format!("out = \"{d}/out\""), "out = \"gone\"", 1), &path)
            .unwrap();
    assert!(pipeline::check_output_roots(&m, &path).is_err());
}

#[test]
fn names_too_long_for_a_file_are_refused_before_anything_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let path = manifest_in(dir, 8);
    let text = std::fs::read_to_string(&path).unwrap();
    // A 300-byte variant name: refused at its line, with nothing written.
    let long = "v".repeat(300);
    std::fs::write(
        &path,
        text.replace("[models.h.variants.o4]", &format!("[models.h.variants.{long}]")),
    )
    .unwrap();
    let e = make_fragment(&path, None, false).unwrap_err().to_string();
    assert!(e.contains("line 38: models.h.variants.vvvv"), "{e}");
    assert!(e.contains("is 300 bytes long; names are at most 200 bytes"), "{e}");
    assert!(!dir.join("out").exists(), "nothing written");
    // The longest name is usable, and every file named after it fits.
    let longest = "w".repeat(pipeline::manifest::MAX_NAME_BYTES - 2);
    std::fs::write(
        &path,
        text.replace(
            "[models.h.variants.o4]\nfeatures.orientations = 4",
            &format!("[models.h.variants.{longest}]\nepochs = 3"),
        ),
    )
    .unwrap();
    make_fragment(&path, None, false).unwrap();
    pipeline::plan_for(&path, 3, false).unwrap();
    let run = format!("h-{longest}");
    let most = formats::shard::MAX_SHARDS;
    let widest = dir.join(format!("out/specs/{run}.eval.{}-of-{most}.cmd", most - 1));
    pipeline::spec_files::check_file_name(&widest).unwrap();
    // Two names that fit alone but not together in a file name: refused by the plan
    // before the first file is written.
    let out = dir.join("out2");
    let split = "s".repeat(150);
    let ds = "d".repeat(150);
    let two = text
        .replacen(
            &format!("out = \"{}/out\"", dir.display()),
            &format!("out = \"{}\"", out.display()),
            1,
        )
        .replace("[datasets.xray]", &format!("[datasets.{ds}]"))
        .replace("data = \"xray\"", &format!("data = \"{ds}\""))
        .replace(
            "size = [64, 64]",
            &format!("size = [64, 64]\nsplits = [\"train\", \"test\", \"{split}\"]"),
        );
    std::fs::write(&path, two).unwrap();
    let e = format!("{:#}", make_fragment(&path, None, false).unwrap_err());
    assert!(e.contains("longer than the 225 a written file may have"), "{e}");
    assert!(!out.exists(), "nothing written: {e}");
}

/// The repository's Makefile, run on a project in `dir` (a copy of the Makefile beside
/// the manifest), with the stage binaries of `bin` and `CARGO` a program that must not
/// run.
fn run_root_makefile(dir: &Path, bin: &Path, args: &[&str]) -> std::process::Output {
    let makefile = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Makefile");
    std::fs::copy(makefile, dir.join("Makefile")).unwrap();
    Command::new("make")
        .current_dir(dir)
        .env("FAKE_LOG", dir.join("calls.log"))
        .arg(format!("BIN={}", bin.display()))
        .arg("CARGO=cargo-must-not-run")
        .arg("PIPELINE_RUNTIME=")
        .args(args)
        .output()
        .expect("make runs")
}

#[test]
fn a_dry_run_of_one_run_builds_nothing_and_runs_no_stage() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    manifest_in(dir, 8);
    let bin = fake_binaries(dir);
    // The real `pipeline`, which writes the fragment the Makefile includes.
    std::fs::remove_file(bin.join("pipeline")).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_pipeline"), bin.join("pipeline")).unwrap();

    let o = run_root_makefile(dir, &bin, &["-n", "-B", "x"]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stdout}\n{stderr}");
    assert!(dir.join("build/pipeline.mk").exists(), "the fragment is made, as make must");
    let train = format!("{}/train --spec {}/out/specs/x.toml", bin.display(), dir.display());
    assert!(stdout.contains(&train), "{stdout}");
    assert!(!stdout.contains("cargo-must-not-run"), "a dry run builds nothing:\n{stdout}");
    assert!(!stdout.contains("setup.sh"), "{stdout}");
    assert!(!dir.join("calls.log").exists(), "no stage ran");

    // A missing binary is built, with one build for all of them.
    std::fs::remove_file(bin.join("train")).unwrap();
    std::fs::remove_file(bin.join("evaluate")).unwrap();
    let o = run_root_makefile(dir, &bin, &["-n", "x"]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        stdout.matches("cargo-must-not-run build --release --workspace").count(),
        1,
        "{stdout}"
    );
}

#[test]
fn the_makefile_refuses_make_before_4_3_in_one_sentence() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = fake_binaries(tmp.path());
    for old in ["3.81", "4.0", "4.1", "4.2.1"] {
        let o =
            run_root_makefile(tmp.path(), &bin, &["-n", &format!("MAKE_VERSION={old}"), "build"]);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{old}");
        assert!(
            stderr.contains(&format!("GNU make 4.3 or newer is needed and this is {old}, which would run some stages twice; on macOS: `brew install make`, then use `gmake`")),
            "{old}: {stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
    for new in ["4.3", "4.4.1", "5.0"] {
        let o =
            run_root_makefile(tmp.path(), &bin, &["-n", &format!("MAKE_VERSION={new}"), "build"]);
        assert!(o.status.success(), "{new}: {}", String::from_utf8_lossy(&o.stderr));
    }
}

#[test]
fn a_feature_sets_codec_reaches_its_commands_and_its_variants() {
    let text = SMALL.replace(
        "method = \"hog\"\nfrom = \"mnist\"",
        "method = \"hog\"\nfrom = \"mnist\"\ncompression = \"zstd\"",
    );
    let (_, _, f) = fragment_of(&text);
    has_line(&f, "\t$(BIN)/features hog --in out/data/mnist/val.parquet --out out/features/hog/val.parquet --orientations 8 --pixels-per-cell 4x4 --cells-per-block 1x1 --block-norm L2-Hys --compression zstd");
    // The variant's derived set keeps the codec of the set it came from.
    has_line(&f, "\t$(BIN)/features hog --in out/data/mnist/test.parquet --out out/features/hog-o4/test.parquet --orientations 4 --pixels-per-cell 4x4 --cells-per-block 1x1 --block-norm L2-Hys --compression zstd");
}

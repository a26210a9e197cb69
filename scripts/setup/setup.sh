#!/usr/bin/env bash
# Installs what the demo and the tests need, once (idempotent):
#  - always: .venv with onnxruntime==1.31.1 (its library is what `ort` loads), onnx
#    (model checker) and pyarrow (format round-trip tests): all `make demo` needs;
#  - --with ray: ray in .venv, for the scale-out executor pipeline/ray/ray_run.py
#    (make ray, scripts/test/ray-test.sh);
#  - --with interop: pandas, polars and DuckDB in .venv, for the tests that run the feature-file
#    recipes of docs/formats.md and read every codec back (make test);
#  - --with fashion: Fashion-MNIST (Debian package dataset-fashion-mnist, installed when
#    run as root where apt-get is) at FASHION (scripts/bench/prelude.sh), for the
#    full-scale test of `make test` and the benchmarks. Elsewhere it says how to get it
#    and goes on.
#
#   scripts/setup/setup.sh [--with ray] [--with interop] [--with fashion]
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/bench/prelude.sh
PY=${PYTHON:-python3}
base="onnxruntime==1.31.1 onnx==1.23.2 numpy pyarrow"
ray="ray==2.60.0"
interop="pandas polars duckdb"
want=$base fashion=
while [ $# -gt 0 ]; do
  case "$1 ${2-}" in
    "--with ray") want="$want $ray"; shift 2 ;;
    "--with interop") want="$want $interop"; shift 2 ;;
    "--with fashion") fashion=1; shift 2 ;;
    *) echo "usage: scripts/setup/setup.sh [--with ray] [--with interop] [--with fashion]" >&2; exit 2 ;;
  esac
done

# .venv/.setup-ok lists the packages installed, one word each.
stamp=.venv/.setup-ok
have=$(cat "$stamp" 2>/dev/null || true)

# A .venv made in another directory (a moved or copied checkout) has scripts whose
# first line names that directory's python.
venv_made_elsewhere() {
  local first dir
  first=$(head -n1 .venv/bin/pip 2>/dev/null) || return 1
  case $first in '#!'/*/bin/python*) ;; *) return 1 ;; esac
  dir=${first#\#!}
  dir=${dir%/python*}
  [ "$(cd "$dir" 2>/dev/null && pwd -P)" != "$(cd .venv/bin && pwd -P)" ]
}

fresh= missing=()
if [ ! -x .venv/bin/python ] || [ -z "$have" ] || venv_made_elsewhere; then
  fresh=1
fi
for spec in $want; do
  case " $have " in
    *" $spec "*) ;;
    # Another version of the same package: the .venv is made anew.
    *" ${spec%%==*}=="*) fresh=1 ;;
    *) missing+=("$spec") ;;
  esac
done
if [ -n "$fresh" ]; then
  echo "setup: creating .venv with $want"
  "$PY" -m venv --clear .venv
  .venv/bin/python -m pip install --quiet --disable-pip-version-check $want
  echo "$want" > "$stamp"
elif [ ${#missing[@]} -gt 0 ]; then
  echo "setup: adding ${missing[*]} to .venv"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check "${missing[@]}"
  echo "$have ${missing[*]}" > "$stamp"
fi

if [ -n "$fashion" ] && [ ! -d "$FASHION" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing dataset-fashion-mnist"
    (apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist) >/dev/null
  else
    echo "setup: Fashion-MNIST is missing (Debian: 'sudo apt-get install dataset-fashion-mnist'; elsewhere put its four IDX files in $FASHION or set FASHION_DIR); the tests that need it are skipped and the benchmarks that need it stop" >&2
  fi
fi

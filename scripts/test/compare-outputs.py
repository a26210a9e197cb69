#!/usr/bin/env python3
"""Compares two pipeline output trees (out/ and report/ of two `make` runs), timings
aside: JSON keys that hold seconds or rates are dropped, the `seconds` column of
history files is dropped, and "N s" / "Wall time" figures in text are masked.
Prints each file that differs; exit status 1 if any does.

    python3 scripts/test/compare-outputs.py RUN_A RUN_B    # each holding out/ and report/
"""
import json, os, re, sys

TIMING_KEY = re.compile(r"second|elapsed|per_sec")
TEXT_TIME = re.compile(r"(Wall time: |training time |in )?\d[\d,.]* ?(s|ms|images/s|rows/s)\b")


def drop_timing(v):
    if isinstance(v, dict):
        return {k: drop_timing(x) for k, x in v.items() if not TIMING_KEY.search(k)}
    if isinstance(v, list):
        return [drop_timing(x) for x in v]
    return v


def normalized(path):
    data = open(path, "rb").read()
    name = os.path.basename(path)
    if name.endswith(".json"):
        return json.dumps(drop_timing(json.loads(data)), sort_keys=True).encode()
    if name == "history.csv":
        rows = [line.split(",") for line in data.decode().splitlines()]
        keep = [i for i, h in enumerate(rows[0]) if h != "seconds"]
        return "\n".join(",".join(r[i] for i in keep) for r in rows).encode()
    if name == "history.parquet":
        import pyarrow.parquet as pq
        t = pq.read_table(path)
        t = t.drop([c for c in t.column_names if c == "seconds"])
        return repr((t.schema.metadata, t.to_pydict())).encode()
    if name.endswith((".md", ".html", ".txt")):
        return TEXT_TIME.sub("<time>", data.decode()).encode()
    return data


def tree(root):
    out = {}
    for base in ("out", "report"):
        for d, _, files in os.walk(os.path.join(root, base)):
            for f in files:
                p = os.path.join(d, f)
                out[os.path.relpath(p, root)] = p
    return out


a, b = tree(sys.argv[1]), tree(sys.argv[2])
bad = sorted(set(a) ^ set(b))
for rel in bad:
    print(f"only in one run: {rel}")
for rel in sorted(set(a) & set(b)):
    if normalized(a[rel]) != normalized(b[rel]):
        bad.append(rel)
        print(f"differs: {rel}")
print(f"{len(set(a) & set(b))} files compared, {len(bad)} differ")
sys.exit(1 if bad else 0)

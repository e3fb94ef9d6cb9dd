#!/usr/bin/env python3
"""Checks ci/bench-summary on small Google Benchmark JSON documents.

Usage: bench_summary_test.py PATH/TO/ci/bench-summary
Exits non-zero (with the failing case) when a row is not what it should be.
"""
import json
import subprocess
import sys


def run(script, doc):
    out = subprocess.run([sys.executable, script], input=json.dumps(doc), capture_output=True, text=True)
    return out.returncode, out.stdout, out.stderr


def rows(stdout):
    """{benchmark: [columns...]} from the table (header skipped)."""
    table = {}
    for line in stdout.splitlines()[1:]:
        cols = line.split()
        if cols and "/" in cols[0]:
            table[cols[0]] = cols[1:]
    return table


def rep(name, items=None, bps=None, label="ran=avx512"):
    b = {"name": name, "run_name": name, "run_type": "iteration", "label": label}
    if items is not None:
        b["items_per_second"] = items
    if bps is not None:
        b["bytes_per_second"] = bps
    return b


def expect(cond, what):
    if not cond:
        sys.exit(f"bench_summary_test: {what}")


def main():
    script = sys.argv[1]
    # membw median 20 GB/s (one outlier repetition must not move it)
    doc = {"benchmarks": [
        rep("membw/read", bps=20e9, label=""), rep("membw/read", bps=21e9, label=""), rep("membw/read", bps=2e9, label=""),
        rep("gemv/tq2_0/avx512/6912x2560x16", 70e9, 17e9), rep("gemv/tq2_0/avx512/6912x2560x16", 72e9, 18e9),
        rep("gemv/tq2_0/avx512/6912x2560x16", 1e9, 1e9),
        rep("gemv/tl2/avx512/6912x2560x16", 80e9, 16.9e9),
        rep("gemv/tl1/avx512/6912x2560x16", 80e9, 16.992e9),  # 84.96%: printed 85.0%
        rep("gemv/tq2_0/avx512/6912x2560", 90e9, 16e9),
        rep("dot/tq2_0/avx512/65536", 80e9, 20e9),
        rep("peak/tq1_0-step/512", 100e9, 21e9, label=""),  # a ceiling that states its bytes
        rep("peak/vpdpbusd/512", 3.6e9, label=""),
        {"name": "gemv/tq1_0/avx2/6912x2560x16", "run_name": "gemv/tq1_0/avx2/6912x2560x16",
         "run_type": "iteration", "error_occurred": True, "error_message": "no kernel"},
    ]}
    code, out, err = run(script, doc)
    expect(code == 0, f"exit {code}: {err}")
    t = rows(out)
    # median of 17, 18, 1 GB/s = 17: 85.0% of 20 meets the target exactly
    expect(t["gemv/tq2_0/avx512/6912x2560x16"][:4] == ["70.000", "17.00", "85.0%", "ok"], out)
    expect(t["gemv/tl2/avx512/6912x2560x16"][2:4] == ["84.5%", "below"], out)
    # the mark follows the figure as printed, never "85.0%  below"
    expect(t["gemv/tl1/avx512/6912x2560x16"][2:4] == ["85.0%", "ok"], out)
    # an in-cache shape has a share of membw but no target
    expect(t["gemv/tq2_0/avx512/6912x2560"][2:4] == ["80.0%", "-"], out)
    expect(t["dot/tq2_0/avx512/65536"][2:4] == ["-", "-"], out)
    # a ceiling row's share of membw is printed, never marked against the target
    expect(t["peak/tq1_0-step/512"][:3] == ["100.000", "21.00", "105.0%"] and t["peak/tq1_0-step/512"][3] == "-", out)
    expect(t["peak/vpdpbusd/512"][1:4] == ["-", "-", "-"], out)
    expect(t["gemv/tq1_0/avx2/6912x2560x16"] == ["error:", "no", "kernel"], out)

    # without membw/read there is no share and no target, and a hint says why
    doc = {"benchmarks": [rep("gemv/tq2_0/avx512/6912x2560x16", 70e9, 17e9)]}
    code, out, err = run(script, doc)
    expect(code == 0, f"exit {code}: {err}")
    expect(rows(out)["gemv/tq2_0/avx512/6912x2560x16"][2:4] == ["-", "-"], out)
    expect("no membw/read" in out, out)

    # --benchmark_report_aggregates_only: the median rows stand in
    agg = lambda name, bps: {"name": name + "_median", "run_name": name, "run_type": "aggregate",
                             "aggregate_name": "median", "bytes_per_second": bps, "items_per_second": bps * 4}
    doc = {"benchmarks": [agg("membw/read", 20e9), agg("gemv/i2_s/avx512/6912x2560x16", 19e9)]}
    code, out, err = run(script, doc)
    expect(code == 0, f"exit {code}: {err}")
    expect(rows(out)["gemv/i2_s/avx512/6912x2560x16"][2:4] == ["95.0%", "ok"], out)

    # nothing to summarise is an error, not an empty table
    code, out, err = run(script, {"benchmarks": []})
    expect(code != 0 and "no benchmarks" in err, f"empty input: exit {code}, {err!r}")


if __name__ == "__main__":
    main()

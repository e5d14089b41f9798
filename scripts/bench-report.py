#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""make bench: run every benchmark of bench/, each next to its floor (and its
peers) measured in the same run, and write docs/benchmarks.md (the machine,
the versions, every table, how to rerun each piece) and docs/benchmarks.png
(a chart made with gnuplot).

    scripts/bench-report.py [BUILD_DIR] [--only ID,ID] [--out docs/benchmarks.md]
    scripts/bench-report.py --from-log LOG [--out docs/benchmarks.md]

--from-log writes the document from the output of an earlier run (what this
script printed) instead of running the benchmarks again.

Run from the source root, after building BUILD_DIR (default build-release)."""

import datetime
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile

CORPUS = "../shared/corpus"


def pieces(b):
    """(id, title, command): what make bench runs, in order."""
    bin_or_script = lambda script, binary, *a: (
        [script, b, *a] if os.path.exists(script) else [f"{b}/bench/{binary}", *a])
    return [
        ("snp", "SEV-SNP report verification",
         bin_or_script("bench/bench_snp.sh", "bench_snp", f"{CORPUS}/sev-snp/gsg-milan-v2-debug",
                       "5", "2")),
        ("tdx", "TDX quote verification (DCAP)",
         ["bench/bench_dcap.sh", b, f"{CORPUS}/tdx/dcap-qvl-tdx-v4-uptodate", "5", "2"]),
        ("sgx", "SGX quote verification (DCAP)",
         ["bench/bench_dcap.sh", b, f"{CORPUS}/sgx/dcap-qvl-sgx-v3-config-swhardening", "5", "2"]),
        ("nitro", "AWS Nitro document verification",
         bin_or_script("bench/bench_nitro.sh", "bench_nitro",
                       f"{CORPUS}/nitro/evervault-nondebug-in-tls-cert-2023", "5", "2")),
        ("tpm", "TPM 2.0 quote verification", ["bench/bench_tpm.sh", b, "5", "2"]),
        ("nvgpu", "NVIDIA H100 report verification",
         [f"{b}/bench/bench_nvgpu", f"{CORPUS}/nvidia-gpu/trustee-coco-ci-h100", "5", "2"]),
        ("appraise", "Issuing and checking attestation results",
         [f"{b}/bench/bench_appraise", f"{CORPUS}/sev-snp/gsg-milan-v2-debug", "5", "2"]),
        ("resources", "Resource use: start-up, memory, binary size",
         ["bench/bench_resources.py", b, "5"]),
        ("custosd", "custosd end to end (KBS attest and release on loopback)",
         ["bench/bench_custosd.sh", b, "3", "5", "1,16,64,256"]),
        ("scale", "Scale: release with 10^3, 10^5 and 10^6 resources and audit records",
         ["bench/bench_scale.sh", b, "3"]),
    ]


MEDIAN = re.compile(r"^median(?: ([^:]+))?: floor ([0-9.]+)/s, custos ([0-9.]+)/s, ratio "
                    r"([0-9.]+) \(min ([0-9.]+), max ([0-9.]+)\)")
# DCAP quotes need two verifications: the ratio is to half the floor
MEDIAN_HALF = re.compile(r"^median: floor ([0-9.]+)/s \(half: ([0-9.]+)/s\), custos ([0-9.]+)/s, "
                         r"ratio to half the floor ([0-9.]+) \(min ([0-9.]+), max ([0-9.]+)\)")
PEER = re.compile(r"^custos/peer \((.+?)\): ([0-9.]+) / ([0-9.]+) = ([0-9.]+)x")
E2E = re.compile(r"^(\d+)\s+(\d+) \((\d+)-(\d+)\)\s+([0-9.]+) \(([0-9.]+)-([0-9.]+)\)\s+"
                 r"([0-9.]+) \(([0-9.]+)-([0-9.]+)\)\s+([0-9.]+) \(([0-9.]+)-([0-9.]+)\)\s+"
                 r"([0-9.]+) \(([0-9.]+)-([0-9.]+)\)")


def run(cmd):
    print("+ " + " ".join(cmd), flush=True)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    sys.stdout.write(p.stdout)
    return p.returncode, p.stdout


def label_of(lines, i):
    """The line that names what a median line measured: the nearest header above it."""
    for j in range(i - 1, -1, -1):
        t = lines[j].strip()
        if t and not re.match(r"^(run|\d+ |sample:|evidence:|median|peer)", t):
            return t.rstrip(":").lstrip("= ")
    return ""


def parse(out):
    lines = out.splitlines()
    rows, peers, e2e, notes = [], [], [], []
    for i, l in enumerate(lines):
        m = MEDIAN.match(l)
        if m:
            label = m.group(1) or label_of(lines, i)
            rows.append((label, *map(float, m.groups()[1:])))
        m = MEDIAN_HALF.match(l)
        if m:
            g = [float(x) for x in m.groups()]
            rows.append(("quote (two P-256 verifications: ratio to half the floor)", g[1], g[2],
                         g[3], g[4], g[5]))
        m = PEER.match(l)
        if m:
            peers.append((m.group(1), float(m.group(2)), float(m.group(3)), float(m.group(4))))
        m = E2E.match(l)
        if m:
            g = [float(x) for x in m.groups()]
            e2e.append({"clients": int(g[0]), "rt": g[1], "rt_lo": g[2], "rt_hi": g[3],
                        "p50": g[4], "p90": g[7], "p99": g[10], "ratio": g[13],
                        "ratio_lo": g[14], "ratio_hi": g[15], "line": l})
        if re.match(r"^(resource: |scale: |custosd memory|floor, raw|round trips in all|audit: )",
                    l):
            notes.append(l.strip())
    return rows, peers, e2e, notes


def version(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True).stdout.splitlines()[0].strip()
    except Exception:
        return "not found"


def machine():
    model = "unknown"
    for l in open("/proc/cpuinfo"):
        if l.startswith("model name"):
            model = l.split(":", 1)[1].strip()
            break
    mem = next((l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal")), "0")
    return {
        "CPU": f"{model}, {os.cpu_count()} cores (shared: medians of several runs)",
        "memory": f"{int(mem) // 1024 // 1024} GiB",
        "kernel": platform.release(),
        "OS": version(["sh", "-c", ". /etc/os-release && echo $PRETTY_NAME"]),
        "compiler": version(["cc", "--version"]),
        "OpenSSL": version(["openssl", "version"]),
        "Node.js (peers)": version(["node", "--version"]),
        "Custos": version(["git", "describe", "--always", "--dirty"]),
    }


def chart(results, png, tmp):
    """Two panels: each verification's ratio to its floor (median, min-max), and the
    end-to-end round trips per second and p99 latency by concurrency."""
    gp = shutil.which("gnuplot")
    if not gp:
        print("bench-report: gnuplot not found: no chart (scripts/install-deps.sh --bench)")
        return False
    ver = os.path.join(tmp, "ratios.dat")
    with open(ver, "w") as f:
        for pid, title, rows, *_ in results:
            names = chart_names(pid, [r[0] for r in rows])
            for name, (label, floor, custos, ratio, lo, hi) in zip(names, rows):
                f.write('"%s" %s %s %s\n' % (name.replace('"', "'"), ratio, lo, hi))
    e2e = os.path.join(tmp, "e2e.dat")
    with open(e2e, "w") as f:
        for pid, title, rows, peers, e2e_rows, notes, rc, out in results:
            for r in e2e_rows:
                f.write(f"{r['clients']} {r['rt']} {r['rt_lo']} {r['rt_hi']} {r['p99']}\n")
    has_e2e = os.path.getsize(e2e) > 0
    script = f"""
set terminal pngcairo size 1200,{900 if has_e2e else 520} font "sans,10"
set output "{png}"
set multiplot layout {2 if has_e2e else 1},1
set title "Verification throughput, ratio to the floor measured in the same run (median, min-max); target 0.9"
set style fill solid 0.6
set boxwidth 0.6
set yrange [0:*]
set xtics rotate by -35
set grid ytics
set key off
plot "{ver}" using 0:2:xtic(1) with boxes lc rgb "#3b6ea5", \\
     "{ver}" using 0:2:3:4 with yerrorbars lc rgb "black" pt 0, \\
     0.9 with lines lc rgb "#c0392b" dt 2
"""
    if has_e2e:
        script += f"""
set title "custosd end to end: attest + release round trips per second and p99 latency"
set xtics norotate
set logscale x 2
set xlabel "concurrent clients"
set ylabel "round trips/s"
set y2label "p99 ms"
set ytics nomirror
set y2tics
set key top left
plot "{e2e}" using 1:2:3:4 with yerrorlines lw 2 lc rgb "#3b6ea5" title "round trips/s", \\
     "{e2e}" using 1:5 axes x1y2 with linespoints lw 2 lc rgb "#c0392b" title "p99 ms"
"""
    script += "unset multiplot\n"
    p = subprocess.run([gp], input=script, text=True, capture_output=True)
    if p.returncode:
        print("bench-report: gnuplot: " + p.stderr)
    return p.returncode == 0


def chart_names(pid, labels):
    """Short names for the chart: the benchmark alone, or with what tells its rows apart
    (the label up to its first comma or parenthesis, else what the parentheses say)."""
    if len(labels) < 2:
        return [pid]
    heads = [re.split(r"[,(]", l)[0].strip() for l in labels]
    if len(set(heads)) < len(heads):
        heads = [(re.findall(r"\((.*?)\)", l) or [l])[0] for l in labels]
    return [f"{pid}: {h[:28]}" for h in heads]


def write(path, results, mach, started, png_ok, png_name):
    with open(path, "w") as f:
        w = f.write
        w("# Benchmarks\n\n")
        w(f"Written by `make bench` (`scripts/bench-report.py`) on "
          f"{started:%Y-%m-%d %H:%M} UTC. Every figure sits next to its floor, measured in the "
          "same run on the same machine: OpenSSL's raw rate for the signatures the evidence "
          "needs. Figures are medians of several runs with their spread (min-max); ratios "
          "are computed run by run. The machine is shared and noisy: compare ratios.\n\n")
        w("## Machine and versions\n\n| | |\n|---|---|\n")
        for k, v in mach.items():
            w(f"| {k} | {v} |\n")
        w("\n## Summary\n\n")
        if png_ok:
            w(f"![ratio to the floor, and end-to-end throughput and latency]({png_name})\n\n")
        w("| benchmark | what | floor/s | custos/s | ratio median (min-max) |\n"
          "|---|---|---|---|---|\n")
        for pid, title, rows, peers, e2e, notes, rc, out in results:
            for label, floor, custos, ratio, lo, hi in rows:
                w(f"| {pid} | {label} | {floor:.0f} | {custos:.0f} | "
                  f"{ratio:.3f} ({lo:.3f}-{hi:.3f}) |\n")
        peers = [(pid, p) for pid, _, _, ps, *_ in results for p in ps]
        if peers:
            w("\nPeers, on the same evidence in the same run (each must accept it and refuse "
              "a tampered copy, or no figure is printed):\n\n"
              "| benchmark | peer | custos/s | peer/s | custos / peer |\n|---|---|---|---|---|\n")
            for pid, (name, c, p, r) in peers:
                w(f"| {pid} | {name} | {c:.0f} | {p:.0f} | {r:.1f}x |\n")
        res = [n[len("resource: "):] for *_, ns, _rc, _o in results for n in ns
               if n.startswith("resource: ")]
        if res:
            w("\nResource use (median of the runs, min-max):\n\n")
            for r in res:
                w(f"- {r}\n")
        scale = [n[len("scale: "):] for *_, ns, _rc, _o in results for n in ns
                 if n.startswith("scale: ")]
        if scale:
            w("\nScale: one client attesting and releasing while the store holds other "
              "resources and audit records (bench/fill_store.py; the audit chain verified "
              "after each run); the release step should not grow:\n\n")
            for r in scale:
                w(f"- {r}\n")
        e2e_rows = [r for *_, e2e, _n, _rc, _o in results for r in e2e]
        if e2e_rows:
            w("\nEnd to end through custosd on loopback (KBS auth, attest, release as JWE; "
              "the audit durable before every answer):\n\n"
              "| clients | round trips/s | p50 ms | p90 ms | p99 ms | ratio to the floor |\n"
              "|---|---|---|---|---|---|\n")
            for r in e2e_rows:
                w(f"| {r['clients']} | {r['rt']:.0f} ({r['rt_lo']:.0f}-{r['rt_hi']:.0f}) | "
                  f"{r['p50']:.2f} | {r['p90']:.2f} | {r['p99']:.2f} | "
                  f"{r['ratio']:.3f} ({r['ratio_lo']:.3f}-{r['ratio_hi']:.3f}) |\n")
            notes = [n for *_, ns, _rc, _o in results for n in ns
                     if not n.startswith(("resource: ", "scale: "))]
            for n in notes:
                w(f"\n    {n}")
            w("\n")
        w("\nTargets (issue 10): verification at least 0.9 of the floor for single-signature "
          "formats; end to end at least 0.60 of the verification floor with durable audit; "
          "p99 under 20 ms at 64 clients; custosd under 32 MiB resident under load. Where a "
          "figure misses its target the README says why.\n")
        w("\n## Each piece, and how to rerun it\n")
        for pid, title, rows, peers, e2e, notes, rc, out in results:
            cmd = " ".join(c for c in results_cmd[pid])
            w(f"\n### {title} (`{pid}`)\n\n```\n{cmd}\n```\n\n")
            if rc:
                w(f"**It failed (exit {rc})**; its output:\n\n")
            w("<details><summary>output</summary>\n\n```\n" + out.strip() + "\n```\n\n"
              "</details>\n")


results_cmd = {}


def split_log(path):
    """An earlier run's output: {command: its output}."""
    pieces_out, cmd, buf = {}, None, []
    for line in open(path):
        if line.startswith("+ "):
            if cmd:
                pieces_out[cmd] = "".join(buf)
            cmd, buf = line[2:].strip(), []
        elif cmd and not line.startswith(("bench-report: ", "make: ", "rc=")):
            buf.append(line)
    if cmd:
        pieces_out[cmd] = "".join(buf)
    return pieces_out


def main():
    args = sys.argv[1:]
    b = "build-release"
    only = None
    out = "docs/benchmarks.md"
    log = None
    while args:
        a = args.pop(0)
        if a == "--only":
            only = set(args.pop(0).split(","))
        elif a == "--out":
            out = args.pop(0)
        elif a == "--from-log":
            log = args.pop(0)
        else:
            b = a
    started = datetime.datetime.now(datetime.timezone.utc)
    results = []
    failed = 0
    logged = split_log(log) if log else None
    for pid, title, cmd in pieces(b):
        if only and pid not in only:
            continue
        results_cmd[pid] = cmd
        if logged is not None:
            if " ".join(cmd) not in logged:
                continue
            rc, text = 0, logged[" ".join(cmd)]
        else:
            rc, text = run(cmd)
        failed += rc != 0
        rows, peers, e2e, notes = parse(text)
        results.append((pid, title, rows, peers, e2e, notes, rc, text))
    png = os.path.splitext(out)[0] + ".png"
    with tempfile.TemporaryDirectory() as tmp:
        png_ok = chart(results, os.path.abspath(png), tmp)
    write(out, results, machine(), started, png_ok, os.path.basename(png))
    print(f"bench-report: wrote {out}" + (f" and {png}" if png_ok else ""))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

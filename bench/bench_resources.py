#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Resource use, measured: custosd's start-up time (exec to its first /healthz
answer, on a data directory made by `custosd init`) and its resident memory
idle, custos-agent's binary size (as built, and stripped) and its peak
resident memory making evidence (the simulated SEV-SNP platform), and the
same for `custos verify` of a corpus report. Each figure is the median of
RUNS runs with its spread. Prints "resource: NAME: VALUE UNIT (min-max)".

    bench/bench_resources.py [BUILD_DIR] [RUNS]
"""

import os
import resource
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

B = sys.argv[1] if len(sys.argv) > 1 else "build-release"
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 5
CORPUS = "../shared/corpus"


def show(name, values, unit, fmt="%.1f"):
    values = sorted(values)
    print(("resource: %s: " + fmt + " %s (" + fmt + "-" + fmt + ")") %
          (name, statistics.median(values), unit, values[0], values[-1]), flush=True)


def vmrss_kib(pid):
    for l in open(f"/proc/{pid}/status"):
        if l.startswith("VmRSS:"):
            return int(l.split()[1])
    return 0


def custosd_startup(tmp):
    data = os.path.join(tmp, "data")
    subprocess.run([f"{B}/custosd", "init", data], check=True, capture_output=True)
    ctx = ssl.create_default_context(cafile=os.path.join(data, "tls/cert.pem"))
    ctx.check_hostname = False
    starts, rss = [], []
    for _ in range(RUNS):
        t0 = time.monotonic()
        p = subprocess.Popen([f"{B}/custosd", "--data", data, "--listen", "127.0.0.1:0"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        url = None
        for line in p.stdout:
            if "listening on " in line:
                url = line.split("listening on ", 1)[1].strip()
                break
        ok = False
        while url and not ok and time.monotonic() - t0 < 10:
            try:
                ok = urllib.request.urlopen(url + "/healthz", context=ctx, timeout=2).status == 200
            except Exception:
                time.sleep(0.005)
        starts.append((time.monotonic() - t0) * 1000)
        time.sleep(0.5)
        rss.append(vmrss_kib(p.pid) / 1024)
        p.terminate()
        p.wait()
        if not ok:
            sys.exit("bench_resources: custosd did not answer /healthz")
    show("custosd start-up to its first /healthz answer", starts, "ms")
    show("custosd resident memory, idle", rss, "MiB")


def peak_rss(cmd):
    """The peak resident memory of one command, in MiB (wait4's ru_maxrss)."""
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit("bench_resources: failed: " + " ".join(cmd))
    return ru.ru_maxrss / 1024


def agent(tmp):
    exe = f"{B}/custos-agent"
    stripped = os.path.join(tmp, "agent.stripped")
    subprocess.run(["strip", "-o", stripped, exe], check=True)
    print("resource: custos-agent binary: %d KiB as built, %d KiB stripped" %
          (os.path.getsize(exe) // 1024, os.path.getsize(stripped) // 1024))
    pki = os.path.join(tmp, "pki")
    subprocess.run([f"{B}/tools/custos-snp-sim", "init", pki], check=True, capture_output=True)
    cmd = [exe, "evidence", "--report-data", "00ff", "--attester", "sim", "--sim-pki", pki,
           "--sim-tool", f"{B}/tools/custos-snp-sim", "--out", os.path.join(tmp, "ev"), "--force"]
    show("custos-agent peak resident memory, making evidence", [peak_rss(cmd) for _ in range(RUNS)],
         "MiB")
    d = f"{CORPUS}/sev-snp/gsg-milan-v2-debug"
    cmd = [f"{B}/custos", "verify", "--at", "2022-09-24T01:00:00Z", "--collateral", d,
           d + "/report.bin"]
    show("custos verify peak resident memory, an SNP report", [peak_rss(cmd) for _ in range(RUNS)],
         "MiB")


def main():
    for t in ("custosd", "custos-agent", "custos", "tools/custos-snp-sim"):
        if not os.access(f"{B}/{t}", os.X_OK):
            sys.exit(f"bench_resources: {B}/{t} is missing: build it first")
    tmp = tempfile.mkdtemp(prefix="custos-res-")
    try:
        print(f"resources, {RUNS} runs each (median, min-max)")
        custosd_startup(tmp)
        agent(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

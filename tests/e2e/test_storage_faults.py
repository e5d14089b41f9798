#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""custosd when its storage fails: the disk full, the database locked.

Disk full: custosd's data directory lives on a small tmpfs (mounted by the
test; without the privilege to mount, the file size limit RLIMIT_FSIZE stands
in for the full disk). Secrets are written until a write is refused: every
refusal is a 503 with its reason, never a crash; custosd stays healthy; every
acknowledged secret is listed and its content intact; once space is freed,
writes succeed again; after a restart every acknowledged secret is still
there, the audit chain verifies and the database is intact.

Database locked: another process holds an exclusive lock on the database
while secrets are written: custosd waits for it (its busy timeout) or refuses
with 503; nothing refused appears later, everything acknowledged does.

usage: test_storage_faults.py CUSTOSD CUSTOS CUSTOS_SNP_SIM JWE_TOOL
"""
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_custosd as base  # noqa: E402

check = base.check


def mount_tmpfs(path, size):
    os.makedirs(path, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", path],
                       capture_output=True, text=True)
    return r.returncode == 0


def put_secret(srv, admin, name, size):
    secret = os.urandom(size)
    st, b, _ = srv.req("PUT", f"/v1/admin/tenants/vault/resources/{name}",
                       {"secret": base.b64u(secret), "policy": "payments-key"},
                       headers=base.bearer(admin))
    return st, b, secret


def listed(srv, admin):
    st, b, _ = srv.req("GET", "/v1/admin/tenants/vault/resources", headers=base.bearer(admin))
    import json
    return {r["name"] for r in json.loads(b)["resources"]} if st == 200 else None


def disk_full(tmp):
    fs = os.path.join(tmp, "fs")
    mounted = not os.environ.get("CUSTOS_STORAGE_NO_MOUNT") and mount_tmpfs(fs, "4m")
    data = os.path.join(fs if mounted else tmp, "data")
    subprocess.run([base.CUSTOSD, "init", data], check=True, capture_output=True)
    extra = []
    if not mounted:
        print("# no privilege to mount a tmpfs: RLIMIT_FSIZE stands in for the full disk")
    srv = start(data, None if mounted else 2 * 1024 * 1024)
    acknowledged = {}
    try:
        admin = base.admin_token(data, "admin")
        srv.req("PUT", "/v1/admin/tenants/vault", headers=base.bearer(admin))
        st, b, _ = srv.req("POST", "/v1/admin/tenants/vault/policies", base.RELEASE_POLICY,
                           headers=base.bearer(admin))
        check("disk full: set up", st == 201, (st, b))
        if mounted:
            # leave about 600 KB free
            free = shutil.disk_usage(fs).free
            with open(os.path.join(fs, "filler"), "wb") as f:
                f.write(b"\0" * max(0, free - 600 * 1024))
        refused = []
        for i in range(400):
            st, b, secret = put_secret(srv, admin, f"key/k{i}", 60000)
            if st == 201:
                acknowledged[f"key/k{i}"] = secret
            else:
                refused.append((st, b[:200]))
                if len(refused) >= 3:
                    break
        check("disk full: writes are refused once the disk is full (503 with a reason)",
              refused and all(st == 503 and b"error" in b for st, b in refused)
              and len(acknowledged) > 0, (len(acknowledged), refused[:2]))
        check("disk full: custosd is still running and healthy",
              srv.proc.poll() is None and srv.req("GET", "/healthz")[0] == 200, srv.proc.poll())
        names = listed(srv, admin)
        check("disk full: every acknowledged secret is listed, nothing refused is",
              names == set(acknowledged), (len(names or ()), len(acknowledged)))
        # space again: writes work again
        if mounted:
            os.unlink(os.path.join(fs, "filler"))
            st, b, secret = put_secret(srv, admin, "key/after", 60000)
            check("disk full: once space is freed, writes succeed again", st == 201, (st, b))
            if st == 201:
                acknowledged["key/after"] = secret
    finally:
        rc = srv.stop()
    check("disk full: custosd stops cleanly", rc == 0, rc)
    srv = start(data, None)
    try:
        names = listed(srv, base.admin_token(data, "admin"))
        check("disk full: after a restart every acknowledged secret is there",
              names == set(acknowledged), (len(names or ()), len(acknowledged)))
    finally:
        srv.stop()
    db = os.path.join(data, "custosd.db")
    r = subprocess.run([base.CUSTOS, "audit", "verify", db], capture_output=True, text=True)
    check("disk full: the audit chain verifies", r.returncode == 0, r.stdout + r.stderr)
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    ok = con.execute("PRAGMA integrity_check").fetchone()[0]
    con.close()
    check("disk full: the database is intact", ok == "ok", ok)
    if mounted:
        subprocess.run(["umount", fs], capture_output=True)


def start(data, fsize):
    """custosd, with a file size limit standing in for a full disk when asked."""
    if fsize is None:
        return base.Server(data)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, hard))
    try:
        return base.Server(data)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))


def locked(tmp):
    data = os.path.join(tmp, "data-locked")
    subprocess.run([base.CUSTOSD, "init", data], check=True, capture_output=True)
    srv = base.Server(data)
    acknowledged, refused = {}, []
    try:
        admin = base.admin_token(data, "admin")
        srv.req("PUT", "/v1/admin/tenants/vault", headers=base.bearer(admin))
        srv.req("POST", "/v1/admin/tenants/vault/policies", base.RELEASE_POLICY,
                headers=base.bearer(admin))
        # another process takes the write lock for a while
        con = sqlite3.connect(os.path.join(data, "custosd.db"), timeout=30,
                              isolation_level=None, check_same_thread=False)
        con.execute("BEGIN EXCLUSIVE")
        release = threading.Timer(12.0, lambda: con.execute("COMMIT"))
        release.start()
        t0 = time.time()
        for i in range(3):
            st, b, secret = put_secret(srv, admin, f"key/l{i}", 1000)
            (acknowledged.__setitem__(f"key/l{i}", secret) if st == 201
             else refused.append((st, b[:200])))
        waited = time.time() - t0
        release.join()
        con.close()
        print(f"# locked for 12 s: {len(acknowledged)} writes waited and were acknowledged, "
              f"{len(refused)} refused, in {waited:.1f} s")
        check("locked: writes wait for the lock or are refused with 503",
              all(st == 503 for st, _ in refused) and (acknowledged or refused),
              (refused, waited))
        st, b, secret = put_secret(srv, admin, "key/after", 1000)
        check("locked: once the lock is gone, writes succeed", st == 201, (st, b))
        if st == 201:
            acknowledged["key/after"] = secret
        names = listed(srv, admin)
        check("locked: what was acknowledged is there, what was refused is not",
              names == set(acknowledged), (names, set(acknowledged)))
    finally:
        rc = srv.stop()
    check("locked: custosd stops cleanly", rc == 0, rc)
    r = subprocess.run([base.CUSTOS, "audit", "verify", os.path.join(data, "custosd.db")],
                       capture_output=True, text=True)
    check("locked: the audit chain verifies", r.returncode == 0, r.stdout + r.stderr)


def main():
    tmp = tempfile.mkdtemp(prefix="custosd-storage-")
    try:
        disk_full(tmp)
        locked(tmp)
    finally:
        subprocess.run(["umount", os.path.join(tmp, "fs")], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{base.passed} passed, {base.failed} failed")
    sys.exit(1 if base.failed else 0)


if __name__ == "__main__":
    main()

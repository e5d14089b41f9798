#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Fill a custosd store (stopped) with N sealed resources of another tenant and N
audit records that continue its hash chain exactly as custosd writes it
(src/store/store_sqlite.c: SHA-256 of prev, "\\n<seq>\\n<at>\\n", kind, "\\n",
data), so `custos audit verify` still holds. For the scale benchmark: the
release path must not slow down as the store grows.

    bench/fill_store.py DB N
"""

import hashlib
import json
import os
import sqlite3
import sys
import time


def main():
    db, n = sys.argv[1], int(sys.argv[2])
    con = sqlite3.connect(db)
    con.execute("PRAGMA journal_mode=WAL")
    now = int(time.time())
    t0 = time.monotonic()
    with con:
        con.execute("INSERT OR IGNORE INTO tenant (name, created) VALUES ('filler', ?)", (now,))
        con.executemany(
            "INSERT INTO resource (tenant, name, policy, nonce, sealed, created) "
            "VALUES ('filler', ?, 'filler', ?, ?, ?)",
            ((f"kind/name-{i}", os.urandom(12), os.urandom(64), now) for i in range(n)))
        row = con.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        seq, prev = (row[0] + 1, row[1]) if row else (1, "0" * 64)

        def records():
            nonlocal seq, prev
            for i in range(n):
                data = json.dumps({"api": "filler", "record": i}, separators=(",", ":"))
                h = hashlib.sha256(f"{prev}\n{seq}\n{now}\nfiller\n{data}".encode()).hexdigest()
                yield (seq, now, "filler", data, prev, h)
                prev, seq = h, seq + 1

        con.executemany("INSERT INTO audit (seq, at, kind, data, prev, hash) "
                        "VALUES (?, ?, ?, ?, ?, ?)", records())
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    print(f"fill_store: {n} resources and {n} audit records in {time.monotonic() - t0:.1f} s, "
          f"{os.path.getsize(db) // (1 << 20)} MiB")


if __name__ == "__main__":
    main()

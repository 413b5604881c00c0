#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Adds what flowgen does not write to a host's flow files: alerts, actions,
rule_counters rows and flows' dropped packets, from a seed, so that the
acting canned queries (alerts, alert-counts, blocked, actions) have rows to
compare. fleet_acting.py SEED FILE...; the rows' times lie in each file's
hour, some equal within a file (ties the order must break alike).
"""
import random
import sqlite3
import sys

RULES = ["scan-ports", "scan-hosts", "ssh-brute", "exfil", "dns-flood"]
SEVERITIES = ["low", "medium", "high", "critical"]


def main():
    rng = random.Random(int(sys.argv[1]))
    for path in sys.argv[2:]:
        con = sqlite3.connect(path)
        lo, hi = con.execute("SELECT min(first_seen), max(first_seen) FROM flows").fetchone()
        times = sorted(rng.randrange(lo, hi) for _ in range(25))
        times[3] = times[4]  # a tie within the file
        for t in times:
            key = "10.%d.0.%d" % (rng.randrange(3), rng.randrange(6))
            con.execute("INSERT INTO alerts VALUES (?, ?, ?, ?, 'src', 'distinct dst_port', ?, ?,"
                        " 60000000, ?, ?, ?, 'none', ?, ?)",
                        (t, rng.choice(RULES), rng.choice(SEVERITIES), key,
                         rng.randrange(10, 500) / 3, 20.0, t - 1000, t,
                         rng.choice([None, "tcp %s:1 -> 10.9.9.9:22" % key]),
                         rng.randrange(4), rng.choice([None, 7])))
            con.execute("INSERT INTO actions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (t, rng.choice(["add", "delete", "expire"]), "block src " + key,
                         rng.choice([None, "block src %s for 1h" % key]),
                         rng.choice([None, "scan"]), rng.choice([None, t + 3600000000]),
                         rng.choice(["ctl", "alert", "expiry"]), rng.choice([None, 1000]),
                         None))
            con.execute("INSERT INTO rule_counters VALUES (?, ?, ?, ?, ?, ?, 'file', ?)",
                        (t, "block dst port %d" % rng.choice([22, 23, 445]),
                         rng.choice(["block", "limit", "allow"]), rng.randrange(1000),
                         rng.randrange(100000), rng.choice(["enforce", "monitor"]),
                         rng.choice([None, 3])))
        con.execute("UPDATE flows SET dropped_packets = packets / 3, dropped_bytes = bytes / 3"
                    " WHERE rowid % 17 = 0")
        con.commit()
        con.close()


if __name__ == "__main__":
    main()

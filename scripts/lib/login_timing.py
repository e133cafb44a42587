"""Sign-in timing (scripts/login-timing; see docs/reliability.md).

Starts `lintel serve` on a fresh database with the sign-in limits raised, registers one
account, then alternates sign-ins with a wrong password for that account and with unknown
emails, each on a fresh connection, and reports the medians (and spread) of both. Both paths
verify one Argon2 hash, so the medians must be within a few per cent of each other; the script
fails if they differ by more than 25 % (an oracle costs ~40x, not 1.25x).
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness as h  # noqa: E402

MAX_RATIO = 1.25


def sign_in(port: int, email: str, password: str) -> tuple[int, float]:
    c = h.Client(port)
    try:
        t0 = time.perf_counter()
        r = c.request("POST", "/api/auth/login", {"email": email, "password": password})
        return r.status, (time.perf_counter() - t0) * 1000.0
    finally:
        c.close()


def run(backend: str, database_url: str | None, samples: int) -> dict:
    work = h.run_dir("login-timing")
    env = {
        "LINTEL_RATE_LIMITS__LOGIN": "100000",
        "LINTEL_RATE_LIMITS__LOGIN_ACCOUNT": "100000",
        "LINTEL_RATE_LIMITS__REGISTRATION": "100000",
        "LINTEL_LOG_LEVEL": "warn",
    }
    lintel = h.Lintel(work, database_url=database_url, extra_env=env)
    lintel.start()
    try:
        email = f"timing-{secrets.token_hex(4)}@example.com"
        c = h.Client(lintel.port)
        r = c.request("POST", "/api/auth/register", {
            "email": email, "password": "correct-horse-battery",
            "name": "Timing", "organisationName": "Timing Org"})
        c.close()
        if r.status != 201:
            h.die(f"registration failed: {r.status} {r.body[:200]!r}")
        # Warm-up: the first requests pay for connections and caches.
        for _ in range(3):
            sign_in(lintel.port, email, "wrong-password-0")
            sign_in(lintel.port, f"nobody-{secrets.token_hex(4)}@example.com", "wrong-password-0")
        known, unknown = [], []
        for _ in range(samples):
            s1, t1 = sign_in(lintel.port, email, "wrong-password-0")
            s2, t2 = sign_in(lintel.port, f"nobody-{secrets.token_hex(4)}@example.com",
                             "wrong-password-0")
            if s1 != 401 or s2 != 401:
                h.die(f"unexpected statuses {s1}/{s2}")
            known.append(t1)
            unknown.append(t2)
    finally:
        lintel.stop()
    mk, mu = statistics.median(known), statistics.median(unknown)
    return {
        "backend": backend,
        "samples": samples,
        "existing_median_ms": round(mk, 2),
        "unknown_median_ms": round(mu, 2),
        "existing_range_ms": [round(min(known), 2), round(max(known), 2)],
        "unknown_range_ms": [round(min(unknown), 2), round(max(unknown), 2)],
        "ratio": round(max(mk, mu) / min(mk, mu), 3),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--samples", type=int, default=20, help="sign-ins of each kind (default 20)")
    ap.add_argument("--postgres", metavar="URL",
                    help="also run on a fresh database created through this admin URL")
    ap.add_argument("--no-record", action="store_true", help="leave docs/reliability.md alone")
    args = ap.parse_args()

    results = [run("sqlite", None, args.samples)]
    if args.postgres:
        url = h.create_database(args.postgres, "lintel_timing")
        try:
            results.append(run("postgres", url, args.samples))
        finally:
            h.drop_database(args.postgres, url)
    ok = all(r["ratio"] <= MAX_RATIO for r in results)
    for r in results:
        print(json.dumps(r))
    if not args.no_record:
        lines = [f"- {h.now_utc()} sign-in timing ({h.provenance()}): " + "; ".join(
            f"{r['backend']}: existing email {r['existing_median_ms']} ms, unknown email "
            f"{r['unknown_median_ms']} ms (medians of {r['samples']}; ratio {r['ratio']})"
            for r in results) + ("; pass" if ok else "; FAIL")]
        h.update_results("login-timing", "\n".join(lines))
    if not ok:
        h.log(f"FAIL: the medians differ by more than {MAX_RATIO}x")
        return 1
    h.log("pass: both paths cost the same")
    return 0


if __name__ == "__main__":
    sys.exit(main())

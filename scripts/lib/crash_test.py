"""scripts/crash-test: acknowledged writes must survive SIGKILL (see docs/reliability.md).

Rounds:
  sqlite             Lintel on SQLite; `lintel serve` is SIGKILLed N times under write load.
  postgres           Lintel on PostgreSQL; `lintel serve` is SIGKILLed N times under write load.
  pg-server          Lintel on PostgreSQL; the PostgreSQL server (a private cluster this script
                     starts, never the machine's shared service) is SIGKILLed N times under
                     write load.
  payments-sqlite    Lintel on SQLite; `lintel serve` is SIGKILLed N times under payment load.
  payments-postgres  Lintel on PostgreSQL; `lintel serve` is SIGKILLed N times under payment
                     load.

Writers POST /api/properties with unique names; an acknowledgement is a 201, and its returned
ID is recorded. After the last kill every acknowledged write must read back (GET 200, same name)
with its `property.create` audit entry, and the database must pass its integrity checks.

In the payments rounds (crash_payments.py) the writers POST /api/payments against one active
lease, each payment with its own Idempotency-Key and reference; a request left without an answer
by a kill is sent again with the same key and body once the server is back. After the last kill
every acknowledged payment must read back, the lease's payment list must hold each one exactly
once (never a reference twice), GET /api/ledger/integrity must be sound and the trial balance
balanced, and the database must pass its integrity checks.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import threading
import time
import http.client
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness as h  # noqa: E402
import crash_payments as cp  # noqa: E402

ROUNDS = ("sqlite", "postgres", "pg-server") + cp.ROUNDS
ADDRESS = {"line1": "7 Crash Lane", "city": "Halifax", "region": "NS",
           "postalCode": "B3J 1A1", "country": "CA"}
ROUND_TIME_LIMIT = 30 * 60  # seconds, per round


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="scripts/crash-test", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", default=",".join(ROUNDS),
                    help=f"comma-separated subset of {', '.join(ROUNDS)} (default: all)")
    ap.add_argument("--kills", type=int, default=25, help="kills per round (default 25)")
    ap.add_argument("--writers", type=int, default=4, help="concurrent writers (default 4)")
    ap.add_argument("--postgres", metavar="URL",
                    help="run the `postgres` and `payments-postgres` rounds on fresh "
                         "databases created next to URL's instead of the private cluster (the "
                         "pg-server round always uses its private cluster)")
    ap.add_argument("--seed", type=int, help="random seed for the kill moments")
    ap.add_argument("--keep", action="store_true",
                    help="keep the PostgreSQL databases and the private cluster (scratch "
                         "directories under .reliability/ are always kept)")
    ap.add_argument("--no-record", action="store_true",
                    help="do not write the results into docs/reliability.md")
    a = ap.parse_args()
    a.rounds = [r.strip() for r in a.rounds.split(",") if r.strip()]
    bad = [r for r in a.rounds if r not in ROUNDS]
    if bad:
        ap.error(f"unknown round(s): {', '.join(bad)}")
    if not 1 <= a.kills <= 1000 or not 1 <= a.writers <= 64:
        ap.error("--kills must be 1..1000 and --writers 1..64")
    return a


class Load:
    """Concurrent writers. Every attempt's name is recorded; every 201 is an acknowledgement."""

    def __init__(self, port: int, key: str, writers: int, tag: str):
        self.port, self.key, self.tag = port, key, tag
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.acked: list[dict] = []
        self.attempted: set[str] = set()
        self.outcomes: Counter = Counter()
        self.bad_acks: list[str] = []
        self.epoch = 0  # incremented at each kill
        self.threads = [threading.Thread(target=self._writer, args=(i,), daemon=True)
                        for i in range(writers)]

    def start(self) -> None:
        for t in self.threads:
            t.start()

    def finish(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(30)

    def acks_since(self, n: int) -> int:
        with self.lock:
            return len(self.acked) - n

    def _writer(self, w: int) -> None:
        c = h.Client(self.port, self.key, timeout=15)
        seq = 0
        while not self.stop.is_set():
            seq += 1
            name = f"crash {self.tag} w{w} n{seq}"
            with self.lock:
                self.attempted.add(name)
                epoch = self.epoch
            try:
                r = c.request("POST", "/api/properties",
                              {"name": name, "type": "residential", "address": ADDRESS})
            except (OSError, http.client.HTTPException) as e:
                with self.lock:
                    self.outcomes[f"connection error ({type(e).__name__})"] += 1
                time.sleep(0.02)
                continue
            with self.lock:
                self.outcomes[str(r.status)] += 1
            if r.status == 201:
                try:
                    data = r.json()["data"]
                    ack = {"id": data["id"], "name": name, "epoch": epoch}
                    if data.get("name") != name:
                        self.bad_acks.append(f"{data['id']}: sent {name!r}, got {data.get('name')!r}")
                except (ValueError, KeyError, TypeError) as e:
                    self.bad_acks.append(f"unreadable 201 body for {name!r}: {e}: {r.body[:200]!r}")
                    continue
                with self.lock:
                    self.acked.append(ack)
            elif r.status >= 500 or r.status == 429:
                time.sleep(0.02)
            else:
                time.sleep(0.02)
        c.close()


def verify_acks(port: int, key: str, acked: list[dict]) -> tuple[list[str], list[str]]:
    """(lost writes, missing audit entries), each as a description line."""
    lost, no_audit = [], []

    def check(ack: dict) -> tuple[str | None, str | None]:
        c = h.Client(port, key, timeout=30)
        try:
            for attempt in range(3):
                try:
                    r = c.request("GET", f"/api/properties/{ack['id']}")
                    a = c.request("GET", "/api/audit-log?entityType=property&entityId="
                                  + quote(ack["id"]))
                    break
                except (OSError, http.client.HTTPException):
                    if attempt == 2:
                        raise
                    time.sleep(0.5)
        finally:
            c.close()
        miss = None
        if r.status != 200:
            miss = f"{ack['id']} ({ack['name']!r}, epoch {ack['epoch']}): GET -> {r.status} {r.body[:120]!r}"
        elif r.json()["data"].get("name") != ack["name"]:
            miss = f"{ack['id']}: name {r.json()['data'].get('name')!r}, expected {ack['name']!r}"
        aud = None
        items = a.json().get("data", {}).get("items", []) if a.status == 200 else []
        if not any(i.get("action") == "property.create" for i in items):
            aud = f"{ack['id']} ({ack['name']!r}): audit-log -> {a.status}, " \
                  f"actions {[i.get('action') for i in items]}"
        return miss, aud

    with ThreadPoolExecutor(4) as ex:
        for miss, aud in ex.map(check, acked):
            if miss:
                lost.append(miss)
            if aud:
                no_audit.append(aud)
    return lost, no_audit


def committed_unacked(port: int, key: str, load: Load) -> int:
    """How many writes that were never acknowledged are in the database anyway (in-doubt
    requests cut off by the kill after their commit; allowed, reported for information)."""
    acked = {a["name"] for a in load.acked}
    c = h.Client(port, key, timeout=30)
    names, page = set(), 1
    try:
        while page <= 10_000:
            r = c.request("GET", f"/api/properties?page={page}&pageSize=100")
            if r.status != 200:
                return -1
            d = r.json()["data"]
            names.update(i["name"] for i in d["items"])
            if page >= d["totalPages"]:
                break
            page += 1
    finally:
        c.close()
    return len((names & load.attempted) - acked)


CONSISTENCY_SQL = {
    "properties without their property.create audit entry":
        "SELECT COUNT(*) FROM properties p WHERE NOT EXISTS (SELECT 1 FROM audit_log a "
        "WHERE a.entity_type = 'property' AND a.entity_id = p.id "
        "AND a.action = 'property.create')",
    "property.create audit entries without their property":
        "SELECT COUNT(*) FROM audit_log a WHERE a.action = 'property.create' AND NOT EXISTS "
        "(SELECT 1 FROM properties p WHERE p.id = a.entity_id)",
    "properties of an unknown organisation":
        "SELECT COUNT(*) FROM properties p WHERE NOT EXISTS "
        "(SELECT 1 FROM organisations o WHERE o.id = p.org_id)",
}


def sqlite_integrity(path: Path) -> list[str]:
    """Problems found (empty when healthy). Run with Lintel stopped."""
    problems = []
    con = sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=30)
    try:
        rows = [r[0] for r in con.execute("PRAGMA integrity_check")]
        if rows != ["ok"]:
            problems += [f"integrity_check: {r}" for r in rows[:20]]
        fk = con.execute("PRAGMA foreign_key_check").fetchall()
        if fk:
            problems.append(f"foreign_key_check: {len(fk)} violations, e.g. {fk[:3]}")
        for what, sql in CONSISTENCY_SQL.items():
            n = con.execute(sql).fetchone()[0]
            if n:
                problems.append(f"{n} {what}")
    finally:
        con.close()
    return problems


def pg_integrity(url: str) -> tuple[list[str], str]:
    """(problems, what was checked)."""
    problems, checked = [], []
    try:
        h.psql(url, "SELECT 1")
        checked.append("server answers")
    except RuntimeError as e:
        return [f"server does not answer: {e}"], "connection"
    try:
        h.psql(url, "CREATE EXTENSION IF NOT EXISTS amcheck")
        have_amcheck = True
    except RuntimeError as e:
        h.log(f"amcheck unavailable ({e}); falling back to full scans")
        have_amcheck = False
    if have_amcheck:
        try:
            out = h.psql(url, """
                SELECT count(*) FROM (
                  SELECT bt_index_check(index => c.oid, heapallindexed => true)
                  FROM pg_index i
                  JOIN pg_class c ON c.oid = i.indexrelid
                  JOIN pg_am am ON am.oid = c.relam
                  JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE am.amname = 'btree' AND n.nspname = 'public') s""", timeout=600)
            checked.append(f"amcheck bt_index_check(heapallindexed) on {out} B-tree indexes")
        except RuntimeError as e:
            problems.append(f"bt_index_check: {e}")
        try:
            out = h.psql(url, """
                SELECT c.relname || ': ' || v.msg FROM pg_class c
                JOIN pg_namespace n ON n.oid = c.relnamespace,
                LATERAL verify_heapam(c.oid) v
                WHERE c.relkind = 'r' AND n.nspname = 'public'""", timeout=600)
            if out:
                problems += [f"verify_heapam: {line}" for line in out.splitlines()[:20]]
            checked.append("verify_heapam on every table")
        except RuntimeError as e:
            problems.append(f"verify_heapam: {e}")
    else:
        tables = h.psql(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        for t in tables.split():
            h.psql(url, f'SELECT count(*) FROM "{t}"')
        checked.append("full count(*) of every table")
    for what, sql in CONSISTENCY_SQL.items():
        n = int(h.psql(url, sql))
        if n:
            problems.append(f"{n} {what}")
    checked.append("audit/property consistency queries")
    return problems, "; ".join(checked)


def backend(kind: str) -> str:
    """`sqlite`, `postgres` or `pg-server`: the database set-up a round shares with others."""
    return kind.removeprefix("payments-")


def start_lintel(a: argparse.Namespace, kind: str, cluster: h.PgCluster | None
                 ) -> tuple[Path, h.Lintel, str, str | None, str | None]:
    """A fresh scratch directory and database, a BUSINESS organisation with an admin API key,
    and `lintel serve` running on it: (scratch dir, Lintel, key, database URL, the URL the
    database was created from); both URLs are None on SQLite."""
    work = h.run_dir(f"crash-{kind}")
    db_url, admin_url = None, None
    if backend(kind) in ("postgres", "pg-server"):
        admin_url = a.postgres if (backend(kind) == "postgres" and a.postgres) \
            else cluster.admin_url
        db_url = h.create_database(admin_url, "lintel_crash")
    lintel = h.Lintel(work, database_url=db_url, extra_env=h.HIGH_RATE_LIMITS)
    org = lintel.seed_org("Crash Test Organisation", "business")
    key = lintel.api_key(org, "admin", "crash-writer")
    lintel.start()
    return work, lintel, key, db_url, admin_url


def kill_loop(a: argparse.Namespace, kind: str, rng: random.Random, lintel: h.Lintel,
              load: Load | cp.PaymentLoad, cluster: h.PgCluster | None, t_start: float
              ) -> tuple[list[float], int, list[str]]:
    """SIGKILLs `lintel serve` (or the PostgreSQL server, pg-server) `a.kills` times under the
    load, restarting it each time; `load` is a Load or a crash_payments.PaymentLoad.
    Returns (seconds until ready again after each kill, lintel deaths, notes)."""
    recover_times, lintel_deaths, notes = [], 0, []
    for k in range(1, a.kills + 1):
        if time.monotonic() - t_start > ROUND_TIME_LIMIT:
            notes.append(f"stopped after {k - 1} kills: round time limit reached")
            break
        # Under load: wait for a few acknowledgements after the (re)start, then a random
        # moment within the next 1.5 s.
        base = len(load.acked)
        t0 = time.monotonic()
        while load.acks_since(base) < 3 and time.monotonic() - t0 < 10:
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 1.5))
        with load.lock:
            load.epoch = k
            acks_before = len(load.acked)
        if kind == "pg-server":
            n = cluster.crash()
            down = rng.uniform(0.0, 1.0)
            time.sleep(down)
            cluster.start()
            t1 = time.monotonic()
            if not lintel.alive():
                lintel_deaths += 1
                notes.append(f"kill {k}: lintel serve exited while PostgreSQL was down")
                lintel.start()
            ready = lintel.wait_ready(90, fatal=False)
            if ready is None:
                notes.append(f"kill {k}: lintel serve not ready 90 s after PostgreSQL "
                             "restarted; restarting it")
                lintel.kill()
                lintel.start()
            recover_times.append(time.monotonic() - t1)
            detail = f"{n} PostgreSQL processes, down {down:.2f} s"
        else:
            lintel.kill()
            recover_times.append(lintel.start())
            detail = "lintel serve"
        h.log(f"[{kind}] kill {k}/{a.kills}: SIGKILL {detail}; {acks_before} acks so far; "
              f"ready again in {recover_times[-1]:.2f} s")
    return recover_times, lintel_deaths, notes


def db_integrity(a: argparse.Namespace, lintel: h.Lintel, db_url: str | None,
                 admin_url: str | None) -> tuple[list[str], str]:
    """Stops `lintel serve` and checks its database: (problems, what was checked). Drops the
    PostgreSQL database afterwards unless --keep."""
    lintel.stop()
    if db_url is None:
        problems = sqlite_integrity(lintel.sqlite_path)
        return problems, "PRAGMA integrity_check, PRAGMA foreign_key_check, consistency queries"
    problems, checked = pg_integrity(db_url)
    if not a.keep:
        h.drop_database(admin_url, db_url)
    return problems, checked


def run_round(a: argparse.Namespace, kind: str, rng: random.Random,
              cluster: h.PgCluster | None) -> dict:
    if kind in cp.ROUNDS:
        return run_payments_round(a, kind, rng, cluster)
    t_start = time.monotonic()
    work, lintel, key, db_url, admin_url = start_lintel(a, kind, cluster)
    h.log(f"[{kind}] lintel serve on {lintel.base_url} ({'SQLite' if not db_url else 'PostgreSQL'})"
          f", {a.writers} writers, {a.kills} kills of "
          f"{'the PostgreSQL server' if kind == 'pg-server' else 'lintel serve'}")
    load = Load(lintel.port, key, a.writers, f"{kind}-{time.strftime('%H%M%S')}")
    load.start()
    try:
        recover_times, lintel_deaths, notes = kill_loop(a, kind, rng, lintel, load, cluster,
                                                        t_start)
        # Final stretch of load after the last restart, then stop writing.
        time.sleep(1.0)
    finally:
        load.finish()

    h.log(f"[{kind}] verifying {len(load.acked)} acknowledged writes")
    lintel.wait_ready(60)
    lost, no_audit = verify_acks(lintel.port, key, load.acked)
    extra = committed_unacked(lintel.port, key, load)
    problems, checked = db_integrity(a, lintel, db_url, admin_url)
    five = sum(v for s, v in load.outcomes.items() if s.isdigit() and int(s) >= 500)
    res = {
        "round": kind,
        "kills": len(recover_times),
        "attempts": sum(load.outcomes.values()),
        "acked": len(load.acked),
        "lost": lost,
        "no_audit": no_audit,
        "bad_acks": load.bad_acks,
        "committed_unacked": extra,
        "outcomes": dict(load.outcomes),
        "five_xx": five,
        "integrity": problems,
        "checked": checked,
        "recover_max": max(recover_times or [0]),
        "recover_mean": sum(recover_times) / max(1, len(recover_times)),
        "lintel_deaths": lintel_deaths,
        "notes": notes,
        "seconds": round(time.monotonic() - t_start),
        "dir": str(work.relative_to(h.REPO)),
    }
    (work / "result.json").write_text(json.dumps({**res, "acked_writes": load.acked}, indent=1))
    return res


def run_payments_round(a: argparse.Namespace, kind: str, rng: random.Random,
                       cluster: h.PgCluster | None) -> dict:
    """A payments round (see crash_payments): a lease, payments under Idempotency-Keys,
    `lintel serve` SIGKILLed under them, then exactly-once and ledger checks."""
    t_start = time.monotonic()
    work, lintel, key, db_url, admin_url = start_lintel(a, kind, cluster)
    lease = cp.prepare_lease(lintel.port, key)
    h.log(f"[{kind}] lintel serve on {lintel.base_url} ({'SQLite' if not db_url else 'PostgreSQL'})"
          f", lease {lease}, {a.writers} payment writers, {a.kills} kills of lintel serve")
    load = cp.PaymentLoad(lintel.port, key, a.writers, f"{kind}-{time.strftime('%H%M%S')}",
                          lease, rng.randrange(2**31))
    load.start()
    try:
        recover_times, lintel_deaths, notes = kill_loop(a, kind, rng, lintel, load, cluster,
                                                        t_start)
        time.sleep(1.0)
        load.drain(cp.DRAIN_SECONDS)
    finally:
        load.finish()

    h.log(f"[{kind}] verifying {len(load.acked)} acknowledged payments "
          f"({len(load.payments)} attempted)")
    lintel.wait_ready(60)
    res = cp.verify(lintel.port, key, load)
    problems, checked = db_integrity(a, lintel, db_url, admin_url)
    res.update({
        "round": kind,
        "kills": len(recover_times),
        "integrity": problems,
        "checked": checked,
        "recover_max": max(recover_times or [0]),
        "recover_mean": sum(recover_times) / max(1, len(recover_times)),
        "lintel_deaths": lintel_deaths,
        "notes": notes + res["notes"],
        "seconds": round(time.monotonic() - t_start),
        "dir": str(work.relative_to(h.REPO)),
    })
    (work / "result.json").write_text(json.dumps({**res, "payment_log": load.dump()}, indent=1))
    return res


def print_summary(r: dict) -> bool:
    """Prints a property round's lines of the summary; True when it passed."""
    good = not (r["lost"] or r["no_audit"] or r["bad_acks"] or r["integrity"])
    print(f"{r['round']:9} {'PASS' if good else 'FAIL'}  {r['kills']} kills, "
          f"{r['attempts']} write attempts, {r['acked']} acknowledged, "
          f"{len(r['lost'])} lost, {len(r['no_audit'])} without audit entry, "
          f"{r['committed_unacked']} committed but unacknowledged; "
          f"integrity: {'ok' if not r['integrity'] else 'PROBLEMS'}; {r['seconds']} s")
    print(f"          outcomes: {r['outcomes']}; ready again after a kill in "
          f"{r['recover_mean']:.2f} s mean, {r['recover_max']:.2f} s max")
    for line in (r["lost"][:10] + r["no_audit"][:10] + r["bad_acks"][:10]
                 + r["integrity"][:10] + r["notes"]):
        print(f"          {line}")
    return good


def record(results: list[dict], writers: int, seed: int) -> None:
    """The property rounds' figures into docs/reliability.md (results:crash) and one line of
    run history."""
    rows = []
    for r in results:
        rows.append(
            f"| {r['round']} | {r['kills']} | {r['attempts']} | {r['acked']} | "
            f"{len(r['lost'])} | {len(r['no_audit'])} | {r['committed_unacked']} | "
            f"{'ok' if not r['integrity'] else '; '.join(r['integrity'][:3])} | "
            f"{r['five_xx']} | {r['recover_mean']:.2f} / {r['recover_max']:.2f} s |")
    checked = "\n".join(f"- {r['round']}: {r['checked']}." for r in results)
    notes = "\n".join(f"- {r['round']}: {n}" for r in results for n in r["notes"])
    body = (f"Latest run: {h.now_utc()}, {h.provenance()}, "
            f"{writers} writers, seed {seed}.\n\n"
            "| round | kills | write attempts | acknowledged (201) | lost | without audit "
            "entry | committed, never acknowledged | integrity | 5xx answers | ready "
            "again (mean / max) |\n|---|---|---|---|---|---|---|---|---|---|\n"
            + "\n".join(rows) + "\n\nIntegrity checks run:\n" + checked
            + (f"\n\nNotes:\n{notes}" if notes else ""))
    h.update_results("crash", body)
    h.append_history(
        f"- {h.now_utc()} crash-test ({h.provenance()}): " + "; ".join(
            f"{r['round']} {r['kills']} kills, {r['acked']} acked, {len(r['lost'])} lost"
            for r in results))


def main() -> int:
    a = parse_args()
    seed = a.seed if a.seed is not None else random.randrange(1, 2**31)
    rng = random.Random(seed)
    h.log(f"crash test: rounds {', '.join(a.rounds)}; {a.kills} kills each; seed {seed}")
    cluster = None
    results = []
    try:
        if "pg-server" in a.rounds or (not a.postgres and any(
                backend(r) == "postgres" for r in a.rounds)):
            cluster = h.PgCluster()
            cluster.start()
            h.log(f"private PostgreSQL cluster on {h.LOOPBACK}:{cluster.port} ({cluster.root})")
        for kind in a.rounds:
            results.append(run_round(a, kind, rng, cluster))
    finally:
        if cluster is not None:
            cluster.destroy(keep=a.keep)

    writes = [r for r in results if r["round"] not in cp.ROUNDS]
    payments = [r for r in results if r["round"] in cp.ROUNDS]
    ok = True
    print("\n================ crash-test summary ================")
    for r in writes:
        ok &= print_summary(r)
    for r in payments:
        ok &= not cp.failures(r)
        print("\n".join(cp.summary(r)))
    print(f"seed {seed}: {'0 acknowledged writes lost' if ok else 'FAILURES'}"
          + (", no payment recorded twice" if ok and payments else ""))

    if not a.no_record and writes:
        record(writes, a.writers, seed)
    if not a.no_record and payments:
        cp.record(payments, a.writers, seed)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

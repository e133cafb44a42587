"""The slowloris round of scripts/overload (see docs/reliability.md).

    slowloris.py attack ...          internal: the attacking client (its own process)
    slowloris.py probe ...           internal: the measuring client (its own process)

One client keeps thousands of connections open against `lintel serve`: half send nothing, half
send a partial request head and then one more byte every second, and each one the server closes
is opened again at once, so the pressure stays constant. Another client measures
`GET /api/health` and an authenticated `GET /api/properties?pageSize=12` over its own keep-alive
connections before and during the attack. The server must keep answering the second client, and
must close every attacking connection after its header-read timeout (10 s by default), counted
from the accept.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness as h  # noqa: E402

PROPERTIES = "/api/properties?pageSize=12"
PARTIAL_HEAD = b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slowloris\r\nX-Slow: "
HEADER_TIMEOUT = 10.0  # the server's default `server.header_read_timeout_secs`
CLOSE_SLACK = 5.0  # how late past the header timeout a close may be observed (loaded machine)
P99_FACTOR, P99_FLOOR_MS = 3.0, 25.0  # the probe's p99 bound during the attack


def raise_nofile(wanted: int) -> int:
    """Raises this process's soft open-file limit (towards `wanted`, at most the hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


# --------------------------------------------------------------------------------------------
# The attack


async def attack(port: int, conns: int, duration: float, ramp: float) -> dict:
    limit = raise_nofile(conns + 256)
    if limit < conns + 64:
        h.die(f"open-file limit {limit} is too low for {conns} connections")
    stop_at = time.monotonic() + duration
    closes: dict[str, list[float]] = {"silent": [], "half": []}
    open_at_end: list[float] = []
    answered = Counter()
    errors = Counter()
    opened = 0

    async def hold(kind: str, reader, writer) -> float | None:
        """Seconds until the server closed the connection, or None if it was open at the end."""
        t0 = time.monotonic()
        if kind == "half":
            writer.write(PARTIAL_HEAD)
        while True:
            left = stop_at - time.monotonic()
            if left <= 0:
                open_at_end.append(time.monotonic() - t0)
                return None
            try:
                data = await asyncio.wait_for(reader.read(4096), min(1.0, left))
            except asyncio.TimeoutError:
                if kind == "half":
                    writer.write(b"a")
                continue
            except OSError:
                return time.monotonic() - t0
            if not data:
                return time.monotonic() - t0
            answered[data.split(b"\r\n", 1)[0].decode("latin-1")] += 1

    async def slot(i: int) -> None:
        nonlocal opened
        kind = "silent" if i % 2 == 0 else "half"
        await asyncio.sleep(ramp * i / conns)
        while time.monotonic() < stop_at:
            try:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(h.LOOPBACK, port), 30)
            except (OSError, asyncio.TimeoutError) as e:
                errors[type(e).__name__] += 1
                await asyncio.sleep(0.5)
                continue
            opened += 1
            try:
                closed = await hold(kind, reader, writer)
            finally:
                writer.close()
            if closed is None:
                return
            closes[kind].append(closed)

    started = time.monotonic()
    await asyncio.gather(*(slot(i) for i in range(conns)))
    return {"connections": conns, "opened": opened, "closes": closes,
            "open_at_end": open_at_end, "answered": dict(answered), "errors": dict(errors),
            "seconds": time.monotonic() - started}


# --------------------------------------------------------------------------------------------
# The probe


def probe(port: int, key: str, rate: float, duration: float, out: Path) -> None:
    """Paced requests, health and properties in turn, each over its own keep-alive connection."""
    clients = {"health": (h.Client(port, None, timeout=30), "/api/health"),
               "properties": (h.Client(port, key, timeout=30), PROPERTIES)}
    with out.open("w") as f:
        for i in h.paced(rate, duration):
            kind = "health" if i % 2 == 0 else "properties"
            client, path = clients[kind]
            s = time.perf_counter()
            try:
                status = client.request("GET", path).status
            except Exception as e:  # noqa: BLE001 - recorded, never fatal
                status = f"error: {e!r}"
            ms = (time.perf_counter() - s) * 1000
            f.write(json.dumps({"kind": kind, "ms": ms, "status": status}) + "\n")
    for client, _ in clients.values():
        client.close()


# --------------------------------------------------------------------------------------------
# The round


def summarise(samples: list[dict]) -> dict:
    ms = [s["ms"] for s in samples if s["status"] == 200]
    return {"n": len(samples), "statuses": dict(Counter(str(s["status"]) for s in samples)),
            "p50": h.percentile(ms, 50), "p95": h.percentile(ms, 95),
            "p99": h.percentile(ms, 99), "max": max(ms) if ms else float("nan")}


def spread(values: list[float]) -> str:
    if not values:
        return "none"
    return (f"{len(values)}, after {min(values):.1f} / {h.percentile(values, 50):.1f} / "
            f"{max(values):.1f} s (min / median / max)")


def experiment(a: argparse.Namespace) -> int:
    work = h.run_dir("slowloris")
    load_before = os.getloadavg()
    db_url = h.create_database(a.postgres, "lintel_slowloris") if a.postgres else None
    lintel = h.Lintel(work, database_url=db_url, extra_env=dict(h.HIGH_RATE_LIMITS))
    org = lintel.seed_org("Slowloris Probe Org", "business")
    key = lintel.api_key(org, "landlord", "probe")
    lintel.start()
    addr = {"line1": "3 Load Road", "city": "Halifax", "country": "CA"}
    c = h.Client(lintel.port, key)
    for i in range(12):
        r = c.request("POST", "/api/properties",
                      {"name": f"Probe {i:02}", "type": "residential", "address": addr})
        if r.status != 201:
            h.die(f"seeding failed: {r}")
    c.close()
    backend = "PostgreSQL" if db_url else "SQLite"
    duration = a.slowloris_ramp + a.slowloris_hold
    h.log(f"slowloris: lintel serve on {lintel.base_url} ({backend}); {a.slowloris_conns} "
          f"connections for {duration:g} s; probe at {a.probe_rate:g} req/s")
    me = [sys.executable, str(Path(__file__).resolve())]
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parent), SLOWLORIS_KEY=key)

    def run_probe(name: str, seconds: float) -> subprocess.Popen:
        return subprocess.Popen(me + ["probe", "--port", str(lintel.port), "--rate",
                                      str(a.probe_rate), "--duration", str(seconds),
                                      "--out", str(work / f"probe-{name}.jsonl")], env=env)

    try:
        run_probe("warmup", 3).wait(60)
        h.log(f"slowloris phase 1/2: unloaded, {a.slowloris_baseline:g} s")
        run_probe("before", a.slowloris_baseline).wait(a.slowloris_baseline + 120)
        h.log(f"slowloris phase 2/2: {a.slowloris_conns} connections for {duration:g} s")
        at = subprocess.Popen(me + ["attack", "--port", str(lintel.port), "--conns",
                                    str(a.slowloris_conns), "--duration", str(duration),
                                    "--ramp", str(a.slowloris_ramp), "--out",
                                    str(work / "attack.json")], env=env)
        # Measure once every connection is open and the first ones are being closed.
        time.sleep(a.slowloris_ramp + 2)
        pr = run_probe("during", a.slowloris_hold - 4)
        pr.wait(a.slowloris_hold + 120)
        at.wait(duration + 180)
        alive = lintel.alive()
        ready = h.get_status(lintel.port, "/api/ready", timeout=10) == 200
        load_after = os.getloadavg()
    finally:
        lintel.stop()
        if db_url and not a.keep:
            h.drop_database(a.postgres, db_url)

    phases = {n: h.read_jsonl(work / f"probe-{n}.jsonl") for n in ("before", "during")}
    st = {(n, k): summarise([s for s in phases[n] if s["kind"] == k])
          for n in phases for k in ("health", "properties")}
    res = json.loads((work / "attack.json").read_text())
    closes = res["closes"]["silent"] + res["closes"]["half"]
    early = [c for c in closes if c < 0.9 * HEADER_TIMEOUT]
    late = [c for c in closes if c > HEADER_TIMEOUT + CLOSE_SLACK]
    overdue = [c for c in res["open_at_end"] if c > HEADER_TIMEOUT + CLOSE_SLACK]
    bounds = {k: max(P99_FACTOR * st[("before", k)]["p99"], P99_FLOOR_MS)
              for k in ("health", "properties")}
    checks = {
        "probe: every request answered 200, before and during": all(
            set(s["statuses"]) <= {"200"} for s in st.values()),
        f"probe: p99 during the attack within max({P99_FACTOR:g}x unloaded, "
        f"{P99_FLOOR_MS:g} ms)": all(st[("during", k)]["p99"] <= bounds[k] for k in bounds),
        "attack: every connection opened (none refused or timed out)": not res["errors"],
        f"server closed the idle and half-sent connections {HEADER_TIMEOUT:g} s after "
        f"accept (none before {0.9 * HEADER_TIMEOUT:g} s, none after "
        f"{HEADER_TIMEOUT + CLOSE_SLACK:g} s)": bool(closes) and not early and not late
        and not overdue,
        "half-sent connections got no answer, only the close": not res["answered"],
        "lintel serve alive and ready throughout": alive and ready,
    }
    ok = all(checks.values())

    def row(n, k):
        s = st[(n, k)]
        label = {"before": "unloaded", "during": "during the attack"}[n]
        return (f"| {k} {label} | {s['n']} | {s['p50']:.2f} | {s['p95']:.2f} | {s['p99']:.2f} | "
                f"{s['max']:.2f} | {s['statuses']} |")

    table = ("| probe request | requests | p50 ms | p95 ms | p99 ms | max ms | statuses |\n"
             "|---|---|---|---|---|---|---|\n" + "\n".join(
                 row(n, k) for k in ("health", "properties") for n in ("before", "during")))
    attack_line = (f"- attack: {res['connections']} connections held for {duration:g} s "
                   f"({res['opened']} opened in all, as the server closed them); closed by the "
                   f"server: silent {spread(res['closes']['silent'])}; half-sent "
                   f"{spread(res['closes']['half'])}; open when the attack stopped: "
                   f"{len(res['open_at_end'])} (oldest "
                   f"{max(res['open_at_end'], default=0):.1f} s); connect errors: "
                   f"{res['errors'] or 'none'}; answers on attacking connections: "
                   f"{res['answered'] or 'none'}.")
    print("\n================ slowloris summary ================")
    print(table)
    print(attack_line)
    h.print_checks(checks, work)
    if not a.no_record:
        body = (f"Latest run: {h.now_utc()}, {h.provenance()}, {backend}; server limits at their "
                f"defaults (header-read 10 s, keep-alive 60 s, body 30 s, 10,000 connections); "
                f"probe {a.probe_rate:g} req/s alternating health and properties, "
                f"{a.slowloris_baseline:g} s unloaded, {a.slowloris_hold - 4:g} s during. Machine "
                f"load average (1/5/15 min) {h.load_average(load_before)} at the "
                f"start, {h.load_average(load_after)} at the end (2 cores).\n\n"
                f"{table}\n\n{attack_line}\n"
                + "\n".join(f"- {'PASS' if g else 'FAIL'}: {n}" for n, g in checks.items()))
        h.update_results(f"slowloris-{'postgres' if db_url else 'sqlite'}", body)
        d, b = st[("during", "properties")], st[("before", "properties")]
        h.append_history(f"- {h.now_utc()} overload slowloris ({h.provenance()}; {backend}): "
                         f"{res['connections']} connections, {len(closes)} closed by the server; "
                         f"properties p99 {b['p99']:.2f} -> {d['p99']:.2f} ms; "
                         f"{'pass' if ok else 'FAIL'}")
    return 0 if ok else 1


def add_arguments(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--slowloris", action="store_true",
                    help="run only the slowloris round (the default run does both)")
    ap.add_argument("--slowloris-conns", type=int, default=5000,
                    help="attacking connections held open (5000)")
    ap.add_argument("--slowloris-ramp", type=float, default=5,
                    help="seconds over which they are first opened (5)")
    ap.add_argument("--slowloris-hold", type=float, default=40,
                    help="seconds the attack goes on after the ramp (40)")
    ap.add_argument("--slowloris-baseline", type=float, default=20,
                    help="unloaded probe seconds before the attack (20)")


def main() -> int:
    ap = argparse.ArgumentParser(prog="slowloris.py")
    sub = ap.add_subparsers(dest="cmd", required=True)
    at = sub.add_parser("attack")
    at.add_argument("--port", type=int, required=True)
    at.add_argument("--conns", type=int, required=True)
    at.add_argument("--duration", type=float, required=True)
    at.add_argument("--ramp", type=float, required=True)
    at.add_argument("--out", type=Path, required=True)
    pr = sub.add_parser("probe")
    pr.add_argument("--port", type=int, required=True)
    pr.add_argument("--rate", type=float, required=True)
    pr.add_argument("--duration", type=float, required=True)
    pr.add_argument("--out", type=Path, required=True)
    a = ap.parse_args()
    if a.cmd == "attack":
        res = asyncio.run(attack(a.port, a.conns, a.duration, a.ramp))
        a.out.write_text(json.dumps(res))
    else:
        probe(a.port, os.environ["SLOWLORIS_KEY"], a.rate, a.duration, a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

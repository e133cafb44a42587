"""scripts/overload: one organisation floods the API at 10x its rate limit while another measures
its own latency; then the slowloris round (`slowloris.py`): thousands of idle and half-sent
connections from one client while another measures its latency (see docs/reliability.md).

    overload.py [options]            both rounds (what scripts/overload runs)
    overload.py --slowloris          the slowloris round only
    overload.py flood ...            internal: the flooding client (its own process)
    overload.py probe ...            internal: the measuring client (its own process)

The flood is open-loop: request i is due at start + i/rate whatever the answers, sent over a pool
of keep-alive HTTP/1.1 connections written with asyncio streams (no HTTP library), so a slow
server does not slow the offered load down. The probe sends paced requests over one keep-alive
connection and records each latency.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness as h  # noqa: E402
import slowloris  # noqa: E402

PATH = "/api/properties?pageSize=12"


# --------------------------------------------------------------------------------------------
# Raw HTTP/1.1


async def read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                break
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
        body = b"".join(parts)
    else:
        body = await reader.read()
    return status, headers, body


def request_bytes(port: int, key: str) -> bytes:
    return (f"GET {PATH} HTTP/1.1\r\nHost: {h.LOOPBACK}:{port}\r\n"
            f"Authorization: Bearer {key}\r\nAccept: application/json\r\n"
            "User-Agent: lintel-overload\r\n\r\n").encode()


# --------------------------------------------------------------------------------------------
# The flood (organisation A)


def check_headers(status: int, hd: dict[str, str], body: bytes, limit: int,
                  now_ms: int) -> list[str]:
    """Problems with one answer's rate-limit headers (empty when correct)."""
    bad = []
    try:
        lim = int(hd["x-ratelimit-limit"])
        rem = int(hd["x-ratelimit-remaining"])
        reset = int(hd["x-ratelimit-reset"])
    except (KeyError, ValueError):
        return [f"{status}: missing or non-integer X-RateLimit-* headers: "
                f"{ {k: v for k, v in hd.items() if k.startswith('x-ratelimit')} }"]
    if lim != limit:
        bad.append(f"{status}: X-RateLimit-Limit {lim}, expected {limit}")
    if not 0 <= rem <= limit:
        bad.append(f"{status}: X-RateLimit-Remaining {rem} outside 0..{limit}")
    if not now_ms - 2_000 <= reset <= now_ms + 62_000:
        bad.append(f"{status}: X-RateLimit-Reset {reset} is not within the next minute "
                   f"(now {now_ms})")
    if "x-request-id" not in hd:
        bad.append(f"{status}: no X-Request-Id")
    if status == 429:
        ra = hd.get("retry-after", "")
        if not ra.isdigit() or not 1 <= int(ra) <= 60:
            bad.append(f"429: Retry-After {ra!r} is not 1..60 seconds")
        else:
            expect = max(1, math.ceil((reset - now_ms) / 1000))
            if abs(int(ra) - expect) > 2:
                bad.append(f"429: Retry-After {ra} but X-RateLimit-Reset is {expect} s away")
        if rem != 0:
            bad.append(f"429: X-RateLimit-Remaining {rem}, expected 0")
        try:
            if json.loads(body).get("code") != "RATE_LIMITED":
                bad.append(f"429: body code {json.loads(body).get('code')!r}")
        except ValueError:
            bad.append(f"429: body is not JSON: {body[:100]!r}")
    return bad


async def flood(port: int, key: str, rate: float, duration: float, limit: int,
                conns: int) -> dict:
    total = int(rate * duration)
    req = request_bytes(port, key)
    statuses: Counter = Counter()
    problems: Counter = Counter()
    examples: dict[str, str] = {}
    allowed_per_window: Counter = Counter()
    late = []
    next_ticket = 0
    t0 = time.monotonic() + 0.5

    async def worker():
        nonlocal next_ticket
        reader = writer = None
        while True:
            i = next_ticket
            if i >= total:
                break
            next_ticket += 1
            due = t0 + i / rate
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                late.append(-delay)
            for attempt in range(2):
                try:
                    if writer is None:
                        reader, writer = await asyncio.wait_for(
                            asyncio.open_connection(h.LOOPBACK, port), 10)
                    writer.write(req)
                    status, hd, body = await asyncio.wait_for(read_response(reader), 30)
                    break
                except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError,
                        asyncio.LimitOverrunError, ValueError) as e:
                    if writer is not None:
                        writer.close()
                    reader = writer = None
                    if attempt == 1:
                        status, hd, body = -1, {}, repr(e).encode()
            now_ms = int(time.time() * 1000)
            key_ = str(status) if status > 0 else "connection error"
            statuses[key_] += 1
            if status >= 500 or status < 0:
                examples.setdefault(key_, f"{status} {hd} {body[:300]!r}")
            elif status in (200, 429):
                for p in check_headers(status, hd, body, limit, now_ms):
                    kind = p.split(":", 1)[0] + ":" + p.split(":", 1)[1].split(" ")[1]
                    problems[kind] += 1
                    examples.setdefault(kind, p)
                if status == 200 and "x-ratelimit-reset" in hd:
                    allowed_per_window[hd["x-ratelimit-reset"]] += 1
            if hd.get("connection", "").lower() == "close" and writer is not None:
                writer.close()
                reader = writer = None
        if writer is not None:
            writer.close()

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(conns)))
    elapsed = time.monotonic() - t0
    late.sort()
    over = {w: n for w, n in allowed_per_window.items() if n > limit}
    return {
        "requests": sum(statuses.values()),
        "statuses": dict(statuses),
        "header_problems": dict(problems),
        "examples": examples,
        "allowed_per_window": dict(allowed_per_window),
        "windows_over_limit": over,
        "offered_rate": rate,
        "achieved_rate": sum(statuses.values()) / max(elapsed, 1e-9),
        "late_p99_ms": 1000 * (late[int(0.99 * (len(late) - 1))] if late else 0.0),
        "seconds": time.monotonic() - started,
    }


# --------------------------------------------------------------------------------------------
# The probe (organisation B)


def probe(port: int, key: str, rate: float, duration: float, out: Path) -> None:
    """Paced requests over one keep-alive connection; one JSON line per request."""
    c = h.Client(port, key, timeout=30)
    with out.open("w") as f:
        for _ in h.paced(rate, duration):
            wall = time.time()
            s = time.perf_counter()
            try:
                r = c.request("GET", PATH)
                status, hd = r.status, r.headers
            except Exception as e:  # noqa: BLE001 - recorded, never fatal
                status, hd = -1, {"error": repr(e)}
            ms = (time.perf_counter() - s) * 1000
            f.write(json.dumps({"t": wall, "ms": ms, "status": status,
                                "limit": hd.get("x-ratelimit-limit"),
                                "remaining": hd.get("x-ratelimit-remaining")}) + "\n")
    c.close()


# --------------------------------------------------------------------------------------------
# The experiment


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="scripts/overload", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd")
    f = sub.add_parser("flood")
    f.add_argument("--port", type=int, required=True)
    f.add_argument("--rate", type=float, required=True)
    f.add_argument("--duration", type=float, required=True)
    f.add_argument("--limit", type=int, required=True)
    f.add_argument("--conns", type=int, default=32)
    f.add_argument("--out", type=Path, required=True)
    p = sub.add_parser("probe")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--rate", type=float, required=True)
    p.add_argument("--duration", type=float, required=True)
    p.add_argument("--out", type=Path, required=True)
    ap.add_argument("--limit", type=int, default=3000,
                    help="rate limit per API key per minute for the run (default 3000)")
    ap.add_argument("--factor", type=float, default=10, help="flood at this multiple (10)")
    ap.add_argument("--duration", type=float, default=60, help="flood seconds (60)")
    ap.add_argument("--baseline", type=float, default=60,
                    help="unloaded measurement seconds, before and after (60)")
    ap.add_argument("--probe-rate", type=float, default=20,
                    help="organisation B's requests per second (20, must stay under the limit)")
    ap.add_argument("--conns", type=int, default=32, help="flood connections (32)")
    ap.add_argument("--postgres", metavar="URL",
                    help="run on a fresh PostgreSQL database next to URL's instead of SQLite")
    ap.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    ap.add_argument("--no-record", action="store_true")
    slowloris.add_arguments(ap)
    a = ap.parse_args()
    if a.cmd is None:
        if a.probe_rate * 60 >= a.limit:
            ap.error("--probe-rate must stay under the limit (limit/60 per second)")
        if a.duration > 600 or a.baseline > 600 or a.limit * a.factor / 60 > 5000:
            ap.error("bounded runs only: at most 600 s phases and 5000 requests/s")
    return a


def key_env(name: str) -> str:
    v = os.environ.get(name)
    if not v:
        h.die(f"{name} is not set")
    return v


def stats(samples: list[dict]) -> dict:
    ms = [s["ms"] for s in samples if s["status"] == 200]
    return {
        "n": len(samples),
        "ok": len(ms),
        "statuses": dict(Counter(str(s["status"]) for s in samples)),
        "p50": h.percentile(ms, 50), "p95": h.percentile(ms, 95),
        "p99": h.percentile(ms, 99), "max": max(ms) if ms else float("nan"),
    }


def seed(c: h.Client, n: int, tag: str) -> None:
    addr = {"line1": "3 Load Road", "city": "Halifax", "country": "CA"}
    for i in range(n):
        r = c.request("POST", "/api/properties",
                      {"name": f"{tag} {i:02}", "type": "residential", "address": addr})
        if r.status != 201:
            h.die(f"seeding failed: {r}")


def experiment(a: argparse.Namespace) -> int:
    work = h.run_dir("overload")
    load_before = os.getloadavg()
    db_url = h.create_database(a.postgres, "lintel_overload") if a.postgres else None
    limits = {k: str(a.limit) for k in h.HIGH_RATE_LIMITS}
    limits["LINTEL_RATE_LIMITS__ENABLED"] = "true"
    lintel = h.Lintel(work, database_url=db_url, extra_env=limits)
    org_a = lintel.seed_org("Overload Noisy Org", "business")
    org_b = lintel.seed_org("Overload Quiet Org", "business")
    key_a = lintel.api_key(org_a, "landlord", "flood")
    key_b = lintel.api_key(org_b, "landlord", "probe")
    lintel.start()
    seed(h.Client(lintel.port, key_a), 12, "Noisy")
    seed(h.Client(lintel.port, key_b), 12, "Quiet")
    flood_rate = a.limit * a.factor / 60
    h.log(f"lintel serve on {lintel.base_url} ({'PostgreSQL' if db_url else 'SQLite'}); limit "
          f"{a.limit}/min per key; org A floods at {flood_rate:.0f} req/s ({a.factor:g}x) for "
          f"{a.duration:g} s; org B probes at {a.probe_rate:g} req/s")
    me = [sys.executable, str(Path(__file__).resolve())]
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parent))

    def run_probe(name: str, seconds: float) -> subprocess.Popen:
        return subprocess.Popen(me + ["probe", "--port", str(lintel.port), "--rate",
                                      str(a.probe_rate), "--duration", str(seconds),
                                      "--out", str(work / f"probe-{name}.jsonl")],
                                env=dict(env, OVERLOAD_KEY=key_b))

    try:
        # Warm-up (connections, caches), not measured.
        run_probe("warmup", 5).wait(60)
        h.log(f"phase 1/3: unloaded, {a.baseline:g} s")
        run_probe("before", a.baseline).wait(a.baseline + 120)
        # Let the window in which B probed roll over so A starts on a fresh minute? Not needed:
        # buckets are per key, so B's count never touches A's.
        h.log(f"phase 2/3: org A floods for {a.duration:g} s while org B probes")
        fl = subprocess.Popen(me + ["flood", "--port", str(lintel.port), "--rate",
                                    str(flood_rate), "--duration", str(a.duration), "--limit",
                                    str(a.limit), "--conns", str(a.conns), "--out",
                                    str(work / "flood.json")],
                              env=dict(env, OVERLOAD_KEY=key_a))
        time.sleep(1.0)  # the flood's connections are open and its pace established
        pr = run_probe("during", a.duration - 2)
        pr.wait(a.duration + 120)
        fl.wait(a.duration + 180)
        h.log(f"phase 3/3: unloaded again, {a.baseline:g} s")
        run_probe("after", a.baseline).wait(a.baseline + 120)
        alive = lintel.alive()
        load_after = os.getloadavg()
    finally:
        lintel.stop()
        if db_url and not a.keep:
            h.drop_database(a.postgres, db_url)

    before, during, after = (stats(h.read_jsonl(work / f"probe-{n}.jsonl"))
                             for n in ("before", "during", "after"))
    fres = json.loads((work / "flood.json").read_text())
    five = {k: v for k, v in fres["statuses"].items()
            if k == "connection error" or (k.isdigit() and int(k) >= 500)}
    b_bad = {k: v for k, v in during["statuses"].items() if k != "200"}
    ratio = during["p99"] / before["p99"] if before["p99"] else float("inf")
    checks = {
        "org A got 429s": fres["statuses"].get("429", 0) > 0,
        "org A: no 5xx, no connection errors": not five,
        "org A: correct rate-limit headers on every answer": not fres["header_problems"],
        "org A: at most the limit allowed per window": not fres["windows_over_limit"],
        "org B: every request answered 200": not b_bad and not {
            k for k in before["statuses"] if k != "200"},
        "org B: p99 during the flood within 2x unloaded": ratio <= 2.0,
        "lintel serve alive throughout": alive,
    }
    ok = all(checks.values())

    def row(name, s):
        return (f"| {name} | {s['n']} | {s['p50']:.2f} | {s['p95']:.2f} | {s['p99']:.2f} | "
                f"{s['max']:.2f} | {s['statuses']} |")

    table = ("| org B phase | requests | p50 ms | p95 ms | p99 ms | max ms | statuses |\n"
             "|---|---|---|---|---|---|---|\n" + "\n".join(
                 [row("unloaded (before)", before), row("during org A's flood", during),
                  row("unloaded (after)", after)]))
    print("\n================ overload summary ================")
    print(table)
    print(f"org A: {fres['requests']} requests offered at {fres['offered_rate']:.0f}/s "
          f"(achieved {fres['achieved_rate']:.0f}/s): {fres['statuses']}")
    print(f"org A allowed per window (X-RateLimit-Reset -> count): {fres['allowed_per_window']}")
    if fres["header_problems"]:
        print(f"org A header problems: {fres['header_problems']}")
    for k, v in fres["examples"].items():
        print(f"  e.g. {k}: {v}")
    print(f"org B p99 during / unloaded: {during['p99']:.2f} / {before['p99']:.2f} ms = "
          f"{ratio:.2f}x (after: {after['p99']:.2f} ms)")
    h.print_checks(checks, work)

    if not a.no_record:
        body = (f"Latest run: {h.now_utc()}, {h.provenance()}, "
                f"{'PostgreSQL' if db_url else 'SQLite'}; limit {a.limit}/min per API key "
                f"(landlord keys, `general` scope); org A offered {a.factor:g}x = "
                f"{flood_rate:.0f} req/s for {a.duration:g} s over {a.conns} keep-alive "
                f"connections (achieved {fres['achieved_rate']:.0f}/s); org B "
                f"{a.probe_rate:g} req/s of `GET {PATH}`. Machine load average (1/5/15 min) "
                f"{h.load_average(load_before)} at the start, "
                f"{h.load_average(load_after)} at the end (2 cores).\n\n{table}\n\n"
                f"- org A answers: {fres['statuses']}; allowed per one-minute window: "
                f"{sorted(fres['allowed_per_window'].values())}; header problems: "
                f"{fres['header_problems'] or 'none'}.\n"
                f"- org B p99 during the flood: {ratio:.2f}x its unloaded p99.\n"
                + "\n".join(f"- {'PASS' if g else 'FAIL'}: {n}" for n, g in checks.items()))
        h.update_results("overload", body)
        h.append_history(f"- {h.now_utc()} overload ({h.provenance()}): org B p99 "
                         f"{before['p99']:.2f} -> {during['p99']:.2f} ms ({ratio:.2f}x); org A "
                         f"{fres['statuses']}; {'pass' if ok else 'FAIL'}")
    return 0 if ok else 1


def main() -> int:
    a = parse_args()
    if a.cmd == "flood":
        res = asyncio.run(flood(a.port, key_env("OVERLOAD_KEY"), a.rate, a.duration, a.limit,
                                a.conns))
        a.out.write_text(json.dumps(res, indent=1))
        return 0
    if a.cmd == "probe":
        probe(a.port, key_env("OVERLOAD_KEY"), a.rate, a.duration, a.out)
        return 0
    if a.slowloris:
        return slowloris.experiment(a)
    flood_rc = experiment(a)
    return slowloris.experiment(a) or flood_rc


if __name__ == "__main__":
    sys.exit(main())

"""scripts/fuzz-api: Schemathesis against a freshly started Lintel (see docs/reliability.md).

Run through the bash wrapper, which builds the release binary and the Schemathesis virtualenv.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness as h  # noqa: E402

BUDGETS = {
    # max-examples per operation and phase, stateful steps per scenario, overall time cap (s).
    "full": {"max_examples": 60, "max_steps": 40, "timeout": 3600},
    # CI: a few minutes. The coverage phase costs about the same whatever max-examples is; the
    # cap bounds a stuck run.
    "ci": {"max_examples": 8, "max_steps": 12, "timeout": 480},
}

# The checks Schemathesis runs: every one of them ("all"), minus nothing. Where a check needs
# a narrower configuration it is set in CHECK_CONFIG below and explained in docs/reliability.md.
CHECK_CONFIG = """
[checks]
enabled = true

# Lintel answers a JSON body that is well-formed but breaks a rule with 422, malformed JSON or a
# wrong JSON type with 400, and an unknown ID (also a syntactically wrong one) with 404
# ("404 for everything not yours", docs/decisions/0002). A request that is invalid only in a way
# the *schema* cannot express is still valid for Schemathesis, so these statuses are the
# documented answers to such requests, not acceptance of negative data.
[checks.negative_data_rejection]
expected-statuses = [400, 401, 403, 404, 405, 409, 413, 422, 429]

# Valid-by-schema data may still hit a documented business rule: a duplicate name (409 CONFLICT),
# a record of another organisation or one deleted earlier in the run (404), a role or plan rule
# (403). The default list would report those as bugs.
[checks.positive_data_acceptance]
expected-statuses = ["2XX", 401, 403, 404, 409]

# An invitation token is valid by schema whether or not it is still usable: one the run already
# accepted, or an older one replaced by a newer invitation to the same email, answers 410; a new
# account needs a name and a strong password (422), which an existing one does not.
[[operations]]
include-path = ["/api/auth/accept-invite"]
checks.positive_data_acceptance.expected-statuses = ["2XX", 401, 403, 404, 409, 410, 422]

# DELETE on an invitation revokes it: the invitation stays readable with status "revoked" (the
# list and the audit trail show who was invited, when and by whom), as its operation documents,
# so a GET after the DELETE answers 200 by design, not a deleted resource still available.
[[operations]]
include-path = ["/api/members/invitations/{id}"]
checks.use_after_free.enabled = false

# Sign-out and the external-provider callback always answer 302 (their only documented status).
[[operations]]
include-path = ["/api/auth/signout", "/api/auth/callback"]
checks.positive_data_acceptance.expected-statuses = [302]
"""


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="scripts/fuzz-api", description=__doc__)
    ap.add_argument("--ci", action="store_true",
                    help="bounded budget for CI (also FUZZ_BUDGET=ci)")
    ap.add_argument("--postgres", metavar="URL", default=os.environ.get("LINTEL_FUZZ_POSTGRES_URL"),
                    help="also fuzz on PostgreSQL: a fresh database is created next to URL's "
                         "(env LINTEL_FUZZ_POSTGRES_URL)")
    ap.add_argument("--max-examples", type=int, help="cases per operation and phase")
    ap.add_argument("--max-steps", type=int, help="stateful steps per scenario")
    ap.add_argument("--seed", type=int, help="Schemathesis seed (default: random, printed)")
    ap.add_argument("--workers", type=int, default=2, help="Schemathesis workers (default 2)")
    ap.add_argument("--parallel", action="store_true",
                    help="with --postgres: fuzz SQLite and PostgreSQL at the same time (each "
                         "Schemathesis process keeps about one core busy; CI uses this)")
    ap.add_argument("--keep", action="store_true",
                    help="keep the PostgreSQL database (scratch directories under .reliability/ "
                         "are always kept)")
    ap.add_argument("--no-record", action="store_true",
                    help="do not write the results into docs/reliability.md")
    ap.add_argument("extra", nargs="*", help="after --: more `schemathesis run` arguments")
    a = ap.parse_args()
    if os.environ.get("FUZZ_BUDGET", "").lower() == "ci":
        a.ci = True
    return a


def seed_portfolio(c: h.Client) -> None:
    """A little data so that list and read endpoints answer real records (their response
    schemas are checked against them) and the stateful phase has IDs to start from."""
    r = c.request("POST", "/api/buildings", {"name": "Seed Tower", "numberOfUnits": 12})
    assert r.status == 201, r
    b = r.json()["data"]["id"]
    addr = {"line1": "1 Seed Street", "city": "Halifax", "region": "NS",
            "postalCode": "B3J 1A1", "country": "CA"}
    r = c.request("POST", "/api/properties", {"name": "Seed Court", "type": "residential",
                                               "address": addr, "buildingId": b})
    assert r.status == 201, r
    p = r.json()["data"]["id"]
    r = c.request("POST", "/api/properties", {"name": "Seed Plaza", "type": "commercial",
                                               "address": addr})
    assert r.status == 201, r
    units = [{"name": "101", "bedrooms": 1, "bathrooms": 1, "areaSqft": 610,
              "rent": {"amountMinor": 185000, "currency": "CAD"}},
             {"name": "102", "bedrooms": 2, "bathrooms": 1.5, "status": "occupied",
              "rent": {"amountMinor": 235000, "currency": "CAD"}}]
    r = c.request("POST", f"/api/properties/{p}/units/bulk", {"units": units})
    assert r.status == 201, r


def sign_in(port: int, email: str, password: str) -> tuple[str, str, str]:
    """Signs the seeded admin in: (session cookie value, CSRF token, session ID)."""
    c = h.Client(port)
    r = c.request("POST", "/api/auth/login", {"email": email, "password": password})
    c.close()
    if r.status != 200:
        h.die(f"cannot sign the fuzz admin in: {r}")
    cookies = " ".join(v for k, v in r.header_list if k == "set-cookie")
    m = re.search(r"lintel_session=([^;]+)", cookies)
    if not m:
        h.die(f"no lintel_session cookie in the login answer: {r.headers}")
    data = r.json()["data"]
    return m.group(1), data["csrfToken"], data["sessionId"]


def write_config(path: Path, lintel: h.Lintel, budget: dict, seed: int, workers: int,
                 report_dir: Path) -> None:
    path.write_text(f"""# Generated by scripts/fuzz-api for one run.
workers = {workers}
seed = {seed}
request-timeout = 30
max-redirects = 0
continue-on-failure = true
suppress-health-check = ["too_slow", "filter_too_much", "data_too_large"]

[reports]
directory = "{report_dir}"
junit = {{ enabled = true }}
ndjson = {{ enabled = true }}

[generation]
mode = "all"
max-examples = {budget['max_examples']}

[phases.examples]
enabled = true
[phases.coverage]
enabled = true
[phases.fuzzing]
enabled = true
[phases.stateful]
enabled = true
max-steps = {budget['max_steps']}

# Operations that accept either credential get the API key; the two that only take a browser
# session (GET /api/auth/sessions, DELETE /api/auth/sessions/{{id}}) get the admin's session cookie,
# and every request carries that session's CSRF token (needed by cookie-authenticated writes).
[auth.openapi.bearerAuth]
bearer = "${{LINTEL_FUZZ_KEY}}"
[auth.openapi.sessionCookie]
api_key = "${{LINTEL_FUZZ_SESSION}}"

[headers]
X-CSRF-Token = "${{LINTEL_FUZZ_CSRF}}"
{CHECK_CONFIG}
""")


def count_cases(ndjson: Path) -> tuple[int, Counter]:
    """Test cases Schemathesis sent (from its NDJSON event stream), and per phase."""
    total, per_phase = 0, Counter()
    if not ndjson.is_file():
        return 0, per_phase
    phase = None
    with ndjson.open() as f:
        for line in f:
            try:
                ev = json.loads(line)
            except json.JSONDecodeError:
                continue
            (name, body), = ev.items() if isinstance(ev, dict) and len(ev) == 1 else ((None, None),)
            if name == "PhaseStarted":
                phase = (body.get("phase") or {}).get("name")
            if name == "ScenarioFinished":
                rec = body.get("recorder") or {}
                n = len(rec.get("cases") or {})
                total += n
                per_phase[phase or "?"] += n
    return total, per_phase


def failure_digest(text: str) -> list[str]:
    """One line per unique failure in Schemathesis' report: operation, code, the gist."""
    out, op = [], None
    lines = text.splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"^_{3,} (.+?) _{3,}$", line)
        if m:
            op = m.group(1)
            continue
        m = re.match(r"^- (ST\d+) (.+?)( \(\d+ violations\))?$", line)
        if not m or op is None:
            continue
        gist = ""
        for nxt in lines[i + 1:i + 40]:
            t = nxt.strip()
            if re.match(r"^(- ST\d+|\d+\. Test Case ID|_{3,})", t):
                break
            if m.group(1) == "ST108" and t and not gist:
                gist = t
            if t.startswith("Invalid component:"):
                gist = t
            if t.startswith("`{") and m.group(1) == "ST202":
                d = re.search(r'"details":\[\{"field":"([^"]*)","message":"([^"]*)"', t)
                e = re.search(r'"error":"([^"]*)"', t)
                gist = f"{d.group(1)}: {d.group(2)}" if d else (e.group(1) if e else t[:120])
            if t.startswith("[302]"):
                gist = "302"
        out.append(f"{op} — {m.group(1)} {m.group(2)}: {gist[:160]}")
    return out


def tool_errors(text: str) -> list[str]:
    """Schemathesis' own errors ("Errors:" in its summary, e.g. `Runtime Error: 1`): the tool
    could not test something - not a response that broke a check. They fail the run too."""
    m = re.search(r"^Errors:\n((?:[ \t]+\S.*\n?)+)", text, re.M)
    if not m:
        return []
    return [re.sub(r"^[^\w]+", "", line.strip()) for line in m.group(1).splitlines()
            if line.strip()]


def server_errors(log_path: Path) -> list[str]:
    """ERROR lines and panics in Lintel's JSON log."""
    out = []
    if not log_path.is_file():
        return out
    for line in log_path.read_text(errors="replace").splitlines():
        if '"level":"ERROR"' in line or "panicked" in line:
            out.append(line[:400])
    return out


_ECHO = threading.Lock()


def run_backend(a: argparse.Namespace, backend: str, pg_admin_url: str | None,
                budget: dict, seed: int, prefix: str = "") -> dict:
    work = h.run_dir(f"fuzz-{backend}")
    db_url = None
    if backend == "postgres":
        db_url = h.create_database(pg_admin_url, "lintel_fuzz")
        h.log(f"created PostgreSQL database {db_url.rsplit('/', 1)[1]}")
    lintel = h.Lintel(work, database_url=db_url, extra_env=h.HIGH_RATE_LIMITS)
    result = {"backend": backend, "dir": str(work.relative_to(h.REPO))}
    try:
        email, password = "fuzz-admin@reliability.example.com", "fuzz-" + os.urandom(9).hex()
        out = lintel.cli("admin", "create-org", "--name=Fuzz Organisation", "--plan=business",
                         f"--admin-email={email}", f"--admin-password={password}")
        org = re.search(r"Organisation ID:\s*(org_\S+)", out).group(1)
        out = lintel.cli("admin", "create-api-key", f"--org={org}", "--role=admin",
                         "--name=fuzz-admin")
        key = re.search(r"API key:\s*(lk_\S+)", out).group(1)
        key_id = re.search(r"Created API key\s+(key_\S+)", out).group(1)
        lintel.start()
        h.log(f"lintel serve ({backend}) on {lintel.base_url}, organisation {org} (BUSINESS), "
              f"admin key {key_id}")
        c = h.Client(lintel.port, key)
        seed_portfolio(c)
        c.close()
        session, csrf, session_id = sign_in(lintel.port, email, password)

        report_dir = work / "report"
        cfg = work / "schemathesis.toml"
        write_config(cfg, lintel, budget, seed, a.workers, report_dir)
        env = dict(os.environ)
        env.update({
            "LINTEL_FUZZ_KEY": key,
            "LINTEL_FUZZ_PROTECTED_KEY_ID": key_id,
            "LINTEL_FUZZ_SESSION": session,
            "LINTEL_FUZZ_CSRF": csrf,
            "LINTEL_FUZZ_PROTECTED_SESSION_ID": session_id,
            "SCHEMATHESIS_HOOKS": os.environ.get("LINTEL_FUZZ_HOOKS", "fuzz_hooks"),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(Path(__file__).parent),
                                                        env.get("PYTHONPATH")])),
            "NO_COLOR": "1",
        })
        # This script runs on the virtualenv's python (see scripts/fuzz-api).
        cmd = [sys.executable, "-m", "schemathesis.cli", "--config-file", str(cfg), "run",
               "--no-color", f"{lintel.base_url}/api/docs", *a.extra]
        h.log("running: " + " ".join(cmd))
        out_path = work / "schemathesis.out"
        t0 = time.monotonic()
        with out_path.open("w") as out_f:
            proc = subprocess.Popen(cmd, cwd=work, env=env, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True)

            def overtime() -> None:
                h.log(f"{backend}: time budget of {budget['timeout']} s exceeded: "
                      "stopping Schemathesis")
                proc.kill()

            watchdog = threading.Timer(budget["timeout"], overtime)
            watchdog.start()
            try:
                for line in proc.stdout:  # echo (prefixed when backends run at once) and keep
                    with _ECHO:
                        sys.stdout.write(prefix + line)
                        sys.stdout.flush()
                    out_f.write(line)
                rc = proc.wait(60)
            finally:
                watchdog.cancel()
        result["seconds"] = round(time.monotonic() - t0)
        result["rc"] = rc
        text = out_path.read_text()
        result["cases"], result["per_phase"] = count_cases(report_dir / next(
            (p.name for p in report_dir.glob("*.ndjson")), "events.ndjson"))
        m = re.search(r"Test cases:\s*(.+)", text)
        result["summary_line"] = m.group(1).strip() if m else ""
        m = re.search(r"=+ (?:FAILURES|SUMMARY) =+", text)
        result["failures_text"] = text[m.start():] if m and rc != 0 else ""
        result["digest"] = failure_digest(text)
        result["tool_errors"] = tool_errors(text)
        result["alive"] = lintel.proc.poll() is None
        result["server_errors"] = server_errors(lintel.log_path)
    finally:
        lintel.stop()
        if db_url and not a.keep:
            h.drop_database(pg_admin_url, db_url)
    return result


def main() -> int:
    a = parse_args()
    name = "ci" if a.ci else "full"
    budget = dict(BUDGETS[name])
    if a.max_examples:
        budget["max_examples"] = a.max_examples
    if a.max_steps:
        budget["max_steps"] = a.max_steps
    seed = a.seed if a.seed is not None else random.randrange(1, 2**31)
    backends = [("sqlite", None)] + ([("postgres", a.postgres)] if a.postgres else [])
    h.log(f"budget {name}: max-examples {budget['max_examples']}, stateful max-steps "
          f"{budget['max_steps']}, seed {seed}, backends {', '.join(b for b, _ in backends)}")
    if a.parallel and len(backends) > 1:
        h.log("running the backends at the same time (--parallel); Schemathesis' output is "
              "prefixed with the backend")
        with ThreadPoolExecutor(len(backends)) as pool:
            futures = [pool.submit(run_backend, a, b, url, budget, seed, f"[{b}] ")
                       for b, url in backends]
            results = [f.result() for f in futures]
    else:
        results = [run_backend(a, b, url, budget, seed) for b, url in backends]

    ok = True
    print("\n================ fuzz-api summary ================")
    for r in results:
        good = r["rc"] == 0 and r["alive"] and not r["server_errors"]
        ok &= good
        phases = ", ".join(f"{k} {v}" for k, v in r["per_phase"].items())
        print(f"{r['backend']:9} {'PASS' if good else 'FAIL'}  {r['cases']} test cases "
              f"({phases}) in {r['seconds']} s; schemathesis exit {r['rc']}")
        if r["summary_line"]:
            print(f"          schemathesis: {r['summary_line']}")
        if r["tool_errors"]:
            print(f"          Schemathesis errors (the tool failed; not a check failure of the "
                  f"API - see ERRORS in schemathesis.out): {'; '.join(r['tool_errors'])}")
        if not r["alive"]:
            print("          lintel serve died during the run")
        if r["server_errors"]:
            print(f"          {len(r['server_errors'])} ERROR/panic lines in {r['dir']}/lintel.log:")
            for line in r["server_errors"][:5]:
                print(f"            {line}")
        print(f"          artefacts: {r['dir']}/ (schemathesis.out, report/, lintel.log)")
    total = sum(r["cases"] for r in results)
    print(f"total: {total} test cases, seed {seed}, {'no failures' if ok else 'FAILURES'}")

    if not a.no_record:
        rows = "\n".join(
            f"| {r['backend']} | {r['cases']} | {r['seconds']} s | "
            f"{'pass' if r['rc'] == 0 and r['alive'] and not r['server_errors'] else 'FAIL'} | "
            f"{r['summary_line'] or '-'} |" for r in results)
        digest, first = "", None
        for r in results:
            if not r["digest"]:
                continue
            lines = r["digest"]
            where = f"details and `curl` reproductions in `{r['dir']}/schemathesis.out`"
            if first is None:
                first = r
                digest += (f"\n\nFailures on {r['backend']} (one line per unique failure; "
                           f"{where}):\n\n" + "\n".join(f"- {d}" for d in lines[:80]))
            else:
                extra = [d for d in lines if d not in first["digest"]]
                missing = len([d for d in first["digest"] if d not in lines])
                if not extra and not missing:
                    digest += (f"\n\nFailures on {r['backend']}: the same {len(lines)} as on "
                               f"{first['backend']} ({where}).")
                else:
                    digest += (f"\n\nFailures on {r['backend']}: those on {first['backend']}"
                               f" ({missing} of them not reached) and {len(extra)} more "
                               f"({where})" + (":\n\n" + "\n".join(f"- {d}" for d in extra[:40])
                                                if extra else "."))
        body = (f"Latest `{name}` run: {h.now_utc()}, {h.provenance()}, "
                f"schemathesis {os.environ.get('SCHEMATHESIS_VERSION', '?')}, seed {seed}, "
                f"max-examples {budget['max_examples']}, stateful max-steps "
                f"{budget['max_steps']}.\n\n"
                "| backend | test cases | time | result | Schemathesis' count |\n"
                "|---|---|---|---|---|\n" + rows + digest)
        h.update_results(f"fuzz-{name}", body)
        h.append_history(
            f"- {h.now_utc()} fuzz-api {name} ({h.provenance()}): " + "; ".join(
                f"{r['backend']} {r['cases']} cases, "
                f"{'pass' if r['rc'] == 0 and r['alive'] and not r['server_errors'] else 'FAIL'}"
                f" ({r['summary_line'] or 'no count'})" for r in results))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""The payments rounds of scripts/crash-test (`payments-sqlite`, `payments-postgres`): money
must be recorded exactly once when `lintel serve` is SIGKILLed under payment load.

Set-up through the API: a property, a unit, a tenant and a lease, activated (which back-fills
its rent charges). Writers POST /api/payments against that lease, each logical payment with its
own `Idempotency-Key` and `reference`. A request that gets no answer (the server was killed) is
sent again, same key and same body, until the server answers. A 201 acknowledges the payment
(a replay carries `Idempotent-Replayed: true`); a 409 `IDEMPOTENCY_KEY_IN_USE` sets it aside to
be sent again later (a claim whose request died lapses after a minute), unless it says the
request was carried out and its answer lost, which is final. After the last kill the writers
stop starting payments and keep sending the ones set aside until each is settled (at most
DRAIN_SECONDS).

Checks, with the server running: every acknowledged payment reads back (same amount,
reference, lease); the lease's payment list holds every acknowledged reference (and every one
reported carried out) exactly once, no reference twice and nothing unknown; the ledger
integrity report is sound and the trial balance balanced.

crash_test.py runs the rounds (set-up, kills, database integrity) and prints and records what
`verify` returns; `record` writes them into docs/reliability.md.
"""

from __future__ import annotations

import http.client
import random
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass

import harness as h

ROUNDS = ("payments-sqlite", "payments-postgres")
CURRENCY = "CAD"
RENT = {"amountMinor": 185000, "currency": CURRENCY}
ADDRESS = {"line1": "9 Ledger Row", "city": "Halifax", "region": "NS",
           "postalCode": "B3J 1A1", "country": "CA"}
# A claim whose request died holds its key for a minute (lintel_store::idempotency::LOCK_MS);
# the writers get that long, and some, to settle what was set aside after the last kill.
DRAIN_SECONDS = 90.0
IN_USE_RETRY = 2.0  # seconds before a payment answered 409 in use is sent again
CARRIED_OUT = "was carried out"  # how the 409 for a change whose answer was lost reads


@dataclass
class Pay:
    """One logical payment: sent until it is settled, always with the same key and body."""
    key: str
    reference: str
    amount: int
    writer: int
    state: str = "pending"  # acked | unrecorded (409: carried out) | refused | pending
    id: str | None = None
    sends: int = 0
    no_answer: int = 0      # sends that got no answer (connection refused, reset, timeout)
    in_use: int = 0         # 409 IDEMPOTENCY_KEY_IN_USE answers while still in flight
    replayed: bool = False  # acknowledged by a replay
    epoch: int = -1         # kills before the acknowledgement
    not_before: float = 0.0

    def body(self, lease: str) -> dict:
        return {"leaseId": lease, "amount": {"amountMinor": self.amount, "currency": CURRENCY},
                "method": "cash", "reference": self.reference}


# --------------------------------------------------------------------------------------------
# Set-up


def _created(c: h.Client, method: str, path: str, body: dict, want: int = 201) -> dict:
    for attempt in range(3):
        try:
            r = c.request(method, path, body)
            break
        except (OSError, http.client.HTTPException) as e:
            if attempt == 2:
                h.die(f"set-up: {method} {path}: no answer ({e})")
            time.sleep(0.5)
    if r.status != want:
        h.die(f"set-up: {method} {path} {body} -> {r.status} (expected {want}): {r.body[:500]!r}")
    return r.json()["data"]


def prepare_lease(port: int, key: str) -> str:
    """A property, unit, tenant and lease, the lease activated; returns the lease's ID."""
    c = h.Client(port, key, timeout=30)
    try:
        prop = _created(c, "POST", "/api/properties",
                        {"name": "Crash Payments House", "type": "residential",
                         "address": ADDRESS})
        unit = _created(c, "POST", f"/api/properties/{prop['id']}/units",
                        {"name": "101", "rent": RENT})
        tenant = _created(c, "POST", "/api/tenants", {"firstName": "Cai", "lastName": "Rent"})
        lease = _created(c, "POST", "/api/leases",
                         {"unitId": unit["id"], "tenantIds": [tenant["id"]],
                          "startDate": "2026-01-01", "rent": RENT})
        active = _created(c, "PATCH", f"/api/leases/{lease['id']}/status",
                          {"status": "active"}, want=200)
        if active.get("status") != "active":
            h.die(f"set-up: lease {lease['id']} is {active.get('status')!r} after activation")
        r = c.request("GET", f"/api/charges?leaseId={lease['id']}&pageSize=100")
        if r.status != 200:
            h.die(f"set-up: GET /api/charges -> {r.status}: {r.body[:300]!r}")
        h.log(f"lease {lease['id']} active with {r.json()['data']['total']} back-filled charges")
    finally:
        c.close()
    return lease["id"]


# --------------------------------------------------------------------------------------------
# Load


class PaymentLoad:
    """Concurrent payment writers, one request in flight each. A payment without an answer is
    sent again at once (same key and body) until the server answers; one answered 409 in use
    is set aside and sent again IN_USE_RETRY seconds later while the writer starts new ones."""

    def __init__(self, port: int, key: str, writers: int, tag: str, lease: str, seed: int):
        self.port, self.key, self.tag, self.lease, self.seed = port, key, tag, lease, seed
        self.no_new = threading.Event()  # drain: settle what is set aside, start nothing new
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.payments: list[Pay] = []
        self.acked: list[Pay] = []
        self.outcomes: Counter = Counter()
        self.bad_acks: list[str] = []      # 201s whose body does not match what was sent
        self.refused: list[str] = []       # other answers that settle a payment: not expected
        self.server_errors: list[str] = [] # 5xx answers, first few with their request
        self.retry_sends = 0               # sends of a payment whose previous send got no answer
        self.epoch = 0  # incremented at each kill
        self.threads = [threading.Thread(target=self._writer, args=(i,), daemon=True)
                        for i in range(writers)]

    def start(self) -> None:
        for t in self.threads:
            t.start()

    def drain(self, timeout: float) -> None:
        """Stops new payments and waits (at most `timeout` s) until the writers have settled
        every payment they set aside."""
        self.no_new.set()
        deadline = time.monotonic() + timeout
        for t in self.threads:
            t.join(max(0.0, deadline - time.monotonic()))

    def finish(self) -> None:
        self.no_new.set()
        self.stop.set()
        for t in self.threads:
            t.join(30)

    def acks_since(self, n: int) -> int:
        with self.lock:
            return len(self.acked) - n

    def dump(self) -> list[dict]:
        with self.lock:
            return [asdict(p) for p in self.payments]

    def _writer(self, w: int) -> None:
        c = h.Client(self.port, self.key, timeout=15)
        rnd = random.Random(self.seed * 1000 + w)
        aside: list[Pay] = []
        seq = 0
        while not self.stop.is_set():
            now = time.monotonic()
            due = [p for p in aside if p.not_before <= now]
            if due:
                p = due[0]
                aside.remove(p)
            elif self.no_new.is_set() or len(aside) >= 50:
                if not aside:
                    break
                time.sleep(0.05)
                continue
            else:
                seq += 1
                name = f"{self.tag}-w{w}-p{seq}"
                p = Pay(key=f"crash-{name}", reference=f"crash {name}",
                        amount=rnd.randint(100, 50000), writer=w)
                with self.lock:
                    self.payments.append(p)
            if not self._send(c, p):
                aside.append(p)
        c.close()

    def _send(self, c: h.Client, p: Pay) -> bool:
        """Sends `p` until the server answers; True when that answer settles it."""
        while True:
            with self.lock:
                epoch = self.epoch
                if p.no_answer:
                    self.retry_sends += 1
            p.sends += 1
            try:
                r = c.request("POST", "/api/payments", p.body(self.lease),
                              headers={"Idempotency-Key": p.key})
            except (OSError, http.client.HTTPException) as e:
                with self.lock:
                    self.outcomes[f"no answer ({type(e).__name__})"] += 1
                p.no_answer += 1
                if self.stop.is_set():
                    return False
                time.sleep(0.02)
                continue
            return self._settle(p, r, epoch)

    def _settle(self, p: Pay, r: h.Resp, epoch: int) -> bool:
        replay = r.headers.get("idempotent-replayed") == "true"
        with self.lock:
            self.outcomes[f"{r.status}{' replayed' if replay else ''}"] += 1
        try:
            body = r.json()
        except ValueError:
            body = {}
        if r.status == 201:
            data = body.get("data") if isinstance(body, dict) else None
            if not isinstance(data, dict) or not data.get("id"):
                p.state = "refused"
                self.bad_acks.append(f"{p.key}: unreadable 201 body {r.body[:200]!r}")
                return True
            got = (data.get("leaseId"), (data.get("amount") or {}).get("amountMinor"),
                   data.get("reference"))
            if got != (self.lease, p.amount, p.reference):
                self.bad_acks.append(f"{p.key}: sent {(self.lease, p.amount, p.reference)}, "
                                     f"201 {'replay ' if replay else ''}says {got}")
            p.state, p.id, p.replayed, p.epoch = "acked", data["id"], replay, epoch
            with self.lock:
                self.acked.append(p)
            return True
        code = body.get("code") if isinstance(body, dict) else None
        text = body.get("error", "") if isinstance(body, dict) else ""
        if r.status == 409 and code == "IDEMPOTENCY_KEY_IN_USE":
            if CARRIED_OUT in text:
                p.state = "unrecorded"
                return True
            p.in_use += 1
            p.not_before = time.monotonic() + IN_USE_RETRY
            return False
        if r.status >= 500 or r.status == 429:
            with self.lock:
                if len(self.server_errors) < 20:
                    self.server_errors.append(
                        f"POST /api/payments (Idempotency-Key {p.key}, send {p.sends}) -> "
                        f"{r.status}{' replayed' if replay else ''} "
                        f"x-request-id {r.headers.get('x-request-id')}: {r.body[:300]!r}")
            if replay:  # the first answer was this error and it is kept: settled
                p.state = "refused"
                return True
            p.not_before = time.monotonic() + 0.2
            return False
        p.state = "refused"
        with self.lock:
            self.refused.append(f"POST /api/payments (Idempotency-Key {p.key}, send {p.sends}) "
                                f"-> {r.status}: {r.body[:300]!r}")
        return True


# --------------------------------------------------------------------------------------------
# Checks


def _get(c: h.Client, path: str) -> h.Resp:
    for attempt in range(3):
        try:
            return c.request("GET", path)
        except (OSError, http.client.HTTPException):
            if attempt == 2:
                raise
            time.sleep(0.5)
    raise AssertionError("unreachable")


def read_back(port: int, key: str, lease: str, acked: list[Pay]) -> list[str]:
    """Acknowledged payments that do not read back as sent, each as a description line."""
    def check(p: Pay) -> str | None:
        c = h.Client(port, key, timeout=30)
        try:
            r = _get(c, f"/api/payments/{p.id}")
        finally:
            c.close()
        if r.status != 200:
            return f"{p.id} ({p.reference!r}, after kill {p.epoch}): GET -> {r.status} " \
                   f"{r.body[:120]!r}"
        d = r.json()["data"]
        got = (d.get("leaseId"), (d.get("amount") or {}).get("amountMinor"),
               (d.get("amount") or {}).get("currency"), d.get("reference"))
        if got != (lease, p.amount, CURRENCY, p.reference):
            return f"{p.id}: reads {got}, sent {(lease, p.amount, CURRENCY, p.reference)}"
        return None

    with ThreadPoolExecutor(4) as ex:
        return [m for m in ex.map(check, acked) if m]


def lease_payments(port: int, key: str, lease: str) -> list[dict]:
    """Every payment listed for the lease (GET /api/payments?leaseId=…, page by page)."""
    c = h.Client(port, key, timeout=60)
    items, page = [], 1
    try:
        while page <= 100_000:
            r = _get(c, f"/api/payments?leaseId={lease}&pageSize=100&page={page}")
            if r.status != 200:
                raise RuntimeError(f"GET /api/payments page {page} -> {r.status}: "
                                   f"{r.body[:300]!r}")
            d = r.json()["data"]
            items += d["items"]
            if page >= d["totalPages"]:
                break
            page += 1
    finally:
        c.close()
    return items


def exactly_once(load: PaymentLoad, listed: list[dict]) -> tuple[list[str], list[str], int]:
    """(duplicates, missing or mismatched, how many payments never acknowledged are listed)."""
    by_ref: dict[str, list[dict]] = {}
    for item in listed:
        by_ref.setdefault(item.get("reference"), []).append(item)
    dups = [f"reference {ref!r} listed {len(v)} times: {[i['id'] for i in v]}"
            for ref, v in by_ref.items() if len(v) > 1]
    sent = {p.reference: p for p in load.payments}
    missing = [f"listed payment {v[0]['id']} has a reference never sent: {ref!r}"
               for ref, v in by_ref.items() if ref not in sent]
    unacked_listed = 0
    for ref, p in sent.items():
        found = by_ref.get(ref, [])
        if found and (found[0].get("amount") or {}).get("amountMinor") != p.amount:
            missing.append(f"{found[0]['id']} ({ref!r}): amount "
                           f"{found[0].get('amount')}, sent {p.amount}")
        if p.state == "acked":
            if not found:
                missing.append(f"acknowledged {p.id} ({ref!r}, after kill {p.epoch}) "
                               "is not in the lease's payment list")
            elif found[0]["id"] != p.id and len(found) == 1:
                missing.append(f"acknowledged {p.id} ({ref!r}) is listed as {found[0]['id']}")
        elif p.state == "unrecorded":
            if not found:
                missing.append(f"{ref!r}: answered 409 '{CARRIED_OUT}', but not listed")
            unacked_listed += bool(found)
        else:
            unacked_listed += bool(found)
    return dups, missing, unacked_listed


def _data(r: h.Resp) -> dict:
    """The `data` object of a 200 answer; empty otherwise."""
    try:
        d = r.json().get("data") if r.status == 200 else None
    except (ValueError, AttributeError):
        d = None
    return d if isinstance(d, dict) else {}


def ledger_checks(port: int, key: str) -> tuple[list[str], bool, bool]:
    """(problems, integrity sound, trial balance balanced) from GET /api/ledger/integrity and
    GET /api/ledger/trial-balance."""
    c = h.Client(port, key, timeout=300)
    problems = []
    try:
        r = _get(c, "/api/ledger/integrity")
        d = _data(r)
        sound = r.status == 200 and d.get("sound") is True and d.get("discrepancies") == []
        if not sound:
            problems.append(f"GET /api/ledger/integrity -> {r.status}: sound {d.get('sound')}, "
                            f"discrepancies {d.get('discrepancies', r.body[:500])}"[:2000])
        else:
            h.log(f"ledger integrity sound: {d.get('entriesChecked')} entries, "
                  f"{d.get('linesChecked')} lines checked")
        t = _get(c, "/api/ledger/trial-balance")
        td = _data(t)
        balanced = t.status == 200 and td.get("balanced") is True
        if not balanced:
            problems.append(f"GET /api/ledger/trial-balance -> {t.status}: balanced "
                            f"{td.get('balanced')}, totals {td.get('totals', t.body[:500])}")
    finally:
        c.close()
    return problems, sound, balanced


def verify(port: int, key: str, load: PaymentLoad) -> dict:
    """Runs the checks with the server up; the round's figures, `failures` listing what failed."""
    lost = read_back(port, key, load.lease, load.acked)
    try:
        listed = lease_payments(port, key, load.lease)
    except RuntimeError as e:
        listed, unlisted = [], [f"the lease's payments cannot be listed: {e}"]
    else:
        unlisted = []
    dups, missing, unacked_listed = exactly_once(load, listed)
    missing = unlisted + missing
    ledger, sound, balanced = ledger_checks(port, key)
    states = Counter(p.state for p in load.payments)
    five = sum(v for s, v in load.outcomes.items() if s[:1] == "5")
    notes = []
    if states["pending"]:
        notes.append(f"{states['pending']} payments still unsettled {DRAIN_SECONDS:.0f} s "
                     "after the last kill (in doubt; allowed at most once)")
    return {
        "payments": len(load.payments),
        "requests": sum(load.outcomes.values()),
        "acked": len(load.acked),
        "replays": sum(p.replayed for p in load.acked),
        "retried": sum(1 for p in load.payments if p.no_answer and p.sends > p.no_answer),
        "retry_sends": load.retry_sends,
        "in_use_409": sum(p.in_use for p in load.payments),
        "unrecorded": states["unrecorded"],
        "in_doubt": states["pending"],
        "listed": len(listed),
        "duplicates": dups,
        "lost": lost,
        "missing": missing,
        "unacked_listed": unacked_listed,
        "ledger": ledger,
        "sound": sound,
        "balanced": balanced,
        "bad_acks": load.bad_acks,
        "refused": load.refused,
        "server_errors": load.server_errors,
        "outcomes": dict(load.outcomes),
        "five_xx": five,
        "notes": notes,
    }


def failures(r: dict) -> list[str]:
    """What fails a payments round: lost, duplicated or mismatched payments, an unexpected
    answer, an unsound ledger, a database integrity problem."""
    return (r["lost"] + r["duplicates"] + r["missing"] + r["bad_acks"] + r["refused"]
            + r["ledger"] + r["integrity"])


# --------------------------------------------------------------------------------------------
# Report


def summary(r: dict) -> list[str]:
    """The round's lines of the printed summary."""
    bad = failures(r)
    lines = [
        f"{r['round']:17} {'PASS' if not bad else 'FAIL'}  {r['kills']} kills, "
        f"{r['requests']} requests, {r['payments']} payments, {r['acked']} acknowledged "
        f"({r['replays']} by a replay), {r['retried']} retried after a kill "
        f"({r['retry_sends']} re-sends), {r['in_use_409']} answers 409 in use, "
        f"{r['unrecorded']} carried out with the answer lost, {r['in_doubt']} in doubt; "
        f"{len(r['duplicates'])} duplicates, {len(r['lost']) + len(r['missing'])} lost or "
        f"mismatched, {r['unacked_listed']} listed but never acknowledged; ledger integrity "
        f"{'sound' if r['sound'] else 'NOT SOUND'}, trial balance "
        f"{'balanced' if r['balanced'] else 'NOT BALANCED'}; database integrity "
        f"{'ok' if not r['integrity'] else 'PROBLEMS'}; {r['seconds']} s",
        f"{'':17} outcomes: {r['outcomes']}; ready again after a kill in "
        f"{r['recover_mean']:.2f} s mean, {r['recover_max']:.2f} s max",
    ]
    for line in bad[:20] + r["server_errors"][:10] + r["notes"]:
        lines.append(f"{'':17} {line}")
    return lines


def record(results: list[dict], writers: int, seed: int) -> None:
    """The payments rounds' figures into docs/reliability.md (results:crash-payments) and one
    line of run history."""
    rows = []
    for r in results:
        integrity = "sound" if r["sound"] else "NOT SOUND"
        rows.append(
            f"| {r['round']} | {r['kills']} | {r['requests']} | {r['payments']} | {r['acked']} | "
            f"{r['replays']} | {r['retried']} | {r['in_use_409']} | {r['unrecorded']} | "
            f"{r['in_doubt']} | {len(r['duplicates'])} | {len(r['lost']) + len(r['missing'])} | "
            f"{r['unacked_listed']} | {integrity} / "
            f"{'balanced' if r['balanced'] else 'NOT BALANCED'} | "
            f"{'ok' if not r['integrity'] else '; '.join(r['integrity'][:3])} | "
            f"{r['five_xx']} | {r['recover_mean']:.2f} / {r['recover_max']:.2f} s | "
            f"{r['seconds']} s |")
    checked = "\n".join(f"- {r['round']}: {r['checked']}." for r in results)
    notes = "\n".join(f"- {r['round']}: {n}" for r in results
                      for n in failures(r)[:10] + r["server_errors"][:5] + r["notes"])
    body = (f"Latest run: {h.now_utc()}, {h.provenance()}, {writers} writers, seed {seed}.\n\n"
            "| round | kills | requests | payments | acknowledged (201) | of which replays | "
            "retried after a kill | 409 in use | carried out, answer lost | in doubt | "
            "duplicates | lost or mismatched | listed, never acknowledged | ledger integrity / "
            "trial balance | database integrity | 5xx answers | ready again (mean / max) | "
            "time |\n|" + "---|" * 18 + "\n" + "\n".join(rows)
            + "\n\nDatabase integrity checks run:\n" + checked
            + (f"\n\nNotes:\n{notes}" if notes else ""))
    h.update_results("crash-payments", body)
    h.append_history(
        f"- {h.now_utc()} crash-test payments ({h.provenance()}): " + "; ".join(
            f"{r['round']} {r['kills']} kills, {r['acked']} payments acked, "
            f"{r['retried']} retried after a kill, {r['replays']} replays, "
            f"{len(r['duplicates'])} duplicates, {len(r['lost']) + len(r['missing'])} lost, "
            f"ledger {'sound' if r['sound'] and r['balanced'] else 'NOT SOUND'}"
            for r in results))

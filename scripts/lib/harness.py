"""Shared plumbing for the reliability scripts (scripts/fuzz-api, scripts/crash-test,
scripts/overload): start and stop `lintel serve` on a free loopback port, seed organisations and
API keys through the `lintel admin` CLI, small HTTP helpers, a private PostgreSQL cluster, and the
results section of docs/reliability.md.

Python 3.11 standard library only. Every wait is bounded; only loopback addresses are contacted.
"""

from __future__ import annotations

import atexit
import datetime as _dt
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRATCH = REPO / ".reliability"
DOC = REPO / "docs" / "reliability.md"
LOOPBACK = "127.0.0.1"

# Generous limits for runs that are not about rate limiting: the limiter stays on (so every
# answer still carries the X-RateLimit-* headers) but never trips.
HIGH_RATE_LIMITS = {
    "LINTEL_RATE_LIMITS__ENABLED": "true",
    "LINTEL_RATE_LIMITS__GENERAL": "1000000",
    "LINTEL_RATE_LIMITS__LOGIN": "1000000",
    "LINTEL_RATE_LIMITS__LOGIN_ACCOUNT": "1000000",
    "LINTEL_RATE_LIMITS__REGISTRATION": "1000000",
    "LINTEL_RATE_LIMITS__TENANT": "1000000",
    "LINTEL_RATE_LIMITS__BROKER": "1000000",
    "LINTEL_RATE_LIMITS__ADMIN": "1000000",
}


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def die(msg: str, code: int = 2) -> "None":
    print(f"error: {msg}", file=sys.stderr, flush=True)
    sys.exit(code)


def lintel_bin() -> Path:
    """The release binary (LINTEL_BIN overrides); the bash wrappers build it first."""
    path = Path(os.environ.get("LINTEL_BIN") or REPO / "target" / "release" / "lintel").resolve()
    if not path.is_file() or not os.access(path, os.X_OK):
        die(f"{path} is missing: run `cargo build --release -p lintel` first")
    return path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def run_dir(kind: str) -> Path:
    """A fresh scratch directory .reliability/<kind>-<timestamp>."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    d = SCRATCH / f"{kind}-{stamp}-{secrets.token_hex(2)}"
    d.mkdir(parents=True)
    return d


def git_info() -> str:
    """`<short commit>` plus `+ uncommitted changes` when the work tree is dirty (read-only git)."""
    try:
        rev = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain",
                                "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return f"{rev or 'unknown'}{' + uncommitted changes' if dirty else ''}"


def binary_info() -> str:
    p = lintel_bin()
    mtime = _dt.datetime.fromtimestamp(p.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
    try:
        shown = p.relative_to(REPO)
    except ValueError:
        shown = p
    return f"{shown} built {mtime}"


def provenance() -> str:
    """What was tested: the work tree's commit at run time and the binary's build time (the
    binary may predate later commits when LINTEL_BIN points at a saved copy)."""
    return f"work tree {git_info()}; binary {binary_info()}"


def now_utc() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


# --------------------------------------------------------------------------------------------
# HTTP


class Resp:
    __slots__ = ("status", "headers", "body", "header_list")

    def __init__(self, status: int, headers: dict[str, str], body: bytes):
        self.status, self.headers, self.body = status, headers, body
        self.header_list: list[tuple[str, str]] = list(headers.items())

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self) -> str:
        return f"<{self.status} {self.body[:200]!r}>"


class Client:
    """A keep-alive HTTP/1.1 client for one loopback port (one connection, not thread-safe)."""

    def __init__(self, port: int, token: str | None = None, timeout: float = 15.0):
        self.port, self.token, self.timeout = port, token, timeout
        self.conn: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(self, method: str, path: str, body=None, headers: dict | None = None) -> Resp:
        hdrs = {"accept": "application/json"}
        if self.token:
            hdrs["authorization"] = f"Bearer {self.token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            hdrs["content-type"] = "application/json"
        hdrs.update(headers or {})
        if self.conn is None:
            self.conn = http.client.HTTPConnection(LOOPBACK, self.port, timeout=self.timeout)
        try:
            self.conn.request(method, path, body=data, headers=hdrs)
            r = self.conn.getresponse()
            payload = r.read()
        except BaseException:
            self.close()
            raise
        raw = r.getheaders()
        out = Resp(r.status, {k.lower(): v for k, v in raw}, payload)
        # Headers that may come more than once (Set-Cookie), all of them, in order.
        out.header_list = [(k.lower(), v) for k, v in raw]
        if r.will_close:
            self.close()
        return out


def get_status(port: int, path: str, timeout: float = 2.0) -> int | None:
    c = Client(port, timeout=timeout)
    try:
        return c.request("GET", path).status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        c.close()


# --------------------------------------------------------------------------------------------
# Lintel processes


_STARTED: list["Lintel"] = []


@atexit.register
def _stop_started() -> None:
    """No `lintel serve` this process started outlives it."""
    for lintel in _STARTED:
        if lintel.alive():
            lintel.kill()


class Lintel:
    """One Lintel installation: its environment (database, port, limits) and at most one
    running `lintel serve`. Logs go to `<dir>/lintel.log`."""

    def __init__(self, workdir: Path, *, port: int | None = None, database_url: str | None = None,
                 extra_env: dict[str, str] | None = None):
        self.dir = workdir
        self.port = port or free_port()
        self.data_dir = workdir / "data"
        self.database_url = database_url
        self.log_path = workdir / "lintel.log"
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("LINTEL_") and k not in ("RUST_LOG",)}
        env.update({
            "LINTEL_BIND": f"{LOOPBACK}:{self.port}",
            "LINTEL_DATA_DIR": str(self.data_dir),
            "LINTEL_LOG_FORMAT": "json",
        })
        if database_url:
            env["LINTEL_DATABASE_URL"] = database_url
        env.update(extra_env or {})
        self.env = env
        self.proc: subprocess.Popen | None = None
        self.bin = lintel_bin()
        _STARTED.append(self)

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "lintel.db"

    def cli(self, *args: str, timeout: float = 120) -> str:
        """Runs a `lintel` subcommand (working directory: the scratch dir, so no lintel.toml
        of the repository is picked up); returns its standard output."""
        with open(self.log_path, "ab") as logf:
            r = subprocess.run([str(self.bin), *args], cwd=self.dir, env=self.env,
                               stdout=subprocess.PIPE, stderr=logf, timeout=timeout)
        out = r.stdout.decode()
        if r.returncode != 0:
            die(f"`lintel {' '.join(args[:2])}` failed ({r.returncode}); see {self.log_path}\n{out}")
        return out

    def seed_org(self, name: str, plan: str = "business") -> str:
        email = f"admin-{secrets.token_hex(4)}@reliability.example.com"
        # `--flag=value` throughout: a value starting with "-" must not read as a flag.
        out = self.cli("admin", "create-org", f"--name={name}", f"--plan={plan}",
                       f"--admin-email={email}",
                       f"--admin-password=pw-{secrets.token_urlsafe(18)}")
        m = re.search(r"Organisation ID:\s*(org_\S+)", out)
        if not m:
            die(f"cannot read the organisation ID from:\n{out}")
        return m.group(1)

    def api_key(self, org: str, role: str = "admin", name: str = "reliability") -> str:
        out = self.cli("admin", "create-api-key", f"--org={org}", f"--role={role}",
                       f"--name={name}")
        m = re.search(r"API key:\s*(lk_\S+)", out)
        if not m:
            die(f"cannot read the API key from:\n{out}")
        return m.group(1)

    def start(self, ready_timeout: float = 90) -> float:
        """Starts `lintel serve` and waits until it is ready; returns the seconds it took."""
        assert self.proc is None or self.proc.poll() is not None, "already running"
        t0 = time.monotonic()
        logf = open(self.log_path, "ab")
        self.proc = subprocess.Popen([str(self.bin), "serve"], cwd=self.dir, env=self.env,
                                     stdout=logf, stderr=logf, stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        logf.close()
        self.wait_ready(ready_timeout)
        return time.monotonic() - t0

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def wait_ready(self, timeout: float = 90, fatal: bool = True) -> float | None:
        """Waits until /api/ready answers 200; returns the seconds it took (None on failure
        when not `fatal`)."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            if self.proc is not None and self.proc.poll() is not None:
                if not fatal:
                    return None
                die(f"lintel serve exited with {self.proc.returncode}; see {self.log_path}")
            if get_status(self.port, "/api/ready") == 200:
                return time.monotonic() - t0
            time.sleep(0.05)
        if fatal:
            die(f"lintel serve was not ready within {timeout:.0f} s; see {self.log_path}")
        return None

    def kill(self, sig: int = signal.SIGKILL, timeout: float = 30) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self) -> None:
        """Graceful stop (SIGTERM), SIGKILL after 20 s."""
        self.kill(signal.SIGTERM, timeout=20)

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None


# --------------------------------------------------------------------------------------------
# PostgreSQL


def psql(url: str, sql: str, timeout: float = 120) -> str:
    """Runs SQL with psql (unaligned, tuples only, stop on error); returns its output."""
    exe = shutil.which("psql")
    if not exe:
        die("psql is not installed (apt-get install postgresql-client)")
    r = subprocess.run([exe, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql],
                       capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError(f"psql failed: {r.stderr.strip()}")
    return r.stdout.strip()


def with_database(url: str, dbname: str) -> str:
    """`url` with its database replaced by `dbname` (query string kept)."""
    m = re.match(r"^(postgres(?:ql)?://[^/?#]*)(/[^?#]*)?(\?.*)?$", url)
    if not m:
        die(f"not a postgres:// URL: {url}")
    return f"{m.group(1)}/{dbname}{m.group(3) or ''}"


def create_database(admin_url: str, prefix: str) -> str:
    """Creates a fresh database next to `admin_url`'s; returns its URL."""
    name = f"{prefix}_{time.strftime('%Y%m%d_%H%M%S')}_{secrets.token_hex(3)}"
    psql(admin_url, f'CREATE DATABASE "{name}"')
    return with_database(admin_url, name)


def drop_database(admin_url: str, url: str) -> None:
    name = url.rsplit("/", 1)[1].split("?", 1)[0]
    try:
        psql(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except RuntimeError as e:
        log(f"warning: could not drop database {name}: {e}")


def pg_bindir() -> Path:
    cands = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    if not cands:
        die("no PostgreSQL server binaries in /usr/lib/postgresql/*/bin "
            "(apt-get install postgresql)")
    return cands[-1].parent


class PgCluster:
    """A private PostgreSQL cluster for one run: its own data directory (under /tmp, owned by the
    `postgres` user because initdb refuses root), its own loopback port, trust authentication,
    never the machine's shared service. Stopped and removed by `destroy()`."""

    def __init__(self, user: str = "postgres"):
        self.bindir = pg_bindir()
        self.user = user
        self.root = Path(tempfile.mkdtemp(prefix="lintel-reliability-pg-"))
        self.data = self.root / "data"
        self.logfile = self.root / "postgres.log"
        self.port = free_port()
        if self.port == 5432:
            self.port = free_port()
        self._as_root = os.geteuid() == 0
        if self._as_root:
            shutil.chown(self.root, user=user, group=None)
        self._run(["initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
                   "-E", "UTF8", "--no-instructions"], timeout=180)

    def _run(self, argv: list[str], timeout: float = 120, check: bool = True):
        argv = [str(self.bindir / argv[0]), *argv[1:]]
        if self._as_root:
            argv = ["runuser", "-u", self.user, "--", *argv]
        r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd="/")
        if check and r.returncode != 0:
            die(f"{' '.join(argv)} failed:\n{r.stdout}\n{r.stderr}")
        return r

    @property
    def admin_url(self) -> str:
        return f"postgres://postgres@{LOOPBACK}:{self.port}/postgres"

    def start(self) -> None:
        opts = (f"-p {self.port} -k {self.root} -c listen_addresses={LOOPBACK} "
                f"-c max_connections=200 -c fsync=on -c synchronous_commit=on")
        r = self._run(["pg_ctl", "-D", str(self.data), "-l", str(self.logfile), "-o", opts,
                       "-w", "-t", "120", "start"], timeout=150, check=False)
        if r.returncode != 0:
            tail = self.logfile.read_text(errors="replace")[-2000:] if self.logfile.exists() else ""
            die(f"pg_ctl start failed:\n{r.stdout}{r.stderr}\n--- {self.logfile}:\n{tail}")

    def postmaster_pid(self) -> int | None:
        try:
            return int((self.data / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None

    def processes(self) -> list[int]:
        """The postmaster and its children (from /proc)."""
        pm = self.postmaster_pid()
        if pm is None:
            return []
        pids = [pm]
        for d in Path("/proc").iterdir():
            if not d.name.isdigit():
                continue
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == pm:
                pids.append(int(d.name))
        return pids

    def crash(self) -> int:
        """SIGKILLs the postmaster and every backend at once (no shutdown checkpoint, like a
        power cut of the server processes); returns how many processes were killed."""
        pids = self.processes()
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(_alive(p) for p in pids):
            time.sleep(0.02)
        # The dead postmaster stays a zombie until the machine's init reaps it (about 1.5 s
        # here), and PostgreSQL refuses to start while the PID in postmaster.pid exists.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists() for p in pids):
            time.sleep(0.02)
        if any(Path(f"/proc/{p}").exists() for p in pids):
            # Only zombies are left (checked above): the lock file is stale.
            (self.data / "postmaster.pid").unlink(missing_ok=True)
        return len(pids)

    def stop(self) -> None:
        self._run(["pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop"],
                  timeout=90, check=False)

    def destroy(self, keep: bool = False) -> None:
        self.stop()
        if not keep:
            shutil.rmtree(self.root, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


# --------------------------------------------------------------------------------------------
# docs/reliability.md results


def update_results(section: str, body: str) -> None:
    """Replaces the text between `<!-- results:SECTION -->` and `<!-- /results:SECTION -->` in
    docs/reliability.md with `body` (the markers must exist)."""
    if not DOC.is_file():
        log(f"warning: {DOC} not found; results not recorded")
        return
    text = DOC.read_text()
    start, end = f"<!-- results:{section} -->", f"<!-- /results:{section} -->"
    i, j = text.find(start), text.find(end)
    if i < 0 or j < i:
        log(f"warning: markers for {section} not found in {DOC}; results not recorded")
        return
    new = text[: i + len(start)] + "\n" + body.strip() + "\n" + text[j:]
    DOC.write_text(new)
    log(f"results written to {DOC.relative_to(REPO)} ({section})")


def paced(rate: float, duration: float):
    """Yields 0, 1, … `rate * duration` - 1, the i-th at start + i/rate (open loop: a late step
    is not made up for by spacing the next ones)."""
    t0 = time.monotonic()
    for i in range(int(rate * duration)):
        delay = t0 + i / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        yield i


def print_checks(checks: dict[str, bool], work: Path) -> None:
    """The PASS/FAIL line of each check, then where the run's files are."""
    for name, good in checks.items():
        print(f"  {'PASS' if good else 'FAIL'}  {name}")
    print(f"artefacts: {work.relative_to(REPO)}/")


def load_average(values: tuple[float, float, float]) -> str:
    return "/".join(f"{x:.1f}" for x in values)


def read_jsonl(path: Path) -> list[dict]:
    """One JSON object per line; empty when the file is missing (a process that never ran)."""
    return [json.loads(line) for line in path.read_text().splitlines()] if path.is_file() else []


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    if not values:
        return float("nan")
    v = sorted(values)
    k = max(0, min(len(v) - 1, int(-(-p * len(v) // 100)) - 1))
    return v[k]


def append_history(line: str) -> None:
    """Appends one line before `<!-- /history -->` in docs/reliability.md."""
    if not DOC.is_file():
        return
    text = DOC.read_text()
    end = "<!-- /history -->"
    j = text.find(end)
    if j < 0:
        log(f"warning: no history marker in {DOC}; history not recorded")
        return
    DOC.write_text(text[:j] + line.rstrip() + "\n" + text[j:])

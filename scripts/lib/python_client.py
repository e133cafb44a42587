"""A generated Python client against a running Lintel (scripts/python-client).

Generates `lintel_client` from openapi.json with openapi-python-client, starts `lintel serve` on a
fresh database, and uses only the generated functions and models: the answers must parse into
the named models the document refers to (`EnvelopeProperty.data` is a `Property`, a list page is
a `PageProperty` of `Property` items) and every call must succeed.
"""

from __future__ import annotations

import argparse
import importlib
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness as h  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def generate(work: Path) -> Path:
    out = work / "client"
    bindir = Path(sys.executable).parent
    generator = shutil.which("openapi-python-client", path=str(bindir)) or "openapi-python-client"
    r = subprocess.run([generator, "generate", "--path", str(ROOT / "openapi.json"),
                        "--meta", "none", "--output-path", str(out / "lintel_client")],
                       capture_output=True, text=True)
    if not (out / "lintel_client" / "client.py").exists():
        h.die(f"the generator made no client:\n{r.stdout}\n{r.stderr}")
    return out


def expect(cond: bool, what: str) -> None:
    if not cond:
        h.die(f"generated client: {what}")


def drive(port: int) -> list[str]:
    """Everything through the generated code; returns what was checked."""
    from lintel_client import Client
    from lintel_client.api.auth import auth_register
    from lintel_client.api.properties import properties_create, properties_get, properties_list
    from lintel_client.api.units import units_create_bulk, units_list, units_set_status
    from lintel_client import models as m

    base = f"http://127.0.0.1:{port}"
    anon = Client(base_url=base)
    email = f"client-{secrets.token_hex(4)}@example.com"
    r = auth_register.sync_detailed(client=anon, body=m.RegisterInput(
        email=email, password="correct-horse-battery", name="Client Check",
        organisation_name="Client Check Lettings"))
    expect(r.status_code == 201, f"register answered {r.status_code}: {r.content[:200]!r}")
    signed_in = r.parsed
    expect(isinstance(signed_in, m.EnvelopeSignedIn), f"register parsed as {type(signed_in)}")
    session = r.headers.get("set-cookie", "").split("lintel_session=", 1)[1].split(";", 1)[0]
    client = Client(base_url=base, cookies={"lintel_session": session},
                    headers={"X-CSRF-Token": signed_in.data.csrf_token})

    created = properties_create.sync(client=client, body=m.PropertyInput(
        name="Harbour View", type_=m.PropertyType.RESIDENTIAL,
        address=m.AddressInput(line1="1 Quay St", city="Halifax", country="CA")))
    expect(isinstance(created, m.EnvelopeProperty), f"create parsed as {type(created)}")
    prop = created.data
    expect(type(prop) is m.Property, f"create's data is {type(prop).__name__}, not Property")

    got = properties_get.sync(client=client, id=prop.id)
    expect(type(got.data) is m.Property and got.data.id == prop.id, "get by ID")

    page = properties_list.sync(client=client, page_size=1)
    expect(type(page.data) is m.PageProperty, f"a page is {type(page.data).__name__}")
    expect(all(type(p) is m.Property for p in page.data.items), "page items are Property")
    expect(page.data.total == 1, f"total {page.data.total}")

    bulk = units_create_bulk.sync(client=client, id=prop.id, body=m.BulkUnitsInput(
        units=[m.UnitInput(name=f"Unit {i}") for i in range(1, 4)]))
    expect(isinstance(bulk, m.EnvelopeVecUnit), f"bulk parsed as {type(bulk)}")
    expect(all(type(u) is m.Unit for u in bulk.data), "bulk answer items are Unit")

    first = units_list.sync(client=client, property_id=prop.id, page_size=2)
    expect(type(first.data) is m.PageUnit, f"a unit page is {type(first.data).__name__}")
    cursor = first.data.next_cursor
    expect(isinstance(cursor, str) and cursor, "the first page carries nextCursor")
    second = units_list.sync(client=client, property_id=prop.id, page_size=2, cursor=cursor)
    names = [u.name for u in first.data.items + second.data.items]
    expect(sorted(names) == ["Unit 1", "Unit 2", "Unit 3"], f"paged names {names}")

    unit = bulk.data[0]
    changed = units_set_status.sync(client=client, id=unit.id, body=m.UnitStatusInput(
        status=m.UnitStatus.OCCUPIED))
    expect(type(changed.data) is m.Unit and changed.data.status == m.UnitStatus.OCCUPIED,
           "status change")
    return ["register", "properties_create", "properties_get", "properties_list",
            "units_create_bulk", "units_list (page and cursor)", "units_set_status"]


def run(backend: str, database_url: str | None, work: Path) -> None:
    (work / backend).mkdir()
    lintel = h.Lintel(work / backend, database_url=database_url, extra_env=h.HIGH_RATE_LIMITS)
    lintel.start()
    try:
        done = drive(lintel.port)
    finally:
        lintel.stop()
    h.log(f"{backend}: the generated client did {', '.join(done)}: all answers parsed into "
          "named models")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--postgres", metavar="URL",
                   help="also run on a fresh PostgreSQL database created next to URL's")
    a = p.parse_args()
    work = h.run_dir("python-client")
    sys.path.insert(0, str(generate(work)))
    importlib.invalidate_caches()
    run("sqlite", None, work)
    if a.postgres:
        url = h.create_database(a.postgres, "lintel_client")
        try:
            run("postgres", url, work)
        finally:
            h.drop_database(a.postgres, url)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Schemathesis hooks for scripts/fuzz-api (loaded through SCHEMATHESIS_HOOKS).

The run authenticates with one admin API key (and, for the two session-only operations, one
admin session). The stateful phase chains `GET /api/api-keys` -> `DELETE /api/api-keys/{id}`
(and the same for sessions), which would eventually revoke that very credential and turn the rest
of the run into 401s. `before_call` points such a DELETE at an ID that does not exist instead
(the answer is then the documented 404), so revoking *other* keys and sessions - the ones the run
creates itself - is still exercised.

It also serialises `ast.parse` on the CPython releases whose AST constructor is not thread-safe
(see `_guard_ast_parse`), and narrows a few ST202 reports (see `filter_failure`).
"""

from __future__ import annotations

import ast
import os
import sys
import threading

import schemathesis

# ---------------------------------------------------------------------------------------------
# CPython 3.11.0-3.11.7 (and 3.12.0-3.12.1) count the AST constructor's recursion depth in state
# shared by the whole interpreter, not per call (python/cpython#106905, fixed in 3.11.8 and
# 3.12.2). A garbage collection inside one `ast.parse` can hand the GIL to another thread that is
# parsing too; the shared counter then goes wrong and `ast.parse` raises
# "SystemError: AST constructor recursion depth mismatch (before=48, after=125)".
#
# Schemathesis runs its workers as threads of one process, and Hypothesis parses source files
# with `ast.parse` whenever it describes a lambda, e.g. for the repr of a filtered strategy that
# it builds when a draw has to be retried ("Retried draw from <repr> to satisfy filter"), which
# the coverage phase's filtered pattern strategies do a lot. So with 2 workers a run now and then ended in a Schemathesis "Runtime Error" for
# one operation (an `errors` entry, exit 1) although the API had answered everything correctly.
# On the affected releases every `ast.parse` in this process is serialised by one lock (callers
# look it up as `ast.parse` at call time: Hypothesis, Schemathesis, inspect, traceback), which
# removes the race; parsing is rare (Hypothesis caches descriptions), so the lock costs nothing
# measurable. On fixed releases nothing is changed.


def _ast_constructor_is_racy(version=sys.version_info) -> bool:
    v = tuple(version[:3])
    return (3, 11, 0) <= v < (3, 11, 8) or (3, 12, 0) <= v < (3, 12, 2)


def _guard_ast_parse() -> None:
    if not _ast_constructor_is_racy() or getattr(ast.parse, "_lintel_serialised", False):
        return
    lock = threading.RLock()
    unguarded = ast.parse

    def parse(*args, **kwargs):
        with lock:
            return unguarded(*args, **kwargs)

    parse.__doc__ = unguarded.__doc__
    parse._lintel_serialised = True
    ast.parse = parse


_guard_ast_parse()

# DELETE path -> (the credential the run itself uses, a well-formed ID that nothing has).
PROTECTED = {
    "/api/api-keys/{id}": (os.environ.get("LINTEL_FUZZ_PROTECTED_KEY_ID", ""),
                           "key_01" + "a" * 24),
    "/api/auth/sessions/{id}": (os.environ.get("LINTEL_FUZZ_PROTECTED_SESSION_ID", ""),
                                "sess_01" + "a" * 24),
}


@schemathesis.hook
def before_call(context, case, kwargs):
    if case.method.upper() != "DELETE" or not case.path_parameters:
        return
    own, substitute = PROTECTED.get(case.path, ("", ""))
    if own and str(case.path_parameters.get("id", "")).strip().lower() == own.lower():
        case.path_parameters["id"] = substitute


# ---------------------------------------------------------------------------------------------
# Narrow false-positive filters for ST202 "Schema-valid request rejected" (positive data
# acceptance). A failure is dropped only when *every* field error in Lintel's answer is one of
# these; anything else still fails the run. Schemathesis prints how many it dropped.

# Rules that a JSON Schema cannot state, checked by Lintel's validators (422 VALIDATION_ERROR):
INEXPRESSIBLE_RULES = (
    # A reference to another record must name one of the caller's records.
    "does not name a building in this organisation",
    # The password rules beyond length and NUL: the deny-list, and at least 5 different
    # characters (ignoring case). The latter was a lookahead pattern once; drawing strings for it
    # cost about 100 s of every run, so it is stated in the description instead
    # (docs/decisions/0009-contexts-scoping-outbox.md).
    "is too common",
    "is too weak",
    # Uniqueness of a key *inside* array items (amenity IDs, unit name + suite in a bulk create).
    "is listed more than once",
    "duplicates units[",
    # Uniqueness against records that already exist: a unit's name + suite within its property
    # (in any case). The coverage phase sends the schema's example unit ("Unit 4B", suite "4B")
    # several times, so the second one meets the first. Lintel answers 422 on the field, from
    # its check and from the unique index alike (not 409 as for other unique names, see
    # docs/decisions/0002-http-and-contract.md).
    "already exists in this property",
    # A password change must name the current password, and pick another one.
    "is not the current password",
    "must differ from the current password",
    # An organisation keeps at least one admin: demoting or removing the last one is refused,
    # a rule about the organisation's state, not about the request.
    "the organisation must keep at least one admin",
    # A list's `cursor` is opaque: only a `nextCursor` the same list (same filters and sort)
    # answered is one, and it replaces `page` (two query parameters that exclude each other).
    "is not a cursor this list gave",
    "cannot be used with cursor",
    # A document's `entityId` must be an ID of the kind its `entityType` names (two fields, one
    # depending on the other).
    "is not a property ID",
    "is not a building ID",
    "is not a unit ID",
    "is not a tenant ID",
    "is not a lease ID",
    # A late fee's `kind` decides which of `amount` and `basisPoints` it takes.
    "is only for a percent fee",
    "is only for a fixed fee",
    "is required for a fixed fee",
    "is required for a percent fee",
    # An emergency contact needs a phone or an email (one of two fields).
    "a phone or an email is required",
    # A time zone is one of the IANA database's names, which a pattern cannot list.
    "must be an IANA time zone",
    # Dates against today, or against another field or record: a birth date in the past, a
    # lease's end after its start, a renewal after the lease it renews and answered before it
    # starts, an offer's last day not past.
    "must not be in the future",
    "must be 1900-01-01 or later",
    "must be after startDate",
    "must be after the lease's end date",
    "must be on or before the new start date",
    "must not be in the past",
    # The due day's range depends on the rent's frequency (1-7 weekly, 1-28 monthly).
    "for weekly rent",
    "for fortnightly rent",
    # Amounts in the rent's (and the unit's) currency; a unit of an archived property.
    "must be the unit's currency",
    "must be the rent's currency",
    "must be the lease's currency",
    "is in an archived property",
    # A document's name is a file name: `.` and `..` name none.
    "must name a file",
    # A journal entry's lines balance in every currency, each a debit or a credit (one of two
    # fields) of more than zero (a money object allows zero elsewhere), on an open account.
    "differ in",
    "give exactly one of debit and credit",
    "must be more than zero",
    "is archived",
    # A tenant is invited by the email on their record, which may have none.
    "is required to invite the tenant",
    # A payment names its lease or its tenant (one of two fields); a cheque carries its number,
    # other methods none; its allocations name charges of its lease, each at most what the
    # charge still owes, together at most the payment; a refund at most what is left, in the
    # payment's currency.
    "give leaseId or tenantId",
    "is required for a cheque payment",
    "is only for cheque payments",
    "must be the payment's currency",
    "is not a tenant on this lease",
    "has no lease in force",
    "is on more than one lease in force",
    "is not a charge of this lease",
    "is a credit note",
    "is void",
    "is more than the charge still owes",
    "add up to more than the payment's amount",
    "is already allocated above",
    "is more than what remains to refund",
    # An invoice groups open charges of its lease, each once and on no other invoice that is
    # not void, and is due on or after its issue date.
    "is named twice",
    "is a charge of another lease",
    "is not an open charge",
    "is on another invoice",
    "Charge not found.",
    "there are no open charges on this lease that are not invoiced",
    "must be on or after the issue date",
    # A card payment without an amount pays what the lease owes now, which may be nothing.
    "the lease owes nothing now",
    # A billing run bills at most three years past today.
    "must be at most three years after today",
)

# An Idempotency-Key names one request: the same key sent again with another body is refused,
# a rule across requests (the generator reuses the schema's example key).
IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"

# What a file is, is told from its bytes: a schema can say "binary", not "a PDF or an image".
UNSUPPORTED_FILE = "Unsupported file type"

# Stripe's webhook takes only events signed with the endpoint's secret, which a generator
# cannot make: every request it sends is refused before the body is read.
STRIPE_SIGNATURE = "Invalid Stripe signature"


def _details(response):
    try:
        body = response.json()
    except Exception:  # noqa: BLE001 - not JSON: keep the failure
        return []
    details = body.get("details") if isinstance(body, dict) else None
    return [d for d in details or [] if isinstance(d, dict)]


def _field(response, name):
    """A top-level string of the error envelope (`error`, `code`), or ""."""
    try:
        body = response.json()
    except Exception:  # noqa: BLE001 - not JSON
        return ""
    return str(body.get(name, "")) if isinstance(body, dict) else ""


@schemathesis.hook
def filter_failure(context, failure, case, response):
    if getattr(failure, "code", None) != "ST202":
        return True
    if response.status_code == 415 and _field(response, "error").startswith(UNSUPPORTED_FILE):
        return False
    if response.status_code == 422 and _field(response, "code") == IDEMPOTENCY_KEY_REUSED:
        return False
    if response.status_code == 400 and _field(response, "error").startswith(STRIPE_SIGNATURE):
        return False
    details = _details(response)
    if not details:
        return True
    if response.status_code == 422 and all(
            any(r in d.get("message", "") for r in INEXPRESSIBLE_RULES) for d in details):
        return False
    return True

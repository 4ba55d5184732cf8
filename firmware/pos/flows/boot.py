"""Power-on recovery: repair the journal, settle a half-finished request, finish its slips.

Every step is idempotent: a power loss during recovery is recovered the same way.
A half-finished settlement resumes from the idle screen once the terminal is
signed in again (pos.flows.settle).
"""
from pos.flows import reversal
from pos.ledger import is_transaction
from pos.menu import OK


def run(app, state):
    app.journal.recover()
    last, printed = _last_transaction(app)
    doc = reversal.pending(app)
    if doc is not None and last is not None and last["st"] in ("approved", "declined") \
            and doc["record"]["batch"] == last["batch"] and doc["record"]["trace"] == last["trace"]:
        # The answer was journaled before the power went: the request did complete.
        reversal.clear(app)
    from pos.flows import ereceipts
    ereceipts.boot_check(app, last, printed)
    if last is not None and last["st"] == "approved":
        missing = [c for c in range(app.settings["copies"]) if c not in printed]
        if missing:
            from pos.flows.printing import print_copies
            yield from print_copies(app, last, missing[0], reprint=True)
    return OK


def _last_transaction(app):
    """The journal's last transaction record and the slip copies printed for it."""
    last = None
    printed = []
    for rec in app.journal.records():
        if rec.get("k") == "printed":
            if last is not None and rec["trace"] == last["trace"] and rec["batch"] == last["batch"]:
                printed.append(rec["copy"])
        elif is_transaction(rec):
            last, printed = rec, []
    return last, printed

"""冲正: a financial request without a valid answer is undone by a 0400.

The reversal is saved durably once the link is up and before the request is
sent; it is cleared only by a valid answer to the request or by a 0410. It
holds no full PAN or track data (those never reach flash), so the 0400 names
the original by terminal, batch and trace and carries its amount and type.
"""
from pos import cup, message, store
from pos.flows.common import exchange, mac_function
from pos.i18n import t

NAME = "reversal"
MAX_TRIES = 3


def arm(app, kind, values, record):
    """Save the reversal of a request about to be sent (values: its fields)."""
    fields = message.reversal_values(cup, kind, values, cup.REVERSAL_NO_ANSWER)
    del fields[39]
    doc = {"reason": cup.REVERSAL_NO_ANSWER, "tries": 0, "record": record, "fields": {}}
    for f in fields:
        doc["fields"][str(f)] = fields[f]
    store.save(app.dir, NAME, doc)


def set_reason(app, reason):
    doc = store.load(app.dir, NAME)
    if doc is not None and doc["reason"] != reason:
        doc["reason"] = reason
        store.save(app.dir, NAME, doc)


def clear(app):
    store.remove(app.dir, NAME)


def pending(app):
    return store.load(app.dir, NAME)


def send_pending(app):
    """Send a pending reversal on the open link; True when none is left pending."""
    doc = pending(app)
    if doc is None:
        return True
    values = {}
    for f in doc["fields"]:
        values[int(f)] = doc["fields"][f]
    values[39] = doc["reason"]
    frame = message.build(cup, "reversal", values, mac_function(app.mak))
    fields, _why = yield from exchange(app, "reversal", frame, {11: values[11], 41: values[41]}, app.mak,
                                       t("sending_reversal"))
    if fields is not None and fields.get(39) == "00":
        record = doc["record"]
        record["st"] = "reversed"
        app.journal.append(record)
        clear(app)
        return True
    doc["tries"] += 1
    if doc["tries"] >= MAX_TRIES:
        record = doc["record"]
        record["st"] = "reversal_failed"
        app.journal.append(record)
        clear(app)
        return True
    store.save(app.dir, NAME, doc)
    return False

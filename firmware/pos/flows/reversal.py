"""冲正: a financial request without a valid answer is undone by a 0400.

The reversal is saved durably once the link is up and before the request is
sent; it is cleared only by a valid answer to the request or by a 0410. The
0400 is the original without its PIN and track data (26, 35, 36, 52, 53) plus
the reason in 39: the host matches it by terminal, batch and trace, or by PAN
and amount. The PAN and expiry (2, 14) it must send again lie on flash only
sealed under the terminal's data key (pos/sealed.py), and go with the document.
"""
from binascii import hexlify, unhexlify

from pos import cup, message, sealed, store
from pos.engine import Connect
from pos.results import OK
from pos.flows.common import exchange, hang_up, mac_function
from pos.i18n import t
from pos.screen import Screen

NAME = "reversal"
MAX_TRIES = 3
IDLE_WAIT_S = 60      # a reversal still pending at the idle screen is sent on its own after this,
RETRY_S = 300         # and tried again this long after each attempt


def run(app, state):
    """reversal_auto, from the idle screen: the pending reversal sent on a link opened for it
    alone. A link that does not come up is tried again later without a word (nobody need be at
    the terminal); a reversal sent and not answered counts one of its MAX_TRIES, as before any
    request."""
    if (yield Connect(Screen(t("sending_reversal"), [t("connecting")]))) == OK:
        yield from send_pending(app)
        yield from hang_up()
    return "done"


def due_in(app, now):
    """Seconds until the idle screen sends a pending reversal on its own (0: now), or None when
    none is pending. The first wait starts when the idle screen first sees it, the next ones at
    the last try."""
    if pending(app) is None:
        app.reversal_at = None
        return None
    if app.reversal_at is None:
        app.reversal_at = now + IDLE_WAIT_S
    if now >= app.reversal_at:
        app.reversal_at = now + RETRY_S
        return 0
    return app.reversal_at - now


def arm(app, kind, values, record):
    """Save the reversal of a request about to be sent (values: its fields)."""
    fields = message.reversal_values(cup, kind, values, cup.REVERSAL_NO_ANSWER)
    del fields[39]
    doc = {"reason": cup.REVERSAL_NO_ANSWER, "tries": 0, "record": record, "fields": {}}
    card = []
    for f in fields:
        if f in cup.SEALED:
            card.append("%d=%s" % (f, fields[f]))
        else:
            doc["fields"][str(f)] = fields[f]
    if card:
        doc["card"] = hexlify(sealed.seal(app.tmk, ";".join(card))).decode()
    store.save(app.dir, NAME, doc)


def _values(app, doc):
    """The 0400's fields from a saved reversal, its sealed card fields opened."""
    values = {}
    for f in doc["fields"]:
        values[int(f)] = doc["fields"][f]
    if "card" in doc:
        try:
            for item in sealed.unseal(app.tmk, unhexlify(doc["card"])).split(";"):
                f, _, value = item.partition("=")
                values[int(f)] = value
        except (ValueError, sealed.SealError):
            pass        # sealed by another TMK: the 0400 goes without them, and the host may refuse it
    values[39] = doc["reason"]
    return values


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
    values = _values(app, doc)
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
    app.reversal_at = app.clock() + RETRY_S       # the idle screen's next try counts from this one
    if doc["tries"] >= MAX_TRIES:
        record = doc["record"]
        record["st"] = "reversal_failed"
        app.journal.append(record)
        clear(app)
        return True
    store.save(app.dir, NAME, doc)
    return False

"""冲正: the saved reversal of a financial request that went without a valid answer.

The money path (flows/online.py) arms it once the link is up and before the
request is sent, and clears it only once a valid answer is journaled or a
0410 accepts it; it sends it (`online.send_pending`) before any other request.
The 0400 is the original without its PIN and track data (26, 35, 36, 52, 53)
plus the reason in 39, a chip card's field 55 cut to 95, 9F10, 9F36 and DF31 (the
script results) as the card left them: the host matches it by terminal, batch and trace, or
by PAN and amount. The PAN and expiry (2, 14) it must send again lie on flash
only sealed under the terminal's data key (pos/sealed.py) and go with the
document.

This module is also the reversal_auto state: a reversal still pending at the
idle screen is sent on its own, IDLE_WAIT_S after the idle screen first sees
it, then RETRY_S after each try.
"""
from pos import store
from pos.engine import Connect
from pos.i18n import t
from pos.menu import DONE
from pos.results import OK
from pos.screen import Screen

NAME = "reversal"
# QR payments whose order may stay open after their answer (pos.flows.qrpay): while their reversal
# is pending after a power cut, the host is asked about the order before anything else.
QR_ORDERS = ("qr_sale", "qr_order")
MAX_TRIES = 3
IDLE_WAIT_S = 60
RETRY_S = 300


def run(app, state):
    """reversal_auto: the pending reversal sent on a link opened for it alone. A link that does
    not come up is tried again later without a word (nobody need be at the terminal); a
    reversal sent and not answered counts one of its MAX_TRIES, as before any request."""
    from pos.flows import online
    if (yield Connect(Screen(t("sending_reversal"), [t("connecting")]))) == OK:
        yield from online.send_pending(app)
        yield from online.hang_up()
    return DONE


def schedule_auto(app, now):
    """Schedules the pending reversal's send from the idle screen (the first time the idle screen
    sees it, and again each time it falls due) and returns the seconds until it goes: 0 now,
    None when no reversal is pending."""
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
    """Save the reversal of a request about to be sent (values: its fields; record: its journal
    record, kept as "reversed" for when the reversal completes)."""
    from pos import cup, message, sealed
    fields = message.reversal_values(cup, kind, values, cup.REVERSAL_NO_ANSWER)
    del fields[39]
    if 55 in fields:
        fields[55] = _icc(fields[55])
    record = dict(record)
    record["st"] = "reversed"
    doc = sealed.keep(app.tmk, fields, cup.SEALED)
    doc.update({"reason": cup.REVERSAL_NO_ANSWER, "tries": 0, "record": record})
    save(app, doc)


def values(app, doc):
    """The 0400's fields from a saved reversal, its sealed card fields opened."""
    from pos import sealed
    out = sealed.kept(app.tmk, doc)
    out[39] = doc["reason"]
    return out


def _icc(data):
    """Of a request's field 55, what its reversal carries: TVR, issuer application data, ATC."""
    from pos.emv import kernel, tlv
    try:
        found = tlv.flatten(data)
    except tlv.TlvError:
        return b""
    return b"".join(tlv.encode(tag, found[tag]) for tag in kernel.REVERSAL55 if tag in found)


def set_icc(app, data):
    """The reversal's field 55 as the card left it after its second GENERATE AC (scripts' DF31 too)."""
    from binascii import hexlify
    doc = pending(app)
    if doc is not None and data:
        doc["icc"] = hexlify(data).decode()
        save(app, doc)


def set_reason(app, reason):
    doc = pending(app)
    if doc is not None and doc["reason"] != reason:
        doc["reason"] = reason
        save(app, doc)


def save(app, doc):
    store.save(app.dir, NAME, doc)


def clear(app):
    store.remove(app.dir, NAME)


def pending(app):
    return store.load(app.dir, NAME)

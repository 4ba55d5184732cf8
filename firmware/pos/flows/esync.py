"""电子签购单 to the host: the idle screen's state receipts_auto, when receipts wait in the queue
(pos/outbox.py) and their time has come (pos.flows.ereceipts queues them and sets the time).

On one connection, a pending reversal first (online.send_pending: a reversal accepted there queues
its receipt too), then the receipts oldest first, each in as many 0820 (60.3 800) parts as it
needs, at most PER_VISIT receipts a visit. A receipt is acknowledged once the host answered 00 to
its last part; the queue then forgets it. No link, or no answer: the next try waits BACKOFF_FIRST
seconds, doubling up to BACKOFF_MAX. A receipt the host refuses (an answer other than 00) stays
queued and is tried again at the next visit; the ones after it still go. A module of its own: a
transaction's heap, which queues receipts, never holds the sender.
"""
from pos import ereceipt
from pos.engine import Connect
from pos.flows.ereceipts import outbox
from pos.i18n import t
from pos.menu import DONE
from pos.results import OK
from pos.screen import Screen

PER_VISIT = 8
BACKOFF_FIRST = 30
BACKOFF_MAX = 600


def _retry_later(app):
    app.receipts_backoff = min(BACKOFF_MAX, max(BACKOFF_FIRST, app.receipts_backoff * 2))
    app.receipts_at = app.clock() + app.receipts_backoff


def run(app, _state):
    from pos.flows import online
    if not outbox(app).count():
        app.receipts_at = None
        return DONE
    if not app.signed_in:
        _retry_later(app)       # the receipts go with the next sign-in's keys
        return DONE
    title = t("ereceipt")
    if (yield Connect(Screen(title, [t("connecting")]))) != OK:
        _retry_later(app)
        return DONE
    sent = refused = 0
    if (yield from online.send_pending(app)):       # a reversal sent here queues a receipt too
        box = outbox(app)
        waiting = box.waiting()
        for at in waiting[:PER_VISIT]:
            result = yield from _send(app, box, at, len(waiting) - sent, title)
            if result is None:
                break
            if result:
                box.ack(at)
                sent += 1
            else:
                refused += 1
    yield from online.hang_up()
    if sent == 0:
        _retry_later(app)
    else:
        app.receipts_backoff = 0
        app.receipts_at = app.clock() if outbox(app).count() > refused else None
    return DONE


def _send(app, box, at, waiting, title):
    """The receipt at `at` in its parts: True when the host has it, False when it refused it, None
    when the link failed (no answer, a broken link or a garbled answer)."""
    from pos import message
    from pos.emv.tlv import find
    from pos.flows import online
    data = box.get(at)
    batch, trace, when = find(data, 0xDF05), find(data, 0xDF06), find(data, 0xDF07)
    f61 = message.field61(int(batch), int(trace), when[4:8].decode())
    for i in range(ereceipt.part_count(data)):
        fields, _why = yield from online.request(app, "ereceipt", {61: f61, 62: ereceipt.part(data, i, waiting)},
                                                 title)
        if fields is None:
            return None
        if fields.get(39) != "00":
            return False
    return True

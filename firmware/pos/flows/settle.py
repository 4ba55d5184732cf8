"""结算: close the batch with the host.

0500 with the batch's totals (field 48) → the host answers 对账平 (balanced)
or 对账不平; not balanced: every transaction of the batch goes up in 0320
batch uploads (8 a message) → either way IC卡TC上送: a 0320 (60.3 203) per chip
transaction its card approved with a TC (the host saw only the ARQC; a tap has
none) → not balanced: the upload end → the settlement slip with totals by type
→ the journal rolls over (the settled batch kept for query until the next
settlement) and the batch number advances.

Each step is written to the "settle" document before the next begins, so a
power cut anywhere resumes at the step it cut (the idle screen starts the
resumption once after boot); the uploads count what went ("uploaded",
"tcs") and go on after it. While it exists no new transaction starts.
Steps: send → (upload) → tc → (end) → roll → print; the document is removed last.
"""
from pos import cup, clock, ledger, message, store
from pos.flows import online
from pos.flows.common import confirm, notice
from pos.flows.printing import TYPE_NAMES, print_lines, terminal_info, total_rows
from pos.i18n import t, tf
from pos.menu import DONE

DOC = "settle"


def pending(app):
    return store.load(app.dir, DOC)


def run(app, state):
    title = t("settle")
    doc = pending(app)
    if doc is None:
        doc = yield from _start(app, title)
        if doc is None:
            return DONE
    linked = False
    while doc is not None:
        step = doc["step"]
        if step in _ONLINE:
            # One connection for the messages; link_up signs in and sends a pending reversal
            # first, so the host has undone an unanswered request before it counts the batch.
            ok = linked or (yield from online.link_up(app, title))
            linked = ok
            if ok:
                ok = yield from _ONLINE[step](app, title, doc)
        else:
            if linked:
                yield from online.hang_up()
                linked = False
            if step == "roll":
                ok = yield from _roll(app, doc)
            else:
                ok = yield from _print(app, doc)
                doc = None
        if not ok:
            if linked:
                yield from online.hang_up()
            yield from notice(app, title, [t("settle_unfinished")])
            return DONE
    return DONE


def _save(app, doc, step):
    doc["step"] = step
    store.save(app.dir, DOC, doc)


def _start(app, title):
    """Totals of the batch shown for confirmation, then the settlement document; None if cancelled."""
    by_kind, sums = ledger.totals(app.journal)
    lines = [t("batch_no") + ": %06d" % app.counters.batch] + total_rows(by_kind, sums) + [t("settle_confirm")]
    if not (yield from confirm(app, title, lines)):
        return None
    day, hms = clock.stamp(app.clock())
    doc = {"batch": app.counters.batch, "sums": list(sums), "kinds": by_kind, "date": day, "time": hms,
           "op": app.operator, "uploaded": 0, "tcs": 0, "balanced": None}
    _save(app, doc, "send")
    return doc


def _request(app, kind, values, title):
    """One settlement message on the open link: the answer's fields (39 00) or None."""
    fields, _why = yield from online.request(app, kind, values, title)
    return fields if fields is not None and fields.get(39) == "00" else None


def _send(app, title, doc):
    debit, debit_n, credit, credit_n = doc["sums"]
    values = {48: message.settle_totals(debit, debit_n, credit, credit_n), 49: cup.CURRENCY,
              63: (doc["op"] or "00") + " "}
    fields = yield from _request(app, "settle", values, title)
    if fields is None:
        return False
    try:
        code = message.parse_settle_totals(cup, fields.get(48))[4]
    except message.CodecError:
        code = None               # no usable answer figures: upload, the host settles on ours
    doc["balanced"] = code == cup.SETTLE_BALANCED
    if not doc["balanced"]:
        yield from notice(app, title, [t("unbalanced") if code is not None else t("settle_no_totals"),
                                       t("uploading")], 3)
    _save(app, doc, "tc" if doc["balanced"] else "upload")
    return True


def _upload(app, title, doc):
    """0320s of 8 transactions each, resuming after the ones the host already took."""
    items = ledger.uploads(app.journal)
    try:
        skip = doc["uploaded"]
        for _ in range(skip):
            next(items)
        batch = []
        while True:
            item = next(items, None)
            if item is not None:
                batch.append(item)
            if batch and (item is None or len(batch) == cup.UPLOAD_PER_MESSAGE):
                f48 = "%02d" % len(batch) + "".join("%s%06d%012d" % it for it in batch)
                if (yield from _request(app, "upload", {48: f48}, title)) is None:
                    return False
                doc["uploaded"] += len(batch)
                _save(app, doc, "upload")
                batch = []
            if item is None:
                break
    finally:
        items.close()
    _save(app, doc, "tc")
    return True


def _tc_upload(app, title, doc):
    """A 0320 (60.3 203) per TC, resuming after the ones the host already answered. Any answer
    but one asking to sign in again settles its TC: one the host refuses (25, A7) it would refuse
    again, and the batch must still close."""
    from pos import rescodes
    records = ledger.tcs(app.journal)
    try:
        for _ in range(doc.setdefault("tcs", 0)):      # none in a document of a firmware without them
            next(records, None)
        for record in records:
            fields, _why = yield from online.request(app, "tc_upload", _tc_values(record), title)
            if fields is None or rescodes.needs_signin(fields.get(39, "")):
                return False
            doc["tcs"] += 1
            _save(app, doc, "tc")
    finally:
        records.close()
    _save(app, doc, "roll" if doc["balanced"] else "end")
    return True


def _tc_values(record):
    """Fields 4, 55 and 61 of a journaled chip transaction's TC upload. No field 2: the host
    finds the original by terminal, batch and trace (61)."""
    from binascii import unhexlify
    from pos.emv import kernel, tlv
    from pos.money import amount_field
    icc = b"".join((tlv.encode(0x9F26, unhexlify(record["cg"])), tlv.encode(0x9F27, bytes((kernel.TC,))),
                    tlv.encode(0x9F36, unhexlify(record["atc"])), tlv.encode(0x95, unhexlify(record["tvr"])),
                    tlv.encode(0x9B, unhexlify(record["tsi"])), tlv.encode(0x9F10, unhexlify(record["iad"]))))
    return {4: amount_field(record["amt"]), 55: icc,
            61: message.field61(record["batch"], record["trace"], record["date"][4:8])}


def _upload_end(app, title, doc):
    fields = yield from _request(app, "upload_end", {48: "%04d" % doc["uploaded"]}, title)
    if fields is None:
        return False
    _save(app, doc, "roll")
    return True


def _roll(app, doc):
    """The settlement's e-receipt queued, the settled batch's journal kept aside, the next batch
    number: all safe to repeat (the host keeps one settlement receipt a batch)."""
    from pos.flows import ereceipts, sign
    yield from ereceipts.queue(app, ereceipts.settlement_receipt(app, doc, _kinds(doc)))
    sign.drop_all(app)
    store.save(app.dir, "last_settle", doc)
    app.journal.roll(doc["batch"])
    app.counters.set_batch(doc["batch"] % store.MAX_NO + 1)
    _save(app, doc, "print")
    return True


def _print(app, doc):
    from pos.flows import ereceipts
    waiting = doc["waiting"] = ereceipts.outbox(app).count()
    yield from print_slip(app, doc, False)
    store.remove(app.dir, DOC)
    lines = [t("settle_ok"), t("balanced") if doc["balanced"] else t("unbalanced")]
    if waiting:
        lines.append(tf("ereceipts_waiting", waiting))     # they go on from the idle screen
    yield from notice(app, t("settle"), lines, 10)
    return True


def _kinds(doc):
    """(type name, count, fen) of each type the settled batch has."""
    kinds = []
    for k in ledger.KINDS:
        entry = doc["kinds"].get(k)
        if entry:
            kinds.append((TYPE_NAMES[k], entry[0], entry[1]))
    return kinds


def print_slip(app, doc, reprint):
    from pos import receipt
    info = [t("batch_no") + ": %06d" % doc["batch"]]
    lines = receipt.settlement_lines(terminal_info(app), doc, _kinds(doc), reprint)
    return (yield from print_lines(app, lines, t("settle"), info))


_ONLINE = {"send": _send, "upload": _upload, "tc": _tc_upload, "end": _upload_end}

"""电子签购单: each approved, voided, refunded, reversed or settled transaction's electronic receipt,
queued on flash (pos/outbox.py) and sent to the host from the idle screen.

- `queue` is one of the money path's after-journal steps (before the slips: a power cut while
  printing loses no receipt), and follows an accepted reversal and a settlement. A full queue
  warns the merchant (电子签购单存储已满) and the transaction goes on.
- The idle screen sends them (`pos.flows.esync`, state receipts_auto) receipt_sync_s after the
  first was queued, the setting's sync interval.
- `boot_check` (power on): the last approved transaction's receipt is queued again if the power
  went between its journal record and its queueing (no slip printed, not in the queue); the host
  keeps one receipt per terminal, batch, voucher and type, so a second copy changes nothing.
"""
from pos import ereceipt
from pos.i18n import t, tf

SETTLE = "settle"
REVERSAL = "reversal"


def outbox(app):
    from pos.outbox import Outbox
    return Outbox(app.dir, app.settings["outbox_max_bytes"])


def _values(app, record, kind):
    values = {0xDF02: kind, 0xDF03: record["st"], 0xDF04: str(record.get("amt", 0)),
              0xDF05: "%06d" % record["batch"], 0xDF06: "%06d" % record["trace"],
              0xDF07: record["date"] + record["time"], 0xDF08: record.get("pan", ""),
              0xDF09: record.get("ref", ""), 0xDF0A: record.get("auth", ""), 0xDF0B: record.get("op") or "",
              0xDF10: app.terminal_id, 0xDF11: app.merchant_id}
    if kind in VOIDS:
        values[0xDF0F] = "%06d%06d" % (record["ob"], record["ot"])     # the payment it voids
    return values


def transaction_receipt(app, record, signature=None):
    """The receipt of a journaled transaction: the slip's fields, and the signature if there is one."""
    from pos import receipt
    from pos.flows.printing import issuer, slip_txn, terminal_info
    kind = REVERSAL if record["st"] == "reversed" else record["k"]
    txn = slip_txn(record, issuer(app, record))
    if kind == REVERSAL:
        txn["type_name"] = "冲正 REVERSAL " + txn["type_name"]
    info = terminal_info(app, record)
    return ereceipt.Receipt(_values(app, record, kind), lambda: receipt.fields(txn, info), signature)


def settlement_receipt(app, doc, kinds):
    """The receipt of a settled batch: its totals by type, debit, credit and whether it balanced."""
    from pos.money import format_fen
    debit, debit_n, credit, credit_n = doc["sums"]
    record = {"st": "settled", "amt": debit - credit if debit >= credit else credit - debit,
              "batch": doc["batch"], "trace": doc.get("trace", 0), "date": doc["date"], "time": doc["time"],
              "op": doc.get("op")}
    slip = [("商户名称 MERCHANT NAME:", app.settings["merchant_name"]),
            ("商户编号 MERCHANT NO.:", app.merchant_id), ("终端编号 TERMINAL NO.:", app.terminal_id),
            ("操作员号 OPERATOR NO.:", doc.get("op") or ""), ("批次号 BATCH NO.:", "%06d" % doc["batch"])]
    for name, count, fen in kinds:
        slip.append((name, "%d / %s" % (count, format_fen(fen))))
    slip += [("借记 DEBIT", "%d / %s" % (debit_n, format_fen(debit))),
             ("贷记 CREDIT", "%d / %s" % (credit_n, format_fen(credit))),
             ("净额 NET", format_fen(debit - credit)),
             ("对账 BALANCE", "对账平 BALANCED" if doc["balanced"] else "对账不平 NOT BALANCED")]
    return ereceipt.Receipt(_values(app, record, SETTLE), lambda: slip)


def queue(app, data):
    """Queue a receipt's bytes; a full queue is told to the merchant (the transaction stands)."""
    from pos.outbox import OutboxFull
    box = outbox(app)
    try:
        box.put(data)
    except OutboxFull:
        from pos.flows.common import notice
        yield from notice(app, t("ereceipt"), [t("outbox_full"), tf("outbox_waiting", box.count())], 10)
        return False
    if app.receipts_at is None:
        app.receipts_at = app.clock() + app.settings["receipt_sync_s"]
    return True


def after_journal(app, record, _title):
    """The money path's step: the approved transaction's receipt, with the signature taken for it."""
    return (yield from queue(app, transaction_receipt(app, record, app.signature)))


def boot_check(app, last, printed):
    """Power on: the last approved transaction's receipt queued if the power went before it was (no
    slip printed, not in the queue); the idle screen sends what waits."""
    box = outbox(app)
    if last is not None and last.get("st") == "approved" and not printed and last["k"] in KINDS \
            and not _queued(box, last):
        try:
            box.put(transaction_receipt(app, last))
        except Exception:
            pass                # a full queue: the merchant hears of it with the next transaction
    if box.count():
        app.receipts_at = app.clock()


def _queued(box, record):
    from pos.emv.tlv import find
    key = ("%06d" % record["batch"]).encode(), ("%06d" % record["trace"]).encode()
    for at in box.waiting():
        data = box.get(at)
        if data is not None and (find(data, 0xDF05), find(data, 0xDF06)) == key:
            return True
    return False


# The journal's kinds whose approval has a receipt (余额查询 has none).
KINDS = ("sale", "void", "refund", "preauth", "preauth_void", "preauth_complete", "bill_payment", "repayment",
         "qr_sale", "qr_order", "qr_void", "qr_refund")
VOIDS = ("void", "qr_void")

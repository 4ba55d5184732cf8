"""Settlement 0500/201, batch upload 0320/201, batch upload end 0320/202 and the chip
transactions' TC upload 0320/203.

The host's totals of a (terminal, batch) follow protocol section 8 to the
letter: debits are the approved sales, pre-authorisation completions, bill
payments and repayments that were neither voided nor reversed (a refunded
sale still counts); credits are the approved refunds not reversed. Voids,
pre-authorisations and inquiries never count. The host's foreign half is
zeros. QR payments (section 13) count as card ones: a debit per order of the
batch that is paid (at once or later: the batch's open orders are first brought
up to the settlement's time; refunded or not), neither voided nor reversed, as
its qr_sale (60.1 70) or qr_order (71); a credit per approved qr_refund (75)
not reversed.

A settlement compares the host's totals with the terminal's and answers
field 48 with the host's figures and, per half, 1 balanced or 2 not balanced.
Balanced, the batch is settled at once; not balanced, it waits for the batch
upload, and the upload end settles it on the terminal's figures, noting how
the uploaded items differ from the host's records. A settled batch stays
settled: a later 0500 for it is answered from the stored figures and changes
nothing. A batch upload or upload end for a batch with no 0500 is 12.

A TC upload (IC卡TC上送) brings the TC of a chip transaction's second GENERATE AC,
which the host never saw (the request carried the ARQC). Its original is this
terminal's approved, not reversed, request of 61.1 batch and 61.2 trace of a
type that carries an ARQC (else 25, as for an original without one: a
magstripe transaction has no TC); the TC must be the card's over what its
second GENERATE AC had (`emv.verify_tc`), else A7 and nothing is stored;
then it is the original's `tc`, 00. It needs no settlement and moves nothing.
"""

from . import emv, fields, qrpay, spec
from .context import (APPROVED, CURRENCY_CNY, FORMAT_ERROR, INVALID_TRANSACTION, NO_ORIGINAL,
                      SECURITY_FAILURE, Reply, card_data)

DEBIT_TYPES = ("sale", "preauth_complete", "bill_payment", "repayment")
DEBIT_STATES = ("approved", "refunded")
CREDIT_TYPES = ("refund", "qr_refund")
CREDIT_STATES = ("approved",)
UPLOAD_ECHO = (11, 41, 42, 48, 60)
UPLOAD_COMMON = (12, 13)
TC_ECHO = (11, 41, 42, 60)
# Types whose chip request carries the card's ARQC, so its second GENERATE AC gave a TC.
WITH_TC = tuple(name for name, t in spec.TRANSACTIONS.items() if t.arqc)


def batch_records(context, terminal_id, batch):
    """-> (the batch's approved transactions, its paid QR payments as {type, trace, amount_fen}),
    its open QR orders first brought up to now."""
    store = context.store
    store.qr_orders_now(terminal_id, batch, context.now)
    paid = [{"type": qrpay.KIND_TYPES[o["kind"]], "trace": o["trace"], "amount_fen": o["amount_fen"]}
            for o in store.paid_qr_orders(terminal_id, batch)]
    return store.batch_transactions(terminal_id, batch), paid


def counted(rows, qr_paid):
    """The batch's approved transactions and its paid QR payments -> (debits, credits) the totals
    count."""
    debits = [r for r in rows if r["type"] in DEBIT_TYPES and r["state"] in DEBIT_STATES] + qr_paid
    credits = [r for r in rows if r["type"] in CREDIT_TYPES and r["state"] in CREDIT_STATES]
    return debits, credits


def host_totals(rows, qr_paid):
    debits, credits = counted(rows, qr_paid)
    return fields.Totals(sum(r["amount_fen"] for r in debits), len(debits),
                         sum(r["amount_fen"] for r in credits), len(credits))


def _stored_host_totals(settlement):
    return fields.Totals(settlement["host_debit_fen"], settlement["host_debit_count"],
                         settlement["host_credit_fen"], settlement["host_credit_count"])


def _code(host, terminal):
    return fields.BALANCED if host == terminal else fields.NOT_BALANCED


def settle(context):
    request = context.request
    answer = context.answer("0510", (11, 41, 42, 49, 60, 63))
    answer[15] = context.now.strftime("%m%d")
    refused, mak = context.guard(answer)
    if refused is not None:
        return refused
    try:
        if request.get(49, CURRENCY_CNY) != CURRENCY_CNY:
            raise spec.WireError("currency %r" % request.get(49))
        domestic, _, foreign, _ = fields.decode_settlement(request.get(48, ""))
    except spec.WireError:
        answer[39] = FORMAT_ERROR
        return Reply(answer, mak=mak, authentic=True)
    terminal_id, batch, _, _ = context.key
    settlement = context.store.settlement(terminal_id, batch)
    settled = settlement is not None and settlement["state"] == "settled"
    if settled:
        host = _stored_host_totals(settlement)
    else:
        host = host_totals(*batch_records(context, terminal_id, batch))
    domestic_code = _code(host, domestic)
    foreign_code = _code(fields.ZERO_TOTALS, foreign)
    if not settled:
        context.store.save_settlement(
            terminal_id, batch, host, domestic, request[48][31:61],
            domestic_code == foreign_code == fields.BALANCED, context.when)
    answer[48] = fields.encode_settlement(host, domestic_code, fields.ZERO_TOTALS, foreign_code)
    answer[39] = APPROVED
    return Reply(answer, mak=mak, authentic=True)


def _batch_message(context, decode):
    """-> (Reply, what field 48 says, the batch's settlement); the last two are
    None when the message is refused."""
    answer = context.answer("0330", UPLOAD_ECHO, UPLOAD_COMMON)
    refused, mak = context.guard(answer)
    if refused is not None:
        return refused, None, None
    reply = Reply(answer, mak=mak, authentic=True)
    try:
        decoded = decode(context.request.get(48, ""))
    except spec.WireError:
        answer[39] = FORMAT_ERROR
        return reply, None, None
    settlement = context.store.settlement(*context.key[:2])
    answer[39] = APPROVED if settlement is not None else INVALID_TRANSACTION
    return reply, decoded, settlement


def upload(context):
    reply, items, settlement = _batch_message(context, fields.decode_upload)
    if settlement is not None:
        context.store.add_uploads(settlement["id"], items, context.when)
    return reply


def upload_end(context):
    reply, declared, settlement = _batch_message(context, fields.decode_upload_end)
    if settlement is not None:
        rows, qr_paid = batch_records(context, settlement["terminal_id"], settlement["batch"])
        note = differences(context.store.uploads(settlement["id"]), rows, declared, qr_paid)
        context.store.end_upload(settlement["id"], declared, note, context.when)
    return reply


def tc_upload(context):
    answer = context.answer("0330", TC_ECHO, UPLOAD_COMMON)
    refused, mak = context.guard(answer)
    if refused is not None:
        return refused
    reply = Reply(answer, mak=mak, authentic=True)
    try:
        batch, trace, _ = fields.split_field61(context.request.get(61, ""))
        uploaded = emv.decode(context.request.get(55, b""))
        emv.check_tc_upload(uploaded)
    except spec.WireError:
        answer[39] = FORMAT_ERROR
        return reply
    store = context.store
    original = store.tc_original(context.key[0], batch, trace, WITH_TC)
    tags = emv.loaded(original["icc"]) if original is not None else {}
    if "9F26" not in tags:
        answer[39] = NO_ORIGINAL
        return reply
    pan, card_sequence = _card_of(store, original)
    if pan is None or not emv.verify_tc(store.issuer_key(), pan, card_sequence, tags, uploaded):
        answer[39] = SECURITY_FAILURE
        return reply
    store.set_tc(original["id"], uploaded["9F26"].hex().upper())
    answer[39] = APPROVED
    return reply


def _card_of(store, original):
    """(PAN, field 23) of the original request, as its ARQC was verified with; (None, None)
    when the host cannot tell."""
    payload = store.request_payload(original)
    if payload is None:
        return None, None
    request = spec.decode_body(spec.split_message(payload)[2])
    pan, _ = card_data(request)
    return (pan, request[23]) if pan is not None and 23 in request else (None, None)


def differences(uploads, rows, declared, qr_paid):
    """How the uploaded items differ from the host's counted records, as one line."""
    debits, credits = counted(rows, qr_paid)
    host = {(spec.TRANSACTIONS[r["type"]].type_code, r["trace"]): r["amount_fen"]
            for r in debits + credits}
    terminal = {(u["type_code"], u["trace"]): u["amount_fen"] for u in uploads}
    notes = ["not on the host: %s/%s %d fen" % (k + (terminal[k],))
             for k in sorted(terminal.keys() - host.keys())]
    notes += ["not uploaded: %s/%s %d fen" % (k + (host[k],))
              for k in sorted(host.keys() - terminal.keys())]
    notes += ["amount differs: %s/%s host %d fen, terminal %d fen" % (k + (host[k], terminal[k]))
              for k in sorted(host.keys() & terminal.keys()) if host[k] != terminal[k]]
    if declared != len(uploads):
        notes.append("upload end counts %d, %d items uploaded" % (declared, len(uploads)))
    return "; ".join(notes) or "uploads match the host's records"

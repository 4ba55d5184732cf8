"""Bill inquiry 0100/60 and payment 0200/61; repayment inquiry 0100/62 and
credit card repayment 0200/63. Field 62 is TLV both ways (protocol section 8).

A payment is a sale to the biller: the card and PIN checks and the funds
check of a sale, then the biller's (`biller.pay`: D4, D1, D2, D3). A
repayment takes the amount from a debit card (57 for a credit card) and pays
it on the credit card named by CN (`issuer.credit_account`: 14, 39).
"""

from . import biller, fields, issuer, spec
from .context import APPROVED, Reply
from .payments import FinancialRequest
from .store import masked_pan

HOLDER_MAX = 60  # bytes of UTF-8 in NM and UN


def _bill_request(request):
    """Field 62 of a bill inquiry or payment -> (biller code, account, period or None)."""
    items = fields.decode_tlv(request[62])
    code, account, period = items.get("BC"), items.get("AC"), items.get("PD")
    if not code or account is None or not fields.is_digits(account, 1, 20):
        raise spec.WireError("field 62 has no biller code or account number")
    if period is not None and not fields.is_digits(period, 6, 6):
        raise spec.WireError("PD %r is not YYYYMM" % period)
    return code, account, period


def _credit_card_number(request):
    number = fields.decode_tlv(request[62]).get("CN")
    if number is None or not fields.is_digits(number, 13, 19):
        raise spec.WireError("field 62 has no credit card number")
    return number


def _biller_and_account(store, code, account):
    entry = store.biller(code)
    return entry, (store.bill_account(code, account) if entry is not None else None)


def bill_inquiry(context):
    req = FinancialRequest(context, "bill_inquiry")
    refused = req.refusal(_bill_request)
    if refused is not None:
        return refused
    code, number, _ = req.parsed
    entry, account = _biller_and_account(req.store, code, number)
    result = biller.inquire(entry, account)
    if result == APPROVED:
        req.fields[62] = fields.encode_tlv((
            ("BC", code), ("AC", number),
            ("NM", fields.utf8_prefix(account["holder"], HOLDER_MAX)),
            ("UN", fields.utf8_prefix(entry["utility"], HOLDER_MAX)),
            ("DU", fields.amount_text(account["due_fen"])),
            ("PD", account["period"]), ("MD", entry["mode"])))
    req.fields[39] = result
    req.record(bill_account_id=account["id"] if account else None)
    return Reply(req.fields, mak=req.mak, authentic=True)


def bill_payment(context):
    req = FinancialRequest(context, "bill_payment")
    refused = req.refusal(_bill_request)
    if refused is not None:
        return refused
    code, number, period = req.parsed
    entry, account = _biller_and_account(req.store, code, number)
    result = req.verify()  # the amount is the biller's to judge: D3 under 1 fen
    if result == APPROVED:
        result = req.funds(req.amount)
    payment = None
    if result == APPROVED:
        payment = biller.pay(entry, account, req.amount, period)
        result = payment.response_code
    if result == APPROVED:
        req.store.move(req.card_id, -req.amount)
        req.store.add_due(account["id"], -payment.paid_fen)
        req.fields[62] = fields.encode_tlv((("BC", code), ("AC", number)))
    return req.finish(result, bill_account_id=account["id"] if account else None,
                      due_paid_fen=payment.paid_fen if result == APPROVED else None)


def repay_inquiry(context):
    req = FinancialRequest(context, "repay_inquiry")
    refused = req.refusal(_credit_card_number)
    if refused is not None:
        return refused
    card = req.store.card(req.parsed)
    result = issuer.credit_account(card)
    if result == APPROVED:
        req.fields[62] = fields.encode_tlv((
            ("BK", card["bank"]), ("DU", fields.amount_text(card["bill_due_fen"] or 0))))
    req.fields[39] = result
    req.transaction_id = context.record(
        req.name, req.fields, None, card_id=card["id"] if card else None,
        masked=masked_pan(req.parsed))
    return Reply(req.fields, mak=req.mak, authentic=True)


def repayment(context):
    req = FinancialRequest(context, "repayment")
    refused = req.refusal(_credit_card_number)
    if refused is not None:
        return refused
    result = req.verify(req.amount)
    if result == APPROVED and req.card["kind"] == "credit":
        result = issuer.NOT_PERMITTED
    if result == APPROVED:
        result = req.funds(req.amount)
    credit_card = req.store.card(req.parsed)
    if result == APPROVED:
        result = issuer.credit_account(credit_card)
    repaid = None
    if result == APPROVED:
        repaid = issuer.repay(credit_card, req.amount)
        req.store.move(req.card_id, -req.amount)
        req.store.move(credit_card["id"], req.amount)
        req.store.add_bill_due(credit_card["id"], -repaid.paid_fen)
        req.fields[62] = fields.encode_tlv((("BK", credit_card["bank"]),))
    return req.finish(result, credit_card_id=credit_card["id"] if credit_card else None,
                      due_paid_fen=repaid.paid_fen if repaid else None)

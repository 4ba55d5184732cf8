"""Biller simulator: the gas, water and electricity bills behind bill payment.

Pure: a biller and one of its accounts (mappings, or None when not on file)
and the request in, a decision out. Billers and accounts come from the
"billers" list of testdata.json. The first failing check answers:

  D4 biller code not served            D1 account unknown to that biller
  D2 nothing due, or a period other than the open one (already paid)
  D3 mode E: an amount other than the amount due; any mode: under 1 fen
  00 the amount due goes down by the payment, never below 0; at 0 the
     bill is paid (mode A takes any amount of at least 1 fen, more than
     the amount due too)

A payment reversed or voided gives back exactly what it paid off the bill.
"""

import collections

APPROVED = "00"
UNKNOWN_ACCOUNT = "D1"
ALREADY_PAID = "D2"
WRONG_AMOUNT = "D3"
UNKNOWN_BILLER = "D4"

EXACT = "E"
ANY_AMOUNT = "A"
MODES = (EXACT, ANY_AMOUNT)

# due_fen: the account's amount due after the payment; paid_fen: how much of
# the bill the payment paid off (at most the amount due).
Payment = collections.namedtuple("Payment", "response_code due_fen paid_fen")


def inquire(biller, account):
    """The response code of a bill inquiry."""
    if biller is None:
        return UNKNOWN_BILLER
    if account is None:
        return UNKNOWN_ACCOUNT
    return APPROVED


def is_paid(due_fen):
    return due_fen <= 0


def pay(biller, account, amount_fen, period=None):
    """-> Payment. period: the request's PD, or None when it sent none."""
    code = inquire(biller, account)
    if code != APPROVED:
        return Payment(code, None, 0)
    due = account["due_fen"]
    if is_paid(due) or (period is not None and period != account["period"]):
        return Payment(ALREADY_PAID, due, 0)
    if amount_fen < 1 or (biller["mode"] == EXACT and amount_fen != due):
        return Payment(WRONG_AMOUNT, due, 0)
    paid = min(amount_fen, due)
    return Payment(APPROVED, due - paid, paid)

"""Issuer simulator: the authorisation decisions on the test cards.

Pure: the card's state and the request in, a decision with the card's new
state out. `verify_card` makes the checks every card transaction shares, in
this order, the first that fails answers:

  13 amount is zero          14 card not on file       41/54 card's own answer
  54 expired (card record, field 14 or track 2)        75 PIN locked
  55 no or wrong PIN (the 3rd wrong PIN in a row on one day answers 75)

`funds` is the funds check, `take` applies it to a verified card and
`authorise_sale` is both:

  51 amount above balance (debit) or available limit (credit)
  00 approved: the amount leaves the balance / available limit

A PIN-locked card answers 75 to every sale, even with the right PIN, until
the next day or `python -m tools.acquirer unlock`. A right PIN resets the count.
A type without a PIN (refund) skips the PIN lock and the PIN check.

A repayment pays a credit card's bill (`credit_account`, `repay`): 14 not
on file, 39 not a credit card; the bill goes down by the amount (not below
0) and the available limit up by it.
"""

import collections
import hashlib
import hmac
import os

APPROVED = "00"
INVALID_AMOUNT = "13"
INVALID_CARD = "14"
EXPIRED = "54"
WRONG_PIN = "55"
PIN_TRIES_EXCEEDED = "75"
INSUFFICIENT_FUNDS = "51"
NO_CREDIT_ACCOUNT = "39"
NOT_PERMITTED = "57"

PIN_TRIES = 3

Decision = collections.namedtuple(
    "Decision", "response_code available_fen pin_failures pin_failure_day")
# A repayment on the credit card: its new bill, and how much of the bill it
# paid (what a reversal puts back). The available limit goes up by the amount.
Repayment = collections.namedtuple("Repayment", "bill_due_fen paid_fen")

# Bank name in the test data -> (CUP institution code, ASCII short name).
_ISSUERS = {
    "工商银行": ("01020000", "ICBC"),
    "农业银行": ("01030000", "ABC"),
    "中国银行": ("01040000", "BOC"),
    "建设银行": ("01050000", "CCB"),
    "交通银行": ("03010000", "BOCOM"),
    "招商银行": ("03080000", "CMB"),
    "广发银行": ("03060000", "CGB"),
}
UNKNOWN_ISSUER = ("00000000", "")


def issuer_of(chinese_name):
    """A bank's CUP institution code and ASCII short name."""
    return _ISSUERS.get(chinese_name, UNKNOWN_ISSUER)


def pin_record(pin):
    """-> (salt hex, hash hex): the issuer keeps a salted hash, not the PIN."""
    salt = os.urandom(16)
    return salt.hex(), _pin_hash(salt, pin)


def _pin_hash(salt, pin):
    return hashlib.sha256(salt + pin.encode("ascii")).hexdigest()


def pin_matches(card, pin):
    expected = card["pin_hash"]
    actual = _pin_hash(bytes.fromhex(card["pin_salt"]), pin)
    return hmac.compare_digest(expected, actual)


def is_expired(yymm, today):
    """YYMM before this month (or not a month at all) is expired."""
    if len(yymm) != 4 or not yymm.isdigit() or not 1 <= int(yymm[2:]) <= 12:
        return True
    return yymm < today.strftime("%y%m")


def pin_failures_today(card, today):
    if card["pin_failure_day"] != today.isoformat():
        return 0
    return card["pin_failures"]


def verify_card(card, amount_fen, expiries, pin, today, pin_required=True):
    """-> Decision (00: the card may be used; the balance is untouched).

    card: a cards row (mapping) or None; amount_fen: None when the type has
    no amount; expiries: YYMM strings from the request; pin: the clear PIN,
    None if no PIN block came, "" if the block did not decode; today: a date.
    Its card state is None when card is None."""
    zero_amount = amount_fen is not None and amount_fen <= 0
    if card is None:
        return Decision(INVALID_AMOUNT if zero_amount else INVALID_CARD, None, None, None)
    failures = pin_failures_today(card, today)
    day = card["pin_failure_day"] if failures else None
    available = card["available_fen"]

    def decline(code):
        return Decision(code, available, failures, day)

    if zero_amount:
        return decline(INVALID_AMOUNT)
    if card["forced_response"]:
        return decline(card["forced_response"])
    if any(is_expired(yymm, today) for yymm in (card["expiry"],) + tuple(expiries)):
        return decline(EXPIRED)
    if not pin_required:
        return Decision(APPROVED, available, failures, day)
    if failures >= PIN_TRIES:
        return decline(PIN_TRIES_EXCEEDED)
    if pin is None:
        return decline(WRONG_PIN)
    if not pin or not pin_matches(card, pin):
        failures += 1
        day = today.isoformat()
        return decline(PIN_TRIES_EXCEEDED if failures >= PIN_TRIES else WRONG_PIN)
    return Decision(APPROVED, available, 0, None)


def funds(available_fen, amount_fen):
    """51 when amount_fen is above the balance / available limit, else 00."""
    return INSUFFICIENT_FUNDS if amount_fen > available_fen else APPROVED


def take(decision, amount_fen):
    """A verified card pays amount_fen: 51 above its balance / available limit."""
    if decision.response_code != APPROVED:
        return decision
    code = funds(decision.available_fen, amount_fen)
    if code != APPROVED:
        return decision._replace(response_code=code)
    return decision._replace(available_fen=decision.available_fen - amount_fen)


def authorise_sale(card, amount_fen, expiries, pin, today):
    """-> Decision of a sale: verify_card, then take the amount."""
    return take(verify_card(card, amount_fen, expiries, pin, today), amount_fen)


def credit_account(card):
    """The response code for a card to be repaid: 14 not on file, 39 not credit."""
    if card is None:
        return INVALID_CARD
    if card["kind"] != "credit":
        return NO_CREDIT_ACCOUNT
    return APPROVED


def repay(card, amount_fen):
    """-> Repayment: the bill goes down by the amount (not below 0), the limit up."""
    due = card["bill_due_fen"] or 0
    paid = min(amount_fen, due)
    return Repayment(due - paid, paid)

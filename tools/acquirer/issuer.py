"""Issuer simulator: the authorisation decision for one sale on one test card.

Pure: the card's state and the request in, a decision with the card's new
state out. Checks run in this order, the first that fails answers:

  13 amount is zero          14 card not on file       41/54 card's own answer
  54 expired (card record, field 14 or track 2)        75 PIN locked
  55 no or wrong PIN (the 3rd wrong PIN in a row on one day answers 75)
  51 amount above balance (debit) or available limit (credit)
  00 approved: the amount leaves the balance / available limit

A PIN-locked card answers 75 to every sale, even with the right PIN, until
the next day or `python -m tools.acquirer unlock`. A right PIN resets the count.
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

PIN_TRIES = 3

Decision = collections.namedtuple(
    "Decision", "response_code available_fen pin_failures pin_failure_day")

# Bank name in the test data -> (CUP institution code, ASCII short name).
_ISSUERS = {
    "工商银行": ("01020000", "ICBC"),
    "农业银行": ("01030000", "ABC"),
    "中国银行": ("01040000", "BOC"),
    "建设银行": ("01050000", "CCB"),
    "交通银行": ("03010000", "BOCOM"),
    "招商银行": ("03080000", "CMB"),
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


def authorise_sale(card, amount_fen, expiries, pin, today):
    """-> Decision; its card state is None when card is None.

    card: a cards row (mapping) or None; expiries: YYMM strings from the
    request; pin: the clear PIN, None if no PIN block came, "" if the block
    did not decode; today: a date."""
    if card is None:
        return Decision(INVALID_AMOUNT if amount_fen <= 0 else INVALID_CARD, None, None, None)
    failures = pin_failures_today(card, today)
    day = card["pin_failure_day"] if failures else None
    available = card["available_fen"]

    def decline(code):
        return Decision(code, available, failures, day)

    if amount_fen <= 0:
        return decline(INVALID_AMOUNT)
    if card["forced_response"]:
        return decline(card["forced_response"])
    if any(is_expired(yymm, today) for yymm in (card["expiry"],) + tuple(expiries)):
        return decline(EXPIRED)
    if failures >= PIN_TRIES:
        return decline(PIN_TRIES_EXCEEDED)
    if pin is None:
        return decline(WRONG_PIN)
    if not pin or not pin_matches(card, pin):
        failures += 1
        day = today.isoformat()
        return decline(PIN_TRIES_EXCEEDED if failures >= PIN_TRIES else WRONG_PIN)
    failures, day = 0, None
    if amount_fen > available:
        return decline(INSUFFICIENT_FUNDS)
    return Decision(APPROVED, available - amount_fen, failures, day)

"""Wallet simulator: the wallets behind QR payments (微信 WX, 支付宝 ZF, 云闪付 UP), protocol section 13.

Pure: a payment code or an order (mappings), the test data's entry for it and a time in, a
decision out. The one exception is `phone_pays`, the customer's phone, which acts on the store
it is given in a transaction of its own (a phone is not a terminal: nothing of it is a message).

A payment code is 16-24 digits; its first two name its wallet (10-15 WX, 25-30 ZF, 62 UP). The
test codes and the test phone wallets are the store's (seeded from tools/testdata/qrpay.json, the
codes kept as SHA-256 only), each with a behaviour:

  pays        paid at once (00)
  confirms    the customer confirms on the phone (password): Q1, paid CONFIRM_S (8 s) later
  no_funds    the wallet cannot pay: 51; a dynamic order stays open for another wallet
  expired     (codes only) an expired code: Q3

A code not among the test codes, or of no wallet, is Q3. An order stays open ORDER_OPEN_S (300 s).
What happens to an order later is decided when someone looks, against the time they give
(`overdue`): a payment due at pay_at has happened once pay_at has come, if that was before the
order's end; an order past its end unpaid is closed.
"""

import collections
import datetime
import hashlib
import secrets

APPROVED = "00"
NO_FUNDS = "51"
WAITING = "Q1"            # 等待用户支付: the customer is still confirming on the phone
CLOSED = "Q2"             # the order closed unpaid: expired, cancelled or reversed
BAD_CODE = "Q3"           # a payment code unknown, expired or used before
PAID_BEFORE = "Q4"        # a cancel came after the payment: it stands

WALLETS = ("WX", "ZF", "UP")
PAYS, CONFIRMS, CANNOT_PAY, EXPIRED = "pays", "confirms", "no_funds", "expired"
CODE_BEHAVIOURS = (PAYS, CONFIRMS, CANNOT_PAY, EXPIRED)
PHONE_BEHAVIOURS = (PAYS, CONFIRMS, CANNOT_PAY)

ORDER_OPEN_S = 300
CONFIRM_S = 8
CODE_MIN, CODE_MAX = 16, 24
QR_BASE_MAX = 64           # bytes of QB
ORDER_PATH = "o/"          # a dynamic order's text: QB + o/ + its order number
MERCHANT_PATH = "m/"       # a merchant's static 收款码: QB + m/ + its merchant id

# Order states (schema.QR_ORDER_STATES); paid and voided orders were paid (a voided one has given
# it all back).
PENDING, PAID, ORDER_CLOSED, DECLINED, VOIDED, REVERSED = (
    "pending", "paid", "closed", "declined", "voided", "reversed")
WERE_PAID = (PAID, VOIDED)

# The phone's results.
PHONE_PAID = "paid"
PHONE_CONFIRMING = "confirming"
PHONE_NO_FUNDS = "no funds"
PHONE_EXPIRED = "expired"
PHONE_CLOSED = "closed"
PHONE_ALREADY_PAID = "already paid"
PHONE_UNKNOWN_CODE = "unknown code"
PHONE_UNKNOWN_WALLET = "unknown wallet"

# response_code: the wallet's answer to a payment code; state: the order it makes (None: none);
# pay_at: when the payment happens (now, later, or None: never).
Decision = collections.namedtuple("Decision", "response_code state wallet pay_at")


def wallet_of(code):
    """The wallet a payment code's first two digits name, or None."""
    if not is_payment_code(code):
        return None
    prefix = int(code[:2])
    if 10 <= prefix <= 15:
        return "WX"
    if 25 <= prefix <= 30:
        return "ZF"
    return "UP" if prefix == 62 else None


def is_payment_code(text):
    return CODE_MIN <= len(text) <= CODE_MAX and text.isascii() and text.isdigit()


def digest(code):
    """How the host keeps a payment code: its SHA-256, hex."""
    return hashlib.sha256(code.encode("ascii")).hexdigest()


def masked(code):
    """The first 6 and last 4 digits, the rest '*' (as the terminal's journal and slip keep it)."""
    return code[:6] + "*" * (len(code) - 10) + code[-4:]


def approval_code():
    return "%06d" % secrets.randbelow(1000000)


def iso(when):
    return when.isoformat(timespec="seconds")


def _time(text):
    return datetime.datetime.fromisoformat(text)


def present(entry, code, now):
    """The wallet's answer to a payment code presented at now -> Decision. entry: the test code's
    (wallet, behaviour), or None when the code is not one."""
    wallet = wallet_of(code)
    if wallet is None or entry is None or entry["behaviour"] == EXPIRED:
        return Decision(BAD_CODE, None, wallet, None)
    if entry["behaviour"] == PAYS:
        return Decision(APPROVED, PAID, wallet, now)
    if entry["behaviour"] == CONFIRMS:
        return Decision(WAITING, PENDING, wallet, now + datetime.timedelta(seconds=CONFIRM_S))
    return Decision(NO_FUNDS, DECLINED, wallet, None)


def order_end(now):
    return now + datetime.timedelta(seconds=ORDER_OPEN_S)


def overdue(order, now):
    """What has happened by now to an order last seen pending: {column: value} to write, or None."""
    if order["state"] != PENDING:
        return None
    end = _time(order["expires"])
    pay_at = _time(order["pay_at"]) if order["pay_at"] else None
    if pay_at is not None and pay_at <= now and pay_at < end:
        return {"state": PAID, "paid_at": order["pay_at"], "auth_code": approval_code()}
    if now >= end:
        return {"state": ORDER_CLOSED, "note": "expired unpaid"}
    return None


def phone_decision(order, phone, now):
    """A phone with the test wallet phone (wallet, behaviour, name) paying an order as it stands at
    now -> (the phone's result, {column: value} to write or None)."""
    state = order["state"]
    if state in WERE_PAID:
        return PHONE_ALREADY_PAID, None
    if state != PENDING:
        return (PHONE_EXPIRED if now >= _time(order["expires"]) else PHONE_CLOSED), None
    if phone["behaviour"] == CANNOT_PAY:
        return PHONE_NO_FUNDS, None
    if phone["behaviour"] == PAYS:
        return PHONE_PAID, {"state": PAID, "paid_at": iso(now), "auth_code": approval_code(),
                            "wallet": phone["wallet"], "payer": phone["name"]}
    if order["pay_at"]:
        return PHONE_CONFIRMING, None          # a confirmation under way: the first one stands
    pay_at = now + datetime.timedelta(seconds=CONFIRM_S)
    return PHONE_CONFIRMING, {"pay_at": iso(pay_at), "wallet": phone["wallet"], "payer": phone["name"]}


def order_text(qr_base, order_no):
    return qr_base + ORDER_PATH + order_no


def order_number_in(text):
    """The order number a dynamic order's text ends with (after the last o/), or None."""
    head, sep, number = text.rpartition("/" + ORDER_PATH)
    if not sep or not head or not number.isascii() or not number.isalnum() or len(number) > 32:
        return None
    return number


def check_testdata(data):
    """qrpay.json: ValueError unless every code is a payment code of the wallet its prefix names
    and every behaviour is known."""
    for entry in data["codes"]:
        code = entry["code"]
        if wallet_of(code) is None or wallet_of(code) != entry["wallet"]:
            raise ValueError("payment code %s is not of wallet %s" % (masked(code), entry["wallet"]))
        if entry["behaviour"] not in CODE_BEHAVIOURS:
            raise ValueError("payment code %s: no behaviour %r" % (masked(code), entry["behaviour"]))
    for phone in data["phone_wallets"]:
        if not phone["name"] or phone["wallet"] not in WALLETS or phone["behaviour"] not in PHONE_BEHAVIOURS:
            raise ValueError("phone wallet %r is not a name, a wallet and a behaviour" % (phone,))


# -- the customer's phone ------------------------------------------------------------------------

def phone_pays(store, text, wallet_name, now):
    """The customer's phone reads text (a QR code) and pays it with the test wallet wallet_name at
    now (a naive local datetime) -> the result: "paid", "confirming" (wallet_slow: paid 8 s later),
    "no funds", "expired", "closed", "already paid" (charging nothing: idempotent by order
    number), "unknown code", "unknown wallet", or for a merchant's static code "static code: ...".

    Commits in a transaction of its own (run again when it loses a race to the host), so it is
    safe while an acquirer serves the same store."""
    def pay():
        phone = store.qr_phone_wallet(wallet_name)
        if phone is None:
            return PHONE_UNKNOWN_WALLET
        number = order_number_in(text)
        order = store.qr_order_by_number(number) if number is not None else None
        if order is None or order["qr_text"] != text:
            return _static_or_unknown(store, text)
        order = store.qr_order_now(order, now)
        result, changes = phone_decision(order, phone, now)
        if changes is not None:
            store.update_qr_order(order["id"], order["state"], **changes)
        return result
    return store.retrying(pay)


def _static_or_unknown(store, text):
    terminal = store.terminal_of_static_code(text, MERCHANT_PATH)
    if terminal is None:
        return PHONE_UNKNOWN_CODE
    return ("static code: merchant %s %s; the customer keys the amount on the phone, outside any "
            "terminal's batch (not paid here)" % (terminal["merchant_id"], terminal["merchant_name"]))

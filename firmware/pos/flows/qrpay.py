"""扫码: QR payments both ways (docs/protocol.md section 13).

扫码消费 (B scans C): 金额 → 请扫描付款码 (the scanner reads the customer's payment code; it may
be keyed too) → qr_sale, the code in field 62. The answer approves, declines, or leaves the order
open (Q1: the customer confirms on the phone): then 等待用户支付, and a qr_query at 2, 4, 8, 16 s...
after the sale until SALE_WAIT seconds have passed, then a qr_cancel.

收款码 (C scans B): 金额 → qr_order → its code on the screen (printed on request with ENTER, and at
once on a board that cannot show it) → a qr_query every ORDER_POLL seconds until it is paid,
closed, its EX seconds are over, or the merchant cancels (CANCEL); then a qr_cancel.

A payment is a financial request of the money path (pos.flows.online): its reversal is armed
before it leaves and stays armed while its order is open, so a power cut or a cancel without an
answer leaves it to the 0400, which closes the order and, had it been paid, gives the money back.
After a power cut the idle screen's first act is `resume` (QR_DUE): the host is asked about the
order before anything else, and the payment concluded as the host says.

The payment code is a bearer token: it lives in the request's fields only (a reversal never carries
field 62), the journal and the slip keep it masked. 静态收款码 prints the merchant's static code.
"""
from pos import cup, message, rescodes, tlv
from pos.engine import Connect, Effect, Show
from pos.flows import online, reversal
from pos.flows.common import ask_amount, notice
from pos.i18n import t
from pos.menu import DONE
from pos.money import amount_field
from pos.results import CANCEL, OK
from pos.screen import Screen

CODE_MIN = 16
CODE_MAX = 24
SCAN_WAIT = 60                      # seconds 请扫描付款码 waits
FIRST_POLL = 2                      # B scans C: the first query this long after the answer, then doubling
SALE_WAIT = 60                      # ... and the cancel once this long has passed
ORDER_POLL = 2                      # C scans B: seconds between two queries
ORDER_LIFE = 300                    # ... an order's life when its answer names none (EX)
MAX_TEXT = 200                      # bytes of a QR text the terminal takes (a version 10 symbol holds 213)
STATIC_PATH = "m/"


class Scan(Effect):
    """请扫描付款码: the scanner reads while this waits. Result: ("scan", text), ("scan_error",
    why), ("keyed", digits) from the manual editor, CANCEL or TIMEOUT. Defined here, not in
    pos.engine: the idle heap never holds it."""
    takes_scan = True

    def __init__(self, screen, timeout, manual):
        self.screen = screen
        self.timeout = timeout
        self.editor = manual


def masked(code):
    """A payment code as the journal and the slip keep it: the first 6 and last 4 digits."""
    return code[:6] + "*" * (len(code) - 10) + code[-4:]


def run(app, state):
    if state == "qr_scan":
        yield from scan_sale(app)
    elif state == "qr_show":
        yield from show_order(app)
    elif state == "qr_static":
        yield from static_code(app)
    else:
        yield from resume(app)
    return DONE


# -- B scans C ---------------------------------------------------------------

def read_code(app, title, lines):
    """The customer's payment code, scanned or keyed; None when the merchant gave up."""
    from pos.editors import DigitsEditor
    while True:
        got = yield Scan(Screen(title, list(lines) + [t("scan_code")], t("scan_hint")), SCAN_WAIT,
                         DigitsEditor(CODE_MIN, CODE_MAX))
        if type(got) is not tuple:
            return None
        code = got[1] if got[0] in ("scan", "keyed") else ""
        if CODE_MIN <= len(code) <= CODE_MAX and code.isdigit():
            return code
        yield from notice(app, title, [t("bad_pay_code")], 5)


def scan_sale(app):
    title = t("qr_sale")
    if not (yield from online.ready(app, title)):
        return
    amount = yield from ask_amount(app, title, t("enter_amount"))
    if amount is None:
        return
    code = yield from read_code(app, title, [online.amount_line(amount)])
    if code is None:
        return
    values = {4: amount_field(amount), 22: cup.QR_ENTRY, 25: "00", 62: tlv.encode((("QC", code),))}
    record = online.new_record(app, "qr_sale", amount)
    record["code"], record["nosig"] = masked(code), 1
    code = None

    def wait(record, fields):
        values.pop(62)              # the code is spent: gone from the heap too
        if fields.get(39) != rescodes.QR_PENDING:
            return fields
        screen = Screen(title, [online.amount_line(amount), t("qr_waiting"), t("qr_confirm_on_phone")],
                        t("qr_cancel_hint"))
        return (yield from _await(app, record, title, screen, SALE_WAIT, None))

    yield from online.financial(app, values, record, title, t("approved"), (), _paid_check(record), wait=wait)


# -- C scans B ---------------------------------------------------------------

def show_order(app):
    title = t("qr_show")
    if not (yield from online.ready(app, title)):
        return
    amount = yield from ask_amount(app, title, t("enter_amount"))
    if amount is None:
        return
    values = {4: amount_field(amount), 22: cup.QR_ENTRY, 25: "00"}
    record = online.new_record(app, "qr_order", amount)
    record["nosig"] = 1
    order = {}

    def check(fields):
        items = tlv.decode(fields.get(62) or b"")
        order["text"] = tlv.token(items, "QR", MAX_TEXT)
        order["life"] = int(tlv.digits(items, "EX", 1, 3, False) or ORDER_LIFE)
        record["on"] = tlv.token(items, "ON", 32)

    def wait(record, fields):
        if fields.get(39) != "00":
            return fields
        from pos import qr
        code = qr.encode(order["text"])
        lines = [online.amount_line(amount)]
        screen = Screen(title, lines + [t("qr_show_phone")], t("qr_order_hint"))
        if app.qr_area is None:
            # No code on this screen: the customer scans it on paper.
            screen = Screen(title, lines + [t("qr_scan_slip")], t("qr_cancel_hint"))
            yield from print_code(app, title, code, lines)
        screen.qr = code
        return (yield from _await(app, record, title, screen, order["life"], ORDER_POLL, code))

    yield from online.financial(app, values, record, title, t("approved"), (), check, wait=wait)


def print_code(app, title, code, lines):
    """The code on a slip, for the customer's phone or a counter sign."""
    from pos import receipt
    from pos.flows.printing import print_lines, terminal_info
    yield from print_lines(app, receipt.code_lines(terminal_info(app), title, code, lines), title, [])


def static_code(app):
    """静态收款码: the merchant's own code (QB + m/ + merchant id) shown and, on ENTER, printed."""
    from pos import qr
    title = t("qr_static")
    code = qr.encode(app.settings["qr_base"] + STATIC_PATH + app.merchant_id)
    lines = [app.settings["merchant_name"]]
    screen = Screen(title, lines + [t("qr_static_hint")], t("qr_print_hint"))
    screen.qr = code
    if app.qr_area is None or (yield Show(screen, app.settings["idle_timeout"])) == "ENTER":
        yield from print_code(app, title, code, lines)


# -- the open order ----------------------------------------------------------

def _paid_check(record):
    """check(fields) of an answer that says the payment is paid: field 62's order and wallet into
    the record (raising TlvError, a CodecError, when they do not read)."""
    def check(fields):
        items = tlv.decode(fields.get(62) or b"")
        wallet = tlv.text(items, "WL", 2, False)
        if wallet and wallet not in ("WX", "ZF", "UP"):
            raise tlv.TlvError("wallet %r" % wallet)
        record["wl"] = wallet
        record["on"] = tlv.token(items, "ON", 32, False) or record.get("on", "")
    return check


def _original(record):
    return message.field61(record["batch"], record["trace"], record["date"][4:8])


def _await(app, record, title, screen, life, step, code=None):
    """Query the open order until it is paid or closed, or life seconds have passed (or CANCEL),
    then cancel it. step: seconds between two queries (None: FIRST_POLL, doubling); ENTER prints
    code when there is one. The payment's last answer, or None once the merchant was told it
    stays unclear."""
    start = app.clock()
    end = start + life
    wait = FIRST_POLL if step is None else step
    due = start + wait
    while True:
        now = app.clock()
        if now >= end:
            break
        wait_for = Show(screen, max(1, min(due, end) - now))
        wait_for.takes_held_key = True           # CANCEL or ENTER pressed while a query was out counts
        got = yield wait_for
        if got == CANCEL:
            break
        if got == "ENTER" and code is not None:
            yield from print_code(app, title, code, screen.lines[:1])
        if app.clock() < due:
            continue
        fields = yield from _ask(app, "qr_query", {61: _original(record)}, record, screen)
        if fields is not None and fields.get(39) != rescodes.QR_PENDING:
            return fields
        if step is None:
            wait *= 2               # at 2, 4, 8, 16, 32 s after the answer
            due = start + wait
        else:
            due = app.clock() + step
    return (yield from _cancel(app, record, title))


def _ask(app, kind, values, record, screen):
    """One query or cancel of the order on a connection of its own, showing screen all along: the
    answer's fields, None when none came (or it did not read)."""
    if (yield Connect(screen)) != OK:
        return None
    fields, _why = yield from online.request(app, kind, values, "", None, screen)
    yield from online.hang_up()
    code = fields.get(39) if fields is not None else None
    if code == rescodes.QR_PAID_BEFORE or code == "00" and kind == "qr_query":
        try:
            if fields.get(4) != amount_field(record["amt"]):
                raise tlv.TlvError("paid another amount")
            _paid_check(record)(fields)
        except tlv.TlvError:
            return None
    return fields


def _cancel(app, record, title):
    """qr_cancel: the order closed (the payment's answer Q2, nothing charged) or found paid before
    (Q4: the payment stands, its answer approves). None when the host's answer is not one of these:
    the reversal stays armed and settles it."""
    values = {4: amount_field(record["amt"]), 22: cup.QR_ENTRY, 25: "00", 61: _original(record)}
    fields = yield from _ask(app, "qr_cancel", values, record, Screen(title, [t("qr_cancelling")]))
    code = fields.get(39) if fields is not None else None
    if code == "00":
        fields[39] = rescodes.QR_CLOSED
        return fields
    if code == rescodes.QR_PAID_BEFORE:
        fields[39] = "00"
        return fields
    if code == "25":
        return fields
    yield from notice(app, t("declined"), [t("qr_unclear"), t("reversal_later")])
    return None


def pending(app):
    """The saved reversal of a QR payment whose order may still be open, or None."""
    doc = reversal.pending(app)
    return doc if doc is not None and doc["record"]["k"] in reversal.QR_ORDERS else None


def resume(app):
    """After a power cut with an order open: the host asked first. Paid, the payment is journaled
    and its slips print; still open, it is cancelled; closed, it is journaled declined. A host out
    of reach leaves it to the reversal."""
    doc = pending(app)
    if doc is None:
        return
    record = doc["record"]
    record["st"] = "approved"
    title = t("qr_resume")
    screen = Screen(title, [online.amount_line(record["amt"]), t("qr_asking")])
    fields = yield from _ask(app, "qr_query", {61: _original(record)}, record, screen)
    if fields is None:
        yield from notice(app, title, [t("qr_unclear"), t("reversal_later")])
        return
    if fields.get(39) == rescodes.QR_PENDING:
        fields = yield from _cancel(app, record, title)
        if fields is None:
            return
    yield from online.conclude(app, record, fields, t("approved"))

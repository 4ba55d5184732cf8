"""消费: amount → card → PIN → 0200 (MAC) → 0210 (MAC verified) → journal → slips.

Read top to bottom it is the merchant guide: 请输入金额, 请刷卡, 请输入密码,
then 交易成功 with the authorisation code and two copies, or 交易失败 and why.
"""
from pos import cup, message, clock, rescodes
from pos.editors import AmountEditor, PinEditor
from pos.engine import Ask, ReadCard, CANCEL, TIMEOUT
from pos.flows import reversal
from pos.flows.common import connect, exchange, hang_up, notice, WHY_TEXT
from pos.flows.printing import print_copies
from pos.i18n import t, rc_text
from pos.journal import JournalFull
from pos.money import format_fen, amount_field
from pos.pinblock import encrypt_pin_block
from pos.screen import Screen
from pos.track2 import Track2Error, mask_pan, parse_track2

KIND = "sale"
REVERSAL_REASON = {"timeout": cup.REVERSAL_NO_ANSWER, "broken": cup.REVERSAL_NO_ANSWER,
                   "garbled": cup.REVERSAL_OTHER, "mac": cup.REVERSAL_BAD_MAC}
MAX_CARD_TRIES = 3


def run(app):
    title = t("sale")
    if app.journal.full():
        yield from notice(app, title, [t("journal_full")])
        return "done"
    if not app.signed_in:
        from pos.flows.signin import sign_in
        if not (yield from sign_in(app)):
            return "done"
    timeout = app.settings["idle_timeout"]

    amount = yield Ask(Screen(title, [t("enter_amount")]), AmountEditor(app.settings["max_amount_fen"]), timeout)
    if amount in (CANCEL, TIMEOUT):
        return "done"
    shown = t("amount") + ": RMB " + format_fen(amount)

    card = None
    for _ in range(MAX_CARD_TRIES):
        event = yield ReadCard(Screen(title, [shown, t("swipe_card")]), timeout)
        if event in (CANCEL, TIMEOUT):
            return "done"
        try:
            card = parse_track2(event[1])
            break
        except Track2Error:
            yield from notice(app, title, [t("card_unreadable")], 5)
    if card is None:
        return "done"
    pan, expiry, _service = card
    masked = mask_pan(pan)

    pin = PinEditor()
    entered = yield Ask(Screen(title, [shown, t("card_no") + ": " + masked, t("enter_pin")], t("pin_hint")),
                        pin, timeout)
    if entered in (CANCEL, TIMEOUT):
        pin.clear()
        return "done"
    pin_block = encrypt_pin_block(app.pik, entered, pan)
    pin.clear()

    if not (yield from connect(app, title)):
        return "done"
    if not (yield from reversal.send_pending(app)):
        yield from hang_up()
        yield from notice(app, t("declined"), [t("reversal_failed")])
        return "done"

    trace = app.counters.next_trace()
    batch = app.counters.batch
    values = {
        2: pan, 4: amount_field(amount), 11: "%06d" % trace, 14: expiry, 22: "021", 25: "00", 26: "12",
        35: event[1].strip(";?"), 41: app.terminal_id, 42: app.merchant_id, 49: cup.CURRENCY, 52: pin_block,
        53: cup.SECURITY_CONTROL, "batch": "%06d" % batch,
    }
    day, hms = clock.stamp(app.clock())
    record = {"k": KIND, "st": "approved", "batch": batch, "trace": trace, "amt": amount, "pan": masked,
              "entry": "swipe", "op": app.operator, "date": day, "time": hms}
    mak = app.mak

    def mac_fn(data):
        from pos.mac import cup_ecb_mac
        return cup_ecb_mac(mak, data)

    frame = message.build(cup, KIND, values, mac_fn)
    failed = dict(record)
    failed["st"] = "reversed"
    reversal.arm(app, KIND, values, failed)
    fields, why = yield from exchange(app, KIND, frame,
                                      {11: values[11], 4: values[4], 41: app.terminal_id}, mak, title)
    yield from hang_up()
    if fields is None:
        reversal.set_reason(app, REVERSAL_REASON[why])
        yield from notice(app, t("declined"), [t(WHY_TEXT[why])])
        return "done"
    reversal.clear(app)

    code = fields.get(39, "")
    record["rc"] = code
    record["ref"] = fields.get(37, "")
    if fields.get(13):
        record["date"] = day[0:4] + fields[13]
    if fields.get(12):
        record["time"] = fields[12]
    if not rescodes.is_approved(code):
        record["st"] = "declined"
        _journal(app, record)
        if rescodes.needs_signin(code):
            app.drop_keys()
        yield from notice(app, t("declined"), [rc_text(code), shown])
        return "done"

    record["auth"] = fields.get(38, "")
    record["iss"] = fields.get(63, "")[3:].strip()
    record["acq"] = fields.get(44, "")[11:].strip()
    if not _journal(app, record):
        yield from notice(app, t("approved"), [t("journal_full"), t("auth_no") + ": " + record["auth"]])
        return "done"
    yield from print_copies(app, record)
    yield from notice(app, t("approved"), [shown, t("auth_no") + ": " + record["auth"], masked])
    return "done"


def _journal(app, record):
    try:
        app.journal.append(record)
        return True
    except JournalFull:
        return False

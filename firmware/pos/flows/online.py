"""The money path, owned once, and every other exchange with the host.

`financial` runs every financial request from the merchant's last input to
the result screen; flows only collect inputs and choose screens:

    ready       batch open, room in the journal, signed in (now, if need be)
    link up     connected; a pending reversal goes first
    trace       the next trace number saved before use; 11, 41, 42, 49, 60 filled
    arm         the reversal saved (PAN and expiry sealed) before the request leaves
    exchange    the answer decoded: MTI, echoed 11 / 41 / 4, MAC, the flow's check of its data
    card step   a chip's second GENERATE AC may still turn an approval into a decline
    journal     approved or declined, with the answer's codes; only then the reversal dropped
    after       AFTER_JOURNAL: the slips (and what else comes to follow a journaled answer)
    screen      交易成功 with the amount, or why not

Nothing else writes a financial journal record or a reversal: `send_pending`
(the pending reversal, before any other request) and `journal` live here too.
Requests that move no money go through `inquire` (an inquiry with its own
connection) or `request` (one more message on a link `link_up` opened).
"""
from pos import clock, cup, message, rescodes
from pos.engine import Connect, Disconnect, Exchange
from pos.flows import reversal
from pos.flows.common import notice
from pos.i18n import rc_text, t, tf
from pos.iso8583 import CodecError
from pos.journal import JournalFull
from pos.money import format_fen
from pos.results import OK, TIMEOUT
from pos.screen import Screen

# Why an answer was not taken, what the merchant reads then, and the reason its reversal gives.
NO_ANSWER = "timeout"
BROKEN = "broken"
GARBLED = "garbled"
BAD_MAC = "mac"
WHY_TEXT = {NO_ANSWER: "host_timeout", BROKEN: "link_broken", GARBLED: "bad_answer", BAD_MAC: "bad_mac"}
REVERSAL_REASON = {NO_ANSWER: cup.REVERSAL_NO_ANSWER, BROKEN: cup.REVERSAL_NO_ANSWER,
                   GARBLED: cup.REVERSAL_OTHER, BAD_MAC: cup.REVERSAL_BAD_MAC}
# Kinds whose answer may approve less than was asked (CUP 10): the card paid part, the rest is the merchant's.
PARTIAL = ("sale", "preauth")
PARTIAL_REMARK = "部分承兑 PARTIAL APPROVAL, 请求金额 REQUESTED RMB "


def new_record(app, kind, amount=None, card=None):
    """The journal record of a financial request about to be sent: `financial` fills in the rest."""
    record = {"k": kind, "st": "approved", "op": app.operator}
    if amount is not None:
        record["amt"] = amount
    if card is not None:
        from pos.flows.card import masked
        record["pan"] = masked(card)
        record["entry"] = card["entry"]
        if card.get("fallback"):
            record["fb"] = 1             # a chip card's stripe, its chip unreadable
        s = card.get("emv")
        if s is not None and 0x9F26 in s.t:
            from pos.flows.chip import icc_record
            icc_record(record, s)
    return record


def amount_line(fen):
    return t("amount") + ": RMB " + format_fen(fen)


def signed_in(app):
    """The working keys, signing in now if the terminal holds none; False after telling the merchant."""
    if app.signed_in:
        return True
    from pos.flows.signin import sign_in
    return (yield from sign_in(app))


def ready(app, title):
    """No settlement under way, room in the journal, signed in; False after telling the merchant.
    A flow asks first, before its inputs; `financial` asks again before the request."""
    from pos import store
    if store.load(app.dir, "settle") is not None:
        yield from notice(app, title, [t("settle_first")])
        return False
    if app.journal.full():
        yield from notice(app, title, [t("journal_full")])
        return False
    return (yield from signed_in(app))


def connect(app, title, screen=None):
    """Open the link (showing screen, else 正在连接); on failure tell the merchant and return False."""
    if (yield Connect(screen or Screen(title, [t("connecting")]))) != OK:
        yield from notice(app, t("declined"), [title, t("link_down")])
        return False
    return True


def hang_up():
    yield Disconnect()


def link_up(app, title):
    """For requests on one connection: signed in, link open, no reversal pending. False after
    telling the merchant (and with the link closed)."""
    if not (yield from signed_in(app)):
        return False
    if not (yield from connect(app, title)):
        return False
    if not (yield from send_pending(app)):
        yield from hang_up()
        yield from notice(app, t("declined"), [t("reversal_failed")])
        return False
    return True


def mac_function(key):
    """mac_fn for message.build / parse under the working MAC key."""
    from pos.mac import cup_ecb_mac

    def mac_fn(data):
        return cup_ecb_mac(key, data)
    return mac_fn


def stamp(app, kind, values):
    """The request's header fields: a new trace number (saved before use), terminal, merchant,
    currency and batch where the type has them; the trace number."""
    row = cup.TRANSACTIONS[kind]
    trace = app.counters.next_trace()
    values[11] = "%06d" % trace
    values[41], values[42] = app.terminal_id, app.merchant_id
    if 49 in row[message.FIELDS]:
        values[49] = cup.CURRENCY
    if row[message.TYPE60] is not None and 60 not in values:
        values["batch"] = "%06d" % app.counters.batch
    return trace


def _partial_ok(kind, fields, asked):
    """True for an answer approving part of the amount asked, as the profile's 10 does."""
    got = fields.get(4)
    return (kind in PARTIAL and fields.get(39) == rescodes.PARTIAL_APPROVAL and type(got) is str
            and got.isdigit() and 0 < int(got) < int(asked))


def exchange(app, kind, frame, expect, mac_key=None, title="", check=None, screen=None):
    """Send a request and check its answer.

    Returns (fields, None) for an answer that decoded, carries the expected
    MTI and echoes `expect` (field -> value; field 4 may be less in a partial
    approval of a kind that allows one), whose MAC verified when mac_key is
    given, and that, when it approves, check(fields) (raising CodecError)
    accepts; otherwise (None, why) with why one of WHY_TEXT's. The wait shows screen (else 正在处理
    under title). A host asking
    for re-sign-in drops the keys; one asking for a parameter or an
    application download marks it due.
    """
    answer = yield Exchange(frame, app.settings["host_timeout"], screen or Screen(title, [t("processing")]))
    if not isinstance(answer, (bytes, bytearray)):
        return None, (NO_ANSWER if answer == TIMEOUT else BROKEN)
    try:
        requirement, fields = message.parse(cup, answer, None if mac_key is None else mac_function(mac_key),
                                            message.answer_mti(cup.TRANSACTIONS[kind][message.MTI]))
        for f in expect:
            if fields.get(f) != expect[f] and not (f == 4 and _partial_ok(kind, fields, expect[4])):
                raise CodecError("field %d not echoed" % f, f)
        if check is not None and rescodes.is_approved(fields.get(39, "")):
            check(fields)
    except message.MacError:
        return None, BAD_MAC
    except CodecError:
        return None, GARBLED
    if requirement == cup.PROC_REQ_SIGNIN:
        app.drop_keys()
    elif requirement == cup.PROC_REQ_DOWNLOAD_PARAMS:
        app.params_due = True
    elif requirement in (cup.PROC_REQ_DOWNLOAD_CAPK, cup.PROC_REQ_DOWNLOAD_IC_PARAMS):
        app.icparams_due = True
    elif requirement == cup.PROC_REQ_DOWNLOAD_APP:
        app.update_due = True
    return fields, None


def request(app, kind, values, title, check=None, screen=None):
    """One MACed request of a kind that is never reversed, on the link `link_up` opened:
    (fields, None) or (None, why) as `exchange`."""
    stamp(app, kind, values)
    frame = message.build(cup, kind, values, mac_function(app.mak))
    return (yield from exchange(app, kind, frame, {11: values[11], 41: app.terminal_id}, app.mak, title, check,
                                screen))


def tell_declined(app, fields, lines=()):
    """The decline's reason on the screen; a host that wants a sign-in first gets the keys dropped."""
    code = fields.get(39, "")
    if rescodes.needs_signin(code):
        app.drop_keys()
    yield from notice(app, t("declined"), [rc_text(code)] + list(lines))


def inquire(app, kind, values, title, check=None, lines=()):
    """An inquiry that moves no money (a bill, a card's repayment, the parameters) on a
    connection of its own: the approving answer's fields, or None after telling the merchant."""
    if not (yield from link_up(app, title)):
        return None
    fields, why = yield from request(app, kind, values, title, check)
    yield from hang_up()
    if fields is None:
        yield from notice(app, t("declined"), [t("no_answer" if why in (NO_ANSWER, BROKEN) else WHY_TEXT[why])])
        return None
    if not rescodes.is_approved(fields.get(39, "")):
        yield from tell_declined(app, fields, lines)
        return None
    return fields


def journal(app, record):
    """Append a financial record: the one place that does. False when the journal is full."""
    try:
        app.journal.append(record)
    except JournalFull:
        return False
    return True


def financial(app, values, record, title, done=None, lines=(), check=None, card_step=None, wait=None):
    """Send the financial request record["k"] with values (its own fields; 11, 41, 42, 49, 60
    come from here) and see it through to the journal, the slips and the result screen.

    record: from new_record(), with what the flow adds for its kind. done: the result screen's
    title (None: no slips and no result screen, the flow shows its own, as 余额查询 does);
    lines: the flow's lines under the amount. check(fields) checks an approval's data (raising
    CodecError: the answer is garbled). card_step(fields) (a generator function) gives the
    answer to the card, whatever it was (fields None: no answer came), and returns the card's say
    on an approval: None, or the reversal reason of a card that declines it. wait(record, fields)
    (a generator function; QR payments) takes a valid answer that may leave the payment open and
    sees it through: it returns the payment's last answer, or None once it told the merchant the
    payment stays unclear (its reversal armed, as for a request without an answer).

    Returns the approving answer's fields, or None once the merchant was told why not.
    """
    kind = record["k"]
    row = cup.TRANSACTIONS[kind]
    if not (yield from ready(app, title)) or not (yield from link_up(app, title)):
        return None
    record["trace"], record["batch"] = stamp(app, kind, values), app.counters.batch
    day, hms = clock.stamp(app.clock())
    record["date"], record["time"] = day, hms
    if row[message.REVERSED]:
        reversal.arm(app, kind, values, record)
    expect = {11: values[11], 41: app.terminal_id}
    if 4 in values:
        expect[4] = values[4]
    fields, why = yield from exchange(app, kind, message.build(cup, kind, values, mac_function(app.mak)), expect,
                                      app.mak, title, check)
    expect = None
    yield from hang_up()
    card_says = None
    if card_step is not None:
        card_says = yield from card_step(fields)
    if fields is not None and wait is not None:
        fields = yield from wait(record, fields)
        if fields is None:
            return None
    if fields is None:
        text = WHY_TEXT[why]
        if row[message.REVERSED]:
            reversal.set_reason(app, REVERSAL_REASON[why])
        elif why in (NO_ANSWER, BROKEN):
            text = "no_answer"
        yield from notice(app, t("declined"), [t(text)])
        return None
    return (yield from conclude(app, record, fields, done, lines, card_says))


def conclude(app, record, fields, done, lines=(), card_says=None):
    """A financial request's valid answer (fields) to the journal, the slips and the result screen,
    its reversal then dropped: `financial`'s last part, and the whole of a QR payment that an
    answer after a power cut concludes (pos.flows.qrpay). Returns the approving fields, else None."""
    code = fields.get(39, "")
    record["rc"], record["ref"] = code, fields.get(37, "")
    if fields.get(13):
        record["date"] = record["date"][0:4] + fields[13]
    if fields.get(12):
        record["time"] = fields[12]
    if not rescodes.is_approved(code):
        record["st"] = "declined"
        journal(app, record)
        reversal.clear(app)
        yield from tell_declined(app, fields, lines)
        return None
    if card_says is not None:
        # The host approved what the card refuses: undone by the armed reversal.
        reversal.set_reason(app, card_says)
        yield from notice(app, t("declined"), [t("card_declined")])
        return None
    asked = record.get("amt")
    if asked is not None and fields.get(4) and int(fields[4]) != asked:
        record["amt"] = int(fields[4])
        record["remark"] = PARTIAL_REMARK + format_fen(asked)
    record["auth"] = fields.get(38, "")
    record["iss"] = fields.get(63, "")[3:].strip()
    record["acq"] = fields.get(44, "")[11:].strip()
    if not journal(app, record):
        # Not journaled, so not kept: its reversal stays and undoes it before the next request.
        reversal.set_reason(app, cup.REVERSAL_OTHER)
        yield from notice(app, t("declined"), [t("journal_full"), t("not_sent")])
        return None
    reversal.clear(app)
    if done is None:
        return fields
    for step in AFTER_JOURNAL:
        yield from step(app, record, done)
    app.signature = None
    shown = [amount_line(record["amt"])] if "amt" in record else []
    if record.get("amt") != asked:
        shown += [t("partial_approved"), tf("collect_rest", format_fen(asked - record["amt"]))]
    yield from notice(app, done, shown + list(lines) + [t("auth_no") + ": " + record["auth"]])
    return fields


def _slips(app, record, title):
    from pos.flows.printing import TYPE_NAMES, print_copies
    if record["k"] in TYPE_NAMES:
        yield from print_copies(app, record, title=title)


def _sign(app, record, title):
    app.signature = None
    if app.touch_area is not None:       # a board without a touch panel never loads the signing flow
        from pos.flows import sign
        yield from sign.after_journal(app, record, title)


def _ereceipt(app, record, title):
    from pos.flows import ereceipts
    yield from ereceipts.after_journal(app, record, title)


# What follows every journaled approval, in order, before its result screen: the cardholder's
# signature on the screen (电签), then the e-receipt queued with it, before the slips print (a
# power cut while printing loses no receipt).
AFTER_JOURNAL = (_sign, _ereceipt, _slips)


def send_pending(app):
    """Send a pending reversal on the open link, then a pending notice of issuer scripts; True when
    no reversal is left pending."""
    doc = reversal.pending(app)
    if doc is not None and not (yield from _send_reversal(app, doc)):
        return False
    from pos.flows import scripts
    yield from scripts.send(app)
    return True


def _send_reversal(app, doc):
    """The saved reversal sent: True once it is settled. An accepted one journals its original as
    reversed; after MAX_TRIES unanswered ones it is given up, journaled as reversal_failed."""
    values = reversal.values(app, doc)
    frame = message.build(cup, "reversal", values, mac_function(app.mak))
    fields, _why = yield from exchange(app, "reversal", frame, {11: values[11], 41: values[41]}, app.mak,
                                       t("sending_reversal"))
    record = doc["record"]
    if fields is not None and fields.get(39) == "00":
        journal(app, record)
        reversal.clear(app)
        from pos.flows import ereceipts
        if record["k"] in ereceipts.KINDS:
            yield from ereceipts.queue(app, ereceipts.transaction_receipt(app, record))
        return True
    doc["tries"] += 1
    app.reversal_at = app.clock() + reversal.RETRY_S       # the idle screen's next try counts from this one
    if doc["tries"] >= reversal.MAX_TRIES:
        record["st"] = "reversal_failed"
        journal(app, record)
        reversal.clear(app)
        return True
    reversal.save(app, doc)
    return False

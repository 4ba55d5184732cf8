"""One request to the host with the payments rules, and what follows an answer.

`transact` is the only way a flow talks to the host about money (every
request it sends carries a MAC):
- no request goes out before a sign-in (it signs in first);
- a pending reversal goes before any other request on the link;
- the trace number is saved before it is used;
- a financial request's reversal is saved before the request is sent, and
  cleared only once a valid answer (decoded, echoing trace, terminal and
  amount, MAC verified, its data accepted by `check`) is journaled;
- "approved" is journaled before any slip prints (`conclude`).
"""
from pos import clock, cup, message, rescodes
from pos.flows import reversal
from pos.flows.common import WHY_TEXT, connect, exchange, hang_up, mac_function, notice
from pos.i18n import t, rc_text
from pos.journal import JournalFull

REVERSAL_REASON = {"timeout": cup.REVERSAL_NO_ANSWER, "broken": cup.REVERSAL_NO_ANSWER,
                   "garbled": cup.REVERSAL_OTHER, "mac": cup.REVERSAL_BAD_MAC}


def new_record(app, kind, amount=None, card=None):
    """A journal record for a transaction about to be sent (trace and batch come with the request)."""
    record = {"k": kind, "st": "approved", "op": app.operator}
    if amount is not None:
        record["amt"] = amount
    if card is not None:
        from pos.flows.card import masked
        record["pan"] = masked(card)
        record["entry"] = card["entry"]
    return record


def ready(app, title):
    """Signed in (signing in now if needed), no settlement under way and room in the journal;
    False after telling the merchant."""
    from pos import store
    if store.load(app.dir, "settle") is not None:
        yield from notice(app, title, [t("settle_first")])
        return False
    if app.journal.full():
        yield from notice(app, title, [t("journal_full")])
        return False
    if not app.signed_in:
        from pos.flows.signin import sign_in
        if not (yield from sign_in(app)):
            return False
    return True


def transact(app, kind, values, title, record=None, check=None):
    """Send request kind with values (its own fields; 11, 41, 42, 49 and 60 come from here); the answer's
    fields or None.

    record, for a financial kind, is the journal record of this transaction:
    it gets the batch, trace, date and time now and, with the answer, the
    response code and the reference; a reversal that completes journals it
    as "reversed". None comes back after the merchant was told why.
    """
    row = cup.TRANSACTIONS[kind]
    if not (yield from link_up(app, title)):
        return None
    trace = app.counters.next_trace()
    batch = app.counters.batch
    values[11] = "%06d" % trace
    values[41], values[42] = app.terminal_id, app.merchant_id
    if 49 in row["fields"]:
        values[49] = cup.CURRENCY
    if row["type60"] is not None and 60 not in values:
        values["batch"] = "%06d" % batch
    day, hms = clock.stamp(app.clock())
    if record is not None:
        record["batch"], record["trace"], record["date"], record["time"] = batch, trace, day, hms
    frame = message.build(cup, kind, values, mac_function(app.mak))
    if row["reversed"]:
        failed = dict(record)
        failed["st"] = "reversed"
        reversal.arm(app, kind, values, failed)
    expect = {11: values[11], 41: app.terminal_id}
    if 4 in values:
        expect[4] = values[4]
    fields, why = yield from exchange(app, kind, frame, expect, app.mak, title, check)
    yield from hang_up()
    if fields is None:
        if row["reversed"]:
            reversal.set_reason(app, REVERSAL_REASON[why])
            text = WHY_TEXT[why]
        else:
            text = "no_answer" if why in ("timeout", "broken") else WHY_TEXT[why]
        yield from notice(app, t("declined"), [t(text)])
        return None
    if record is not None:
        record["rc"] = fields.get(39, "")
        record["ref"] = fields.get(37, "")
        if fields.get(13):
            record["date"] = day[0:4] + fields[13]
        if fields.get(12):
            record["time"] = fields[12]
    return fields


def link_up(app, title):
    """For a run of `request`s on one connection: signed in, link open, no reversal pending.
    False after telling the merchant (and with the link closed)."""
    if not app.signed_in:
        from pos.flows.signin import sign_in
        if not (yield from sign_in(app)):
            return False
    if not (yield from connect(app, title)):
        return False
    if not (yield from reversal.send_pending(app)):
        yield from hang_up()
        yield from notice(app, t("declined"), [t("reversal_failed")])
        return False
    return True


def request(app, kind, values, title, check=None):
    """One MACed request of a kind that is never reversed, on the link `link_up` opened:
    the trace number saved before use; (fields, None) or (None, why) as common.exchange."""
    values[11] = "%06d" % app.counters.next_trace()
    values[41], values[42] = app.terminal_id, app.merchant_id
    values["batch"] = "%06d" % app.counters.batch
    frame = message.build(cup, kind, values, mac_function(app.mak))
    return (yield from exchange(app, kind, frame, {11: values[11], 41: app.terminal_id}, app.mak, title, check))


def journal(app, record):
    """Append the record of an answered request, then drop its reversal: in that order, so a
    power cut between the two leaves a journaled answer that boot recognises. False when the
    journal is full (the reversal stays: what is not journaled is undone)."""
    try:
        app.journal.append(record)
    except JournalFull:
        return False
    if cup.TRANSACTIONS[record["k"]]["reversed"]:
        reversal.clear(app)
    return True


def declined(app, record, fields, lines=()):
    """Journal a declined answer and tell the merchant why; True when it was a decline."""
    code = fields.get(39, "")
    if rescodes.is_approved(code):
        return False
    if record is not None:
        record["st"] = "declined"
        journal(app, record)
    if rescodes.needs_signin(code):
        app.drop_keys()
    yield from notice(app, t("declined"), [rc_text(code)] + list(lines))
    return True


def conclude(app, record, fields, title, lines=()):
    """After an answer: a decline is journaled and explained; an approval is journaled, its slips
    printed, and the success screen shown. True when approved."""
    if (yield from declined(app, record, fields, lines)):
        return False
    record["auth"] = fields.get(38, "")
    record["iss"] = fields.get(63, "")[3:].strip()
    record["acq"] = fields.get(44, "")[11:].strip()
    if not journal(app, record):
        # Not journaled, so not kept: its reversal stays and undoes it before the next request.
        yield from notice(app, t("declined"), [t("journal_full"), t("not_sent")])
        return False
    lines = list(lines) + [t("auth_no") + ": " + record["auth"]]
    from pos.flows.printing import print_copies
    yield from print_copies(app, record, title=title)
    yield from notice(app, title, lines)
    return True

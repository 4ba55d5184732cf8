"""签到: 0800 → 0810 with the working keys under the TMK, both check values verified.
签退: 0820 → 0830; the keys are dropped and the operator logged out either way."""
from pos import cup, des, message
from pos.flows.common import notice
from pos.flows.online import WHY_TEXT, connect, exchange, hang_up, stamp
from pos.i18n import t, rc_text
from pos.iso8583 import CodecError
from pos.menu import DONE, FAIL, OK


def run(app, state):
    if state == "signoff":
        yield from sign_off(app)
        return DONE
    ok = yield from sign_in(app)
    return OK if ok else FAIL


def _values(app, kind):
    """A sign-in's or a sign-off's fields: the header, and the operator in 63."""
    values = {63: (app.operator or "00") + " "}
    stamp(app, kind, values)
    return values


def sign_off(app):
    title = t("signoff")
    values = _values(app, "signoff")
    frame = message.build(cup, "signoff", values)
    done = False
    if (yield from connect(app, title)):
        fields, why = yield from exchange(app, "signoff", frame, {11: values[11], 41: app.terminal_id}, None,
                                          title)
        yield from hang_up()
        done = fields is not None and fields.get(39) == "00"
    app.drop_keys()
    app.operator = None
    yield from notice(app, title, [t("signoff_ok") if done else t("signoff_offline")], 10)


def sign_in(app):
    """Sign in; True when the terminal now holds verified keys."""
    title = t("signin")
    app.drop_keys()
    values = _values(app, "signin")
    frame = message.build(cup, "signin", values)
    if not (yield from connect(app, title)):
        return False
    fields, why = yield from exchange(app, "signin", frame, {11: values[11], 41: app.terminal_id}, None, title)
    yield from hang_up()
    if fields is None:
        yield from notice(app, t("signin_failed"), [t(WHY_TEXT[why])])
        return False
    if fields.get(39) != "00":
        yield from notice(app, t("signin_failed"), [rc_text(fields.get(39) or "??")])
        return False
    keys = _working_keys(app.tmk, fields.get(62) or b"")
    if keys is None:
        yield from notice(app, t("signin_failed"), [t("bad_key_check")])
        return False
    batch = fields.get(60, "")[2:8]
    if len(batch) == 6 and batch.isdigit():
        app.counters.set_batch(int(batch))
    app.pik, app.mak = keys
    _set_clock(app, fields.get(13), fields.get(12))
    return True


CLOCK_SLACK = 120   # seconds the terminal's clock may differ from the host's before it is set


def _set_clock(app, mmdd, hhmmss):
    """Take the host's date and time from the sign-in answer (12, 13) when the terminal's is off:
    a board's RTC starts wrong after its battery ran out. The year is the terminal's, or the one
    next to it across new year."""
    from pos import clock
    if not (mmdd and hhmmss and len(mmdd) == 4 and len(hhmmss) == 6 and (mmdd + hhmmss).isdigit()):
        return
    now = app.clock()
    year = clock.civil(now)[0]
    best = None
    for y in (year - 1, year, year + 1):
        secs = clock.from_stamp("%04d%s%s" % (y, mmdd, hhmmss)) if 2000 <= y <= 2099 else None
        if secs is not None and (best is None or abs(secs - now) < abs(best - now)):
            best = secs
    if best is not None and abs(best - now) > CLOCK_SLACK:
        app.settings["clock_offset"] += best - now
        app.save_settings()


def _working_keys(tmk, f62):
    """(PIK, MAK) from field 62, or None when its layout or a check value is wrong."""
    try:
        k = message.signin_keys(cup, f62)
    except CodecError:
        return None
    pik = des.ecb_decrypt(tmk, k["pik"])
    mak = des.ecb_decrypt(tmk, k["mak"])
    if des.check_value(pik) != k["pik_check"] or des.check_value(mak) != k["mak_check"]:
        return None
    return pik, mak

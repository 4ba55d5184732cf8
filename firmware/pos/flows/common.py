"""Small steps every flow shares: result screens, inputs, the supervisor's password, one host round trip."""
from pos import cup, message
from pos.editors import AmountEditor, ConfirmEditor, DigitsEditor
from pos.engine import Ask, Connect, Disconnect, Exchange, Show
from pos.results import CANCEL, OK, TIMEOUT
from pos.i18n import t
from pos.iso8583 import CodecError
from pos.screen import Screen

GAVE_UP = (CANCEL, TIMEOUT)


def notice(app, title, lines, timeout=None):
    """Show a result until a key or the idle timeout; returns the key or TIMEOUT."""
    if timeout is None:
        timeout = app.settings["idle_timeout"]
    return (yield Show(Screen(title, lines, t("press_any_key")), timeout))


def ask(app, title, lines, editor, hint=None):
    """An input with the idle timeout; returns the value, CANCEL or TIMEOUT."""
    return (yield Ask(Screen(title, lines, hint), editor, app.settings["idle_timeout"]))


def ask_digits(app, title, prompt, min_len, max_len, lines=(), masked=False):
    """Digits keyed by the merchant, or None when cancelled or left alone."""
    value = yield from ask(app, title, list(lines) + [prompt], DigitsEditor(min_len, max_len, masked))
    return None if value in GAVE_UP else value


def ask_amount(app, title, prompt, lines=(), initial=0, max_fen=None):
    """An amount in fen (at least 1 fen, at most the setting), or None."""
    editor = AmountEditor(app.settings["max_amount_fen"] if max_fen is None else max_fen)
    editor.fen = initial
    value = yield from ask(app, title, list(lines) + [prompt], editor)
    return None if value in GAVE_UP else value


def confirm(app, title, lines):
    """True when the merchant presses ENTER, False for CANCEL or the timeout."""
    r = yield from ask(app, title, lines, ConfirmEditor(), t("cancel_enter"))
    return r is True


def ask_mmdd(app, title, prompt, lines=()):
    """A date MMDD with a real month and day, or None."""
    while True:
        mmdd = yield from ask_digits(app, title, prompt, 4, 4, lines)
        if mmdd is None:
            return None
        if 1 <= int(mmdd[:2]) <= 12 and 1 <= int(mmdd[2:]) <= 31:
            return mmdd
        yield from notice(app, title, [t("bad_date")], 5)


def supervisor(app, title):
    """The supervisor's consent: the supervisor is logged in, or keys the supervisor password now."""
    if app.operator == "00":
        return True
    from pos import operators
    pw = yield from ask_digits(app, title, t("supervisor_password"), 4, 12, masked=True)
    if pw is None:
        return False
    if app.operators.verify(operators.SUPERVISOR, pw) == operators.OK:
        return True
    yield from notice(app, title, [t("supervisor_refused")])
    return False


def connect(app, title):
    """Open the link; on failure tell the merchant and return False."""
    r = yield Connect(Screen(title, [t("connecting")]))
    if r != OK:
        yield from notice(app, t("declined"), [title, t("link_down")])
        return False
    return True


def hang_up():
    yield Disconnect()


def mac_function(key):
    """mac_fn for message.build / parse under the working MAC key."""
    from pos.mac import cup_ecb_mac

    def mac_fn(data):
        return cup_ecb_mac(key, data)
    return mac_fn


def exchange(app, kind, frame, expect, mac_key=None, title="", check=None):
    """Send a request and check its answer.

    Returns (fields, None) for an answer that decoded, carries the expected
    MTI and echoes `expect` (field -> value), whose MAC verified when
    mac_key is given, and that check(fields) (raising CodecError) accepts;
    otherwise (None, why) with why one of 'timeout', 'broken', 'garbled',
    'mac'. A host asking for re-sign-in drops the keys; one asking for a
    parameter or an application download marks it due.
    """
    answer = yield Exchange(frame, app.settings["host_timeout"], Screen(title, [t("processing")]))
    if not isinstance(answer, (bytes, bytearray)):
        return None, ("timeout" if answer == "TIMEOUT" else "broken")
    mac_fn = None if mac_key is None else mac_function(mac_key)
    try:
        requirement, fields = message.parse(cup, answer, mac_fn,
                                            message.answer_mti(cup.TRANSACTIONS[kind]["mti"]))
        for f in expect:
            if fields.get(f) != expect[f]:
                raise CodecError("field %d not echoed" % f, f)
        if check is not None and fields.get(39) == "00":
            check(fields)
    except message.MacError:
        return None, "mac"
    except CodecError:
        return None, "garbled"
    if requirement == cup.PROC_REQ_SIGNIN:
        app.drop_keys()
    elif requirement == cup.PROC_REQ_DOWNLOAD_PARAMS:
        app.params_due = True
    elif requirement == cup.PROC_REQ_DOWNLOAD_APP:
        app.update_due = True
    return fields, None


WHY_TEXT = {"timeout": "host_timeout", "broken": "link_broken", "garbled": "bad_answer", "mac": "bad_mac"}

"""Small steps every flow shares: result screens, inputs, the supervisor's password.

The idle screen imports this module, so it is resident: the editors are imported where an input
asks for one, and go with the flow that loaded them (pos/app.py unloads them), not kept at idle.
"""
from pos.engine import Ask, Show
from pos.i18n import t
from pos.results import GAVE_UP
from pos.screen import Screen


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
    from pos.editors import DigitsEditor
    value = yield from ask(app, title, list(lines) + [prompt], DigitsEditor(min_len, max_len, masked))
    return None if value in GAVE_UP else value


def ask_amount(app, title, prompt, lines=(), initial=0, max_fen=None):
    """An amount in fen (at least 1 fen, at most the setting), or None."""
    from pos.editors import AmountEditor
    editor = AmountEditor(app.settings["max_amount_fen"] if max_fen is None else max_fen, initial=initial)
    value = yield from ask(app, title, list(lines) + [prompt], editor)
    return None if value in GAVE_UP else value


def confirm(app, title, lines):
    """True when the merchant presses ENTER, False for CANCEL or the timeout."""
    from pos.editors import ConfirmEditor
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

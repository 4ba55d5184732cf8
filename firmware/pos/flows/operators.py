"""操作员管理 (supervisor): add, delete, change a password, unlock, list."""
from pos import operators
from pos.engine import Show
from pos.flows.common import ask_digits, confirm, notice
from pos.i18n import t, tf
from pos.menu import AWAY, DONE
from pos.results import TIMEOUT
from pos.screen import Screen


def run(app, state):
    title = t("menu_" + state)
    if state == "op_list":
        return (yield from _list(app, title))
    no = yield from ask_digits(app, title, t("operator_no"), 2, 2)
    if no is None:
        return AWAY
    known = [n for n, _locked in app.operators.list()]
    if state == "op_add":
        if no == operators.SUPERVISOR or no in known:
            yield from notice(app, title, [tf("operator_exists", no)])
            return DONE
        password = yield from _new_password(app, title, no)
        if password is not None:
            app.operators.add(no, password)
            yield from notice(app, title, [tf("operator_added", no)], 10)
        return DONE
    if no not in known:
        yield from notice(app, title, [t("unknown_operator") + ": " + no])
        return DONE
    if state == "op_delete":
        if no == operators.SUPERVISOR or no == app.operator:
            yield from notice(app, title, [tf("cannot_delete", no)])
            return DONE
        if (yield from confirm(app, title, [tf("delete_operator", no)])):
            app.operators.remove(no)
            yield from notice(app, title, [tf("operator_deleted", no)], 10)
        return DONE
    if state == "op_password":
        password = yield from _new_password(app, title, no)
        if password is not None:
            app.operators.set_password(no, password)
            yield from notice(app, title, [tf("password_changed", no)], 10)
        return DONE
    app.operators.reset(no)
    yield from notice(app, title, [tf("operator_unlocked", no)], 10)
    return DONE


def _new_password(app, title, no):
    """A new password keyed twice alike, or None."""
    lines = [t("operator_no") + ": " + no]
    first = yield from ask_digits(app, title, t("new_password"), 4, 12, lines, masked=True)
    if first is None:
        return None
    again = yield from ask_digits(app, title, t("password_again"), 4, 12, lines, masked=True)
    if again is None:
        return None
    if again != first:
        yield from notice(app, title, [t("passwords_differ")])
        return None
    return first


def _list(app, title):
    lines = []
    for no, locked in app.operators.list():
        lines.append("%s  %s" % (no, t("locked") if locked else t("active")))
    key = yield Show(Screen(title, lines, t("press_any_key")), app.settings["idle_timeout"])
    return AWAY if key == TIMEOUT else DONE

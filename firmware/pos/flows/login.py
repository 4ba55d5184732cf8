"""Operator login: number, then password; five wrong passwords lock the operator."""
from pos import operators
from pos.editors import DigitsEditor
from pos.engine import Ask
from pos.flows.common import notice
from pos.i18n import t, tf
from pos.menu import BACK, OK, RETRY
from pos.results import GAVE_UP
from pos.screen import Screen


def run(app, state):
    no = yield Ask(Screen(t("login"), [t("operator_no")]), DigitsEditor(2, 2), None)
    if no in GAVE_UP:
        return BACK
    pw = yield Ask(Screen(t("login"), [t("operator_no") + ": " + no, t("password")]),
                   DigitsEditor(4, 12, masked=True), app.settings["idle_timeout"])
    if pw in GAVE_UP:
        return BACK
    verdict = app.operators.verify(no, pw)
    if verdict == operators.OK:
        app.operator = no
        return OK
    if verdict == operators.WRONG:
        left = app.operators.tries_left(no)
        lines = [t("wrong_password")] + ([tf("tries_left", left)] if left is not None else [])
    elif verdict == operators.LOCKED:
        lines = [t("operator_locked")]
    else:
        lines = [t("unknown_operator")]
    yield from notice(app, t("login"), lines)
    return RETRY

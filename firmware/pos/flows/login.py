"""Operator login: number, then password; five wrong passwords lock the operator."""
from pos.editors import DigitsEditor
from pos.engine import Ask
from pos.results import CANCEL, TIMEOUT
from pos.flows.common import notice
from pos.i18n import t, tf
from pos.screen import Screen
from pos import operators


def run(app, state):
    no = yield Ask(Screen(t("login"), [t("operator_no")]), DigitsEditor(2, 2), None)
    if no in (CANCEL, TIMEOUT):
        return "cancel"
    pw = yield Ask(Screen(t("login"), [t("operator_no") + ": " + no, t("password")]),
                   DigitsEditor(4, 12, masked=True), app.settings["idle_timeout"])
    if pw in (CANCEL, TIMEOUT):
        return "cancel"
    verdict = app.operators.verify(no, pw)
    if verdict == operators.OK:
        app.operator = no
        return "ok"
    if verdict == operators.WRONG:
        left = app.operators.tries_left(no)
        lines = [t("wrong_password")] + ([tf("tries_left", left)] if left is not None else [])
    elif verdict == operators.LOCKED:
        lines = [t("operator_locked")]
    else:
        lines = [t("unknown_operator")]
    yield from notice(app, t("login"), lines)
    return "retry"

"""管理: the supervisor's menu opens for the supervisor, or for an operator who keys the supervisor's password."""
from pos.flows.common import supervisor
from pos.i18n import t
from pos.menu import FAIL, OK


def run(app, state):
    ok = yield from supervisor(app, t("menu_admin"))
    return OK if ok else FAIL

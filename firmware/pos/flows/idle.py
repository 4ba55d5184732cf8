"""The idle screen (欢迎使用, date and time) and the main menu."""
from pos import clock, i18n
from pos.editors import ListEditor
from pos.engine import Ask, Show, CANCEL, TIMEOUT
from pos.i18n import t
from pos.menu import MAIN_MENU
from pos.screen import Screen


def idle(app):
    lines = [app.settings["merchant_name"], clock.display(app.clock())]
    if not app.signed_in:
        lines.append(t("unsigned"))
    if app.operator:
        lines.append(t("operator_no") + ": " + app.operator)
    key = yield Show(Screen(t("welcome"), lines), 30)
    return "enter" if key == "ENTER" else "refresh"


def main_menu(app):
    editor = ListEditor([t(label) for _, label in MAIN_MENU])
    picked = yield Ask(Screen(t("main_menu")), editor, app.settings["idle_timeout"])
    if picked in (CANCEL, TIMEOUT):
        return "cancel"
    return MAIN_MENU[picked][0]


def toggle_lang(app):
    app.settings["lang"] = "en" if i18n.lang() == "zh" else "zh"
    i18n.set_lang(app.settings["lang"])
    app.save_settings()
    return "ok"
    yield  # a generator, like every flow

"""设置 (supervisor): merchant name, slip copies, print density, largest amount, communication,
the shop's Wi-Fi and the 4G APN, language, date and time, key tone. Each change is saved at once,
whole (new file, then rename); the link takes a new network or APN at its next connection."""
from pos import clock, i18n
from pos.editors import AmountEditor, ListEditor, TextEditor
from pos.engine import Probe
from pos.flows.common import GAVE_UP, ask, ask_digits, notice
from pos.i18n import t
from pos.menu import AWAY, DONE
from pos.money import format_fen
from pos.screen import Screen

_CHOICES = {
    "set_copies": ("copies", (0, 1, 2, 3), ("copies_none", "copies_merchant", "2", "3")),
    "set_density": ("density", (1, 2, 3), ("density_light", "density_normal", "density_dark")),
    "set_lang": ("lang", ("zh", "en"), ("lang_zh", "lang_en")),
    "set_keytone": ("key_tone", (1, 0), ("on", "off")),
}


def run(app, state):
    title = t("menu_" + state)
    if state in _CHOICES:
        changed = yield from _choose(app, title, *_CHOICES[state])
    elif state == "set_merchant":
        changed = yield from _merchant(app, title)
    elif state == "set_max_amount":
        changed = yield from _max_amount(app, title)
    elif state == "set_comm":
        changed = yield from _comm(app, title)
    elif state == "set_wifi":
        changed = yield from _wifi(app, title)
    elif state == "set_apn":
        changed = yield from _apn(app, title)
    else:
        changed = yield from _datetime(app, title)
    if changed is None:
        return AWAY
    if changed:
        app.save_settings()
        i18n.set_lang(app.settings["lang"])
        yield from notice(app, t("menu_" + state), [t("saved")], 5)
    return DONE


def _choose(app, title, key, values, labels):
    current = app.settings[key]
    editor = ListEditor([t(label) for label in labels])
    if current in values:
        editor.index = values.index(current)
    picked = yield from ask(app, title, [t("current") + ": " + t(labels[editor.index])], editor)
    if picked in GAVE_UP:
        return None
    app.settings[key] = values[picked]
    return True


def _merchant(app, title):
    from pos.gb2312 import Gb2312Table
    from pos.hanzi import HanziEditor
    table = Gb2312Table(app.assets_dir + "/gb2312.bin")
    try:
        name = yield from ask(app, title, [t("current") + ": " + app.settings["merchant_name"]],
                              HanziEditor(table), t("quwei_hint"))
    finally:
        table.close()
    if name in GAVE_UP:
        return None
    app.settings["merchant_name"] = name
    return True


def _max_amount(app, title):
    editor = AmountEditor(999999999, initial=app.settings["max_amount_fen"])
    fen = yield from ask(app, title, [t("current") + ": RMB " + format_fen(app.settings["max_amount_fen"])],
                         editor)
    if fen in GAVE_UP:
        return None
    app.settings["max_amount_fen"] = fen
    return True


def _comm(app, title):
    """Host address (12 digits, 3 per part), port, answer timeout, preferred link."""
    s = app.settings
    digits = "".join("%03d" % int(part) for part in s["host_addr"].split("."))
    addr = yield from ask_digits(app, title, t("host_addr") + " (" + digits + ")", 12, 12)
    if addr is None:
        return None
    parts = [int(addr[i:i + 3]) for i in range(0, 12, 3)]
    if max(parts) > 255:
        yield from notice(app, title, [t("bad_value")], 5)
        return False
    port = yield from ask_digits(app, title, t("host_port") + " (%d)" % s["host_port"], 1, 5)
    if port is None:
        return None
    timeout = yield from ask_digits(app, title, t("host_timeout_s") + " (%d)" % s["host_timeout"], 2, 3)
    if timeout is None:
        return None
    if not (1 <= int(port) <= 65535 and 10 <= int(timeout) <= 120):
        yield from notice(app, title, [t("bad_value")], 5)
        return False
    link = yield from _choose(app, title, "link", ("wifi", "4g"), ("link_wifi", "link_4g"))
    if link is None:
        return None
    s["host_addr"] = "%d.%d.%d.%d" % tuple(parts)
    s["host_port"] = int(port)
    s["host_timeout"] = int(timeout)
    return True


# What an APN may hold (the modem driver refuses anything else in its AT command).
_APN_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_"


def _text(app, title, prompt, editor):
    value = yield from ask(app, title, [prompt], editor, t("text_hint"))
    return None if value in GAVE_UP else value


def _wifi(app, title):
    """The network picked from those in reach (or its name keyed, 1-32 characters: a hidden
    network, none found), then its password: none for an open network, else the 8-63
    characters WPA2 takes."""
    s = app.settings
    probed = yield Probe(("networks",), Screen(title, [t("wifi_scanning")]))
    ok, names = probed.get("networks", (False, ()))
    names = list(names)[:18] if ok else []
    ssid = None
    if names:
        picked = yield from ask(app, title, [], ListEditor(names + [t("wifi_other")]))
        if picked in GAVE_UP:
            return None
        if picked < len(names):
            ssid = names[picked]
    if ssid is None:
        ssid = yield from _text(app, title, t("wifi_ssid"), TextEditor(s["wifi_ssid"], 1, 32))
        if ssid is None:
            return None
    password = yield from _text(app, title, t("wifi_password"), TextEditor("", 0, 63, masked=True))
    if password is None:
        return None
    if 0 < len(password) < 8:
        yield from notice(app, title, [t("wifi_password_short")], 5)
        return False
    s["wifi_ssid"], s["wifi_password"] = ssid, password
    return True


def _apn(app, title):
    """The 4G access point name; empty: the SIM's own."""
    apn = yield from _text(app, title, t("apn"), TextEditor(app.settings["apn"], 0, 63, allowed=_APN_CHARS))
    if apn is None:
        return None
    app.settings["apn"] = apn
    return True


def _datetime(app, title):
    now = clock.stamp(app.clock())
    text = yield from ask_digits(app, title, t("enter_datetime"), 14, 14, [now[0] + now[1]])
    if text is None:
        return None
    secs = clock.from_stamp(text)
    if secs is None:
        yield from notice(app, title, [t("bad_date")], 5)
        return False
    app.settings["clock_offset"] += secs - app.clock()
    return True

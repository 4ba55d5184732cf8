"""参数下载: 0800 (60.3 360) → merchant name, the largest amount and the 免签 limit (above it the
cardholder signs) from the host, applied at once.

Run from the supervisor's menu, or by itself at the idle screen when an
answer's header asked for it (processing requirement 1). The new values are
checked whole and saved in one write, so a terminal has either all the old
parameters or all the new ones.
"""
from pos import tlv
from pos.flows import online
from pos.flows.common import notice
from pos.i18n import t
from pos.menu import DONE


def run(app, state):
    title = t("menu_params")
    app.params_due = False        # one try per request from the host: it asks again if it still wants it
    got = {}

    def check(fields):
        items = tlv.decode(fields.get(62) or b"")
        name = tlv.text(items, "MN", required=False)
        top = tlv.amount(items, "MX", required=False)
        if top is not None and not 1 <= top <= 999999999:
            raise tlv.TlvError("largest amount out of range")
        nosign = tlv.amount(items, "NS", required=False)
        if nosign is not None and not 0 <= nosign <= 999999999:
            raise tlv.TlvError("免签 limit out of range")
        base = tlv.token(items, "QB", 64, False)
        if base and not base.endswith("/"):
            raise tlv.TlvError("QR base %r" % base)
        got["merchant_name"], got["max_amount_fen"], got["nosign_limit_fen"] = name, top, nosign
        got["qr_base"] = base or None

    if (yield from online.inquire(app, "params", {}, title, check)) is None:
        return DONE
    if got["merchant_name"]:
        app.settings["merchant_name"] = got["merchant_name"]
    for key in ("max_amount_fen", "nosign_limit_fen", "qr_base"):
        if got[key] is not None:
            app.settings[key] = got[key]
    app.save_settings()
    yield from notice(app, title, [t("params_ok"), app.settings["merchant_name"]], 10)
    return DONE

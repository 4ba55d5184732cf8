"""电签: the cardholder signs on the screen after an approval that needs a signature.

An approval needs one above the 免签 limit (setting nosign_limit_fen, default 1000.00) and a
pre-authorisation completion always; a tap without PIN under the 小额免密 limit (nosig) never.
Where the board has a touch panel (app.touch_area), the money path's first after-journal step
shows 请持卡人签名: 清除 (CLEAR) wipes the pad to sign again, 确认 (ENTER) takes it. The
signature (pos/signature.py's bytes) is kept on flash beside the journal (sig-BATCH-TRACE.bin,
written whole then renamed) so a reprint has it too, goes on the merchant copy as an image and in
the e-receipt, and is dropped with the batch at settlement. CANCEL, or SIGN_TIMEOUT seconds with
no touch, leaves the signature to the paper: the merchant copy prints the signing lines as
before. A board without a touch panel (the countertop) prints the signing lines always.
"""
import os

from pos.engine import Effect
from pos.i18n import t
from pos.money import format_fen
from pos.results import OK
from pos.screen import Screen

SIGN_TIMEOUT = 90
KINDS = ("sale", "void", "refund", "preauth", "preauth_complete", "bill_payment", "repayment")
_PREFIX = "sig-"


class Sign(Effect):
    """请持卡人签名: the cardholder signs on the touch panel into pad (a pos.signature.Pad of the
    panel's signing area); the engine takes the touches into it; CLEAR (重签) wipes it, ENTER (确认)
    takes a signature that is not empty. Result: OK, CANCEL (the paper slip is signed instead) or
    TIMEOUT; every touch starts the timeout again. A wipe shows the screen anew (a new Screen
    object: the runtime redraws it). Defined here, not in pos.engine: the idle heap never holds it."""

    def __init__(self, screen, pad, timeout=60):
        self.screen = screen
        self.pad = pad
        self.timeout = timeout


def needed(app, record):
    if record.get("nosig") or record["k"] not in KINDS:
        return False
    return record["k"] == "preauth_complete" or record.get("amt", 0) > app.settings["nosign_limit_fen"]


def _path(app, batch, trace):
    return "%s/%s%06d-%06d.bin" % (app.dir, _PREFIX, batch, trace)


def load(app, record):
    """The signature kept for a journal record, or None."""
    try:
        with open(_path(app, record["batch"], record["trace"]), "rb") as f:
            return f.read()
    except OSError:
        return None


def _save(app, record, data):
    path = _path(app, record["batch"], record["trace"])
    with open(path + ".new", "wb") as f:
        f.write(data)
        f.flush()
    os.rename(path + ".new", path)


def drop_all(app):
    """The settled batch's signatures go with it."""
    for name in os.listdir(app.dir):
        if name.startswith(_PREFIX):
            os.remove(app.dir + "/" + name)


def after_journal(app, record, _title):
    """The money path's step: the signature taken into app.signature when the approval needs one."""
    app.signature = None
    if app.touch_area is None or not needed(app, record):
        return
    from pos.signature import Pad
    _x, _y, width, height = app.touch_area
    pad = Pad(width, height)
    screen = Screen(t("sign_here") + " RMB " + format_fen(record.get("amt", 0)), (), t("sign_hint"))
    if (yield Sign(screen, pad, SIGN_TIMEOUT)) != OK:
        return                  # signed on paper
    data = pad.encode()
    pad = None
    _save(app, record, data)
    app.signature = data

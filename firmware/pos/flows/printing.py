"""Printing a transaction's slip copies, resumable after paper out or power loss."""
from pos import receipt
from pos.engine import Print, Show, WaitPaper, OK, PAPER_OUT, CANCEL
from pos.i18n import t
from pos.money import format_fen
from pos.screen import Screen

TYPE_NAMES = {"sale": "消费 SALE"}
ENTRY = {"swipe": "S", "insert": "I", "tap": "C"}


def slip_txn(record):
    """The receipt module's view of a journal record."""
    d, tm = record.get("date", ""), record.get("time", "")
    return {
        "type_name": TYPE_NAMES.get(record["k"], record["k"]),
        "pan_masked": record.get("pan", ""),
        "entry": ENTRY.get(record.get("entry"), "S"),
        "expiry": None,
        "issuer": record.get("iss", ""),
        "acquirer": record.get("acq", ""),
        "batch": "%06d" % record["batch"],
        "trace": "%06d" % record["trace"],
        "auth": record.get("auth", ""),
        "ref": record.get("ref", ""),
        "datetime": "%s/%s/%s %s:%s:%s" % (d[0:4], d[4:6], d[6:8], tm[0:2], tm[2:4], tm[4:6]),
        "amount_fen": record["amt"],
        "operator": record.get("op", ""),
        "remark": record.get("remark", ""),
    }


def terminal_info(app):
    return {"merchant_name": app.settings["merchant_name"], "merchant_id": app.merchant_id,
            "terminal_id": app.terminal_id}


def print_copies(app, record, first=0, reprint=False):
    """Print copies first.. of the record's slip; each printed copy is journaled.

    Paper out: wait for paper, then print the interrupted copy again.
    Returns True when every copy printed.
    """
    copies = app.settings["copies"]
    title = t("approved")
    info = [t("amount") + ": RMB " + format_fen(record["amt"])]
    for copy in range(first, copies):
        if copy > 0 and not reprint:
            yield Show(Screen(title, info + [t("tear_off")], t("press_any_key")), 10)
        lines = receipt.slip_lines(slip_txn(record), terminal_info(app), copy, reprint)
        while True:
            r = yield Print(lines, Screen(title, info + [t("printing")]))
            if r == OK:
                app.journal.append({"k": "printed", "batch": record["batch"], "trace": record["trace"],
                                    "copy": copy})
                break
            if r == PAPER_OUT:
                if (yield WaitPaper(Screen(title, [t("paper_out")], t("cancel_enter")))) == CANCEL:
                    return False
                continue
            yield Show(Screen(title, [t("printer_error")], t("press_any_key")), app.settings["idle_timeout"])
            return False
    return True

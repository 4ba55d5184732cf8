"""重打印: the last slip, any slip of the batch by voucher number, or the last settlement; marked 重打印 DUPLICATE."""
from pos import ledger, store
from pos.flows.common import ask_digits, notice
from pos.flows.printing import print_copies
from pos.i18n import t
from pos.menu import DONE


def run(app, state):
    title = t("reprint")
    if state == "reprint_settle":
        doc = store.load(app.dir, "last_settle")
        if doc is None:
            yield from notice(app, title, [t("no_settlement")])
            return DONE
        from pos.flows.settle import print_slip
        yield from print_slip(app, doc, True)
        return DONE
    if state == "reprint_last":
        record = ledger.last_approved(app.journal)
    else:
        trace = yield from ask_digits(app, title, t("enter_trace"), 1, 6)
        if trace is None:
            return DONE
        record, _voided = ledger.lookup(app.journal, int(trace))
        if record is not None and record.get("st") != "approved":
            record = None
    if record is None:
        yield from notice(app, title, [t("no_match")])
        return DONE
    yield from print_copies(app, record, reprint=True, title=title)
    return DONE

"""交易查询: transactions of this batch (and the last settled one) by trace, date or amount; batch totals.

Results are journal offsets, read back one screen at a time, so a list of
hundreds costs a few bytes each; UP / DOWN scroll, a digit or ENTER opens
the detail, CANCEL goes back.
"""
from pos import ledger
from pos.editors import ListEditor
from pos.engine import Show
from pos.flows.common import GAVE_UP, ask, ask_amount, ask_digits, ask_mmdd, notice
from pos.flows.printing import TYPE_NAMES
from pos.i18n import t, tf
from pos.money import format_fen
from pos.screen import Screen


def run(app, state):
    if state == "totals":
        return (yield from totals(app))
    title = t("query")
    if state == "query_trace":
        trace = yield from ask_digits(app, title, t("enter_trace"), 1, 6)
        if trace is None:
            return "timeout"
        trace = int(trace)

        def pred(r):
            return r["trace"] == trace
    elif state == "query_date":
        mmdd = yield from ask_mmdd(app, title, t("enter_date"))
        if mmdd is None:
            return "timeout"

        def pred(r):
            return r.get("date", "")[4:8] == mmdd
    else:
        amount = yield from ask_amount(app, title, t("enter_amount"))
        if amount is None:
            return "timeout"

        def pred(r):
            return r.get("amt") == amount
    found = []
    for journal in _journals(app):
        offsets, more = ledger.matches(journal, pred)
        if len(offsets):
            found.append((journal, offsets, more))
    if not found:
        yield from notice(app, title, [t("no_match")])
        return "done"
    return (yield from browse(app, title, found))


def _journals(app):
    out = [app.journal]
    previous = app.journal.previous()
    if previous is not None:
        out.append(previous)
    return out


class Results:
    """The matches as the list a ListEditor shows: labels read from the journal a page at a time."""

    def __init__(self, found):
        self.found = found
        self.n = 0
        for _j, offsets, _more in found:
            self.n += len(offsets)

    def __len__(self):
        return self.n

    def record(self, i):
        for journal, offsets, _more in self.found:
            if i < len(offsets):
                return journal.read(offsets[i])
            i -= len(offsets)
        return None

    def __getitem__(self, index):
        r = self.record(index)
        if r is None:
            return "?"
        return "%06d %s %s" % (r["trace"], TYPE_NAMES.get(r["k"], r["k"]).split(" ")[0], format_fen(r.get("amt", 0)))


def browse(app, title, found):
    results = Results(found)
    lines = [tf("found", len(results))]
    if any(more for _j, _o, more in found):
        lines.append(t("too_many"))
    editor = ListEditor(results)
    while True:
        picked = yield from ask(app, title, lines, editor)
        if picked in GAVE_UP:
            return "done" if picked == "CANCEL" else "timeout"
        record = results.record(picked)
        if record is not None:
            key = yield from detail(app, title, record)
            if key == "TIMEOUT":
                return "timeout"


def detail(app, title, r):
    gone = r["k"] in ledger.VOIDABLE and ledger.lookup(app.journal, r["trace"])[1]
    d, tm = r.get("date", ""), r.get("time", "")
    lines = [TYPE_NAMES.get(r["k"], r["k"]),
             t("voucher_no") + ": %06d  " % r["trace"] + t("batch_no") + ": %06d" % r["batch"],
             t("amount") + ": RMB " + format_fen(r.get("amt", 0)),
             t("card_no") + ": " + r.get("pan", ""),
             "%s/%s/%s %s:%s:%s" % (d[0:4], d[4:6], d[6:8], tm[0:2], tm[2:4], tm[4:6]),
             t("refer_no") + ": " + r.get("ref", ""),
             t("auth_no") + ": " + r.get("auth", ""),
             t("state_" + r.get("st", "approved")) + (" " + t("state_voided") if gone else "")]
    return (yield Show(Screen(title, lines, t("press_any_key")), app.settings["idle_timeout"]))


def totals(app):
    by_kind, (debit, debit_n, credit, credit_n) = ledger.totals(app.journal)
    lines = [t("batch_no") + ": %06d" % app.counters.batch]
    for k in ledger.KINDS:
        entry = by_kind.get(k)
        if entry:
            lines.append("%s %d %s RMB %s" % (TYPE_NAMES[k].split(" ")[0], entry[0], t("count_unit"),
                                            format_fen(entry[1])))
    lines.append(tf("debit_total", debit_n, format_fen(debit)))
    lines.append(tf("credit_total", credit_n, format_fen(credit)))
    key = yield Show(Screen(t("menu_totals"), lines, t("press_any_key")), app.settings["idle_timeout"])
    return "timeout" if key == "TIMEOUT" else "done"

"""交易查询: transactions of this batch (and the last settled one) by trace, date or amount; batch totals.

Results are journal offsets, read back one screen at a time, so a list of
hundreds costs a few bytes each; UP / DOWN scroll, a digit or ENTER opens
the detail, CANCEL goes back. A transaction not approved, or voided since,
says so in the list (失败, 已冲正, 冲正失败, 已撤销); the detail of a declined
one gives the host's reason.
"""
from pos import ledger
from pos.editors import ListEditor
from pos.engine import Show
from pos.flows.common import ask, ask_amount, ask_digits, ask_mmdd, notice
from pos.flows.printing import TYPE_NAMES, short_name, total_rows
from pos.i18n import rc_text, t, tf
from pos.menu import AWAY, DONE
from pos.money import format_fen
from pos.results import CANCEL, GAVE_UP, TIMEOUT
from pos.screen import Screen


def run(app, state):
    if state == "totals":
        return (yield from totals(app))
    title = t("query")
    if state == "query_trace":
        trace = yield from ask_digits(app, title, t("enter_trace"), 1, 6)
        if trace is None:
            return AWAY
        trace = int(trace)

        def pred(r):
            return r["trace"] == trace
    elif state == "query_date":
        mmdd = yield from ask_mmdd(app, title, t("enter_date"))
        if mmdd is None:
            return AWAY

        def pred(r):
            return r.get("date", "")[4:8] == mmdd
    else:
        amount = yield from ask_amount(app, title, t("enter_amount"))
        if amount is None:
            return AWAY

        def pred(r):
            return r.get("amt") == amount
    found = []
    more = False
    for journal in _journals(app):
        voided = []     # a list, not an array: `in` on an array fails on MicroPython
        offsets, cut = ledger.matches(journal, pred, voided=voided)
        if len(offsets):
            found.append((journal, offsets, voided))
            more = more or cut
    if not found:
        yield from notice(app, title, [t("no_match")])
        return DONE
    return (yield from browse(app, title, found, more))


def _journals(app):
    out = [app.journal]
    previous = app.journal.previous()
    if previous is not None:
        out.append(previous)
    return out


class Results:
    """The matches as the list a ListEditor shows: labels read from the journal a page at a time.

    found: (journal, offsets of its matches, trace numbers its approved voids voided) per journal.
    """

    def __init__(self, found):
        self.found = found
        self.n = 0
        for _j, offsets, _v in found:
            self.n += len(offsets)

    def __len__(self):
        return self.n

    def entry(self, i):
        """(record, voided since) of match i; (None, False) if it cannot be read."""
        for journal, offsets, voided in self.found:
            if i < len(offsets):
                r = journal.read(offsets[i])
                return r, r is not None and r["k"] in ledger.VOIDABLE and r["trace"] in voided
            i -= len(offsets)
        return None, False

    def __getitem__(self, index):
        r, gone = self.entry(index)
        if r is None:
            return "?"
        label = "%06d %s %s" % (r["trace"], short_name(r["k"]), format_fen(r.get("amt", 0)))
        st = r.get("st", "approved")
        if st != "approved":
            label += " " + t("state_" + st)
        elif gone:
            label += " " + t("state_voided")
        return label


def browse(app, title, found, more):
    results = Results(found)
    lines = [tf("found", len(results))]
    if more:
        lines.append(t("too_many"))
    editor = ListEditor(results)
    while True:
        picked = yield from ask(app, title, lines, editor)
        if picked in GAVE_UP:
            return DONE if picked == CANCEL else AWAY
        record, gone = results.entry(picked)
        if record is not None:
            key = yield from detail(app, title, record, gone)
            if key == "TIMEOUT":
                return AWAY


def detail(app, title, r, gone):
    d, tm = r.get("date", ""), r.get("time", "")
    st = r.get("st", "approved")
    lines = [TYPE_NAMES.get(r["k"], r["k"]),
             t("voucher_no") + ": %06d  " % r["trace"] + t("batch_no") + ": %06d" % r["batch"],
             t("amount") + ": RMB " + format_fen(r.get("amt", 0)),
             (t("order_no") + ": " + r.get("on", "")) if "pan" not in r else (t("card_no") + ": " + r["pan"]),
             "%s/%s/%s %s:%s:%s" % (d[0:4], d[4:6], d[6:8], tm[0:2], tm[2:4], tm[4:6])]
    if r.get("ref"):
        lines.append(t("refer_no") + ": " + r["ref"])
    if r.get("auth"):
        lines.append(t("auth_no") + ": " + r["auth"])
    lines.append(t("state_" + st) + (" " + t("state_voided") if gone else ""))
    if st == "declined" and r.get("rc"):
        lines.append(t("reason") + ": " + rc_text(r["rc"]))
    return (yield Show(Screen(title, lines, t("press_any_key")), app.settings["idle_timeout"]))


def totals(app):
    by_kind, sums = ledger.totals(app.journal)
    lines = [t("batch_no") + ": %06d" % app.counters.batch] + total_rows(by_kind, sums)
    key = yield Show(Screen(t("menu_totals"), lines, t("press_any_key")), app.settings["idle_timeout"])
    return AWAY if key == TIMEOUT else DONE

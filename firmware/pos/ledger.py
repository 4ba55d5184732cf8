"""What the journal says about the batch: a transaction by trace, the last slip, totals, matches.

Everything streams the journal one record at a time: a batch of thousands of
records is read in a few hundred bytes of heap. A transaction's record is
never rewritten; later facts are records of their own:
- {"k": "void" (a QR payment's: "qr_void"), "st": "approved", "ob": batch, "ot": trace, ...}
  voids the transaction (ob, ot);
- {"k": "printed", "batch", "trace", "copy"} says a slip copy printed;
- a transaction is journaled once, when its answer came; one that got no
  valid answer is journaled as "reversed" when its reversal completes.
"""

from pos import const

# Kinds with money and a slip, in the order totals are shown.
KINDS = ("sale", "void", "refund", "preauth", "preauth_void", "preauth_complete", "bill_payment", "repayment",
         "qr_sale", "qr_order", "qr_void", "qr_refund")
# Settlement (field 48): debits and credits among them.
DEBIT = ("sale", "preauth_complete", "bill_payment", "repayment", "qr_sale", "qr_order")
CREDIT = ("refund", "qr_refund")
VOIDABLE = ("sale", "bill_payment", "qr_sale", "qr_order")
VOIDS = ("void", "qr_void")     # a card payment's void, a QR payment's
MAX_MATCHES = const(500)


def is_transaction(record):
    return record.get("k") in KINDS and "trace" in record


def voided(journal):
    """The set of (batch, trace) voided by an approved void of the journal."""
    out = set()
    for r in journal.records():
        if r.get("k") in VOIDS and r.get("st") == "approved":
            out.add((r["ob"], r["ot"]))
    return out


def lookup(journal, trace_no):
    """(record, voided) of the last transaction with this trace number; (None, False) if none."""
    found = None
    was_voided = False
    for r in journal.records():
        if not is_transaction(r):
            continue
        if r["trace"] == trace_no:
            found = r
        elif r["k"] in VOIDS and r.get("st") == "approved" and r["ot"] == trace_no:
            was_voided = True
    return found, was_voided and found is not None


def last_approved(journal):
    """The last approved transaction (the slip 重打印 prints), or None."""
    last = None
    for r in journal.records():
        if not is_transaction(r):
            continue
        if r.get("st") == "approved":
            last = r
        elif last is not None and r["trace"] == last["trace"] and r["batch"] == last["batch"]:
            last = None
    return last


def find_reference(journal, ref):
    """The approved transaction with this retrieval reference number, or None."""
    for r in journal.records():
        if is_transaction(r) and r.get("st") == "approved" and r.get("ref") == ref:
            return r
    return None


def totals(journal):
    """{kind: [count, fen]} of approved transactions, voided ones left out, and
    (debit fen, debit count, credit fen, credit count) for settlement."""
    gone = voided(journal)
    by_kind = {}
    debit = debit_n = credit = credit_n = 0
    for r in journal.records():
        if not is_transaction(r) or r.get("st") != "approved" or "amt" not in r:
            continue
        k = r["k"]
        if k in VOIDS or (r["batch"], r["trace"]) in gone:
            continue
        entry = by_kind.get(k)
        if entry is None:
            entry = by_kind[k] = [0, 0]
        entry[0] += 1
        entry[1] += r["amt"]
        if k in DEBIT:
            debit += r["amt"]
            debit_n += 1
        elif k in CREDIT:
            credit += r["amt"]
            credit_n += 1
    return by_kind, (debit, debit_n, credit, credit_n)


def matches(journal, pred, limit=MAX_MATCHES, voided=None):
    """(offsets of the transactions pred accepts, oldest first, at most limit; True if there were more).

    voided: a list that gets the trace number of every transaction an approved void of the
    journal voided (the journal is then read to its end, past the limit), in the same pass.
    """
    from array import array
    found = array("I")
    more = False
    for pos, r in journal.entries():
        if not is_transaction(r):
            continue
        if voided is not None and r["k"] in VOIDS and r.get("st") == "approved":
            voided.append(r["ot"])
        if pred(r):
            if len(found) < limit:
                found.append(pos)
            else:
                more = True
                if voided is None:
                    break
    return found, more


def uploads(journal):
    """(60.1 type, trace, fen) of each transaction a batch upload sends: the settlement's debits and credits."""
    from pos import cup
    from pos.message import TYPE60
    gone = voided(journal)
    for r in journal.records():
        if not is_transaction(r) or r.get("st") != "approved" or "amt" not in r:
            continue
        k = r["k"]
        if (k in DEBIT or k in CREDIT) and (r["batch"], r["trace"]) not in gone:
            yield cup.TRANSACTIONS[k][TYPE60], r["trace"], r["amt"]


def tcs(journal):
    """The journal records the TC upload sends, oldest first: each approved transaction the chip
    approved with a TC at its second GENERATE AC (a tap ends with its ARQC: none), voided or not,
    journaled with that AC's 9F10 ("iad")."""
    for r in journal.records():
        if is_transaction(r) and r.get("st") == "approved" and r.get("cgt") == "TC" and "iad" in r:
            yield r

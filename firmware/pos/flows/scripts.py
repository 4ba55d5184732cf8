"""脚本处理结果通知: the card's results of the issuer's scripts told to the host (0620, 60.3 951).

A chip transaction whose answer carried issuer scripts (71 / 72) and that is not undone by a
reversal (the reversal carries the results itself, DF31 in its field 55) leaves a notice on
flash, its card number sealed as a reversal's is. `online.send_pending` sends it on the next
link, after a pending reversal: the original's 2, 3, 4, 22 and 23, its batch, trace and date in
61, and field 55 with the results (DF31), 9F36, 95, 9F10, 9F26 and 9F27. An answer 00 clears
it; one not answered is tried again with the next request, MAX_TRIES times in all.
"""
from pos import store
from pos.i18n import t

NAME = "script_notice"
MAX_TRIES = 3
NOTICE55 = (0xDF31, 0x9F36, 0x95, 0x9F10, 0x9F26, 0x9F27)


def queue(app, card, record, s):
    """Keep the notice of the scripts the card ran in this transaction (s, the kernel's session)."""
    from pos import cup, message, sealed
    from pos.emv import kernel
    from pos.money import amount_field
    fields = {2: card["pan"], 3: cup.TRANSACTIONS[record["k"]][message.PROC], 4: amount_field(record.get("amt", 0)),
              22: "05" + ("1" if s.cvm == "pin" else "2"), 55: kernel.field55(s, NOTICE55),
              61: message.field61(record["batch"], record["trace"], record["date"][4:8])}
    if card.get("psn"):
        fields[23] = "0" + card["psn"]
    doc = sealed.keep(app.tmk, fields, cup.SEALED)
    doc["tries"] = 0
    store.save(app.dir, NAME, doc)


def send(app):
    """The pending notice on the open link, if there is one."""
    from pos import sealed
    from pos.flows import online
    doc = store.load(app.dir, NAME)
    if doc is None:
        return
    fields, _why = yield from online.request(app, "script_result", sealed.kept(app.tmk, doc), t("sending_notice"))
    doc["tries"] += 1
    if fields is not None and fields.get(39) == "00" or doc["tries"] >= MAX_TRIES:
        store.remove(app.dir, NAME)
    else:
        store.save(app.dir, NAME, doc)

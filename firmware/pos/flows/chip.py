"""插卡 and 挥卡: a chip card through the kernel (pos/emv/kernel.py, pos/emv/qpboc.py), as the
card flows use it.

    read        the application chosen (请选择应用 when the card has several), its data read,
                authenticated offline and checked: the card dict, or None once the merchant was told
    first_ac    after the cardholder's PIN: the first GENERATE AC; False when the card declines
    step        the money path's card step: the host's answer into the card, the second
                GENERATE AC deciding (TC approves; AAC, or the card gone, undoes the approval)
    take_out    请拔卡 until the card leaves the slot (card.done calls it for a chip card)

While the card works the screen says 请勿拔卡 (a tap: 请保持卡片靠近, then a beep lets it go). The
card dict of a chip card carries "emv", the kernel's Session, for the request's field 55 and, in
the slot, the card step.
"""
from binascii import unhexlify

from pos import clock
from pos.emv import kernel
from pos.editors import ListEditor
from pos.engine import Beep, RemoveCard
from pos.flows.common import ask, notice
from pos.i18n import t
from pos.results import GAVE_UP
from pos.screen import Screen

REMOVE_WAIT_S = 120


def capks(app, day):
    """The CA public keys the host gave (0800, 60.3 370) and not expired on day (YYYYMMDD):
    {(RID hex, index): (modulus, exponent)}."""
    from pos import store
    doc = store.load(app.dir, "capk") or {}
    out = {}
    for key in doc:
        rid, _, index = key.partition(":")
        entry = doc[key]
        if len(entry) > 2 and entry[2] and entry[2] < day:
            continue
        out[(rid, int(index, 16))] = (unhexlify(entry[0]), entry[1])
    return out


def read(app, title, lines, reader, emv):
    """The card in reader ("icc" the slot, "nfc" the field) read through the kernel. emv: (9C
    transaction type hex, amount in fen) for a transaction the card takes part in; None to read
    its number only (void, refund)."""
    day, hms = clock.stamp(app.clock())
    kind, amount = emv or ("00", 0)
    s = kernel.Session(reader, Screen(title, list(lines) + [t("chip_working" if reader == "icc" else "tap_hold")]),
                       amount, kind, day, hms, app.counters.trace % 999999 + 1, app.terminal_id)
    from pos import store
    params = store.load(app.dir, "aids") or {}      # the host's AID parameters (0800, 60.3 380), if any
    known = params.get("aids") or {}
    aids = tuple(known) or kernel.AIDS
    try:
        if reader == "nfc":
            from pos.emv import qpboc             # 小额免密: the host's limit, else 1000.00
            yield from qpboc.read(s, amount, params.get("qps_limit", qpboc.DEFAULT_LIMIT), aids)
        elif not (yield from _contact(app, s, aids, known, emv is not None, day)):
            return None
    except kernel.CardError as e:            # CardGone too: 卡片已拔出
        yield from notice(app, title, [t(e.args[0])], 5)
        return None
    if reader == "nfc":
        yield Beep()                             # the tapped card may leave the field
    expiry = s.t.get(0x5F24)
    return {"pan": s.pan, "expiry": kernel.hexstr(expiry)[:4] if expiry else None, "track2": kernel.track2(s),
            "entry": "chip" if reader == "icc" else "tap", "psn": kernel.hexstr(s.t.get(0x5F34, b"\x00"))[-2:],
            "emv": s}


def _contact(app, s, aids, known, online, day):
    """A card in the slot from selection to its checked data (authenticated when it goes online);
    False when the cardholder gave up choosing its application."""
    apps = yield from kernel.candidates(s, aids)
    while apps:
        choice = 0
        if len(apps) > 1:
            choice = yield from ask(app, t("choose_app"), [], ListEditor([a[1] or a[0] for a in apps]))
            if choice in GAVE_UP:
                return False
        try:
            yield from kernel.initiate(s, apps[choice][0])
            denial = known.get(apps[choice][0], {}).get("denial")
            if denial:
                s.tac_denial = unhexlify(denial)
            break
        except kernel.CardError as e:
            if e.args[0] != "chip_not_accepted":
                raise
            del apps[choice]                     # the card refuses it here: the others remain
    if not apps:
        raise kernel.CardError("chip_not_accepted")
    yield from kernel.read_records(s)
    if online:
        yield from kernel.authenticate(s, capks(app, day), day[2:8])
        kernel.restrict(s, day[2:8])
    return True


def wants_pin(card):
    """True when the card's cardholder verification is an online PIN: the CVM list of a card in the
    slot, the amount against the limit for a tap (qpboc.read decided it)."""
    s = card["emv"]
    return (s.cvm if card["entry"] == "tap" else kernel.cardholder(s)) == "pin"


def first_ac(app, title, card):
    """The first GENERATE AC of a card in the slot read with emv: True for an ARQC (go online); a
    tapped card gave its ARQC with the processing options."""
    s = card["emv"]
    if card["entry"] == "tap":
        return True
    try:
        cid = yield from kernel.first_ac(s)
    except kernel.CardError as e:
        yield from notice(app, title, [t(e.args[0])], 5)
        return False
    if cid != kernel.ARQC:
        yield from notice(app, t("declined"), [t("card_declined")])
        return False
    return True


def icc_record(record, s):
    """What the slip and the journal keep of the chip (hex): AID, label, the last cryptogram ("cg"),
    its type ("cgt"), the TVR it covers, TSI, ATC, and its issuer application data ("iad", 9F10:
    the TC upload at settlement carries it)."""
    cid = s.t.get(0x9F27, b"\x00")[0] & 0xC0
    record.update({"aid": kernel.hexstr(s.t.get(0x84, b"")), "app": kernel.label(s.t),
                   "cg": kernel.hexstr(s.t[0x9F26]),
                   "cgt": "TC" if cid == kernel.TC else "ARQC" if cid == kernel.ARQC else "AAC",
                   "tvr": kernel.hexstr(s.signed_tvr or s.tag(0x95)), "tsi": kernel.hexstr(s.tag(0x9B)),
                   "atc": kernel.hexstr(s.t.get(0x9F36, b"")), "iad": kernel.hexstr(s.t.get(0x9F10, b""))})
    if s.reader == "nfc" and s.cvm == "none":
        record["nosig"] = 1              # 小额免密免签: no PIN, and no signature either


def step(app, card, record):
    """The card step of online.financial for a chip card that gave an ARQC: step(fields) runs the
    host's answer (None: none came) through the card and returns None when the card takes an
    approval, else the reversal's reason (06: the card declined it, or left before it could say).
    The record gets the card's last cryptogram."""
    from pos import cup, rescodes
    from pos.flows import reversal
    s = card["emv"]

    def run(fields):
        code = fields.get(39) if fields is not None else None
        answer55 = fields.get(55, b"") if fields is not None else b""
        try:
            cid = yield from kernel.complete(s, answer55, code)
        except kernel.CardError:                 # the card gone, or unreadable now
            cid = None
        undone = code is None or (rescodes.is_approved(code) and cid != kernel.TC)
        if undone:                       # the reversal goes: with what the card says now
            reversal.set_icc(app, kernel.reversal55(s))
        elif s.scripts:                  # the issuer's scripts ran: the host hears how
            from pos.flows import scripts
            scripts.queue(app, card, record, s)
        icc_record(record, s)
        return None if cid == kernel.TC else cup.REVERSAL_OTHER
    return run


def take_out(app, title):
    """请拔卡 until the chip card leaves the slot."""
    yield RemoveCard(Screen(title, [t("remove_card")]), REMOVE_WAIT_S)

"""The card and the cardholder: read a card (swipe, or key the number), take the PIN.

A card is a dict {"pan", "expiry", "track2", "entry"} held in RAM for one
transaction only; the journal and slips get mask_pan(pan). A card inserted
in the chip slot (("insert", ATR)) or tapped (("tap", UID)) comes from the same
ReadCard effect and is read through the chip kernel (flows/chip.py: "entry"
"chip" or "tap", its "psn" and the kernel's session in "emv"); a chip card
swiped is asked to be inserted, and a chip that could not be read MAX_TRIES
times lets its stripe be swiped, marked as a fallback. A card presented at the
idle screen (app.presented) is the first one read.
"""
from pos import cup
from pos.editors import DigitsEditor, PinEditor
from pos.engine import Ask, ReadCard, Show
from pos.flows.common import notice
from pos.i18n import t
from pos.pinblock import encrypt_pin_block
from pos.results import GAVE_UP
from pos.screen import Screen
from pos.track2 import Track2Error, luhn_ok, mask_pan, parse_track2

MAX_TRIES = 3
# Field 22: how the PAN was read (01 keyed, 02 swipe, 05 chip, 07 contactless), then 1 with a PIN, 2 without.
_ENTRY_MODE = {"keyed": "01", "swipe": "02", "chip": "05", "tap": "07"}


def read(app, title, lines, prompt=None, keyed=False, emv=None):
    """A card, or None when cancelled, left alone, or unreadable MAX_TRIES times. emv: (9C, amount
    in fen) when a chip card takes part in the transaction (flows/chip.py), None otherwise."""
    timeout = app.settings["idle_timeout"]
    chip_failed = 0
    for _ in range(MAX_TRIES * 2):
        fallback = chip_failed >= MAX_TRIES
        shown = [prompt or t("swipe_card")] if prompt or fallback else [card_prompt(app)]
        if "nfc" in app.readers and not fallback:
            shown.append(t("tap_card"))
        event, app.presented = app.presented, None
        if event is None:
            manual = DigitsEditor(13, 19, too_short="card_no_too_short") if keyed else None
            event = yield ReadCard(Screen(title, list(lines) + shown, t("key_card_no") if keyed else None),
                                   timeout, manual)
        if event in GAVE_UP:
            return None
        if event[0] == "keyed":
            if luhn_ok(event[1]):
                return {"pan": event[1], "expiry": None, "track2": None, "entry": "keyed"}
            yield from _again(app, title, lines, "bad_card_no")
            continue
        if event[0] in ("insert", "tap") and not fallback:
            from pos.flows import chip
            card = yield from chip.read(app, title, lines, "icc" if event[0] == "insert" else "nfc", emv)
            if card is not None:
                return card
            chip_failed += event[0] == "insert"
            continue
        if event[0] in ("insert", "tap"):    # the chip given up on: its stripe
            yield from _again(app, title, lines, "swipe_card")
            continue
        if event[0] != "swipe":              # ("card_error", why): the reader could not read it
            chip_failed += event[1] == "chip"
            yield from _again(app, title, lines, "card_unreadable")
            continue
        try:
            pan, expiry, service = parse_track2(event[1])
        except Track2Error:
            yield from _again(app, title, lines, "card_unreadable")
            continue
        if service[:1] in ("2", "6") and not fallback:
            yield from _again(app, title, lines, "insert_card")       # a chip card goes in the slot
            continue
        card = {"pan": pan, "expiry": expiry, "track2": event[1].strip(";?"), "entry": "swipe"}
        if fallback and service[:1] in ("2", "6"):
            card["fallback"] = True
        return card
    return None


def _again(app, title, lines, why):
    """Why the card was not taken, under the transaction's lines, for a few seconds or until a key;
    a card presented meanwhile is the next one read."""
    got = yield Show(Screen(title, list(lines) + [t(why)], t("press_any_key")), 5, cards=True)
    if type(got) is tuple:
        app.presented = got


def card_prompt(app):
    """请插卡或刷卡 where the board has a chip slot, else 请刷卡."""
    return t("insert_or_swipe" if "icc" in app.readers else "swipe_card")


def presented_lines(app):
    """The number of a card presented at the idle screen, for the screens before it is read."""
    event = app.presented
    if event is None or event[0] != "swipe":
        return []
    try:
        return [t("card_no") + ": " + mask_pan(parse_track2(event[1])[0])]
    except Track2Error:
        return []


def pin_block(app, title, lines, pan):
    """The cardholder's PIN as a block under the PIK, or None. The digits are wiped at once."""
    from pos.flows.online import signed_in
    if not (yield from signed_in(app)):      # an answer since the flow began may have dropped the keys
        return None
    pin = PinEditor()
    entered = yield Ask(Screen(title, list(lines) + [t("enter_pin")], t("pin_hint")), pin,
                        app.settings["idle_timeout"])
    if entered in GAVE_UP:
        pin.clear()
        return None
    block = encrypt_pin_block(app.pik, entered, pan)
    pin.clear()
    return block


def with_pin(app, title, lines, prompt=None, check=None, emv=None):
    """A card and its PIN: (card, the request fields that carry them) or None when cancelled.

    check(card) -> an i18n key refusing the card (another card than the original, say) or None.
    emv: (9C, amount in fen) for a transaction a chip card takes part in: the PIN is asked when
    its CVM list wants an online PIN, and its first GENERATE AC made (field 55). A chip card is
    asked out of the slot on the way out when the transaction ends here.
    """
    card = yield from read(app, title, lines, prompt, emv=emv)
    if card is None:
        return None
    why = check(card) if check is not None else None
    if why is not None:
        yield from notice(app, title, [t(why)])
        yield from done(app, title, card)
        return None
    chip = None
    if emv is not None and "emv" in card:
        from pos.flows import chip               # the card takes part: its CVM, then its cryptogram
    block = None
    if chip is None or chip.wants_pin(card):
        block = yield from pin_block(app, title, list(lines) + [t("card_no") + ": " + masked(card)], card["pan"])
        if block is None:
            yield from done(app, title, card)
            return None
    if chip is not None and not (yield from chip.first_ac(app, title, card)):
        yield from done(app, title, card)
        return None
    return card, fields(card, block)


def done(app, title, card):
    """The end of a card's part: a chip card is asked out of the slot (请拔卡)."""
    if card is not None and card.get("entry") == "chip":
        from pos.flows import chip
        yield from chip.take_out(app, title)


def card_step(app, card, record):
    """The money path's card step for this card: the chip's second GENERATE AC, or None."""
    s = card.get("emv")
    if s is None or card["entry"] != "chip" or 0x9F26 not in s.t:
        return None                  # a tapped card is gone: the host's answer decides alone
    from pos.flows import chip
    return chip.step(app, card, record)


def fields(card, block=None):
    """The request fields that carry the card (2, 14, 22, 23, 35, 55; 60.5 of a fallback) and the
    PIN (26, 52, 53)."""
    values = {2: card["pan"], 22: _ENTRY_MODE[card["entry"]] + ("1" if block is not None else "2"), 25: "00"}
    if card["expiry"]:
        values[14] = card["expiry"]
    if card["track2"]:
        values[35] = card["track2"]
    if card.get("psn"):
        values[23] = "0" + card["psn"]
    s = card.get("emv")
    if s is not None and 0x9F26 in s.t:
        from pos.emv import kernel
        values[55] = kernel.field55(s)
    if card.get("fallback"):
        values["tail60"] = "62"
    if block is not None:
        values[26] = "12"
        values[52] = block
        values[53] = cup.SECURITY_CONTROL
    return values


def masked(card):
    """The card number as screens, slips and the journal show it: first 6, last 4."""
    return mask_pan(card["pan"])


def same_card(card, masked):
    """True when the card read now is the one a masked number (first 6, last 4) names."""
    pan = card["pan"]
    return len(pan) == len(masked) and pan[:6] == masked[:6] and pan[-4:] == masked[-4:]

"""The card and the cardholder: read a card (swipe, or key the number), take the PIN.

A card is a dict {"pan", "expiry", "track2", "entry"} held in RAM for one
transaction only; the journal and slips get mask_pan(pan). A card inserted
in the chip slot or tapped comes as ("insert", ATR) or ("tap", UID) from the
same ReadCard effect; until chip (EMV) transactions come, the merchant is
asked to swipe it instead, as terminals do for a chip they cannot read. A
card presented at the idle screen (app.presented) is the first one read.
"""
from pos import cup
from pos.editors import DigitsEditor, PinEditor
from pos.engine import Ask, ReadCard
from pos.flows.common import notice
from pos.i18n import t
from pos.pinblock import encrypt_pin_block
from pos.results import GAVE_UP
from pos.screen import Screen
from pos.track2 import Track2Error, luhn_ok, mask_pan, parse_track2

MAX_TRIES = 3
# Field 22: how the PAN was read (01 keyed, 02 swipe) and whether a PIN was entered (1) or not (2).
_ENTRY_MODE = {("swipe", True): "021", ("swipe", False): "022", ("keyed", True): "011", ("keyed", False): "012"}


def read(app, title, lines, prompt=None, keyed=False):
    """A card, or None when cancelled, left alone, or unreadable MAX_TRIES times."""
    timeout = app.settings["idle_timeout"]
    prompt = prompt or t("swipe_card")
    for _ in range(MAX_TRIES):
        event, app.presented = app.presented, None
        if event is None:
            manual = DigitsEditor(13, 19, too_short="card_no_too_short") if keyed else None
            event = yield ReadCard(Screen(title, list(lines) + [prompt], t("key_card_no") if keyed else None),
                                   timeout, manual)
        if event in GAVE_UP:
            return None
        if event[0] == "keyed":
            if luhn_ok(event[1]):
                return {"pan": event[1], "expiry": None, "track2": None, "entry": "keyed"}
            yield from notice(app, title, [t("bad_card_no")], 5)
            continue
        if event[0] in ("insert", "tap"):   # no chip (EMV) transaction yet: the magstripe instead
            yield from notice(app, title, [t("chip_use_swipe")], 5)
            continue
        if event[0] != "swipe":              # ("card_error", why): the reader could not read it
            yield from notice(app, title, [t("card_unreadable")], 5)
            continue
        try:
            pan, expiry, _service = parse_track2(event[1])
            return {"pan": pan, "expiry": expiry, "track2": event[1].strip(";?"), "entry": "swipe"}
        except Track2Error:
            yield from notice(app, title, [t("card_unreadable")], 5)
    return None


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


def with_pin(app, title, lines, prompt=None, check=None):
    """A card and its PIN: (card, the request fields that carry them) or None when cancelled.

    check(card) -> an i18n key refusing the card (another card than the original, say) or None.
    """
    card = yield from read(app, title, lines, prompt)
    if card is None:
        return None
    why = check(card) if check is not None else None
    if why is not None:
        yield from notice(app, title, [t(why)])
        return None
    block = yield from pin_block(app, title, list(lines) + [t("card_no") + ": " + masked(card)], card["pan"])
    if block is None:
        return None
    return card, fields(card, block)


def fields(card, block=None):
    """The request fields that carry the card (2, 14, 22, 35) and the PIN (26, 52, 53)."""
    values = {2: card["pan"], 22: _ENTRY_MODE[(card["entry"], block is not None)], 25: "00"}
    if card["expiry"]:
        values[14] = card["expiry"]
    if card["track2"]:
        values[35] = card["track2"]
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

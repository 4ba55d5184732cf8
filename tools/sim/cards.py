"""Test cards and the test terminal, from the test data files the acquirer also reads: the
cardholders' cards (testdata.json), the chip cards' personalisation (emv_cards.json), the
customers' payment codes and their phones' wallets (qrpay.json)."""
import json
import os

TESTDATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "testdata")
DATA = os.path.join(TESTDATA, "testdata.json")
EMV_CARDS = os.path.join(TESTDATA, "emv_cards.json")
QRPAY = os.path.join(TESTDATA, "qrpay.json")


def load():
    with open(DATA, encoding="utf-8") as f:
        return json.load(f)


def track2(card):
    """Track 2 as the magstripe reader gives it: PAN '=' YYMM, the service code (201 for a chip
    card: its chip is to be used; else 101) then zeros."""
    if "track2" in card:
        return card["track2"]
    return card["pan"] + "=" + card["expiry"] + ("201" if card.get("interface") else "101") + "0" * 10


def by_name(name):
    for card in load()["cards"]:
        if card["name"] == name:
            return card
    raise KeyError(name)


def chip_names(interface):
    """The chip cards of emv_cards.json that work through interface ("contact": the slot,
    "contactless": the field), in the file's order."""
    with open(EMV_CARDS, encoding="utf-8") as f:
        return [card["name"] for card in json.load(f)["cards"] if card["interface"] == interface]


def pay_codes():
    """The customers' test payment codes (付款码) of qrpay.json, in the file's order."""
    with open(QRPAY, encoding="utf-8") as f:
        return [entry["code"] for entry in json.load(f)["codes"]]


def phone_wallets():
    """The names of the test wallets a customer's phone pays a QR code with (qrpay.json)."""
    with open(QRPAY, encoding="utf-8") as f:
        return [phone["name"] for phone in json.load(f)["phone_wallets"]]


def _chip(name):
    from drivers.fakes.chipcard import ChipCard, load as load_chip
    card, imk = load_chip(EMV_CARDS, name)
    return card, ChipCard(card, imk)


def inserted(name):
    """The contact chip card name as the slot's fake holds it: its ATR (none when the card is
    mute: chip_dead) and the virtual card answering its APDUs."""
    from drivers.fakes.chipcard import ATR
    from drivers.fakes.icc import FakeCard
    card, chip = _chip(name)
    return FakeCard(None if card["mute"] else ATR, chip)


def tapped(name):
    """The contactless card name as the PN532's fake sees it: a type A card whose UID is the last
    four bytes of its PAN's digits, the virtual card answering its APDUs."""
    from drivers.fakes.nfc import FakeCardA
    card, chip = _chip(name)
    return FakeCardA(bytes.fromhex(card["pan"][-8:]), chip)


def provision():
    term = load()["terminal"]
    return {"terminal_id": term["terminal_id"], "merchant_id": term["merchant_id"],
            "merchant_name": term["merchant_name"], "tmk": term["tmk"]}

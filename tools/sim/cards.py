"""Test cards and the test terminal, from the one test data file the acquirer also reads."""
import json
import os

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "testdata", "testdata.json")


def load():
    with open(DATA, encoding="utf-8") as f:
        return json.load(f)


def track2(card):
    """Track 2 as the magstripe reader gives it: PAN '=' YYMM '101' then zeros."""
    if "track2" in card:
        return card["track2"]
    return card["pan"] + "=" + card["expiry"] + "101" + "0" * 10


def by_name(name):
    for card in load()["cards"]:
        if card["name"] == name:
            return card
    raise KeyError(name)


def provision():
    term = load()["terminal"]
    return {"terminal_id": term["terminal_id"], "merchant_id": term["merchant_id"],
            "merchant_name": term["merchant_name"], "tmk": term["tmk"]}

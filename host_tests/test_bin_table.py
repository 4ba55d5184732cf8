"""The BIN table (firmware/assets/bins.txt) names the test cards' banks as the test data does."""
import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_every_test_card_with_an_issuer_has_it_in_the_bin_table():
    with open(os.path.join(ROOT, "firmware", "assets", "bins.txt"), encoding="utf-8") as f:
        table = dict(line.rstrip("\n").split("\t") for line in f)
    with open(os.path.join(ROOT, "tools", "testdata", "testdata.json"), encoding="utf-8") as f:
        cards = [card for card in json.load(f)["cards"] if "issuer" in card]
    assert cards
    for card in cards:
        assert table.get(card["pan"][:6]) == card["issuer"], card["name"]

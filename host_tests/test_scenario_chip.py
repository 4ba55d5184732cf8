"""Chip and contactless scenarios (host_tests/scenarios/chip_*.scn, tap_*.scn) end to end: the
simulator's slot and field hold the virtual cards of tools/testdata/emv_cards.json, the acquirer
verifies each ARQC with pyemv; after a scenario the acquirer's store and the terminal's journal are
read. test_e2e.py runs every scenario file for its screens and slips; these check what they leave.
"""
import json
import os
import subprocess
import sys

import pytest

from tools.sim import scenario

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCENARIOS = os.path.join(ROOT, "host_tests", "scenarios")
sys.path.insert(0, os.path.join(ROOT, "firmware"))


def _run(name, tmp_path):
    """Run scenarios/NAME.scn; returns (the acquirer's transactions, the terminal's journal records)."""
    state = tmp_path / "flash"
    state.mkdir(exist_ok=True)
    with open(os.path.join(SCENARIOS, name + ".scn"), encoding="utf-8") as f:
        steps = scenario.parse(f.read())
    runner = scenario.Runner(state_dir=str(state))
    try:
        runner.run(steps)
        out = subprocess.run([sys.executable, "-m", "tools.acquirer", "transactions", "--db", runner.db],
                             capture_output=True, text=True, check=True, cwd=ROOT)
        from pos.journal import Journal
        return json.loads(out.stdout), list(Journal(str(state)).records())
    finally:
        runner.close()


def _of(rows, kind):
    return [r for r in rows if r.get("type", r.get("k")) == kind]


def test_a_chip_sale_goes_online_with_an_arqc_the_host_verified_and_the_card_ends_with_a_tc(tmp_path):
    txns, journal = _run("chip_sale_approved", tmp_path)
    [sale] = _of(txns, "sale")
    assert sale["state"] == "approved" and sale["masked_pan"] == "622202*********0008"
    assert sale["icc"]["aid"] == "A000000333010101" and sale["icc"]["arqc"] and sale["icc"]["arpc"]
    # The CA key came with the IC parameters the host asked for at sign-in: DDA done and passed.
    assert int(sale["icc"]["tvr"][:2], 16) & 0xE8 == 0, sale["icc"]["tvr"]
    [record] = [r for r in journal if r.get("k") == "sale"]
    assert record["entry"] == "chip" and record["cgt"] == "TC" and record["st"] == "approved"


def test_a_chip_decline_is_the_hosts_and_journaled_without_a_slip(tmp_path):
    txns, journal = _run("chip_declined_poor", tmp_path)
    [sale] = _of(txns, "sale")
    assert sale["state"] == "declined" and sale["response_code"] == "51" and sale["icc"]["arqc"]
    assert [r["st"] for r in journal if r.get("k") == "sale"] == ["declined"]


def test_the_application_picked_is_the_one_the_host_sees(tmp_path):
    txns, _ = _run("chip_two_applications", tmp_path)
    [sale] = _of(txns, "sale")
    assert sale["state"] == "approved" and sale["icc"]["aid"] == "A000000333010102"


def test_the_approval_the_card_refused_is_reversed_at_the_host_before_the_next_sale(tmp_path):
    txns, journal = _run("chip_card_refuses_approval", tmp_path)
    refused, reversal, next_sale = txns
    assert (refused["type"], refused["amount_fen"], refused["state"]) == ("sale", 500, "reversed")
    assert reversal["type"] == "reversal" and reversal["original_id"] == refused["id"]
    assert reversal["note"].endswith("reason 06") and reversal["icc"]["atc"] == refused["icc"]["atc"]
    assert (next_sale["type"], next_sale["amount_fen"], next_sale["state"]) == ("sale", 700, "approved")
    assert [(r["amt"], r["st"]) for r in journal if r.get("k") == "sale"] == [(500, "reversed"), (700, "approved")]


def test_a_mute_chip_read_three_times_falls_back_to_its_stripe(tmp_path):
    txns, journal = _run("chip_dead_fallback", tmp_path)
    [sale] = _of(txns, "sale")
    assert sale["state"] == "approved" and sale["masked_pan"] == "622202*********0040" and sale["icc"] is None
    [record] = [r for r in journal if r.get("k") == "sale"]
    assert record["entry"] == "swipe"


def test_a_bad_signature_reaches_the_host_as_dda_failed_and_the_host_approves(tmp_path):
    txns, journal = _run("chip_bad_signature", tmp_path)
    [sale] = _of(txns, "sale")
    assert sale["state"] == "approved" and int(sale["icc"]["tvr"][:2], 16) & 0x08     # TVR byte 1: DDA failed
    [record] = [r for r in journal if r.get("k") == "sale"]
    assert int(record["tvr"][:2], 16) & 0x08


def test_a_tap_at_the_limit_goes_without_a_pin_and_the_card_leaves_the_field(tmp_path):
    txns, journal = _run("tap_under_limit_no_pin", tmp_path)
    [sale] = _of(txns, "sale")          # one: the card was not read again at the idle screen
    assert sale["state"] == "approved" and sale["amount_fen"] == 100000
    tags = sale["icc"]["tags"]
    assert tags["9F34"] == "1F0002" and not int(tags["9F66"][2:4], 16) & 0x40     # no CVM, none asked for
    [record] = [r for r in journal if r.get("k") == "sale"]
    assert record["entry"] == "tap" and record["cgt"] == "ARQC"


def test_a_tap_over_the_limit_carries_the_online_pin(tmp_path):
    txns, _ = _run("tap_credit_over_limit_pin", tmp_path)
    [sale] = _of(txns, "sale")
    assert sale["state"] == "approved" and sale["masked_pan"] == "625807*********0069"
    tags = sale["icc"]["tags"]
    assert tags["9F34"] != "1F0002" and int(tags["9F66"][2:4], 16) & 0x40          # CVM required: online PIN


def test_a_chip_sale_voided_with_the_card_in_the_slot_is_voided_at_the_host(tmp_path):
    txns, journal = _run("chip_void", tmp_path)
    [sale] = _of(txns, "sale")
    [void] = _of(txns, "void")
    assert sale["state"] == "voided" and void["state"] == "approved" and void["original_id"] == sale["id"]
    assert void["icc"] is None                    # read for its number only: no cryptogram
    assert [r["entry"] for r in journal if r.get("k") == "void"] == ["chip"]


def test_the_chips_tc_reaches_the_host_at_settlement_and_verifies_there_and_a_tap_sends_none(tmp_path):
    txns, _ = _run("chip_settle_tc", tmp_path)
    from pos.journal import Journal
    settled = list(Journal(str(tmp_path / "flash")).previous().records())
    [chip] = [r for r in settled if r.get("entry") == "chip"]
    [tap] = [r for r in settled if r.get("entry") == "tap"]
    by_arqc = {t["icc"]["arqc"]: t for t in _of(txns, "sale")}
    assert chip["cgt"] == "TC" and tap["cgt"] == "ARQC"
    assert by_arqc[tap["cg"]]["icc"]["tc"] is None
    [chip_sale] = [t for t in _of(txns, "sale") if t["icc"]["tc"] is not None]
    assert chip_sale["icc"]["tc"] == chip["cg"] and chip_sale["masked_pan"] == chip["pan"]


@pytest.mark.parametrize("text, why", [
    ("insert nosuch\n", "no contact chip card 'nosuch'"),
    ("insert tap\n", "no contact chip card 'tap'"),
    ("tap chip\n", "no contactless card 'chip'"),
    ("tap\n", "tap takes 1 to 1 arguments"),
    ("remove chip\n", "remove takes 0 to 0 arguments"),
    ("insert chip\nremove\ninsert chip_two\ninsert chip\n", "line 5: a card is in the slot already"),
])
def test_the_card_verbs_name_a_card_of_their_reader_and_the_bad_line(text, why):
    with pytest.raises(scenario.ScenarioError) as e:
        scenario.parse("power-on\n" + text)
    assert why in str(e.value) and "line " in str(e.value)

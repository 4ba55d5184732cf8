"""Chip (插卡, 22 = 051) and contactless (挥卡, 22 = 071) transactions at the acquirer: field
55, the card's ARQC, the answer's ARPC and issuer script, the reversal with 55, and the 0620
script result notice. The terminal is test_acquirer_menu's; its chip is written here with
pyemv (its TLV and its key derivation), never the acquirer's emv module."""

import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyemv import ac, kd, sm, tlv

from test_acquirer import TESTDATA, cli
from test_acquirer_menu import CARDS, available, signed_in_terminal, start, txn
from tools.acquirer import emv, spec
from tools.acquirer.testing import start_acquirer, stop

# pyemv 1.5 reaches 3DES through cryptography's deprecated name (tools/acquirer/emv.py).
pytestmark = pytest.mark.filterwarnings("ignore::cryptography.utils.CryptographyDeprecationWarning")
IMK_AC = bytes.fromhex(TESTDATA["emv"]["imk_ac"])
CHIP, CHIP_POOR, TAP, TAP_CREDIT = (CARDS[n] for n in ("chip", "chip_poor", "tap", "tap_credit"))
# What docs/acquirer.md says an online chip request carries in 55, besides the cryptogram.
REQUIRED = ("9F26", "9F27", "9F10", "9F37", "9F36", "95", "9A", "9C", "9F02", "5F2A", "82",
            "9F1A", "9F03", "9F33", "9F34", "9F35", "9F1E", "84", "9F09", "9F41")
AID = "A000000333010101"


# -- the card ----------------------------------------------------------------

class Chip:
    """A card's chip: its AC session key per ATC, its ARQC over the terminal's data."""

    def __init__(self, card, atc=1):
        self.card = card
        self.atc = atc.to_bytes(2, "big")
        icc_mk = kd.derive_icc_mk_a(IMK_AC, card["pan"], card["psn"])
        self.key = kd.derive_common_sk(icc_mk, self.atc + bytes(6))

    def tags(self, amount_fen, transaction_type="00", **override):
        """The tags of a first GENERATE AC that asks to go online, with their ARQC."""
        tags = {
            "9F02": bytes.fromhex("%012d" % amount_fen), "9F03": bytes(6),
            "9F1A": bytes.fromhex("0156"), "95": bytes.fromhex("0000048000"),
            "5F2A": bytes.fromhex("0156"), "9A": bytes.fromhex("261123"),
            "9C": bytes.fromhex(transaction_type), "9F37": os.urandom(4),
            "82": bytes.fromhex("7C00"), "9F36": self.atc,
            "9F10": bytes.fromhex("07010103A0A000010A010000000000C2DA6B44"),
            "9F27": b"\x80", "9F33": bytes.fromhex("E0F1C8"), "9F34": bytes.fromhex("420300"),
            "9F35": b"\x22", "9F1E": b"POS00001", "84": bytes.fromhex(AID),
            "9F09": bytes.fromhex("0020"), "9F41": bytes.fromhex("00000001"),
            "9B": bytes.fromhex("E800"),
        }
        tags.update({k.upper(): v for k, v in override.items()})
        if "9F26" not in tags:
            data = b"".join(tags[t] for t in ("9F02", "9F03", "9F1A", "95", "5F2A", "9A", "9C",
                                             "9F37", "82", "9F36")) + tags["9F10"][3:7]
            tags["9F26"] = ac.generate_ac(self.key, data)
        return tags

    def arpc(self, arqc, code):
        return ac.generate_arpc_1(self.key, arqc, code.encode("ascii")) + code.encode("ascii")

    def tc(self, tags, tvr, iad):
        """The TC of its second GENERATE AC: CDOL2's data as the request had it, the TVR it was given
        then, its ATC and the CVR of the 9F10 it answers with."""
        data = (b"".join(tags[t] for t in ("9F02", "9F03", "9F1A")) + tvr
                + b"".join(tags[t] for t in ("5F2A", "9A", "9C", "9F37", "82")) + self.atc + iad[3:7])
        return ac.generate_ac(self.key, data)


def field55(tags, drop=()):
    return tlv.encode({t: v for t, v in tags.items() if t not in drop})


def chip_request(terminal, name, card, amount_fen, chip=None, tags=None, entry="051", **extra):
    """-> (request fields, the tags its 55 carries)."""
    chip = chip or Chip(card)
    if tags is None:
        tags = chip.tags(amount_fen or 0, "31" if name == "balance" else "00")
    extra.setdefault("f23", "001")
    extra.setdefault("f55", field55(tags))
    fields = terminal.card_request(name, card, amount_fen, f22=entry, **extra)
    return fields, tags


def chip_sale(terminal, card=CHIP, amount_fen=12345, chip=None, **kw):
    """-> (request fields, tags, answer)."""
    fields, tags = chip_request(terminal, "sale", card, amount_fen, chip, **kw)
    return fields, tags, terminal.run(fields)[1]


def answer_tags(answer):
    return tlv.decode(answer[55])


def rows(terminal):
    return terminal.host.store.transactions()


@pytest.fixture
def terminal(tmp_path):
    t = signed_in_terminal(str(tmp_path / "host.db"))
    yield t
    t.host.store.close()


# -- the test data -------------------------------------------------------------

def test_the_chip_and_contactless_test_cards_are_on_file_with_their_interfaces():
    for name in ("chip", "chip_poor", "chip_two", "chip_aac", "chip_dead", "chip_badsig"):
        assert CARDS[name]["interface"] == "contact" and CARDS[name]["psn"] == "01"
        assert CARDS[name]["pan"].startswith("622202") and CARDS[name]["issuer"] == "工商银行"
    assert TAP["interface"] == TAP_CREDIT["interface"] == "contactless"
    assert TAP_CREDIT["kind"] == "credit" and TAP_CREDIT["issuer"] == "广发银行"
    assert CARDS["chip_poor"]["balance_fen"] == 1000


# -- the ARQC and the ARPC -----------------------------------------------------

def test_a_chip_sale_with_the_cards_arqc_is_approved_with_an_arpc_that_verifies(terminal):
    chip = Chip(CHIP)
    fields, tags, answer = chip_sale(terminal, chip=chip)
    assert answer[39] == "00" and answer.mac_ok(terminal.mak) and len(answer[38]) == 6
    assert answer_tags(answer) == {"91": chip.arpc(tags["9F26"], "00")}
    assert answer_tags(answer)["91"][8:] == b"\x30\x30"
    assert available(terminal.db, "chip") == start("chip") - 12345
    [row] = rows(terminal)
    assert row["type"] == "sale" and row["state"] == "approved"
    icc = row["icc"]
    assert icc["aid"] == AID and icc["arqc"] == tags["9F26"].hex().upper()
    assert icc["tvr"] == "0000048000" and icc["tsi"] == "E800" and icc["atc"] == "0001"
    assert icc["arpc"] == answer_tags(answer)["91"][:8].hex().upper()
    assert icc["script_sent"] is False and icc["script_result"] is None and icc["tc"] is None
    assert icc["tags"]["9F10"] == tags["9F10"].hex().upper()


def test_a_contactless_sale_is_verified_the_same_way(terminal):
    chip = Chip(TAP, atc=0x0102)
    fields, tags, answer = chip_sale(terminal, TAP, 500, chip=chip, entry="071")
    assert answer[39] == "00"
    assert answer_tags(answer)["91"] == chip.arpc(tags["9F26"], "00")


def test_a_wrong_arqc_is_declined_a7_without_an_arpc_and_journaled_as_declined(terminal):
    chip = Chip(CHIP)
    tags = chip.tags(12345)
    tags["9F26"] = bytes(b ^ 0x01 for b in tags["9F26"])
    _, _, answer = chip_sale(terminal, chip=chip, tags=tags)
    assert answer[39] == "A7" and 55 not in answer and 38 not in answer
    assert answer.mac_ok(terminal.mak)
    assert available(terminal.db, "chip") == start("chip")
    [row] = rows(terminal)
    assert (row["response_code"], row["state"]) == ("A7", "declined")


def test_an_arqc_of_another_atc_or_card_sequence_number_is_a7(terminal):
    chip = Chip(CHIP, atc=7)
    tags = chip.tags(100, **{"9F36": (8).to_bytes(2, "big")})
    assert chip_sale(terminal, chip=chip, tags=tags, amount_fen=100)[2][39] == "A7"
    assert chip_sale(terminal, amount_fen=100, f23="002")[2][39] == "A7"


def test_a_chip_card_without_the_funds_is_declined_51_with_a_valid_arpc(terminal):
    chip = Chip(CHIP_POOR)
    _, tags, answer = chip_sale(terminal, CHIP_POOR, 5000, chip=chip)
    assert answer[39] == "51"
    assert answer_tags(answer) == {"91": chip.arpc(tags["9F26"], "51")}
    assert answer_tags(answer)["91"][8:] == b"\x35\x31"
    assert available(terminal.db, "chip_poor") == 1000
    assert chip_sale(terminal, CHIP_POOR, 1000)[2][39] == "00"


def test_an_amount_in_9f02_other_than_field_4_is_13_with_its_arpc(terminal):
    chip = Chip(CHIP)
    tags = chip.tags(99999)
    _, _, answer = chip_sale(terminal, amount_fen=100, chip=chip, tags=tags)
    assert answer[39] == "13"
    assert answer_tags(answer)["91"] == chip.arpc(tags["9F26"], "13")
    assert available(terminal.db, "chip") == start("chip")


def test_a_wrong_pin_on_a_chip_card_is_55_with_its_arpc(terminal):
    chip = Chip(CHIP)
    _, tags, answer = chip_sale(terminal, chip=chip, pin="000000")
    assert answer[39] == "55" and answer_tags(answer)["91"] == chip.arpc(tags["9F26"], "55")


def test_a_chip_balance_inquiry_and_preauthorisation_carry_the_arpc(terminal):
    chip = Chip(CHIP, atc=3)
    fields, tags = chip_request(terminal, "balance", CHIP, None, chip)
    answer = terminal.run(fields)[1]
    assert answer[39] == "00" and answer[54].endswith("%012d" % start("chip"))
    assert answer_tags(answer)["91"] == chip.arpc(tags["9F26"], "00")
    fields, tags = chip_request(terminal, "preauth", CHIP, 700, chip)
    answer = terminal.run(fields)[1]
    assert answer[39] == "00" and answer_tags(answer)["91"] == chip.arpc(tags["9F26"], "00")


def test_a_completion_whose_55_carries_an_arqc_gets_it_verified(terminal):
    fields, _ = chip_request(terminal, "preauth", CHIP, 900)
    _, preauth = terminal.run(fields)
    chip = Chip(CHIP, atc=2)
    tags = chip.tags(800)
    complete = terminal.follow_up_request("preauth_complete", CHIP, preauth, 800, f22="051",
                                          f23="001", f55=field55(tags))
    answer = terminal.run(complete)[1]
    assert answer[39] == "00" and answer_tags(answer)["91"] == chip.arpc(tags["9F26"], "00")
    tags["9F26"] = bytes(8)
    complete = terminal.follow_up_request("preauth_complete", CHIP, preauth, 800, f22="051",
                                          f23="001", f55=field55(tags))
    assert terminal.run(complete)[1][39] == "A7"


def test_a_magstripe_sale_answers_no_55_and_lists_no_icc(terminal):
    _, answer = terminal.sale(CARDS["good"], 100)
    assert answer[39] == "00" and 55 not in answer
    assert rows(terminal)[0]["icc"] is None


# -- PIN on a contactless card -------------------------------------------------

def test_a_tap_without_pin_up_to_1000_yuan_is_approved_and_above_it_is_55(terminal):
    def tap(amount_fen):
        fields, _ = chip_request(terminal, "sale", TAP_CREDIT, amount_fen, entry="072")
        for n in (26, 52, 53):
            del fields[n]
        return terminal.run(fields)[1]

    assert tap(100000)[39] == "00"
    assert tap(100001)[39] == "55"
    assert available(terminal.db, "tap_credit") == start("tap_credit") - 100000


def test_a_chip_insert_without_pin_still_needs_the_pin(terminal):
    fields, _ = chip_request(terminal, "sale", CHIP, 100, entry="052")
    for n in (26, 52, 53):
        del fields[n]
    assert terminal.run(fields)[1][39] == "55"


# -- format errors (30) ----------------------------------------------------------

@pytest.mark.parametrize("tag", REQUIRED)
def test_a_chip_sale_without_a_required_tag_is_30(terminal, tag):
    tags = Chip(CHIP).tags(100)
    _, _, answer = chip_sale(terminal, amount_fen=100, tags=tags, f55=field55(tags, drop=(tag,)))
    assert answer[39] == "30" and 55 not in answer
    assert available(terminal.db, "chip") == start("chip")


@pytest.mark.parametrize("field", (23, 55, 35, 2))
def test_a_chip_sale_without_field_23_55_or_the_card_in_2_and_35_is_30(terminal, field):
    fields, _ = chip_request(terminal, "sale", CHIP, 100)
    del fields[field]
    assert terminal.run(fields)[1][39] == "30"


@pytest.mark.parametrize("override", (
    {"9F27": b"\x40"},                          # a TC: the card did not ask to go online
    {"9F10": bytes.fromhex("070101030000")},   # no room for the CVR
    {"9F10": bytes.fromhex("0A01010300000000000000")},
    {"9F36": b"\x01"},
    {"9F02": bytes.fromhex("00000000001A")},
))
def test_a_chip_sale_with_a_tag_of_the_wrong_form_is_30(terminal, override):
    tags = Chip(CHIP).tags(100, **override)
    assert chip_sale(terminal, amount_fen=100, tags=tags)[2][39] == "30"


@pytest.mark.parametrize("data", (
    "9F2608",                                   # value cut short
    "9F",                                       # tag cut short
    "9F02060000000001009F0206000000000100",     # a tag twice
    "00",                                       # padding
    "9F028406000000000100",                     # a 4-byte length
    "9F9F9F9F0100",                             # a tag of 4 bytes
))
def test_field_55_that_is_not_strict_ber_tlv_is_30_never_a_crash(terminal, data):
    tags = Chip(CHIP).tags(100)
    _, _, answer = chip_sale(terminal, amount_fen=100, tags=tags,
                             f55=field55(tags) + bytes.fromhex(data))
    assert answer[39] == "30"


def test_a_magstripe_sale_with_unreadable_55_is_30_and_with_readable_55_is_approved(terminal):
    assert terminal.sale(CARDS["good"], 100, f55=b"\x9f\x02")[1][39] == "30"
    _, answer = terminal.sale(CARDS["good"], 100, f55=bytes.fromhex("9F3303E0F1C8"))
    assert answer[39] == "00" and 55 not in answer
    assert rows(terminal)[-1]["icc"]["tags"] == {"9F33": "E0F1C8"}


def test_a_chip_void_needs_no_cryptogram(terminal):
    fields, _, answer = chip_sale(terminal, amount_fen=300)
    void = terminal.void_request(CHIP, fields, answer, f22="051", f23="001")
    assert terminal.run(void)[1][39] == "00"
    assert available(terminal.db, "chip") == start("chip")


@given(st.binary(max_size=255))
def test_any_bytes_either_read_as_ber_tlv_or_raise_the_wire_error(data):
    try:
        tags = emv.decode(data)
    except spec.WireError:
        return
    constructed = [t for t in tags if bytes.fromhex(t)[0] & 0x20]
    try:
        theirs = tlv.decode(data)
    except tlv.DecodeError:
        assert constructed        # pyemv reads into templates, emv.decode keeps them whole
        return
    assert {t: v for t, v in theirs.items() if t not in constructed} == {
        t: v for t, v in tags.items() if t not in constructed}


def test_the_stored_tags_leave_card_data_out(terminal):
    tags = Chip(CHIP).tags(100)
    tags.update({"5A": bytes.fromhex("6222021000000010008F"), "57": bytes.fromhex("62220210")})
    assert chip_sale(terminal, amount_fen=100, tags=tags)[2][39] == "00"
    stored = rows(terminal)[0]["icc"]["tags"]
    assert "5A" not in stored and "57" not in stored and "9F26" in stored


# -- the reversal --------------------------------------------------------------

def chip_reversal(terminal, fields, tags, reason, df31=None):
    reversal = terminal.reversal(fields, reason)
    reversal[23] = fields[23]
    items = {"95": tags["95"], "9F10": tags["9F10"], "9F36": tags["9F36"]}
    if df31 is not None:
        items["DF31"] = df31
    reversal[55] = tlv.encode(items)
    return terminal.run(reversal)[1]


@pytest.mark.parametrize("reason", ("06", "98"))
def test_a_chip_sale_the_card_declined_after_the_approval_is_reversed(terminal, reason):
    card = CARDS["chip_aac"]
    fields, tags, answer = chip_sale(terminal, card, 2500)
    assert answer[39] == "00"
    assert available(terminal.db, "chip_aac") == start("chip_aac") - 2500
    answer = chip_reversal(terminal, fields, tags, reason)
    assert answer[39] == "00" and answer.mac_ok(terminal.mak)
    assert available(terminal.db, "chip_aac") == start("chip_aac")
    assert txn(terminal.db, fields[11], "sale")["state"] == "reversed"
    reversal = [r for r in rows(terminal) if r["type"] == "reversal"][0]
    assert reversal["icc"]["tags"]["9F36"] == "0001" and reason in reversal["note"]


def test_a_reversal_with_unreadable_55_is_30_and_undoes_nothing(terminal):
    fields, tags, _ = chip_sale(terminal, amount_fen=2500)
    reversal = terminal.reversal(fields, "06")
    reversal[55] = b"\x95\x05\x00"
    assert terminal.run(reversal)[1][39] == "30"
    assert available(terminal.db, "chip") == start("chip") - 2500


def test_a_reversal_carrying_script_results_stores_them_on_the_original(terminal):
    terminal.host.store.set_script_pending("chip")
    fields, tags, answer = chip_sale(terminal, amount_fen=2500)
    assert "72" in answer_tags(answer)
    assert chip_reversal(terminal, fields, tags, "06", df31=bytes.fromhex("2000000001"))[39] == "00"
    original = rows(terminal)[0]
    assert original["state"] == "reversed" and original["icc"]["script_result"] == "2000000001"


# -- issuer scripts and the 0620 script result notice -------------------------

def script_notice(terminal, fields, answer, df31, **extra_tags):
    """-> (the 0620 of docs/protocol.md section 7 after the chip request fields answered so,
    its answer)."""
    notice = notice_fields(terminal, fields, answer, df31, **extra_tags)
    return notice, terminal.run(notice)[1]


def notice_fields(terminal, fields, answer, df31, **extra_tags):
    items = {"DF31": df31, "9F36": b"\x00\x01", "95": bytes.fromhex("0000048000"),
             "9F10": bytes.fromhex("07010103A0A000010A010000000000C2DA6B44")}
    items.update(extra_tags)
    notice = {0: "0620", 2: fields[2], 3: fields[3], 4: fields[4], 11: terminal.next_trace(),
              22: fields[22], 23: fields[23], 41: terminal.tid, 42: terminal.mid, 49: "156",
              55: tlv.encode(items), 60: "00" + terminal.batch + "951",
              61: fields[60][2:8] + fields[11] + answer[13]}
    return notice


def test_a_card_with_a_script_pending_gets_72_with_a_put_data_under_its_session_key(terminal):
    assert terminal.host.store.set_script_pending("chip")
    chip = Chip(CHIP)
    _, tags, answer = chip_sale(terminal, chip=chip)
    got = answer_tags(answer)
    assert answer[39] == "00" and got["91"] == chip.arpc(tags["9F26"], "00")
    script = got["72"]
    assert script["9F18"] == bytes.fromhex("00000001")
    command = script["86"]
    assert command[:5] == bytes.fromhex("04DA9F5805")
    mac = sm.generate_command_mac(
        chip.key, command[:5] + tags["9F36"] + tags["9F26"] + command[5:-4], 4)
    assert command[-4:] == mac
    assert rows(terminal)[0]["icc"]["script_sent"] is True


def test_the_script_result_notice_is_stored_against_the_original_and_ends_the_script(terminal):
    store = terminal.host.store
    store.set_script_pending("chip")
    fields, tags, answer = chip_sale(terminal)
    tc = bytes.fromhex("1122334455667788")
    notice, reply = script_notice(terminal, fields, answer, bytes.fromhex("2000000001"),
                                  **{"9F26": tc, "9F27": b"\x40"})
    assert reply[0] == "0630" and reply[39] == "00" and reply.mac_ok(terminal.mak)
    assert reply[60] == notice[60] and reply[11] == notice[11]
    sale, note = rows(terminal)
    assert sale["icc"]["script_result"] == "2000000001" and sale["icc"]["tc"] == tc.hex().upper()
    assert (note["type"], note["state"], note["original_id"]) == ("script_result", "approved", sale["id"])
    assert note["amount_fen"] is None and note["masked_pan"] == "622202*********0008"
    assert note["icc"]["tags"]["DF31"] == "2000000001"
    assert not [c for c in store.cards() if c["name"] == "chip"][0]["script_pending"]
    assert "72" not in answer_tags(chip_sale(terminal, chip=Chip(CHIP, atc=2))[2])
    before = (rows(terminal), store.cards())
    assert terminal.send_payload(terminal.build(notice)).payload == reply.payload
    assert (rows(terminal), store.cards()) == before


def test_a_script_the_card_failed_stays_pending(terminal):
    store = terminal.host.store
    store.set_script_pending("chip")
    fields, _, answer = chip_sale(terminal)
    assert script_notice(terminal, fields, answer, bytes.fromhex("1100000001"))[1][39] == "00"
    assert [c for c in store.cards() if c["name"] == "chip"][0]["script_pending"]
    assert "72" in answer_tags(chip_sale(terminal, chip=Chip(CHIP, atc=2))[2])


def test_a_script_result_notice_without_df31_is_30_and_for_another_card_25(terminal):
    fields, _, answer = chip_sale(terminal)
    notice = notice_fields(terminal, fields, answer, bytes.fromhex("2000000001"))
    notice[55] = tlv.encode({"9F36": b"\x00\x01"})
    assert terminal.run(notice)[1][39] == "30"
    notice[11] = terminal.next_trace()
    notice[55] = tlv.encode({"DF31": bytes.fromhex("20000000")})     # not 5 bytes a script
    assert terminal.run(notice)[1][39] == "30"
    notice[11] = terminal.next_trace()
    notice[55] = tlv.encode({"DF31": bytes.fromhex("2000000001")})
    notice[2] = CARDS["chip_two"]["pan"]
    assert terminal.run(notice)[1][39] == "25"
    assert rows(terminal)[0]["icc"]["script_result"] is None


def test_a_script_result_notice_for_an_unknown_original_is_acknowledged_and_recorded(terminal):
    fields, _ = chip_request(terminal, "sale", CHIP, 100)
    answer = {13: "1123"}
    _, reply = script_notice(terminal, fields, answer, bytes.fromhex("2000000001"))
    assert reply[39] == "00"
    assert "not found" in rows(terminal)[-1]["note"]


def test_the_script_result_notice_is_a_row_of_the_transaction_table():
    assert spec.transaction_name("0620", "00000001951") == "script_result"
    assert spec.TRANSACTIONS["script_result"].mti == "0620"
    assert spec.answer_mti("0620") == "0630"


# -- the TC upload at settlement (0320/203) ---------------------------------------

SECOND_TVR = bytes.fromhex("0000048040")               # issuer authentication failed, after the request
SECOND_IAD = bytes.fromhex("07010103602000010A010000000000C2DA6B44")   # CVR: a TC second, an ARQC first


def tc_upload(terminal, fields, answer, tc, tvr=SECOND_TVR, iad=SECOND_IAD, **override):
    """The 0320/203 of docs/protocol.md section 7 for the chip request fields answered so; a tag
    overridden with None is left out."""
    items = {"9F26": tc, "9F27": b"\x40", "9F36": b"\x00\x01", "95": tvr, "9B": bytes.fromhex("E800"),
             "9F10": iad}
    items.update(override)
    return {0: "0320", 4: fields[4], 11: terminal.next_trace(), 41: terminal.tid, 42: terminal.mid,
            49: "156", 55: tlv.encode({t: v for t, v in items.items() if v is not None}),
            60: "00" + terminal.batch + "203", 61: fields[60][2:8] + fields[11] + answer[13]}


def test_the_cards_tc_uploaded_at_settlement_is_stored_on_its_original(terminal):
    chip = Chip(CHIP)
    fields, tags, answer = chip_sale(terminal, chip=chip)
    tc = chip.tc(tags, SECOND_TVR, SECOND_IAD)
    upload = tc_upload(terminal, fields, answer, tc)
    payload, reply = terminal.send(upload)
    assert reply[0] == "0330" and reply[39] == "00" and reply.mac_ok(terminal.mak)
    assert (reply[11], reply[60]) == (upload[11], upload[60]) and 2 not in reply
    [sale] = rows(terminal)                          # the upload is no transaction of its own
    assert sale["icc"]["tc"] == tc.hex().upper() and sale["icc"]["arqc"] == tags["9F26"].hex().upper()
    assert available(terminal.db, "chip") == start("chip") - 12345
    before = rows(terminal)
    assert terminal.send_payload(payload).payload == reply.payload
    assert rows(terminal) == before
    again = tc_upload(terminal, fields, answer, tc)   # sent again after a power cut: a new trace
    assert terminal.run(again)[1][39] == "00" and rows(terminal) == before


@pytest.mark.parametrize("wrong", ("flipped", "over_the_first_tvr", "the_arqc_again", "another_atc"))
def test_a_tc_that_is_not_the_cards_is_a7_and_stores_nothing(terminal, wrong):
    chip = Chip(CHIP)
    fields, tags, answer = chip_sale(terminal, chip=chip)
    tc = chip.tc(tags, SECOND_TVR, SECOND_IAD)
    upload = {
        "flipped": lambda: tc_upload(terminal, fields, answer, bytes((tc[0] ^ 1,)) + tc[1:]),
        "over_the_first_tvr": lambda: tc_upload(terminal, fields, answer, chip.tc(tags, tags["95"], SECOND_IAD)),
        "the_arqc_again": lambda: tc_upload(terminal, fields, answer, tags["9F26"], tags["95"], tags["9F10"]),
        "another_atc": lambda: tc_upload(terminal, fields, answer, tc, **{"9F36": b"\x00\x02"}),
    }[wrong]()
    reply = terminal.run(upload)[1]
    assert reply[39] == "A7" and reply.mac_ok(terminal.mak)
    assert rows(terminal)[0]["icc"]["tc"] is None


def test_a_tc_upload_naming_no_chip_transaction_of_the_terminal_is_25(terminal):
    chip = Chip(CHIP)
    fields, tags, answer = chip_sale(terminal, chip=chip)
    tc = chip.tc(tags, SECOND_TVR, SECOND_IAD)
    unknown = tc_upload(terminal, fields, answer, tc)
    unknown[61] = fields[60][2:8] + "%06d" % (int(fields[11]) + 100) + answer[13]
    assert terminal.run(unknown)[1][39] == "25"
    swiped, swiped_answer = terminal.sale(CARDS["good"], 100)
    assert swiped_answer[39] == "00"
    assert terminal.run(tc_upload(terminal, swiped, swiped_answer, tc))[1][39] == "25"
    poor = Chip(CHIP_POOR)
    declined, poor_tags, declined_answer = chip_sale(terminal, CHIP_POOR, 5000, chip=poor)
    assert declined_answer[39] == "51"
    assert terminal.run(tc_upload(terminal, declined, declined_answer,
                                  poor.tc(poor_tags, SECOND_TVR, SECOND_IAD)))[1][39] == "25"
    assert all(r["icc"] is None or r["icc"]["tc"] is None for r in rows(terminal))


@pytest.mark.parametrize("override", (
    {"9B": None},
    {"9F26": None},
    {"9F27": b"\x80"},                               # an ARQC's
    {"9F10": bytes.fromhex("0701010360")},           # no room for the CVR
    {"9F10": bytes.fromhex("0A01010360200000000000")},
    {"9F36": b"\x01"},
))
def test_a_tc_upload_without_the_tags_it_needs_is_30(terminal, override):
    chip = Chip(CHIP)
    fields, tags, answer = chip_sale(terminal, chip=chip)
    reply = terminal.run(tc_upload(terminal, fields, answer, chip.tc(tags, SECOND_TVR, SECOND_IAD), **override))[1]
    assert reply[39] == "30" and reply.mac_ok(terminal.mak)
    assert rows(terminal)[0]["icc"]["tc"] is None


@pytest.mark.parametrize("field, value", ((61, None), (61, "0000010000"), (55, None), (55, b"\x9f\x26")))
def test_a_tc_upload_without_field_61_or_a_readable_55_is_30(terminal, field, value):
    chip = Chip(CHIP)
    fields, tags, answer = chip_sale(terminal, chip=chip)
    upload = tc_upload(terminal, fields, answer, chip.tc(tags, SECOND_TVR, SECOND_IAD))
    upload[field] = value
    if value is None:
        del upload[field]
    assert terminal.run(upload)[1][39] == "30"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=st.dictionaries(st.sampled_from(("9F26", "9F27", "9F36", "95", "9B", "9F10", "DF31")),
                             st.binary(max_size=40)),
       f61=st.one_of(st.none(), st.text("0123456789", max_size=20)))
def test_every_authentic_tc_upload_gets_a_maced_answer_and_stores_no_tc_that_is_not_the_cards(
        terminal, items, f61):
    fields, tags, answer = chip_sale(terminal, amount_fen=100)
    upload = tc_upload(terminal, fields, answer, bytes(8), **items)
    if f61 is not None:
        upload[61] = f61
    reply = terminal.run(upload)[1]
    assert reply[39] in ("25", "30", "A7") and reply.mac_ok(terminal.mak)
    assert all(r["icc"]["tc"] is None for r in rows(terminal))


def test_the_tc_upload_is_a_row_of_the_transaction_table():
    assert spec.transaction_name("0320", "00000001203") == "tc_upload"
    assert spec.transaction_name("0320", "00000001201") == "upload"


# -- the process and its command line -------------------------------------------

def test_the_server_sends_a_script_to_the_card_named_and_the_cli_shows_the_chip_data(tmp_path):
    from test_acquirer_menu import MenuTerminal
    db = str(tmp_path / "host.db")
    process, port = start_acquirer(db, extra_args=("--script-card", "chip"))
    try:
        t = MenuTerminal(None, db, port=port)
        assert t.sign_in()[39] == "00"
        chip = Chip(CHIP)
        fields, tags, answer = chip_sale(t, chip=chip)
        assert answer[39] == "00" and set(answer_tags(answer)) == {"91", "72"}
        t.close()
        cards = {c["name"]: c for c in json.loads(cli("cards", "--db", db))}
        assert cards["chip"]["script_pending"] and not cards["good"]["script_pending"]
        cli("script", "--db", db, "--card", "chip", "--clear")
        cards = {c["name"]: c for c in json.loads(cli("cards", "--db", db))}
        assert not cards["chip"]["script_pending"]
        output = cli("transactions", "--db", db)
        assert CHIP["pan"] not in output
        [sale] = json.loads(output)
        assert sale["icc"]["aid"] == AID and sale["icc"]["arqc"] == tags["9F26"].hex().upper()
        assert sale["icc"]["script_sent"] is True
    finally:
        stop(process)

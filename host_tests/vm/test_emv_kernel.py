# The contact kernel (pos/emv/kernel.py) against recorded APDU dialogues: each command the kernel
# sends must be the recorded one, byte for byte, and gets the recorded answer. The dialogues take
# the paths the virtual card does not: no PSE (the terminal's AID list), format 1 answers to GPO
# and GENERATE AC, no offline authentication, no issuer authentication; and a card that leaves,
# and one whose record runs past its end. VM-neutral.
from pos.emv import kernel, tlv
from pos.engine import Apdu
from pos.results import CARD_GONE
from vmutil import raises

UN = b"\x11\x22\x33\x44"
FCI = "6F1B8408A000000333010101A50F500A50424F43204445424954870101"
RECORD = ("707E"
          "57136222021000000010008D30122010000000000F"
          "5A0A6222021000000010008F"
          "5F24033012315F25032001015F280201565F340101"
          "8C159F02069F03069F1A0295055F2A029A039C019F3704"
          "8D178A029F02069F03069F1A0295055F2A029A039C019F3704"
          "8E0C000000000000000042031F03"
          "9F0702FF009F08020030")
# A dialogue: [(command hex, answer hex)], in order.
SALE = [
    ("00A404000E315041592E5359532E444446303100", "6A82"),                          # no PSE
    ("00A4040008A00000033301010100", FCI + "9000"),
    ("00A4040008A00000033301010200", "6A82"),
    ("00A4040008A00000033301010300", "6A82"),
    ("00A4040008A00000033301010100", FCI + "9000"),                              # final selection
    ("80A8000002830000", "8006180008010100" + "9000"),                            # format 1: AIP 1800, AFL
    ("00B2010C00", RECORD + "9000"),
    ("80AE80001D000000012345000000000000015680000480000156261123001122334400",
     "801280000155AA55AA55AA55AA07010103A00000" + "9000"),                         # format 1: ARQC
    ("80AE40001F3030000000012345000000000000015680000480000156261123001122334400",
     "801240000266BB66BB66BB66BB07010103600000" + "9000"),                         # TC
]


def _run(gen, dialogue):
    """Drive a kernel step through the dialogue; its return value. Every command must be the next
    recorded one; an answer None is the card leaving."""
    i = 0
    result = None
    try:
        while True:
            effect = gen.send(result)
            assert isinstance(effect, Apdu) and effect.reader == "icc", effect
            command, answer = dialogue.pop(0)
            assert effect.command == bytes.fromhex(command), (i, effect.command.hex(), command)
            result = CARD_GONE if answer is None else bytes.fromhex(answer)
            i += 1
    except StopIteration as stop:
        return stop.args[0] if stop.args else None


def _session():
    s = kernel.Session("icc", None, 12345, "00", "20261123", "100000", 7, "12345678")
    s.t[0x9F37] = UN
    return s


def test_a_recorded_chip_sale_from_selection_to_the_tc():
    dialogue = list(SALE)
    s = _session()
    apps = _run(kernel.candidates(s), dialogue)
    assert apps == [("A000000333010101", "PBOC DEBIT", 1)]
    _run(kernel.initiate(s, apps[0][0]), dialogue)
    assert s.t[0x82] == b"\x18\x00" and s.t[0x94] == b"\x08\x01\x01\x00"
    _run(kernel.read_records(s), dialogue)
    assert s.pan == "6222021000000010008" and kernel.track2(s) == "6222021000000010008=30122010000000000"
    _run(kernel.authenticate(s, {}, "261123"), dialogue)          # the AIP offers neither SDA nor DDA
    kernel.restrict(s, "261123")
    assert kernel.cardholder(s) == "pin" and s.t[0x9F34] == b"\x42\x03\x00"
    assert _run(kernel.first_ac(s), dialogue) == kernel.ARQC
    assert s.t[0x9F26] == bytes.fromhex("55AA55AA55AA55AA") and s.t[0x9F36] == b"\x00\x01"
    icc = tlv.flatten(kernel.field55(s))
    assert icc[0x95] == bytes.fromhex("8000048000") and icc[0x9F37] == UN and icc[0x9F41] == b"\x00\x00\x00\x07"
    answer55 = tlv.encode(0x91, bytes(8) + b"00")
    assert _run(kernel.complete(s, answer55, "00"), dialogue) == kernel.TC     # no issuer authentication: no 0082
    assert dialogue == [] and s.tsi[0] & 0x10 == 0


def test_a_card_that_leaves_during_the_options_is_gone():
    dialogue = [SALE[4], (SALE[5][0], None)]
    s = _session()
    assert raises(kernel.CardGone, _run, kernel.initiate(s, "A000000333010101"), dialogue)


def test_a_record_that_runs_past_its_end_is_unreadable():
    s = _session()
    _run(kernel.initiate(s, "A000000333010101"), list(SALE[4:6]))
    cut = RECORD[:60]                                     # claims 0x7E bytes, holds fewer
    try:
        _run(kernel.read_records(s), [("00B2010C00", cut + "9000")])
        assert False, "read"
    except kernel.CardError as e:
        assert e.args[0] == "card_unreadable"


def test_a_card_that_refuses_the_application_here_says_so():
    s = _session()
    try:
        _run(kernel.initiate(s, "A000000333010101"), [SALE[4], (SALE[5][0], "6985")])
        assert False, "initiated"
    except kernel.CardError as e:
        assert e.args[0] == "chip_not_accepted"

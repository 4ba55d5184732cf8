# 电签: the cardholder signs on the screen above the 免签 limit; the signature goes on the merchant
# copy as an image, into the e-receipt, and stays for a reprint until the batch is settled.
import hashlib
import os

from flowkit import Terminal
from pos import escpos
from pos.emv.tlv import find
from pos.font import Font
from pos.outbox import Outbox
from pos.receipt import Ink
from pos.signature import decode
from vmutil import asset_path

AREA = (0, 32, 320, 192)


def _handheld(**settings):
    term = Terminal(settings=settings or None)
    term.app.touch_area = AREA
    term.login()
    return term


def _sale_to_signing(term, fen):
    term.menu("消费")
    term.type(str(fen))
    term.keys("ENTER")
    term.swipe()
    term.pin()


def _receipts(term):
    box = Outbox(term.dir)
    return [box.get(at) for at in box.waiting()]


def _sig_files(term):
    return [n for n in os.listdir(term.dir) if n.startswith("sig-")]


def test_above_the_limit_the_cardholder_signs_and_the_merchant_copy_prints_it():
    term = _handheld()
    _sale_to_signing(term, 150000)
    assert "请持卡人签名" in term.screen and "1500.00" in term.screen
    assert term.slips == []                          # the slips wait for the signature
    term.sign()
    term.tear_off()
    merchant, cardholder = term.slips
    ink = [line for line in merchant if isinstance(line, Ink)]
    assert len(ink) >= 2 and "持卡人签名 CARDHOLDER SIGNATURE:" in merchant
    assert not [line for line in cardholder if isinstance(line, Ink)]
    [data] = _receipts(term)
    signature = find(data, 0xDF0D)
    assert signature is not None and len(decode(signature)) == 5
    assert len(signature) <= 1024
    h = hashlib.sha256()
    for tag in (0xDF10, 0xDF05, 0xDF06, 0xDF02, 0xDF04, 0xDF07):
        h.update(find(data, tag) + b"|")
    h.update(signature)
    assert find(data, 0xDF0E) == h.digest()
    assert len(_sig_files(term)) == 1
    term.close()


def test_the_printed_image_is_raster_rows_of_the_paper_width():
    term = _handheld()
    _sale_to_signing(term, 150000)
    term.sign()
    term.tear_off()
    font = Font(asset_path("font16.bin"))
    rows = 0
    for chunk in escpos.render_slip(_lines_of(term), font):
        c = bytes(chunk)
        height = c[6] + c[7] * 256 if len(c) > 8 else 0
        if height and c.startswith(b"\x1dv0\x000\x00") and len(c) == 8 + 48 * height:   # no gap: an image band
            assert any(c[8:])                                                    # with ink in it
            rows += height
    assert 40 <= rows <= 160
    term.close()


def _lines_of(term):
    """The merchant copy laid out again, as the printer gets it."""
    from pos import receipt
    from pos.flows.printing import slip_txn, terminal_info
    from pos.flows import sign
    [sale] = term.transactions("sale")
    txn = slip_txn(sale, "")
    txn["signature"] = sign.load(term.app, sale)
    return receipt.slip_lines(txn, terminal_info(term.app, sale), 0)


def test_under_the_limit_nobody_signs_on_the_screen():
    term = _handheld()
    term.sale(50000)
    assert "请持卡人签名" not in term.screen and len(term.slips) == 2
    assert not [line for line in term.slips[0] if isinstance(line, Ink)]
    assert find(_receipts(term)[0], 0xDF0D) is None and _sig_files(term) == []
    term.close()


def test_clear_wipes_the_pad_and_an_empty_pad_is_not_accepted():
    term = _handheld()
    _sale_to_signing(term, 150000)
    first = term.app.screen
    term.sign(strokes=[[(10, 10), (60, 60)]], accept=False)
    assert term.app.signing.points == 2
    term.keys("CLEAR")
    assert term.app.signing.empty() and term.app.screen is not first
    term.keys("ENTER")
    assert "请持卡人签名" in term.screen                  # nothing to accept yet
    term.sign()
    term.tear_off()
    assert len(term.slips) == 2
    assert len(decode(find(_receipts(term)[0], 0xDF0D))) == 5
    term.close()


def test_no_signature_in_time_leaves_it_to_the_paper():
    term = _handheld()
    _sale_to_signing(term, 150000)
    term.advance(91)
    term.tear_off()
    assert len(term.slips) == 2 and not [line for line in term.slips[0] if isinstance(line, Ink)]
    assert find(_receipts(term)[0], 0xDF0D) is None and _sig_files(term) == []
    term.close()


def test_a_countertop_without_a_touch_panel_prints_the_signing_lines():
    term = Terminal()
    term.login()
    term.sale(150000)
    assert "请持卡人签名" not in term.screen and len(term.slips) == 2
    term.close()


def test_a_reprint_carries_the_signature_until_the_batch_is_settled():
    term = _handheld()
    _sale_to_signing(term, 150000)
    term.sign()
    term.finish()
    term.slips = []
    term.menu("重打印", "最后一笔")
    term.finish()
    assert [line for line in term.slips[0] if isinstance(line, Ink)]
    term.menu("结算")
    term.keys("ENTER")
    term.finish()
    assert _sig_files(term) == []
    term.close()

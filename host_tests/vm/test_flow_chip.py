# 插卡: chip sales through the kernel against the scripted host, the virtual cards of
# tools/testdata/emv_cards.json answering the APDUs (drivers/fakes/chipcard.py).
from flowkit import Terminal, chip_card, give_ca_keys, ic_params
from pos import store, tlv as field62
from pos.results import CARD_GONE
from pos.emv import tlv


def _terminal():
    term = Terminal()
    term.login()
    give_ca_keys(term)
    return term


def _for_sale(term, fen):
    """消费 of fen up to the card prompt."""
    term.menu("消费")
    term.type(str(fen))
    term.keys("ENTER")
    assert "请插卡或刷卡" in term.screen and "请挥卡" in term.screen, term.screen


def _insert_for_sale(term, fen, card):
    _for_sale(term, fen)
    term.insert(card)


def test_a_chip_sale_goes_online_with_its_cryptogram_and_the_card_takes_the_approval():
    term = _terminal()
    card = chip_card("chip")
    _insert_for_sale(term, 12345, card)
    assert "请输入密码" in term.screen, term.screen
    term.pin()
    term.tear_off()
    assert "交易成功" in term.screen, term.screen
    term.keys("ENTER")
    assert "请拔卡" in term.screen, term.screen
    term.remove()
    assert "欢迎使用" in term.screen, term.screen
    req = term.last_request("sale")
    assert req[22] == "051" and req[23] == "001" and req[2] == "6222021000000010008"
    assert req[35].startswith("6222021000000010008=3012201") and req[14] == "3012"
    icc = tlv.flatten(req[55])
    for tag in (0x9F26, 0x9F27, 0x9F10, 0x9F37, 0x9F36, 0x95, 0x9A, 0x9C, 0x9F02, 0x5F2A, 0x82, 0x9F1A, 0x9F03,
                0x9F33, 0x9F34, 0x9F35, 0x9F1E, 0x84, 0x9F09, 0x9F41):
        assert tag in icc, hex(tag)
    assert icc[0x9F02] == b"\x00\x00\x00\x01\x23\x45" and icc[0x84] == b"\xa0\x00\x00\x03\x33\x01\x01\x01"
    assert icc[0x9F27] == b"\x80"                    # an ARQC
    assert icc[0x95][0] & 0x48 == 0, icc[0x95]        # DDA done and passed (no SDA / DDA failure)
    ins = [c[:2] for c in card.commands]
    assert ins.count(b"\x80\xae") == 2 and b"\x00\x82" in ins and b"\x00\x88" in ins
    assert card.cid == 0x40                          # the second GENERATE AC gave a TC
    [sale] = term.transactions("sale")
    assert sale["st"] == "approved" and sale["entry"] == "chip" and sale["pan"] == "622202*********0008"
    assert store.load(term.dir, "reversal") is None and len(term.slips) == 2
    term.close()


def test_a_card_that_refuses_the_hosts_approval_is_reversed_with_its_icc_data():
    term = _terminal()
    _insert_for_sale(term, 500, chip_card("chip_aac"))
    term.pin()
    assert "卡片拒绝交易" in term.screen, term.screen
    doc = store.load(term.dir, "reversal")
    assert doc["reason"] == "06" and term.transactions("sale") == []
    icc = tlv.flatten(bytes.fromhex(doc["icc"]))
    assert sorted(icc) == sorted((0x95, 0x9F10, 0x9F36))
    term.keys("ENTER")
    assert "请拔卡" in term.screen
    term.remove()
    term.sale(700)                                   # the reversal goes first, with its field 55
    assert term.host.kinds[-2:] == ["reversal", "sale"]
    rev = term.last_request("reversal")
    assert rev[39] == "06" and rev[2] == "6222021000000010032" and 0x9F36 in tlv.flatten(rev[55])
    term.close()


def test_no_answer_ends_in_the_cards_aac_and_a_reversal_for_no_answer():
    term = _terminal()
    term.host.rules["sale"] = lambda req: "timeout"
    card = chip_card("chip")
    _insert_for_sale(term, 500, card)
    term.pin()
    assert card.cid == 0x00                          # the card declined offline: unable to go online
    doc = store.load(term.dir, "reversal")
    assert doc["reason"] == "98" and 0x9F10 in tlv.flatten(bytes.fromhex(doc["icc"]))
    term.close()


def test_a_host_decline_is_told_and_the_card_ends_with_an_aac():
    term = _terminal()
    term.host.rules["sale"] = lambda req: {39: "51"}
    card = chip_card("chip_poor")
    _insert_for_sale(term, 5000, card)
    term.pin()
    assert "余额不足" in term.screen and card.cid == 0x00
    assert [r["st"] for r in term.transactions("sale")] == ["declined"]
    assert store.load(term.dir, "reversal") is None
    term.close()


def test_two_applications_are_offered_and_the_one_picked_is_used():
    term = _terminal()
    _insert_for_sale(term, 800, chip_card("chip_two"))
    assert "请选择应用" in term.screen and "借记" in term.screen and "贷记" in term.screen, term.screen
    term.select("贷记")
    term.pin()
    term.tear_off()
    assert "交易成功" in term.screen, term.screen
    assert tlv.flatten(term.last_request("sale")[55])[0x84] == b"\xa0\x00\x00\x03\x33\x01\x01\x02"
    term.close()


def test_a_bad_signature_is_in_the_tvr_and_the_host_still_decides():
    term = _terminal()
    _insert_for_sale(term, 900, chip_card("chip_badsig"))
    term.pin()
    term.tear_off()
    assert "交易成功" in term.screen, term.screen
    assert tlv.flatten(term.last_request("sale")[55])[0x95][0] & 0x08      # DDA failed
    term.close()


def test_without_the_ca_key_offline_authentication_fails_and_says_so():
    term = Terminal()
    term.login()
    _insert_for_sale(term, 900, chip_card("chip"))
    term.pin()
    tvr = tlv.flatten(term.last_request("sale")[55])[0x95]
    assert tvr[0] & 0x28 == 0x28, tvr                # ICC data missing, DDA failed
    term.close()


def test_the_card_pulled_out_after_the_approval_reverses_it():
    term = _terminal()
    card = chip_card("chip")

    def pulled(command):                             # gone at the EXTERNAL AUTHENTICATE
        if command[:2] == b"\x00\x82":
            term.chip = None
            return CARD_GONE
        return card(command)
    _insert_for_sale(term, 600, pulled)
    term.pin()
    assert "卡片拒绝交易" in term.screen, term.screen
    assert store.load(term.dir, "reversal")["reason"] == "06" and term.transactions("sale") == []
    term.close()


def test_a_chip_card_swiped_is_asked_into_the_slot():
    term = _terminal()
    _for_sale(term, 100)
    term.swipe("6222021000000010008=30122010000000000")
    assert "请插卡" in term.screen, term.screen
    term.close()


def test_a_chip_that_cannot_be_read_three_times_falls_back_to_its_stripe():
    term = _terminal()
    _for_sale(term, 100)
    for _ in range(3):
        term.app.card(("card_error", "chip"))
        term.pump()
        assert "读卡失败" in term.screen, term.screen
        term.keys("ENTER")
    assert "请刷卡" in term.screen, term.screen
    term.swipe("6222021000000010040=30122010000000000")
    term.pin()
    term.tear_off()
    assert "交易成功" in term.screen, term.screen
    req = term.last_request("sale")
    assert req[22] == "021" and req[60][11:13] == "62" and 55 not in req
    term.close()


def _tap_for_sale(term, fen, card):
    _for_sale(term, fen)
    term.tap(card)


def test_a_tap_at_or_under_the_limit_needs_no_pin_and_the_host_decides_alone():
    term = _terminal()
    card = chip_card("tap")
    _tap_for_sale(term, 100000, card)                 # 1000.00: the 小额免密 limit itself
    assert term.beeps == 1
    term.tear_off()
    assert "交易成功" in term.screen, term.screen
    req = term.last_request("sale")
    assert req[22] == "072" and 52 not in req and req[23] == "001" and req[2] == "6222021000000010073"
    icc = tlv.flatten(req[55])
    assert icc[0x9F27] == b"\x80" and icc[0x9F66][1] & 0x40 == 0 and icc[0x95][0] & 0x80   # no ODA on a tap
    assert [c[:2] for c in card.commands].count(b"\x80\xae") == 0        # no GENERATE AC: the GPO gave the ARQC
    [sale] = term.transactions("sale")
    assert sale["entry"] == "tap" and sale["st"] == "approved"
    term.keys("ENTER")
    assert "欢迎使用" in term.screen, term.screen     # nothing to take out of a slot
    term.close()


def test_a_tap_over_the_limit_asks_for_the_online_pin():
    term = _terminal()
    _tap_for_sale(term, 100001, chip_card("tap_credit"))
    assert "请输入密码" in term.screen, term.screen
    term.pin()
    term.tear_off()
    assert "交易成功" in term.screen, term.screen
    req = term.last_request("sale")
    assert req[22] == "071" and 52 in req and req[2] == "6258070000000010069"
    assert tlv.flatten(req[55])[0x9F66][1] & 0x40
    term.close()


def test_a_tap_without_an_answer_is_reversed_as_a_swipe_is():
    term = _terminal()
    term.host.rules["sale"] = lambda req: "timeout"
    _tap_for_sale(term, 500, chip_card("tap"))
    doc = store.load(term.dir, "reversal")
    assert doc["reason"] == "98" and 0x9F36 in tlv.flatten(bytes.fromhex(doc["icc"]))
    term.close()


def _chip_sale(term, fen, name="chip"):
    _insert_for_sale(term, fen, chip_card(name))
    term.pin()
    term.tear_off()
    term.keys("ENTER")
    term.remove()
    return term.transactions("sale")[-1]


def test_a_chip_sale_is_voided_with_the_card_in_the_slot_and_no_cryptogram():
    term = _terminal()
    sale = _chip_sale(term, 4321)
    term.menu("撤销")
    term.supervisor()
    term.type(str(sale["trace"]))
    term.keys("ENTER ENTER")
    term.insert(chip_card("chip"))
    term.pin()
    term.tear_off()
    assert "撤销成功" in term.screen, term.screen
    req = term.last_request("void")
    assert req[22] == "051" and req[23] == "001" and 55 not in req and req[2] == "6222021000000010008"
    term.keys("ENTER")
    assert "请拔卡" in term.screen
    term.remove()
    assert [r["st"] for r in term.transactions("void")] == ["approved"]
    term.close()


def test_a_chip_sale_is_refunded_by_its_reference_with_the_card_read_in_the_slot():
    term = _terminal()
    sale = _chip_sale(term, 4321)
    term.menu("退货")
    term.supervisor()
    term.type("9" + sale["ref"][1:])           # another reference: not of this batch, so a refund
    term.keys("ENTER")
    term.type(sale["date"][4:8])
    term.keys("ENTER")
    term.type("1000")
    term.keys("ENTER")
    term.insert(chip_card("chip"))
    term.tear_off()
    assert "退货成功" in term.screen or "退货" in term.screen, term.screen
    req = term.last_request("refund")
    assert req[22] == "052" and req[23] == "001" and 55 not in req
    term.close()


def test_a_gas_bill_is_paid_by_chip():
    term = _terminal()
    term.menu("缴费")
    term.select("燃气")
    term.type("1000123456")
    term.keys("ENTER ENTER")
    term.insert(chip_card("chip"))
    term.pin()
    term.tear_off()
    assert "缴费成功" in term.screen, term.screen
    req = term.last_request("bill_payment")
    assert req[22] == "051" and tlv.flatten(req[55])[0x9F02] == b"\x00\x00\x00\x01\x28\x50"
    term.keys("ENTER")
    term.remove()
    assert [r["st"] for r in term.transactions("bill_payment")] == ["approved"]
    term.close()


def test_a_credit_card_read_by_tap_is_repaid_from_a_chip_debit_card():
    term = _terminal()
    term.menu("还款")
    term.tap(chip_card("tap_credit"))
    term.field = None
    assert "3456.78" in term.screen, term.screen
    term.keys("ENTER")
    term.insert(chip_card("chip"))
    term.pin()
    term.tear_off()
    assert "还款成功" in term.screen, term.screen
    req = term.last_request("repayment")
    assert req[2] == "6222021000000010008" and req[22] == "051" and 55 in req
    assert field62.decode(req[62]) == {"CN": b"6258070000000010069"}
    term.close()


def test_the_balance_of_a_chip_card_is_asked_with_its_cryptogram():
    term = _terminal()
    term.menu("余额查询")
    term.insert(chip_card("chip"))
    term.pin()
    assert "请拔卡" in term.screen, term.screen      # out of the slot, then the balance
    term.remove()
    assert "1234.56" in term.screen, term.screen
    req = term.last_request("balance")
    assert req[22] == "051" and tlv.flatten(req[55])[0x9C] == b"\x31"
    term.keys("ENTER")
    term.close()


def test_the_slip_of_a_chip_sale_names_the_application_and_its_tc():
    term = _terminal()
    sale = _chip_sale(term, 2500)
    assert sale["aid"] == "A000000333010101" and sale["cgt"] == "TC" and len(sale["cg"]) == 16
    slip = "\n".join(term.slips[0])
    assert "/I" in slip and "A000000333010101" in slip and "TC:" in slip and sale["cg"] in slip
    assert "借记" in slip and "TVR:" in slip
    term.close()


def test_the_host_asking_for_ic_parameters_gets_them_downloaded_at_the_idle_screen():
    term = Terminal()
    term.host.requirement = 4
    term.login()
    term.host.requirement = 0
    assert term.host.kinds[1:] == ["capk_download", "capk_download", "aid_download", "aid_download",
                                   "aid_download"], term.host.kinds
    keys, aids = store.load(term.dir, "capk"), store.load(term.dir, "aids")
    assert list(keys) == ["A000000333:80"] and keys["A000000333:80"][1] == 3
    assert sorted(aids["aids"]) == ["A000000333010101", "A000000333010102"] and aids["qps_limit"] == 100000
    second = term.last_request("aid_download")
    assert tlv.flatten(second[62]) == {0x9F06: b"\xa0\x00\x00\x03\x33\x01\x01\x02"}     # the last one received
    _insert_for_sale(term, 300, chip_card("chip"))
    term.pin()
    assert tlv.flatten(term.last_request("sale")[55])[0x95][0] & 0xE8 == 0     # offline authentication passed
    term.close()


def test_from_the_menu_the_download_says_what_it_loaded():
    term = _terminal()
    term.menu("管理")
    term.supervisor()
    term.select("IC参数下载")
    assert "IC参数下载成功" in term.screen and "公钥1个 应用2个" in term.screen, term.screen
    term.close()


def test_a_key_whose_checksum_is_wrong_keeps_the_parameters_the_terminal_had():
    term = _terminal()
    before = store.load(term.dir, "capk")
    keys, aids = ic_params()
    bad = bytearray(keys[0])
    bad[-1] ^= 1
    term.host.ic = ([bytes(bad)], aids)
    term.menu("管理")
    term.supervisor()
    term.select("IC参数下载")
    assert "交易失败" in term.screen and "IC参数下载成功" not in term.screen, term.screen
    assert store.load(term.dir, "capk") == before and store.load(term.dir, "aids") is None
    term.close()


def _script(command):
    """A 72 template: script id 00000001, one command (86)."""
    body = tlv.encode(0x9F18, b"\x00\x00\x00\x01") + tlv.encode(0x86, command)
    return tlv.encode(0x72, body)


def test_issuer_scripts_run_after_the_second_ac_and_the_host_hears_their_results_with_the_next_request():
    term = _terminal()
    term.host.scripts = _script(b"\x04\xda\x9f\x58\x05\x0a\x01\x02\x03\x04")
    card = chip_card("chip")
    _insert_for_sale(term, 1500, card)
    term.pin()
    term.host.scripts = b""
    term.tear_off()
    assert "交易成功" in term.screen, term.screen
    ins = [c[:2] for c in card.commands]
    assert ins.index(b"\x04\xda") > max(i for i in range(len(ins)) if ins[i] == b"\x80\xae")   # after the 2nd AC
    notice = store.load(term.dir, "script_notice")
    assert notice is not None and "6222021000000010008" not in str(notice)                 # the PAN sealed
    term.keys("ENTER")
    term.remove()
    term.sale(100)                                   # the notice goes before the next request
    assert term.host.kinds[-2:] == ["script_result", "sale"], term.host.kinds
    req = term.last_request("script_result")
    icc = tlv.flatten(req[55])
    assert icc[0xDF31] == b"\x20\x00\x00\x00\x01" and req[2] == "6222021000000010008" and req[0] == "0620"
    assert req[61][6:12] == "%06d" % term.transactions("sale")[0]["trace"]
    assert store.load(term.dir, "script_notice") is None
    term.close()


def test_a_script_that_fails_is_reported_as_failed_at_its_command():
    term = _terminal()
    term.host.scripts = _script(b"\x80\xff\x00\x00\x00")          # the card knows no such command: 6D00
    _insert_for_sale(term, 1500, chip_card("chip"))
    term.pin()
    term.host.scripts = b""
    term.tear_off()
    doc = store.load(term.dir, "script_notice")
    assert tlv.flatten(bytes.fromhex(doc["icc"]))[0xDF31] == b"\x11\x00\x00\x00\x01"
    assert tlv.flatten(term.last_request("sale")[55])[0x95][4] & 0x10 == 0     # the request went before
    term.close()


def test_a_tap_without_pin_prints_no_signature_lines_and_a_fallback_says_so():
    term = _terminal()
    _tap_for_sale(term, 5000, chip_card("tap"))
    term.field = None                  # the cardholder took the card away (its keys off the heap)
    term.tear_off()
    merchant = "\n".join(term.slips[0])
    assert "免密免签" in merchant and "持卡人签名" not in merchant and "/C" in merchant
    merchant = None
    del term.slips[:]                  # the tap's slips read: the VM's heap has room for the next two
    term.keys("ENTER")
    _for_sale(term, 100)
    for _ in range(3):
        term.app.card(("card_error", "chip"))
        term.pump()
        term.keys("ENTER")
    term.swipe("6222021000000010040=30122010000000000")
    term.pin()
    term.tear_off()
    merchant = "\n".join(term.slips[-2])
    assert "降级交易 FALLBACK" in merchant and "持卡人签名" in merchant
    assert term.transactions("sale")[-1]["fb"] == 1
    term.close()


def test_a_chip_inserted_while_the_terminal_says_to_insert_it_is_read():
    term = _terminal()
    _for_sale(term, 100)
    term.swipe("6222021000000010008=30122010000000000")
    assert "请插卡" in term.screen and "RMB 1.00" in term.screen, term.screen
    term.insert(chip_card("chip"))                 # no key first: the card itself goes on
    assert "请输入密码" in term.screen, term.screen
    term.close()

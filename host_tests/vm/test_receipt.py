# Slip layout (pos/receipt.py): the sections of a UnionPay slip. VM-neutral.
from pos import receipt
from pos.font import Font, cells
from pos.escpos import BOLD, CENTER, DOUBLE, RIGHT
from vmutil import raises
from vmutil import font_path

MERCHANT_TITLES = ("商户名称 MERCHANT NAME", "商户编号 MERCHANT NO.", "终端编号 TERMINAL NO.",
                   "操作员号 OPERATOR NO.")
TXN_TITLES = ("发卡行 ISSUER", "收单行 ACQUIRER", "卡号 CARD NO.", "有效期 EXP. DATE",
              "交易类型 TRANS TYPE", "批次号 BATCH NO.", "凭证号 VOUCHER NO.", "授权码 AUTH NO.",
              "参考号 REFER NO.", "日期/时间 DATE/TIME", "金额 AMOUNT RMB", "备注 REFERENCE")
SIGNATURE = "持卡人签名 CARDHOLDER SIGNATURE"
ACK_ZH = "本人确认以上交易，同意将其记入本卡账户"
ACK_EN = "I ACKNOWLEDGE SATISFACTORY RECEIPT OF RELATIVE GOODS/SERVICES"


def txn(**changes):
    t = {"type_name": "消费 SALE", "pan_masked": "622202*********0017", "entry": "S",
         "expiry": "2812", "issuer": "工商银行", "acquirer": "银联商务", "batch": "000001",
         "trace": "000123", "auth": "A1B2C3", "ref": "141509123456",
         "datetime": "2026/11/23 14:05:09", "amount_fen": 12345, "operator": "01",
         "remark": ""}
    t.update(changes)
    return t


TERMINAL = {"merchant_name": "测试商户便利店", "merchant_id": "898310058120001",
            "terminal_id": "10000001"}


def slip(copy=0, reprint=False, t=None, terminal=None):
    return list(receipt.slip_lines(t or txn(), terminal or TERMINAL, copy, reprint))


def text_of(lines):
    return "\n".join(line for line, _ in lines)


def index_of(lines, start):
    for i, (line, _) in enumerate(lines):
        if line.startswith(start):
            return i
    raise AssertionError("no line starts with " + start)




def test_the_slip_opens_with_the_title_doubled_and_the_copy_name():
    lines = slip()
    assert lines[0] == ("银联POS签购单", DOUBLE | CENTER)
    assert lines[1] == ("商户存根 MERCHANT COPY", CENTER)
    assert slip(1)[1] == ("持卡人存根 CARDHOLDER COPY", CENTER)


def test_the_title_can_be_set_per_terminal():
    terminal = dict(TERMINAL, slip_title="POS签购单")
    assert slip(terminal=terminal)[0] == ("POS签购单", DOUBLE | CENTER)


def test_both_copies_carry_every_section_in_slip_order():
    for copy in (0, 1):
        lines = slip(copy)
        positions = [index_of(lines, title) for title in MERCHANT_TITLES + TXN_TITLES]
        assert positions == sorted(positions)


def test_values_follow_their_titles():
    lines = slip()
    text = text_of(lines)
    for value in ("测试商户便利店", "898310058120001", "10000001", "工商银行", "银联商务",
                  "2028/12", "000001", "000123", "A1B2C3", "141509123456",
                  "2026/11/23 14:05:09"):
        assert value in text
    assert lines[index_of(lines, "交易类型") + 1] == ("消费 SALE", BOLD | DOUBLE)
    assert lines[index_of(lines, "操作员号")][0].endswith(" 01")


def test_the_amount_is_printed_big_from_fen():
    lines = slip()
    assert lines[index_of(lines, "金额 AMOUNT RMB") + 1] == ("RMB 123.45", BOLD | DOUBLE)


def test_amounts_are_formatted_from_int_fen():
    assert receipt.format_amount(12345) == "RMB 123.45"
    assert receipt.format_amount(5) == "RMB 0.05"
    assert receipt.format_amount(0) == "RMB 0.00"
    assert receipt.format_amount(100) == "RMB 1.00"
    assert receipt.format_amount(999999999999) == "RMB 9999999999.99"
    assert receipt.format_amount(-150) == "RMB -1.50"


def test_the_card_number_is_masked_with_the_entry_mode():
    lines = slip(t=txn(entry="I"))
    assert lines[index_of(lines, "卡号 CARD NO.") + 1] == ("622202*********0017 /I", BOLD)


def test_only_a_masked_pan_is_ever_printed():
    full = "6222021234567890017"
    for copy in (0, 1):
        text = text_of(slip(copy, t=txn(pan_masked=full)))
        assert full not in text
        assert "1234567890" not in text
        assert "622202*********0017 /S" in text
    assert receipt.masked_pan("6222021234567890") == "622202******7890"


def test_the_signature_block_is_on_the_merchant_copy_only():
    merchant = slip(0)
    text = text_of(merchant)
    assert SIGNATURE in text
    assert ACK_ZH in text
    assert ACK_EN in text.replace("\n", " ")
    sign = index_of(merchant, SIGNATURE)
    assert [line for line, _ in merchant[sign + 1:sign + 4]] == ["", "", ""]
    assert index_of(merchant, "备注 REFERENCE") < sign
    customer = text_of(slip(1))
    assert SIGNATURE not in customer and "持卡人签名" not in customer
    assert ACK_ZH not in customer and "ACKNOWLEDGE" not in customer


def test_a_reprint_is_marked_duplicate():
    lines = slip(1, reprint=True)
    assert ("重打印 DUPLICATE", BOLD | CENTER) in lines
    assert index_of(lines, "重打印") < index_of(lines, "商户名称")
    assert "重打印" not in text_of(slip(1)) and "DUPLICATE" not in text_of(slip(0))


def test_every_line_fits_58_mm_paper():
    font = Font(font_path())
    long_name = "北京市朝阳区某某便利店有限公司望京第一分店（测试商户）SUPERMARKET NO.1 LTD"
    cases = [slip(c, r) for c in (0, 1) for r in (False, True)]
    cases.append(slip(t=txn(remark="订单号 ORDER 2026112300001234 " * 3, amount_fen=999999999999,
                            issuer="中国农业银行股份有限公司北京分行营业部信用卡中心",
                            type_name="预授权完成(请求) AUTH COMPLETE"),
                      terminal=dict(TERMINAL, merchant_name=long_name)))
    for lines in cases:
        for text, style in lines:
            scale = 2 if style & DOUBLE else 1
            assert cells(text) * scale <= 48, text
            assert font.text_width_px(text) * scale <= 384, text
    font.close()


def test_a_long_merchant_name_wraps_without_losing_a_character():
    name = "北京市朝阳区某某便利店有限公司望京第一分店（测试商户）"
    lines = slip(terminal=dict(TERMINAL, merchant_name=name))
    start = index_of(lines, "商户名称") + 1
    end = index_of(lines, "商户编号")
    assert end - start == 2
    assert "".join(line for line, _ in lines[start:end]) == name


def test_a_long_value_goes_under_its_title_flush_right():
    issuer = "中国农业银行股份有限公司北京分行营业部信用卡中心"
    lines = slip(t=txn(issuer=issuer))
    i = index_of(lines, "发卡行 ISSUER")
    assert lines[i] == ("发卡行 ISSUER:", 0)
    assert lines[i + 1] == (issuer, RIGHT)


def test_an_empty_auth_or_remark_keeps_the_title_and_no_expiry_drops_the_line():
    lines = slip(t=txn(auth="", remark="", expiry=None))
    assert lines[index_of(lines, "授权码 AUTH NO.")][0].rstrip() == "授权码 AUTH NO.:"
    assert "有效期" not in text_of(lines)
    lines = slip(t=txn(remark="龘靐 手机尾号1234"))
    assert lines[index_of(lines, "备注 REFERENCE") + 1][0] == "龘靐 手机尾号1234"


def test_wrap_breaks_at_spaces_and_cuts_long_words():
    assert receipt.wrap("AAA BBB CCC", 7) == ["AAA BBB", "CCC"]
    assert receipt.wrap("ABCDEFGHIJ", 4) == ["ABCD", "EFGH", "IJ"]
    assert receipt.wrap("中文中文中", 4) == ["中文", "中文", "中"]
    assert receipt.wrap("", 4) == [""]


def test_the_slip_is_a_list_so_a_job_can_be_retried():
    assert isinstance(slip(), list)
    assert slip() == slip()


def test_copy_names_and_a_bad_copy():
    assert receipt.copy_name(0) == "商户存根 MERCHANT COPY"
    assert receipt.copy_name(1) == "持卡人存根 CARDHOLDER COPY"
    assert receipt.copy_name(2) == "银行存根 BANK COPY"
    assert raises(ValueError, receipt.copy_name, 3)
    assert raises(ValueError, slip, 5)


def test_the_settlement_slip_lines_its_counts_and_amounts_up_in_columns():
    from pos.font import cells
    doc = {"batch": 7, "date": "20261123", "time": "180000", "op": "01", "sums": [300000, 12, 5000, 1],
           "balanced": False, "uploaded": 13}
    kinds = [("消费 SALE", 11, 250000), ("预授权完成 AUTH COMPLETE", 1, 50000), ("退货 REFUND", 1, 5000)]
    lines = [text for text, _style in receipt.settlement_lines(TERMINAL, doc, kinds)]
    assert all(cells(text) <= receipt.WIDTH_CELLS for text in lines)
    rows = [text for text in lines if text.startswith(("消费", "预授权完成", "退货", "借记", "贷记"))]
    assert len(rows) == 5
    for text in rows:
        amount = text.split()[-1]
        assert cells(text) == receipt.WIDTH_CELLS and amount in ("2500.00", "500.00", "50.00", "3000.00")
        assert cells(text[:-len(amount)].rstrip()) == 34          # every count ends in the same column
    assert "对账不平 NOT BALANCED (批上送 13 笔 UPLOADED)" in lines
    assert any(t.startswith("净额 NET") and t.endswith("2950.00") for t in lines)


def _record(kind):
    return {"k": kind, "st": "approved", "batch": 1, "trace": 124, "amt": 1234, "pan": "622202*********0017",
            "entry": "swipe", "op": "01", "date": "20261123", "time": "140509", "ref": "141509123457",
            "auth": "654321", "ot": 123, "oref": "141509123456", "odate": "1123", "oauth": "654320"}


def test_a_void_a_refund_and_a_pre_authorisation_void_print_their_amount_negative():
    from pos.flows.printing import slip_txn
    for kind, negative in (("void", True), ("refund", True), ("preauth_void", True), ("sale", False),
                           ("preauth", False), ("preauth_complete", False), ("bill_payment", False),
                           ("repayment", False)):
        lines = list(receipt.slip_lines(slip_txn(_record(kind), "工商银行"), TERMINAL, 0))
        amount = lines[index_of(lines, "金额 AMOUNT RMB") + 1]
        assert amount == ("RMB -12.34" if negative else "RMB 12.34", BOLD | DOUBLE), (kind, amount)


def test_totals_rows_line_up_alike_on_the_slip_and_on_a_40_cell_screen():
    for width in (receipt.WIDTH_CELLS, 40):
        for name, count, amount in (("类型 TYPE", "笔数 NO.", "金额 AMOUNT"), ("消费", "3", "30.03"),
                                    ("预授权完成", "1234", "9999999999.99"), ("借记 DEBIT", "0", "0.00")):
            row = receipt.columns(name, count, amount, width)
            assert cells(row) == width and row.startswith(name) and row.endswith(" " + amount)
            assert cells(row[:-len(amount)].rstrip()) == width - receipt.AMOUNT_CELLS
            assert row[:-len(amount)].rstrip().endswith(" " + count)

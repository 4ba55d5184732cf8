# Slip layout: the sections of a UnionPay POS slip (签购单), top to bottom,
# as (text, style) lines. Every line fits 58 mm paper: 384 dots, 48 half-width
# cells of the 16-px font (CJK two cells), 24 cells for DOUBLE lines. The
# layout knows nothing of the printer; pos.escpos turns the lines into bytes,
# and names the styles a line may have.
from pos import const
from pos.escpos import BOLD, CENTER, DOUBLE, IMAGE, NORMAL, RIGHT, Rows
from pos.font import cells, is_wide, next_char, utf8
from pos.money import format_fen

WIDTH_CELLS = const(48)

TITLE = "银联POS签购单"
REPRINT = "重打印 DUPLICATE"
RULE = "-" * WIDTH_CELLS
_COPIES = ("商户存根 MERCHANT COPY", "持卡人存根 CARDHOLDER COPY", "银行存根 BANK COPY")
_ACKNOWLEDGE = ("本人确认以上交易，同意将其记入本卡账户",
                "I ACKNOWLEDGE SATISFACTORY RECEIPT OF RELATIVE GOODS/SERVICES")
_SIGNING_LINES = const(3)
# Labels the layout sets apart (a value on lines of its own, a rule after).
_NAME = "商户名称 MERCHANT NAME:"
_OPERATOR = "操作员号 OPERATOR NO.:"
_CARD = "卡号 CARD NO.:"
_TYPE = "交易类型 TRANS TYPE:"
_AMOUNT = "金额 AMOUNT RMB:"
_REMARK = "备注 REFERENCE:"


def copy_name(copy):
    """商户存根 MERCHANT COPY for copy 0, 持卡人存根 CARDHOLDER COPY for 1, 银行存根 BANK COPY for 2."""
    if copy not in (0, 1, 2):
        raise ValueError("copy is 0 (merchant), 1 (cardholder) or 2 (bank)")
    return _COPIES[copy]


def format_amount(fen):
    """"RMB 123.45" from an int of fen."""
    return "RMB " + format_fen(fen)


def masked_pan(pan):
    """First 6 and last 4 kept, the rest starred (again, to be sure)."""
    if len(pan) <= 10:
        return "*" * (len(pan) - 4) + pan[-4:]
    return pan[:6] + "*" * (len(pan) - 10) + pan[-4:]


def format_expiry(yymm):
    """"2028/12" from "2812"; anything else printed as given."""
    if len(yymm) == 4 and yymm.isdigit():
        return "20%s/%s" % (yymm[:2], yymm[2:])
    return yymm


def wrap(text, width=WIDTH_CELLS):
    """text cut into lines of at most width cells, at a space where one is near."""
    data = utf8(text)
    end = len(data)
    lines = []
    start = i = used = 0
    space = -1  # byte index of the last space on the current line
    while i < end:
        v = next_char(data, i, end)
        cp, n = v >> 3, v & 7
        w = 2 if is_wide(cp) else 1
        if used and used + w > width:
            if cp == 0x20:
                space = i
            cut = space if space > start else i
            lines.append(data[start:cut].decode())
            start = cut + 1 if cut == space else cut
            i, used, space = start, 0, -1
            continue
        if cp == 0x20:
            space = i
        used += w
        i += n
    if start < end or not lines:
        lines.append(data[start:end].decode())
    return lines


def _pair(label, value, style=NORMAL):
    """label and value on one line, the value flush right; two lines if too long."""
    if not value:
        yield label, style
        return
    gap = WIDTH_CELLS - cells(label) - cells(value)
    if gap >= 1:
        yield label + " " * gap + value, style
        return
    yield label, style
    for line in wrap(value):
        yield line, style | RIGHT


def _big(text, style):
    """One DOUBLE line, or normal wrapped lines if it would not fit doubled."""
    if cells(text) * 2 <= WIDTH_CELLS:
        yield text, style | DOUBLE
        return
    for line in wrap(text):
        yield line, style


class Ink(Rows):
    """The cardholder's signature on the merchant copy: its raster rows (pos.signature), handed
    to the printer a DOUBLE line's height at a time, one IMAGE slip line each."""

    def __init__(self, data):
        from pos.signature import raster_height, raster_rows
        Rows.__init__(self, raster_rows(data), raster_height(data))


class Slip:
    """A slip's (text, style) lines, laid out anew each time it is iterated: a print job can be
    retried whole, and the lines are never all in RAM at once (a slip's list would be ~4 KB of a
    transaction's heap)."""

    def __init__(self, layout, *args):
        self._layout = layout
        self._args = args

    def __iter__(self):
        return self._layout(*self._args)


def slip_lines(txn, terminal, copy, reprint=False):
    """The slip of one transaction, one (text, style) a printed line.

    txn and terminal are dicts (see docs/printing.md); copy 0 is the merchant
    copy (with the signature block), 1 the cardholder's, 2 the bank's.
    """
    return Slip(_slip, txn, terminal, copy, reprint)


def _merchant(terminal, operator):
    yield _NAME, NORMAL
    for line in wrap(terminal["merchant_name"]):
        yield line, BOLD
    yield from _pair("商户编号 MERCHANT NO.:", terminal["merchant_id"])
    yield from _pair("终端编号 TERMINAL NO.:", terminal["terminal_id"])
    yield from _pair(_OPERATOR, operator)
    yield RULE, NORMAL


AMOUNT_CELLS = const(14)    # a totals row's amount column: 9999999999.99 and a space before it


def columns(name, count, amount, width=WIDTH_CELLS):
    """One row of a batch's totals, on the settlement slip and on the screen alike: name from the
    left (cut if too long), count flush right AMOUNT_CELLS before the end, amount flush right."""
    count_end = width - AMOUNT_CELLS
    name = name if cells(name) <= count_end - 6 else wrap(name, count_end - 6)[0]
    line = name + " " * (count_end - cells(name) - cells(count)) + count
    return line + " " * (width - cells(line) - cells(amount)) + amount


def _datetime(day, hms):
    return "%s/%s/%s %s:%s:%s" % (day[0:4], day[4:6], day[6:8], hms[0:2], hms[2:4], hms[4:6])


def settlement_lines(terminal, doc, kinds, reprint=False):
    """结算单: the batch's totals by type and the settlement's debit / credit figures.

    doc: the settlement document (batch, sums, balanced, date, time, op);
    kinds: (type name, count, fen) of each type with transactions.
    """
    return Slip(_settlement, terminal, doc, kinds, reprint)


def _settlement(terminal, doc, kinds, reprint):
    yield from _big("结算单 SETTLEMENT", CENTER)
    if reprint:
        yield REPRINT, BOLD | CENTER
    yield RULE, NORMAL
    yield from _merchant(terminal, doc.get("op") or "")
    yield from _pair("批次号 BATCH NO.:", "%06d" % doc["batch"])
    yield from _pair("日期/时间 DATE/TIME:", _datetime(doc["date"], doc["time"]))
    yield RULE, NORMAL
    yield columns("类型 TYPE", "笔数 NO.", "金额 AMOUNT"), NORMAL
    for name, count, fen in kinds:
        yield columns(name, str(count), format_fen(fen)), NORMAL
    yield RULE, NORMAL
    debit, debit_n, credit, credit_n = doc["sums"]
    yield columns("借记 DEBIT", str(debit_n), format_fen(debit)), NORMAL
    yield columns("贷记 CREDIT", str(credit_n), format_fen(credit)), NORMAL
    yield columns("净额 NET", "", format_fen(debit - credit)), NORMAL
    yield RULE, NORMAL
    yield ("对账平 BALANCED" if doc["balanced"] else "对账不平 NOT BALANCED (批上送 %d 笔 UPLOADED)"
           % doc.get("uploaded", 0)), BOLD
    if doc.get("waiting"):
        yield "电子签购单待上送 %d 笔 E-RECEIPTS WAITING" % doc["waiting"], NORMAL
    yield "", NORMAL


def balance_lines(terminal, masked, fen, record):
    """余额查询: printed only when the cardholder asks for it."""
    out = [("余额查询 BALANCE", DOUBLE | CENTER), (RULE, NORMAL)]
    out.extend(_merchant(terminal, record.get("op") or ""))
    out.append(("卡号 CARD NO.:", NORMAL))
    out.append((masked_pan(masked), BOLD))
    out.extend(_pair("日期/时间 DATE/TIME:", _datetime(record["date"], record["time"])))
    out.extend(_pair("参考号 REFER NO.:", record.get("ref", "")))
    out.append(("可用余额 AVAILABLE BALANCE:", NORMAL))
    out.extend(_big(format_amount(fen), BOLD))
    out.append(("", NORMAL))
    return out


def code_lines(terminal, title, code, lines):
    """A QR code on paper (pos.qr.Qr): the customer's phone scans it (收款码), or it stands on the
    counter (静态收款码)."""
    return Slip(_code, terminal, title, code, lines)


def _code(terminal, title, code, lines):
    from pos.qr import image
    yield from _big(title, CENTER)
    yield RULE, NORMAL
    yield from _merchant(terminal, "")
    for line in lines:
        yield line, BOLD
    picture = image(code)
    for _ in range(picture.lines()):
        yield picture, IMAGE
    yield "请使用云闪付、微信或支付宝扫码付款", CENTER
    yield "SCAN TO PAY: UNIONPAY, WECHAT PAY, ALIPAY", CENTER
    yield "", NORMAL


def selfcheck_lines(terminal, results):
    """自检: one line a part, its state and detail."""
    out = [("自检 SELF-CHECK", DOUBLE | CENTER), (RULE, NORMAL)]
    out.extend(_merchant(terminal, ""))
    for name, ok, detail in results:
        out.extend(_pair(name, ("正常 OK" if ok else "故障 FAULT") + (" " + detail if detail else "")))
    out.append(("", NORMAL))
    return out


def fields(txn, terminal):
    """The slip's fields in the order it prints them, (label, value): the layout below sets them on
    paper, and the e-receipt carries them (pos/ereceipt.py) so the back-office shows the same."""
    yield _NAME, terminal["merchant_name"]
    yield "商户编号 MERCHANT NO.:", terminal["merchant_id"]
    yield "终端编号 TERMINAL NO.:", terminal["terminal_id"]
    yield _OPERATOR, txn["operator"]
    yield "发卡行 ISSUER:", txn["issuer"]
    yield "收单行 ACQUIRER:", txn["acquirer"]
    if txn["pan_masked"]:           # a QR payment has no card: its wallet and code come in extra
        card = masked_pan(txn["pan_masked"])
        if txn["entry"]:
            card += " /" + txn["entry"]
        yield _CARD, card
    if txn["expiry"]:
        yield "有效期 EXP. DATE:", format_expiry(txn["expiry"])
    yield _TYPE, txn["type_name"]
    for label, value in txn.get("extra", ()):
        yield label, value
    yield "批次号 BATCH NO.:", txn["batch"]
    yield "凭证号 VOUCHER NO.:", txn["trace"]
    yield "授权码 AUTH NO.:", txn["auth"]
    yield "参考号 REFER NO.:", txn["ref"]
    yield "日期/时间 DATE/TIME:", txn["datetime"]
    yield _AMOUNT, format_amount(txn["amount_fen"])
    yield _REMARK, txn["remark"]


def _slip(txn, terminal, copy, reprint):
    yield from _big(terminal.get("slip_title") or TITLE, CENTER)
    yield copy_name(copy), CENTER
    if reprint:
        yield REPRINT, BOLD | CENTER
    yield RULE, NORMAL

    for label, value in fields(txn, terminal):
        if label == _NAME:
            yield label, NORMAL
            for line in wrap(value):
                yield line, BOLD
        elif label == _REMARK:
            yield label, NORMAL
            if value:
                for line in wrap(value):
                    yield line, NORMAL
        elif label == _CARD:
            yield label, NORMAL
            yield value, BOLD
        elif label == _TYPE or label == _AMOUNT:
            yield label, NORMAL
            yield from _big(value, BOLD)
        else:
            yield from _pair(label, value)
        if label == _OPERATOR or label == _AMOUNT:
            yield RULE, NORMAL

    if txn.get("nosig"):
        yield "免密免签 NO PIN, NO SIGNATURE", NORMAL
    elif copy != 1:  # the cardholder keeps the unsigned copy
        yield "", NORMAL
        yield "持卡人签名 CARDHOLDER SIGNATURE:", NORMAL
        if txn.get("signature") and copy == 0:      # signed on the screen (电签)
            ink = Ink(txn["signature"])
            for _ in range(ink.lines()):
                yield ink, IMAGE
        else:
            for _ in range(_SIGNING_LINES):
                yield "", NORMAL
        yield RULE, NORMAL
        for text in _ACKNOWLEDGE:
            for line in wrap(text):
                yield line, NORMAL

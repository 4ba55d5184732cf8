"""Printing a transaction's slip copies, resumable after paper out or power loss; what a slip says of a
journal record (the issuer by the card's BIN, a reversing amount negative); the types' names and the
batch totals' rows the screens share with the slips."""
from pos import const, receipt
from pos.engine import Print, Show, WaitPaper
from pos.results import OK, PAPER_OUT
from pos.i18n import Catalog, t
from pos.money import format_fen
from pos.screen import Screen

TYPE_NAMES = {
    "sale": "消费 SALE",
    "void": "消费撤销 VOID",
    "refund": "退货 REFUND",
    "preauth": "预授权 AUTH",
    "preauth_void": "预授权撤销 CANCEL",
    "preauth_complete": "预授权完成 AUTH COMPLETE",
    "bill_payment": "缴费 BILL PAYMENT",
    "repayment": "信用卡还款 REPAYMENT",
    "qr_sale": "扫码消费 QR SALE",
    "qr_order": "收款码消费 QR CODE SALE",
    "qr_void": "扫码撤销 QR VOID",
    "qr_refund": "扫码退货 QR REFUND",
}
# Reversing transactions: UnionPay slips print their amount negative.
NEGATIVE = ("void", "refund", "preauth_void", "qr_void", "qr_refund")
ENTRY = {"swipe": "S", "keyed": "M", "chip": "I", "tap": "C"}
WALLETS = {"WX": "微信支付 WECHAT PAY", "ZF": "支付宝 ALIPAY", "UP": "云闪付 UNIONPAY"}
BIN_TABLE = "bins.txt"    # in the assets: the issuer of each BIN, sorted `BIN<TAB>name` lines
_LCD_CELLS = const(40)    # the width a Screen is laid out in
BILL_TITLE = "缴费凭证"
PAPER_WAIT = 300    # seconds the paper-out screen waits for paper before giving the slip up to 重打印


def _extra(record):
    """The lines under the type's name: the biller's, the repaid card's or the original's, then a
    chip card's application and cryptogram."""
    lines = _kind_extra(record)
    if record.get("fb"):
        lines += (("降级交易 FALLBACK:", "IC -> MAG"),)
    if record.get("aid"):
        lines += (("AID:", record["aid"]), ("应用标签 APP LABEL:", record.get("app", "")),
                  (record.get("cgt", "AC") + ":", record.get("cg", "")), ("TVR:", record.get("tvr", "")),
                  ("TSI:", record.get("tsi", "")), ("ATC:", record.get("atc", "")))
    return lines


def _kind_extra(record):
    k = record["k"]
    if k == "bill_payment":
        return (("缴费单位 UTILITY:", record.get("un", "")), ("户号 ACCOUNT NO.:", record.get("ac", "")),
                ("户名 ACCOUNT NAME:", record.get("nm", "")), ("账期 PERIOD:", record.get("pd", "")))
    if k == "repayment":
        return (("还款卡号 CREDIT CARD NO.:", record.get("cpan", "")), ("还款银行 BANK:", record.get("bk", "")))
    if k in ("qr_sale", "qr_order"):
        lines = (("支付方式 PAID BY:", WALLETS.get(record.get("wl"), record.get("wl", ""))),
                 ("订单号 ORDER NO.:", record.get("on", "")))
        return lines + ((("付款码 PAY CODE:", record["code"]),) if record.get("code") else ())
    if k in ("void", "qr_void"):
        return (("原凭证号 ORIG. VOUCHER:", "%06d" % record["ot"]),)
    if k in ("refund", "qr_refund"):
        return (("原参考号 ORIG. REFER NO.:", record.get("oref", "")),
                ("原交易日期 ORIG. DATE:", record.get("odate", "")))
    if k in ("preauth_void", "preauth_complete"):
        return (("原授权码 ORIG. AUTH NO.:", record.get("oauth", "")),
                ("原交易日期 ORIG. DATE:", record.get("odate", "")))
    return ()


def short_name(kind):
    """A type's name on a screen row: 消费 of 消费 SALE."""
    return TYPE_NAMES.get(kind, kind).split(" ")[0]


def bin_issuer(path, pan_masked):
    """The issuer the BIN table at path names for the card's first 6 digits, or None.

    The table is searched on flash through the text catalogs' reader (one small buffer), never loaded.
    """
    bin6 = pan_masked[:6]
    if len(bin6) != 6 or not bin6.isdigit():
        return None
    try:
        table = Catalog(path)
    except OSError:
        return None
    try:
        return table.get(bin6.encode())
    finally:
        table.close()


def issuer(app, record):
    """发卡行: the bank of the card's BIN, else the name the host sent (field 63)."""
    return bin_issuer(app.assets_dir + "/" + BIN_TABLE, record.get("pan", "")) or record.get("iss", "")


def slip_txn(record, issuer_name):
    """The receipt module's view of a journal record."""
    d, tm = record.get("date", ""), record.get("time", "")
    return {
        "type_name": TYPE_NAMES.get(record["k"], record["k"]),
        "pan_masked": record.get("pan", ""),
        "entry": ENTRY.get(record.get("entry"), "S"),
        "expiry": None,
        "issuer": issuer_name,
        "acquirer": record.get("acq", ""),
        "batch": "%06d" % record["batch"],
        "trace": "%06d" % record["trace"],
        "auth": record.get("auth", ""),
        "ref": record.get("ref", ""),
        "datetime": "%s/%s/%s %s:%s:%s" % (d[0:4], d[4:6], d[6:8], tm[0:2], tm[2:4], tm[4:6]),
        "amount_fen": -record["amt"] if record["k"] in NEGATIVE else record["amt"],
        "operator": record.get("op", ""),
        "remark": record.get("remark", ""),
        "nosig": record.get("nosig", 0),
        "extra": _extra(record),
    }


def total_rows(by_kind, sums):
    """The batch totals on a screen (当批汇总, 结算), in the settlement slip's columns: a heading, a row
    a type with transactions, then debit and credit. by_kind, sums: as ledger.totals gives them."""
    from pos.ledger import KINDS
    rows = [receipt.columns(t("totals_type"), t("totals_count"), t("totals_amount"), _LCD_CELLS)]
    for k in KINDS:
        entry = by_kind.get(k)
        if entry:
            rows.append(receipt.columns(short_name(k), str(entry[0]), format_fen(entry[1]), _LCD_CELLS))
    debit, debit_n, credit, credit_n = sums
    rows.append(receipt.columns(t("totals_debit"), str(debit_n), format_fen(debit), _LCD_CELLS))
    rows.append(receipt.columns(t("totals_credit"), str(credit_n), format_fen(credit), _LCD_CELLS))
    return rows


def terminal_info(app, record=None):
    info = {"merchant_name": app.settings["merchant_name"], "merchant_id": app.merchant_id,
            "terminal_id": app.terminal_id}
    if record is not None and record["k"] == "bill_payment":
        info["slip_title"] = BILL_TITLE
    return info


def print_lines(app, lines, title, info):
    """Print one slip (lines of (text, style)); paper out waits for paper and prints it again.

    True when printed, False when the merchant gave up or the printer failed.
    """
    while True:
        r = yield Print(lines, Screen(title, info + [t("printing")]))
        if r == OK:
            return True
        if r == PAPER_OUT:
            if (yield WaitPaper(Screen(title, [t("paper_out")], t("cancel_enter")), PAPER_WAIT)) != OK:
                yield Show(Screen(title, [t("print_later")], t("press_any_key")), 10)
                return False
            continue
        yield Show(Screen(title, [t("printer_error")], t("press_any_key")), app.settings["idle_timeout"])
        return False


def print_copies(app, record, first=0, reprint=False, title=None):
    """Print copies first.. of the record's slip; each printed copy is journaled.

    Paper out: wait for paper, then print the interrupted copy again. Set to print no slip (the
    e-receipt only), a reprint gives the cardholder's copy. Returns True when every copy printed.
    """
    copies = app.settings["copies"]
    if copies == 0 and reprint:
        first, copies = 1, 2
    title = title or t("approved")
    info = [t("amount") + ": RMB " + format_fen(record["amt"])]
    txn = slip_txn(record, issuer(app, record))
    if app.touch_area is not None:
        from pos.flows import sign
        txn["signature"] = sign.load(app, record)
    for copy in range(first, copies):
        if copy > first or (copy > 0 and not reprint):
            yield Show(Screen(title, info + [t("tear_off")], t("press_any_key")), 10)
        lines = receipt.slip_lines(txn, terminal_info(app, record), copy, reprint)
        if not (yield from print_lines(app, lines, title, info)):
            return False
        app.journal.append({"k": "printed", "batch": record["batch"], "trace": record["trace"], "copy": copy})
    return True

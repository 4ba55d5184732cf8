"""Receipts, terminals and users for the back-office tests (test_backoffice_api.py,
test_backoffice_browser.py), put in through the store and receipts.add()."""

import datetime

from pos.signature import SAMPLE
from tools.acquirer import accounts, receipts, store

MERCHANT_A = "123456789012345"          # the test data's merchant (测试商户), terminal 12345678
TERMINAL_A = "12345678"
TERMINAL_A2 = "12345679"
MERCHANT_B = "898765432109876"
TERMINAL_B = "87654321"
TMK = "0123456789ABCDEFFEDCBA9876543210"
PASSWORD_A = "correct horse 甲"
PASSWORD_B = "battery staple 乙"
PASSWORD_STAFF = "staple of the acquirer"
DAY = datetime.datetime(2026, 11, 23, 10, 0, 0)


def slip(merchant_name, merchant_id, terminal_id, r):
    """The [label, value] pairs a terminal prints, in its order (firmware/pos/receipt.py)."""
    fen = r["amount_fen"]
    return [
        ["商户名称 MERCHANT NAME:", merchant_name],
        ["商户编号 MERCHANT NO.:", merchant_id],
        ["终端编号 TERMINAL NO.:", terminal_id],
        ["操作员号 OPERATOR NO.:", r["operator"]],
        ["发卡行 ISSUER:", "工商银行"],
        ["收单行 ACQUIRER:", "银联商务"],
        ["卡号 CARD NO.:", r["masked_pan"] + " /C"],
        ["有效期 EXP. DATE:", "2028/12"],
        ["交易类型 TRANS TYPE:", receipts.TYPE_NAMES[r["type"]]],
        ["批次号 BATCH NO.:", r["batch"]],
        ["凭证号 VOUCHER NO.:", r["trace"]],
        ["授权码 AUTH NO.:", r["auth_code"]],
        ["参考号 REFER NO.:", r["rrn"]],
        ["日期/时间 DATE/TIME:", r["occurred"].strftime("%Y/%m/%d %H:%M:%S")],
        ["金额 AMOUNT RMB:", "RMB %d.%02d" % (fen // 100, fen % 100)],
        ["备注 REFERENCE:", ""],
        ["持卡人签名 CARDHOLDER SIGNATURE:", ""],
    ]


def receipt(terminal_id, merchant_id, trace, kind, fen, occurred, pan_last4="0017", operator="01",
            batch="000001", merchant_name="测试商户", signature=SAMPLE):
    r = {"terminal_id": terminal_id, "merchant_id": merchant_id, "batch": batch,
         "trace": "%06d" % trace, "type": kind, "amount_fen": fen,
         "masked_pan": "622202******" + pan_last4, "rrn": "%s%06d" % (occurred.strftime("%y%m%d"), trace),
         "auth_code": "A%05d" % trace, "operator": operator, "occurred": occurred,
         "state": "approved", "signature": signature, "received": occurred + datetime.timedelta(minutes=1)}
    r["slip"] = slip(merchant_name, merchant_id, terminal_id, r)
    return r


def fill(url):
    """A store at url with merchants A (two terminals) and B, their receipts and three users.
    -> {name: receipt id}."""
    db = store.Store(url)
    try:
        db.add_terminal(TERMINAL_A, MERCHANT_A, "测试商户", TMK)
        db.add_terminal(TERMINAL_A2, MERCHANT_A, "测试商户", TMK)
        db.add_terminal(TERMINAL_B, MERCHANT_B, "另一家商户 <b>B</b>", TMK)
        rows = {
            "a_sale": receipt(TERMINAL_A, MERCHANT_A, 1, "sale", 1234, DAY),
            "a_sale2": receipt(TERMINAL_A, MERCHANT_A, 2, "sale", 5000, DAY + datetime.timedelta(hours=2),
                               pan_last4="4321", operator="02"),
            "a_void": receipt(TERMINAL_A, MERCHANT_A, 3, "void", 5000, DAY + datetime.timedelta(hours=3),
                              pan_last4="4321", operator="02"),
            "a_refund": receipt(TERMINAL_A2, MERCHANT_A, 1, "refund", 300,
                                DAY + datetime.timedelta(days=1, hours=1), signature=None),
            "a_bill": receipt(TERMINAL_A2, MERCHANT_A, 2, "bill_payment", 8888,
                              DAY + datetime.timedelta(days=2), batch="000002"),
            "b_sale": receipt(TERMINAL_B, MERCHANT_B, 1, "sale", 1234, DAY,
                              merchant_name="另一家商户 <b>B</b>"),
        }
        rows["a_sale2"]["state"] = "voided"
        ids = {}
        with db.engine.begin() as conn:
            for name, r in rows.items():
                ids[name], created = receipts.add(conn, **r)
                assert created
            accounts.add_user(conn, "shop_a", PASSWORD_A, MERCHANT_A, DAY)
            accounts.add_user(conn, "shop_b", PASSWORD_B, MERCHANT_B, DAY)
            accounts.add_user(conn, "acquirer", PASSWORD_STAFF, None, DAY)
        return ids
    finally:
        db.close()

"""缴费: gas, water and electricity bills, as in the Lakala guide.

缴费 → 燃气 / 水费 / 电费 → 请输入户号 → the host's biller answers with the
holder (户名), the utility (缴费单位), the amount due (应缴金额) and the
period → the merchant checks them with the customer → 确认 → 请插卡或刷卡 → PIN →
缴费成功 and the 缴费凭证 slips. The inquiry moves no money; cancelling at
the check sends nothing more. Nothing due: 无欠费. Where the utility takes
any amount (prepaid meters) the merchant keys it, the due amount offered.
"""
from pos import tlv
from pos.editors import ListEditor
from pos.flows import card, online
from pos.flows.common import ask, ask_amount, ask_digits, confirm, notice
from pos.i18n import t
from pos.menu import DONE
from pos.money import amount_field, format_fen
from pos.results import GAVE_UP

# Biller code (field 62 BC) and the i18n key of its name, in menu order.
BILLERS = (("GAS", "biller_gas"), ("WTR", "biller_water"), ("ELE", "biller_power"))
MAX_ACCOUNT = 20


def inquiry_answer(items):
    """The bill of an inquiry answer's field 62 items; raises TlvError when it is malformed."""
    mode = tlv.text(items, "MD", 1)
    if mode not in ("E", "A"):
        raise tlv.TlvError("payment mode %r" % mode)
    return {"bc": tlv.text(items, "BC", 3), "ac": tlv.digits(items, "AC", 1, MAX_ACCOUNT),
            "nm": tlv.text(items, "NM"), "un": tlv.text(items, "UN"), "due": tlv.amount(items, "DU"),
            "pd": tlv.digits(items, "PD", 6, 6), "md": mode}


def run(app, state):
    title = t("bill")
    picked = yield from ask(app, title, [t("choose_biller")], ListEditor([t(key) for _, key in BILLERS]))
    if picked in GAVE_UP:
        return DONE
    code, name_key = BILLERS[picked]
    title = t("bill") + " " + t(name_key)
    account = yield from ask_digits(app, title, t("enter_account"), 1, MAX_ACCOUNT)
    if account is None:
        return DONE
    if not (yield from online.ready(app, title)):
        return DONE
    bill = {}

    def check(fields):
        found = inquiry_answer(tlv.decode(fields.get(62) or b""))
        if found["bc"] != code or found["ac"] != account:
            raise tlv.TlvError("the answer is for another bill")
        bill.update(found)

    values = {62: tlv.encode((("BC", code), ("AC", account)))}
    if (yield from online.inquire(app, "bill_inquiry", values, title, check, [t("account_no") + ": " + account])) \
            is None:
        return DONE
    shown = [t("utility") + ": " + bill["un"], t("account_no") + ": " + account, t("holder") + ": " + bill["nm"],
             t("period") + ": " + bill["pd"]]
    due = bill["due"]
    if due == 0:
        yield from notice(app, title, shown + [t("nothing_due")])
        return DONE
    if due > app.settings["max_amount_fen"]:
        yield from notice(app, title, shown + [t("amount_due") + ": RMB " + format_fen(due), t("amount_too_large")])
        return DONE
    shown.append(t("amount_due") + ": RMB " + format_fen(due))
    if not (yield from confirm(app, title, shown + [t("check_bill")])):
        return DONE
    amount = due
    if bill["md"] == "A":
        amount = yield from ask_amount(app, title, t("enter_pay_amount"), shown, initial=due)
        if amount is None:
            return DONE
    got = yield from card.with_pin(app, title, [online.amount_line(amount)], emv=("00", amount))
    if got is None:
        return DONE
    c, values = got
    values[4] = amount_field(amount)
    values[62] = tlv.encode((("BC", code), ("AC", account), ("PD", bill["pd"])))
    record = online.new_record(app, "bill_payment", amount, c)
    record.update({"bc": code, "ac": account, "nm": bill["nm"], "un": bill["un"], "pd": bill["pd"]})

    def paid(fields):
        raw = fields.get(62)
        if raw:
            items = tlv.decode(raw)
            if tlv.text(items, "BC", 3, False) not in ("", code) or \
                    tlv.digits(items, "AC", 1, MAX_ACCOUNT, False) not in ("", account):
                raise tlv.TlvError("the answer is for another bill")

    yield from online.financial(app, values, record, title, t("bill_ok"), [shown[2]], paid,
                                card.card_step(app, c, record))
    yield from card.done(app, title, c)
    return DONE

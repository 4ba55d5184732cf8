# 交易查询: what the list and the detail say of transactions not approved or voided; 当批汇总's rows.
from flowkit import Terminal, POOR
from pos.font import cells
from pos.receipt import AMOUNT_CELLS


def _batch_of_every_state():
    """Sales of 10.00 (voided since), 20.00 (declined 51), 5.00 (no answer: reversed), 7.00 (approved)."""
    term = Terminal()
    term.login()
    term.sale(1000)
    term.finish()
    term.host.rules["sale"] = lambda req: {39: "51"}
    term.sale(2000, POOR)
    term.finish()
    term.host.rules["sale"] = lambda req: "timeout"
    term.sale(500)
    term.finish()
    term.host.rules.clear()
    term.sale(700)
    term.finish()
    voided = term.transactions("sale")[0]
    term.void(voided["trace"])
    term.finish()
    return term


def _list_by_date(term):
    term.menu("交易查询", "按日期")
    term.type("1123")
    term.keys("ENTER")
    return term.app.screen.lines


def _row(lines, amount):
    [row] = [line for line in lines if " 消费 " + amount in line]
    return row


def test_the_list_marks_what_was_declined_reversed_or_voided():
    term = _batch_of_every_state()
    lines = _list_by_date(term)
    assert "共5笔" in lines
    assert _row(lines, "10.00").endswith(" 已撤销")
    assert _row(lines, "20.00").endswith(" 失败")
    assert _row(lines, "5.00").endswith(" 已冲正")
    assert _row(lines, "7.00").endswith(" 消费 7.00")
    term.close()


def test_a_reversal_that_failed_is_marked_too():
    term = Terminal()
    term.login()
    term.host.rules["sale"] = lambda req: "timeout"
    term.sale(500)
    term.finish()
    term.host.rules = {"reversal": lambda req: "timeout"}
    for _ in range(3):
        term.sale(600)
        term.finish()
    lines = _list_by_date(term)
    assert _row(lines, "5.00").endswith(" 冲正失败")
    term.close()


def _detail(term, lines, amount):
    """The detail of the list's row of that amount."""
    term.keys(_row(lines, amount).split(".")[0])
    return term.screen


def test_a_declined_transaction_gives_its_reason_and_no_empty_auth_line():
    term = _batch_of_every_state()
    screen = _detail(term, _list_by_date(term), "20.00")
    assert "失败" in screen and "原因: 可用余额不足" in screen
    assert "授权码" not in screen
    term.close()


def test_an_approved_transaction_shows_its_auth_code_and_a_voided_one_says_so():
    term = _batch_of_every_state()
    auth = {r["amt"]: r["auth"] for r in term.transactions("sale") if r["st"] == "approved"}
    lines = _list_by_date(term)
    screen = _detail(term, lines, "7.00")
    assert "授权码: " + auth[700] in screen and "原因" not in screen and "已撤销" not in screen
    term.keys("ENTER")
    screen = _detail(term, lines, "10.00")
    assert "授权码: " + auth[1000] in screen and "成功 已撤销" in screen
    term.close()


def test_a_reversed_transaction_has_neither_reference_nor_auth_line():
    term = _batch_of_every_state()
    screen = _detail(term, _list_by_date(term), "5.00")
    assert "已冲正" in screen and "参考号" not in screen and "授权码" not in screen
    term.close()


def test_the_marks_hold_for_the_settled_batch_too():
    term = _batch_of_every_state()
    term.menu("结算")
    term.keys("ENTER")
    term.finish()
    lines = _list_by_date(term)
    assert _row(lines, "10.00").endswith(" 已撤销") and _row(lines, "20.00").endswith(" 失败")
    term.close()


def test_the_batch_totals_rows_have_the_settlement_slips_columns():
    term = _batch_of_every_state()
    term.menu("交易查询")
    term.select("当批汇总")
    lines = term.app.screen.lines
    rows = lines[1:]
    assert rows[0].split() == ["类型", "笔数", "金额"]
    assert rows[1].split() == ["消费", "1", "7.00"]
    assert rows[2].split() == ["借记", "1", "7.00"] and rows[3].split() == ["贷记", "0", "0.00"]
    for row in rows:
        amount = row.split()[-1]
        assert cells(row) == 40 and cells(row[:-len(amount)].rstrip()) == 40 - AMOUNT_CELLS
    term.close()

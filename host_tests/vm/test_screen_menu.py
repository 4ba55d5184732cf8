from pos import menu
from pos.clock import civil, stamp
from pos.money import format_fen
from pos.screen import Screen, fit, text_width, wrap


def test_cjk_characters_take_two_cells():
    assert text_width("消费12") == 6
    assert fit("欢迎使用", 5) == "欢迎"


def test_wrap_never_splits_a_wide_character_over_the_edge():
    assert wrap("中文中文中", 4) == ["中文", "中文", "中"]


def test_screen_rows_fill_the_lcd_and_center_the_title():
    rows = Screen("消费", ["请输入金额"], "确认").rows(40, 15)
    assert len(rows) == 15
    assert rows[0].strip() == "消费" and rows[-1].strip() == "确认"


def test_format_fen_never_uses_floats():
    assert format_fen(12345) == "123.45"
    assert format_fen(5) == "0.05"
    assert format_fen(-100) == "-1.00"


def test_every_exit_and_item_leads_to_a_state():
    for state in menu.STATES:
        row = menu.row(state)
        for _event, nxt in menu.exits(state):
            assert menu.row(nxt), (state, nxt)
        for item in row[menu.ITEMS] or ():
            assert menu.next_state(state, item) == item and menu.row(item)


def test_a_menu_goes_back_to_its_parent_and_to_idle_when_left_alone():
    for state, parent in (("menu", "idle"), ("preauth_menu", "menu"), ("operators_menu", "admin_menu"),
                          ("settings_menu", "admin_menu")):
        assert menu.next_state(state, menu.BACK) == parent
        assert menu.next_state(state, menu.AWAY) == "idle"


def test_the_main_menu_is_the_merchant_guides_in_order():
    assert menu.row("menu")[menu.ITEMS] == ("sale", "qr_menu", "void", "refund", "balance", "preauth_menu", "bill",
                                            "repay", "query_menu", "reprint_menu", "settle", "signin", "admin")
    assert menu.row("qr_menu")[menu.ITEMS] == ("qr_scan", "qr_show", "qr_refund", "qr_static")


def test_every_leaf_flow_exits_on_done_and_when_left_alone():
    for state in menu.STATES:
        exits = dict(menu.exits(state))
        if menu.DONE in exits:
            assert menu.next_state(state, menu.AWAY) in ("idle", "login"), state
    assert menu.next_state("void", menu.DONE) == "idle"
    assert menu.next_state("op_add", menu.DONE) == "operators_menu"
    assert menu.next_state("query_trace", menu.DONE) == "query_menu"
    assert menu.next_state("signoff", menu.DONE) == "login"


def test_an_event_a_state_does_not_expect_raises():
    from vmutil import raises
    assert raises(menu.TransitionError, menu.next_state, "sale", "ok")
    assert raises(menu.TransitionError, menu.next_state, "menu", "done")
    assert raises(menu.TransitionError, menu.next_state, "idle", "anything")
    assert raises(menu.TransitionError, menu.next_state, "no_such_state", menu.DONE)


def test_the_supervisor_menu_opens_only_after_the_check():
    assert menu.next_state("admin", menu.OK) == "admin_menu"
    assert menu.next_state("admin", menu.FAIL) == "menu"


def test_flows_return_to_idle_and_cancel_leaves_the_menu():
    assert menu.next_state("sale", menu.DONE) == "idle"
    assert menu.next_state("menu", menu.BACK) == "idle"
    assert menu.next_state("idle", menu.OPEN) == "menu"
    assert menu.next_state("idle", menu.CARD) == "sale"
    assert menu.next_state("login", menu.OK) == "signin"
    assert menu.next_state("login", menu.RETRY) == "login"


def test_what_prints_needs_a_charge_to_start():
    assert menu.power_needed("sale") == 10 and menu.power_needed("update") == 30
    assert menu.power_needed("balance") == 0 and menu.power_needed("query_trace") == 0


def test_civil_time_of_epoch_seconds():
    assert civil(0) == (1970, 1, 1, 0, 0, 0)
    assert civil(1795430096) == (2026, 11, 23, 10, 34, 56)
    assert stamp(951782400) == ("20000229", "000000")

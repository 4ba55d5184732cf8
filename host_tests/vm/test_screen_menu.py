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


def test_every_menu_item_leads_to_a_state_with_a_flow():
    for state in menu.MENUS:
        for event, _label in menu.MENUS[state]:
            nxt = menu.next_state(state, event)
            assert nxt == event
            assert menu.module_of(nxt)
        assert menu.next_state(state, "cancel") == menu.PARENT[state]
        assert menu.next_state(state, "timeout") == "idle"


def test_the_main_menu_is_the_merchant_guides_in_order():
    events = [e for e, _label in menu.MENUS["menu"]]
    assert events[0] == "sale"
    assert events == ["sale", "void", "refund", "balance", "preauth_menu", "bill", "repay", "query_menu",
                      "reprint_menu", "settle", "signin", "admin"]


def test_every_leaf_flow_exits_on_done_and_on_anything_else():
    for state in menu.EXITS:
        done, other = menu.EXITS[state]
        assert menu.next_state(state, "done") == done
        assert menu.next_state(state, "timeout") == other
        assert menu.module_of(state)
    assert menu.next_state("void", "done") == "idle"
    assert menu.next_state("op_add", "done") == "operators_menu"
    assert menu.next_state("signoff", "done") == "login"


def test_the_supervisor_menu_opens_only_after_the_check():
    assert menu.next_state("admin", "ok") == "admin_menu"
    assert menu.next_state("admin", "refused") == "menu"


def test_flows_return_to_idle_and_cancel_leaves_the_menu():
    assert menu.next_state("sale", "done") == "idle"
    assert menu.next_state("menu", "cancel") == "idle"
    assert menu.next_state("idle", "enter") == "menu"
    assert menu.next_state("login", "ok") == "signin"
    assert menu.next_state("login", "retry") == "login"


def test_civil_time_of_epoch_seconds():
    assert civil(0) == (1970, 1, 1, 0, 0, 0)
    assert civil(1795430096) == (2026, 11, 23, 10, 34, 56)
    assert stamp(951782400) == ("20000229", "000000")

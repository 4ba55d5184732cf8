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


def test_every_main_menu_item_has_a_transition():
    for event, _label in menu.MAIN_MENU:
        assert menu.next_state("menu", event) != "idle"


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

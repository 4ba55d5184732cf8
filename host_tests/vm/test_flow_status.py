# What the runtime's status task reads into the App: the battery (its charge on the idle screen,
# the menu holding back what prints or updates on a flat one, the self-check's line) and the
# link's signal (on the idle screen).
from flowkit import Terminal


def _signed_in(battery):
    term = Terminal()
    term.app.battery = battery
    term.login()
    return term


def test_the_idle_screen_shows_the_charge_and_says_when_it_is_low():
    term = _signed_in(85)
    assert "电量 85%" in term.screen
    term.app.battery = 9
    term.advance(31)                              # the idle screen redrawn
    assert "电量低，请充电" in term.screen and "电量 9%" not in term.screen
    term.close()


def test_a_terminal_without_a_battery_shows_no_charge_and_holds_nothing_back():
    term = _signed_in(None)
    assert "电量" not in term.screen
    term.sale(100)
    assert term.transactions("sale")[-1]["st"] == "approved"
    term.close()


def test_a_sale_on_a_flat_battery_is_held_back_in_the_menu_and_goes_once_charged():
    term = _signed_in(8)
    term.menu("消费")
    assert "电量低，请充电" in term.screen and "需要电量10%以上" in term.screen, term.screen
    assert term.host.kinds == ["signin"]
    term.keys("ENTER")
    assert "主菜单" in term.screen
    term.app.battery = 40
    term.select("消费")
    assert "请输入金额" in term.screen, term.screen
    term.close()


def test_what_does_not_print_goes_on_a_flat_battery():
    term = _signed_in(3)
    term.menu("交易查询")
    assert "电量低" not in term.screen and "按凭证号" in term.screen, term.screen
    term.close()


def test_an_update_the_host_asks_for_waits_for_30_percent():
    term = _signed_in(20)
    term.app.update_due = True
    term.advance(31)
    assert "欢迎使用" in term.screen and term.app.update_due      # not started: the flow never ran
    assert "app_download" not in term.host.kinds
    term.close()


def _self_check(term):
    term.menu("管理")
    term.supervisor()
    term.select("自检")
    return term.screen


def test_the_self_check_shows_the_battery_only_on_a_terminal_that_has_one():
    term = _signed_in(None)
    assert "打印机: 正常" in _self_check(term) and "电池" not in term.screen
    term.close()
    term = _signed_in(4)
    term.probe_answers["battery"] = (False, "4%")        # what the runtime answers from its battery
    assert "电池: 故障 4%" in _self_check(term), term.screen
    term.close()


def test_the_idle_screen_shows_the_links_signal():
    term = _signed_in(None)
    assert "信号" not in term.screen                 # none read yet
    term.app.signal = ("4g", 3)
    term.advance(31)
    assert "4G 信号 3/4" in term.screen
    term.app.signal = ("wifi", 0)
    term.advance(31)
    assert "WiFi 信号 0/4" in term.screen
    term.close()

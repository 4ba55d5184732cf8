# 管理: the supervisor's menu (operators, settings, self-check, parameters) and 签退.
from flowkit import Terminal
from pos import store


def _admin(term, *items, password="123456"):
    term.menu("管理")
    if "主管密码" in term.screen:
        term.supervisor(password)
    for item in items:
        term.select(item)


def _signed_in(no="01", password="0000"):
    term = Terminal()
    term.login(no, password)
    return term


def test_an_operator_without_the_supervisor_password_is_refused_the_menu():
    term = _signed_in()
    term.menu("管理")
    term.supervisor("000000")
    assert "主管密码错误" in term.screen
    term.keys("ENTER")
    assert "主菜单" in term.screen and "管理" not in term.screen.split("\n")[0]
    term.close()


def test_operators_are_added_listed_changed_unlocked_and_deleted():
    term = _signed_in()
    _admin(term, "操作员管理", "增加操作员")
    term.type("07")
    term.keys("ENTER")
    term.type("2468")
    term.keys("ENTER")
    term.type("2468")
    term.keys("ENTER")
    assert "操作员07已增加" in term.screen
    assert term.app.operators.verify("07", "2468") == "ok"
    term.keys("ENTER")
    term.select("操作员列表")
    assert "07  正常" in term.screen
    term.keys("ENTER")
    for _ in range(5):
        term.app.operators.verify("07", "0000")
    term.select("解锁操作员")
    term.type("07")
    term.keys("ENTER")
    assert term.app.operators.verify("07", "2468") == "ok"
    term.keys("ENTER")
    term.select("修改密码")
    term.type("07")
    term.keys("ENTER")
    term.type("1357")
    term.keys("ENTER")
    term.type("1358")
    term.keys("ENTER")
    assert "两次密码不一致" in term.screen
    term.keys("ENTER")
    term.select("删除操作员")
    term.type("00")
    term.keys("ENTER")
    assert "不能删除" in term.screen
    term.keys("ENTER")
    term.select("删除操作员")
    term.type("07")
    term.keys("ENTER ENTER")
    assert "已删除" in term.screen
    assert [no for no, _ in term.app.operators.list()] == ["00", "01"]
    term.close()


def test_settings_are_saved_whole_and_survive_a_restart():
    term = _signed_in()
    _admin(term, "终端设置", "打印联数")
    term.select("3")
    assert "设置已保存" in term.screen
    term.keys("ENTER")
    term.select("最大金额")
    term.keys("CLEAR CLEAR CLEAR CLEAR CLEAR CLEAR CLEAR")
    term.type("50000")
    term.keys("ENTER ENTER")
    term.select("日期时间")
    term.type("20261224183000")
    term.keys("ENTER ENTER")
    term.select("通讯设置")
    term.type("192168001010")
    term.keys("ENTER")
    term.type("6000")
    term.keys("ENTER")
    term.type("45")
    term.keys("ENTER")
    term.select("4G")
    term.keys("ENTER")
    saved = store.load(term.dir, "settings")
    assert saved["copies"] == 3 and saved["max_amount_fen"] == 50000
    assert saved["host_addr"] == "192.168.1.10" and saved["host_port"] == 6000 and saved["host_timeout"] == 45
    assert saved["link"] == "4g"
    from pos import clock
    assert clock.stamp(term.app.clock()) == ("20261224", "183000")
    again = Terminal(host=term.host, state_dir=term.dir)
    assert again.app.settings["copies"] == 3 and again.app.settings["max_amount_fen"] == 50000
    term.close()


def test_a_bad_date_or_address_changes_nothing():
    term = _signed_in()
    _admin(term, "终端设置", "日期时间")
    term.type("20260230120000")
    term.keys("ENTER")
    assert "日期错误" in term.screen
    assert store.load(term.dir, "settings") is None
    term.close()


def test_the_merchant_name_is_keyed_as_quwei_codes():
    term = _signed_in()
    _admin(term, "终端设置", "商户名称")
    term.type("1767329121740000")      # 便 利 店 then an unassigned code
    assert "无此区位码" in term.screen
    term.keys("ENTER")
    assert term.app.settings["merchant_name"] == "便利店"
    term.keys("ENTER CANCEL CANCEL CANCEL CANCEL")
    term.sale(100)
    assert "便利店" in term.slips[0]
    term.close()


def test_the_language_switches_the_screens():
    term = _signed_in()
    _admin(term, "终端设置", "语言")
    term.select("English")
    assert "SAVED" in term.screen
    term.keys("ENTER CANCEL CANCEL CANCEL CANCEL")
    assert "WELCOME" in term.screen
    term.close()


def test_self_check_shows_each_part_and_prints_on_enter():
    term = _signed_in()
    term.probe_answers["printer"] = (False, "paper out")
    _admin(term, "自检")
    screen = term.screen
    assert "打印机: 故障 paper out" in screen and "读卡器: 正常" in screen and "流水: 正常" in screen
    term.keys("ENTER")
    slip = "\n".join(term.slips[-1])
    assert "自检 SELF-CHECK" in slip and "故障 FAULT paper out" in slip
    term.close()


def test_a_damaged_journal_is_reported_by_the_self_check():
    term = _signed_in()
    term.sale(100)
    term.finish()
    with open(term.dir + "/journal.bin", "ab") as f:
        f.write(b"\xa5\x00\x10torn")
    _admin(term, "自检")
    assert "流水: 故障" in term.screen
    term.close()


def test_parameters_download_from_the_menu_and_when_the_host_asks():
    term = _signed_in()
    _admin(term, "参数下载")
    assert "参数下载成功" in term.screen and "新商户名" in term.screen
    assert term.app.settings["merchant_name"] == "新商户名" and term.app.settings["max_amount_fen"] == 500000
    assert term.app.settings["nosign_limit_fen"] == 30000
    req = term.last_request("params")
    assert req[0] == "0800" and req[60][8:11] == "360" and 64 in req
    term.close()


def test_the_host_asking_for_parameters_gets_them_at_the_next_idle_screen():
    term = _signed_in()
    term.host.requirement = 1
    term.sale(100)
    term.host.requirement = 0
    term.keys("ENTER")
    assert "参数下载成功" in term.screen
    assert term.host.kinds[-2:] == ["sale", "params"]
    term.keys("ENTER")
    assert "欢迎使用" in term.screen and "新商户名" in term.screen and not term.app.params_due
    term.close()


def test_sign_off_drops_the_keys_and_logs_the_operator_out():
    term = _signed_in()
    _admin(term, "签退")
    assert "签退成功" in term.screen
    req = term.last_request("signoff")
    assert req[0] == "0820" and req[60][8:11] == "002"
    assert not term.app.signed_in and term.app.operator is None
    term.keys("ENTER")
    assert "操作员号" in term.screen
    term.close()


def test_the_shops_wifi_is_picked_from_the_networks_in_reach_or_keyed():
    term = _signed_in()
    _admin(term, "终端设置", "WLAN设置")
    assert "Shop-WiFi" in term.screen and "茶楼-2F" in term.screen, term.screen
    term.select("其他网络")                                 # a hidden one: its name keyed
    assert "网络名称" in term.screen and "上下键换字母" in term.screen
    term.keys("2 UP UP 2 UP 7 UP UP UP 7 ENTER")           # b a r 7
    assert "网络密码" in term.screen
    term.type("1234567")
    term.keys("ENTER")
    assert "密码至少8位" in term.screen
    assert store.load(term.dir, "link") is None
    term.keys("ENTER")
    term.select("WLAN设置")
    term.select("其他网络")
    term.keys("2 UP UP 2 UP 7 UP UP UP 7 ENTER")
    term.type("12345678")
    term.keys("ENTER")
    assert "设置已保存" in term.screen
    saved = store.load(term.dir, "link")
    assert (saved["wifi_ssid"], saved["wifi_password"]) == ("bar7", "12345678"), saved
    assert "wifi_password" not in store.load(term.dir, "settings")      # the backup's document
    term.keys("ENTER")
    term.select("WLAN设置")
    term.select("茶楼-2F")
    term.type("88886666")
    assert "88886666" not in term.screen                    # masked but for the last one keyed
    term.keys("ENTER")
    assert store.load(term.dir, "link")["wifi_ssid"] == "茶楼-2F"
    term.keys("ENTER")
    term.select("4G接入点")
    term.keys("2 UP UP UP 6 UP 6 UP UP 3 UP UP 8 UP ENTER")    # c m n e t
    assert store.load(term.dir, "link")["apn"] == "cmnet"
    term.close()


def test_a_terminal_that_finds_no_network_asks_for_its_name():
    term = _signed_in()
    term.probe_answers["networks"] = (True, [])
    _admin(term, "终端设置", "WLAN设置")
    assert "网络名称" in term.screen, term.screen
    term.close()


def test_the_provisioned_wifi_is_the_terminals_setting_until_changed():
    from flowkit import PROVISION
    from pos.app import App
    from vmutil import rmtree, tmpdir
    d = tmpdir("prov")
    app = App(d, lambda: 0, dict(PROVISION, wifi_ssid="Shop-WiFi", wifi_password="pw", apn="cmnet"), "firmware/assets")
    assert (app.settings["wifi_ssid"], app.settings["wifi_password"], app.settings["apn"]) == ("Shop-WiFi", "pw", "cmnet")
    app.settings["wifi_ssid"] = "Back-Room"
    app.save_settings()
    again = App(d, lambda: 0, None, "firmware/assets")
    assert again.settings["wifi_ssid"] == "Back-Room" and again.settings["apn"] == "cmnet"
    rmtree(d)

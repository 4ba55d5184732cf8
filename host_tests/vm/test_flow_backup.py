# 备份 / 恢复 / 恢复出厂 from the supervisor's menu, driven without the simulator.
from flowkit import Terminal
from pos import store


def _admin(term, *items):
    term.menu("管理")
    if "主管密码" in term.screen:
        term.supervisor()
    for item in items:
        term.select(item)


def _signed_in():
    term = Terminal()
    term.login()
    return term


def test_a_backup_restores_settings_and_operators_after_a_factory_reset():
    term = _signed_in()
    term.app.operators.add("07", "2468")
    term.app.settings["copies"] = 3
    term.app.settings["merchant_name"] = "便利店"
    term.app.settings["wifi_ssid"], term.app.settings["wifi_password"] = "shop-5g", "wlan-secret-9"
    term.app.save_settings()
    _admin(term, "备份")
    assert "备份成功" in term.screen, term.screen
    whole = b"".join(term.host.backup)
    assert b"operators" in whole
    assert b"\"2468\"" not in whole      # operators travel as salted hashes only
    assert b"wlan-secret-9" not in whole and b"shop-5g" not in whole
    whole = None
    term.keys("ENTER")
    term.select("恢复出厂")
    term.keys("ENTER ENTER")
    assert "已恢复出厂设置" in term.screen
    term.keys("ENTER")
    assert "操作员号" in term.screen
    assert term.app.settings["copies"] == 2 and [n for n, _ in term.app.operators.list()] == ["00", "01"]
    assert term.app.settings["wifi_ssid"] == "" and store.load(term.dir, "link") is None
    term.login("00", "123456")
    _admin(term, "恢复设置")
    term.keys("ENTER")
    assert "恢复成功" in term.screen, term.screen
    assert term.app.settings["copies"] == 3 and term.app.settings["merchant_name"] == "便利店"
    assert term.app.operators.verify("07", "2468") == "ok"
    assert store.load(term.dir, "settings")["copies"] == 3
    term.close()


def test_a_backup_of_many_operators_goes_in_pieces_and_comes_back_whole():
    term = _signed_in()
    for no in range(10, 60):
        term.app.operators.add("%02d" % no, "1234")
    _admin(term, "备份")
    assert "备份成功" in term.screen
    assert term.host.kinds.count("backup") > 5
    term.app.operators.remove("33")
    term.keys("ENTER")
    term.select("恢复设置")
    term.keys("ENTER")
    assert "恢复成功" in term.screen
    assert term.app.operators.verify("33", "1234") == "ok"
    term.close()


def test_a_restore_without_a_backup_or_with_a_damaged_one_changes_nothing():
    term = _signed_in()
    _admin(term, "恢复设置")
    term.keys("ENTER")
    assert "主机无备份" in term.screen
    term.keys("ENTER")
    term.select("备份")
    term.keys("ENTER")
    term.app.settings["copies"] = 1
    term.app.save_settings()
    term.host.backup[-1] = term.host.backup[-1][:-3] + b"xyz"      # its SHA-256 no longer matches
    term.select("恢复设置")
    term.keys("ENTER")
    assert "恢复失败" in term.screen
    assert store.load(term.dir, "settings")["copies"] == 1
    assert [n for n in __import__("os").listdir(term.dir) if n.endswith(".restore")] == []
    term.close()


def test_a_factory_reset_is_refused_while_the_batch_is_not_settled():
    term = _signed_in()
    term.sale(100)
    term.finish()
    _admin(term, "恢复出厂")
    assert "请先结算" in term.screen
    assert len(term.transactions("sale")) == 1
    term.close()


def test_a_factory_reset_keeps_the_provisioning_and_the_trace_numbers():
    term = _signed_in()
    term.sale(100)
    term.finish()
    term.menu("结算")
    term.keys("ENTER")
    term.finish()
    trace = term.app.counters.trace
    _admin(term, "恢复出厂")
    term.keys("ENTER ENTER")
    assert "已恢复出厂设置" in term.screen
    assert store.load(term.dir, "provision")["terminal_id"] == "12345678"
    assert term.app.counters.trace == trace and term.app.counters.batch == 2
    assert term.app.journal.previous() is None and term.journal() == []
    term.close()

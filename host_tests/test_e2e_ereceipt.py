"""电子签购单 end to end: the simulator (the real shell, the fake touch panel) signs a sale on its
screen; the e-receipt reaches the acquirer's back-office within the sync interval, once, also when
the link was cut or the power went in between."""
import http.cookiejar
import json
import os
import subprocess
import sys
import urllib.request

import pytest

from test_e2e import LOGIN
from tools.sim import scenario

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MID = "123456789012345"
PASSWORD = "shop-front 甲"

SIGNED_SALE = """
keys ENTER
select 消费
type 150000
keys ENTER
swipe good
pin 123456
expect screen 请持卡人签名
sign
keys ENTER
expect screen 请撕下
keys ENTER
expect screen 交易成功
keys ENTER
expect screen 欢迎使用
"""

SMALL_SALE = """
keys ENTER
select 消费
type 2500
keys ENTER
swipe good
pin 123456
expect screen 请撕下
keys ENTER
expect screen 交易成功
keys ENTER
expect screen 欢迎使用
"""


@pytest.fixture
def runner(tmp_path):
    r = scenario.Runner(state_dir=str(tmp_path / "flash"), web=True)
    password = tmp_path / "password"
    password.write_text(PASSWORD + "\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "tools.acquirer", "add-user", "--db", r.db, "--merchant", MID,
                           "--user", "shop", "--password-file", str(password)], cwd=ROOT, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    yield r
    r.close()


def _back_office(runner):
    """The merchant's receipts as the back-office's API lists them, logged in afresh."""
    base = "http://127.0.0.1:%d" % runner.acquirer.web_port
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    login = urllib.request.Request(base + "/api/login", json.dumps({"user": "shop", "password": PASSWORD}).encode(),
                                   {"Content-Type": "application/json"})
    opener.open(login, timeout=10).read()
    listed = json.loads(opener.open(base + "/api/receipts", timeout=10).read())
    details = [json.loads(opener.open(base + "/api/receipts/%d" % r["id"], timeout=10).read())
               for r in listed["receipts"]]
    return listed, details


def _run(runner, text):
    runner.run(scenario.parse(text))


def test_a_signed_sale_reaches_the_back_office_within_the_sync_interval(runner):
    _run(runner, LOGIN + SIGNED_SALE)
    assert _back_office(runner)[0]["total_count"] == 0         # queued: the sync interval has not passed
    _run(runner, "advance 31\nexpect screen 欢迎使用\n")
    listed, [detail] = _back_office(runner)
    [receipt] = listed["receipts"]
    assert (receipt["type"], receipt["amount"], receipt["signed"], receipt["pan"]) == \
        ("sale", "1500.00", True, "622202*********0017")
    assert listed["total_amount"] == "1500.00"
    assert detail["slip"][0] == ["商户名称 MERCHANT NAME:", detail["slip"][0][1]]
    assert ["金额 AMOUNT RMB:", "RMB 1500.00"] in detail["slip"]
    assert [receipt["trace"]] == [line[1] for line in detail["slip"] if line[0] == "凭证号 VOUCHER NO.:"]


def test_with_the_link_cut_the_receipt_arrives_once_after_it_returns(runner):
    _run(runner, LOGIN + SMALL_SALE + "host stop\nadvance 31\nexpect screen 欢迎使用\n")
    _run(runner, "advance 31\nhost start\nadvance 65\nexpect screen 欢迎使用\n")
    listed, _ = _back_office(runner)
    assert listed["total_count"] == 1 and listed["receipts"][0]["amount"] == "25.00"
    _run(runner, "advance 120\n")
    assert _back_office(runner)[0]["total_count"] == 1


def test_a_power_cut_after_the_sale_loses_no_receipt_and_doubles_none(runner):
    _run(runner, LOGIN + """
keys ENTER
select 消费
type 3300
keys ENTER
swipe good
pin 123456
expect screen 请撕下
kill
power-on
expect screen 操作员号
type 01
keys ENTER
type 0000
keys ENTER
expect screen 欢迎使用
advance 35
expect screen 欢迎使用
""")
    listed, _ = _back_office(runner)
    assert [r["amount"] for r in listed["receipts"]] == ["33.00"]

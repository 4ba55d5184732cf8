"""The back-office in a real browser: Debian's Chromium, headless, driven by Playwright, against
`python -m tools.acquirer serve --web-port 0` running as its own process. Screenshots of the
search and receipt pages are left in /tmp/backoffice-*.png to look at."""

import csv
import io
import os
import subprocess
import sys

import pytest

import backoffice_data as data
from tools.acquirer import accounts
from tools.acquirer.testing import ROOT, start_acquirer, stop

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                reason="needs Debian's chromium (make test-host installs it)")


@pytest.fixture(scope="module")
def backoffice(tmp_path_factory):
    """-> (base URL, receipt ids, db path): the host with the web server, filled with receipts."""
    tmp = tmp_path_factory.mktemp("backoffice")
    db = str(tmp / "host.db")
    ids = data.fill(db)
    password_file = tmp / "password"
    password_file.write_text("late-shift 丙\n", encoding="utf-8")
    add_user = [sys.executable, "-m", "tools.acquirer", "add-user", "--db", db, "--user", "shop_b2",
                "--password-file", str(password_file)]
    done = subprocess.run(add_user + ["--merchant", data.MERCHANT_B], cwd=ROOT, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    again = subprocess.run(add_user + ["--merchant", data.MERCHANT_B], cwd=ROOT, capture_output=True,
                           text=True)
    assert again.returncode != 0 and "exists" in again.stderr
    unknown = subprocess.run(add_user[:-4] + ["--user", "x", "--password-file", str(password_file),
                                              "--merchant", "000000000000000"],
                             cwd=ROOT, capture_output=True, text=True)
    assert unknown.returncode != 0 and "no merchant" in unknown.stderr
    process, _ = start_acquirer(db, extra_args=["--web-port", "0"])
    try:
        line = process.stdout.readline().decode("ascii").strip()
        assert line.startswith("WEB "), line
        yield "http://127.0.0.1:%s" % line.split()[1], ids, db
    finally:
        stop(process)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def log_in(browser, base, user, password):
    context = browser.new_context(accept_downloads=True, locale="zh-CN",
                                  viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(base + "/login")
    page.fill("input[name=user]", user)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    return context, page


def test_a_merchant_searches_opens_a_signed_receipt_and_downloads_pdf_and_csv(backoffice, browser):
    base, ids, _ = backoffice
    context, page = log_in(browser, base, "shop_a", data.PASSWORD_A)
    page.wait_for_url(base + "/receipts")
    assert "签购单查询" in page.content()
    page.fill("input[name=from]", "2026-11-23")
    page.fill("input[name=to]", "2026-11-24")
    page.fill("input[name=min]", "10")
    page.fill("input[name=max]", "60")
    page.click("form.search button[type=submit]")
    page.wait_for_url("**/receipts?*")
    assert page.inner_text(".totals .count") == "3"
    assert page.inner_text(".totals .amount") == "12.34"
    page.screenshot(path="/tmp/backoffice-search.png", full_page=True)

    page.fill("input[name=min]", "")
    page.fill("input[name=max]", "")
    page.fill("input[name=amount]", "12.34")
    page.click("form.search button[type=submit]")
    page.wait_for_load_state()
    assert page.inner_text(".totals .count") == "1"
    with page.expect_download() as csv_download:
        page.click("a.csv")
    text = open(csv_download.value.path(), encoding="utf-8-sig").read()
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 2 and rows[1][6] == "12.34" and rows[1][3] == "000001"

    page.click("table.results a")
    page.wait_for_url(base + "/receipts/%d" % ids["a_sale"])
    assert page.inner_text(".slip-amount") == "RMB 12.34"
    assert page.evaluate("document.querySelector('img.signature').naturalWidth") > 0
    page.screenshot(path="/tmp/backoffice-receipt.png", full_page=True)
    with page.expect_download() as pdf_download:
        page.click("a.pdf")
    pdf = open(pdf_download.value.path(), "rb").read()
    assert pdf.startswith(b"%PDF-") and b"/FontFile2" in pdf
    page.emulate_media(media="print")
    assert not page.is_visible("header.top") and page.is_visible(".slip")
    context.close()


def test_another_merchant_cannot_see_the_receipt(backoffice, browser):
    base, ids, _ = backoffice
    context, page = log_in(browser, base, "shop_b2", "late-shift 丙")
    page.wait_for_url(base + "/receipts")
    assert page.inner_text(".totals .count") == "1"
    for path in ("/receipts/%d", "/receipts/%d.pdf", "/api/receipts/%d"):
        response = page.goto(base + path % ids["a_sale"])
        assert response.status == 404
    context.close()


def test_wrong_passwords_get_rate_limited(backoffice, browser):
    base, _, _ = backoffice
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    for n in range(accounts.MAX_FAILURES):
        page.goto(base + "/login")
        page.fill("input[name=user]", "shop_a")
        page.fill("input[name=password]", "guess %d" % n)
        page.click("button[type=submit]")
        assert "用户名或密码错误" in page.inner_text(".error")
    page.fill("input[name=password]", data.PASSWORD_A)
    def login_post(response):
        return response.url.startswith(base + "/login") and response.request.method == "POST"
    with page.expect_response(login_post) as answer:
        page.click("button[type=submit]")
    assert answer.value.status == 429
    assert "登录失败次数过多" in page.inner_text(".error")
    context.close()

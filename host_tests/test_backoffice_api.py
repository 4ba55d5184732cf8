"""The merchant back-office through Flask's test client, on SQLite and on PostgreSQL: login and
its rate limit, sessions and CSRF, search by every filter with totals and pages, one merchant
never seeing another's receipts, hostile search input, CSV and PDF (docs/backoffice.md)."""

import csv
import datetime
import io
import re

import argon2
import pytest
from sqlalchemy import func, select

import backoffice_data as data
from tools.acquirer import accounts, receipts, schema, store
from tools.acquirer.web import create_app


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture(autouse=True)
def quick_hashes(monkeypatch):
    """argon2id still, at a test's cost (the real parameters take ~50 ms a hash)."""
    cheap = argon2.PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(accounts, "_hasher", cheap)
    monkeypatch.setattr(accounts, "_DUMMY_HASH", cheap.hash("not a password of anyone"))


@pytest.fixture
def database(store_url):
    return store_url


@pytest.fixture
def world(database):
    ids = data.fill(database)
    clock = Clock(data.DAY + datetime.timedelta(days=3))
    app = create_app(database, clock)
    yield app, ids, clock, database
    app.extensions["backoffice"]["engine"].dispose()


def client_of(app, user=None, password=None):
    client = app.test_client()
    if user:
        r = client.post("/api/login", json={"user": user, "password": password})
        assert r.status_code == 200, r.get_json()
        client.csrf = r.get_json()["csrf_token"]
    return client


def merchant_a(app):
    return client_of(app, "shop_a", data.PASSWORD_A)


def merchant_b(app):
    return client_of(app, "shop_b", data.PASSWORD_B)


def found_ids(client, query):
    r = client.get("/api/receipts" + query)
    assert r.status_code == 200, r.get_json()
    return sorted(item["id"] for item in r.get_json()["receipts"])


# -- login, sessions, CSRF ------------------------------------------------------------------------

def test_every_api_answers_401_json_without_a_session(world):
    app, ids, _, _ = world
    client = client_of(app)
    for path in ("/api/receipts", "/api/receipts/%d" % ids["a_sale"], "/api/receipts.csv"):
        r = client.get(path)
        assert r.status_code == 401 and r.is_json and "error" in r.get_json()
    for path in ("/receipts", "/receipts/%d" % ids["a_sale"], "/receipts/%d.pdf" % ids["a_sale"], "/reports"):
        r = client.get(path)
        assert r.status_code == 303 and "/login" in r.headers["Location"]


def test_login_sets_an_httponly_samesite_session_cookie_holding_no_stored_value(world):
    app, _, _, url = world
    client = app.test_client()
    r = client.post("/api/login", json={"user": "shop_a", "password": data.PASSWORD_A})
    assert r.status_code == 200
    assert r.get_json()["merchant"] == data.MERCHANT_A and r.get_json()["role"] == "merchant"
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Max-Age=" in cookie
    token = re.search(r"bo_session=([^;]+)", cookie).group(1)
    engine = store.make_engine(url)
    with engine.connect() as conn:
        stored = conn.execute(select(accounts.web_sessions.c.token_hash)).scalars().all()
        hashes = conn.execute(select(accounts.merchant_users.c.password_hash)).scalars().all()
    engine.dispose()
    assert token not in stored and len(stored) == 1
    assert all(h.startswith("$argon2id$") for h in hashes)


def test_a_wrong_password_or_unknown_user_answers_401(world):
    app, _, _, _ = world
    client = client_of(app)
    assert client.post("/api/login", json={"user": "shop_a", "password": "nope"}).status_code == 401
    assert client.post("/api/login", json={"user": "nobody", "password": "nope"}).status_code == 401
    assert client.post("/api/login", json={"user": "shop_a"}).status_code == 400
    assert client.post("/api/login", data="not json").status_code == 400


def test_five_failures_for_a_name_lock_it_with_429_until_the_window_passes(world):
    app, _, clock, _ = world
    client = client_of(app)
    for _ in range(accounts.MAX_FAILURES):
        assert client.post("/api/login", json={"user": "shop_a", "password": "wrong"}).status_code == 401
    r = client.post("/api/login", json={"user": "shop_a", "password": data.PASSWORD_A})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    clock.now += accounts.WINDOW + datetime.timedelta(seconds=1)
    assert client.post("/api/login", json={"user": "shop_a", "password": data.PASSWORD_A}).status_code == 200


def test_five_failures_from_one_address_lock_it_whatever_the_names(world):
    app, _, _, _ = world
    client = client_of(app)
    for n in range(accounts.MAX_FAILURES):
        assert client.post("/api/login", json={"user": "guess%d" % n, "password": "x"}).status_code == 401
    assert client.post("/api/login", json={"user": "shop_b", "password": data.PASSWORD_B}).status_code == 429
    other = app.test_client()
    r = other.post("/api/login", json={"user": "shop_b", "password": data.PASSWORD_B},
                   environ_base={"REMOTE_ADDR": "127.0.0.2"})
    assert r.status_code == 200


def test_the_rate_limit_is_shared_by_processes_on_one_database(world):
    app, _, clock, url = world
    second = create_app(url, clock)                     # another acquirer process's back-office
    try:
        for n in range(accounts.MAX_FAILURES):
            side = app if n % 2 else second
            r = side.test_client().post("/api/login", json={"user": "shop_a", "password": "x"})
            assert r.status_code == 401
        for side in (app, second):
            r = side.test_client().post("/api/login", json={"user": "shop_a", "password": data.PASSWORD_A},
                                        environ_base={"REMOTE_ADDR": "10.0.0.9"})
            assert r.status_code == 429
    finally:
        second.extensions["backoffice"]["engine"].dispose()


def test_the_login_form_is_rate_limited_too_and_says_so(world):
    app, _, _, _ = world
    client = client_of(app)
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    for _ in range(accounts.MAX_FAILURES):
        r = client.post("/login", data={"user": "shop_a", "password": "x", "csrf_token": token})
        assert r.status_code == 401
        token = re.search(r'name="csrf_token" value="([^"]+)"', r.get_data(as_text=True)).group(1)
    r = client.post("/login", data={"user": "shop_a", "password": data.PASSWORD_A, "csrf_token": token})
    assert r.status_code == 429 and "登录失败次数过多" in r.get_data(as_text=True)


def test_the_login_form_needs_its_csrf_token(world):
    app, _, _, _ = world
    client = client_of(app)
    client.get("/login")
    r = client.post("/login", data={"user": "shop_a", "password": data.PASSWORD_A, "csrf_token": "forged"})
    assert r.status_code == 403


def test_logout_needs_the_csrf_token_and_ends_the_session(world):
    app, _, _, _ = world
    client = merchant_a(app)
    assert client.post("/api/logout").status_code == 403
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 403
    assert client.get("/api/receipts").status_code == 200
    assert client.post("/api/logout", headers={"X-CSRF-Token": client.csrf}).status_code == 200
    assert client.get("/api/receipts").status_code == 401


def test_a_session_expires(world):
    app, _, clock, _ = world
    client = merchant_a(app)
    clock.now += accounts.SESSION_LIFETIME + datetime.timedelta(seconds=1)
    assert client.get("/api/receipts").status_code == 401


# -- search --------------------------------------------------------------------------------------

def test_a_merchant_finds_every_receipt_of_its_terminals_and_none_of_another(world):
    app, ids, _, _ = world
    a = [ids[k] for k in ("a_sale", "a_sale2", "a_void", "a_refund", "a_bill")]
    assert found_ids(merchant_a(app), "") == sorted(a)
    assert found_ids(merchant_b(app), "") == [ids["b_sale"]]


@pytest.mark.parametrize("query, names", [
    ("?from=2026-11-23&to=2026-11-23", ["a_sale", "a_sale2", "a_void"]),
    ("?from=2026-11-24", ["a_refund", "a_bill"]),
    ("?to=2026-11-24", ["a_sale", "a_sale2", "a_void", "a_refund"]),
    ("?amount=12.34", ["a_sale"]),
    ("?amount=50", ["a_sale2", "a_void"]),
    ("?min=12.34&max=50.00", ["a_sale", "a_sale2", "a_void"]),
    ("?min=50.01", ["a_bill"]),
    ("?max=3", ["a_refund"]),
    ("?trace=2", ["a_sale2", "a_bill"]),
    ("?trace=000003", ["a_void"]),
    ("?rrn=261123000001", ["a_sale"]),
    ("?last4=4321", ["a_sale2", "a_void"]),
    ("?terminal=12345679", ["a_refund", "a_bill"]),
    ("?operator=02", ["a_sale2", "a_void"]),
    ("?type=void", ["a_void"]),
    ("?type=bill_payment", ["a_bill"]),
    ("?state=voided", ["a_sale2"]),
    ("?batch=2", ["a_bill"]),
    ("?from=2026-11-23&to=2026-11-23&amount=50&type=sale", ["a_sale2"]),
    ("?terminal=87654321", []),
    ("?rrn=261123000001&merchant=898765432109876", []),
])
def test_every_filter_narrows_the_search(world, query, names):
    app, ids, _, _ = world
    assert found_ids(merchant_a(app), query) == sorted(ids[n] for n in names)


def test_totals_count_every_match_and_subtract_voids_and_refunds(world):
    app, ids, _, _ = world
    body = merchant_a(app).get("/api/receipts?per_page=2").get_json()
    assert body["total_count"] == 5 and len(body["receipts"]) == 2
    assert body["total_amount"] == "%.2f" % ((1234 + 5000 - 5000 - 300 + 8888) / 100)
    body = merchant_a(app).get("/api/receipts?type=refund").get_json()
    assert body["total_amount"] == "-3.00"
    item = merchant_a(app).get("/api/receipts?amount=12.34").get_json()["receipts"][0]
    assert item == {"id": ids["a_sale"], "terminal": data.TERMINAL_A, "batch": "000001",
                    "trace": "000001", "rrn": "261123000001", "type": "sale", "amount": "12.34",
                    "pan": "622202******0017", "time": "2026-11-23T10:00:00", "operator": "01",
                    "state": "approved", "signed": True}


def test_pages_hold_per_page_receipts_newest_first(world):
    app, ids, _, _ = world
    client = merchant_a(app)
    seen = []
    for page in (1, 2, 3):
        body = client.get("/api/receipts?per_page=2&page=%d" % page).get_json()
        assert body["total_count"] == 5 and body["pages"] == 3
        seen += [(item["time"], item["id"]) for item in body["receipts"]]
    assert len(seen) == 5 and seen == sorted(seen, reverse=True)
    assert client.get("/api/receipts?per_page=2&page=4").get_json()["receipts"] == []
    html = client.get("/receipts?per_page=2&page=2").get_data(as_text=True)
    assert "第 2 / 3 页" in html and "page=3" in html and "page=1" in html


@pytest.mark.parametrize("query, field", [
    ("?from=2026-13-01", "from"), ("?to=9999-12-31", "to"), ("?to=23/11/2026", "to"),
    ("?from=2026-11-24&to=2026-11-23", "to"),
    ("?amount=12.345", "amount"), ("?amount=-1", "amount"), ("?min=abc", "min"), ("?max=1e9", "max"),
    ("?min=5&max=4", "max"), ("?trace=1234567", "trace"), ("?rrn=12", "rrn"), ("?last4=12a4", "last4"),
    ("?terminal=123", "terminal"), ("?type=refunds", "type"), ("?state=x", "state"),
    ("?page=0", "page"), ("?page=x", "page"), ("?per_page=100000", "per_page"),
    ("?operator=" + "9" * 33, "operator"), ("?amount=99999999999", "amount"),
])
def test_a_bad_filter_is_a_400_that_names_it(world, query, field):
    app, _, _, _ = world
    client = merchant_a(app)
    r = client.get("/api/receipts" + query)
    assert r.status_code == 400 and r.get_json()["field"] == field and r.get_json()["error"]
    assert client.get("/receipts" + query).status_code == 400
    if field not in ("page", "per_page"):
        assert client.get("/api/receipts.csv" + query).status_code == 400


HOSTILE = ["' OR '1'='1", "1; DROP TABLE receipts; --", "%' OR 1=1 --", "<script>alert(1)</script>",
           "\"><img src=x onerror=alert(1)>", "12345678' --",
           "0 UNION SELECT password_hash FROM merchant_users"]


@pytest.mark.parametrize("field", ["from", "to", "amount", "min", "max", "trace", "rrn", "last4",
                                   "terminal", "operator", "type", "state", "page", "batch", "merchant"])
def test_sql_and_html_in_any_search_field_is_harmless(world, field):
    app, _, _, url = world
    client = merchant_a(app)
    for text in HOSTILE:
        r = client.get("/api/receipts", query_string={field: text})
        assert r.status_code in (200, 400), (field, text, r.status_code)
        if r.status_code == 200:
            assert r.get_json()["total_count"] == 0
        page = client.get("/receipts", query_string={field: text})
        assert page.status_code in (200, 400)
        html = page.get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html
        assert client.get("/api/receipts.csv", query_string={field: text}).status_code in (200, 400)
        assert client.get("/reports", query_string={field: text}).status_code in (200, 400)
    engine = store.make_engine(url)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(schema.receipts)).scalar() == 6
        assert conn.execute(select(func.count()).select_from(accounts.merchant_users)).scalar() == 3
    engine.dispose()


def test_what_a_terminal_printed_is_escaped_on_the_pages(world):
    app, ids, _, _ = world
    client = merchant_b(app)
    html = client.get("/receipts/%d" % ids["b_sale"]).get_data(as_text=True)
    assert "另一家商户 &lt;b&gt;B&lt;/b&gt;" in html and "<b>B</b>" not in html


# -- one receipt, across merchants ---------------------------------------------------------------

def test_another_merchants_receipt_is_404_on_every_page_and_api(world):
    app, ids, _, _ = world
    client = merchant_a(app)
    theirs = ids["b_sale"]
    for path in ("/receipts/%d", "/receipts/%d.pdf", "/receipts/%d/signature.png", "/api/receipts/%d"):
        assert client.get(path % theirs).status_code == 404, path
        assert client.get(path % 999999).status_code == 404, path
    assert client.get("/api/receipts/%d" % (2 ** 80)).status_code == 404
    assert client.get("/api/receipts/%d" % theirs).is_json
    csv_text = client.get("/api/receipts.csv").get_data(as_text=True)
    assert data.TERMINAL_B not in csv_text
    assert client.get("/api/receipts?terminal=%s" % data.TERMINAL_B).get_json()["total_count"] == 0
    assert merchant_b(app).get("/api/receipts/%d" % theirs).status_code == 200


def test_the_api_gives_a_receipt_with_its_slip_lines_in_printed_order(world):
    app, ids, _, _ = world
    body = merchant_a(app).get("/api/receipts/%d" % ids["a_sale"]).get_json()
    assert body["amount"] == "12.34" and body["merchant"] == data.MERCHANT_A
    assert [line[0] for line in body["slip"]][:3] == ["商户名称 MERCHANT NAME:", "商户编号 MERCHANT NO.:",
                                                     "终端编号 TERMINAL NO.:"]
    assert ["金额 AMOUNT RMB:", "RMB 12.34"] in body["slip"]
    assert body["signature"].endswith("/signature.png") and len(body["signature_sha256"]) == 64


def test_the_receipt_page_is_laid_out_like_the_slip_with_the_signature(world):
    app, ids, _, _ = world
    client = merchant_a(app)
    html = client.get("/receipts/%d" % ids["a_sale"]).get_data(as_text=True)
    labels = ["商户名称", "商户编号", "终端编号", "操作员号", "卡号", "交易类型", "批次号", "凭证号",
              "授权码", "参考号", "日期/时间", "金额", "备注", "持卡人签名", "本人确认以上交易"]
    positions = [html.index(label) for label in labels]
    assert positions == sorted(positions)
    assert 'class="signature"' in html
    assert "@media print" in client.get("/static/backoffice.css").get_data(as_text=True)
    png = client.get("/receipts/%d/signature.png" % ids["a_sale"])
    assert png.status_code == 200 and png.data.startswith(b"\x89PNG\r\n\x1a\n")
    unsigned = client.get("/receipts/%d" % ids["a_refund"]).get_data(as_text=True)
    assert "无电子签名" in unsigned
    assert client.get("/receipts/%d/signature.png" % ids["a_refund"]).status_code == 404


def test_the_pdf_embeds_the_cjk_font_and_the_signature(world):
    app, ids, _, _ = world
    r = merchant_a(app).get("/receipts/%d.pdf" % ids["a_sale"])
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert r.data.startswith(b"%PDF-") and b"/FontFile2" in r.data
    assert re.search(rb"/BaseFont /[A-Z]{6}\+WenQuanYi", r.data)
    assert b"/Subtype /Image" in r.data
    assert "attachment" in r.headers["Content-Disposition"]


# -- CSV, reports, staff -------------------------------------------------------------------------

def test_csv_export_is_utf8_with_a_bom_and_holds_the_search(world):
    app, _, _, _ = world
    r = merchant_a(app).get("/api/receipts.csv?from=2026-11-23&to=2026-11-23")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert "attachment" in r.headers["Content-Disposition"]
    assert r.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert rows[0] == receipts.CSV_HEADER
    assert len(rows) == 4
    assert [row[3] for row in rows[1:]] == ["000003", "000002", "000001"]
    assert rows[3][5] == "消费 SALE" and rows[3][6] == "12.34" and rows[3][7] == "622202******0017"


def test_csv_cells_never_start_a_formula():
    assert receipts._cell("=HYPERLINK(\"x\")") == "'=HYPERLINK(\"x\")"
    assert receipts._cell("-1") == "'-1" and receipts._cell("12.34") == "12.34"


def test_reports_draw_daily_takings_and_break_them_down_by_type_and_batch(world):
    app, _, _, _ = world
    html = merchant_a(app).get("/reports?from=2026-11-20&to=2026-11-30").get_data(as_text=True)
    assert "<svg" in html and html.count("<rect") == 11
    assert "消费撤销 VOID" in html and "缴费 BILL PAYMENT" in html
    assert "000002" in html and "未结算 open" in html
    assert merchant_a(app).get("/reports?from=2025-01-01&to=2026-11-30").status_code == 400


def test_the_daily_report_adds_signed_takings_per_day(world):
    app, _, _, url = world
    engine = store.make_engine(url)
    with engine.connect() as conn:
        days = receipts.by_day(conn, data.MERCHANT_A, {})
        batches = receipts.by_batch(conn, data.MERCHANT_A, {})
    engine.dispose()
    assert [(d["day"], d["count"], d["takings_fen"]) for d in days] == [
        ("2026-11-23", 3, 1234), ("2026-11-24", 1, -300), ("2026-11-25", 1, 8888)]
    by_key = {(b["terminal_id"], b["batch"]): b for b in batches}
    assert by_key[(data.TERMINAL_A, "000001")]["debit_fen"] == 6234
    assert by_key[(data.TERMINAL_A, "000001")]["credit_fen"] == 5000


def test_only_staff_see_the_terminals_page_and_they_see_every_merchant(world):
    app, _, _, _ = world
    assert merchant_a(app).get("/terminals").status_code == 404
    staff = client_of(app, "acquirer", data.PASSWORD_STAFF)
    html = staff.get("/terminals").get_data(as_text=True)
    assert data.TERMINAL_B in html and data.TERMINAL_A2 in html and "&lt;b&gt;" in html
    assert staff.get("/api/receipts").get_json()["total_count"] == 6


# -- the store side ------------------------------------------------------------------------------

def test_adding_a_receipt_twice_changes_nothing_and_returns_the_same_id(world):
    _, ids, _, url = world
    again = data.receipt(data.TERMINAL_A, data.MERCHANT_A, 1, "sale", 999999, data.DAY)
    engine = store.make_engine(url)
    with engine.begin() as conn:
        assert receipts.add(conn, **again) == (ids["a_sale"], False)
        assert receipts.get(conn, data.MERCHANT_A, ids["a_sale"])["amount_fen"] == 1234
        assert receipts.get(conn, data.MERCHANT_B, ids["a_sale"]) is None
    engine.dispose()


def test_a_user_is_refused_for_an_unknown_merchant_or_a_taken_name(world):
    _, _, _, url = world
    engine = store.make_engine(url)
    with engine.begin() as conn:
        with pytest.raises(accounts.AccountError, match="no merchant"):
            accounts.add_user(conn, "new", "pw", "000000000000000", data.DAY)
        with pytest.raises(accounts.AccountError, match="exists"):
            accounts.add_user(conn, "shop_a", "pw", data.MERCHANT_A, data.DAY)
    engine.dispose()

"""Electronic receipts (电子签购单): the slips terminals send, kept per merchant, and what the
merchant back-office asks of them — search with totals, one receipt, daily and per-batch reports,
CSV rows.

SQLAlchemy Core, the same on SQLite and PostgreSQL. Every value from outside is a bound
parameter, and every filter is checked first: a bad one raises FilterError (the web answers 400).
A merchant sees only rows of its own merchant_id; acquirer staff pass ALL_MERCHANTS.
"""

import datetime
import hashlib
import json
import re

from sqlalchemy import and_, case, func, select
from sqlalchemy.dialects import postgresql, sqlite

from . import schema

TYPES = ("sale", "void", "refund", "bill_payment", "repayment", "preauth", "preauth_void",
         "preauth_complete", "balance", "reversal", "settle", "qr_sale", "qr_order", "qr_void", "qr_refund")
STATES = ("approved", "voided", "refunded", "reversed", "settled", "completed", "released",
          "declined")
# The type says the direction: these reduce the takings; a hold, its release, a balance inquiry
# and a settlement slip move none (the settlement's own amount is the batch's, already counted).
# A reversal undoes a request the terminal never took as approved (it queued no receipt of it):
# it moves nothing the takings counted.
NEGATIVE = ("void", "refund", "qr_void", "qr_refund")
NEUTRAL = ("preauth", "preauth_void", "balance", "settle", "reversal")

TYPE_NAMES = {
    "sale": "消费 SALE", "void": "消费撤销 VOID", "refund": "退货 REFUND",
    "bill_payment": "缴费 BILL PAYMENT", "repayment": "还款 REPAYMENT",
    "preauth": "预授权 PRE-AUTH", "preauth_void": "预授权撤销 PRE-AUTH VOID",
    "preauth_complete": "预授权完成 AUTH COMPLETE", "balance": "余额查询 BALANCE",
    "reversal": "冲正 REVERSAL", "settle": "结算 SETTLEMENT",
    "qr_sale": "扫码消费 QR SALE", "qr_order": "收款码消费 QR CODE SALE", "qr_void": "扫码撤销 QR VOID",
    "qr_refund": "扫码退货 QR REFUND",
}
STATE_NAMES = {
    "approved": "成功 APPROVED", "voided": "已撤销 VOIDED", "refunded": "已退货 REFUNDED",
    "reversed": "已冲正 REVERSED", "settled": "已结算 SETTLED", "completed": "已完成 COMPLETED",
    "released": "已释放 RELEASED", "declined": "失败 DECLINED",
}

MAX_PER_PAGE = 200
MAX_PAGE = 100000
CSV_MAX_ROWS = 100000
_AMOUNT_MAX_FEN = 10 ** 12 - 1

receipts = schema.receipts


class AllMerchants:
    """Acquirer staff: no merchant restriction. A sentinel, so a missing merchant id is never
    taken for 'everyone'."""

    def __repr__(self):
        return "ALL_MERCHANTS"


ALL_MERCHANTS = AllMerchants()


class FilterError(ValueError):
    """A search filter that is not what it should be: field is its query name, message says
    what it should be (Chinese, then English)."""

    def __init__(self, field, message):
        ValueError.__init__(self, "%s: %s" % (field, message))
        self.field = field
        self.message = message


# -- filters -------------------------------------------------------------------------------------

def parse_yuan(text, field):
    """An int of fen from "12", "12.3" or "12.34"; FilterError otherwise."""
    m = re.fullmatch(r"(\d{1,10})(?:\.(\d{1,2}))?", text)
    if not m:
        raise FilterError(field, "金额应为元，最多两位小数，如 12.34 (an amount in yuan like 12.34)")
    fen = int(m.group(1)) * 100 + int((m.group(2) or "0").ljust(2, "0"))
    if fen > _AMOUNT_MAX_FEN:
        raise FilterError(field, "金额过大 (amount too large)")
    return fen


def format_fen(fen):
    """"12.34" from 1234, "-5.00" from -500."""
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return "%s%d.%02d" % (sign, fen // 100, fen % 100)


def _date(text, field):
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise FilterError(field, "日期格式应为 YYYY-MM-DD (a date like 2026-11-23)")
    try:
        day = datetime.date.fromisoformat(text)
    except ValueError:
        raise FilterError(field, "没有这一天 (no such date)") from None
    if not 2000 <= day.year <= 2999:
        raise FilterError(field, "日期应在 2000 到 2999 年之间 (a date from 2000 to 2999)")
    return day


def _pattern(field, pattern, message, transform=None):
    def parse(text):
        if not re.fullmatch(pattern, text):
            raise FilterError(field, message)
        return transform(text) if transform else text
    return parse


def _choice(field, choices, message):
    def parse(text):
        if text not in choices:
            raise FilterError(field, message + ": " + ", ".join(choices))
        return text
    return parse


_PARSERS = {
    "from": lambda t: _date(t, "from"),
    "to": lambda t: _date(t, "to"),
    "amount": lambda t: parse_yuan(t, "amount"),
    "min": lambda t: parse_yuan(t, "min"),
    "max": lambda t: parse_yuan(t, "max"),
    "trace": _pattern("trace", r"\d{1,6}", "凭证号为 1 到 6 位数字 (trace: 1 to 6 digits)",
                      lambda t: t.rjust(6, "0")),
    "batch": _pattern("batch", r"\d{1,6}", "批次号为 1 到 6 位数字 (batch: 1 to 6 digits)",
                      lambda t: t.rjust(6, "0")),
    "rrn": _pattern("rrn", r"[0-9A-Za-z]{12}", "参考号为 12 位数字或字母 (rrn: 12 digits or letters)"),
    "last4": _pattern("last4", r"\d{4}", "卡号后四位为 4 位数字 (last4: 4 digits)"),
    "terminal": _pattern("terminal", r"[0-9A-Za-z]{8}", "终端编号为 8 位 (terminal: 8 characters)"),
    "merchant": _pattern("merchant", r"\d{15}", "商户编号为 15 位数字 (merchant: 15 digits)"),
    "operator": _pattern("operator", r"[^\x00-\x1f\x7f]{1,32}",
                         "操作员号最多 32 个字符 (operator: at most 32 characters)"),
    "type": _choice("type", TYPES, "交易类型应为 (type is one of)"),
    "state": _choice("state", STATES, "状态应为 (state is one of)"),
}
FILTERS = tuple(_PARSERS)


def parse_filters(args):
    """The checked filters of a query string (a mapping of str to str): {name: value}. Empty
    values and names that are no filter are left out; a bad value raises FilterError."""
    filters = {}
    for name, parse in _PARSERS.items():
        text = args.get(name)
        if text is None:
            continue
        if not isinstance(text, str):
            raise FilterError(name, "应为文本 (should be text)")
        text = text.strip()
        if text:
            filters[name] = parse(text)
    if "from" in filters and "to" in filters and filters["from"] > filters["to"]:
        raise FilterError("to", "结束日期早于开始日期 (to is before from)")
    if "min" in filters and "max" in filters and filters["min"] > filters["max"]:
        raise FilterError("max", "最大金额小于最小金额 (max is below min)")
    return filters


def parse_page(args, default_per_page=20):
    """(page, per_page) from a query string's page and per_page; FilterError if bad."""
    page = _int_arg(args, "page", 1, 1, MAX_PAGE)
    per_page = _int_arg(args, "per_page", default_per_page, 1, MAX_PER_PAGE)
    return page, per_page


def _int_arg(args, name, default, low, high):
    text = (args.get(name) or "").strip()
    if not text:
        return default
    if not re.fullmatch(r"\d{1,7}", text) or not low <= int(text) <= high:
        raise FilterError(name, "应为 %d 到 %d 的整数 (a whole number %d to %d)" % (low, high, low, high))
    return int(text)


# -- storing -------------------------------------------------------------------------------------

_REQUIRED = ("terminal_id", "merchant_id", "batch", "trace", "type", "amount_fen", "occurred")


def _insert(dialect):
    if dialect.name == "postgresql":
        return postgresql.insert
    if dialect.name == "sqlite":
        return sqlite.insert
    raise NotImplementedError("receipts are stored in SQLite or PostgreSQL, not %s" % dialect.name)


def add(conn, **columns):
    """Store one receipt -> (id, created). Idempotent by (terminal_id, batch, trace, type): a
    duplicate changes nothing and answers the existing id with created False (the database's
    unique constraint decides, so concurrent processes agree). columns are the table's; slip may
    be a list of [label, value] pairs, last4 and signature_sha256 are derived when missing, and
    received should be the host's clock (default: this machine's local time)."""
    for name in _REQUIRED:
        if columns.get(name) is None:
            raise ValueError("a receipt needs %s" % name)
    if columns["type"] not in TYPES:
        raise ValueError("no receipt type %r" % columns["type"])
    fen = columns["amount_fen"]
    if not isinstance(fen, int) or isinstance(fen, bool) or not 0 <= fen <= _AMOUNT_MAX_FEN:
        raise ValueError("amount_fen is an int of fen, 0 or more")
    columns.setdefault("slip", [])
    if isinstance(columns["slip"], (list, tuple)):
        columns["slip"] = json.dumps([list(pair) for pair in columns["slip"]], ensure_ascii=False)
    if columns.get("last4") is None and columns.get("masked_pan"):
        columns["last4"] = columns["masked_pan"][-4:]
    signature = columns.get("signature")
    if signature is not None:
        columns["signature"] = bytes(signature)
        columns.setdefault("signature_sha256", hashlib.sha256(signature).hexdigest())
        columns.setdefault("signed", True)
    columns.setdefault("signed", False)
    columns.setdefault("state", "approved")
    columns.setdefault("received", datetime.datetime.now())
    statement = (_insert(conn.dialect)(receipts).values(**columns)
                 .on_conflict_do_nothing(index_elements=["terminal_id", "batch", "trace", "type"])
                 .returning(receipts.c.id))
    row = conn.execute(statement).first()
    if row is not None:
        return row[0], True
    existing = conn.execute(select(receipts.c.id).where(
        receipts.c.terminal_id == columns["terminal_id"], receipts.c.batch == columns["batch"],
        receipts.c.trace == columns["trace"], receipts.c.type == columns["type"])).scalar_one()
    return existing, False


def set_state(conn, terminal_id, batch, trace, kinds, state):
    """A later fact on a kept receipt (a payment of one of kinds voided); nothing when it is not here
    (yet)."""
    conn.execute(receipts.update().where(
        receipts.c.terminal_id == terminal_id, receipts.c.batch == batch, receipts.c.trace == trace,
        receipts.c.type.in_(kinds)).values(state=state))


# -- reading -------------------------------------------------------------------------------------

SIGNED_FEN = case((receipts.c.type.in_(NEGATIVE), -receipts.c.amount_fen),
                  (receipts.c.type.in_(NEUTRAL), 0), else_=receipts.c.amount_fen)
_DAY = func.date(receipts.c.occurred)


def _tenant(merchant_id):
    if merchant_id is ALL_MERCHANTS:
        return []
    if not isinstance(merchant_id, str) or not merchant_id:
        raise ValueError("a merchant id, or ALL_MERCHANTS for staff")
    return [receipts.c.merchant_id == merchant_id]


def _where(merchant_id, filters):
    c = receipts.c
    where = _tenant(merchant_id)
    if "from" in filters:
        where.append(c.occurred >= datetime.datetime.combine(filters["from"], datetime.time()))
    if "to" in filters:
        end = filters["to"] + datetime.timedelta(days=1)
        where.append(c.occurred < datetime.datetime.combine(end, datetime.time()))
    if "amount" in filters:
        where.append(c.amount_fen == filters["amount"])
    if "min" in filters:
        where.append(c.amount_fen >= filters["min"])
    if "max" in filters:
        where.append(c.amount_fen <= filters["max"])
    for name, column in (("trace", c.trace), ("batch", c.batch), ("rrn", c.rrn),
                         ("last4", c.last4), ("terminal", c.terminal_id),
                         ("merchant", c.merchant_id), ("operator", c.operator),
                         ("type", c.type), ("state", c.state)):
        if name in filters:
            where.append(column == filters[name])
    return and_(True, *where)


def _iso(value):
    if isinstance(value, datetime.datetime):
        return value.isoformat(timespec="seconds")
    return None if value is None else str(value)


def public(row):
    """One receipt as the API lists it (amounts in yuan strings)."""
    return {"id": row.id, "terminal": row.terminal_id, "batch": row.batch, "trace": row.trace,
            "rrn": row.rrn, "type": row.type, "amount": format_fen(row.amount_fen),
            "pan": row.masked_pan, "time": _iso(row.occurred), "operator": row.operator,
            "state": row.state, "signed": bool(row.signed)}


_LIST_COLUMNS = [receipts.c[name] for name in (
    "id", "terminal_id", "merchant_id", "batch", "trace", "rrn", "type", "amount_fen",
    "masked_pan", "occurred", "operator", "state", "signed")]


def search(conn, merchant_id, filters, page=1, per_page=20):
    """One page of the receipts the filters select, newest first, with the count and the signed
    takings (fen) of all of them: {"rows", "total_count", "total_amount", "page", "per_page",
    "pages"}."""
    where = _where(merchant_id, filters)
    total_count, total_amount = conn.execute(
        select(func.count(), func.coalesce(func.sum(SIGNED_FEN), 0)).select_from(receipts)
        .where(where)).one()
    rows = conn.execute(
        select(*_LIST_COLUMNS).where(where)
        .order_by(receipts.c.occurred.desc(), receipts.c.id.desc())
        .limit(per_page).offset((page - 1) * per_page)).all()
    return {"rows": rows, "total_count": int(total_count), "total_amount": int(total_amount),
            "page": page, "per_page": per_page,
            "pages": max(1, (int(total_count) + per_page - 1) // per_page)}


def get(conn, merchant_id, receipt_id):
    """The receipt with this id if it is the merchant's, else None: a dict with its slip as a
    list of [label, value] pairs."""
    row = conn.execute(select(receipts).where(
        receipts.c.id == receipt_id, *_tenant(merchant_id))).first()
    if row is None:
        return None
    receipt = dict(row._mapping)
    try:
        slip = json.loads(receipt["slip"] or "[]")
    except ValueError:
        slip = []
    receipt["slip"] = [[str(p[0]), "" if p[1] is None else str(p[1])] for p in slip
                       if isinstance(p, (list, tuple)) and len(p) == 2]
    return receipt


def by_day(conn, merchant_id, filters):
    """Takings per day: [{"day", "count", "takings_fen", "types": {type: [count, fen]}}], oldest
    first."""
    days = {}
    for day, rtype, count, fen in conn.execute(
            select(_DAY, receipts.c.type, func.count(), func.coalesce(func.sum(SIGNED_FEN), 0))
            .where(_where(merchant_id, filters)).group_by(_DAY, receipts.c.type).order_by(_DAY)):
        entry = days.setdefault(str(day), {"day": str(day), "count": 0, "takings_fen": 0, "types": {}})
        entry["count"] += count
        entry["takings_fen"] += int(fen)
        entry["types"][rtype] = [count, int(fen)]
    return sorted(days.values(), key=lambda d: d["day"])


def by_type(conn, merchant_id, filters):
    """[(type, count, gross fen, signed fen)] in TYPES order."""
    found = {t: (t, c, int(g), int(s)) for t, c, g, s in conn.execute(
        select(receipts.c.type, func.count(), func.coalesce(func.sum(receipts.c.amount_fen), 0),
               func.coalesce(func.sum(SIGNED_FEN), 0))
        .where(_where(merchant_id, filters)).group_by(receipts.c.type))}
    return [found[t] for t in TYPES if t in found]


def by_batch(conn, merchant_id, filters):
    """Per terminal and batch: the receipts' counts and sums, and the host's settlement of the
    batch where there is one. Newest batch first."""
    c = receipts.c
    debit = case((c.type.in_(NEGATIVE), 0), (c.type.in_(NEUTRAL), 0), else_=c.amount_fen)
    credit = case((c.type.in_(NEGATIVE), c.amount_fen), else_=0)
    is_debit = case((c.type.in_(NEGATIVE + NEUTRAL), 0), else_=1)
    is_credit = case((c.type.in_(NEGATIVE), 1), else_=0)
    s = schema.settlements
    inner = (select(c.terminal_id, c.batch, func.count().label("count"),
                    func.coalesce(func.sum(is_debit), 0).label("debit_count"),
                    func.coalesce(func.sum(debit), 0).label("debit_fen"),
                    func.coalesce(func.sum(is_credit), 0).label("credit_count"),
                    func.coalesce(func.sum(credit), 0).label("credit_fen"),
                    func.min(c.occurred).label("first"), func.max(c.occurred).label("last"))
             .where(_where(merchant_id, filters)).group_by(c.terminal_id, c.batch).subquery())
    rows = conn.execute(
        select(inner, s.c.balanced, s.c.state.label("settlement_state"), s.c.settled_at)
        .select_from(inner.outerjoin(s, and_(s.c.terminal_id == inner.c.terminal_id,
                                             s.c.batch == inner.c.batch)))
        .order_by(inner.c.last.desc())).all()
    out = []
    for r in rows:
        entry = dict(r._mapping)
        for key in ("debit_count", "debit_fen", "credit_count", "credit_fen"):
            entry[key] = int(entry[key])
        entry["net_fen"] = entry["debit_fen"] - entry["credit_fen"]
        out.append(entry)
    return out


CSV_HEADER = ["时间 TIME", "终端编号 TERMINAL", "批次号 BATCH", "凭证号 TRACE", "参考号 RRN",
              "交易类型 TYPE", "金额(元) AMOUNT", "卡号 CARD", "操作员 OPERATOR", "状态 STATE",
              "签名 SIGNED", "授权码 AUTH"]


def _cell(value):
    """A CSV cell a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_rows(conn, merchant_id, filters, limit=CSV_MAX_ROWS):
    """The header, then one list of cells per receipt the filters select (at most limit), newest
    first."""
    yield CSV_HEADER
    c = receipts.c
    for r in conn.execute(
            select(c.occurred, c.terminal_id, c.batch, c.trace, c.rrn, c.type, c.amount_fen,
                   c.masked_pan, c.operator, c.state, c.signed, c.auth_code)
            .where(_where(merchant_id, filters)).order_by(c.occurred.desc(), c.id.desc())
            .limit(limit)):
        yield [_cell(v) for v in (
            _iso(r.occurred).replace("T", " "), r.terminal_id, r.batch, r.trace, r.rrn,
            TYPE_NAMES.get(r.type, r.type), format_fen(r.amount_fen), r.masked_pan, r.operator,
            STATE_NAMES.get(r.state, r.state), "是 Y" if r.signed else "否 N", r.auth_code)]

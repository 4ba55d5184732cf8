"""The acquirer's tables as they stand at the head revision (tools/acquirer/migrations).

The migrations make and change the database; this module describes the result, for queries and for
`alembic revision --autogenerate` to compare against. A change here needs a new revision too.
"""

from sqlalchemy import (BigInteger, Boolean, CheckConstraint, Column, DateTime, ForeignKey, Index,
                        Integer, LargeBinary, MetaData, PrimaryKeyConstraint, String, Table, Text,
                        UniqueConstraint, false, text)

DEFAULT_MAX_FEN = 9999999
DEFAULT_NOSIGN_FEN = 100000   # 免签: 1000.00
DEFAULT_QR_BASE = "https://qr.acquirer.test/"    # QB: the base of a terminal's QR texts

# Amounts reach 10^12 fen: 64 bits on PostgreSQL; on SQLite INTEGER is 64-bit already, and an
# INTEGER PRIMARY KEY (not BIGINT) is what makes the column the rowid that numbers new rows.
Int = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData()


def _key(name="id"):
    return Column(name, Int, primary_key=True, autoincrement=True)


meta = Table(
    "meta", metadata,
    Column("key", Text, primary_key=True),
    Column("value", Text, nullable=False))

terminals = Table(
    "terminals", metadata,
    Column("terminal_id", Text, primary_key=True),
    Column("merchant_id", Text, nullable=False),
    Column("merchant_name", Text, nullable=False),
    Column("tmk_hex", Text, nullable=False),
    Column("pik_hex", Text),
    Column("mak_hex", Text),
    Column("batch", Text),
    Column("signed_in_at", Text),
    Column("resign", Int, nullable=False, server_default=text("0")),
    Column("params_name", Text),
    Column("params_max_fen", Int, nullable=False, server_default=text(str(DEFAULT_MAX_FEN))),
    Column("params_due", Int, nullable=False, server_default=text("0")),
    Column("params_sent_at", Text),
    Column("ic_version", Text),
    Column("last_seen", DateTime),
    Column("receipts_pending", Integer),
    Column("params_nosign_fen", Int, nullable=False, server_default=text(str(DEFAULT_NOSIGN_FEN))),
    Column("params_qr_base", Text, nullable=False, server_default=DEFAULT_QR_BASE))

cards = Table(
    "cards", metadata,
    _key(),
    Column("pan", Text, nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("kind", Text, CheckConstraint("kind IN ('debit', 'credit')"), nullable=False),
    Column("expiry", Text, nullable=False),
    Column("pin_salt", Text, nullable=False),
    Column("pin_hash", Text, nullable=False),
    Column("available_fen", Int, nullable=False),
    Column("limit_fen", Int),
    Column("forced_response", Text),
    Column("issuer_code", Text, nullable=False),
    Column("issuer_name", Text, nullable=False),
    Column("pin_failures", Int, nullable=False, server_default=text("0")),
    Column("pin_failure_day", Text),
    Column("bank", Text, nullable=False, server_default=text("''")),
    Column("bill_due_fen", Int),
    Column("partial", Int, nullable=False, server_default=text("0")),
    Column("script_pending", Int, nullable=False, server_default=text("0")))

billers = Table(
    "billers", metadata,
    Column("code", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("utility", Text, nullable=False),
    Column("mode", Text, CheckConstraint("mode IN ('E', 'A')"), nullable=False))

bill_accounts = Table(
    "bill_accounts", metadata,
    _key(),
    Column("biller_code", Text, ForeignKey("billers.code"), nullable=False),
    Column("account", Text, nullable=False),
    Column("holder", Text, nullable=False),
    Column("period", Text, nullable=False),
    Column("due_fen", Int, nullable=False),
    UniqueConstraint("biller_code", "account"))

TRANSACTION_STATES = ("approved", "declined", "voided", "refunded", "reversed", "completed", "released")

transactions = Table(
    "transactions", metadata,
    _key(),
    Column("terminal_id", Text),
    Column("batch", Text),
    Column("trace", Text),
    Column("mti", Text, nullable=False),
    Column("type", Text, nullable=False),
    Column("amount_fen", Int),
    Column("masked_pan", Text),
    Column("card_id", Int, ForeignKey("cards.id")),
    Column("response_code", Text, nullable=False),
    Column("auth_code", Text),
    Column("reference", Text),
    Column("state", Text, CheckConstraint("state IN (%s)" % ", ".join(
        "'%s'" % s for s in TRANSACTION_STATES)), nullable=False),
    Column("note", Text),
    Column("created", Text, nullable=False),
    Column("original_id", Int, ForeignKey("transactions.id")),
    Column("refunded_fen", Int, nullable=False, server_default=text("0")),
    Column("bill_account_id", Int, ForeignKey("bill_accounts.id")),
    Column("credit_card_id", Int, ForeignKey("cards.id")),
    Column("due_paid_fen", Int),
    Column("icc", Text),
    Column("icc_answer", Text),
    Column("tc", Text),
    Column("script_result", Text),
    Index("transactions_key", "terminal_id", "batch", "trace", "mti"),
    Index("transactions_reference", "terminal_id", "reference"))

holds = Table(
    "holds", metadata,
    _key(),
    Column("transaction_id", Int, ForeignKey("transactions.id"), nullable=False, unique=True),
    Column("card_id", Int, ForeignKey("cards.id"), nullable=False),
    Column("amount_fen", Int, nullable=False),
    Column("state", Text, CheckConstraint("state IN ('held', 'completed', 'released')"),
           nullable=False))

settlements = Table(
    "settlements", metadata,
    _key(),
    Column("terminal_id", Text, nullable=False),
    Column("batch", Text, nullable=False),
    *(Column(name, Int, nullable=False) for name in (
        "host_debit_fen", "host_debit_count", "host_credit_fen", "host_credit_count",
        "terminal_debit_fen", "terminal_debit_count", "terminal_credit_fen",
        "terminal_credit_count")),
    Column("terminal_foreign", Text, nullable=False),
    Column("balanced", Int, nullable=False),
    Column("upload_count", Int, nullable=False, server_default=text("0")),
    Column("declared_count", Int),
    Column("state", Text, CheckConstraint("state IN ('uploading', 'settled')"), nullable=False),
    Column("note", Text),
    Column("created", Text, nullable=False),
    Column("settled_at", Text),
    UniqueConstraint("terminal_id", "batch"))

uploads = Table(
    "uploads", metadata,
    _key(),
    Column("settlement_id", Int, ForeignKey("settlements.id"), nullable=False),
    Column("type_code", Text, nullable=False),
    Column("trace", Text, nullable=False),
    Column("amount_fen", Int, nullable=False),
    Column("created", Text, nullable=False))

exchanges = Table(
    "exchanges", metadata,
    _key(),
    Column("terminal_id", Text, nullable=False),
    Column("batch", Text, nullable=False),
    Column("trace", Text, nullable=False),
    Column("mti", Text, nullable=False),
    Column("authentic", Int, nullable=False),
    Column("request_hex", Text, nullable=False),
    Column("answer_hex", Text, nullable=False),
    Column("created", Text, nullable=False),
    Index("exchanges_key", "terminal_id", "batch", "trace", "mti"),
    # One authentic request owns a key: what makes a replay's second handling fail across processes.
    Index("exchanges_owner", "terminal_id", "batch", "trace", "mti", unique=True,
          sqlite_where=text("authentic = 1"), postgresql_where=text("authentic = 1")))

updates = Table(
    "updates", metadata,
    _key(),
    Column("board", Text, nullable=False),
    Column("version", Text, nullable=False),
    Column("manifest", LargeBinary, nullable=False),
    Column("signature", LargeBinary, nullable=False),
    Column("last_path", Text, nullable=False),
    Column("published_at", Text, nullable=False),
    UniqueConstraint("board", "version"))

update_files = Table(
    "update_files", metadata,
    Column("update_id", Int, ForeignKey("updates.id"), nullable=False),
    Column("path", Text, nullable=False),
    Column("data", LargeBinary, nullable=False),
    PrimaryKeyConstraint("update_id", "path"))

backups = Table(
    "backups", metadata,
    Column("terminal_id", Text, primary_key=True),
    Column("data", LargeBinary, nullable=False),
    Column("sha256", Text, nullable=False),
    Column("created", Text, nullable=False))

backup_uploads = Table(
    "backup_uploads", metadata,
    Column("terminal_id", Text, primary_key=True),
    Column("size", Int, nullable=False),
    Column("data", LargeBinary, nullable=False))

terminal_software = Table(
    "terminal_software", metadata,
    Column("terminal_id", Text, primary_key=True),
    Column("board", Text, nullable=False),
    Column("version", Text),
    Column("downloaded", Text),
    Column("updated_at", Text))

messages = Table(
    "messages", metadata,
    _key(),
    Column("direction", Text, CheckConstraint("direction IN ('in', 'out')"), nullable=False),
    Column("peer", Text, nullable=False),
    Column("hex", Text, nullable=False),
    Column("note", Text),
    Column("created", Text, nullable=False))

# -- electronic receipts (revision 0002) -----------------------------------------

receipts = Table(
    "receipts", metadata,
    _key(),
    Column("terminal_id", String(8), nullable=False),
    Column("merchant_id", String(15), nullable=False),
    Column("batch", String(6), nullable=False),
    Column("trace", String(6), nullable=False),
    Column("type", String(24), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("masked_pan", String(19)),
    Column("last4", String(4)),
    Column("rrn", String(12)),
    Column("auth_code", String(6)),
    Column("operator", String(8)),
    Column("occurred", DateTime, nullable=False),          # the transaction's local time
    Column("state", String(16), nullable=False),
    Column("signed", Boolean, nullable=False, server_default=false()),
    Column("signature", LargeBinary),
    Column("signature_sha256", String(64)),
    Column("slip", Text, nullable=False),                  # JSON
    Column("received", DateTime, nullable=False),
    UniqueConstraint("terminal_id", "batch", "trace", "type", name="receipts_key"),
    Index("receipts_merchant_occurred", "merchant_id", "occurred"),
    Index("receipts_merchant_amount", "merchant_id", "amount_fen", "occurred"),
    Index("receipts_merchant_last4", "merchant_id", "last4"),
    Index("receipts_merchant_rrn", "merchant_id", "rrn"),
    Index("receipts_merchant_trace", "merchant_id", "trace"),
    Index("receipts_terminal_occurred", "terminal_id", "occurred"))

receipt_parts = Table(
    "receipt_parts", metadata,
    Column("terminal_id", String(8)),
    Column("batch", String(6)),
    Column("trace", String(6)),
    Column("type", String(24)),
    Column("part", Integer),
    Column("count", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("received", DateTime, nullable=False),
    PrimaryKeyConstraint("terminal_id", "batch", "trace", "type", "part"))

# -- QR payments (revision 0005; wallet.py, qrpay.py) ------------------------------

QR_ORDER_STATES = ("pending", "paid", "closed", "declined", "voided", "reversed")

# One payment of a wallet: a qr_sale's (kind sale) or a qr_order's (kind order). Its state and
# amounts are the truth of the payment; the requests' transaction rows are what was asked and
# answered. Times are local ISO text, as transactions.created.
qr_orders = Table(
    "qr_orders", metadata,
    _key(),
    Column("order_no", Text, nullable=False, unique=True),
    Column("terminal_id", Text, nullable=False),
    Column("merchant_id", Text, nullable=False),
    Column("batch", Text, nullable=False),
    Column("trace", Text, nullable=False),
    Column("kind", Text, CheckConstraint("kind IN ('sale', 'order')", name="qr_orders_kind"), nullable=False),
    Column("transaction_id", Int, ForeignKey("transactions.id"), nullable=False, unique=True),
    Column("amount_fen", Int, nullable=False),
    Column("state", Text, CheckConstraint("state IN (%s)" % ", ".join("'%s'" % s for s in QR_ORDER_STATES),
                                          name="qr_orders_state"), nullable=False),
    Column("wallet", Text),                 # WX, ZF, UP; a dynamic order's once a phone pays it
    Column("payer", Text),                  # the test phone wallet that paid (or is confirming)
    Column("masked_code", Text),            # a qr_sale's payment code, first 6 and last 4 digits
    Column("refunded_fen", Int, nullable=False, server_default=text("0")),
    Column("reference", Text, nullable=False),      # 37 of the answers naming the order
    Column("auth_code", Text),              # 38, once paid
    Column("qr_text", Text),                # what a phone scans (a dynamic order)
    Column("created", Text, nullable=False),
    Column("expires", Text, nullable=False),
    Column("pay_at", Text),                 # the payment comes due then (a confirming wallet)
    Column("paid_at", Text),
    Column("note", Text),
    Index("qr_orders_key", "terminal_id", "batch", "trace"),
    Index("qr_orders_reference", "terminal_id", "reference"))

# Every payment code a request named once it reached the wallet: its SHA-256, never the code.
qr_spent_codes = Table(
    "qr_spent_codes", metadata,
    Column("code_sha256", Text, primary_key=True),
    Column("terminal_id", Text, nullable=False),
    Column("batch", Text, nullable=False),
    Column("trace", Text, nullable=False),
    Column("spent", Text, nullable=False))

# The wallet simulator's test payment codes (tools/testdata/qrpay.json), by SHA-256.
qr_test_codes = Table(
    "qr_test_codes", metadata,
    Column("code_sha256", Text, primary_key=True),
    Column("wallet", Text, nullable=False),
    Column("behaviour", Text, nullable=False))

# Its test phone wallets: wallet_ok, wallet_slow, wallet_poor.
qr_phone_wallets = Table(
    "qr_phone_wallets", metadata,
    Column("name", Text, primary_key=True),
    Column("wallet", Text, nullable=False),
    Column("behaviour", Text, nullable=False))

"""The acquirer's store as the acquirer before migrations made it; an older store is completed to it.

A store made by that acquirer has these tables, perhaps without the columns and indexes added over
its life (each such column has a default or allows NULL) and without alembic_version: this revision
creates what is missing and keeps what is there, so an old store and an empty one both end here.

Revision ID: 0001
Revises:
"""

from alembic import op
from sqlalchemy import (BigInteger, CheckConstraint, Column, ForeignKey, Index, Integer,
                        LargeBinary, MetaData, PrimaryKeyConstraint, Table, Text, UniqueConstraint,
                        inspect, text)

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

DEFAULT_MAX_FEN = 9999999
TRANSACTION_STATES = ("approved", "declined", "voided", "refunded", "reversed", "completed", "released")

# Frozen here, not taken from tools/acquirer/schema.py, which moves on with later revisions.
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
    Column("ic_version", Text))

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


def _bare(column):
    """The column as ALTER TABLE can add it to an existing table: its type, nullability and default."""
    default = column.server_default.arg if column.server_default is not None else None
    return Column(column.name, column.type, nullable=column.nullable, server_default=default)


def upgrade():
    bind = op.get_bind()
    have = inspect(bind)
    for table in metadata.sorted_tables:
        if not have.has_table(table.name):
            table.create(bind)
            continue
        columns = {c["name"] for c in have.get_columns(table.name)}
        for column in table.columns:
            if column.name not in columns:
                op.add_column(table.name, _bare(column))
        indexes = {i["name"] for i in have.get_indexes(table.name)}
        for index in table.indexes:
            if index.name not in indexes:
                index.create(bind)


def downgrade():
    metadata.drop_all(op.get_bind())

"""QR payments (扫码, protocol section 13): the wallets' orders, the payment codes spent (SHA-256
only), the wallet simulator's test codes and phone wallets, and the base of a terminal's QR texts
it downloads with its parameters (QB). Tables described in tools/acquirer/schema.py.

Revision ID: 0005
Revises: 0004
"""

from alembic import op
from sqlalchemy import BigInteger, CheckConstraint, Column, ForeignKey, Integer, Text, text

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

DEFAULT_QR_BASE = "https://qr.acquirer.test/"
QR_ORDER_STATES = ("pending", "paid", "closed", "declined", "voided", "reversed")


def _int():
    return BigInteger().with_variant(Integer(), "sqlite")


def upgrade():
    with op.batch_alter_table("terminals") as batch:
        batch.add_column(Column("params_qr_base", Text, nullable=False, server_default=DEFAULT_QR_BASE))
    op.create_table(
        "qr_orders",
        Column("id", _int(), primary_key=True, autoincrement=True),
        Column("order_no", Text, nullable=False, unique=True),
        Column("terminal_id", Text, nullable=False),
        Column("merchant_id", Text, nullable=False),
        Column("batch", Text, nullable=False),
        Column("trace", Text, nullable=False),
        Column("kind", Text, CheckConstraint("kind IN ('sale', 'order')", name="qr_orders_kind"),
               nullable=False),
        Column("transaction_id", _int(), ForeignKey("transactions.id"), nullable=False, unique=True),
        Column("amount_fen", _int(), nullable=False),
        Column("state", Text, CheckConstraint("state IN (%s)" % ", ".join("'%s'" % s for s in QR_ORDER_STATES),
                                              name="qr_orders_state"), nullable=False),
        Column("wallet", Text),
        Column("payer", Text),
        Column("masked_code", Text),
        Column("refunded_fen", _int(), nullable=False, server_default=text("0")),
        Column("reference", Text, nullable=False),
        Column("auth_code", Text),
        Column("qr_text", Text),
        Column("created", Text, nullable=False),
        Column("expires", Text, nullable=False),
        Column("pay_at", Text),
        Column("paid_at", Text),
        Column("note", Text))
    op.create_index("qr_orders_key", "qr_orders", ["terminal_id", "batch", "trace"])
    op.create_index("qr_orders_reference", "qr_orders", ["terminal_id", "reference"])
    op.create_table(
        "qr_spent_codes",
        Column("code_sha256", Text, primary_key=True),
        Column("terminal_id", Text, nullable=False),
        Column("batch", Text, nullable=False),
        Column("trace", Text, nullable=False),
        Column("spent", Text, nullable=False))
    op.create_table(
        "qr_test_codes",
        Column("code_sha256", Text, primary_key=True),
        Column("wallet", Text, nullable=False),
        Column("behaviour", Text, nullable=False))
    op.create_table(
        "qr_phone_wallets",
        Column("name", Text, primary_key=True),
        Column("wallet", Text, nullable=False),
        Column("behaviour", Text, nullable=False))


def downgrade():
    op.drop_table("qr_phone_wallets")
    op.drop_table("qr_test_codes")
    op.drop_table("qr_spent_codes")
    op.drop_table("qr_orders")
    with op.batch_alter_table("terminals") as batch:
        batch.drop_column("params_qr_base")

"""Electronic receipts: the receipts terminals upload, their pieces while uploading, and what the
host knows of each terminal's receipts (last seen, receipts still to come).

Revision ID: 0002
Revises: 0001
"""

from alembic import op
from sqlalchemy import (BigInteger, Boolean, Column, DateTime, Integer, LargeBinary, PrimaryKeyConstraint,
                        String, Text, UniqueConstraint, false)

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

RECEIPT_INDEXES = {
    "receipts_merchant_occurred": ("merchant_id", "occurred"),
    "receipts_merchant_amount": ("merchant_id", "amount_fen", "occurred"),
    "receipts_merchant_last4": ("merchant_id", "last4"),
    "receipts_merchant_rrn": ("merchant_id", "rrn"),
    "receipts_merchant_trace": ("merchant_id", "trace"),
    "receipts_terminal_occurred": ("terminal_id", "occurred"),
}


def upgrade():
    op.create_table(
        "receipts",
        Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True),
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
        Column("occurred", DateTime, nullable=False),
        Column("state", String(16), nullable=False),
        Column("signed", Boolean, nullable=False, server_default=false()),
        Column("signature", LargeBinary),
        Column("signature_sha256", String(64)),
        Column("slip", Text, nullable=False),
        Column("received", DateTime, nullable=False),
        UniqueConstraint("terminal_id", "batch", "trace", "type", name="receipts_key"))
    for name, columns in RECEIPT_INDEXES.items():
        op.create_index(name, "receipts", list(columns))
    op.create_table(
        "receipt_parts",
        Column("terminal_id", String(8)),
        Column("batch", String(6)),
        Column("trace", String(6)),
        Column("type", String(24)),
        Column("part", Integer),
        Column("count", Integer, nullable=False),
        Column("data", LargeBinary, nullable=False),
        Column("received", DateTime, nullable=False),
        PrimaryKeyConstraint("terminal_id", "batch", "trace", "type", "part"))
    op.add_column("terminals", Column("last_seen", DateTime))
    op.add_column("terminals", Column("receipts_pending", Integer))


def downgrade():
    with op.batch_alter_table("terminals") as terminals:
        terminals.drop_column("receipts_pending")
        terminals.drop_column("last_seen")
    op.drop_table("receipt_parts")
    op.drop_table("receipts")

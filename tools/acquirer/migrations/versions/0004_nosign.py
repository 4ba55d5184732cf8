"""The 免签 limit a terminal downloads with its parameters (NS): above it the cardholder signs.

Revision ID: 0004
Revises: 0003
"""

from alembic import op
from sqlalchemy import BigInteger, Column, Integer, text

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

DEFAULT_NOSIGN_FEN = 100000


def upgrade():
    with op.batch_alter_table("terminals") as batch:
        batch.add_column(Column("params_nosign_fen", BigInteger().with_variant(Integer(), "sqlite"), nullable=False,
                                server_default=text(str(DEFAULT_NOSIGN_FEN))))


def downgrade():
    with op.batch_alter_table("terminals") as batch:
        batch.drop_column("params_nosign_fen")

"""The merchant back-office: its users, their server-side sessions, and failed logins (the rate
limit counts them in the database, so several acquirer processes share it). Tables described in
tools/acquirer/accounts.py.

Revision ID: 0003
Revises: 0002
"""

from alembic import op
from sqlalchemy import BigInteger, Column, DateTime, ForeignKey, Integer, String

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "merchant_users",
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("merchant_id", String(15), nullable=True),
        Column("username", String(64), nullable=False, unique=True),
        Column("password_hash", String(200), nullable=False),
        Column("role", String(8), nullable=False),
        Column("created", DateTime, nullable=False))
    op.create_table(
        "web_sessions",
        Column("token_hash", String(64), primary_key=True),
        Column("user_id", Integer, ForeignKey("merchant_users.id", ondelete="CASCADE"), nullable=False),
        Column("csrf_token", String(64), nullable=False),
        Column("created", DateTime, nullable=False),
        Column("expires", DateTime, nullable=False))
    op.create_index("web_sessions_expires", "web_sessions", ["expires"])
    op.create_table(
        "login_attempts",
        Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True),
        Column("scope", String(8), nullable=False),
        Column("key", String(128), nullable=False),
        Column("attempted", DateTime, nullable=False))
    op.create_index("login_attempts_key", "login_attempts", ["scope", "key", "attempted"])
    op.create_index("login_attempts_attempted", "login_attempts", ["attempted"])


def downgrade():
    op.drop_table("login_attempts")
    op.drop_table("web_sessions")
    op.drop_table("merchant_users")

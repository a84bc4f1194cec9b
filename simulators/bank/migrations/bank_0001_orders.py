"""The simulated bank's books: payment orders by idempotency key, and the lines of the
issuer's account that statements list.

Revision ID: bank_0001
Revises:
Create Date: 2026-12-02
"""

from alembic import op

revision = "bank_0001"
down_revision = None
branch_labels = ("bank",)
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE payment_orders (
            order_id        uuid        PRIMARY KEY,
            idempotency_key text        NOT NULL UNIQUE,
            -- the request's digest: a key reused with another body is refused
            request_digest  text        NOT NULL,
            request         jsonb       NOT NULL,
            bank_reference  text        NOT NULL UNIQUE,
            behaviour       text        NOT NULL,
            refused         text,
            settles_at      timestamptz,
            returns_at      timestamptz,
            created_at      timestamptz NOT NULL
        )
        """
    )
    op.execute(
        """
        CREATE TABLE statement_lines (
            line_id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            order_id        uuid        NOT NULL REFERENCES payment_orders,
            bank_reference  text        NOT NULL UNIQUE,
            end_to_end_id   uuid,
            direction       text        NOT NULL CHECK (direction IN ('debit', 'credit')),
            amount_minor    bigint      NOT NULL CHECK (amount_minor > 0),
            currency        text        NOT NULL,
            description     text        NOT NULL,
            booked_at       timestamptz NOT NULL
        )
        """
    )
    op.execute("CREATE INDEX statement_lines_booked ON statement_lines (booked_at, line_id)")


def downgrade() -> None:
    op.execute("DROP TABLE statement_lines")
    op.execute("DROP TABLE payment_orders")

"""Issuance's own view of settlement's facts: the deposits it may mint for and the CNH
reserve, so that no figure carried by a mint command decides a mint.

Revision ID: issuance_0002
Revises: issuance_0001
Create Date: 2026-12-01
"""

from alembic import op

revision = "issuance_0002"
down_revision = "issuance_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # built from settlement.events only (DepositMatched, DepositRefunded)
    op.execute(
        """
        CREATE TABLE deposits (
            deposit_id  uuid        PRIMARY KEY,
            customer_id uuid        NOT NULL,
            wallet_id   uuid        NOT NULL,
            tokens      bigint      NOT NULL CHECK (tokens >= 0),
            refunded    boolean     NOT NULL DEFAULT false,
            updated_by  uuid        NOT NULL,  -- the settlement event last applied
            updated_at  timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    # every ReserveMoved once (by its journal entry), and their running sum in one row
    op.execute(
        """
        CREATE TABLE reserve_movements (
            entry_id      uuid        PRIMARY KEY,
            direction     text        NOT NULL CHECK (direction IN ('in', 'out')),
            amount        bigint      NOT NULL CHECK (amount > 0),
            cause         text        NOT NULL,
            deposit_id    uuid,
            redemption_id uuid,
            event_id      uuid        NOT NULL,
            recorded_at   timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute(
        """
        CREATE TABLE reserve (
            only_row   boolean     PRIMARY KEY DEFAULT true CHECK (only_row),
            balance    bigint      NOT NULL,  -- fen: the sum of the movements
            updated_at timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute("INSERT INTO reserve (balance) VALUES (0)")
    op.execute(
        "COMMENT ON COLUMN mints.reserve_cnh IS"
        " 'the reserve (fen) issuance itself had learned from settlement.events when it minted'"
    )


def downgrade() -> None:
    op.execute("COMMENT ON COLUMN mints.reserve_cnh IS NULL")
    for table in ("reserve", "reserve_movements", "deposits"):
        op.execute(f"DROP TABLE {table}")

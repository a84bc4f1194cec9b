"""Redemption sagas, their step log (the timeline), and quote requests.

Revision ID: redemption_0001
Revises:
Create Date: 2026-11-25
"""

from alembic import op

revision = "redemption_0001"
down_revision = None
branch_labels = ("redemption",)
depends_on = "runtime_0001"


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE redemptions (
            redemption_id   uuid        PRIMARY KEY,
            customer_id     uuid        NOT NULL,
            wallet_id       uuid        NOT NULL,
            amount_minor    bigint      NOT NULL CHECK (amount_minor >= 0),
            payout_currency text        NOT NULL,
            status          text        NOT NULL,
            saga            jsonb       NOT NULL,
            deadline        timestamptz,
            outcome         bytea,
            requested_at    timestamptz NOT NULL DEFAULT now(),
            updated_at      timestamptz NOT NULL DEFAULT now(),
            ended_at        timestamptz
        )
        """
    )
    # The watchdog reads only running sagas whose deadline passed: a small partial index,
    # however many completed redemptions are stored.
    op.execute(
        """
        CREATE INDEX redemptions_due ON redemptions (deadline)
         WHERE status NOT IN ('COMPLETED', 'FAILED', 'NEEDS_REVIEW')
        """
    )
    op.execute("CREATE INDEX redemptions_customer ON redemptions (customer_id, requested_at)")
    op.execute(
        """
        CREATE TABLE saga_log (
            id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            redemption_id uuid        NOT NULL REFERENCES redemptions,
            at            timestamptz NOT NULL DEFAULT now(),
            event         text        NOT NULL,
            step          text        NOT NULL,
            detail        text        NOT NULL,
            message_id    uuid
        )
        """
    )
    op.execute("CREATE INDEX saga_log_timeline ON saga_log (redemption_id, id)")
    op.execute(
        """
        CREATE TABLE quotes (
            redemption_id   uuid        PRIMARY KEY,
            customer_id     uuid        NOT NULL,
            wallet_id       uuid        NOT NULL,
            amount_minor    bigint      NOT NULL,
            payout_currency text        NOT NULL,
            quote_id        uuid,
            status          text        NOT NULL
                            CHECK (status IN ('requested', 'quoted', 'rejected')),
            outcome         bytea,
            requested_at    timestamptz NOT NULL DEFAULT now()
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE quotes")
    op.execute("DROP TABLE saga_log")
    op.execute("DROP TABLE redemptions")

"""Outbox and inbox: the tables behind exactly-once effects (design section 4).

Revision ID: runtime_0001
Revises:
Create Date: 2026-11-25
"""

from alembic import op

revision = "runtime_0001"
down_revision = None
branch_labels = ("runtime",)
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE outbox (
            id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            topic         text        NOT NULL,
            key           bytea,
            value         bytea       NOT NULL,
            headers       jsonb       NOT NULL DEFAULT '[]',
            message_id    uuid        NOT NULL,
            created_at    timestamptz NOT NULL DEFAULT now(),
            published_at  timestamptz
        )
        """
    )
    # The relay's claim reads only this small index: unpublished rows in id order.
    op.execute("CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL")
    op.execute(
        "CREATE INDEX outbox_published_at ON outbox (published_at) WHERE published_at IS NOT NULL"
    )
    op.execute(
        """
        CREATE TABLE inbox (
            consumer       text        NOT NULL,
            message_id     uuid        NOT NULL,
            message_type   text        NOT NULL,
            correlation_id uuid,
            outcome        text        NOT NULL
                           CHECK (outcome IN ('applied', 'replied', 'dead_lettered')),
            reply_topic    text,
            reply_key      bytea,
            reply_value    bytea,
            processed_at   timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (consumer, message_id),
            -- a dead-lettered message is recorded only when its sender got a rejection,
            -- so a replay after a fix applies it unless it was already refused
            CHECK ((outcome = 'applied') = (reply_value IS NULL))
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE inbox")
    op.execute("DROP TABLE outbox")

"""What the bank tells the issuer on Kafka: the messages it has to send (due, delivered),
and the statements it has sent, each booking on exactly one.

Revision ID: bank_0002
Revises: bank_0001
Create Date: 2026-12-02
"""

from alembic import op

revision = "bank_0002"
down_revision = "bank_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE deliveries (
            id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            message_id   uuid        NOT NULL UNIQUE,
            key          text        NOT NULL,
            type         text        NOT NULL,
            body         jsonb       NOT NULL,
            due_at       timestamptz NOT NULL,
            delivered_at timestamptz
        )
        """
    )
    op.execute("CREATE INDEX deliveries_due ON deliveries (due_at, id) WHERE delivered_at IS NULL")
    op.execute(
        """
        CREATE TABLE statements (
            statement_id text        PRIMARY KEY,
            sequence     integer     NOT NULL UNIQUE,
            period_start timestamptz NOT NULL,
            period_end   timestamptz NOT NULL
        )
        """
    )
    op.execute("ALTER TABLE statement_lines ADD COLUMN statement_id text REFERENCES statements")
    op.execute(
        "CREATE INDEX statement_lines_unsent ON statement_lines (booked_at, line_id)"
        " WHERE statement_id IS NULL"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE statement_lines DROP COLUMN statement_id")
    op.execute("DROP TABLE statements")
    op.execute("DROP TABLE deliveries")

"""The bank is an outside system: the in-process simulator's schema `bank_sim` goes (the
simulated bank keeps its books in its own database, simulators/bank). What it held was the
simulator's, never settlement's books: nothing of settlement reads it.

The downgrade brings the schema back empty, as settlement_0009 left it.

Revision ID: settlement_0010
Revises: settlement_0009
Create Date: 2026-12-02
"""

from alembic import op

revision = "settlement_0010"
down_revision = "settlement_0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DROP SCHEMA bank_sim CASCADE")


def downgrade() -> None:
    op.execute("CREATE SCHEMA bank_sim")
    op.execute(
        """
        CREATE TABLE bank_sim.payments (
            instruction_id     uuid PRIMARY KEY,
            bank_reference     text NOT NULL UNIQUE,
            behaviour          text NOT NULL,
            rail               text NOT NULL,
            amount_minor       bigint NOT NULL,
            currency           text NOT NULL,
            beneficiary_digest text NOT NULL,
            outcome            text NOT NULL,
            received_at        timestamptz NOT NULL DEFAULT clock_timestamp()
        )
        """
    )
    op.execute(
        """
        CREATE TABLE bank_sim.messages (
            id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            message_id     uuid NOT NULL UNIQUE,
            bank_reference text NOT NULL,
            type           text NOT NULL,
            body           jsonb NOT NULL,
            due_at         timestamptz NOT NULL,
            delivered_at   timestamptz
        )
        """
    )
    op.execute(
        "CREATE INDEX bank_sim_messages_due ON bank_sim.messages (due_at)"
        " WHERE delivered_at IS NULL"
    )
    op.execute(
        """
        CREATE TABLE bank_sim.bookings (
            id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            bank_reference text NOT NULL UNIQUE,
            end_to_end_id  uuid,
            direction      text NOT NULL,
            amount_minor   bigint NOT NULL,
            currency       text NOT NULL,
            description    text NOT NULL,
            booked_at      timestamptz NOT NULL,
            statement_id   text
        )
        """
    )
    op.execute(
        "CREATE INDEX bank_sim_bookings_open ON bank_sim.bookings (booked_at)"
        " WHERE statement_id IS NULL"
    )
    op.execute(
        """
        CREATE TABLE bank_sim.statements (
            statement_id text PRIMARY KEY,
            sequence     bigint NOT NULL UNIQUE,
            period_start timestamptz NOT NULL,
            period_end   timestamptz NOT NULL UNIQUE
        )
        """
    )

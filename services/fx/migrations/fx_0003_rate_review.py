"""Rate review: holds on a pair whose rate walked away from its own recent window, and the
index the window's median is read with.

A held rate is recorded in rate_updates as not accepted (reason 'held'); the hold names the
rate that opened it and the latest held since. One open hold per currency.

Revision ID: fx_0003
Revises: fx_0002
Create Date: 2026-11-27
"""

from alembic import op

revision = "fx_0003"
down_revision = "fx_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE rate_holds (
            hold_id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            currency         text        NOT NULL,
            first_update_id  bigint      NOT NULL REFERENCES rate_updates (id),
            last_update_id   bigint      NOT NULL REFERENCES rate_updates (id),
            anchor           numeric     NOT NULL CHECK (anchor > 0),
            drift_bps        numeric     NOT NULL,
            bound_bps        integer     NOT NULL,
            window_s         integer     NOT NULL,
            detail           text        NOT NULL,
            state            text        NOT NULL DEFAULT 'open'
                             CHECK (state IN ('open', 'released', 'rejected')),
            opened_at        timestamptz NOT NULL DEFAULT now(),
            closed_at        timestamptz,
            closed_by        text,
            CHECK ((state = 'open') = (closed_at IS NULL))
        )
        """
    )
    op.execute(
        "CREATE UNIQUE INDEX rate_holds_one_open ON rate_holds (currency) WHERE state = 'open'"
    )
    op.execute(
        "CREATE INDEX rate_updates_accepted ON rate_updates (currency, as_of) WHERE accepted"
    )


def downgrade() -> None:
    op.execute("DROP INDEX rate_updates_accepted")
    op.execute("DROP TABLE rate_holds")

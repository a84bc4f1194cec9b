"""FX: the rate book and its history, quotes, conversions, reversals, cancellations,
the journal of movements and the open position per payout currency.

Revision ID: fx_0001
Revises:
Create Date: 2026-11-26
"""

from alembic import op

revision = "fx_0001"
down_revision = None
branch_labels = ("fx",)
depends_on = "runtime_0001"


def upgrade() -> None:
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            op.execute(statement)


_SCHEMA = """
        -- every reference rate received (or seeded), accepted or not: the audit trail
        CREATE TABLE rate_updates (
            id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            currency     text        NOT NULL,
            pair         text        NOT NULL,
            mid          text        NOT NULL,
            per_cnh      numeric     NOT NULL CHECK (per_cnh > 0),
            as_of        timestamptz NOT NULL,
            source       text        NOT NULL,
            message_id   uuid,
            accepted     boolean     NOT NULL,
            reason       text,
            detail       text,
            received_at  timestamptz NOT NULL DEFAULT now(),
            CHECK (accepted = (reason IS NULL))
        );
        CREATE INDEX rate_updates_by_currency ON rate_updates (currency, id);

        -- the book: the latest accepted mid per payout currency (payout per one CNH)
        CREATE TABLE rates (
            currency   text        PRIMARY KEY,
            per_cnh    numeric     NOT NULL CHECK (per_cnh > 0),
            as_of      timestamptz NOT NULL,
            update_id  bigint      NOT NULL REFERENCES rate_updates (id)
        );

        CREATE TABLE quotes (
            quote_id       uuid        PRIMARY KEY,
            redemption_id  uuid        NOT NULL,
            sell_minor     bigint      NOT NULL CHECK (sell_minor > 0),
            fee_minor      bigint      NOT NULL CHECK (fee_minor >= 0),
            currency       text        NOT NULL CHECK (currency <> 'CNH'),
            buy_minor      bigint      NOT NULL CHECK (buy_minor > 0),
            rate           text        NOT NULL,
            mid            numeric     NOT NULL CHECK (mid > 0),
            remainder      numeric     NOT NULL CHECK (remainder >= 0),
            spread         numeric     NOT NULL CHECK (spread >= 0),
            rate_update_id bigint      NOT NULL REFERENCES rate_updates (id),
            issued_at      timestamptz NOT NULL,
            expires_at     timestamptz NOT NULL CHECK (expires_at > issued_at),
            used_at        timestamptz,
            command_id     uuid        NOT NULL
        );
        CREATE INDEX quotes_by_redemption ON quotes (redemption_id);

        -- one conversion per redemption, one per quote
        CREATE TABLE conversions (
            conversion_id  uuid        PRIMARY KEY,
            redemption_id  uuid        NOT NULL UNIQUE,
            quote_id       uuid        NOT NULL UNIQUE REFERENCES quotes (quote_id),
            executed_at    timestamptz NOT NULL,
            command_id     uuid        NOT NULL
        );

        CREATE TABLE reversals (
            conversion_id     uuid        PRIMARY KEY REFERENCES conversions (conversion_id),
            redemption_id     uuid        NOT NULL UNIQUE,
            returned_minor    bigint      NOT NULL CHECK (returned_minor > 0),
            market_per_cnh    numeric     NOT NULL CHECK (market_per_cnh > 0),
            market_as_of      timestamptz NOT NULL,
            issuer_loss_minor bigint      NOT NULL CHECK (issuer_loss_minor >= 0),
            issuer_gain_minor bigint      NOT NULL CHECK (issuer_gain_minor >= 0),
            reversed_at       timestamptz NOT NULL,
            command_id        uuid        NOT NULL
        );

        -- a reversal that found nothing to reverse: a late execute is refused
        CREATE TABLE cancellations (
            redemption_id  uuid        PRIMARY KEY,
            cancelled_at   timestamptz NOT NULL,
            command_id     uuid        NOT NULL
        );

        CREATE TABLE journal_entries (
            entry_id       uuid        PRIMARY KEY,
            kind           text        NOT NULL CHECK (kind IN ('trade', 'reversal')),
            redemption_id  uuid        NOT NULL,
            conversion_id  uuid        NOT NULL REFERENCES conversions (conversion_id),
            command_id     uuid        NOT NULL,
            created_at     timestamptz NOT NULL DEFAULT now(),
            UNIQUE (conversion_id, kind)
        );

        -- double entry per currency: each movement takes from one account, gives to another
        CREATE TABLE movements (
            id           bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            entry_id     uuid    NOT NULL REFERENCES journal_entries (entry_id),
            source       text    NOT NULL,
            destination  text    NOT NULL CHECK (destination <> source),
            currency     text    NOT NULL,
            amount       numeric NOT NULL CHECK (amount > 0),
            memo         text    NOT NULL
        );
        CREATE INDEX movements_by_entry ON movements (entry_id);

        -- the open position per payout currency, bounded by the configured limit
        CREATE TABLE positions (
            currency   text   PRIMARY KEY,
            net_minor  bigint NOT NULL CHECK (net_minor >= 0)
        )
"""


def downgrade() -> None:
    op.execute(
        """
        DROP TABLE positions, movements, journal_entries, cancellations, reversals,
                   conversions, quotes, rates, rate_updates
        """
    )

"""KYC: customers (personal data encrypted), wallets, sanctions lists and screenings,
eligibility checks with their limit reservations, and the history of every state change.

Revision ID: kyc_0001
Revises:
Create Date: 2026-11-26
"""

from alembic import op

revision = "kyc_0001"
down_revision = None
branch_labels = ("kyc",)
depends_on = "runtime_0001"


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE customers (
            customer_id     uuid        PRIMARY KEY,
            kind            text        NOT NULL CHECK (kind IN ('individual', 'corporate')),
            status          text        NOT NULL
                            CHECK (status IN ('verified', 'referred', 'rejected')),
            tier            text        NOT NULL CHECK (tier IN ('basic', 'standard', 'enhanced')),
            due_diligence   text        NOT NULL
                            CHECK (due_diligence IN ('simplified', 'standard', 'enhanced')),
            frozen          boolean     NOT NULL DEFAULT false,
            freeze_reason   text,
            sanctioned      boolean     NOT NULL DEFAULT false,
            -- personal data: AES-256-GCM, the key named by its id so keys can rotate
            pii_key_id      text        NOT NULL,
            pii_ciphertext  bytea       NOT NULL,
            application_id  uuid        NOT NULL,
            created_at      timestamptz NOT NULL DEFAULT now(),
            updated_at      timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute(
        """
        CREATE TABLE wallets (
            wallet_id         uuid        PRIMARY KEY,
            customer_id       uuid        NOT NULL REFERENCES customers,
            address           text        NOT NULL UNIQUE,
            deposit_reference text        NOT NULL UNIQUE,
            proof_of_control  text        NOT NULL
                              CHECK (proof_of_control IN ('verified', 'pending')),
            frozen            boolean     NOT NULL DEFAULT false,
            freeze_reason     text,
            created_at        timestamptz NOT NULL DEFAULT now(),
            updated_at        timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute("CREATE INDEX wallets_customer ON wallets (customer_id)")
    op.execute(
        """
        CREATE TABLE sanctions_lists (
            version    text        PRIMARY KEY,
            source     text        NOT NULL,
            sha256     text        NOT NULL,
            entries    integer     NOT NULL,
            loaded_at  timestamptz NOT NULL DEFAULT now(),
            loaded_seq bigint      GENERATED ALWAYS AS IDENTITY UNIQUE
        )
        """
    )
    op.execute(
        """
        CREATE TABLE sanctions_entries (
            version       text   NOT NULL REFERENCES sanctions_lists ON DELETE CASCADE,
            ref           text   NOT NULL,
            kind          text   NOT NULL CHECK (kind IN ('individual', 'entity')),
            names         text[] NOT NULL,
            birth_dates   text[] NOT NULL,
            birth_years   int[]  NOT NULL,
            nationalities text[] NOT NULL,
            PRIMARY KEY (version, ref)
        )
        """
    )
    op.execute(
        """
        CREATE TABLE screenings (
            id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            customer_id  uuid        NOT NULL REFERENCES customers,
            list_version text        NOT NULL,
            score        integer     NOT NULL,
            entry_ref    text,
            outcome      text        NOT NULL CHECK (outcome IN ('clear', 'review', 'hit')),
            screened_at  timestamptz NOT NULL DEFAULT now(),
            UNIQUE (customer_id, list_version)
        )
        """
    )
    op.execute(
        """
        CREATE TABLE eligibility_checks (
            redemption_id  uuid        PRIMARY KEY,
            customer_id    uuid,
            wallet_id      uuid,
            amount_minor   bigint      CHECK (amount_minor >= 0),
            outcome        text        NOT NULL
                           CHECK (outcome IN ('reserved', 'refused', 'released', 'cancelled')),
            reason         text,
            detail         text,
            tier           text,
            reservation_id uuid        UNIQUE,
            checked_at     timestamptz NOT NULL DEFAULT now(),
            released_at    timestamptz,
            CHECK ((outcome IN ('reserved', 'released')) = (reservation_id IS NOT NULL))
        )
        """
    )
    # the rolling 24-hour window sums only live reservations of one customer
    op.execute(
        "CREATE INDEX eligibility_live ON eligibility_checks (customer_id, checked_at) "
        "WHERE outcome = 'reserved'"
    )
    op.execute(
        """
        CREATE TABLE kyc_history (
            id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            customer_id uuid,
            wallet_id   uuid,
            action      text        NOT NULL,
            reason      text,
            actor       text        NOT NULL,
            cause_id    uuid,
            at          timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute("CREATE INDEX kyc_history_customer ON kyc_history (customer_id, id)")


def downgrade() -> None:
    for table in (
        "kyc_history",
        "eligibility_checks",
        "screenings",
        "sanctions_entries",
        "sanctions_lists",
        "wallets",
        "customers",
    ):
        op.execute(f"DROP TABLE {table}")

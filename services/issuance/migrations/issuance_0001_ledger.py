"""The token ledger: accounts and movements (double entry), mints, holds, burns, decisions,
and the local view of KYC's customers and wallets.

Revision ID: issuance_0001
Revises:
Create Date: 2026-11-26
"""

from alembic import op

revision = "issuance_0001"
down_revision = None
branch_labels = ("issuance",)
depends_on = "runtime_0001"


def upgrade() -> None:
    # --- the local view of KYC (built from kyc.events only) --------------------------
    op.execute(
        """
        CREATE TABLE customers (
            customer_id uuid        PRIMARY KEY,
            status      text        NOT NULL
                        CHECK (status IN ('pending', 'verified', 'rejected', 'referred')),
            frozen      boolean     NOT NULL DEFAULT false,
            reason      text,
            updated_by  uuid        NOT NULL,  -- the kyc event last applied
            updated_at  timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute(
        """
        CREATE TABLE wallets (
            wallet_id        uuid        PRIMARY KEY,
            customer_id      uuid        NOT NULL,
            registered       boolean     NOT NULL,
            proof_of_control text        CHECK (proof_of_control IN ('verified', 'pending')),
            frozen           boolean     NOT NULL DEFAULT false,
            reason           text,
            updated_by       uuid        NOT NULL,
            updated_at       timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    # --- the ledger -------------------------------------------------------------------
    op.execute(
        """
        CREATE TABLE accounts (
            account    text        PRIMARY KEY,
            kind       text        NOT NULL
                       CHECK (kind IN ('wallet', 'hold', 'issuer_minted', 'issuer_burned')),
            wallet_id  uuid,
            balance    bigint      NOT NULL DEFAULT 0,
            opened_at  timestamptz NOT NULL DEFAULT now(),
            -- no wallet, hold or burned total below zero; the minted account is the source
            -- of every token, so its balance is minus the minted total and never above zero
            CONSTRAINT balance_sign CHECK (
                (kind = 'issuer_minted' AND balance <= 0)
                OR (kind <> 'issuer_minted' AND balance >= 0)
            ),
            CHECK ((kind IN ('wallet', 'hold')) = (wallet_id IS NOT NULL))
        )
        """
    )
    op.execute(
        """
        INSERT INTO accounts (account, kind) VALUES
            ('issuer:minted', 'issuer_minted'), ('issuer:burned', 'issuer_burned')
        """
    )
    op.execute(
        """
        CREATE TABLE movements (
            movement_id    uuid        PRIMARY KEY,
            kind           text        NOT NULL CHECK (kind IN ('mint', 'hold', 'release', 'burn')),
            debit_account  text        NOT NULL REFERENCES accounts,
            credit_account text        NOT NULL REFERENCES accounts,
            amount         bigint      NOT NULL CHECK (amount >= 0),
            wallet_id      uuid        NOT NULL,
            deposit_id     uuid,
            redemption_id  uuid,
            command_id     uuid        NOT NULL,  -- the message that caused it
            correlation_id uuid        NOT NULL,
            recorded_at    timestamptz NOT NULL DEFAULT now(),
            CHECK (debit_account <> credit_account),
            CHECK ((kind = 'mint') = (deposit_id IS NOT NULL)),
            CHECK ((kind = 'mint') = (redemption_id IS NULL))
        )
        """
    )
    # one mint per deposit; one hold, one release and one burn per redemption
    op.execute(
        "CREATE UNIQUE INDEX movements_one_mint ON movements (deposit_id) WHERE kind = 'mint'"
    )
    op.execute(
        "CREATE UNIQUE INDEX movements_one_per_redemption ON movements (redemption_id, kind)"
        " WHERE redemption_id IS NOT NULL"
    )
    op.execute("CREATE INDEX movements_wallet ON movements (wallet_id, recorded_at)")
    op.execute(
        """
        CREATE TABLE mints (
            mint_id      uuid        PRIMARY KEY,
            deposit_id   uuid        NOT NULL UNIQUE,
            customer_id  uuid        NOT NULL,
            wallet_id    uuid        NOT NULL,
            amount       bigint      NOT NULL CHECK (amount >= 0),
            reserve_cnh  bigint      NOT NULL,  -- the reserve settlement reported (fen)
            supply_after bigint      NOT NULL CHECK (supply_after >= 0),
            command_id   uuid        NOT NULL,
            minted_at    timestamptz NOT NULL DEFAULT now(),
            CHECK (supply_after <= reserve_cnh::numeric * 10000)  -- proof of reserve, at par
        )
        """
    )
    op.execute(
        """
        CREATE TABLE holds (
            redemption_id    uuid        PRIMARY KEY,
            state            text        NOT NULL
                             CHECK (state IN ('placed', 'released', 'burned', 'cancelled')),
            hold_id          uuid        UNIQUE,
            wallet_id        uuid,
            amount           bigint      CHECK (amount >= 0),
            placed_by        uuid,       -- command ids: who asked for each step
            released_by      uuid,
            burned_by        uuid,
            created_at       timestamptz NOT NULL DEFAULT now(),
            updated_at       timestamptz NOT NULL DEFAULT now(),
            -- a cancellation holds nothing; every other state is a hold that was placed
            CHECK ((state = 'cancelled') = (hold_id IS NULL)),
            CHECK ((hold_id IS NULL) = (wallet_id IS NULL)),
            CHECK ((hold_id IS NULL) = (amount IS NULL)),
            CHECK (state <> 'released' OR released_by IS NOT NULL),
            CHECK (state <> 'burned' OR burned_by IS NOT NULL)
        )
        """
    )
    op.execute(
        """
        CREATE TABLE burns (
            burn_id       uuid        PRIMARY KEY,
            redemption_id uuid        NOT NULL UNIQUE REFERENCES holds,
            wallet_id     uuid        NOT NULL,
            amount        bigint      NOT NULL CHECK (amount >= 0),
            supply_after  bigint      NOT NULL CHECK (supply_after >= 0),
            command_id    uuid        NOT NULL,
            burned_at     timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    # Every command's outcome, rejections included, for operators and auditors (the inbox
    # keeps the reply bytes for replays; this keeps the why, queryable).
    op.execute(
        """
        CREATE TABLE decisions (
            command_id    uuid        PRIMARY KEY,
            command_type  text        NOT NULL,
            outcome       text        NOT NULL,  -- the reply's type
            reason        text,
            detail        text,
            wallet_id     uuid,
            deposit_id    uuid,
            redemption_id uuid,
            instance      text        NOT NULL,  -- the replica that decided
            decided_at    timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute(
        "CREATE INDEX decisions_deposit ON decisions (deposit_id) WHERE deposit_id IS NOT NULL"
    )
    op.execute(
        "CREATE INDEX decisions_redemption ON decisions (redemption_id)"
        " WHERE redemption_id IS NOT NULL"
    )


def downgrade() -> None:
    for table in ("decisions", "burns", "holds", "mints", "movements", "accounts", "wallets"):
        op.execute(f"DROP TABLE {table}")
    op.execute("DROP TABLE customers")

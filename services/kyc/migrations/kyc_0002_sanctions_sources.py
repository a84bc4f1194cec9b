"""Sanctions sources: every source's active version screens at once (before, only the
list loaded last did, so loading one OFAC file stopped UN screening). Exactly one version
per source is active; a version is known by its source and digest, so loading the same
bytes again re-activates it. Entries keep their names' match keys (the confusables
skeletons), computed at load time under the ICU version recorded with the list; a screening
records which list version its best match came from.

The latest loaded version of each source becomes active, as the service now expects.

Revision ID: kyc_0002
Revises: kyc_0001
Create Date: 2026-12-02
"""

from alembic import op

revision = "kyc_0002"
down_revision = "kyc_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE sanctions_lists
            ADD COLUMN published    text,
            ADD COLUMN keys_version text        NOT NULL DEFAULT '',
            ADD COLUMN active       boolean     NOT NULL DEFAULT false,
            ADD COLUMN activated_at timestamptz
        """
    )
    op.execute(
        """
        UPDATE sanctions_lists
           SET active = true, activated_at = loaded_at
         WHERE loaded_seq IN (SELECT max(loaded_seq) FROM sanctions_lists GROUP BY source)
        """
    )
    # the publication date was the middle part of the version id where the format had one
    op.execute(
        """
        UPDATE sanctions_lists SET published = split_part(version, ':', 2)
         WHERE version ~ '^[^:]+:[0-9]{4}-[0-9]{2}-[0-9]{2}:'
        """
    )
    op.execute(
        "CREATE UNIQUE INDEX sanctions_lists_active ON sanctions_lists (source) WHERE active"
    )
    op.execute("CREATE UNIQUE INDEX sanctions_lists_digest ON sanctions_lists (source, sha256)")
    op.execute(
        """
        ALTER TABLE sanctions_entries
            ADD COLUMN keys_plain text[] NOT NULL DEFAULT '{}',
            ADD COLUMN keys_lower text[] NOT NULL DEFAULT '{}',
            ADD COLUMN keys_upper text[] NOT NULL DEFAULT '{}'
        """
    )
    op.execute("ALTER TABLE screenings ADD COLUMN entry_version text")


def downgrade() -> None:
    op.execute("ALTER TABLE screenings DROP COLUMN entry_version")
    op.execute(
        "ALTER TABLE sanctions_entries "
        "DROP COLUMN keys_plain, DROP COLUMN keys_lower, DROP COLUMN keys_upper"
    )
    op.execute("DROP INDEX sanctions_lists_digest")
    op.execute("DROP INDEX sanctions_lists_active")
    op.execute(
        "ALTER TABLE sanctions_lists "
        "DROP COLUMN published, DROP COLUMN keys_version, DROP COLUMN active, "
        "DROP COLUMN activated_at"
    )

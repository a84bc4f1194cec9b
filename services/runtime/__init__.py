"""What every service runs on: settings, logs, broker, database, migrations, outbox and
relay, inbox, dead letters, retries and batch handling.

Import from the modules (`services.runtime.service`, `.handlers`, ...): this package file
stays empty so that `python -m services.runtime.migrate` does not import it twice.
"""

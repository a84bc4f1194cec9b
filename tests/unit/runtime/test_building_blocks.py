"""The runtime's pure parts: settings, retry policy, outbox keys and limits, dead letters,
handler registration and derived ids. No servers."""

from __future__ import annotations

import base64
import uuid
from pathlib import Path
from typing import Any

import pytest

from schemas import MAX_MESSAGE_BYTES, Envelope, Rejected, envelope
from schemas.runtime import DEAD_LETTER_VALUE_CHARS
from schemas.sealed import digest
from schemas.topics import BY_NAME
from services.runtime.access import MissingSecret
from services.runtime.consumer import _dead_letter_of
from services.runtime.handlers import HandlerContext, Subscription
from services.runtime.outbox import OutboxWriter, key_lock
from services.runtime.records import Record
from services.runtime.retry import Backoff
from services.runtime.settings import ServiceSettings

# the environment may name its own template (make exports one with its port)
TEMPLATE = "postgresql://{user}@db:5432/{service}"


def test_settings_derive_database_group_and_dead_letter_topic_from_the_service() -> None:
    settings = ServiceSettings(
        service="issuance", secrets_root="/run/secrets", database_url_template=TEMPLATE
    )
    assert settings.database_url == (
        "postgresql://issuance@db:5432/issuance?passfile=/run/secrets/issuance/pgpass"
    )
    assert settings.consumer_group == "issuance"
    assert settings.dead_letter_topic == "issuance.dlq"


def test_a_tool_logs_in_as_its_principal_and_never_carries_a_password_in_its_url() -> None:
    settings = ServiceSettings(
        service="redemption",
        principal="operator",
        secrets_root="/s",
        database_url_template=TEMPLATE,
    )
    # the operator's read-only login, on the service's database, password from its passfile
    assert settings.database_url == (
        "postgresql://operator@db:5432/redemption?passfile=/s/operator/pgpass"
    )
    assert settings.secrets_dir == "/s/operator"
    explicit = ServiceSettings(service="kyc", database_url="postgresql://u:pw@h:1/d")
    assert explicit.database_url == "postgresql://u:pw@h:1/d"  # a password named is kept


def test_a_principal_without_its_secret_is_told_where_it_was_expected(tmp_path: Path) -> None:
    settings = ServiceSettings(service="kyc", secrets_root=str(tmp_path))
    with pytest.raises(MissingSecret, match=r"kyc's Kafka password is missing: expected in"):
        _ = settings.kafka


def test_the_password_never_shows_in_a_repr(tmp_path: Path) -> None:
    folder = tmp_path / "fx"
    folder.mkdir()
    (folder / "kafka.password").write_text("s3cret-value")
    (folder / "ca.pem").write_text("-")
    access = ServiceSettings(service="fx", secrets_root=str(tmp_path)).kafka
    assert "s3cret-value" not in repr(access)
    assert access.librdkafka_config()["sasl.username"] == "fx"


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CNH_SERVICE", "fx")
    monkeypatch.setenv("CNH_BATCH_MAX_RECORDS", "42")
    settings = ServiceSettings()
    assert (settings.service, settings.batch_max_records) == ("fx", 42)


def test_backoff_grows_exponentially_and_is_capped() -> None:
    backoff = Backoff(initial_s=0.1, max_s=1.0)
    delays = [backoff.next_delay() for _ in range(10)]
    assert 0.05 <= delays[0] <= 0.1
    assert all(0.5 <= d <= 1.0 for d in delays[5:])


def test_key_locks_are_stable_and_tell_topics_and_keys_apart() -> None:
    assert key_lock("a.events", b"k1") == key_lock("a.events", b"k1")
    assert (
        len(
            {
                key_lock("a.events", b"k1"),
                key_lock("a.events", b"k2"),
                key_lock("b.events", b"k1"),
                key_lock("a.events", None),
            }
        )
        == 4
    )
    assert -(2**63) <= key_lock("x", b"y") < 2**63


def _rejected(detail: str = "x") -> Envelope[Any]:
    return envelope(Rejected(reason="r", detail=detail), producer="t", correlation_id=uuid.uuid4())


def test_the_outbox_refuses_a_message_over_the_size_limit_at_write_time() -> None:
    writer = OutboxWriter(connection=None)  # type: ignore[arg-type]  # flush is never reached
    writer.add("t.events", "k", _rejected())
    big = envelope(Rejected(reason="r", detail="d"), producer="t", correlation_id=uuid.uuid4())
    with pytest.raises(ValueError, match="limit"):
        writer.add("t.events", "k", big, max_bytes=100)
    assert len(writer) == 1
    assert MAX_MESSAGE_BYTES >= 64 * 1024


def test_a_dead_letter_keeps_the_original_bytes() -> None:
    record = Record("t.commands", 3, 41, b"key", b"\x00\xffraw", (("h", b"\xfe"),))
    letter = _dead_letter_of(
        record, service="svc", consumer_group="svc", reason="not_json", detail="d", attempts=1
    )
    assert base64.b64decode(letter.value_b64 or "") == b"\x00\xffraw"
    assert base64.b64decode(letter.key_b64 or "") == b"key"
    assert base64.b64decode(letter.headers[0].value_b64) == b"\xfe"
    assert (letter.value_size, letter.truncated) == (5, False)


def test_a_dead_letter_of_a_record_with_a_nul_in_a_header_name_is_still_written() -> None:
    record = Record("t.commands", 3, 41, b"key", b"raw", (("a\x00b", b"v"),))
    letter = _dead_letter_of(
        record, service="svc", consumer_group="svc", reason="not_json", detail="d", attempts=1
    )
    assert letter.headers[0].key == "a\ufffdb"


def test_a_dead_letter_of_a_giant_record_is_cut_and_flagged_never_refused() -> None:
    giant = b"x" * (DEAD_LETTER_VALUE_CHARS)  # base64 of it exceeds the field's bound
    record = Record("t.commands", 0, 0, b"k" * 10_000, giant, tuple(("h", b"v") for _ in range(99)))
    letter = _dead_letter_of(
        record,
        service="svc",
        consumer_group="svc",
        reason="oversize",
        detail="d" * 5_000,
        attempts=1,
    )
    assert letter.truncated
    assert letter.value_size == len(giant)
    assert giant.startswith(base64.b64decode(letter.value_b64 or ""))
    assert len(letter.headers) == 64


def test_a_message_type_has_one_handler_per_subscription() -> None:
    subscription = Subscription("t.commands")

    @subscription.handles(Rejected)
    async def first(ctx: HandlerContext[Rejected], message: Rejected) -> None:
        return None

    with pytest.raises(ValueError, match="already has a handler"):
        subscription.handles(Rejected)(first)


class _RecordingOutbox(OutboxWriter):
    def __init__(self) -> None:
        super().__init__(connection=None)  # type: ignore[arg-type]
        self.added: list[tuple[str, Any, Envelope[Any]]] = []

    def add(self, topic: str, key: Any, env: Envelope[Any], *, max_bytes: int = 0) -> None:
        self.added.append((topic, key, env))


def test_emitted_messages_have_ids_derived_from_their_cause() -> None:
    cause = _rejected()

    def emit() -> list[uuid.UUID]:
        outbox = _RecordingOutbox()
        ctx: HandlerContext[Rejected] = HandlerContext(None, outbox, cause, "svc")  # type: ignore[arg-type]
        ctx.publish("t.events", "k", Rejected(reason="a", detail=""))
        ctx.publish("t.events", "k", Rejected(reason="b", detail=""))
        assert all(env.causation_id == cause.message_id for _, _, env in outbox.added)
        assert all(env.correlation_id == cause.correlation_id for _, _, env in outbox.added)
        return [env.message_id for _, _, env in outbox.added]

    first, second = emit(), emit()
    assert first == second, "a retried transaction emits the very same messages"
    assert len(set(first)) == 2


def test_a_dead_letter_of_a_sensitive_topic_withholds_the_record() -> None:
    value = b'{"full_name": "Alice Wong"}'
    record = Record("kyc.applications", 0, 7, b"key", value, headers=(("x-name", b"Alice Wong"),))
    letter = _dead_letter_of(
        record,
        service="kyc",
        consumer_group="kyc",
        reason="not_json",
        detail="d",
        attempts=1,
        sensitive=True,
    )
    assert letter.value_b64 is None
    assert letter.headers == ()
    assert letter.value_digest == digest(value)
    assert letter.value_size == len(value)
    assert "Alice" not in letter.model_dump_json()
    assert base64.b64encode(b"Alice").decode()[:6] not in letter.model_dump_json()


@pytest.mark.parametrize(
    ("topic", "personal"),
    [
        ("kyc.applications", True),
        ("settlement.bank-notifications", True),
        ("settlement.account-checks", True),
        ("redemption.requests", False),  # ids only: the beneficiary is an account id
        ("settlement.commands", False),
        ("kyc.commands", False),
        ("issuance.commands", False),
    ],
)
def test_a_subscription_to_a_personal_topic_dead_letters_digests(
    topic: str, personal: bool
) -> None:
    assert Subscription(topic).sensitive is personal
    assert BY_NAME[topic].personal is personal


@pytest.mark.parametrize(
    ("topic", "from_outside"),
    [
        ("redemption.requests", True),  # the gateway may send anything, personal data too
        ("fx.rates", True),
        ("kyc.applications", True),
        ("settlement.commands", False),
        ("redemption.replies", False),
    ],
)
def test_a_record_from_outside_that_does_not_decode_is_dead_lettered_as_a_digest(
    topic: str, from_outside: bool
) -> None:
    assert Subscription(topic).from_outside is from_outside

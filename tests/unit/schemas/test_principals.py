"""The principals, the registry's writers and readers, and the ACLs generated from them."""

from __future__ import annotations

from pathlib import Path

from infra.kafka.acls import Grant, grants, markdown_table, plan
from schemas.principals import BY_NAME, OPERATOR, SERVICES
from schemas.topics import TOPICS

ARCHITECTURE = Path(__file__).resolve().parents[3] / "docs" / "ARCHITECTURE.md"


def test_every_writer_and_reader_is_a_principal_and_every_topic_has_a_writer() -> None:
    for topic in TOPICS:
        assert topic.writers, f"{topic.name} has no writer: nobody could use it"
        for name in (*topic.writers, *topic.readers):
            assert name in BY_NAME, f"{topic.name}: {name} is not a principal"


def test_no_outside_producer_writes_a_command_or_reply_topic() -> None:
    outside = {p.name for p in BY_NAME.values() if p.kind == "producer"}
    for topic in TOPICS:
        if topic.role in ("commands", "replies", "events", "dead_letters"):
            assert not outside & set(topic.writers), f"{topic.name} written from outside"


def test_each_service_writes_its_events_and_dead_letters_alone() -> None:
    for topic in TOPICS:
        if topic.role in ("events", "dead_letters"):
            assert topic.writers == (topic.owner,)


def test_grants_follow_the_registry_and_a_namespace_prefixes_every_resource() -> None:
    production = grants()
    assert Grant("gateway", "WRITE", "topic", "redemption.requests") in production
    assert Grant("gateway", "WRITE", "topic", "settlement.commands") not in production
    assert Grant(OPERATOR, "READ", "topic", "kyc.applications") in production
    assert Grant("kyc", "READ", "group", "kyc.", "prefixed") in production
    namespaced = grants("t123")
    assert len(namespaced) == len(production)
    assert all(g.name.startswith("t123.") for g in namespaced)
    assert {g.principal for g in production if g.resource == "group" and g.operation == "READ"} == (
        set(SERVICES)
    )


def test_reconciling_revokes_every_grant_on_its_resources_and_nothing_else() -> None:
    wanted = {Grant("kyc", "READ", "topic", "kyc.commands")}
    drift = {
        Grant("kyc", "WRITE", "topic", "kyc.commands"),  # more than the registry says
        Grant("stranger", "WRITE", "topic", "kyc.commands"),  # someone it never named
    }
    elsewhere = Grant("kyc", "READ", "topic", "someone.elses")  # not the registry's resource
    todo = plan(wanted, {*drift, elsewhere})
    assert todo.missing == frozenset(wanted)
    assert todo.extra == frozenset(drift)


def test_the_documented_acl_table_is_the_registrys() -> None:
    text = ARCHITECTURE.read_text()
    documented = text.split("<!-- acl-table -->\n", 1)[1].split("<!-- /acl-table -->", 1)[0]
    assert documented == markdown_table(), (
        "docs/ARCHITECTURE.md: run python -m infra.kafka.acls --markdown"
    )

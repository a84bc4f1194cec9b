"""Shared message contracts of the CNH stablecoin platform (pydantic v2).

Services share nothing but Kafka topics and this package.
"""

from schemas.compat import check_backward_compatible, load_all_contracts
from schemas.envelope import (
    MAX_MESSAGE_BYTES,
    Codec,
    DecodeError,
    Envelope,
    envelope,
    envelope_model,
    record_headers,
    reply_to,
)
from schemas.ids import derive_id, new_id
from schemas.message import MESSAGE_TYPES, Message, Struct
from schemas.money import (
    EXPONENTS,
    MAX_MINOR_UNITS,
    TOKEN,
    CurrencyCode,
    CurrencyMismatchError,
    MinorUnits,
    Money,
    decimal_to_minor,
    exponent,
    minor_to_decimal,
)
from schemas.rates import CurrencyPair, RateStr, convert, rate_decimal
from schemas.runtime import DeadLetter, Rejected

__all__ = [
    "EXPONENTS",
    "MAX_MESSAGE_BYTES",
    "MAX_MINOR_UNITS",
    "MESSAGE_TYPES",
    "TOKEN",
    "Codec",
    "CurrencyCode",
    "CurrencyMismatchError",
    "CurrencyPair",
    "DeadLetter",
    "DecodeError",
    "Envelope",
    "Message",
    "MinorUnits",
    "Money",
    "RateStr",
    "Rejected",
    "Struct",
    "check_backward_compatible",
    "convert",
    "decimal_to_minor",
    "derive_id",
    "envelope",
    "envelope_model",
    "exponent",
    "load_all_contracts",
    "minor_to_decimal",
    "new_id",
    "rate_decimal",
    "record_headers",
    "reply_to",
]

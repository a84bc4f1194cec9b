"""The run folder's secrets: a CA and the broker's certificate, and one password per principal.

    python -m infra.secrets init      # idempotent: creates what is missing, keeps the rest
    python -m infra.secrets show NAME # where a principal's secrets are (never the secret)

Layout under `<run folder>/secrets/` (folders 0700, secret files 0600), one folder per
principal so that each process can be given its own folder and nothing else, as a
production deployment mounts one secret per service:

    ca.pem                      the CA clients verify the broker with (public)
    ca/ca.key                   the CA's key
    broker/server.pem           the broker's key and certificate chain (PEM keystore)
    broker/kafka.password       the broker's own SCRAM principal (inter-broker listener)
    broker/controller.password  the controller listener's PLAIN login (loopback only)
    <principal>/kafka.password  each Kafka principal's SCRAM password
    <principal>/ca.pem          a copy of the CA certificate
    <principal>/pgpass          each PostgreSQL login's password, in libpq's passfile format
    <service>/seal.keys         each service's private keys that open personal data sealed
                                to it (schemas/sealed.py), newest first
    public/<service>.seal       each service's current public sealing key (public)
    kyc/records.keys            KYC's key ring for personal data at rest (AES-256-GCM)
    bank/api.key                the simulated bank's API key (simulators/bank), and its
    settlement/bank-api.key     copy for settlement, the bank's one client
    chain-*/chain.key, issuance/chain-*.key
                                the issuer's keys on the local chain (owner, master minter,
                                pauser; issuance's minter and blacklister), made by
                                infra/chain/keys.py the same way (0700 folders, 0600 files)

Passwords and keys are random and never printed. `rotate-seal SERVICE` gives a service a new
sealing key (older ones keep opening what was sealed to them; restart the service, then its
producers); `rotate-records` adds a new active key to KYC's at-rest ring (then
`make kyc-reencrypt`, docs/OPERATIONS.md).
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import ipaddress
import os
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from schemas import sealed
from schemas.principals import PRINCIPALS, SERVICES, Principal

CERT_DAYS = 825
BROKER_HOSTS = ("localhost", "127.0.0.1")


@dataclass(frozen=True, slots=True)
class RunSecrets:
    root: Path

    @classmethod
    def of_run_folder(cls, run_dir: Path) -> RunSecrets:
        return cls(run_dir / "secrets")

    @property
    def ca_certificate(self) -> Path:
        return self.root / "ca.pem"

    def folder(self, principal: str) -> Path:
        return self.root / principal

    def init(self) -> list[str]:
        """Create whatever is missing; returns what was created (names, not secrets)."""
        created: list[str] = []
        _private_dir(self.root)
        ca_key, ca_cert = self._ca(created)
        self._broker(ca_key, ca_cert, created)
        for principal in PRINCIPALS:
            self._principal(principal, created)
        _private_dir(self.root / "public")
        (self.root / "public").chmod(0o755)
        for service in SERVICES:
            self._sealing(service, created)
        self._records_keys(created)
        self._bank_api_key(created)
        return created

    def _bank_api_key(self, created: list[str]) -> None:
        key_file = self.folder("bank") / BANK_API_KEY_FILE
        if not key_file.exists():
            write_secret(key_file, _password().encode())
            created.append("bank api key")
        # the client gets a copy in its own folder: a process is given its folder only
        client_copy = self.folder("settlement") / BANK_CLIENT_KEY_FILE
        if not client_copy.exists() or client_copy.read_bytes() != key_file.read_bytes():
            write_secret(client_copy, key_file.read_bytes())

    def _sealing(self, service: str, created: list[str]) -> None:
        keys_file = self.folder(service) / sealed.OPENING_KEYS_FILE
        if keys_file.exists():
            keys = sealed.OpeningKeys.from_text(service, keys_file.read_text())
        else:
            keys = sealed.generate(service)
            write_secret(keys_file, keys.to_text().encode())
            created.append(f"{service} sealing key")
        self._publish(keys)

    def _publish(self, keys: sealed.OpeningKeys) -> None:
        public = sealed.public_key_path(self.root, keys.recipient)
        public.write_text(keys.current.to_text())
        public.chmod(0o644)

    def rotate_sealing(self, service: str) -> str:
        """A new current sealing key for `service`; returns its key id."""
        keys_file = self.folder(service) / sealed.OPENING_KEYS_FILE
        keys = sealed.OpeningKeys.from_text(service, keys_file.read_text()).rotated()
        write_secret(keys_file, keys.to_text().encode())
        self._publish(keys)
        return keys.current.key_id

    @property
    def records_keys(self) -> Path:
        return self.folder("kyc") / RECORDS_KEYS_FILE

    def _records_keys(self, created: list[str]) -> None:
        if not self.records_keys.exists():
            write_secret(self.records_keys, _records_key_line().encode())
            created.append("kyc records key")

    def rotate_records(self) -> str:
        """A new active key first in KYC's at-rest ring (older keys stay, to read old rows)."""
        line = _records_key_line()
        write_secret(self.records_keys, (line + self.records_keys.read_text()).encode())
        return line.split(":", 1)[0]

    def _ca(self, created: list[str]) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
        key_file = self.root / "ca" / "ca.key"
        if key_file.exists() and self.ca_certificate.exists():
            key = serialization.load_pem_private_key(key_file.read_bytes(), None)
            assert isinstance(key, ec.EllipticCurvePrivateKey)
            return key, x509.load_pem_x509_certificate(self.ca_certificate.read_bytes())
        _private_dir(key_file.parent)
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cnh-stablecoin local CA")])
        cert = (
            _builder(name, name, key.public_key())
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .sign(key, hashes.SHA256())
        )
        write_secret(key_file, _private_pem(key))
        self.ca_certificate.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        self.ca_certificate.chmod(0o644)
        created.append("ca")
        return key, cert

    def _broker(
        self, ca_key: ec.EllipticCurvePrivateKey, ca_cert: x509.Certificate, created: list[str]
    ) -> None:
        folder = self.folder("broker")
        _private_dir(folder)
        keystore = folder / "server.pem"
        if not keystore.exists():
            key = ec.generate_private_key(ec.SECP256R1())
            subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kafka broker")])
            names: list[x509.GeneralName] = [x509.DNSName("localhost")]
            names += [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            names += [x509.DNSName(h) for h in _extra_broker_hosts()]
            cert = (
                _builder(subject, ca_cert.subject, key.public_key())
                .add_extension(x509.SubjectAlternativeName(names), critical=False)
                .add_extension(
                    x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
                )
                .sign(ca_key, hashes.SHA256())
            )
            chain = cert.public_bytes(serialization.Encoding.PEM) + ca_cert.public_bytes(
                serialization.Encoding.PEM
            )
            write_secret(keystore, _private_pem(key) + chain)
            created.append("broker certificate")
        for name in ("kafka.password", "controller.password"):
            if not (folder / name).exists():
                write_secret(folder / name, _password().encode())
                created.append(f"broker {name}")

    def _principal(self, principal: Principal, created: list[str]) -> None:
        folder = self.folder(principal.name)
        _private_dir(folder)
        ca_copy = folder / "ca.pem"
        ca_copy.write_bytes(self.ca_certificate.read_bytes())
        ca_copy.chmod(0o644)
        if principal.kafka and not (folder / "kafka.password").exists():
            write_secret(folder / "kafka.password", _password().encode())
            created.append(f"{principal.name} kafka password")
        passfile = folder / "pgpass"
        if principal.postgres_role and not passfile.exists():
            # any host, port and database: the login is what the password belongs to
            line = f"*:*:*:{principal.postgres_role}:{_password()}\n"
            write_secret(passfile, line.encode())
            created.append(f"{principal.name} postgres password")


def _builder(
    subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey
) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=CERT_DAYS))
    )


def _extra_broker_hosts() -> list[str]:
    """Host names the broker certificate also covers (containers name brokers by host)."""
    return [h for h in os.environ.get("CNH_BROKER_HOSTS", "").split(",") if h]


RECORDS_KEYS_FILE = "records.keys"
BANK_API_KEY_FILE = "api.key"
BANK_CLIENT_KEY_FILE = "bank-api.key"


def _records_key_line() -> str:
    """ "<key id>:<base64 of 32 random bytes>", the key ring format KYC reads (first: active)."""
    key = secrets.token_bytes(32)
    kid = "k" + dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S") + "-" + secrets.token_hex(2)
    return f"{kid}:{base64.b64encode(key).decode()}\n"


def _password() -> str:
    return secrets.token_urlsafe(32)


def _private_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    # unencrypted PKCS#8: what Kafka's PEM keystore reads without a key password
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _private_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)


def write_secret(path: Path, data: bytes) -> None:
    # created 0600 from the start: a secret is never readable by others, not even briefly
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(data)
    path.chmod(0o600)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("command", choices=["init", "show", "rotate-seal", "rotate-records"])
    parser.add_argument("name", nargs="?")
    parser.add_argument("--run-dir", default=os.environ.get("RUN_DIR", ".run"))
    args = parser.parse_args()
    run_secrets = RunSecrets.of_run_folder(Path(args.run_dir).resolve())
    if args.command == "init":
        created = run_secrets.init()
        if created:
            print(f"secrets: created {', '.join(created)} in {run_secrets.root}")
        return
    if args.command == "rotate-records":
        print(f"secrets: kyc records key {run_secrets.rotate_records()} is now active")
        return
    if not args.name:
        sys.exit(f"usage: python -m infra.secrets {args.command} NAME")
    if args.command == "rotate-seal":
        if args.name not in SERVICES:
            sys.exit(f"{args.name!r} is not a service: only services have sealing keys")
        print(f"secrets: {args.name} seals with key {run_secrets.rotate_sealing(args.name)} now")
        return
    print(run_secrets.folder(args.name))


if __name__ == "__main__":
    main()

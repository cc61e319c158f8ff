"""Envelope encryption: a KMS data key per subject, AES-256-GCM per field.

Each (tenant, subject) gets its own 256-bit data key from KMS ``GenerateDataKey`` with the
encryption context ``{tenant, subject}``; only the wrapped (KMS-encrypted) copy is stored,
in the service's key table. Every field is sealed with AES-GCM under that key, with the
encryption context ``tenant|subject|field`` as associated data, so a ciphertext moved to
another subject or field does not decrypt. Unwrapped keys live in a bounded cache.
Deleting a subject's key crypto-shreds every field ever encrypted for it.
"""

from __future__ import annotations

import base64
import os
import threading
from collections.abc import Callable
from typing import Any, Protocol

from cachetools import TTLCache
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pynamodb.attributes import BinaryAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist, PutError
from pynamodb.models import Model

from lift_core.clock import utc_now
from lift_core.config import LiftSettings

_VERSION = "v1"


class SubjectErased(Exception):
    """The subject's key was deleted (crypto-shredded): its data cannot be read."""


class TamperedCiphertext(Exception):
    """The ciphertext does not authenticate for this tenant, subject and field."""


class DataKeyRecord(Model):
    class Meta:
        table_name = "keys"

    key_id = UnicodeAttribute(hash_key=True)  # "<tenant>#<subject>"
    wrapped = BinaryAttribute(legacy_encoding=False)
    kms_key_id = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()


class EnvelopeCipher:
    """Encrypts and decrypts fields of one service's subjects (patients, customers...)."""

    def __init__(
        self,
        model: type[DataKeyRecord],
        *,
        kms_client: Any,
        kms_key_id: str,
        cache_size: int = 1024,
        cache_seconds: float = 300,
    ) -> None:
        self.model = model
        self.kms = kms_client  # a botocore "kms" client (lift_core.dynamo), injected
        self.kms_key_id = kms_key_id
        self._keys: TTLCache[str, bytes] = TTLCache(maxsize=cache_size, ttl=cache_seconds)
        self._lock = threading.Lock()

    def encrypt(self, tenant: str, subject: str, field: str, plaintext: str) -> str:
        return _seal(
            self._data_key(tenant, subject, create=True), tenant, subject, field, plaintext
        )

    def decrypt(self, tenant: str, subject: str, field: str, token: str) -> str:
        return _open(
            token, tenant, subject, field, lambda: self._data_key(tenant, subject, create=False)
        )

    def shred(self, tenant: str, subject: str) -> None:
        """Delete the subject's key: every field encrypted for it becomes unreadable."""
        key_id = f"{tenant}#{subject}"
        self.model(key_id).delete()
        with self._lock:
            self._keys.pop(key_id, None)

    def _data_key(self, tenant: str, subject: str, *, create: bool) -> bytes:
        key_id = f"{tenant}#{subject}"
        cached = self._keys.get(key_id)
        if cached is not None:
            return cached
        context = {"tenant": tenant, "subject": subject}
        try:
            record = self.model.get(key_id, consistent_read=True)
        except DoesNotExist:
            if not create:
                raise SubjectErased(f"no key for subject {subject!r}") from None
            record = self._create(key_id, context)
        plaintext = self.kms.decrypt(
            CiphertextBlob=record.wrapped, EncryptionContext=context, KeyId=record.kms_key_id
        )["Plaintext"]
        with self._lock:
            self._keys[key_id] = plaintext
        return bytes(plaintext)

    def _create(self, key_id: str, context: dict[str, str]) -> DataKeyRecord:
        generated = self.kms.generate_data_key(
            KeyId=self.kms_key_id, KeySpec="AES_256", EncryptionContext=context
        )
        record = self.model(
            key_id,
            wrapped=generated["CiphertextBlob"],
            kms_key_id=self.kms_key_id,
            created_at=utc_now(),
        )
        try:
            record.save(condition=self.model.key_id.does_not_exist())
        except PutError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
            return self.model.get(key_id, consistent_read=True)  # another writer won the race
        return record


def _aad(tenant: str, subject: str, field: str) -> bytes:
    return f"{tenant}|{subject}|{field}".encode()


def _seal(key: bytes, tenant: str, subject: str, field: str, plaintext: str) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode(), _aad(tenant, subject, field))
    return f"{_VERSION}:{base64.b64encode(nonce + sealed).decode()}"


def _open(token: str, tenant: str, subject: str, field: str, key: Callable[[], bytes]) -> str:
    version, _, payload = token.partition(":")
    if version != _VERSION:
        raise TamperedCiphertext(f"unknown ciphertext version {version!r}")
    raw = base64.b64decode(payload)
    try:
        plain = AESGCM(key()).decrypt(raw[:12], raw[12:], _aad(tenant, subject, field))
    except InvalidTag as exc:
        raise TamperedCiphertext(f"{field} does not authenticate") from exc
    return plain.decode()


class FieldCipher(Protocol):
    """What use cases need to protect a subject's fields; ``EnvelopeCipher`` in production."""

    def encrypt(self, tenant: str, subject: str, field: str, plaintext: str) -> str: ...

    def decrypt(self, tenant: str, subject: str, field: str, token: str) -> str:
        """Raises ``SubjectErased`` once the subject's key is shredded."""
        ...

    def shred(self, tenant: str, subject: str) -> None: ...


class InMemoryCipher:
    """The same sealing with each subject's data key held in memory (unit tests)."""

    def __init__(self) -> None:
        self.keys: dict[tuple[str, str], bytes] = {}

    def encrypt(self, tenant: str, subject: str, field: str, plaintext: str) -> str:
        key = self.keys.setdefault((tenant, subject), AESGCM.generate_key(bit_length=256))
        return _seal(key, tenant, subject, field, plaintext)

    def decrypt(self, tenant: str, subject: str, field: str, token: str) -> str:
        return _open(token, tenant, subject, field, lambda: self._key(tenant, subject))

    def shred(self, tenant: str, subject: str) -> None:
        self.keys.pop((tenant, subject), None)

    def _key(self, tenant: str, subject: str) -> bytes:
        try:
            return self.keys[(tenant, subject)]
        except KeyError:
            raise SubjectErased(f"no key for subject {subject!r}") from None


class KmsKeyRequired(RuntimeError):
    """No ``LIFT_KMS_KEY_ID`` outside dev/test (dev creates one on the emulator)."""


def cipher_from_settings(settings: LiftSettings, model: type[DataKeyRecord]) -> EnvelopeCipher:
    """The service's cipher: a KMS client at the configured endpoint and the configured key.

    In dev/test without ``LIFT_KMS_KEY_ID`` the key aliased ``alias/<service>`` is found or
    created on the emulator, so a fresh ``make run`` needs no setup.
    """
    from lift_core.dynamo import LazyAwsClient

    kms = LazyAwsClient("kms", settings)  # made by the first field sealed or opened
    key_id = settings.kms_key_id
    if key_id is None:
        if not (settings.is_dev and settings.dynamodb_endpoint):
            raise KmsKeyRequired("set LIFT_KMS_KEY_ID to the service's KMS key")
        alias = f"alias/{settings.service_name}"
        try:
            key_id = kms.describe_key(KeyId=alias)["KeyMetadata"]["KeyId"]
        except kms.exceptions.NotFoundException:
            key_id = kms.create_key(Description=f"lift {settings.service_name} (dev)")[
                "KeyMetadata"
            ]["KeyId"]
            kms.create_alias(AliasName=alias, TargetKeyId=key_id)
    return EnvelopeCipher(
        model, kms_client=kms, kms_key_id=key_id, cache_size=settings.data_key_cache_size
    )

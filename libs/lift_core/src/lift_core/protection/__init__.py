"""Data protection: field classification, masking, envelope encryption, blind indexes."""

from lift_core.protection.blind_index import BlindIndex
from lift_core.protection.classification import (
    Classification,
    Classified,
    classified_fields,
    register_classified,
)
from lift_core.protection.envelope import (
    DataKeyRecord,
    EnvelopeCipher,
    FieldCipher,
    InMemoryCipher,
    KmsKeyRequired,
    SubjectErased,
    cipher_from_settings,
)
from lift_core.protection.masking import mask_email, mask_full, mask_last_four
from lift_core.protection.shaping import shape

__all__ = [
    "BlindIndex",
    "Classification",
    "Classified",
    "DataKeyRecord",
    "EnvelopeCipher",
    "FieldCipher",
    "InMemoryCipher",
    "KmsKeyRequired",
    "SubjectErased",
    "cipher_from_settings",
    "classified_fields",
    "mask_email",
    "mask_full",
    "mask_last_four",
    "register_classified",
    "shape",
]

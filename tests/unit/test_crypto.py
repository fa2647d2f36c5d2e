import base64
import datetime as dt

import pytest
from django.db import connection

from tests import factories
from weijian.core import crypto
from weijian.workforce.idnumber import make_id_number
from weijian.workforce.models import Worker

KEY_OLD = base64.b64encode(b"o" * 16).decode()
KEY_NEW = base64.b64encode(b"n" * 16).decode()


@pytest.fixture
def keys(settings):
    def use(keys: str, cipher="SM4-GCM", blind="HMAC-SM3"):
        settings.FIELD_ENCRYPTION = {"cipher": cipher, "keys": keys, "blind_index_hash": blind,
                                     "blind_index_key": base64.b64encode(b"b" * 32).decode()}
        crypto.reset_keyring()

    yield use
    crypto.reset_keyring()


@pytest.mark.parametrize("cipher", ["SM4-GCM", "AES-GCM"])
def test_round_trip_and_randomised(keys, cipher):
    keys(f"k1:{KEY_OLD}" if cipher == "SM4-GCM" else f"k1:{base64.b64encode(b'a' * 32).decode()}", cipher)
    one, two = crypto.encrypt("510104198506150375"), crypto.encrypt("510104198506150375")
    assert one != two  # random nonce
    assert one.startswith(f"v1${cipher}$k1$")
    assert "510104198506150375" not in one
    assert crypto.decrypt(one) == "510104198506150375"


def test_tampered_ciphertext_is_refused(keys):
    keys(f"k1:{KEY_OLD}")
    token = crypto.encrypt("secret")
    head, body = token.rsplit("$", 1)
    raw = bytearray(base64.b64decode(body))
    raw[-1] ^= 1
    with pytest.raises(Exception):  # noqa: B017 - cryptography raises InvalidTag
        crypto.decrypt(head + "$" + base64.b64encode(bytes(raw)).decode())


def test_rotation_keeps_old_values_readable(keys):
    keys(f"k1:{KEY_OLD}")
    old = crypto.encrypt("value")
    keys(f"k2:{KEY_NEW},k1:{KEY_OLD}")
    assert crypto.decrypt(old) == "value"
    assert crypto.needs_rotation(old)
    new = crypto.encrypt("value")
    assert new.startswith("v1$SM4-GCM$k2$") and not crypto.needs_rotation(new)


@pytest.mark.parametrize("cipher", ["SM4-GCM", "AES-GCM"])
def test_files_are_sealed_as_binary_and_earlier_text_files_still_open(keys, cipher):
    keys(f"k1:{KEY_OLD}" if cipher == "SM4-GCM" else f"k1:{base64.b64encode(b'a' * 32).decode()}", cipher)
    data = bytes(range(256)) * 40 + "身份证号 510104198506150375\n".encode()
    sealed = crypto.encrypt_bytes(data)
    assert sealed.startswith(f"wjf1${cipher}$k1$".encode())
    assert len(sealed) < len(data) + 64  # no base64: the ciphertext is as long as the file
    assert b"510104198506150375" not in sealed and sealed != crypto.encrypt_bytes(data)
    assert crypto.decrypt_bytes(sealed) == data
    # A file sealed by an earlier version (base64 text, like the fields) still opens.
    earlier = crypto.encrypt(base64.b64encode(data).decode()).encode()
    assert crypto.decrypt_bytes(earlier) == data
    # Tampering is refused.
    broken = bytearray(sealed)
    broken[-1] ^= 1
    with pytest.raises(Exception):  # noqa: B017 - cryptography raises InvalidTag
        crypto.decrypt_bytes(bytes(broken))


def test_files_sealed_before_a_key_rotation_still_open(keys):
    keys(f"k1:{KEY_OLD}")
    old = crypto.encrypt_bytes(b"upload")
    keys(f"k2:{KEY_NEW},k1:{KEY_OLD}")
    assert crypto.decrypt_bytes(old) == b"upload"
    assert crypto.encrypt_bytes(b"upload").startswith(b"wjf1$SM4-GCM$k2$")


@pytest.mark.parametrize(("blind", "length"), [("HMAC-SM3", 64), ("HMAC-SHA256", 64)])
def test_blind_index_is_keyed_and_purpose_separated(keys, blind, length):
    keys(f"k1:{KEY_OLD}", blind=blind)
    a = crypto.blind_index("510104198506150375", purpose="worker")
    assert a == crypto.blind_index("510104198506150375", purpose="worker")
    assert a != crypto.blind_index("510104198506150375", purpose="patient")
    assert len(a) == length


def test_blind_index_is_hmac_sm3_of_purpose_and_value(keys):
    import hashlib
    import hmac as std_hmac

    from cryptography.hazmat.primitives import hashes, hmac

    keys(f"k1:{KEY_OLD}")
    mac = hmac.HMAC(b"b" * 32, hashes.SM3())
    mac.update(b"worker:110105194912310029")
    assert crypto.blind_index("110105194912310029", purpose="worker") == mac.finalize().hex()
    keys(f"k1:{KEY_OLD}", blind="HMAC-SHA256")
    expected = std_hmac.new(b"b" * 32, b"worker:110105194912310029", hashlib.sha256).hexdigest()
    assert crypto.blind_index("110105194912310029", purpose="worker") == expected


def test_worker_id_number_is_not_stored_in_clear(world):
    id_no = make_id_number("510104", dt.date(1985, 6, 15), 37)
    worker = factories.worker(actor=world.user("commission_info"), institution=world.inst_a1, id_no=id_no)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM workforce_worker WHERE id = %s", [worker.pk])
        row = " ".join(str(v) for v in cursor.fetchone())
    assert id_no not in row
    assert Worker.objects.get(pk=worker.pk).id_number_masked == id_no[:4] + "*" * 10 + id_no[-4:]

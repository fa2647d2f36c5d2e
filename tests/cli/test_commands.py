"""The `weijian` commands: createadmin, rotate-keys, generate-demo, demo, the CLI entry point."""

import base64
import functools
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests import factories
from tests.conftest import build_world
from weijian import cli
from weijian.accounts.models import User
from weijian.accounts.roles import ADMIN_ROLES
from weijian.audit.models import AuditEvent
from weijian.core import crypto
from weijian.demo import generate_city
from weijian.orgs.models import Institution
from weijian.workforce.models import Worker

ADMIN_PASSWORDS = dict(system_password="Sys-Admin-2026!", security_password="Sec-Admin-2026!",
                       audit_password="Aud-Admin-2026!")


def run(name, *args, **options) -> str:
    out = io.StringIO()
    call_command(name, *args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


# ---- createadmin ---------------------------------------------------------------------------

def test_createadmin_creates_three_separated_administrators(db):
    out = run("createadmin", **ADMIN_PASSWORDS)
    admins = {u.username: u.role for u in User.objects.filter(role__in=ADMIN_ROLES)}
    assert admins == {"system_admin": "system_admin", "security_admin": "security_admin",
                      "audit_admin": "audit_admin"}
    assert not User.objects.filter(is_superuser=True).exists()
    assert User.objects.get(username="audit_admin").check_password("Aud-Admin-2026!")
    assert AuditEvent.objects.filter(action="create", entity="account").count() == 3
    assert "双因素" in out


def test_createadmin_refuses_when_administrators_exist(db):
    run("createadmin", **ADMIN_PASSWORDS)
    with pytest.raises(CommandError, match="三员账户已存在"):
        run("createadmin", system_username="sys2", security_username="sec2", audit_username="aud2",
            **ADMIN_PASSWORDS)
    assert User.objects.filter(role__in=ADMIN_ROLES).count() == 3


def test_createadmin_validates_passwords_and_writes_nothing_on_error(db):
    with pytest.raises(CommandError, match="密码不符合要求"):
        run("createadmin", **{**ADMIN_PASSWORDS, "security_password": "short"})
    with pytest.raises(CommandError, match="密码不得相同"):
        run("createadmin", system_password="Same-Passw0rd!", security_password="Same-Passw0rd!",
            audit_password="Aud-Admin-2026!")
    assert not User.objects.exists()


def test_createadmin_without_password_and_without_terminal_fails(db, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with pytest.raises(CommandError, match="非交互运行时须提供"):
        run("createadmin", system_password="Sys-Admin-2026!", security_password="Sec-Admin-2026!")
    assert not User.objects.exists()


# ---- rotate-keys ---------------------------------------------------------------------------

OLD = "old:" + base64.b64encode(b"o" * 16).decode()
NEW = "new:" + base64.b64encode(b"n" * 16).decode()


@pytest.fixture
def use_keys(settings):
    def use(keys: str):
        settings.FIELD_ENCRYPTION = {**settings.FIELD_ENCRYPTION, "keys": keys,
                                     "blind_index_key": base64.b64encode(b"b" * 32).decode()}
        crypto.reset_keyring()

    yield use
    crypto.reset_keyring()


@pytest.fixture
def old_world(db, use_keys):
    """The test world written under the key "old"."""
    use_keys(OLD)
    return build_world()


def test_rotate_keys_dry_run_counts_and_apply_reencrypts(old_world, use_keys):
    world = old_world
    info = world.user("commission_info")
    workers = [factories.worker(actor=info, institution=world.inst_a1) for _ in range(3)]
    workers += [world.worker_a1, world.worker_a2, world.worker_b1]
    plain = {w.pk: crypto.decrypt(w.id_number_encrypted) for w in workers}
    User.objects.filter(pk=info.pk).update(totp_secret=crypto.encrypt("JBSWY3DPEHPK3PXP"))

    use_keys(f"{NEW},{OLD}")
    before = dict(Worker.objects.filter(pk__in=plain).values_list("pk", "id_number_encrypted"))
    out = run("rotate_keys")
    assert "workforce.Worker.id_number_encrypted: 6 待重新加密" in out
    assert "accounts.User.totp_secret: 1 待重新加密" in out
    assert dict(Worker.objects.filter(pk__in=plain).values_list("pk", "id_number_encrypted")) == before
    assert not AuditEvent.objects.filter(action="key-rotate").exists()

    out = run("rotate_keys", apply=True, batch_size=4)
    assert "workforce.Worker.id_number_encrypted: 6 已重新加密" in out
    for worker in Worker.objects.filter(pk__in=plain):
        assert worker.id_number_encrypted.split("$")[2] == "new"
        assert crypto.decrypt(worker.id_number_encrypted) == plain[worker.pk]
    info.refresh_from_db()
    assert crypto.decrypt(info.totp_secret) == "JBSWY3DPEHPK3PXP" and "$new$" in info.totp_secret
    events = AuditEvent.objects.filter(action="key-rotate")
    assert events.filter(entity="worker").count() == 2  # batches of 4: 4 + 2 rows
    assert events.filter(entity="account").count() == 1
    assert all(e.channel == "cli" for e in events)
    assert sum(e.after["rows"] for e in events.filter(entity="worker")) == 6

    # Nothing left: the old key can go.
    use_keys(NEW)
    out = run("rotate_keys", apply=True)
    assert "workforce.Worker.id_number_encrypted: 0" in out
    assert all(crypto.decrypt(w.id_number_encrypted) == plain[w.pk] for w in Worker.objects.filter(pk__in=plain))


def test_rotate_keys_explains_a_missing_old_key(old_world, use_keys):
    use_keys(NEW)
    with pytest.raises(CommandError, match="不在 WEIJIAN_FIELD_KEYS 中"):
        run("rotate_keys", apply=True)


def test_rotate_keys_as_user_is_audited_under_that_account(old_world, use_keys):
    world = old_world
    use_keys(f"{NEW},{OLD}")
    run("rotate_keys", apply=True, as_user="security_admin")
    assert AuditEvent.objects.filter(action="key-rotate", actor=world.user("security_admin")).exists()
    with pytest.raises(CommandError, match="不存在或已停用"):
        run("rotate_keys", as_user="nobody")


# ---- generate-demo and demo ----------------------------------------------------------------

@pytest.fixture
def demo_mode(settings):
    settings.DEMO_MODE = True


def test_demo_commands_refuse_outside_demo_mode(db, settings):
    settings.DEMO_MODE, settings.DEBUG = False, False
    with pytest.raises(CommandError, match="演示模式"):
        run("generate_demo", workers=5)
    with pytest.raises(CommandError, match="演示模式"):
        run("demo", no_serve=True)
    assert not User.objects.exists() and not Institution.objects.exists()


def test_generate_demo_small_city_and_rerun(db, demo_mode):
    out = run("generate_demo", workers=60, institutions=25)
    assert "+25 institutions" in out and "+60 workers" in out and "+10 accounts" in out
    assert Worker.objects.count() == 60
    out = run("generate_demo", workers=60, institutions=25)
    assert "+0 institutions" in out and "+0 workers (60 already present)" in out


def test_demo_sets_up_and_prints_logins_without_serving(db, demo_mode, monkeypatch, tmp_path, settings):
    settings.STATIC_ROOT = tmp_path / "static"
    monkeypatch.setattr("weijian.web.management.commands.demo.generate_city",
                        functools.partial(generate_city, workers=30, institutions=25))
    out = run("demo", no_serve=True)
    assert "生成演示城市" in out and "district_jinjiang" in out and "Weijian#2026" in out
    assert Institution.objects.count() == 25 and (tmp_path / "static" / "weijian" / "app.css").exists()
    out = run("demo", no_serve=True)  # second time: the city is kept
    assert "跳过生成" in out and Institution.objects.count() == 25


# ---- the CLI entry point -------------------------------------------------------------------

def test_cli_maps_subcommands_and_sets_demo_mode(monkeypatch, capsys):
    seen = []
    monkeypatch.setattr(cli, "_django", seen.append)
    monkeypatch.delenv("WEIJIAN_DEMO_MODE", raising=False)
    cli.main(["generate-demo", "--workers", "5"])
    cli.main(["rotate-keys", "--apply"])
    cli.main(["import", "workers", "a.xlsx"])
    cli.main(["migrate"])
    assert seen == [["generate_demo", "--workers", "5"], ["rotate_keys", "--apply"],
                    ["import_file", "workers", "a.xlsx"], ["migrate"]]
    import os

    assert "WEIJIAN_DEMO_MODE" not in os.environ
    cli.main(["demo", "--port", "9000"])
    assert seen[-1] == ["demo", "--port", "9000"] and os.environ["WEIJIAN_DEMO_MODE"] == "1"
    cli.main([])
    assert "weijian demo" in capsys.readouterr().out

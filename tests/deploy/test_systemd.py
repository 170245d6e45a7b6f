"""The VM install: systemd units that run the deploy/bin scripts as a dedicated, confined
user, the environment file that explains every setting, and appio-admin."""

from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import TEST_SECRET_KEY

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "deploy" / "systemd"
INSTALL_DIR = "/opt/io-flussi"  # where the README puts the checkout
ENV_EXAMPLE = UNITS / "io-flussi.env.example"
UNIT_NAMES = [
    "io-flussi-api.service",
    "io-flussi-init.service",
    "io-flussi-web.service",
    "io-flussi-worker@.service",
]
LONG_RUNNING = ["io-flussi-web.service", "io-flussi-api.service", "io-flussi-worker@.service"]


def unit(name: str) -> configparser.ConfigParser:
    # systemd units are INI files; a key may repeat in systemd, hence strict=False.
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keep case
    parser.read_string((UNITS / name).read_text(), source=name)
    return parser


def example_settings() -> dict[str, str]:
    settings = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line and not line.startswith("#"):
            assert re.fullmatch(r"[A-Z][A-Z0-9_]*=\S*", line), f"not KEY=value: {line!r}"
            key, _, value = line.partition("=")
            settings[key] = value
    return settings


def test_the_units_are_the_init_web_api_and_a_worker_template() -> None:
    assert sorted(p.name for p in UNITS.glob("*.service")) == UNIT_NAMES


@pytest.mark.parametrize("name", UNIT_NAMES)
def test_each_unit_runs_a_script_of_the_repository_as_the_dedicated_user(name: str) -> None:
    service = unit(name)["Service"]
    assert service["User"] == service["Group"] == "io-flussi"
    assert service["EnvironmentFile"] == "/etc/io-flussi/io-flussi.env"
    assert service["WorkingDirectory"] == INSTALL_DIR
    command = service["ExecStart"]
    assert command.startswith(f"{INSTALL_DIR}/deploy/bin/")
    script = ROOT / command.removeprefix(f"{INSTALL_DIR}/")
    assert script.is_file() and os.access(script, os.X_OK), f"{script} is not executable"


@pytest.mark.parametrize("name", UNIT_NAMES)
def test_each_unit_is_confined_to_its_data_directory(name: str) -> None:
    service = unit(name)["Service"]
    assert service["NoNewPrivileges"] == "yes"
    assert service["ProtectSystem"] == "strict"
    assert service["PrivateTmp"] == "yes"
    assert service["ProtectHome"] == "yes"
    data_dir = example_settings()["APPIO_DATA_DIR"]
    assert service["ReadWritePaths"] == data_dir
    assert f"/var/lib/{service['StateDirectory']}" == data_dir


@pytest.mark.parametrize("name", LONG_RUNNING)
def test_the_long_running_units_restart_and_wait_for_the_migrations(name: str) -> None:
    parsed = unit(name)
    assert parsed["Service"]["Restart"] == "on-failure"
    assert parsed["Unit"]["Requires"] == "io-flussi-init.service"
    assert "io-flussi-init.service" in parsed["Unit"]["After"].split()
    assert parsed["Install"]["WantedBy"] == "multi-user.target"


def test_init_runs_once_per_boot_and_the_web_app_leaves_sending_to_the_workers() -> None:
    init = unit("io-flussi-init.service")["Service"]
    assert (init["Type"], init["RemainAfterExit"]) == ("oneshot", "yes")
    web = unit("io-flussi-web.service")["Service"]
    assert web["Environment"] == "APPIO_START_WORKER=0"
    # Time for the worker to finish the sends in flight (IO's read timeout is 30 s).
    worker = unit("io-flussi-worker@.service")["Service"]
    assert int(worker["TimeoutStopSec"].removesuffix("s")) >= 45


def test_the_api_listens_on_loopback_unless_the_environment_file_says_otherwise() -> None:
    api = unit("io-flussi-api.service")["Service"]
    assert api["Environment"] == "APPIO_API_HOST=127.0.0.1"
    settings = example_settings()
    assert (settings["APPIO_API_HOST"], settings["APPIO_API_PORT"]) == ("127.0.0.1", "8502")


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_systemd_analyze_verifies_the_units(tmp_path: Path) -> None:
    # The units point at /opt/io-flussi; verify checks that ExecStart exists, so point
    # them at this checkout. The template is verified through an instance of it.
    for name in UNIT_NAMES:
        text = (UNITS / name).read_text().replace(INSTALL_DIR, str(ROOT))
        (tmp_path / name).write_text(text)
    (tmp_path / "io-flussi-worker@1.service").symlink_to("io-flussi-worker@.service")
    names = [
        "io-flussi-init.service",
        "io-flussi-web.service",
        "io-flussi-api.service",
        "io-flussi-worker@1.service",
    ]
    done = subprocess.run(
        ["systemd-analyze", "verify", *names],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    # verify exits 0 on unknown keys and bad values, but says so: any output is a problem.
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


def _settings_read_by_the_code() -> set[str]:
    names = set()
    for path in [*(ROOT / "appio_core").rglob("*.py"), *(ROOT / "appio_ui").rglob("*.py")]:
        names.update(re.findall(r"\"(APPIO_[A-Z0-9_]+)\"", path.read_text()))
    return names


def test_the_environment_file_explains_every_setting_the_code_reads() -> None:
    text = ENV_EXAMPLE.read_text()
    read = _settings_read_by_the_code()
    assert {"APPIO_DATABASE_URL", "APPIO_WORKER_BATCH_SIZE"} <= read  # the scan works
    missing = sorted(n for n in read if not re.search(rf"^#?{n}=", text, re.MULTILINE))
    assert missing == [], f"document these in {ENV_EXAMPLE.name}: {missing}"
    # Every setting, or group of settings, comes right after its explanation.
    lines = text.splitlines()
    setting = re.compile(r"#?[A-Z][A-Z0-9_]*=")
    for i, line in enumerate(lines):
        if setting.match(line):
            above = i - 1
            while setting.match(lines[above]):
                above -= 1
            assert lines[above].startswith("# "), f"no explanation above {line!r}"


def test_the_environment_file_keeps_secrets_in_files() -> None:
    settings = example_settings()
    assert settings["APPIO_SECRET_KEY_FILE"].startswith("/etc/io-flussi/")
    assert settings["APPIO_DATABASE_URL_FILE"].startswith("/etc/io-flussi/")
    assert "APPIO_SECRET_KEY" not in settings and "APPIO_DATABASE_URL" not in settings


@pytest.mark.skipif(os.geteuid() != 0, reason="runuser needs root (CI runs as root)")
def test_appio_admin_runs_appio_with_the_units_settings(db_url: str, tmp_path: Path) -> None:
    (tmp_path / "secret_key").write_text(TEST_SECRET_KEY + "\n")
    (tmp_path / "database_url").write_text(db_url + "\n")
    env_file = tmp_path / "io-flussi.env"
    env_file.write_text(
        f"APPIO_SECRET_KEY_FILE={tmp_path / 'secret_key'}\n"
        f"APPIO_DATABASE_URL_FILE={tmp_path / 'database_url'}\n"
        f"APPIO_DATA_DIR={tmp_path / 'data'}\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("APPIO_")}
    env.update(APPIO_ENV_FILE=str(env_file), APPIO_SERVICE_USER="root")
    admin = ROOT / "deploy" / "bin" / "appio-admin"
    done = subprocess.run(
        [admin, "health"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "OK: Migrazioni del database aggiornate." in done.stdout
    env["APPIO_ENV_FILE"] = str(tmp_path / "missing.env")
    missing = subprocess.run([admin, "health"], env=env, capture_output=True, text=True)
    assert missing.returncode == 1
    assert missing.stderr == (
        f"Errore: non trovo il file di configurazione {tmp_path / 'missing.env'} "
        "(APPIO_ENV_FILE).\n"
    )

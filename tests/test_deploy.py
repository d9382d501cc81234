"""The deploy files say what the code does: render.yaml, docker-compose.yml, the Dockerfile and the entrypoint.

Every command they run exists (manage.py commands, entrypoint roles, the ASGI app, the beat scheduler), every
environment variable they set is one the settings read, secrets are never committed, and the blueprint's
environment passes ``check --deploy --fail-level WARNING``. Docker itself is not needed (the image was not built
on the test machine); when ``docker compose`` is installed its own ``config`` check runs too.
"""

from __future__ import annotations

import base64
import importlib
import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from django.core.management import get_commands
from django.test import Client, override_settings

ROOT = Path(__file__).resolve().parent.parent
SETTINGS_SOURCE = (ROOT / "coresync" / "settings.py").read_text()
ENTRYPOINT = ROOT / "deploy" / "entrypoint.sh"
# Read by the platform or a library, not by coresync/settings.py.
PLATFORM = {"PYTHON_VERSION"}  # Render's Python runtime picks its version from it
LIBRARY = {"PROMETHEUS_MULTIPROC_DIR"}  # prometheus-client (multi-process counters); the entrypoint creates it
# Settings of the same wave (issue 16) built on other branches: PII at rest, observability. Allowed while absent.

SECRET_NAME = re.compile(r"(SECRET|_KEY|KEYS|TOKEN|PASSWORD|DSN)(_|$)")


def _load(name: str) -> dict:
    return yaml.safe_load((ROOT / name).read_text())


def read_by_settings(name: str) -> bool:
    return bool(
        re.search(rf"""(env|env_bool|env_int|env_list|os\.environ\.get)\(\s*["']{re.escape(name)}["']""", SETTINGS_SOURCE)
    )


def _unknown(keys) -> set[str]:
    return {key for key in keys if not read_by_settings(key) and key not in PLATFORM | LIBRARY}


def _roles() -> set[str]:
    return set(re.findall(r"^\s{4}([a-z]+)\)$", ENTRYPOINT.read_text(), re.M))


def _code(text: str) -> str:
    """Without comment lines (they name commands in prose)."""
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


def _manage_commands(text: str) -> set[str]:
    return set(re.findall(r"manage\.py\s+([a-z_]+)", _code(text)))


# --- render.yaml ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def blueprint() -> dict:
    return _load("render.yaml")


def _services(blueprint, kind=None) -> list[dict]:
    return [s for s in blueprint["services"] if kind is None or s["type"] == kind]


def _env(service: dict, blueprint: dict) -> list[dict]:
    """The service's variables, its groups' included."""
    groups = {g["name"]: g["envVars"] for g in blueprint.get("envVarGroups", [])}
    found = []
    for entry in service.get("envVars", []):
        found.extend(groups[entry["fromGroup"]] if "fromGroup" in entry else [entry])
    return found


def test_the_blueprint_has_web_worker_beat_redis_and_postgres(blueprint):
    (web,) = _services(blueprint, "web")
    workers = {s["name"]: s for s in _services(blueprint, "worker")}
    (keyvalue,) = _services(blueprint, "keyvalue")
    (database,) = blueprint["databases"]
    assert web["runtime"] == "python" and web["healthCheckPath"] == "/healthz"
    assert web["startCommand"] == "./deploy/entrypoint.sh web"
    assert web["preDeployCommand"] == "./deploy/entrypoint.sh release"  # checks + migrate before new code serves
    assert "pip install -r requirements.txt" in web["buildCommand"] and "manage.py collectstatic --noinput" in web["buildCommand"]
    assert {s["startCommand"] for s in workers.values()} == {"./deploy/entrypoint.sh worker", "./deploy/entrypoint.sh beat"}
    assert keyvalue["maxmemoryPolicy"] == "noeviction" and keyvalue["ipAllowList"] == []  # a broker never evicts
    # Every reference points at something the blueprint declares.
    declared = {("keyvalue", keyvalue["name"])}
    for service in _services(blueprint):
        for entry in service.get("envVars", []):
            if "fromDatabase" in entry:
                assert entry["fromDatabase"] == {"name": database["name"], "property": "connectionString"}
            if "fromService" in entry:
                source = entry["fromService"]
                assert (source["type"], source["name"]) in declared and source["property"] == "connectionString"
    for service in [web, *workers.values()]:
        keys = {e["key"] for e in _env(service, blueprint)}
        assert {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "PRODUCTION", "FIELD_ENCRYPTION_KEYS", "FIELD_INDEX_KEY"} <= keys, (
            service["name"]
        )


def test_the_web_worker_count_fits_the_plan(blueprint):
    (web,) = _services(blueprint, "web")
    workers = {e["key"]: e.get("value") for e in web["envVars"] if "key" in e}
    assert web["plan"] == "standard" and workers["WEB_WORKERS"] == "2"  # 1 CPU: two ASGI processes


def test_every_blueprint_variable_is_a_real_setting(blueprint):
    keys = {e["key"] for s in _services(blueprint) for e in _env(s, blueprint)}
    assert _unknown(keys) == set()
    assert read_by_settings("CONCIERGE_ENABLED") and read_by_settings("SECRET_KEY_FALLBACKS")


def test_no_secret_is_committed_and_the_secret_key_is_shared(blueprint):
    for service in _services(blueprint):
        for entry in _env(service, blueprint):
            if SECRET_NAME.search(entry["key"]) and entry["key"] != "BOOKING_PAYMENT_MODE":
                assert "value" not in entry, f"{entry['key']} must be sync: false or generated, never committed"
    (group,) = blueprint["envVarGroups"]
    for service in _services(blueprint):  # in the group only: web, worker and beat sign with the same key
        assert all(e.get("key") != "SECRET_KEY" for e in service.get("envVars", []))
    prompted = {e["key"] for e in group["envVars"] if e.get("sync") is False}
    # Not generateValue: Render generates 44 characters, Django (security.W009) and coresync.E011 want 50 or more.
    assert {"SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "FIELD_INDEX_KEY", "STRIPE_WEBHOOK_SECRET", "ATLAS_WEBHOOK_SECRET",
            "SENDGRID_WEBHOOK_PUBLIC_KEY", "GOOGLE_WEBHOOK_TOKEN", "SENTRY_DSN"} <= prompted  # fmt: skip


def test_every_command_and_role_exists(blueprint):
    commands = " ".join(
        str(s.get(k, "")) for s in _services(blueprint) for k in ("buildCommand", "preDeployCommand", "startCommand")
    )
    compose = _load("docker-compose.yml")
    roles_used = set(re.findall(r"entrypoint\.sh (\w+)", commands))
    roles_used |= {s["command"][0] for s in compose["services"].values() if "command" in s and s.get("build")}
    assert roles_used <= _roles() and {"web", "worker", "beat", "release"} <= roles_used
    known = set(get_commands())
    for text in (commands, ENTRYPOINT.read_text(), (ROOT / "Dockerfile").read_text()):
        assert _manage_commands(text) <= known
    assert {"check", "migrate", "collectstatic"} <= _manage_commands(
        commands + ENTRYPOINT.read_text() + (ROOT / "Dockerfile").read_text()
    )
    # What the roles start can be imported: the ASGI app, the Celery app, the single-beat scheduler.
    entry = _code(ENTRYPOINT.read_text())
    module, _, attribute = re.search(r"uvicorn (\S+)", entry).group(1).partition(":")
    assert callable(getattr(importlib.import_module(module), attribute))
    assert re.search(r"celery -A (\w+)", entry).group(1) == "coresync" and importlib.import_module("coresync.celery").app
    module, _, attribute = re.search(r"--scheduler (\S+)", entry).group(1).partition(":")
    assert getattr(importlib.import_module(module), attribute).__name__ == "SingleBeatScheduler"


def _run_entrypoint(*args, env=None, tmp_path):
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    clean = {k: v for k, v in os.environ.items() if k not in ("PRODUCTION", "PROMETHEUS_MULTIPROC_DIR")}
    return subprocess.run(["sh", str(ENTRYPOINT), *args], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**clean, "PATH": path, "CORESYNC_VAR_DIR": str(tmp_path), **(env or {})})  # fmt: skip


def test_the_entrypoint_runs_a_role_and_refuses_an_unknown_one(tmp_path):
    assert subprocess.run(["sh", "-n", str(ENTRYPOINT)], check=False).returncode == 0
    stale = tmp_path / "metrics" / "counter_1.db"
    stale.parent.mkdir()
    stale.write_text("old")
    done = _run_entrypoint("manage", "check", env={"PROMETHEUS_MULTIPROC_DIR": str(stale.parent)}, tmp_path=tmp_path)
    assert done.returncode == 0 and "no issues" in done.stdout, done.stderr
    assert not stale.exists()  # a previous run's metric files are not summed into this one's
    wrong = _run_entrypoint("webserver", tmp_path=tmp_path)
    assert wrong.returncode == 64 and "usage" in wrong.stderr


def _blueprint_environment(blueprint, tmp_path, *, providers: bool) -> dict:
    """What Render would give the web service: generated values, the Dashboard's answers, the connection strings."""
    from cryptography.fernet import Fernet

    (web,) = _services(blueprint, "web")
    prompted = {"SECRET_KEY": secrets.token_urlsafe(50), "FIELD_ENCRYPTION_KEYS": f"{Fernet.generate_key().decode()},{Fernet.generate_key().decode()}",
                "FIELD_INDEX_KEY": Fernet.generate_key().decode(), "ALLOWED_HOSTS": "spa.example.com",
                "CSRF_TRUSTED_ORIGINS": "https://spa.example.com", "SITE_URL": "https://spa.example.com"}  # fmt: skip
    if providers:
        prompted.update(STRIPE_SECRET_KEY="sk_test_x", STRIPE_WEBHOOK_SECRET="whsec_" + secrets.token_hex(16),
                        ATLAS_API_URL="https://atlas.example.com", ATLAS_WEBHOOK_SECRET=secrets.token_hex(32),
                        SENDGRID_API_KEY="SG.x", SENDGRID_WEBHOOK_PUBLIC_KEY="MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE")  # fmt: skip
    env = {"RENDER_EXTERNAL_HOSTNAME": "coresync-web.onrender.com", "PORT": "10000", "CORESYNC_VAR_DIR": str(tmp_path)}
    for entry in _env(web, blueprint):
        key = entry["key"]
        if "value" in entry:
            env[key] = str(entry["value"])
        elif entry.get("generateValue"):
            env[key] = base64.b64encode(secrets.token_bytes(32)).decode()  # Render: a base64-encoded 256-bit value
        elif "fromDatabase" in entry:
            env[key] = "postgres://coresync:pw@dpg-example-a:5432/coresync"
        elif "fromService" in entry:
            env[key] = "redis://red-example:6379"
        elif entry.get("sync") is False:
            env[key] = prompted.get(key, "")
    return env


@pytest.mark.parametrize("providers", [False, True], ids=["no-providers", "all-providers"])
def test_the_blueprint_environment_passes_check_deploy(blueprint, tmp_path, providers):
    env = _blueprint_environment(blueprint, tmp_path, providers=providers)
    clean = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "VIRTUAL_ENV")}
    done = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=ROOT,
                          env={**clean, **env}, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    # Render's own host name is allowed, trusted and used in links when no domain is set yet.
    code = "import coresync.settings as s; print(s.ALLOWED_HOSTS, s.CSRF_TRUSTED_ORIGINS, s.SITE_URL, s.PRODUCTION)"
    env["SITE_URL"] = ""
    shown = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, check=True
    )
    assert shown.stdout.split() == ["['spa.example.com',", "'coresync-web.onrender.com']", "['https://spa.example.com',",
                                    "'https://coresync-web.onrender.com']", "https://coresync-web.onrender.com", "True"]  # fmt: skip


# --- the liveness probe -------------------------------------------------------------------------------------


def test_healthz_answers_any_host_and_is_never_redirected():
    with override_settings(ALLOWED_HOSTS=["spa.example.com"], SECURE_SSL_REDIRECT=True):
        client = Client()
        probe = client.get("/healthz", HTTP_HOST="10.201.4.7:10000")
        assert probe.status_code == 200 and probe.json() == {"status": "ok"} and probe["X-Request-ID"]
        assert client.get("/", HTTP_HOST="10.201.4.7:10000").status_code == 400  # only the probe skips host checks
        assert client.get("/", HTTP_HOST="spa.example.com").status_code == 301  # the site is still HTTPS-only
        assert client.get("/healthz", HTTP_HOST="spa.example.com").status_code == 200
        assert client.post("/healthz", HTTP_HOST="10.201.4.7:10000").status_code == 400  # GET/HEAD only


@pytest.mark.django_db(transaction=True)
def test_the_container_healthcheck_passes_against_a_live_server(live_server, monkeypatch):
    spec = importlib.util.spec_from_file_location("healthcheck", ROOT / "deploy" / "healthcheck.py")
    healthcheck = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(healthcheck)
    monkeypatch.setenv("PORT", live_server.url.rsplit(":", 1)[1])
    monkeypatch.setenv("ALLOWED_HOSTS", ".spa.example.com,spa.example.com")
    assert healthcheck._host() == "spa.example.com"
    assert healthcheck.web() == 0
    monkeypatch.setenv("PORT", "1")  # nothing listens there
    assert healthcheck.web() == 1


# --- Docker -----------------------------------------------------------------------------------------------------


def test_the_dockerfile_builds_one_non_root_image_for_every_role():
    text = (ROOT / "Dockerfile").read_text()
    instructions = [line.split(None, 1) for line in text.splitlines() if line and not line.startswith((" ", "#"))]
    first = dict((k, v) for k, v in instructions if k in ("FROM",))
    assert first["FROM"] == "python:3.11-slim"
    users = [v for k, v in instructions if k == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert "pip install -r requirements.txt" in text and "manage.py collectstatic --noinput" in text
    assert any(k == "HEALTHCHECK" and "deploy/healthcheck.py" in v for k, v in instructions)
    assert ("ENTRYPOINT", '["deploy/entrypoint.sh"]') in [(k, v) for k, v in instructions]
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv", ".env", "var/"} <= set(ignored)


@pytest.fixture(scope="module")
def compose() -> dict:
    return _load("docker-compose.yml")


def test_compose_runs_every_part_with_health_checks(compose):
    services = compose["services"]
    assert {"postgres", "redis", "migrate", "web", "worker", "beat", "nginx"} <= set(services)
    app = {name: s for name, s in services.items() if s.get("build")}
    assert set(app) == {"migrate", "web", "worker", "beat"}
    assert {name: s["command"] for name, s in app.items()} == {
        "migrate": ["release"],
        "web": ["web"],
        "worker": ["worker"],
        "beat": ["beat"],
    }
    for name in ("web", "worker", "beat"):
        depends = app[name]["depends_on"]
        assert depends["migrate"] == {"condition": "service_completed_successfully"}  # the one-shot release step first
        assert depends["postgres"]["condition"] == depends["redis"]["condition"] == "service_healthy"
        test = app[name]["healthcheck"]["test"]
        assert test[:3] == ["CMD", "python", "deploy/healthcheck.py"] and test[3] == name
    assert app["migrate"]["restart"] == "no"
    for name in ("postgres", "redis", "nginx"):
        assert services[name]["healthcheck"]["test"], name
    assert "noeviction" in services["redis"]["command"]
    assert services["nginx"]["profiles"] == ["proxy"]
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    assert "server web:8000" in nginx and "proxy_set_header Upgrade $http_upgrade" in nginx and "X-Forwarded-Proto" in nginx


def test_compose_environment_is_real_settings_and_secrets_are_required(compose):
    app = {name: s for name, s in compose["services"].items() if s.get("build")}
    for service in app.values():
        assert _unknown(service["environment"]) == set()
    env = app["web"]["environment"]
    for key in ("SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "FIELD_INDEX_KEY"):
        assert re.fullmatch(rf"\$\{{{key}:\?[^}}]+\}}", env[key]), key  # refuses to start without it, no default
    assert "${POSTGRES_PASSWORD:?" in env["DATABASE_URL"] and env["PRODUCTION"] == "1"
    for key, value in env.items():
        if SECRET_NAME.search(key) and key != "BOOKING_PAYMENT_MODE":
            assert str(value).startswith("${"), f"{key} must come from .env, not the compose file"
    example = (ROOT / "deploy" / "compose.env.example").read_text()
    asked = set(re.findall(r"^([A-Z_]+)=", example, re.M))
    required = set(re.findall(r"\$\{([A-Z_]+):\?", (ROOT / "docker-compose.yml").read_text()))
    assert required <= asked and _unknown(asked - {"POSTGRES_PASSWORD"}) == set()


@pytest.mark.skipif(not shutil.which("docker"), reason="docker is not installed")
def test_docker_compose_config_accepts_the_file(tmp_path):
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        pytest.skip("docker compose (v2 plugin) is not installed")
    env = {**os.environ, "POSTGRES_PASSWORD": "pw", "SECRET_KEY": "k" * 50, "FIELD_ENCRYPTION_KEYS": "a", "FIELD_INDEX_KEY": "b"}
    done = subprocess.run(["docker", "compose", "-f", str(ROOT / "docker-compose.yml"), "config", "-q"], env=env,
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr


def test_the_backup_scripts_refuse_bad_arguments(tmp_path):
    for script, args in (
        ("backup.sh", ["sqlite:///x.sqlite3"]),
        ("restore.sh", []),
        ("restore.sh", [str(tmp_path / "none.dump"), "postgres://x/y"]),
    ):
        done = subprocess.run(["sh", str(ROOT / "deploy" / script), *args], capture_output=True, text=True, check=False,
                              env={"PATH": os.environ["PATH"]})  # fmt: skip
        assert done.returncode in (64, 66) and done.stderr, (script, args, done.stdout)
    assert shlex.split("deploy/backup.sh")  # the documented command names exist
    assert all((ROOT / "deploy" / name).stat().st_mode & 0o111 for name in ("backup.sh", "restore.sh", "entrypoint.sh"))


@pytest.mark.slow
def test_the_dockerfile_collectstatic_step_needs_no_database_or_secret(tmp_path):
    """The image's build step, as the Dockerfile writes it: a throwaway key and SQLite, hashed files out."""
    text = (ROOT / "Dockerfile").read_text()
    step = re.search(r"RUN (SECRET_KEY=\S+) (DATABASE_URL=\S+) \\\s+python (manage\.py collectstatic[^\\\n]*)", text)
    assert step, "the Dockerfile's collectstatic step changed shape"
    env = dict(pair.split("=", 1) for pair in step.groups()[:2])
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'build.sqlite3'}"  # the image's /tmp, here
    args = shlex.split(step.group(3))
    done = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), "CORESYNC_VAR_DIR": str(tmp_path / "var"),
                               "STATIC_ROOT": str(tmp_path / "static"), **env})  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "static" / "staticfiles.json").exists() and list((tmp_path / "static" / "css").glob("ai-chat.*.css.gz"))


def test_a_rotated_secret_key_keeps_links_already_sent_working(tmp_path):
    from coresync.core.links import booking_manage_lookup, booking_manage_token
    from coresync.notifications.unsubscribe import unsubscribe_target, unsubscribe_token

    old, new = "old-" + secrets.token_urlsafe(50), "new-" + secrets.token_urlsafe(50)
    with override_settings(SECRET_KEY=old):
        manage = booking_manage_token(reference="CS-7KQ2M9", email="ann@example.com")
        unsubscribe = unsubscribe_token(email="ann@example.com")
    with override_settings(SECRET_KEY=new, SECRET_KEY_FALLBACKS=[old]):
        assert booking_manage_lookup(manage) == ("CS-7KQ2M9", "ann@example.com")
        assert unsubscribe_target(unsubscribe) == {"e": "ann@example.com"}
    with override_settings(SECRET_KEY=new, SECRET_KEY_FALLBACKS=[]):  # the fallback removed: old links stop working
        assert booking_manage_lookup(manage) is None and unsubscribe_target(unsubscribe) is None
    code = "import coresync.settings as s; print(s.SECRET_KEY_FALLBACKS)"
    env = {"PATH": os.environ["PATH"], "SECRET_KEY_FALLBACKS": "b-key, a-key", "CORESYNC_VAR_DIR": str(tmp_path)}
    shown = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert shown.stdout.strip() == "['b-key', 'a-key']"


def test_the_web_role_serves_with_several_workers(tmp_path):
    """``entrypoint.sh web`` exactly as Render and the image run it: uvicorn's flags are valid and /healthz answers."""
    import urllib.request

    port = 8440 + int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").lstrip("gw") or 0) % 10  # this branch's ports
    env = {"PORT": str(port), "BIND_HOST": "127.0.0.1", "WEB_WORKERS": "2", "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "m")}
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    clean = {k: v for k, v in os.environ.items() if k not in ("PRODUCTION",)}
    server = subprocess.Popen(["sh", str(ENTRYPOINT), "web"], cwd=ROOT, env={**clean, "PATH": path, "CORESYNC_VAR_DIR": str(tmp_path), **env},
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)  # fmt: skip
    try:
        deadline, status = time.monotonic() + 90, None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                request = urllib.request.Request(f"http://127.0.0.1:{port}/healthz", headers={"Host": "10.0.0.9"})
                with urllib.request.urlopen(request, timeout=2) as response:
                    status = response.status
                    break
            except OSError:
                time.sleep(0.5)
        assert status == 200, server.stdout.read() if server.poll() is not None else "no answer"
    finally:
        os.killpg(server.pid, 15)
        output = server.communicate(timeout=30)[0]
    assert output.count("Started server process") == 2, output  # WEB_WORKERS processes


def test_the_compose_environment_passes_check_deploy(compose, tmp_path):
    """The web container's environment, ``.env`` filled in as compose.env.example asks, defaults as written."""
    from cryptography.fernet import Fernet

    answers = {"POSTGRES_PASSWORD": "pw", "SECRET_KEY": secrets.token_urlsafe(50), "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
               "FIELD_INDEX_KEY": Fernet.generate_key().decode(), "ALLOWED_HOSTS": "spa.example.com"}  # fmt: skip

    def resolve(value: str) -> str:
        def one(match):
            name, op, rest = match.group(1), match.group(2), match.group(3)
            return answers[name] if op == ":?" else answers.get(name, rest)

        return re.sub(r"\$\{([A-Z_]+)(:-|:\?)([^}]*)\}", one, str(value))

    env = {key: resolve(value) for key, value in compose["services"]["web"]["environment"].items()}
    assert env["DATABASE_URL"] == "postgres://coresync:pw@postgres:5432/coresync" and env["PRODUCTION"] == "1"
    clean = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    done = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=ROOT,
                          env={**clean, **env, "CORESYNC_VAR_DIR": str(tmp_path)}, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr

"""The production set-up in docs/deploy/ is what docs/production.md says, and it parses.

- the systemd units pass ``systemd-analyze verify`` (with the virtual environment's
  path put in, so even the executables are checked), and a broken copy does not;
- the nginx site has TLS, the security headers, the WebSocket upgrade for Streamlit
  and the port of the unit; ``nginx -t`` runs on top where nginx is installed;
- the secrets example has the ``[auth]`` keys ``st.login`` reads;
- every ``taten`` command line in the files exists with those options.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import typer

from pipelines.cli import app

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "docs" / "deploy"
VENV = "/opt/taten/venv"
SYSTEMD_ANALYZE = Path("/usr/bin/systemd-analyze")
UNITS = ("taten.service", "taten-backup.service", "taten-backup.timer")


def _unit(name: str) -> dict[str, dict[str, list[str]]]:
    """A unit file as section → key → values (a key may repeat)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    for raw in (DEPLOY / name).read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        key, _, value = line.partition("=")
        assert current is not None, f"{name}: {line} outside a section"
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def _verify(folder: Path, names: list[str]) -> list[str]:
    """Lines of ``systemd-analyze verify`` that are about these unit files (not about the container)."""
    result = subprocess.run([str(SYSTEMD_ANALYZE), "verify", *(str(folder / n) for n in names)],
                            capture_output=True, text=True, timeout=60)
    output = (result.stdout + result.stderr).splitlines()
    return [line for line in output if any(name in line for name in names)]


def _copies(tmp_path: Path) -> Path:
    """The units with this machine's virtual environment in place of /opt/taten/venv."""
    venv = str(Path(sys.executable).parent.parent)
    for name in UNITS:
        (tmp_path / name).write_text((DEPLOY / name).read_text(encoding="utf-8").replace(VENV, venv),
                                     encoding="utf-8")
    return tmp_path


def test_the_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    assert SYSTEMD_ANALYZE.exists(), "systemd-analyze is part of the test set-up (apt-get install systemd)"
    folder = _copies(tmp_path)
    assert _verify(folder, list(UNITS)) == []

    broken = folder / "broken"
    broken.mkdir()
    text = (folder / "taten.service").read_text(encoding="utf-8")
    (broken / "taten.service").write_text(text.replace("Restart=on-failure", "Restart=on-failur\nExecStrat=x"),
                                          encoding="utf-8")
    problems = _verify(broken, ["taten.service"])
    assert any("Restart" in p or "restart" in p for p in problems) and any("ExecStrat" in p for p in problems)


def test_the_units_run_the_workbench_on_loopback_and_back_up_nightly() -> None:
    service = _unit("taten.service")["Service"]
    assert service["User"] == ["taten"] and service["WorkingDirectory"] == ["/srv/taten"]
    assert service["EnvironmentFile"] == ["/etc/taten/taten.env"]
    assert "--address 127.0.0.1" in service["ExecStart"][0]
    assert service["NoNewPrivileges"] == ["yes"] and service["ProtectSystem"] == ["strict"]
    timer = _unit("taten-backup.timer")
    assert timer["Timer"]["Persistent"] == ["true"] and timer["Timer"]["Unit"] == ["taten-backup.service"]
    assert timer["Install"]["WantedBy"] == ["timers.target"]
    backup = _unit("taten-backup.service")["Service"]
    assert backup["Type"] == ["oneshot"] and "taten backup --out /var/backups/taten/" in backup["ExecStart"][0]
    assert backup["ReadWritePaths"][0].split()[0] == "/var/backups/taten"


def _commands() -> list[list[str]]:
    """Every ``taten …`` command line in the unit files and docs/production.md."""
    found: list[list[str]] = []
    texts = [(DEPLOY / n).read_text(encoding="utf-8") for n in UNITS]
    texts.append((REPO / "docs" / "production.md").read_text(encoding="utf-8"))
    for text in texts:
        for match in re.finditer(r"(?:/opt/taten/venv/bin/)?\btaten ((?:ui|backup|restore|setup)\b[^'`\n]*)", text):
            words = shlex.split(match.group(1).split("#")[0])
            found.append([w for w in words if not w.startswith("$(")])
    return found


def test_every_taten_command_in_the_docs_exists_with_its_options() -> None:
    group = typer.main.get_command(app)
    commands = _commands()
    assert {c[0] for c in commands} >= {"ui", "backup", "restore", "setup"}
    for words in commands:
        command = group.commands[words[0]]  # type: ignore[attr-defined]
        options = {o for p in command.params for o in (*p.opts, *p.secondary_opts)}
        for word in words[1:]:
            if word.startswith("--"):
                assert word.split("=")[0] in options, f"taten {words[0]}: no option {word}"


def _nginx() -> str:
    return (DEPLOY / "nginx-taten.conf").read_text(encoding="utf-8")


def _blocks(text: str) -> dict[str, str]:
    """``location …`` blocks by their path (no nested blocks inside them in this file)."""
    return {m.group(1): m.group(2) for m in re.finditer(r"location\s+(\S+)\s*\{([^{}]*)\}", text)}


def test_the_nginx_site_has_tls_security_headers_and_the_websocket_upgrade() -> None:
    text = _nginx()
    code = "\n".join(line.split("#")[0] for line in text.splitlines())
    assert code.count("{") == code.count("}")
    for line in code.splitlines():
        stripped = line.strip()
        assert not stripped or stripped.endswith((";", "{", "}")), f"nginx: unterminated line: {stripped}"
    assert re.search(r"listen 443 ssl;", code) and "return 301 https://$host$request_uri;" in code
    assert re.search(r"ssl_protocols\s+TLSv1.2 TLSv1.3;", code)
    headers = dict(re.findall(r'add_header\s+(\S+)\s+"([^"]*)"\s+always;', code))
    assert set(headers) >= {"Strict-Transport-Security", "Content-Security-Policy", "X-Content-Type-Options",
                            "X-Frame-Options", "Referrer-Policy", "Permissions-Policy"}
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"
    assert "max-age=" in headers["Strict-Transport-Security"]
    csp = dict(part.strip().split(" ", 1) for part in headers["Content-Security-Policy"].split(";") if part.strip())
    assert csp["default-src"] == "'self'" and csp["frame-ancestors"] == "'none'" and csp["object-src"] == "'none'"
    assert "wss://" in csp["connect-src"]

    port = re.search(r"--port (\d+)", _unit("taten.service")["Service"]["ExecStart"][0]).group(1)
    locations = _blocks(code)
    assert set(locations) == {"/", "/_stcore/stream"}
    for body in locations.values():
        assert f"proxy_pass         http://127.0.0.1:{port};" in body
        assert "add_header" not in body  # one there would drop the server's headers in that location
    stream = locations["/_stcore/stream"]
    assert "proxy_http_version 1.1;" in stream
    assert re.search(r"proxy_set_header\s+Upgrade \$http_upgrade;", stream)
    assert re.search(r"proxy_set_header\s+Connection \$connection_upgrade;", stream)
    assert re.search(r"map \$http_upgrade \$connection_upgrade \{\s*default upgrade;\s*''\s+close;\s*\}", code)


def test_nginx_accepts_the_site_where_it_is_installed(tmp_path: Path) -> None:
    """``nginx -t`` on the site with a throwaway certificate; the structural checks above run everywhere."""
    nginx, openssl = shutil.which("nginx"), shutil.which("openssl")
    site = _nginx()
    assert "ssl_certificate     /etc/ssl/certs/taten.stadt.example.pem;" in site
    if nginx is None or openssl is None:
        return  # not installed here: the checks of the test above are what can be checked
    cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=taten.stadt.example",
                    "-keyout", str(key), "-out", str(cert), "-days", "1"], check=True, capture_output=True)
    site = site.replace("/etc/ssl/certs/taten.stadt.example.pem", str(cert))
    site = site.replace("/etc/ssl/private/taten.stadt.example.key", str(key))
    site = site.replace("/var/log/nginx/", f"{tmp_path}/")
    (tmp_path / "taten.conf").write_text(site, encoding="utf-8")
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  include {tmp_path}/taten.conf;\n}}\n", encoding="utf-8")
    result = subprocess.run([nginx, "-t", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_the_secrets_example_has_what_st_login_reads() -> None:
    secrets = tomllib.loads((DEPLOY / "secrets.toml.example").read_text(encoding="utf-8"))
    auth = secrets["auth"]
    assert set(auth) == {"redirect_uri", "cookie_secret", "client_id", "client_secret", "server_metadata_url"}
    assert auth["redirect_uri"].startswith("https://") and auth["redirect_uri"].endswith("/oauth2callback")
    assert auth["server_metadata_url"].endswith("/.well-known/openid-configuration")
    host = re.search(r"server_name (\S+);", _nginx()).group(1)
    assert auth["redirect_uri"] == f"https://{host}/oauth2callback"


def test_the_environment_file_sets_only_what_taten_reads() -> None:
    lines = [line for line in (DEPLOY / "taten.env").read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#")]
    keys = {line.split("=", 1)[0] for line in lines}
    assert keys == {"TATEN_DATABASE_URL", "TATEN_HOME"}
    url = dict(line.split("=", 1) for line in lines)["TATEN_DATABASE_URL"]
    assert url.startswith("postgresql+psycopg://")


@pytest.mark.parametrize("name", ["production.md"])
def test_the_guide_names_every_file_in_deploy(name: str) -> None:
    guide = (REPO / "docs" / name).read_text(encoding="utf-8")
    for path in DEPLOY.iterdir():
        assert f"deploy/{path.name}" in guide, path.name

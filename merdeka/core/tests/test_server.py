from __future__ import annotations

import os
import queue
import subprocess
import threading
import time

from gunicorn.config import Config

from merdeka.core.server import web_command
from merdeka.core.tests.test_commands import ROOT, clean_env


def gunicorn_config(argv: list[str]) -> Config:
    """The configuration gunicorn builds from ``argv`` (after ``python -m gunicorn``)."""
    config = Config()
    parsed = config.parser().parse_args(argv[3:])
    for name, value in vars(parsed).items():
        if value is not None and name != "args":
            config.set(name.lower(), value)
    return config


def test_the_web_server_opens_no_control_socket():
    argv = web_command(bind="127.0.0.1:8000", workers=2)
    assert argv[1:3] == ["-m", "gunicorn"]
    config = gunicorn_config(argv)
    assert config.control_socket_disable is True
    assert config.worker_class_str == "gthread"


def test_a_running_web_server_leaves_no_socket_in_the_home_folder(tmp_path):
    home, runtime, cwd = tmp_path / "home", tmp_path / "run", tmp_path / "cwd"
    for folder in (home, runtime, cwd):
        folder.mkdir()
    env = clean_env(tmp_path / "var", HOME=str(home), XDG_RUNTIME_DIR=str(runtime))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    argv = web_command(bind="127.0.0.1:0", workers=1, worker_class="sync")
    # gunicorn's debug log says whether it opened its control socket, once it decided
    argv += ["--log-level", "debug"]
    server = subprocess.Popen(
        argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(
        target=lambda: [lines.put(line) for line in server.stderr], daemon=True
    ).start()
    try:
        deadline = time.monotonic() + 30
        line = ""
        while "Control socket" not in line:
            assert time.monotonic() < deadline, "gunicorn never got to its control socket"
            try:
                line = lines.get(timeout=1)
            except queue.Empty:
                assert server.poll() is None, "gunicorn stopped"
        assert "Control socket disabled" in line
        # and while it runs, nothing of it in the home folder, the runtime folder or here
        left = [path for path in tmp_path.rglob("*") if path.suffix == ".ctl" or path.is_socket()]
        assert left == []
        assert list(home.iterdir()) == list(runtime.iterdir()) == list(cwd.iterdir()) == []
    finally:
        server.terminate()
        server.wait(timeout=15)

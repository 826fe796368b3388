"""``merdeka run``: the block it prints at start, and a Ctrl+C that stops all of it."""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from merdeka.core import startup
from merdeka.core.demo import demo_shop_ensure
from merdeka.core.models import User
from merdeka.core.tests.test_commands import ROOT, clean_env

STOPPED_WITHIN = 5.0  # seconds; about one on an idle machine, the rest is for a busy one


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# -- the block ----------------------------------------------------------------------------


def test_the_start_block_says_where_the_data_is_the_address_the_demo_login_and_how_to_stop(
    db, settings, tmp_path, monkeypatch
):
    monkeypatch.delenv("MAKELEVEL", raising=False)
    settings.DATA_DIR = tmp_path
    settings.MERDEKA_PUBLIC_URL = ""
    demo_shop_ensure()
    username, password = (tmp_path / "demo-login.txt").read_text().split()
    block = startup.startup_block("127.0.0.1", 8123)
    assert "  Address:  http://127.0.0.1:8123/" in block
    assert f"  Log in:   {username} / {password}   (owner of the demo shop Dapur Kue Bu Ika)" in (
        block
    )
    assert f"  Data:     {tmp_path}" in block
    assert "press Ctrl+C" in block
    # no public address: what it means, and how to set one
    assert "buyers' phones cannot open" in block
    assert "MERDEKA_PUBLIC_URL=https://toko.example.id merdeka run" in block


def test_under_make_the_block_says_how_to_set_the_public_address_with_make_run(
    db, settings, tmp_path, monkeypatch
):
    monkeypatch.setenv("MAKELEVEL", "1")
    settings.DATA_DIR = tmp_path
    settings.MERDEKA_PUBLIC_URL = ""
    block = startup.startup_block("0.0.0.0", 8000)
    assert "  Address:  http://127.0.0.1:8000/" in block
    assert "MERDEKA_PUBLIC_URL=https://toko.example.id make run" in block
    # no shop at all: how to make one, from the checkout
    assert '.venv/bin/merdeka shop create --name "Toko Anda" --owner USERNAME' in block


def test_a_set_public_address_is_shown_and_nothing_asks_to_set_it(db, settings, tmp_path, ika_shop):
    settings.DATA_DIR = tmp_path
    settings.MERDEKA_PUBLIC_URL = "https://toko.example.id"
    block = startup.startup_block("127.0.0.1", 8000)
    assert "  Public:   https://toko.example.id" in block
    assert "MERDEKA_PUBLIC_URL" not in block
    assert "Log in:   with your shop owner's username and password" in block


def test_once_the_demo_owner_changed_the_password_the_block_no_longer_shows_the_old_one(
    db, settings, tmp_path
):
    settings.DATA_DIR = tmp_path
    demo_shop_ensure()
    _, old = (tmp_path / "demo-login.txt").read_text().split()
    owner = User.objects.get(username="ika")
    owner.set_password("kata-sandi-baru-ika")
    owner.save()
    block = startup.startup_block("127.0.0.1", 8000)
    assert old not in block
    assert "ika, with the password you chose" in block


def test_a_port_in_use_is_said_before_anything_starts():
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        assert startup.port_taken("127.0.0.1", port)
        with pytest.raises(CommandError, match=rf"Port {port} is in use already.*PORT={port + 1}"):
            call_command("run", port=str(port))
    assert not startup.port_taken("127.0.0.1", port)


# -- start and stop -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def data_dir(set_up_once, tmp_path_factory) -> Path:
    return set_up_once.copy(tmp_path_factory.mktemp("run") / "var")


def children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


class Started:
    """``merdeka run`` in a session of its own, as a terminal runs it."""

    def __init__(self, data: Path, port: int):
        env = clean_env(data, MERDEKA_WEB_WORKERS="2", PYTHONUNBUFFERED="1")
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        self.port = port
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "merdeka.cli", "run", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line)

    def wait_for(self, text: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.output):
            assert time.monotonic() < deadline, "".join(self.output)
            try:
                self.output.append(self.lines.get(timeout=1))
            except queue.Empty:
                assert self.proc.poll() is None, "".join(self.output)

    def ctrl_c(self) -> float:
        """The terminal's Ctrl+C: SIGINT to the foreground process group. Seconds to exit."""
        started = time.monotonic()
        os.killpg(self.proc.pid, signal.SIGINT)
        try:
            self.proc.wait(timeout=30)
        finally:
            if self.proc.poll() is None:
                os.killpg(self.proc.pid, signal.SIGKILL)
        took = time.monotonic() - started
        time.sleep(0.2)  # the reader thread takes the last lines
        while not self.lines.empty():
            self.output.append(self.lines.get())
        return took

    @property
    def text(self) -> str:
        return "".join(self.output)


def assert_clean(text: str):
    for bad in ("Traceback", "Exception", "SIGKILL", "Killed", "KeyboardInterrupt", "[ERROR]"):
        assert bad not in text, text


def test_ctrl_c_stops_the_web_server_the_worker_and_the_scheduler_at_once_and_cleanly(data_dir):
    port = free_port()
    run = Started(data_dir, port)
    run.wait_for("press Ctrl+C")
    block = run.text[run.text.index("Merdeka is running.") :]
    assert f"Address:  http://127.0.0.1:{port}/" in block
    assert f"Data:     {data_dir}" in block
    assert "Log in:   ika / " in block
    children = children_of(run.proc.pid)
    assert len(children) == 3  # the web server, the task worker and the scheduler

    # a phone's browser keeps a connection open after its page came
    phone = socket.create_connection(("127.0.0.1", port))
    phone.sendall(b"GET /masuk/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert phone.recv(4096).startswith(b"HTTP/1.1 200")
    try:
        took = run.ctrl_c()
    finally:
        phone.close()
    assert run.proc.returncode == 0, run.text
    assert took < STOPPED_WITHIN, (took, run.text)
    assert_clean(run.text)
    assert "Merdeka is stopped." in run.text
    assert not [pid for pid in children if alive(pid)]
    assert not startup.port_taken("127.0.0.1", port)


def test_ctrl_c_while_it_is_still_starting_stops_it_without_a_traceback(data_dir):
    port = free_port()
    run = Started(data_dir, port)
    time.sleep(1.5)  # Django loading in this command, or the children starting
    children = children_of(run.proc.pid)
    took = run.ctrl_c()
    # 130 is what ``merdeka`` returns after saying "Stopped (Ctrl+C).". Under ``python -m``
    # CPython ends the process by SIGINT instead (-2 here) when the interrupt landed while
    # code run through ``PyRun_String`` was executing (some extensions run such code as
    # they are imported), even though the KeyboardInterrupt was then caught: CPython keeps
    # a flag for it and checks it after ``-m``'s module returns. Both are a clean stop.
    assert run.proc.returncode in (0, 130, -signal.SIGINT), run.text
    assert took < STOPPED_WITHIN, (took, run.text)
    assert_clean(run.text)
    assert not [pid for pid in children if alive(pid)]
    assert not startup.port_taken("127.0.0.1", port)


def test_a_child_that_ends_by_itself_stops_the_rest_and_says_which(data_dir):
    port = free_port()
    run = Started(data_dir, port)
    run.wait_for("press Ctrl+C")
    children = children_of(run.proc.pid)
    scheduler = next(
        pid for pid in children if b"scheduler" in Path(f"/proc/{pid}/cmdline").read_bytes()
    )
    os.kill(scheduler, signal.SIGTERM)
    run.proc.wait(timeout=30)
    run.wait_for("stopped unexpectedly", timeout=5)
    assert run.proc.returncode == 1
    assert (
        "The scheduler stopped unexpectedly; see the messages above. Merdeka is stopped."
        in run.text
    )
    assert not [pid for pid in children if alive(pid)]
    assert not startup.port_taken("127.0.0.1", port)

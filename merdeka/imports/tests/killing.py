"""Kill tests across the import path: SIGKILL the web worker while it takes an upload,
or the task worker while it imports one, at seeded moments; then the scheduler's sweep
and the task worker run as they would, and nothing may be stuck, half-written or left
on disk.

The processes are the real ones: gunicorn started as ``merdeka run`` starts it
(``core.server.web_command``, one sync worker) behind a real HTTP upload sent in small
pieces, and ``merdeka db_worker`` taking the task from the database queue. The caller
(``test_kill.py`` for a few points, ``bench/kill_imports.py`` for fifty and more) has a
migrated database and ``env`` pointing the processes at it.
"""

from __future__ import annotations

import contextlib
import csv
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.test import Client
from django.utils import timezone

from merdeka.core import schedule
from merdeka.core.scoping import shop_scope
from merdeka.core.server import web_command
from merdeka.core.services import shop_create, user_create
from merdeka.customers.models import Customer
from merdeka.imports import runs
from merdeka.imports.models import ImportFile, ImportRun
from merdeka.orders.models import Order

ROOT = Path(__file__).resolve().parents[3]
NOT_STORED = "upload not stored"


def orders_csv(path: Path, orders: int) -> None:
    """A Shopee export of ``orders`` orders from a few hundred buyers."""
    rng = random.Random(19)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(
            ["Order ID", "Order Status", "Order Creation Date", "Product Name", "Quantity",
             "Deal Price", "Username (Buyer)", "Receiver Name", "Phone Number", "City",
             "Province"]
        )  # fmt: skip
        for i in range(orders):
            buyer = rng.randint(1, max(2, orders // 10))
            writer.writerow(
                [f"25060{i:06d}K", "Completed", f"2025-06-{1 + i % 28:02d} 10:{i % 60:02d}",
                 "Nastar Keju", rng.randint(1, 4), "85,000", f"pembeli{buyer}",
                 f"Pembeli Nomor {buyer}", f"62813{buyer:08d}", "Kota Bandung", "Jawa Barat"]
            )  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except FileNotFoundError:
        return []
    return [int(p) for p in text.split()]


class Web:
    """gunicorn as ``merdeka run`` starts it, with one sync worker to kill."""

    def __init__(self, env: dict):
        self.port = _free_port()
        argv = web_command(
            bind=f"127.0.0.1:{self.port}", workers=1, worker_class="sync", access_log=False
        )
        self.proc = subprocess.Popen(
            argv, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self.wait_ready()

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while True:
            assert self.proc.poll() is None, "gunicorn stopped"
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"GET /masuk/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
                    if s.recv(12).startswith(b"HTTP/1."):
                        return
            except OSError:
                pass
            assert time.monotonic() < deadline, "gunicorn never answered"
            time.sleep(0.2)

    def worker_pid(self) -> int | None:
        children = _children(self.proc.pid)
        return children[0] if children else None

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@dataclass
class Seller:
    user: object
    shop: object
    cookie: str = ""
    csrf: str = ""


def seller_signed_in(web: Web, name: str) -> Seller:
    """A new owner and shop, signed in (a session in the database) with a CSRF token."""
    user, _password = user_create(username=name, password=f"{name}-kue-lapis-2026")
    shop = shop_create(name=f"Toko {name}", owner=user)
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    status, headers, body = http(web.port, "GET", "/impor/", cookie=f"sessionid={session}")
    assert status == 200, (status, body[:500])
    csrf_cookie = re.search(rb"csrftoken=([^;]+)", headers).group(1).decode()
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1).decode()
    seller = Seller(user=user, shop=shop, csrf=token)
    seller.cookie = f"sessionid={session}; csrftoken={csrf_cookie}"
    return seller


def http(port, method, path, *, cookie="", body=b"", content_type="", pieces=1, pause=0.0):
    """One HTTP/1.0 request; the body sent in ``pieces`` with ``pause`` between them.
    Returns (status, raw headers, body), or (None, b"", b"") if the server hung up."""
    head = (
        f"{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nCookie: {cookie}\r\n"
        f"Origin: http://127.0.0.1:{port}\r\nReferer: http://127.0.0.1:{port}/impor/\r\n"
    )
    if body:
        head += f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=120) as s:
            s.sendall((head + "\r\n").encode())
            step = max(1, -(-len(body) // pieces)) if body else 1
            for start in range(0, len(body), step):
                s.sendall(body[start : start + step])
                if pause:
                    time.sleep(pause)
            reply = b""
            while chunk := s.recv(65536):
                reply += chunk
    except OSError:
        return None, b"", b""
    if not reply:
        return None, b"", b""
    headers, _sep, content = reply.partition(b"\r\n\r\n")
    return int(headers.split()[1]), headers, content


def upload(web: Web, seller: Seller, name: str, data: bytes, *, pieces=64, pause=0.003):
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n'
            f'{seller.csrf}\r\n--{boundary}\r\nContent-Disposition: form-data; name="files"; '
            f'filename="{name}"\r\nContent-Type: text/csv\r\n\r\n'
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return http(
        web.port, "POST", "/impor/", cookie=seller.cookie, body=body,
        content_type=f"multipart/form-data; boundary={boundary}", pieces=pieces, pause=pause,
    )  # fmt: skip


def task_worker(env: dict) -> subprocess.Popen:
    """``merdeka db_worker`` as ``merdeka run`` starts it, until the queue is empty."""
    return subprocess.Popen(
        [sys.executable, "-m", "merdeka.cli", "db_worker", "--queue-name", "*",
         "--interval", "0.1", "--no-reload", "--batch", "--no-startup-delay"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def drain(env: dict) -> None:
    worker = task_worker(env)
    assert worker.wait(timeout=600) == 0


def sweep() -> None:
    """The scheduler's import entries, two hours on: dead workers' runs failed or queued
    again, what dead processes left on disk deleted."""
    later = timezone.now() + timedelta(hours=2)
    for entry in ("runs_sweep_dead", "uploads_sweep_stray"):
        path = f"merdeka.imports.runs.{entry}"
        assert path in schedule.PERIODIC
        getattr(runs, entry)(now=later)


@dataclass
class Outcome:
    point: int
    where: str  # web or task
    delay: float
    stage: str  # what the kill interrupted, as the database tells afterwards
    problems: list[str] = field(default_factory=list)


def check(*, seller: Seller, orders: int, env: dict) -> list[str]:
    """After the sweep (and the worker it may have given work again): what is wrong."""
    problems = []
    shop = seller.shop
    with shop_scope(shop):
        runs = list(ImportRun.objects.all())
        files = list(ImportFile.objects.all())
        count = Order.objects.count()
        customers = Customer.objects.count()
    for run in runs:
        if run.state in (ImportRun.State.QUEUED, ImportRun.State.RUNNING):
            problems.append(f"run {run.pk} stuck {run.state}")
    for record in files:
        if record.state in (ImportFile.State.QUEUED, ImportFile.State.RUNNING):
            problems.append(f"file {record.pk} stuck {record.state}")
    imported = any(f.state == ImportFile.State.IMPORTED for f in files)
    if count not in (0, orders) or (count == orders) != imported:
        problems.append(f"partial write: {count} of {orders} orders, imported={imported}")
    if count == 0 and customers:
        problems.append(f"partial write: {customers} customers without orders")
    folder = Path(settings.DATA_DIR) / "uploads" / str(shop.pk)
    left = [p.name for p in folder.iterdir()] if folder.exists() else []
    temp = Path(settings.FILE_UPLOAD_TEMP_DIR)
    left += [p.name for p in temp.iterdir()] if temp.exists() else []
    if left:
        problems.append(f"files left: {left[:5]}")
    return problems


def stage_of(seller: Seller) -> str:
    with shop_scope(seller.shop):
        files = list(ImportFile.objects.values_list("state", flat=True))
        run = ImportRun.objects.first()
    if run is None:
        return NOT_STORED
    if run.state == ImportRun.State.FAILED:
        return "import failed (worker lost)"
    return f"run {run.state}, files {','.join(files)}"


class Bench:
    """Kill points, one new shop each."""

    def __init__(self, *, env: dict, workdir: Path, orders: int, seed: int):
        self.env = env
        self.orders = orders
        self.rng = random.Random(seed)
        path = Path(workdir) / "Order.all.20250601_20250630.csv"
        orders_csv(path, orders)
        self.data = path.read_bytes()
        self.name = path.name
        self.web = Web(env)
        self.count = 0
        self.upload_window = self.task_window = 0.0

    def calibrate(self) -> None:
        """How long an upload and an import take here (the kills land within them)."""
        seller = seller_signed_in(self.web, self._name())
        started = time.monotonic()
        status, _h, _b = upload(self.web, seller, self.name, self.data)
        self.upload_window = time.monotonic() - started
        assert status == 302, status
        worker = task_worker(self.env)
        started = _wait_running(seller, worker)
        assert worker.wait(timeout=600) == 0
        self.task_window = time.monotonic() - started
        assert check(seller=seller, orders=self.orders, env=self.env) == []

    def _name(self) -> str:
        self.count += 1
        return f"kill{self.count}x{self.rng.randrange(10**6)}"

    def kill_web(self, point: int) -> Outcome:
        """SIGKILL the web worker at a moment of an upload; gunicorn starts another."""
        seller = seller_signed_in(self.web, self._name())
        delay = self.rng.uniform(0, self.upload_window * 1.2)
        victim = self.web.worker_pid()
        sender = threading.Thread(
            target=upload, args=(self.web, seller, self.name, self.data), daemon=True
        )
        sender.start()
        time.sleep(delay)
        if victim is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(victim, signal.SIGKILL)
        sender.join(timeout=120)
        self.web.wait_ready()
        stage = stage_of(seller)
        sweep()  # a run whose task was lost is queued again; stray files deleted
        if stage != NOT_STORED:
            drain(self.env)  # a run that was stored and queued is imported now
        return Outcome(point, "web", delay, stage, check(seller=seller, orders=self.orders,
                                                         env=self.env))  # fmt: skip

    def kill_task(self, point: int) -> Outcome:
        """SIGKILL the task worker at a moment of its import; the sweep fails the run."""
        seller = seller_signed_in(self.web, self._name())
        status, _h, _b = upload(self.web, seller, self.name, self.data, pieces=1, pause=0)
        assert status == 302, status
        worker = task_worker(self.env)
        _wait_running(seller, worker)
        delay = self.rng.uniform(0, self.task_window)
        time.sleep(delay)
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        stage = stage_of(seller)
        sweep()
        return Outcome(point, "task", delay, stage, check(seller=seller, orders=self.orders,
                                                          env=self.env))  # fmt: skip

    def close(self) -> None:
        self.web.stop()


def _wait_running(seller: Seller, worker: subprocess.Popen, timeout: float = 300) -> float:
    deadline = time.monotonic() + timeout
    while True:
        with shop_scope(seller.shop):
            if ImportFile.objects.exclude(state=ImportFile.State.QUEUED).exists():
                return time.monotonic()
        if worker.poll() is not None:
            return time.monotonic()
        assert time.monotonic() < deadline, "the task worker never took the run"
        time.sleep(0.01)

"""`kb serve`: the HTTP API, the search page and the widget on uvicorn."""

from __future__ import annotations

import contextlib
import copy
import errno
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Annotated

import typer

from api.cli.output import err_console, prepare_model, user_errors


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="API processes; above 1 needs a Chroma server (KB_CHROMA_URL).")] = 1,
    watch: Annotated[
        list[Path] | None,
        typer.Option("--watch", help="A drop folder to keep ingested while serving (repeat it): `kb ingest DIR --watch` through this server."),
    ] = None,
    prune: Annotated[bool, typer.Option("--prune", help="With --watch: a file deleted or renamed removes its old document.")] = False,
) -> None:
    """Serve the HTTP API (OpenAPI docs at /docs), the search page (/) and the widget (/widget.js)."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from kb import Settings
    from kb.errors import InvalidInput

    with user_errors():
        settings = _answering_to(host, Settings())
        if workers > 1 and not settings.chroma_url:
            # An embedded Chroma store belongs to one process: several would each hold their own copy.
            raise InvalidInput(
                f"--workers {workers} needs a Chroma server: the embedded store is owned by one process. Start `chroma run --path DIR --port 8001`, set KB_CHROMA_URL=http://127.0.0.1:8001, then serve with several workers"
            )
        if not settings.chroma_url:
            _own_store(settings, host, port)
        prepare_model(settings)  # built here once, not by each worker
        listening = bind(host, port)
    err_console.print(f"panel-kb listening on http://{host}:{port} with {workers} worker{'s' if workers > 1 else ''}  (Ctrl+C to stop)")
    err_console.print(access_summary(settings, host))
    proxies = [address.strip() for address in settings.trusted_proxies.split(",") if address.strip()]
    # X-Forwarded-For decides who a client is (loopback rule, rate limit): believed only from proxies the operator names.
    config = uvicorn.Config(
        "api.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        log_config=log_config(),
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies or None,
    )
    server = uvicorn.Server(config)
    watcher = _Watcher(watch, prune, f"http://127.0.0.1:{port}" if host in ("0.0.0.0", "::") else f"http://{host}:{port}") if watch else None
    with contextlib.suppress(KeyboardInterrupt), watcher or contextlib.nullcontext():
        if workers > 1:
            Multiprocess(config, sockets=[listening]).run()
        else:
            server.run(sockets=[listening])
    if workers == 1 and not server.started:
        raise typer.Exit(3)  # the app did not start (its log says why), as uvicorn.run exits


class _Watcher:
    """`kb ingest DIR --watch` as a child process once the server answers: it finds the store served and uploads
    through this server, the same path as any `kb ingest` run beside a `kb serve`."""

    def __init__(self, paths: list[Path], prune: bool, url: str) -> None:
        self.command = [str(Path(sys.argv[0]).resolve()), "ingest", *map(str, paths), "--watch", *(["--prune"] if prune else [])]
        self.url = url
        self.process: subprocess.Popen[bytes] | None = None
        self.stop = threading.Event()

    def __enter__(self) -> _Watcher:
        threading.Thread(target=self._start_when_up, name="kb-watch", daemon=True).start()
        return self

    def _start_when_up(self) -> None:
        import urllib.request

        while not self.stop.is_set():
            try:
                urllib.request.urlopen(f"{self.url}/v1/health", timeout=1)
                break
            except OSError:
                self.stop.wait(0.3)
        if not self.stop.is_set():
            self.process = subprocess.Popen(self.command)

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # the watcher finishes its batch's file and says it stopped
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()


def log_config() -> dict:
    """uvicorn's logging, plus our own `panel_kb.*` loggers at INFO on the same handler: a served store reports
    what verification dropped from a generative answer, and refused origins, beside the access log."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["panel_kb"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound before anything says "listening" (uvicorn serves on it); a busy port is
    an error that names the process holding it when this user may see it."""
    from kb.errors import InvalidInput

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: a restart need not wait out TIME_WAIT
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise InvalidInput(
                f"port {port} on {host} is already in use{port_holder(port)}: stop that, or serve on another port with --port"
            ) from None
        raise InvalidInput(f"cannot listen on {host}:{port}: {exc.strerror}: check --host and --port") from None
    sock.set_inheritable(True)  # several workers share it
    return sock


def port_holder(port: int) -> str:
    """` (by pid 123: kb serve --port 8000)` for the process listening on `port`, or "" when that cannot be known."""
    import psutil

    try:
        pids = {c.pid for c in psutil.net_connections(kind="inet") if c.laddr and c.laddr.port == port and c.status == psutil.CONN_LISTEN and c.pid}
        for pid in sorted(pids):
            command = " ".join(Path(part).name if i == 0 else part for i, part in enumerate(psutil.Process(pid).cmdline()))
            return f" (by pid {pid}: {command[:120]})" if command else f" (by pid {pid})"
    except (psutil.Error, OSError):
        pass
    return ""


def _answering_to(host: str, settings):
    """Settings whose KB_ALLOWED_HOSTS also holds `--host` when it is a name: the server publishes that name for
    local kb commands, so it must answer to it (the app and its workers read the environment)."""
    from api.trusted_hosts import host_name, is_address

    name = host_name(host)
    if not name or is_address(name) or name in (n.lower() for n in settings.allowed_host_list):
        return settings
    os.environ["KB_ALLOWED_HOSTS"] = ",".join([*settings.allowed_host_list, name])
    return settings.model_copy(update={"allowed_hosts": os.environ["KB_ALLOWED_HOSTS"]})


def access_summary(settings, host: str) -> str:
    """One line on what this server leaves open, loud when it listens beyond this machine with no keys."""
    reads = "need KB_READ_KEY" if settings.read_key else "open to anyone who can reach it"
    writes = "need KB_API_KEY" if settings.api_key else "accepted only from this machine"
    line = f"Reads {reads}; writes {writes}."
    if host in ("127.0.0.1", "localhost", "::1"):
        return line
    names = ", ".join(settings.allowed_host_list) or "none besides IP addresses and this machine's name; set KB_ALLOWED_HOSTS for others"
    line = f"{line} Names it answers to: {names}."
    if not (settings.read_key and settings.api_key):
        return f"[bold yellow]Warning:[/] listening on {host}. {line} Set KB_READ_KEY and KB_API_KEY, or keep it behind your intranet's proxy."
    return line


def _own_store(settings, host: str, port: int) -> None:
    """Claim the embedded store for this server and say where kb commands on this machine reach it.

    A kb command that has the store open (an ingest, say) is waited for; another
    server that owns it is an error.
    """
    from kb.errors import InvalidInput, StoreBusy
    from kb.opening import StoreServed, serve_store

    told = False
    while True:
        try:
            serve_store(settings, local_url(host, port), wait=1.0)
            return
        except StoreServed as served:
            raise InvalidInput(
                f"another `kb serve` ({served.holder.describe()}) already serves this store at {served.holder.url}: use it, or stop it first"
            ) from None
        except StoreBusy as busy:
            if not told:
                err_console.print(f"Waiting for the store: {busy.message.split(';')[0]} (Ctrl+C to give up)")
                told = True


def local_url(host: str, port: int) -> str:
    """Where a process on this machine reaches a server listening on `host`."""
    if host in ("", "0.0.0.0", "::", "[::]"):
        host = "127.0.0.1"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"

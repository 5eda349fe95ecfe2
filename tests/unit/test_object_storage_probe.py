"""The object storage verify probe without a lab: it reads the white list, and it tells a gRPC
port answering HTTP/2 in the clear from one that does not."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.unit.baseline_module import ROOT, load_path, load_utils

load_utils("nft_ruleset")
load_utils("nft_admission")
PROBE = load_path(ROOT / "roles/object_storage/library/object_storage_probe.py", "object_storage_probe")
SETTINGS_FRAME = b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"


@pytest.fixture
def server() -> Iterator[Callable[[Callable[[socket.socket], None]], int]]:
    """A one-connection loopback server running ``handle``; yields a starter returning its port."""
    listeners: list[socket.socket] = []

    def start(handle: Callable[[socket.socket], None]) -> int:
        sock = socket.create_server(("127.0.0.1", 0))
        listeners.append(sock)

        def serve() -> None:
            conn, _ = sock.accept()
            with conn:
                handle(conn)

        threading.Thread(target=serve, daemon=True).start()
        return int(sock.getsockname()[1])

    yield start
    for sock in listeners:
        sock.close()


def test_plain_grpc_is_seen_as_an_http2_answer(server: Callable[..., int]) -> None:
    def plain_grpc(conn: socket.socket) -> None:
        conn.recv(len(PROBE.PREFACE))
        conn.sendall(SETTINGS_FRAME)

    port = server(plain_grpc)
    assert PROBE.grpc_probe("127.0.0.1", port, None, None, None, tls=False) == "http2"


def test_a_closed_connection_is_not_an_answer(server: Callable[..., int]) -> None:
    port = server(lambda conn: conn.recv(64))
    assert PROBE.grpc_probe("127.0.0.1", port, None, None, None, tls=False) == "closed"


def test_tls_against_a_plain_server_is_not_an_answer(server: Callable[..., int]) -> None:
    port = server(lambda conn: conn.recv(512))
    result = PROBE.grpc_probe("127.0.0.1", port, None, None, None, tls=True)
    assert result != "http2"


@pytest.mark.parametrize(("text", "expected"), [
    ('[guard]\nwhite_list = "10.0.0.1, 10.0.0.2"\n\n[grpc]\nca = "x"\n', ["10.0.0.1", "10.0.0.2"]),
    ('[guard]\nwhite_list = ""\n', []),
    ('[grpc]\nwhite_list = "10.0.0.1"\n', []),
    ('[access]\nui = false\n', []),
])
def test_white_list_is_read_from_the_guard_section(
    tmp_path: Path, text: str, expected: list[str],
) -> None:
    path = tmp_path / "security.toml"
    path.write_text(text)
    assert PROBE.white_list(str(path)) == expected


def test_unreadable_security_toml_gives_no_white_list(tmp_path: Path) -> None:
    assert PROBE.white_list(str(tmp_path / "missing.toml")) is None

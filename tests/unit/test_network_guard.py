import socket

import pytest


def test_outside_connections_are_refused_in_tests():
    with socket.socket() as s, pytest.raises(ConnectionRefusedError, match="may not connect"):
        s.connect(("192.0.2.1", 80))  # TEST-NET-1: never reached, refused before any packet


def test_loopback_is_allowed():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.socket() as client:
            client.connect(server.getsockname())

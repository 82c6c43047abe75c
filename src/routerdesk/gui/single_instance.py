"""One app per state folder: a second launch asks the first to show its window, then exits.

The lock is a QLocalServer whose name is derived from `ROUTERDESK_HOME` (or the
default state folder), so two different homes may run side by side (tests do).
"""

from __future__ import annotations

import getpass
import hashlib

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from routerdesk.storage.paths import state_dir

SHOW = b"show\n"


def server_name() -> str:
    key = f"{getpass.getuser()}:{state_dir().resolve()}"
    return "routerdesk-" + hashlib.sha256(key.encode()).hexdigest()[:16]


class SingleInstance(QObject):
    """Owns the per-home local socket.

    Signals:
        activated(): another launch asked this instance to show itself.
    """

    activated = Signal()

    def __init__(self, name: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name or server_name()
        self._server: QLocalServer | None = None

    def claim(self, timeout_ms: int = 500) -> bool:
        """True if this process is now the instance; False if another one answered (and was told to show)."""
        probe = QLocalSocket(self)
        try:
            probe.connectToServer(self.name)
            if probe.waitForConnected(timeout_ms):
                probe.write(SHOW)
                probe.waitForBytesWritten(timeout_ms)
                probe.disconnectFromServer()
                return False
        finally:
            probe.abort()
            probe.deleteLater()
        QLocalServer.removeServer(self.name)  # a stale socket left by a crash
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self.name):
            return True  # cannot lock (odd platform); run anyway rather than refuse
        server.newConnection.connect(self._on_connection)
        self._server = server
        return True

    def release(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    def _on_connection(self) -> None:
        assert self._server is not None
        while (sock := self._server.nextPendingConnection()) is not None:
            sock.setParent(self)
            sock.readyRead.connect(self._read)
            sock.disconnected.connect(sock.deleteLater)

    def _read(self) -> None:
        sock = self.sender()
        if isinstance(sock, QLocalSocket) and bytes(sock.readAll().data()).startswith(SHOW.strip()):
            self.activated.emit()

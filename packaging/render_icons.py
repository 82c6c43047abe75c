"""Render the app's SVG icon to the PNG sizes desktop icon themes look for (hicolor: 48 is the must).

    python packaging/render_icons.py SVG OUT_DIR [SIZE ...]

Writes OUT_DIR/routerdesk-<size>.png. Used by packaging/routerdesk.spec so
install.sh can fill ~/.local/share/icons/hicolor/<size>x<size>/apps as well as scalable/.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

DEFAULT_SIZES = (48, 64, 128, 256)


def render(svg: Path, out_dir: Path, sizes: tuple[int, ...] = DEFAULT_SIZES) -> list[Path]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"render_icons: {svg} is not a valid SVG")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for size in sizes:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        path = out_dir / f"routerdesk-{size}.png"
        if not image.save(str(path), "PNG"):
            raise SystemExit(f"render_icons: could not write {path}")
        written.append(path)
    del app
    return written


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    sizes = tuple(int(s) for s in argv[2:]) or DEFAULT_SIZES
    for path in render(Path(argv[0]), Path(argv[1]), sizes):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

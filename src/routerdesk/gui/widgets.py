"""Small reusable widgets: dashboard tiles, message banners, copyable text fields, page stacks."""

from __future__ import annotations

from typing import ClassVar

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QGuiApplication, QPainter
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QProxyStyle,
    QPushButton,
    QSizePolicy,
    QStackedLayout,
    QStyle,
    QStyleOption,
    QStyleOptionHeader,
    QVBoxLayout,
    QWidget,
)


class Tile(QFrame):
    """A headline number with a caption and a small line under it."""

    def __init__(self, title: str, tooltip: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setToolTip(tooltip)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        self._title = QLabel(title)
        self._value = QLabel("–")
        self._sub = QLabel("")
        font = self._value.font()
        font.setPointSizeF(font.pointSizeF() * 1.8)
        font.setBold(True)
        self._value.setFont(font)
        self._title.setEnabled(False)  # the palette's muted text colour
        self._sub.setEnabled(False)
        for w in (self._title, self._value, self._sub):
            w.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            layout.addWidget(w)

    def set_title(self, title: str) -> None:
        self._title.setText(title)

    def title(self) -> str:
        return self._title.text()

    def set(self, value: str, sub: str = "") -> None:
        self._value.setText(value)
        self._sub.setText(sub)

    def value(self) -> str:
        return self._value.text()


class Banner(QLabel):
    """A coloured, word-wrapped message line; hidden while empty, or blank in reserved space.

    With `reserve_lines`, the banner keeps room for that many lines even while
    empty, so a message appearing never pushes the page's fields down under the
    pointer (a click meant for one field must not land in another). Longer
    messages still grow it.
    """

    COLOURS: ClassVar[dict[str, str]] = {
        "error": "#c0392b",
        "ok": "#2e7d32",
        "info": "#1f6feb",
        "warn": "#b7791f",
    }

    def __init__(self, parent: QWidget | None = None, *, reserve_lines: int = 0) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.LinksAccessibleByMouse
        )
        self.reserve_lines = reserve_lines
        if reserve_lines:
            # 6 px padding and a 1 px border above and below, as in show_message's style.
            self.setMinimumHeight(self.fontMetrics().lineSpacing() * reserve_lines + 14)
            self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.clear_message()

    def show_message(self, text: str, kind: str = "info") -> None:
        colour = self.COLOURS.get(kind, self.COLOURS["info"])
        self.setStyleSheet(
            f"QLabel {{ border: 1px solid {colour}; border-left: 4px solid {colour};"
            " border-radius: 3px; padding: 6px; }"
        )
        self.setText(text)
        self.setAccessibleName(f"{kind}: {text}")
        self.setVisible(bool(text) or bool(self.reserve_lines))

    def show_hint(self, text: str) -> None:
        """Plain text in the reserved space: what will appear here, before anything has."""
        self.clear_message()
        self.setText(text)
        self.setAccessibleName(text)

    def clear_message(self) -> None:
        self.setText("")
        self.setAccessibleName("")
        if self.reserve_lines:
            self.setStyleSheet("QLabel { border: 1px solid transparent; padding: 6px; }")
        else:
            self.hide()


class _ShownPageLayout(QStackedLayout):
    """A QStackedLayout whose height-for-width asks only the page on show.

    Qt's asks every page, hidden ones included (and their own stacks' pages), so
    one word-wrapped label on the shown page made each relayout of the window,
    e.g. a dashboard tile's new figure a few times a second under traffic,
    reflow the rich text of every other page.
    """

    def heightForWidth(self, width: int) -> int:
        page = self.currentWidget()
        return page.heightForWidth(width) if page is not None else -1


class PageStack(QWidget):
    """QStackedWidget's interface over `_ShownPageLayout`: hidden pages cost no layout work.

    Size hints and minimum sizes still cover every page, as QStackedWidget's do.

    Signals:
        currentChanged(int): the page on show changed.
    """

    currentChanged = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._pages = _ShownPageLayout(self)
        self._pages.currentChanged.connect(self.currentChanged)

    def addWidget(self, page: QWidget) -> int:
        return self._pages.addWidget(page)

    def count(self) -> int:
        return self._pages.count()

    def widget(self, index: int) -> QWidget | None:
        return self._pages.widget(index)

    def currentIndex(self) -> int:
        return self._pages.currentIndex()

    def setCurrentIndex(self, index: int) -> None:
        self._pages.setCurrentIndex(index)

    def currentWidget(self) -> QWidget | None:
        return self._pages.currentWidget()

    def setCurrentWidget(self, page: QWidget) -> None:
        self._pages.setCurrentWidget(page)


def pad_items(view: QListWidget, extra_px: int) -> None:
    """Taller rows for a list, without a style sheet (those stop following palette changes)."""
    fm = view.fontMetrics()
    height = fm.height() + extra_px
    for i in range(view.count()):
        item = view.item(i)
        item.setSizeHint(QSize(fm.horizontalAdvance(item.text()) + extra_px, height))


def usd(v: float) -> str:
    """Dollars with enough digits for a single request's fraction of a cent."""
    if v == 0:
        return "$0"
    if abs(v) >= 1:
        return f"${v:,.2f}"
    if abs(v) >= 0.01:
        return f"${v:.4f}"
    return f"${v:.7f}".rstrip("0")


def copy_to_clipboard(text: str) -> None:
    clipboard = QGuiApplication.clipboard()
    clipboard.setText(text)


class CopyField(QWidget):
    """A read-only line with a Copy button."""

    def __init__(self, text: str = "", tooltip: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.edit = QLineEdit(text)
        self.edit.setReadOnly(True)
        self.edit.setToolTip(tooltip)
        self.button = QPushButton("Copy")
        self.button.setToolTip("Copy to the clipboard")
        self.button.clicked.connect(lambda: copy_to_clipboard(self.edit.text()))
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.button)

    def set_text(self, text: str) -> None:
        self.edit.setText(text)


class CodeBlock(QWidget):
    """A read-only monospace snippet with a Copy button under it."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.view = QPlainTextEdit(text)
        self.view.setReadOnly(True)
        self.view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.view.setTabChangesFocus(True)
        font = self.view.font()
        font.setFamily("monospace")
        font.setStyleHint(font.StyleHint.Monospace)
        self.view.setFont(font)
        self.button = QPushButton("Copy")
        self.button.setToolTip("Copy this snippet to the clipboard")
        self.button.clicked.connect(lambda: copy_to_clipboard(self.view.toPlainText()))
        layout.addWidget(self.view)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.button)
        layout.addLayout(row)

    def set_text(self, text: str) -> None:
        self.view.setPlainText(text)
        lines = max(2, text.count("\n") + 2)
        self.view.setFixedHeight(self.view.fontMetrics().lineSpacing() * lines + 12)

    def text(self) -> str:
        return self.view.toPlainText()


class SortArrowStyle(QProxyStyle):
    """Header arrows that point the way the list runs: down for descending (newest first).

    QHeaderView hands the style SortUp for a descending sort (an old Windows
    convention), so a list running newest-first showed an arrow pointing up.
    With no base style this follows the application's style, palette switches too.
    """

    def drawPrimitive(
        self,
        element: QStyle.PrimitiveElement,
        option: QStyleOption,
        painter: QPainter,
        widget: QWidget | None = None,
    ) -> None:
        if element == QStyle.PrimitiveElement.PE_IndicatorHeaderArrow and isinstance(
            option, QStyleOptionHeader
        ):
            swapped = QStyleOptionHeader(option)
            up, down = (
                QStyleOptionHeader.SortIndicator.SortUp,
                QStyleOptionHeader.SortIndicator.SortDown,
            )
            swapped.sortIndicator = down if option.sortIndicator == up else up
            option = swapped
        super().drawPrimitive(element, option, painter, widget)

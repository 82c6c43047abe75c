"""What the L1 classifier reads from a request: bounded text windows and structure.

`read_request(req, shape)` finds the turns that matter and measures the request's
structure; `features(reading)` turns that into the sparse binary features of the
learned model (`classify_model`) as (kind, keys) groups, the one definition of the
features. `feature_names(reading)` spells the same groups out as names; training
(training/train.py) calls `read_request` and `feature_names`, the classifier looks
the groups up by kind, so what the model was fitted on is what it sees at run time.

What is read (every window is bounded; the cost does not grow with the conversation)
    last user turn   its text without agent plumbing (``<system-reminder>``,
                     ``<environment_details>``), fenced code set apart from prose.
                     Words of the first 700 and last 300 characters of the prose,
                     the first words again as "head" features (people put the
                     instruction there), and the first 300 characters of fenced code.
    previous user    first 300 characters ("ok, make it faster" keeps the thread's task).
    system prompt    first 1,200 characters (cached: agents resend the same one).
    structure        code fences, unfenced code lines, stack traces, diffs, images,
                     tools offered (coding or extraction tools), response_format,
                     tool results in the last 256 messages, length, question marks,
                     maths marks, bullet lines.

Feature names: ``w:`` word, ``b:`` word pair, ``h:`` one of the first eight words,
``x:`` a word's first five letters (a cheap stem across inflections), ``c:`` a word
of fenced code, ``p:`` previous user turn, ``s:`` system prompt, ``f:`` structure.
Text in scripts without spaces (CJK, kana, hangul, Thai) is read as character
pairs. Numbers become ``<n>``.

`Reading.log_features` is the small numeric summary kept in the usage log (replay
and the Requests page read it); keep its keys stable.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from itertools import pairwise
from typing import NamedTuple

from routerdesk.core.classify_lexicon import CueScanner
from routerdesk.core.tokens import PromptShape, recent_structure
from routerdesk.core.types import ChatRequest, Message, TextPart

USER_CAP = 24_000  # chars of the last user turn kept: head 16k + tail 8k
HEAD_WIN = 700  # prose window of the user turn: first and last characters
TAIL_WIN = 300
CODE_WIN = 300
PREV_CAP = 300
SYSTEM_CAP = 1_200
USER_BACK = 64  # how far back to look for the last user text
SHAPE_CAP = 1_500  # chars sampled for line-shape features
HEAD_WORDS = 8
BIGRAM_HEAD = 60  # word pairs are taken from the first and last words only
BIGRAM_TAIL = 25
SHORT_TURN = 400  # a turn this short is all instruction
INSTRUCTION_CAP = 240  # else: its first line (to a colon) and a last paragraph this short

PLUMBING_TAGS = ("system-reminder", "environment_details")
_CODE_STARTS = (
    "def ", "class ", "import ", "from ", "function ", "const ", "let ", "var ", "public ",
    "private ", "#include", "return ", "for (", "if (", "while (", "fn ", "func ", "package ",
    "select ", "SELECT ", "}", "@",
)  # fmt: skip
_CODE_ENDS = (";", "{", "}", "):", "];", "})", "=>")
_BULLETS = ("- ", "* ", "• ")
# `mark in text` costs about half a nanosecond per character for a needle of two or
# more characters, a one-character needle is a memchr, some twenty times faster: each
# group of marks sits behind a gate it contains. A missing gate skips the search.
_TRACE_GATES = (
    ("Exception", ("Exception in thread", "Exception: ")),
    (":", ("Error: ",)),
    ("(", ("Traceback (most recent call last)",)),
    ("!", ("npm ERR!",)),
    ("[", ("error[E",)),
    ("\t", ("\n\tat ",)),
    ("", ("panicked at", "\n    at ", "Segmentation fault")),
)
_MATH_GATES = (
    ("=", "="), ("^", "^"), ("+", " + "), ("*", " * "), ("/", " / "), ("√", "√"), ("∑", "∑"),
    ("∫", "∫"), ("≤", "≤"), ("≥", "≥"), ("≠", "≠"), ("π", "π"), ("\\", "\\frac"), ("²", "²"),
    ("$", "$"),
)  # fmt: skip
_FILE_RX = re.compile(r"\.(?:py|js|ts|tsx|jsx|rs|go|java|kt|cpp|cc|hpp|rb|php|cs|swift)\b")
_CAMEL_RX = re.compile(r"[a-z]{2}[A-Z][a-z]")
# ASCII text mapped to letter classes ("a" lower, "A" upper, " " other): camelCase humps
# ([a-z]{2}[A-Z][a-z]) are then counted by a substring count, equal to the regex's.
_LETTER_CLASS = bytes(97 if 97 <= b <= 122 else 65 if 65 <= b <= 90 else 32 for b in range(256))
_CODING_TOOL_WORDS = (
    "file", "bash", "shell", "terminal", "command", "edit", "patch", "grep", "glob", "code",
    "lint", "test", "diff", "commit", "director", "str_replace", "notebook",
)  # fmt: skip
_EXTRACT_TOOL_WORDS = ("extract", "record", "save", "store", "classif", "parse", "entit", "schema")

# Punctuation becomes a space before splitting into words; "-", "+" and "#" stay
# (thread-safe, c++, c#).
_PUNCT_CHARS = ".,;:!?()[]{}\"'`<>/\\|=*&^%$@~«»“”„‘’「」。，、：；？！（）《》【】…·"
_PUNCT_BYTES = bytes(32 if b < 128 and chr(b) in _PUNCT_CHARS else b for b in range(256))
_PUNCT_RX = re.compile("[" + re.escape(_PUNCT_CHARS) + "]")
_ASCII_NUMBER_RX = re.compile(r"(?<!\S)[0-9]\S*")
_DIGITS = "0123456789"
# Scripts written without spaces between words: read as character pairs.
_UNSPACED_RX = re.compile("[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]+")

# A feature is a kind and a key (a word, a pair of words, a stem, a cue family, a flag).
FeatureGroup = tuple[str, Sequence[str]]

_SCANNER = CueScanner()
_SYSTEM_CACHE_SIZE = 32
_system_cache: dict[str, tuple[FeatureGroup, ...]] = {}


class Reading(NamedTuple):
    """One request as the classifier reads it."""

    prose: str  # the user turn's prose window, lower-case
    instruction: str  # where people put the instruction: all of a short turn, else its
    # first line (to the first colon) and a short last paragraph; lower-case
    code: str  # the start of its fenced code, lower-case
    prev: str  # the previous user turn's head, lower-case
    system: str  # the system prompt's head (original case: it is a cache key)
    flags: tuple[str, ...]  # structure features (``f:`` features without the prefix)
    log_features: dict[str, float]  # the usage-log summary (stable keys)
    has_user: bool


def strip_plumbing(text: str, limit: int = 4) -> str:
    """`text` without the blocks agents wrap context in (``<system-reminder>``,
    ``<environment_details>``), at most `limit` of each (bounded cost)."""
    # One memchr rules out both tags in most texts (and in long system prompts).
    for tag in PLUMBING_TAGS if "<" in text else ():
        for _ in range(limit):
            start = text.find("<" + tag)
            if start < 0:
                break
            end = text.find("</" + tag + ">", start)
            text = text[:start] + (text[end + len(tag) + 3 :] if end >= 0 else "")
    return text


def text_of(msg: Message) -> str:
    """The message's text without tool plumbing, bounded to USER_CAP characters."""
    texts = [
        p.text
        for p in msg.content
        if isinstance(p, TextPart) and not p.text[:40].lstrip().startswith("<system-reminder>")
    ]
    text = texts[0] if len(texts) == 1 else "\n".join(texts)
    if len(text) > USER_CAP:
        text = text[:16_000] + "\n" + text[-8_000:]
    return strip_plumbing(text)


def split_words(text: str) -> list[str]:
    """Lower-case `text` split into words; unspaced scripts become character pairs."""
    if text.isascii():
        spaced = text.encode("ascii").translate(_PUNCT_BYTES).decode("ascii")
        # words that start with a digit become "<n>": one C-level pass, no per-word test,
        # and none at all without a digit (ten one-character searches are memchr calls)
        if any(map(spaced.__contains__, _DIGITS)):
            spaced = _ASCII_NUMBER_RX.sub("<n>", spaced)
        return spaced.split()
    else:
        words = _PUNCT_RX.sub(" ", text).split()
        if _UNSPACED_RX.search(text):
            out: list[str] = []
            for w in words:
                runs = _UNSPACED_RX.findall(w)
                if not runs:
                    out.append(w)
                    continue
                rest = _UNSPACED_RX.sub(" ", w).split()
                out.extend(rest)
                for run in runs:
                    out.extend([run[i : i + 2] for i in range(max(1, len(run) - 1))])
            words = out
    return [w if not w[0].isdigit() else "<n>" for w in words]


def _line_shape(sample: str) -> tuple[int, int, int]:
    """(lines, code-looking lines, bullet or numbered lines) of a bounded sample."""
    lines = sample.split("\n")
    code = bullets = 0
    for line in lines[:120]:
        s = line.strip()
        if not s:
            continue
        if s.startswith(_CODE_STARTS) or s.endswith(_CODE_ENDS):
            code += 1
        if s.startswith(_BULLETS) or (
            s[0].isdigit() and (s[1:3] in (". ", ") ") or s[2:4] == ". ")
        ):
            bullets += 1
    return len(lines), code, bullets


def _has_trace(probe: str) -> bool:
    for gate, marks in _TRACE_GATES:
        if gate in probe:
            for mark in marks:
                if mark in probe:
                    return True
    return False


def _camel_humps(text: str) -> int:
    if text.isascii():
        return text.encode("ascii").translate(_LETTER_CLASS).count(b"aaAa")
    return len(_CAMEL_RX.findall(text))


def _bucket(name: str, n: float, edges: tuple[float, ...]) -> str:
    i = 0
    while i < len(edges) and n >= edges[i]:
        i += 1
    return f"{name}{i}"


def read_request(req: ChatRequest, shape: PromptShape | None = None) -> Reading:
    """Find the turns that matter and measure the request's structure."""
    msgs = req.messages
    user_msg: Message | None = None
    prev_user: Message | None = None
    for i in range(len(msgs) - 1, max(-1, len(msgs) - 1 - USER_BACK), -1):
        m = msgs[i]
        if m.role != "user" or not any(
            isinstance(p, TextPart) and p.text[:2_000].strip() for p in m.content
        ):
            continue
        if user_msg is None:
            user_msg = m
        else:
            prev_user = m
            break
    if shape is not None:
        tool_results, images = shape.recent_tool_turns, shape.recent_image_messages
    else:
        tool_results, images = recent_structure(msgs)
    system_head = ""
    system_chars = 0
    for m in msgs[:4]:
        if m.role == "system":
            system_chars += sum(len(p.text) for p in m.content if isinstance(p, TextPart))
            if len(system_head) < SYSTEM_CAP:
                system_head += text_of(m)[:SYSTEM_CAP] + "\n"

    user_text = text_of(user_msg) if user_msg is not None else ""
    user_chars = len(user_text)
    code_chars = code_blocks = 0
    code_head = ""
    if "```" in user_text:
        pieces = user_text.split("```")
        prose = "\n".join(pieces[0::2])
        code_blocks = len(pieces) // 2
        code_chars = sum(len(p) for p in pieces[1::2])
        code_head = pieces[1][:CODE_WIN].lower()
    else:
        prose = user_text
    lines, code_lines, bullets = _line_shape(prose[:SHAPE_CAP])
    if lines <= 2:
        code_lines = 0
    big = user_chars > 12_000
    probe = user_text[:8_000] + user_text[-4_000:] if big else user_text
    trace = _has_trace(probe)
    diff = (
        ("@" in probe and "\n@@ " in probe)
        or "diff --git" in probe
        or ("+" in probe and "\n+++ " in probe)
    )
    files = len({probe[max(0, m.start() - 16) : m.end()] for m in _FILE_RX.finditer(probe)})
    win = (
        prose if len(prose) <= HEAD_WIN + TAIL_WIN else prose[:HEAD_WIN] + "\n" + prose[-TAIL_WIN:]
    )
    math_marks = sum([win.count(mark) for gate, mark in _MATH_GATES if gate in win])
    idents = win[:HEAD_WIN].count("()") + _camel_humps(win[:HEAD_WIN])

    n_tools = len(req.tools)
    coding_tools = extract_tools = 0
    for tool in req.tools[:64]:
        name = tool.name.lower()
        coding_tools += any(w in name for w in _CODING_TOOL_WORDS)
        extract_tools += any(w in name for w in _EXTRACT_TOOL_WORDS)
    forced = req.tool_choice is not None and req.tool_choice.mode in ("required", "tool")
    rf = req.response_format.type if req.response_format is not None else "text"

    flags = [
        _bucket("len", user_chars, (20, 60, 160, 400, 1_000, 2_500, 8_000)),
        _bucket("lines", lines, (2, 4, 10, 30)),
    ]
    stripped = prose.rstrip()
    if stripped.endswith(("?", "？")):
        flags.append("ends_q")
    if code_blocks:
        flags.append("fenced")
        flags.append(_bucket("code", code_chars, (200, 1_000, 4_000)))
    if trace:
        flags.append("trace")
    if diff:
        flags.append("diff")
    if code_lines >= 3 and code_lines * 4 >= lines:
        flags.append("unfenced_code")
    if code_lines:
        flags.append(_bucket("codelines", code_lines, (2, 5, 15)))
    if idents:
        flags.append(_bucket("idents", idents, (2, 4)))
    if files:
        flags.append(_bucket("files", files, (2, 4)))
    if math_marks:
        flags.append(_bucket("math", math_marks, (2, 5, 10)))
    if bullets:
        flags.append(_bucket("bullets", bullets, (2, 4, 8)))
    if images:
        flags.append("images")
    if coding_tools:
        flags.append("coding_tools")
    if extract_tools and (forced or n_tools == 1):
        flags.append("extract_tool")
    if rf != "text":
        flags.append(rf)
    if tool_results >= 2:
        flags.append("agent_loop")
    if prev_user is not None:
        flags.append("follow_up" if user_chars < 80 else "later_turn")
    if system_head:
        flags.append("system")
    if user_msg is None:
        flags.append("no_user")

    log_features = {
        "user_chars": float(user_chars),
        "system_chars": float(system_chars),
        "messages": float(len(msgs)),
        "tool_results": float(tool_results),
        "images": float(images),
        "tools": float(n_tools),
        "json_mode": 1.0 if rf != "text" else 0.0,
        "code_blocks": float(code_blocks),
        "code_chars": float(code_chars),
        "code_lines": float(code_lines),
        "stack_trace": 1.0 if trace else 0.0,
        "diff": 1.0 if diff else 0.0,
        "math": float(math_marks),
        "constraints": float(bullets),
        "files": float(files),
        "log_len": round(math.log2(1.0 + user_chars), 3),
    }
    prev = text_of(prev_user)[:PREV_CAP].lower() if prev_user is not None else ""
    instruction = _instruction(prose)
    if len(instruction) < len(prose):
        flags.append("material")
    return Reading(
        prose=win.lower(),
        instruction=instruction.lower(),
        code=code_head,
        prev=prev,
        system=system_head,
        flags=tuple(flags),
        log_features=log_features,
        has_user=user_msg is not None,
    )


_HEAD_SEPS = ("\n", ": ", ":\n", "：")


def _instruction(prose: str) -> str:
    """The part of the turn that says what to do, without the material it works on.

    A short turn is all instruction. In a long one the instruction sits at the start
    (up to the first line break or colon, at most INSTRUCTION_CAP characters) or in a
    short last paragraph (a question after a pasted passage): the words of the pasted
    material say what it is about, not what to do with it, and a model that reads them
    learns the topics of its training sources instead of tasks.
    """
    text = prose.strip()
    if len(text) <= SHORT_TURN:
        return text
    cut = -1
    for sep in _HEAD_SEPS:
        i = text.find(sep, 12, INSTRUCTION_CAP)
        if i >= 0 and (cut < 0 or i < cut):
            cut = i
    head = text[: cut + 1 if cut >= 0 else INSTRUCTION_CAP]
    last = text.rfind("\n")
    tail = text[last + 1 :] if last > 0 and len(text) - last <= INSTRUCTION_CAP else ""
    return head + "\n" + tail if tail else head


def _system_features(head: str) -> tuple[FeatureGroup, ...]:
    cached = _system_cache.get(head)
    if cached is None:
        low = head.lower()
        words = list(dict.fromkeys(split_words(low)[:80]))
        cached = (("s", words), *_cue_features(low, "ks"))
        if len(_system_cache) >= _SYSTEM_CACHE_SIZE:
            del _system_cache[next(iter(_system_cache))]
        _system_cache[head] = cached
    return cached


def _cue_features(text: str, kind: str) -> tuple[FeatureGroup, FeatureGroup]:
    """Which cue families of the lexicon (`classify_lexicon`) occur in `text`: one binary
    feature per family, ``K`` when strong. The lexicon's hand-set weights are not used;
    the model learns what each family is worth."""
    found: dict[str, float] = {}
    _SCANNER.scan(text, 1.0, found)
    return (kind, list(found)), (kind.upper(), [k for k, v in found.items() if v >= 2.0])


def features(r: Reading) -> list[FeatureGroup]:
    """The sparse binary features of a reading as (kind, keys) groups, in a fixed order
    (duplicates allowed; the model counts each feature once).

    The one definition of the features: `feature_names` spells them out for training,
    and the model looks the same keys up in per-kind indexes at run time, so no name
    is built per request and a word is hashed once for its ``w:`` and ``h:`` lookups.
    """
    words = split_words(r.instruction)
    cues = _cue_features(r.instruction, "kh")
    pairs = list(map(" ".join, pairwise(words[:BIGRAM_HEAD])))
    if len(words) > BIGRAM_HEAD:
        pairs += map(" ".join, pairwise(words[-BIGRAM_TAIL:]))
    out: list[FeatureGroup] = [
        ("w", words),
        ("h", words[:HEAD_WORDS]),
        ("x", [w[:5] for w in words if len(w) >= 7]),
        ("b", pairs),
    ]
    if r.code:
        out.append(("c", split_words(r.code)))
    out += cues
    if r.prev:
        out.append(("p", split_words(r.prev)[:40]))
        out += _cue_features(r.prev, "kp")
    if r.system:
        out += _system_features(r.system)
    out.append(("f", r.flags))
    return out


def feature_name(kind: str, key: str) -> str:
    """``w:translate``, ``b:in french``: how training and explanations name a feature."""
    return kind + ":" + key


def feature_names(r: Reading) -> list[str]:
    """The features of a reading by name, in `features` order (what training fits on)."""
    return [feature_name(kind, key) for kind, keys in features(r) for key in keys]

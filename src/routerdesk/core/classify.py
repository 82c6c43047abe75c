"""L1 prompt classifier: task, complexity and confidence from cheap, bounded rules.

`L1Classifier.classify(req)` reads a `ChatRequest` and returns a `Classification`
(tier "l1"). It is built for traffic from coding tools and agents as much as
for one-line questions, and its cost does not grow with the conversation.

What is read (all windows are bounded, see the ``_*_CAP`` constants)
    last user turn   the instruction. Text parts that are tool plumbing
                     (``<system-reminder>``, ``<environment_details>``) are dropped;
                     fenced code is set apart from prose. Cue words are scanned
                     in the prose window (first 1,200 and last 600 characters);
                     cues in the first 320 and last 240 characters, where people
                     put their instruction around a paste, count fully, the
                     rest at 0.35.
    previous user    first 400 characters, cues at 0.3 (``"ok, do it"`` keeps
                     the thread's task).
    system prompt    first 2,500 characters, cues at 0.12 and capped at 1.2 per
                     task: it sets a prior (a translator persona, a coding agent)
                     but never outvotes a clear instruction in the user turn.
    structure        code fences, unfenced code lines, stack traces, diffs,
                     images, tools offered (names only), response_format, count
                     of messages and tool results in the last 256 messages.

Task scores (cue weights live in `classify_lexicon`)
    score[t] = user cues + 0.3 * previous-user cues + min(1.2, 0.12 * system cues)
             + structural priors:
               code_generation  +0.8 fenced code (+ up to 0.7 by size), +1.5 stack
                                trace, +1.2 diff, +1.0 unfenced code lines,
                                +0.6 coding tools offered, +0.3 agent loop,
                                +2.5 when "translate" meets a programming
                                language and no natural one (Python -> Go);
               data_extraction  +1.2 json_object, +1.5 json_schema,
                                +1.5 extraction tool forced;
               summarization    +0.6 long prose paste (> 2,500 chars, no code);
               simple_qa        +0.7 short question (< 160 chars, no code);
               general          0.6 baseline, wins when nothing else speaks.
    Confidence = 0.35 + 0.6 * (1 - exp(-1.1 * margin)) * min(1, top / 1.5)
    * (1 - 0.7 * runner_up / top), margin being top minus runner-up; capped at 0.97.
    Conflicting or absent cues give < 0.7, the cue for an L2 classifier to step in.
    Context (previous user turn at 0.3, system prompt, coding tools, agent loop)
    is capped at 1.4 per task and scaled by 0.4 when the user turn itself has a
    task cue of 1.5 or more.

Complexity (0..1: how likely a small model is to get it wrong)
    base by task (simple_qa .08, translation .15, data_extraction .18,
    summarization .22, general .22, creative_writing .3, code_generation .38,
    complex_reasoning .5)
    + 0.13 per hard cue (proofs, step by step, concurrency, dynamic programming,
      multi-file, architecture, trade-offs...), at most 3
    + 0.025 per constraint (bullet/numbered lines, must/exactly/without...), at most 8
    + 0.04 per math token (``x^2``, ``3 * 4``, ``\\frac``, ``∑``), at most 4
    + up to 0.12 by log length of the user turn, +0.06 several files or a diff,
      +0.05 agent loop
    - 0.08 per easy cue (quick, briefly, one word, yes or no), at most 2.

Features (stored in the usage log; keep this set stable)
    user_chars, system_chars, messages, tool_results, images, tools, json_mode,
    code_blocks, code_chars, code_lines, stack_trace, diff, math, constraints,
    hard, easy, and cue_<task> for the seven non-general tasks.
"""

from __future__ import annotations

import math
import re

from routerdesk.core.classify_lexicon import CueScanner
from routerdesk.core.tokens import PromptShape, recent_structure
from routerdesk.core.types import ChatRequest, Classification, Message, TextPart

_SCANNER = CueScanner()

_USER_CAP = 24_000  # chars of the last user turn kept: head 16k + tail 8k
_HEAD_WIN = 600  # cue window of the user turn: first and last chars of its prose
_TAIL_WIN = 300
_HEAD_FULL = 320  # cue weight 1.0 inside these edges, _MID_WEIGHT between
_TAIL_FULL = 240
_MID_WEIGHT = 0.35
_SYSTEM_CAP = 1_200
_PREV_CAP = 400
_USER_BACK = 64  # how far back to look for the last user text
_SHAPE_CAP = 1_500  # chars sampled for line-shape features

_SCORED = (
    "simple_qa",
    "code_generation",
    "translation",
    "summarization",
    "complex_reasoning",
    "data_extraction",
    "creative_writing",
)
_SCORED_SET = frozenset(_SCORED)
_CUE_FEATURES = tuple((t, "cue_" + t) for t in _SCORED)  # (task, feature key)
_BASE_COMPLEXITY = {
    "simple_qa": 0.08,
    "translation": 0.15,
    "data_extraction": 0.18,
    "summarization": 0.22,
    "general": 0.22,
    "creative_writing": 0.30,
    "code_generation": 0.38,
    "complex_reasoning": 0.50,
}
_HEAD_SEPS = ("\n", ": ", ":\n", "：")
_PLUMBING_TAGS = ("system-reminder", "environment_details")
_CODE_STARTS = (
    "def ", "class ", "import ", "from ", "function ", "const ", "let ", "var ", "public ",
    "private ", "#include", "return ", "for (", "if (", "while (", "fn ", "func ", "package ",
    "select ", "SELECT ", "}", "@",
)  # fmt: skip
_CODE_ENDS = (";", "{", "}", "):", "];", "})", "=>")
_BULLETS = ("- ", "* ", "• ")
# `mark in text` costs about half a nanosecond per character for a needle of two or
# more characters, but a one-character needle is a memchr, some twenty times faster.
# So each mark (or group of marks) sits behind a gate it contains: a rarer character
# or a shared part. A missing gate skips the search; the result is the same.
_TRACE_GATES = (
    ("Exception", ("Exception in thread", "Exception: ")),
    (":", ("Error: ",)),
    ("(", ("Traceback (most recent call last)",)),
    ("!", ("npm ERR!",)),
    ("[", ("error[E",)),
    ("\t", ("\n\tat ",)),
    ("", ("panicked at", "\n    at ", "Segmentation fault")),
)
# (gate, mark): the one-character marks are their own gate, `count` being no memchr.
_MATH_GATES = (
    ("=", "="), ("^", "^"), ("+", " + "), ("*", " * "), ("/", " / "), ("√", "√"), ("∑", "∑"),
    ("∫", "∫"), ("≤", "≤"), ("≥", "≥"), ("≠", "≠"), ("π", "π"), ("\\", "\\frac"), ("²", "²"),
)  # fmt: skip
_CAMEL_RX = re.compile(r"[a-z]{2}[A-Z][a-z]")
# ASCII text is mapped to letter classes ("a" lower, "A" upper, " " anything else) so
# camelCase humps ([a-z]{2}[A-Z][a-z]) are counted by a plain substring count: both
# it and re.findall take leftmost non-overlapping matches of a fixed length, so the
# counts are equal, at a tenth of the cost of the regex.
_LETTER_CLASS = bytes(97 if 97 <= b <= 122 else 65 if 65 <= b <= 90 else 32 for b in range(256))
_FILE_RX = re.compile(r"\.(?:py|js|ts|tsx|jsx|rs|go|java|kt|cpp|cc|hpp|rb|php|cs|swift)\b")
_CODING_TOOL_WORDS = (
    "file", "bash", "shell", "terminal", "command", "edit", "patch", "grep", "glob", "code",
    "lint", "test", "diff", "commit", "director", "str_replace", "notebook",
)  # fmt: skip
_EXTRACT_TOOL_WORDS = ("extract", "record", "save", "store", "classif", "parse", "entit", "schema")
_SYSTEM_CACHE_SIZE = 32


def _text_parts(msg: Message) -> str:
    """The message's text without tool plumbing, bounded to _USER_CAP characters."""
    texts = [
        p.text
        for p in msg.content
        if isinstance(p, TextPart) and not p.text[:40].lstrip().startswith("<system-reminder>")
    ]
    text = texts[0] if len(texts) == 1 else "\n".join(texts)
    if len(text) > _USER_CAP:
        text = text[:16_000] + "\n" + text[-8_000:]
    return strip_plumbing(text)


def strip_plumbing(text: str, limit: int = 4) -> str:
    """`text` without the blocks agents wrap context in (``<system-reminder>``,
    ``<environment_details>``), at most `limit` of each (bounded cost)."""
    # One memchr rules out both tags in most texts (and in long system prompts).
    for tag in _PLUMBING_TAGS if "<" in text else ():
        for _ in range(limit):
            start = text.find("<" + tag)
            if start < 0:
                break
            end = text.find("</" + tag + ">", start)
            text = text[:start] + (text[end + len(tag) + 3 :] if end >= 0 else "")
    return text


# Agents resend the same system prompt with every call: its cues are kept by its head,
# with the signals they give.
_system_cache: dict[str, tuple[dict[str, float], tuple[str, ...]]] = {}


def _system_cues(head: str) -> tuple[dict[str, float], tuple[str, ...]]:
    """Cues of the system prompt's head and its "leans" signals.

    Read-only: the dict is shared between calls.
    """
    cached = _system_cache.get(head)
    if cached is None:
        cues: dict[str, float] = {}
        low = head[:_SYSTEM_CAP].lower()
        _SCANNER.scan(low[:300], 0.3, cues)
        _SCANNER.scan(low[300:], 0.1, cues)
        leans = tuple(f"system prompt leans {t}" for t in _SCORED if cues.get(t, 0.0) >= 0.3)
        if len(_system_cache) >= _SYSTEM_CACHE_SIZE:
            del _system_cache[next(iter(_system_cache))]
        cached = _system_cache[head] = (cues, leans)
    return cached


def _user_cues(win: str) -> dict[str, float]:
    """Cues of the user turn, weighted by where they sit.

    The instruction is the head (up to the first line break or colon when that
    part holds a task cue, else the first _HEAD_FULL chars) or a short last
    paragraph; what lies between is usually pasted material and counts at
    _MID_WEIGHT. A short last paragraph counts fully only when the head holds
    no instruction.
    """
    n = len(win)
    out: dict[str, float] = {}
    cut = -1
    for sep in _HEAD_SEPS:
        i = win.find(sep, 12, _HEAD_FULL)
        if i >= 0 and (cut < 0 or i < cut):
            cut = i
    head_end = -1
    if cut >= 0:
        _SCANNER.scan(win[: cut + 1], 1.0, out)
        if not _SCORED_SET.isdisjoint(out):
            head_end = cut + 1
        else:
            out.clear()
    if head_end < 0:
        head_end = min(n, _HEAD_FULL)
        _SCANNER.scan(win[:head_end], 1.0, out)
    tail_start = n
    para = win.rfind("\n\n")
    head_task = any(v >= 1.5 for t, v in out.items() if t in _SCORED_SET)
    if para >= head_end and n - para <= _TAIL_FULL and not head_task:
        tail_start = para
    _SCANNER.scan(win[head_end:tail_start], _MID_WEIGHT, out)
    _SCANNER.scan(win[tail_start:], 1.0, out)
    return out


def _window(text: str) -> str:
    if len(text) > _HEAD_WIN + _TAIL_WIN:
        text = text[:_HEAD_WIN] + "\n\n" + text[-_TAIL_WIN:]
    return text.lower()


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
    """Whether `probe` holds one of the stack-trace marks (see _TRACE_GATES)."""
    for gate, marks in _TRACE_GATES:
        if gate in probe:
            for mark in marks:
                if mark in probe:
                    return True
    return False


def _camel_humps(text: str) -> int:
    """Count of _CAMEL_RX matches in `text`."""
    if text.isascii():
        return text.encode("ascii").translate(_LETTER_CLASS).count(b"aaAa")
    return len(_CAMEL_RX.findall(text))


def _bump(scores: dict[str, float], task: str, by: float) -> None:
    scores[task] = scores.get(task, 0.0) + by


class L1Classifier:
    """Rule-based, bounded-cost classifier; the first tier before an optional L2 model."""

    def classify(self, req: ChatRequest, shape: PromptShape | None = None) -> Classification:
        """Classify `req`; pass the request's `measure()` when routing will need it anyway."""
        msgs = req.messages
        signals: list[str] = []

        # --- find the turns that matter, count the rest ------------------------------
        user_msg: Message | None = None
        prev_user: Message | None = None
        for i in range(len(msgs) - 1, max(-1, len(msgs) - 1 - _USER_BACK), -1):
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
                if len(system_head) < _SYSTEM_CAP:
                    system_head += _text_parts(m)[:_SYSTEM_CAP] + "\n"

        user_text = _text_parts(user_msg) if user_msg is not None else ""
        user_chars = len(user_text)

        # --- separate prose from fenced code, look at its shape ----------------------
        code_chars = code_blocks = 0
        if "```" in user_text:
            pieces = user_text.split("```")
            prose = "\n".join(pieces[0::2])
            code_blocks = len(pieces) // 2
            code_chars = sum(len(p) for p in pieces[1::2])
        else:
            prose = user_text
        lines, code_lines, bullets = _line_shape(prose[:_SHAPE_CAP])
        if lines <= 2:
            code_lines = 0
        big = len(user_text) > 12_000
        probe = user_text[:8_000] + user_text[-4_000:] if big else user_text
        trace = 1.0 if _has_trace(probe) else 0.0
        diff = (
            1.0
            if ("@" in probe and "\n@@ " in probe)
            or "diff --git" in probe
            or ("+" in probe and "\n+++ " in probe)
            else 0.0
        )
        files = len({probe[max(0, m.start() - 16) : m.end()] for m in _FILE_RX.finditer(probe)})

        # --- lexicon cues -----------------------------------------------------------
        win = _window(prose)
        cues = _user_cues(win)
        ctx: dict[str, float] = {}  # what the conversation around the turn suggests
        if prev_user is not None:
            _SCANNER.scan(_text_parts(prev_user)[:_PREV_CAP].lower(), 0.3, ctx)
        prev_hard = ctx.get("_hard", 0.0)
        sys_cues, sys_leans = _system_cues(system_head) if system_head else ({}, ())
        for t, v in sys_cues.items():
            ctx[t] = ctx.get(t, 0.0) + min(1.2, v)

        # cues holds a handful of keys: copy those that are tasks rather than look up
        # all seven (the dict keeps _SCORED order, which breaks ties in `max` below).
        scores = dict.fromkeys(_SCORED, 0.0)
        for t, v in cues.items():
            if t in _SCORED_SET:
                scores[t] = v
        scores["general"] = 0.6 + cues.get("general", 0.0)
        strong = [t for t in _SCORED if scores[t] >= 1.5]  # the turn's own clear task cues
        signals.extend([f"{t} cues in user turn ({cues[t]:.1f})" for t in strong])
        signals.extend(sys_leans)

        # --- structural priors ------------------------------------------------------
        if code_blocks:
            _bump(scores, "code_generation", 0.8 + min(0.7, code_chars / 2_000))
            signals.append(f"{code_blocks} fenced code block(s)")
        if trace:
            _bump(scores, "code_generation", 1.5)
            signals.append("stack trace")
        if diff:
            _bump(scores, "code_generation", 1.2)
            signals.append("diff")
        if code_lines >= 3 and code_lines * 4 >= lines:
            _bump(scores, "code_generation", 1.0)
            signals.append("unfenced code")
        head_raw = prose[:_HEAD_WIN]
        idents = head_raw.count("()") + _camel_humps(head_raw)
        if idents:
            _bump(scores, "code_generation", min(1.2, 0.6 * idents))
        if cues.get("_proglang"):
            _bump(scores, "code_generation", min(2.0, cues["_proglang"]))
            if cues.get("translation", 0.0) >= 2.0 and not cues.get("_natlang"):
                _bump(scores, "code_generation", 2.5)
                signals.append("translation between programming languages")
        elif cues.get("_natlang"):
            _bump(scores, "translation", 0.7)

        n_tools = len(req.tools)
        coding_tools = extract_tool = 0
        for tool in req.tools[:64]:
            name = tool.name.lower()
            coding_tools += any(w in name for w in _CODING_TOOL_WORDS)
            extract_tool += any(w in name for w in _EXTRACT_TOOL_WORDS)
        if coding_tools:
            _bump(ctx, "code_generation", 0.5)
            signals.append(f"{coding_tools} coding tool(s) offered")
        forced = req.tool_choice is not None and req.tool_choice.mode in ("required", "tool")
        if extract_tool and (forced or n_tools == 1):
            _bump(scores, "data_extraction", 1.5)
            signals.append("extraction tool")
        agent = tool_results >= 2
        if agent and ctx.get("code_generation", 0.0) >= 0.5:
            _bump(ctx, "code_generation", 0.3)
        # Context sets a prior but never outvotes a clear instruction in the turn itself.
        ctx_factor = 0.4 if strong else 1.0
        # Only tasks present in ctx change a score (adding 0.0 changes none).
        for t, v in ctx.items():
            if t in _SCORED_SET:
                scores[t] += ctx_factor * min(1.4, v)

        json_mode = 0.0
        if req.response_format is not None and req.response_format.type != "text":
            json_mode = 1.0
            schema = req.response_format.type == "json_schema"
            _bump(scores, "data_extraction", 2.0 if schema else 1.5)
            signals.append(f"response_format {req.response_format.type}")
        if len(prose) > 2_500 and not code_blocks and code_lines * 4 < lines and not trace:
            _bump(scores, "summarization", 0.6)
            signals.append("long prose paste")
        stripped = prose[:200].strip()
        if 0 < len(stripped) < 160 and len(prose) < 200 and not code_blocks:
            if cues.get("simple_qa") or (stripped[-1] in "?？" and len(stripped) < 60):
                _bump(scores, "simple_qa", 0.7)
            elif stripped[-1] in "?？":
                _bump(scores, "simple_qa", 0.3)
        if images:
            signals.append(f"{images} image message(s)")

        # --- decide -----------------------------------------------------------------
        task = max(scores, key=scores.__getitem__)  # of equal scores, the first one
        top, runner_up = sorted(scores.values(), reverse=True)[:2]
        margin = top - runner_up
        spread = (1.0 - math.exp(-1.1 * margin)) * min(1.0, top / 1.5)
        confidence = 0.35 + 0.6 * spread * (1.0 - 0.7 * runner_up / top)
        confidence = min(0.97, confidence)
        if user_msg is None:
            confidence = min(confidence, 0.4)
            signals.append("no user text")

        # --- complexity -------------------------------------------------------------
        hard = cues.get("_hard", 0.0) + prev_hard
        easy = cues.get("_easy", 0.0)
        constraints = bullets + cues.get("_constraint", 0.0)
        math_tokens = sum([win.count(mark) for gate, mark in _MATH_GATES if gate in win])
        complexity = (
            _BASE_COMPLEXITY[task]
            + 0.13 * min(hard, 3.0)
            + 0.025 * min(constraints, 8.0)
            + 0.04 * min(math_tokens, 4)
            + min(0.12, 0.03 * math.log2(1.0 + user_chars / 250.0))
            + (0.06 if files >= 2 or diff else 0.0)
            + (0.05 if agent else 0.0)
            - 0.08 * min(easy, 2.0)
        )
        complexity = max(0.0, min(1.0, complexity))
        if hard >= 1:
            signals.append(f"hard cues ({hard:.1f})")
        if constraints >= 3:
            signals.append(f"{constraints:.0f} constraints")

        features = {
            "user_chars": float(user_chars),
            "system_chars": float(system_chars),
            "messages": float(len(msgs)),
            "tool_results": float(tool_results),
            "images": float(images),
            "tools": float(n_tools),
            "json_mode": json_mode,
            "code_blocks": float(code_blocks),
            "code_chars": float(code_chars),
            "code_lines": float(code_lines),
            "stack_trace": trace,
            "diff": diff,
            "math": float(math_tokens),
            "constraints": round(constraints, 3),
            "hard": round(hard, 3),
            "easy": round(easy, 3),
        }
        # Most cue features are 0.0, which round() would return unchanged.
        for t, key in _CUE_FEATURES:
            v = cues.get(t, 0.0)
            features[key] = round(v, 3) if v else 0.0
        return Classification(
            task=task,
            confidence=round(confidence, 3),
            complexity=round(complexity, 3),
            tier="l1",
            signals=signals,
            features=features,
        )

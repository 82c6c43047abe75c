"""Provider-neutral values that cross layers: requests, responses, stream events, decisions.

Both inbound formats (OpenAI chat completions, Anthropic messages) are parsed
into a `ChatRequest`; every provider adapter builds its wire body from it and
answers with a `ChatResponse` or a stream of `StreamEvent`s, which the server
renders back into the client's format. These are plain slotted dataclasses:
they sit on the request path, so they must be cheap to build.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

Role = Literal["system", "user", "assistant", "tool"]
FinishReason = Literal["stop", "length", "tool_calls", "content_filter", "error"]
InboundFormat = Literal["openai", "anthropic"]

TASKS: tuple[str, ...] = (
    "simple_qa",
    "code_generation",
    "translation",
    "summarization",
    "complex_reasoning",
    "data_extraction",
    "creative_writing",
    "general",
)
STRATEGIES: tuple[str, ...] = ("cheapest", "balanced", "best")
QUALITY_TIERS: tuple[str, ...] = ("standard", "enhanced")


# --- request -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Person:
    """The owner of a person token on a team server (see core/people.py)."""

    name: str
    budget_daily_usd: float | None = None


@dataclass(slots=True)
class TextPart:
    text: str
    # Anthropic prompt caching marker ({"type": "ephemeral"}), kept so it can be replayed.
    cache_control: dict[str, Any] | None = None


@dataclass(slots=True)
class ImagePart:
    """An image given either by URL or inline as base64 data (never both)."""

    url: str | None = None
    data: str | None = None  # base64, without the data: prefix
    media_type: str | None = None  # e.g. "image/png"; required with data
    detail: str | None = None  # OpenAI's "low" / "high" / "auto"


ContentPart = TextPart | ImagePart


@dataclass(slots=True)
class ToolCall:
    id: str
    name: str
    arguments: str  # JSON text, exactly as the model produced it


@dataclass(slots=True)
class Message:
    role: Role
    content: list[ContentPart] = field(default_factory=list)
    tool_calls: list[ToolCall] = field(default_factory=list)  # assistant turns
    tool_call_id: str | None = None  # role == "tool": which call this answers
    name: str | None = None
    is_error: bool = False  # tool result that reports an error
    # Model reasoning kept for providers that need it back on later turns
    # (DeepSeek reasoning_content, Anthropic thinking blocks).
    reasoning: str | None = None
    reasoning_signature: str | None = None

    def text(self) -> str:
        """All text parts joined; images and tool data are left out."""
        parts = self.content
        if len(parts) == 1 and isinstance(parts[0], TextPart):
            return parts[0].text
        return "\n".join(p.text for p in parts if isinstance(p, TextPart))

    def has_image(self) -> bool:
        return any(isinstance(p, ImagePart) for p in self.content)


@dataclass(slots=True)
class Tool:
    name: str
    description: str = ""
    parameters: dict[str, Any] = field(default_factory=lambda: {"type": "object", "properties": {}})
    strict: bool | None = None


@dataclass(slots=True)
class ToolChoice:
    """`auto`, `none`, `required` (any tool), or one named tool."""

    mode: Literal["auto", "none", "required", "tool"] = "auto"
    name: str | None = None  # with mode == "tool"


@dataclass(slots=True)
class ResponseFormat:
    type: Literal["text", "json_object", "json_schema"] = "text"
    name: str | None = None
    schema: dict[str, Any] | None = None
    strict: bool | None = None


@dataclass(slots=True)
class ChatRequest:
    messages: list[Message]
    model: str = "auto"  # as the client asked: auto, auto:<strategy>, registry id, provider/model
    tools: list[Tool] = field(default_factory=list)
    tool_choice: ToolChoice | None = None
    parallel_tool_calls: bool | None = None
    response_format: ResponseFormat | None = None
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    stop: list[str] = field(default_factory=list)
    stream: bool = False
    include_usage: bool = False  # the client asked for usage in the stream
    reasoning_effort: str | None = None  # "low" / "medium" / "high" where supported
    user: str | None = None
    client: str = ""  # User-Agent of the calling tool
    inbound: InboundFormat = "openai"
    person: Person | None = None  # set by the server for a person token; None: the local token
    # Parameters we do not model but pass to OpenAI-compatible upstreams (seed, logit_bias...).
    extra: dict[str, Any] = field(default_factory=dict)

    def system_text(self) -> str:
        return "\n\n".join(m.text() for m in self.messages if m.role == "system")

    def last_user_text(self) -> str:
        for m in reversed(self.messages):
            if m.role == "user":
                return m.text()
        return ""

    def has_images(self) -> bool:
        return any(m.has_image() for m in self.messages)

    def needs_json(self) -> bool:
        return self.response_format is not None and self.response_format.type != "text"


# --- response ------------------------------------------------------------------


@dataclass(slots=True)
class Usage:
    input_tokens: int = 0  # all prompt tokens, cached ones included
    output_tokens: int = 0  # all completion tokens, reasoning included
    cached_input_tokens: int = 0  # prompt tokens read from cache
    cache_write_tokens: int = 0  # prompt tokens written to cache (Anthropic)
    reasoning_tokens: int = 0  # part of output_tokens spent thinking

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cached_input_tokens + other.cached_input_tokens,
            self.cache_write_tokens + other.cache_write_tokens,
            self.reasoning_tokens + other.reasoning_tokens,
        )


@dataclass(slots=True)
class ChatResponse:
    id: str
    model: str  # provider's name of the model that actually answered
    content: str | None = None
    reasoning: str | None = None
    reasoning_signature: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)
    finish_reason: FinishReason = "stop"
    usage: Usage = field(default_factory=Usage)
    created: int = 0  # unix seconds


# --- streaming -------------------------------------------------------------------
# An adapter's stream yields these; exactly one FinishEvent and one UsageEvent
# come last (in either order) unless the stream fails.


@dataclass(slots=True)
class TextDelta:
    text: str


@dataclass(slots=True)
class ReasoningDelta:
    text: str
    signature: str | None = None


@dataclass(slots=True)
class ToolCallDelta:
    """Part of one tool call. The first delta of a call carries id and name."""

    index: int
    id: str | None = None
    name: str | None = None
    arguments: str = ""


@dataclass(slots=True)
class FinishEvent:
    reason: FinishReason


@dataclass(slots=True)
class UsageEvent:
    usage: Usage


StreamEvent = TextDelta | ReasoningDelta | ToolCallDelta | FinishEvent | UsageEvent


# --- classification and routing ----------------------------------------------------


@dataclass(slots=True)
class Classification:
    task: str  # one of TASKS
    confidence: float  # 0..1
    complexity: float  # 0..1
    tier: Literal["l1", "l2"] = "l1"
    signals: list[str] = field(default_factory=list)  # human-readable reasons
    # Numeric features kept in the usage log so past traffic can be re-routed.
    features: dict[str, float] = field(default_factory=dict)


class Candidate(NamedTuple):
    """One registry model in a decision: a tuple of plain values, not a dataclass, because
    every decision builds one per registry model and a tuple is built in C
    (`Router._candidates`). The cyclic GC still tracks them (it untracks only exact
    tuples), so whatever keeps many decisions (the GUI) keeps plain rows instead."""

    model_id: str
    kept: bool
    reason: str  # why it was kept (score, price) or dropped (which filter)
    score: float = 0.0
    est_cost: float = 0.0  # USD for this request, estimated


@dataclass(slots=True)
class Decision:
    strategy: str
    primary: str  # registry model id
    fallbacks: list[str] = field(default_factory=list)  # ordered, other providers first
    candidates: list[Candidate] = field(default_factory=list)
    why: str = ""  # one-line summary
    notes: list[str] = field(
        default_factory=list
    )  # e.g. "explicit model", "pinned", "budget step-down"
    est_prompt_tokens: int = 0


@dataclass(slots=True)
class Hop:
    """One attempt in a fallback chain."""

    model_id: str
    provider: str
    status: int | None  # HTTP status, None for connection errors/timeouts
    error: str  # short, key-free description
    ms: float = 0.0


@dataclass(slots=True)
class UsageRecord:
    """One row of the usage log: what was asked, what was decided, what it cost."""

    request_id: str
    started_at: float  # unix seconds
    client: str
    inbound: str
    requested_model: str
    strategy: str
    task: str
    confidence: float
    complexity: float
    tier: str
    model_id: str  # registry id that answered ("" if none did)
    provider: str
    hops: list[Hop] = field(default_factory=list)  # failed attempts before the answer
    usage: Usage = field(default_factory=Usage)
    cost: float = 0.0  # USD
    baseline_cost: float = 0.0  # USD on the baseline model
    latency_ms: float = 0.0
    overhead_ms: float = 0.0  # router's own time (parse, classify, route, translate)
    ttft_ms: float | None = None
    status: str = "ok"  # ok | error | cancelled
    status_code: int = 200
    error: str = ""
    stream: bool = False
    demo: bool = False
    decision: Decision | None = None
    classification: Classification | None = None
    preview: str = ""  # truncated prompt, only when the user turned previews on
    person: str = ""  # the person token's name ("" for the local access token)

    @property
    def savings(self) -> float:
        return self.baseline_cost - self.cost

"""L1 classifier: tasks across languages, context that must not dominate, complexity, odd input."""

from __future__ import annotations

import pytest

from routerdesk.core.classify import L1Classifier
from routerdesk.core.tokens import measure
from routerdesk.core.types import (
    TASKS,
    ChatRequest,
    Classification,
    ImagePart,
    Message,
    ResponseFormat,
    TextPart,
    Tool,
    ToolCall,
)

CURSOR_SYSTEM = (
    "You are a powerful agentic AI coding assistant. You are pair programming with a USER to "
    "solve their coding task: create a new codebase, modify or debug an existing codebase. "
    "Use the code edit tools to implement changes, fix linter errors, add tests, refactor. "
) * 20
AGENT_TOOLS = [Tool(n) for n in ("read_file", "edit_file", "run_terminal_cmd", "grep_search")]


def ask(text: str, system: str | None = None, **kw: object) -> Classification:
    msgs = [Message("system", [TextPart(system)])] if system else []
    msgs.append(Message("user", [TextPart(text)]))
    return L1Classifier().classify(ChatRequest(msgs, **kw))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("task", "text"),
    [
        ("simple_qa", "What is the capital of France?"),
        ("simple_qa", "Wer hat die Relativitätstheorie entwickelt?"),
        ("simple_qa", "日本的首都是哪里？"),
        ("code_generation", "Write a Python function that merges two sorted lists."),
        (
            "code_generation",
            "Écris une fonction JavaScript qui supprime les doublons d'un tableau.",
        ),
        ("code_generation", "用Python写一个函数，读取CSV文件并打印每一行。"),
        ("translation", "Translate to French: the meeting is moved to Tuesday."),
        ("translation", "Übersetze bitte ins Englische: Der Termin wurde verschoben."),
        ("translation", "この文を英語に翻訳してください：明日は雨です。"),
        ("translation", "Переведи на английский: Я опоздаю."),
        ("summarization", "Résume cet article :\n\n" + "Le conseil a voté le budget. " * 40),
        ("summarization", "请总结下面这篇文章的要点：\n\n" + "城市议会通过了新的预算。" * 30),
        ("complex_reasoning", "Prove that there are infinitely many primes."),
        (
            "complex_reasoning",
            "Resuelve paso a paso: si 3 obreros tardan 12 días, ¿cuánto tardan 9?",
        ),
        (
            "data_extraction",
            "Extract all email addresses and phone numbers: ana@x.org, +1 555 0100",
        ),
        (
            "data_extraction",
            "다음 텍스트에서 이름과 이메일 주소를 추출해 주세요. 김민수 minsu@example.com",
        ),
        ("creative_writing", "Write a haiku about autumn rain."),
        ("creative_writing", "Напиши стихотворение о зимнем вечере."),
        ("general", "hi, how are you?"),
        ("general", "Can you recommend a few good sci-fi books?"),
    ],
)
def test_task_examples_in_several_languages(task: str, text: str) -> None:
    c = ask(text)
    assert c.task == task, c.signals
    assert c.tier == "l1"
    assert c.task in TASKS


def test_coding_system_prompt_does_not_make_everything_code() -> None:
    c = ask(
        "translate this to French: the invoice is attached", system=CURSOR_SYSTEM, tools=AGENT_TOOLS
    )
    assert c.task == "translation"
    c = ask("Write a haiku about the sea.", system=CURSOR_SYSTEM, tools=AGENT_TOOLS)
    assert c.task == "creative_writing"


def test_system_prompt_sets_a_prior_when_the_user_turn_has_no_cue() -> None:
    c = ask(
        "Der Termin wurde auf Dienstag verschoben.",
        system="You are a translator. Translate the user's text into English.",
    )
    assert c.task == "translation"
    # A bare go-ahead says nothing by itself: the model is unsure (a known limit, see
    # training/MODEL_CARD.md), so the L2 check decides rather than a confident guess.
    c = ask("ok, go ahead", system=CURSOR_SYSTEM, tools=AGENT_TOOLS)
    assert c.confidence < 0.7


def test_code_attachments_lean_to_code() -> None:
    trace = (
        "Traceback (most recent call last):\n  File \"a.py\", line 3, in <module>\nKeyError: 'x'\n"
    )
    assert ask("Why does this happen?\n" + trace).task == "code_generation"
    vague = ask("```python\ndef f(x):\n    return x\n```\nthoughts?")  # a known limit: unsure
    assert vague.task == "code_generation" or vague.confidence < 0.7
    assert ask("Convert this Python to Rust:\n```python\nprint(1)\n```").task == "code_generation"


def test_images_and_json_mode() -> None:
    msg = Message(
        "user",
        [
            TextPart("Extract the merchant, date and total from this receipt."),
            ImagePart(url="https://x/r.jpg"),
        ],
    )
    c = L1Classifier().classify(ChatRequest([msg]))
    assert c.task == "data_extraction"
    assert c.features["images"] == 1.0
    c = ask(
        "Order 1234 from Ana Lopez, 3 lamps, 89.90 EUR",
        response_format=ResponseFormat(type="json_schema"),
    )
    assert c.task == "data_extraction"
    assert c.features["json_mode"] == 1.0


def test_tools_are_counted_and_extraction_tool_leans_extraction() -> None:
    c = ask("Order 1234 from Ana Lopez, 3 lamps, 89.90 EUR", tools=[Tool("record_order")])
    assert c.task == "data_extraction"
    assert c.features["tools"] == 1.0


def test_long_agent_conversation_last_turn_decides() -> None:
    msgs = [
        Message("system", [TextPart(CURSOR_SYSTEM)]),
        Message("user", [TextPart("Fix the failing tests")]),
    ]
    for i in range(60):
        msgs.append(
            Message(
                "assistant",
                [TextPart("reading")],
                tool_calls=[ToolCall(f"c{i}", "read_file", "{}")],
            )
        )
        msgs.append(
            Message("tool", [TextPart("def f():\n    return 1\n" * 200)], tool_call_id=f"c{i}")
        )
    msgs.append(Message("user", [TextPart("Great. Now translate the README intro into Spanish.")]))
    req = ChatRequest(msgs, tools=AGENT_TOOLS)
    c = L1Classifier().classify(req)
    assert c.task == "translation"
    assert c.features["messages"] == len(msgs)
    assert c.features["tool_results"] == 120
    # The engine hands over the one measuring pass it makes anyway; same answer.
    assert L1Classifier().classify(req, measure(req)) == c


def test_complexity_orders_hard_above_easy() -> None:
    easy = ask("What is the capital of France?")
    hard = ask(
        "Prove step by step that for every integer n >= 1, the sum 1^3 + 2^3 + ... + n^3 equals "
        "(n(n+1)/2)^2, then derive a closed form for the sum of fifth powers."
    )
    code_easy = ask("Write a Python function that reverses a string.")
    code_hard = ask(
        "Implement a lock-free concurrent queue in C++ with correct memory ordering, handle the "
        "ABA problem, and explain the trade-offs versus a mutex-based design."
    )
    assert hard.complexity > easy.complexity + 0.4
    assert code_hard.complexity > code_easy.complexity
    assert 0.0 <= easy.complexity <= 1.0 and 0.0 <= hard.complexity <= 1.0


def test_confidence_is_low_when_the_turn_says_little_and_high_when_it_is_clear() -> None:
    # A calibrated probability: a lone word is a guess (L2 should check it), a plain
    # request of one task is not.
    assert ask("Marzipan.").confidence < 0.7
    assert ask("ok").confidence < 0.7
    assert ask("Write a Python function that merges two sorted lists.").confidence >= 0.8
    assert ask("Translate to French: the meeting is moved to Tuesday.").confidence >= 0.8


@pytest.mark.parametrize(
    "req",
    [
        ChatRequest([]),
        ChatRequest([Message("system", [TextPart("You are helpful.")])]),
        ChatRequest([Message("user", [])]),
        ChatRequest([Message("user", [TextPart("")])]),
        ChatRequest([Message("user", [TextPart("   \n\n ")])]),
        ChatRequest([Message("user", [ImagePart(url="https://x/a.png")])]),
        ChatRequest([Message("assistant", [TextPart("hello")])]),
        ChatRequest([Message("user", [TextPart("x" * 1_000_000)])]),
        ChatRequest([Message("user", [TextPart("```" * 1001)])]),
        ChatRequest([Message("user", [TextPart("<system-reminder>never closed " * 50)])]),
        ChatRequest([Message("user", [TextPart("\u200b\ufeff🙂" * 300)])]),
    ],
)
def test_odd_input_does_not_crash(req: ChatRequest) -> None:
    c = L1Classifier().classify(req)
    assert c.task in TASKS
    assert 0.0 <= c.confidence <= 1.0
    assert 0.0 <= c.complexity <= 1.0


def test_feature_set_is_stable() -> None:
    a = ask("hello").features
    b = ask("Prove it.\n```python\nx = 1\n```", system="sys", tools=AGENT_TOOLS).features
    assert set(a) == set(b)
    assert all(isinstance(v, float) for v in a.values())


def _thread(first: str, follow_up: str) -> Classification:
    msgs = [
        Message("user", [TextPart(first)]),
        Message("assistant", [TextPart("Here it is.")]),
        Message("user", [TextPart(follow_up)]),
    ]
    return L1Classifier().classify(ChatRequest(msgs))


@pytest.mark.parametrize(
    ("first", "follow_up", "task"),
    [
        (
            "Write a Python function that parses a CSV file into dicts.",
            "can you make it parallel?",
            "code_generation",
        ),
        (
            "Write a Python function that parses a CSV file into dicts.",
            "ok continue",
            "code_generation",
        ),
        (
            "Translate into German: the meeting moved to Tuesday.",
            "more formal please",
            "translation",
        ),
        ("Write a short poem about the sea.", "make it funnier", "creative_writing"),
    ],
)
def test_short_follow_up_keeps_the_threads_task(first: str, follow_up: str, task: str) -> None:
    assert _thread(first, follow_up).task == task


def test_follow_up_that_asks_for_something_else_gets_its_own_task() -> None:
    c = _thread(
        "Write a Python function that parses a CSV file into dicts.",
        "Now translate this sentence into Spanish: the file could not be read.",
    )
    assert c.task == "translation"


def test_signals_explain_the_decision_with_weights() -> None:
    c = ask(
        "Summarize this article in three bullet points:\n\n"
        + "The council voted on the budget. " * 30
    )
    assert c.task == "summarization"
    assert c.signals and all("(" in s and ")" in s for s in c.signals)


def test_tokens_split_on_white_space_and_punctuation_in_any_script() -> None:
    from routerdesk.core.classify_lexicon import _PUNCT_CHARS, split_tokens

    table = str.maketrans(dict.fromkeys(_PUNCT_CHARS, " "))
    for text in [
        "tl;dr: c++ and c# (thread-safe)!",
        "über\u00a0naïve\u2003résumé\x1cx\x85y",
        "「翻訳」して。はい，ok？",
        "",
        " \n\t ",
    ]:
        assert split_tokens(text) == text.translate(table).split()


def test_repeated_system_prompt_gives_the_same_classification() -> None:
    first = ask("ok, go ahead", system=CURSOR_SYSTEM, tools=AGENT_TOOLS)
    again = ask("ok, go ahead", system=CURSOR_SYSTEM, tools=AGENT_TOOLS)
    assert first == again
    for i in range(100):  # many distinct system prompts: the cue cache stays bounded
        ask("hello", system=f"You are assistant number {i}.")
    assert ask("ok, go ahead", system=CURSOR_SYSTEM, tools=AGENT_TOOLS) == first


def test_strip_plumbing_removes_agent_context_blocks_up_to_the_limit() -> None:
    from routerdesk.core.classify import strip_plumbing

    block = "<system-reminder>context</system-reminder>"
    text = block * 5 + "<environment_details>cwd</environment_details>Fix the bug"
    assert strip_plumbing(text, limit=64) == "Fix the bug"
    assert strip_plumbing(text) == block + "Fix the bug"  # the classifier's bounded default
    assert strip_plumbing("a < b and no tags") == "a < b and no tags"


def test_instruction_window_leaves_pasted_material_out() -> None:
    from routerdesk.core.classify_features import read_request

    paste = "The council voted on Tuesday to extend the tram line. " * 30
    head = read_request(ChatRequest([Message("user", [TextPart("Summarize this: " + paste)])]))
    assert head.instruction == "summarize this:"
    assert "material" in head.flags
    tail = read_request(ChatRequest([Message("user", [TextPart(paste + "\nWho voted?")])]))
    assert tail.instruction.endswith("who voted?")
    assert "tram" not in tail.instruction.split("\n")[-1]
    short = read_request(ChatRequest([Message("user", [TextPart("Translate: bonjour")])]))
    assert short.instruction == "translate: bonjour"
    assert "material" not in short.flags


def test_words_of_unspaced_scripts_are_character_pairs() -> None:
    from routerdesk.core.classify_features import split_words

    assert split_words("请总结") == ["请总", "总结"]
    assert split_words("Hello, 世界 2024!") == ["Hello", "世界", "<n>"]
    assert split_words("c++ and c# (thread-safe)") == ["c++", "and", "c#", "thread-safe"]
    assert split_words("") == []

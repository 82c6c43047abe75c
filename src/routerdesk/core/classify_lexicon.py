"""Cue words of the L1 classifier, per task and language, compiled into two regexes.

Each row is ``(key, weight, "cue|cue|...")``. A key is a task from `TASKS` or a
pseudo-key used by complexity and disambiguation (``_hard``, ``_easy``,
``_constraint``, ``_proglang``, ``_natlang``). Cues are lower-case; a trailing
``*`` makes a stem (``summar*`` matches summary, summarize, summarise...).
Latin and Cyrillic cues match on word boundaries; cues containing CJK, kana or
hangul match as substrings, since those scripts don't separate words.

`CueScanner` is built once, at import: words and phrases go into dicts looked
up per distinct token, stems are keyed by their first three letters, and CJK
cues go into one trie-shaped regex, so a window costs a few C-level passes
(translate, split, set intersection) plus a dict lookup per distinct token.
"""

from __future__ import annotations

import re

Cue = tuple[str, float]

LEXICON: tuple[tuple[str, float, str], ...] = (
    # --- translation -----------------------------------------------------------------
    ("translation", 2.5, "translat*|übersetz*|übertrag*|tradu*|перевед*|перевод*|переведи*"),
    ("translation", 2.5, "翻译|翻譯|译成|译为|翻成|翻訳|訳して|英訳|和訳|번역"),
    ("translation", 1.8, "how do you say|how would you say|how to say|what's the word for"),
    ("translation", 1.8, "comment dit-on|wie sagt man|cómo se dice|como se diz|как сказать"),
    (
        "translation",
        1.2,
        "localize|localise|localization|localisation|idiomatic|word for word|literal translation",
    ),
    ("translation", 1.5, "into english|into french|into german|into spanish|into italian"),
    ("translation", 1.5, "into portuguese|into japanese|into chinese|into korean|into russian"),
    ("translation", 1.0, "auf deutsch|auf englisch|en français|en anglais|en español|al inglés"),
    ("translation", 1.0, "al español|para o inglês|para o português|на английский|на русский"),
    (
        "translation",
        1.0,
        "用英文|用中文|成英文|成中文|成日语|英語に|日本語に|中国語に|영어로|한국어로",
    ),
    (
        "_natlang",
        1.0,
        "english|french|german|spanish|italian|portuguese|japanese|chinese|mandarin|korean|russian"
        "|dutch|polish|turkish|arabic|hindi|swedish|ukrainian|vietnamese|indonesian|greek|hebrew"
        "|anglais|français|allemand|espagnol|italien|englisch|französisch|deutsch|spanisch"
        "|inglés|francés|alemán|español|inglês|francês|alemão|espanhol|português"
        "|английский|английского|русский|немецкий|французский|испанский",
    ),
    (
        "_natlang",
        1.0,
        "英文|英语|中文|法语|德语|日语|韩语|西班牙语|英語|日本語|中国語|フランス語|영어|한국어|일본어|중국어",
    ),
    # --- summarization ---------------------------------------------------------------
    ("summarization", 2.5, "summar*|tl;dr|tldr|résum*|zusammenfass*|riassum*|суммир*|резюм*"),
    ("summarization", 2.5, "总结|總結|摘要|概括|归纳|概述|要約|要点|まとめ|요약"),
    (
        "summarization",
        2.0,
        "recap*|condense*|gist|key takeaways|takeaways|in a nutshell|boil down|boil this down|boil it down|sum up|sum it up|what does it say|resume el|resume este|resume la|resume o|resume a",
    ),
    ("summarization", 2.0, "kurzfassung|fasse|synthèse|synthétise*|resumen|resuma|resumir"),
    ("summarization", 2.0, "resumo|resuma|sintetiz*|кратко|краткое|кратком|изложи"),
    (
        "summarization",
        1.2,
        "key points|main points|main ideas|short version|in brief|overview|outline",
    ),
    ("summarization", 1.2, "kernaussagen|points clés|puntos clave|pontos principais|основные"),
    (
        "summarization",
        1.0,
        "shorten|abstract|bullet points|one paragraph|one sentence|in 3 sentences",
    ),
    ("summarization", 1.0, "정리|resume"),
    # --- code_generation -------------------------------------------------------------
    (
        "code_generation",
        3.0,
        "write a function|write a script|write a program|write a class|write code|write the code"
        "|write a python|write a bash|write a sql|write a regex|write unit tests|write tests",
    ),
    (
        "code_generation",
        2.0,
        "refactor*|debug*|bug|bugs|bugfix|stack trace|traceback|segfault|compile error"
        "|compiler error|unit test|unit tests|failing test|failing tests|regex|regexp|dockerfile"
        "|makefile|github actions|pytest|jest|ci pipeline|pull request|code review|linter|type error|typeerror|nullpointer*|api endpoint"
        "|implement|implementation|codebase|repo|repository|snippet|boilerplate|memory leak",
    ),
    (
        "code_generation",
        2.0,
        "代码|代碼|编程|调试|重构|报错|脚本|コード|デバッグ|リファクタ|スクリプト|코드|디버그|리팩터|스크립트",
    ),
    (
        "code_generation",
        1.5,
        "函数|程序|实现|关数|関数|実装|バグ|プログラム|함수|구현|버그|프로그램",
    ),
    (
        "code_generation",
        1.5,
        "function|code|script|program|programming|compile|exception|endpoint|query|sql|git"
        "|refaktor*|funktion|programm*|fonction|función|função|funzione|código|codice"
        "|функци*|код|кода|коде|скрипт|программ*|баг|ошибк*",
    ),
    (
        "code_generation",
        1.0,
        "class|method|variable|loop|array|library|framework|module|package|install|deploy"
        "|build|crash*|error|errors|api|json schema|cli|backend|frontend|database|schema"
        "|component|hook|async|await|docker|kubernetes|npm|pip|cargo|webpack|typescript",
    ),
    (
        "_proglang",
        1.0,
        "python|javascript|typescript|java|rust|golang|go code|c\\+\\+|c#|kotlin|swift|ruby|php"
        "|scala|haskell|elixir|perl|lua|bash|powershell|sql|react|vue|django|flask|node.js|nodejs"
        "|pandas|numpy|html|css|c code|in c|in go",
    ),
    # --- complex_reasoning -----------------------------------------------------------
    (
        "complex_reasoning",
        2.5,
        "prove|proof|theorem|lemma|derive|derivation|deduce|induction|contradiction|puzzle"
        "|riddle|logic puzzle|expected value|how many ways|game theory|optimal strategy"
        "|probability|combinatori*|integral|differential equation|eigenvalue*",
    ),
    (
        "complex_reasoning",
        2.5,
        "beweis*|démontre*|démonstration|prouve*|demuestra*|demostra*|demonstre|докаж*|доказательств*",
    ),
    ("complex_reasoning", 2.5, "证明|推导|概率|証明|確率|증명|확률"),
    (
        "complex_reasoning",
        1.8,
        "solve|equation|equations|calculate|reasoning|reason through|step by step|show your work"
        "|logic|logically|paradox|dilemma|trade-off|trade-offs|tradeoff|tradeoffs|optimize|optimise"
        "|minimize|maximize|inequality|analyze|analyse|analysis|infer|estimate",
    ),
    (
        "complex_reasoning",
        1.8,
        "löse|berechne*|gleichung|rätsel|wahrscheinlichkeit|schritt für schritt|résous|résoudre"
        "|calcule*|équation|énigme|probabilité|étape par étape|resuelve|resuelva|ecuación"
        "|acertijo|probabilidad|paso a paso|resolva|equação|probabilidade|passo a passo"
        "|conclude|conclusion|syllogism|fallacy|rigorous|rigorously|argument|justify|extrema|derivative|inflection"
        "|реши|решите|вычисли*|уравнени*|вероятност*|загадк*|шаг за шагом",
    ),
    (
        "complex_reasoning",
        1.8,
        "方程|求解|推理|逐步|一步一步|计算|方程式|計算|推論|解いて|段階的|방정식|계산|추론|단계별|풀어",
    ),
    (
        "complex_reasoning",
        1.0,
        "compare|evaluate|plan|strategy|consequences|implications|pros and cons",
    ),
    ("complex_reasoning", 0.5, "why|pourquoi|warum|por qué|por que|почему|为什么|なぜ|왜"),
    # --- data_extraction -------------------------------------------------------------
    (
        "data_extraction",
        2.5,
        "extract|extraction|extracted|pull out|named entities|named entity|entities|key-value"
        "|extrahier*|extrais|extraire|extrayez|extrae|extraer|extraiga|extraia|extrair|estrai*"
        "|извлеки|извлечь|извлеките|выдели",
    ),
    ("data_extraction", 2.5, "提取|抽取|抽出|추출"),
    (
        "data_extraction",
        1.8,
        "parse|fields|structured|csv|to a table|into a table|as a table|as json|in json"
        "|email addresses|phone numbers|find all|list all|list every|identify all|sentiment|columns|action items|mentioned"
        "|classify|categorize|categorise|label each|tag each|fill in",
    ),
    ("data_extraction", 1.2, "json"),
    ("data_extraction", 1.0, "invoice|receipt|dates|amounts|names|addresses|table|record|records"),
    # --- creative_writing ------------------------------------------------------------
    (
        "creative_writing",
        2.5,
        "poem|poems|poetry|haiku|sonnet|limerick|short story|fairy tale|bedtime story|fable"
        "|lyrics|song|screenplay|villanelle|fiction|flash fiction|rap verse|ballad|ode"
        "|gedicht*|märchen|kurzgeschichte|liedtext|poème|conte|chanson|poema|cuento|canción"
        "|conto|canção|poesia|стих*|сказк*|песн*|рассказ*|slogan|slogans|tagline|taglines|jingle",
    ),
    (
        "creative_writing",
        2.5,
        "诗|故事|小说|歌词|童话|詩|物語|小説|俳句|歌詞|童話|시를|소설|가사|동화|이야기",
    ),
    (
        "creative_writing",
        1.8,
        "story|stories|narrative|protagonist|villain|plot|character|characters"
        "|joke|jokes|rhyme|rhyming|verse|creative|imaginative|toast|eulogy|monologue"
        "|geschichte|histoire|historia|história|novel|chapter|dialogue between|in the style of",
    ),
    # --- simple_qa -------------------------------------------------------------------
    (
        "simple_qa",
        1.5,
        "capital of|population of|who wrote|who invented|who painted|who discovered|who is|who was"
        "|what year|when did|when was|when is|how tall|how old|how far|how long is|boiling point"
        "|melting point|stand for|stands for|definition of|what does|which country|which planet"
        "|hauptstadt|wer ist|wer war|wer hat|wann|capitale|qui est|qui a|quand|quelle est"
        "|quién|cuándo|dónde|cuál es|quem|quando|onde|qual é|столица|кто|когда|где",
    ),
    (
        "simple_qa",
        1.5,
        "首都|是谁|谁是|哪一年|什么时候|在哪|是什么意思|誰|いつ|どこ|何年|수도|누구|언제|어디",
    ),
    (
        "simple_qa",
        0.8,
        "what is|what's|what are|where is|how many|how much|define|meaning of|was ist|qu'est-ce"
        "|qué es|o que é|что такое|сколько|是什么|多少|とは|何ですか|무엇|뭐야|얼마",
    ),
    # --- general ---------------------------------------------------------------------
    (
        "general",
        1.5,
        "hello|hi|hey|thanks|thank you|good morning|how are you|advice|recommend|recommendation"
        "|recommendations|suggestions|tips|should i|what do you think|brainstorm|ideas for"
        "|proofread|rewrite|rephrase|polish|email to|cover letter|help me decide|opinion",
    ),
    (
        "general",
        1.0,
        "explain|difference between|how do i|how can i|help me|plan a|itinerary|recipe"
        "|workout|erkläre|explique|explica|explique|объясни|解释|説明|설명|建议|おすすめ|추천"
        "|hallo|bonjour|salut|hola|olá|ciao|привет|tipps|conseils|consejos|dicas|ideias|empfehl*"
        "|recommand*|recomiend*|recomend*|посоветуй|你好|推荐|こんにちは|안녕",
    ),
    # --- complexity: what makes a prompt hard or easy for a small model --------------
    (
        "_hard",
        1.0,
        "prove|proof|theorem|rigorous*|formally|derive|step by step|multi-step|edge cases"
        "|concurren*|thread-safe|thread safe|race condition|deadlock*|lock-free|distributed"
        "|consensus|dynamic programming|np-hard|asymptotic|time complexity|o(n|optimi*"
        "|architecture|multiple files|across files|across the codebase|migrate|migration"
        "|trade-offs|tradeoffs|constraints|invariant*|memory model|scalab*|fault-toleran*"
        "|cryptograph*|compiler|parser|interpreter|garbage collect*|eigen*|stochastic"
        "|bayes*|game theory|combinatori*|recurrence|asymptot*|nuanced|subtle",
    ),
    (
        "_hard",
        1.0,
        "beweis*|schritt für schritt|étape par étape|paso a paso|passo a passo|докаж*|шаг за шагом",
    ),
    ("_hard", 1.0, "证明|推导|逐步|并发|死锁|証明|並行|デッドロック|증명|동시성|단계별"),
    (
        "_easy",
        1.0,
        "quick|quickly|briefly|simple|simply|one word|one-word|short answer|yes or no|just tell"
        "|only the|trivial|basic|kurz|rapide|rápido|rápida|быстро|简单|簡単|간단",
    ),
    (
        "_constraint",
        1.0,
        "must|must not|should not|without|exactly|at least|at most|no more than|ensure|make sure"
        "|only use|do not|don't|never|always|within|requirement|requirements|constraint",
    ),
)

_CJK_RANGES = ("\u3040", "\u30ff"), ("\u3400", "\u9fff"), ("\uac00", "\ud7af"), ("\uf900", "\ufaff")
# Punctuation becomes a space before splitting into tokens; "-", "+" and "#" stay
# (thread-safe, c++, c#). Cues are tokenized the same way, so "tl;dr" is ("tl", "dr").
_PUNCT = str.maketrans(
    {c: " " for c in ".,;:!?()[]{}\"'`<>/\\|=*&^%$@~«»“”„‘’「」。，、：；？！（）"}
)


def is_cjk(s: str) -> bool:
    return any(lo <= ch <= hi for ch in s for lo, hi in _CJK_RANGES)


def _trie_pattern(cues: list[str]) -> str:
    """One regex alternation shaped as a trie; longer continuations are tried first."""
    root: dict[str, dict[str, object]] = {}
    for cue in cues:
        node: dict[str, object] = root  # type: ignore[assignment]
        for ch in cue:
            node = node.setdefault(ch, {})  # type: ignore[assignment]
        node[""] = {}

    def emit(node: dict[str, object]) -> str:
        alts = [
            re.escape(ch) + emit(child)
            for ch, child in sorted(node.items())
            if ch and isinstance(child, dict)
        ]
        if "" in node:
            alts.append("")
        return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"

    return emit(root)  # type: ignore[arg-type]


def _merge(entries: list[Cue], key: str, weight: float) -> None:
    if all(k != key for k, _ in entries):
        entries.append((key, weight))


class CueScanner:
    """Finds lexicon cues in text with C-speed string operations and dict lookups.

    Latin and Cyrillic text is split into tokens once; each token is looked up
    as a word, as the start of a phrase (longest phrase wins and consumes its
    tokens) and, by its first three letters, against the stems. CJK cues are
    found with one trie regex, run only when the text is not ASCII.
    """

    def __init__(self) -> None:
        self.words: dict[str, list[Cue]] = {}
        self.stems: dict[str, list[tuple[str, list[Cue]]]] = {}
        self.phrases: dict[str, list[tuple[tuple[str, ...], list[Cue]]]] = {}
        cjk: dict[str, list[Cue]] = {}
        stem_entries: dict[str, list[Cue]] = {}
        for key, weight, alternatives in LEXICON:
            for raw in alternatives.split("|"):
                raw = raw.replace("\\+", "+")
                if is_cjk(raw):
                    _merge(cjk.setdefault(raw, []), key, weight)
                elif raw.endswith("*"):
                    _merge(stem_entries.setdefault(raw[:-1], []), key, weight)
                else:
                    tokens = tuple(raw.translate(_PUNCT).split())
                    if len(tokens) == 1:
                        _merge(self.words.setdefault(tokens[0], []), key, weight)
                    elif tokens:
                        group = self.phrases.setdefault(tokens[0], [])
                        for rest, entries in group:
                            if rest == tokens[1:]:
                                _merge(entries, key, weight)
                                break
                        else:
                            group.append((tokens[1:], [(key, weight)]))
        for group in self.phrases.values():
            group.sort(key=lambda item: -len(item[0]))
        for stem, entries in stem_entries.items():
            self.stems.setdefault(stem[:3], []).append((stem, entries))
        self.word_keys = frozenset(self.words)
        self.phrase_keys = frozenset(self.phrases)
        self.cjk_entries = cjk
        self.cjk_rx = re.compile("(" + _trie_pattern(sorted(cjk)) + ")")

    def scan(self, text: str, weight: float, out: dict[str, float]) -> None:
        """Add weight * cue weight to `out` for each distinct cue in `text` (lower-cased).

        A cue repeated inside one window counts once, so pasted material that
        says "error" forty times does not drown the instruction.
        """
        if not text:
            return
        toks = text.translate(_PUNCT).split()
        uniq = set(toks)
        found: dict[str, float] = {}
        for tok in uniq & self.word_keys:
            for key, w in self.words[tok]:
                if w > found.get(key + "\0" + tok, 0.0):
                    found[key + "\0" + tok] = w
        for first in uniq & self.phrase_keys:
            start = -1
            while True:
                try:
                    start = toks.index(first, start + 1)
                except ValueError:
                    break
                for rest, entries in self.phrases[first]:
                    if tuple(toks[start + 1 : start + 1 + len(rest)]) == rest:
                        for key, w in entries:
                            found[key + "\0" + first + " " + " ".join(rest)] = w
                        break
        stems = self.stems
        for tok in uniq:
            cands = stems.get(tok[:3])
            if cands is not None:
                for stem, entries in cands:
                    if tok.startswith(stem):
                        for key, w in entries:
                            # a stem and a word for the same key in one token count once
                            if key + "\0" + tok not in found:
                                found[key + "\0" + stem + "*"] = w
        if not text.isascii():
            for m in self.cjk_rx.finditer(text):
                for key, w in self.cjk_entries[m.group(1)]:
                    found[key + "\0" + m.group(1)] = w
        for tagged, w in found.items():
            key = tagged[: tagged.index("\0")]
            out[key] = out.get(key, 0.0) + w * weight

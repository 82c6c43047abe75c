"""Cue words per task and language: the families the learned L1 classifier reads.

Each row is ``(key, weight, "cue|cue|...")``. A key is a task from `TASKS` or a
pseudo-key (``_hard``, ``_easy``, ``_constraint``, ``_proglang``, ``_natlang``).
Cues are lower-case; a trailing ``*`` makes a stem (``summar*`` matches summary,
summarize, summarise...). Latin and Cyrillic cues match on word boundaries; cues
containing CJK, kana or hangul match as substrings, since those scripts don't
separate words.

The classifier (`classify_features`) turns "which families occur in the instruction
(and how strongly)" into binary features; the model learns what each family is
worth, so the weights here only decide a family's "strong" bit (a summed weight of
2 or more), never the decision itself. The lists are domain knowledge (how people
say "translate" in ten languages), which carries to sources the training corpus
never saw.

`CueScanner` is built once, at import: words and phrases go into dicts looked
up per distinct token, stems into a trie-shaped regex run over the distinct
tokens, and CJK cues into another, so a window costs a few C-level passes
(translate, split, set intersection, one regex) plus a dict lookup per cue found.
"""

from __future__ import annotations

import re

Cue = tuple[str, float]
Tagged = tuple[tuple[str, str], float]  # ((key, cue as found), weight): one entry of `found`

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
_PUNCT_CHARS = ".,;:!?()[]{}\"'`<>/\\|=*&^%$@~«»“”„‘’「」。，、：；？！（）"
# bytes.translate for ASCII text (most prompts), one regex for the rest: both are
# several times faster than str.translate, which looks every character up in a dict.
_PUNCT_BYTES = bytes(32 if b < 128 and chr(b) in _PUNCT_CHARS else b for b in range(256))
_PUNCT_RX = re.compile("[" + re.escape(_PUNCT_CHARS) + "]")


def split_tokens(text: str) -> list[str]:
    """`text` split on white space and on `_PUNCT_CHARS`."""
    if text.isascii():
        return text.encode("ascii").translate(_PUNCT_BYTES).decode("ascii").split()
    return _PUNCT_RX.sub(" ", text).split()


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

    Latin and Cyrillic text is split into tokens once; each distinct token is
    looked up as a word, each occurrence of a token that starts a phrase is
    checked against the phrases by their second token (longest phrase wins),
    and stems are found by one trie regex over the distinct tokens, anchored at
    token starts. CJK cues are found with one trie regex, run only when the
    text is not ASCII. Entries are stored already tagged, ``((key, cue), weight)``,
    so a scan allocates almost nothing per cue.
    """

    def __init__(self) -> None:
        self.words: dict[str, list[Tagged]] = {}
        # first token -> second token -> [(the tokens after those two, entries)], longest first
        self.phrases: dict[str, dict[str, list[tuple[list[str], list[Tagged]]]]] = {}
        # longest stem matched -> entries of it and of every shorter stem it starts with
        self.stem_entries: dict[str, list[Tagged]] = {}
        words: dict[str, list[Cue]] = {}
        phrases: dict[tuple[str, ...], list[Cue]] = {}
        stems: dict[str, list[Cue]] = {}
        cjk: dict[str, list[Cue]] = {}
        for key, weight, alternatives in LEXICON:
            for raw in alternatives.split("|"):
                raw = raw.replace("\\+", "+")
                if is_cjk(raw):
                    _merge(cjk.setdefault(raw, []), key, weight)
                elif raw.endswith("*"):
                    _merge(stems.setdefault(raw[:-1], []), key, weight)
                else:
                    tokens = tuple(split_tokens(raw))
                    if len(tokens) == 1:
                        _merge(words.setdefault(tokens[0], []), key, weight)
                    elif tokens:
                        _merge(phrases.setdefault(tokens, []), key, weight)
        for word, entries in words.items():
            self.words[word] = [((key, word), w) for key, w in entries]
        for tokens, entries in sorted(phrases.items(), key=lambda item: -len(item[0])):
            by_second = self.phrases.setdefault(tokens[0], {})
            tagged = [((key, " ".join(tokens)), w) for key, w in entries]
            by_second.setdefault(tokens[1], []).append((list(tokens[2:]), tagged))
        # A stem with a space or punctuation in it can never start a token.
        stems = {s: e for s, e in stems.items() if split_tokens(s) == [s]}
        for stem in stems:
            self.stem_entries[stem] = [
                ((key, shorter + "*"), w)
                for shorter, entries in stems.items()
                if stem.startswith(shorter)
                for key, w in entries
            ]
        self.word_keys = frozenset(self.words)
        self.word_tags = frozenset(tag for entries in self.words.values() for tag, _ in entries)
        self.phrase_keys = frozenset(self.phrases)
        self.stem_rx = re.compile(" (" + _trie_pattern(sorted(stems)) + ")(\\S*)")
        self.cjk_entries = {cue: [((key, cue), w) for key, w in e] for cue, e in cjk.items()}
        self.cjk_rx = re.compile("(" + _trie_pattern(sorted(cjk)) + ")")

    def scan(self, text: str, weight: float, out: dict[str, float]) -> None:
        """Add weight * cue weight to `out` for each distinct cue in `text` (lower-cased).

        A cue repeated inside one window counts once, so pasted material that
        says "error" forty times does not drown the instruction.
        """
        if not text:
            return
        toks = split_tokens(text)
        uniq = set(toks)
        found: dict[tuple[str, str], float] = {}
        words = self.words
        for tok in uniq & self.word_keys:
            found.update(words[tok])
        last = len(toks) - 1
        for first in uniq & self.phrase_keys:
            by_second = self.phrases[first]
            start = -1
            while True:
                try:
                    start = toks.index(first, start + 1)
                except ValueError:
                    break
                if start == last:
                    break
                for rest, entries in by_second.get(toks[start + 1], ()):
                    if toks[start + 2 : start + 2 + len(rest)] == rest:
                        found.update(entries)
                        break
        for m in self.stem_rx.finditer(" " + " ".join(uniq)):
            stem, tok = m.group(1), m.group(1) + m.group(2)
            for tag, w in self.stem_entries[stem]:
                # a stem and a word for the same key in one token count once
                if (tag[0], tok) not in self.word_tags:
                    found[tag] = w
        if not text.isascii():
            for m in self.cjk_rx.finditer(text):
                found.update(self.cjk_entries[m.group(1)])
        for (key, _), w in found.items():
            out[key] = out.get(key, 0.0) + w * weight

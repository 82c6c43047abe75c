"""Loaders for the public sources of the classifier corpus, each pinned to a commit.

Every loader reads one public repository's snapshot (a bare git directory under
``--mirrors``, as the workplace's `fetch` brings it; any ``git clone --mirror`` of
the same repository at the pinned commit works too) and yields corpus rows:

    {"source", "dataset", "licence", "commit", "task", "lang", "prompt" | "messages",
     "difficulty" (P(a small model gets it wrong), or None), "difficulty_kind"}

Task labels come from the dataset's own structure (its category, its template,
which file it sits in), never from the classifier. Where a dataset mixes tasks,
the mapping is written out below so it can be read and argued with.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

Row = dict[str, Any]


class Snapshot:
    """One repository at one commit, read with `git show` (no work tree needed)."""

    def __init__(self, mirrors: Path, repo: str, commit: str) -> None:
        self.repo = repo
        self.commit = commit
        self.git_dir = mirrors / repo.replace("/", "+") / "repo"
        if not self.git_dir.exists():
            raise FileNotFoundError(
                f"{self.git_dir}: no snapshot of {repo}; clone it with "
                f"`git clone --mirror https://github.com/{repo} {self.git_dir}`"
            )

    def read(self, path: str) -> bytes:
        return subprocess.run(
            ["git", f"--git-dir={self.git_dir}", "show", f"{self.commit}:{path}"],
            check=True,
            capture_output=True,
        ).stdout

    def json(self, path: str) -> Any:
        return json.loads(self.read(path))

    def jsonl(self, path: str) -> list[Any]:
        return [json.loads(line) for line in self.read(path).decode().split("\n") if line.strip()]

    def ls(self, folder: str) -> list[str]:
        out = subprocess.run(
            [
                "git",
                f"--git-dir={self.git_dir}",
                "ls-tree",
                "--name-only",
                self.commit,
                folder + "/",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        return [line for line in out.splitlines() if line]


def _row(snap: Snapshot, source: str, dataset: str, licence: str, task: str, lang: str,
         prompt: str, difficulty: float | None = None, kind: str | None = None) -> Row:  # fmt: skip
    return {
        "source": source,
        "dataset": dataset,
        "licence": licence,
        "repo": snap.repo,
        "commit": snap.commit,
        "task": task,
        "lang": lang,
        "prompt": prompt.strip(),
        "difficulty": difficulty,
        "difficulty_kind": kind,
    }


# --- openai/grade-school-math (MIT): the train split only ----------------------------------


def gsm8k(mirrors: Path) -> Iterator[Row]:
    snap = Snapshot(mirrors, "openai/grade-school-math", "3101c7d5072418e28b9008a6636bde82a006892c")
    for item in snap.jsonl("grade_school_math/data/train.jsonl"):
        steps = item["answer"].count("<<")
        # Published outcome data (GSM8K paper, fig. 5; RouteLLM's weak models) shows a small
        # model's solve rate falls with the number of calculation steps.
        p = min(0.9, 0.3 + 0.1 * steps)
        yield _row(snap, "gsm8k", "gsm8k-train", "MIT", "complex_reasoning", "en",
                   item["question"], p, "steps")  # fmt: skip


def gsm8k_test_questions(mirrors: Path) -> list[str]:
    """GSM8K's reserved test questions: read only to drop duplicates from the corpus."""
    snap = Snapshot(mirrors, "openai/grade-school-math", "3101c7d5072418e28b9008a6636bde82a006892c")
    return [item["question"] for item in snap.jsonl("grade_school_math/data/test.jsonl")]


# --- microsoft/AGIEval (MIT): exam questions in English and Chinese -------------------------

_AGIEVAL = {
    # file: (task, lang, P(small model wrong)) -- the priors follow the AGIEval paper's
    # per-task accuracies of the weaker models it reports (most are near chance on maths
    # and the LSAT analytical section, better on reading and knowledge questions).
    "aqua-rat": ("complex_reasoning", "en", 0.7),
    "gaokao-mathqa": ("complex_reasoning", "zh", 0.75),
    "gaokao-mathcloze": ("complex_reasoning", "zh", 0.85),
    "gaokao-physics": ("complex_reasoning", "zh", 0.75),
    "gaokao-chemistry": ("complex_reasoning", "zh", 0.65),
    "logiqa-en": ("complex_reasoning", "en", 0.65),
    "logiqa-zh": ("complex_reasoning", "zh", 0.65),
    "lsat-ar": ("complex_reasoning", "en", 0.85),
    "lsat-lr": ("complex_reasoning", "en", 0.6),
    "sat-math": ("complex_reasoning", "en", 0.5),
    "math": ("complex_reasoning", "en", None),  # MATH levels, below
    "gaokao-history": ("simple_qa", "zh", 0.35),
    "gaokao-geography": ("simple_qa", "zh", 0.35),
    "gaokao-biology": ("simple_qa", "zh", 0.4),
    "jec-qa-kd": ("simple_qa", "zh", 0.5),
    "sat-en": ("simple_qa", "en", 0.3),
    "lsat-rc": ("simple_qa", "en", 0.45),
}


def agieval(mirrors: Path) -> Iterator[Row]:
    snap = Snapshot(mirrors, "microsoft/AGIEval", "b1187aa0bf0e14125cb9a6c58f25288a4e272e64")
    for name, (task, lang, prior) in _AGIEVAL.items():
        for item in snap.jsonl(f"data/v1/{name}.jsonl"):
            parts = [item.get("passage") or "", item["question"]]
            if item.get("options"):
                parts.append("\n".join(item["options"]))
            p, kind = prior, "exam prior"
            if name == "math":
                level = int((item.get("other") or {}).get("level") or 3)
                p, kind = 0.35 + 0.12 * (level - 1), "MATH level"
            yield _row(snap, "agieval", f"agieval-{name}", "MIT", task, lang,
                       "\n\n".join(x for x in parts if x), p, kind)  # fmt: skip


# --- suzgunmirac/BIG-Bench-Hard (MIT): reasoning tasks, with per-item outcomes -------------

_BBH_REASONING = (
    "boolean_expressions", "causal_judgement", "date_understanding", "dyck_languages",
    "formal_fallacies", "geometric_shapes", "logical_deduction_five_objects",
    "logical_deduction_seven_objects", "logical_deduction_three_objects",
    "multistep_arithmetic_two", "navigate", "object_counting", "penguins_in_a_table",
    "reasoning_about_colored_objects", "temporal_sequences",
    "tracking_shuffled_objects_five_objects", "tracking_shuffled_objects_seven_objects",
    "tracking_shuffled_objects_three_objects", "web_of_lies", "word_sorting",
)  # fmt: skip
_BBH_COMMIT = "9ee07bd481feebf959a6b59d61ea57bdcf30964d"


def bbh_outcomes(mirrors: Path) -> Iterator[tuple[str, str, bool, bool]]:
    """(task, question, direct answer right, chain-of-thought answer right) per item:
    code-davinci-002 answering at once (the weak router arm) or reasoning first (strong)."""
    snap = Snapshot(mirrors, "suzgunmirac/BIG-Bench-Hard", _BBH_COMMIT)
    base = "code-davinci-002-outputs/code-davinci-002-{}/{}_few_shot_template_0-255000.json"
    for task in _BBH_REASONING:
        examples = snap.json(f"bbh/{task}.json")["examples"]
        direct = snap.json(base.format("direct", task))["outputs"]
        cot = snap.json(base.format("cot", task))["outputs"]
        for ex, d, c in zip(examples, direct, cot, strict=True):
            yield task, ex["input"], _bbh_right(d), _bbh_right(c)


def _bbh_right(out: dict[str, Any]) -> bool:
    pred = str(out.get("prediction", "")).strip()
    target = str(out.get("target", "")).strip()
    if "answer is" in pred:
        pred = pred.rsplit("answer is", 1)[1].strip(" .:")
    return pred == target


def bbh(mirrors: Path) -> Iterator[Row]:
    snap = Snapshot(mirrors, "suzgunmirac/BIG-Bench-Hard", _BBH_COMMIT)
    for task, question, direct_ok, cot_ok in bbh_outcomes(mirrors):
        row = _row(snap, "bbh", f"bbh-{task}", "MIT", "complex_reasoning", "en", question,
                   0.0 if direct_ok else 1.0, "outcome: code-davinci-002 direct")  # fmt: skip
        row["outcome"] = {"weak": direct_ok, "strong": cot_ok}
        yield row


# --- google-deepmind/xquad (CC BY-SA 4.0): questions with a passage, 12 languages ---------

XQUAD_LANGS = ("ar", "de", "el", "en", "es", "hi", "ro", "ru", "th", "tr", "vi", "zh")
_XQUAD_COMMIT = "7d30520c717524000f0d9d2f9c10a069acd9d285"


def xquad_paragraphs(mirrors: Path) -> dict[str, list[tuple[str, list[str]]]]:
    """lang -> [(context, [questions])], aligned across languages (same order)."""
    snap = Snapshot(mirrors, "google-deepmind/xquad", _XQUAD_COMMIT)
    out: dict[str, list[tuple[str, list[str]]]] = {}
    for lang in XQUAD_LANGS:
        paras = []
        for article in snap.json(f"xquad.{lang}.json")["data"]:
            for p in article["paragraphs"]:
                paras.append((p["context"], [q["question"] for q in p["qas"]]))
        out[lang] = paras
    return out


def xquad(mirrors: Path, rng: Any) -> Iterator[Row]:
    """A question about a pasted passage (reading comprehension): the question is the task."""
    snap = Snapshot(mirrors, "google-deepmind/xquad", _XQUAD_COMMIT)
    paras = xquad_paragraphs(mirrors)
    for lang in XQUAD_LANGS:
        for i, (context, questions) in enumerate(paras[lang]):
            if i % 3:  # one paragraph in three per language: the corpus stays balanced
                continue
            q = rng.choice(questions)
            layout = rng.randrange(3)
            if layout == 0:
                text = f"{context}\n\n{q}"
            elif layout == 1:
                text = f"{q}\n\n{context}"
            else:
                text = q
            yield _row(snap, "xquad", f"xquad-{lang}", "CC-BY-SA-4.0", "simple_qa", lang, text,
                       0.15, "task prior")  # fmt: skip


# --- yizhongw/self-instruct: its 50k sample of the P3/T0 training mixture (Apache-2.0) ------
# Only datasets with a permissive licence are taken; the task is the template's.

_P3 = {
    # dataset prefix: (licence, {template substring -> task}, default task or None)
    "cnn_dailymail": ("Apache-2.0", {"generate_story": "creative_writing",
                                      "spice_up_story": "creative_writing"}, "summarization"),
    "adversarial_qa": ("CC-BY-SA-3.0", {"generate_question": ""}, "simple_qa"),
    "quoref": ("CC-BY-4.0", {"Guess_Title": ""}, "simple_qa"),
    "duorc": ("MIT", {"build_story": "creative_writing", "generate_question": "",
                      "decide_worth": "", "title_generation": ""}, "simple_qa"),
    "kilt_tasks_hotpotqa": ("CC-BY-SA-4.0", {}, "simple_qa"),
    "dbpedia_14": ("CC-BY-SA-3.0", {}, "data_extraction"),
    "amazon_polarity": ("Apache-2.0", {}, "data_extraction"),
    "trec": ("public domain (NIST TREC QA)", {}, "data_extraction"),
    "wiki_bio": ("CC-BY-SA-3.0", {"key_content": "data_extraction", "what_content":
                                   "data_extraction", "comprehension": "data_extraction"}, None),
    "common_gen": ("MIT", {"sentence_to_concepts": "data_extraction",
                           "topics_from_the_sentence": "data_extraction",
                           "choice_in_concept": ""}, "creative_writing"),
}  # fmt: skip
_P3_DIFFICULTY = {"summarization": 0.2, "simple_qa": 0.15, "data_extraction": 0.12,
                  "creative_writing": 0.2}  # fmt: skip


def p3(mirrors: Path) -> Iterator[Row]:
    snap = Snapshot(mirrors, "yizhongw/self-instruct", "0b26ccaa415992100fa32df62d41b994cf928e23")
    folder = "data/finetuning/t0_train_50k/data_per_template"
    for path in snap.ls(folder):
        template = path.rsplit("/", 1)[1].removesuffix(".jsonl")
        for prefix, (licence, by_template, default) in _P3.items():
            if not template.startswith(prefix):
                continue
            task = default
            for key, t in by_template.items():
                if key in template:
                    task = t or None
            if not task:
                break
            for item in snap.jsonl(path):
                yield _row(snap, "p3", f"p3-{template}", licence, task, "en", item["prompt"],
                           _P3_DIFFICULTY[task], "task prior")  # fmt: skip
            break


# --- teknium1/GPTeacher (MIT): role-play and code instructions -----------------------------


def gpteacher(mirrors: Path) -> Iterator[Row]:
    snap = Snapshot(mirrors, "teknium1/GPTeacher", "481075123c29854bddb82655badeef6a438f2436")
    for path, task, p in (
        ("Roleplay/roleplay-simple-deduped-roleplay-instruct.json", "creative_writing", 0.2),
        ("Codegen/codegen-instruct.json", "code_generation", 0.3),
    ):
        for item in snap.json(path):
            text = item["instruction"]
            if item.get("input"):
                text += "\n\n" + item["input"]
            yield _row(snap, "gpteacher", f"gpteacher-{path.split('/')[0].lower()}", "MIT", task,
                       "en", text, p, "task prior")  # fmt: skip


# --- anthropics/hh-rlhf (MIT): people's own opening requests (harmless-base test file) ------
# What people ask an assistant when no task frame is given: factual questions, advice,
# opinions, how-to, chit-chat, requests for jokes and stories. Each opening request is
# labelled one by one by the project (training/labels/hh_rlhf.jsonl: id -> task, the id
# being the line's position in the file; conventions in training/MODEL_CARD.md). A line
# that repeats an earlier opening request takes that request's label.


def hh_rlhf(mirrors: Path, labels: Path) -> Iterator[Row]:
    snap = Snapshot(mirrors, "anthropics/hh-rlhf", "354e5c3cb8960630860dd5774a6ac2a58313bf4d")
    task_of = {r["id"]: r["task"] for r in map(json.loads, labels.read_text().splitlines()) if r}
    text = gzip.decompress(snap.read("harmless-base/test.jsonl.gz")).decode()
    by_text: dict[str, str] = {}
    for i, line in enumerate(filter(None, text.split("\n"))):  # JSON Lines: "\n" only
        turns = json.loads(line)["chosen"].split("\n\nHuman: ")[1:]
        humans = [t.split("\n\nAssistant:")[0].strip() for t in turns]
        if not humans or not humans[0]:
            continue
        task = by_text.setdefault(humans[0], task_of.get(f"harmless-test:{i}", ""))
        if not task:
            raise ValueError(f"{labels}: no label for harmless-test:{i}")
        row = _row(snap, "hh-rlhf", "hh-rlhf-harmless-test", "MIT", task, "en", humans[0],
                   _TASK_PRIOR[task], "task prior")  # fmt: skip
        if len(humans) > 1 and len(humans[1]) < 120 and zlib.crc32(humans[0].encode()) % 3 == 0:
            first_answer = turns[0].split("\n\nAssistant:")[1].strip()
            row.pop("prompt")
            row["messages"] = [
                {"role": "user", "content": humans[0]},
                {"role": "assistant", "content": first_answer},
                {"role": "user", "content": humans[1]},
            ]
            row["wrapper"] = "thread"
        yield row


# --- yizhongw/self-instruct (Apache-2.0): 427 human-written instructions, labelled by hand ---
# The 175 seed tasks and the 252 user-oriented instructions; their task labels are the
# project's, read one by one (training/labels/self_instruct.jsonl holds id -> task).

_TASK_PRIOR = {"simple_qa": 0.15, "code_generation": 0.4, "translation": 0.15, "summarization": 0.2,
               "complex_reasoning": 0.6, "data_extraction": 0.15, "creative_writing": 0.2,
               "general": 0.2}  # fmt: skip


def self_instruct(mirrors: Path, labels: Path) -> Iterator[Row]:
    snap = Snapshot(mirrors, "yizhongw/self-instruct", "0b26ccaa415992100fa32df62d41b994cf928e23")
    task_of = {r["id"]: r["task"] for r in map(json.loads, labels.read_text().splitlines()) if r}
    for path in ("data/seed_tasks.jsonl", "human_eval/user_oriented_instructions.jsonl"):
        for item in snap.jsonl(path):
            text = item["instruction"]
            inp = (item.get("instances") or [{}])[0].get("input") or ""
            if inp.strip():
                text += "\n\n" + inp
            task = task_of[item["id"]]
            yield _row(snap, "self-instruct", f"self-instruct-{path.split('/')[0]}", "Apache-2.0",
                       task, "en", text, _TASK_PRIOR[task], "task prior")  # fmt: skip

"""Generate tests/data/classifier_eval.jsonl, the labeled evaluation set of the L1 classifier.

Prompts are hand-written per task (several languages), some with slots filled
from content pools (articles, code, stack traces, documents to extract from),
then wrapped the way real traffic arrives: bare, behind a chat system prompt,
inside a multi-turn chat, or at the end of a coding-agent conversation with a
large system prompt, tools and tool results. The split is by prompt (not by
wrapper): about 30% of the prompts of each task are "test" and were not looked
at while tuning the lexicon. Deterministic: `python scripts/gen_classifier_eval.py`.
"""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "classifier_eval.jsonl"
rng = random.Random(20240611)

# --- content pools -------------------------------------------------------------------

PARAGRAPHS = [
    "The city council voted on Tuesday to extend the tram line to the northern suburbs, a project that has been debated for more than a decade. Supporters argue that the extension will cut commuting times by up to forty minutes for residents of the new housing estates, while critics point to the rising construction costs, which have nearly doubled since the first estimate in 2015.",
    "According to the quarterly report, revenue rose 12 percent year over year to 4.2 billion dollars, driven mostly by the cloud division. Operating margins, however, shrank for the third consecutive quarter as the company continued to invest heavily in data centers and hired more than three thousand engineers.",
    "Researchers at the university followed 2,400 adults for eight years and found that those who walked at least seven thousand steps a day had a significantly lower risk of cardiovascular disease. The authors caution that the study was observational and cannot prove that walking itself caused the difference.",
    "Remote work has changed how teams communicate. Many managers report that meetings have become shorter but more frequent, and that written documentation has become more important than ever. Some employees, especially those who joined during the pandemic, say they miss the informal learning that used to happen in the office.",
    "The new battery chemistry replaces cobalt with manganese and iron, which are cheaper and more abundant. Early tests suggest the cells retain 90 percent of their capacity after 3,000 charge cycles, although energy density remains about 15 percent lower than current lithium-ion cells used in premium electric vehicles.",
    "Historians have long debated why the empire collapsed so quickly. Some emphasize the economic strain of constant warfare on the frontiers; others point to a series of plagues that reduced the population of the major cities by a third within a single generation, leaving fields untended and armies understaffed.",
    "The festival drew more than 80,000 visitors over three days. Organizers said the decision to ban single-use plastics had been a success, with waste volumes down by nearly half compared with last year, although some food vendors complained about the higher cost of compostable packaging.",
    "Under the proposed regulation, companies that deploy automated decision systems would have to publish a plain-language explanation of how those systems work and allow affected individuals to request a human review. Industry groups say the rules are too vague; consumer advocates say they do not go far enough.",
    "The drought has lowered the reservoir to 31 percent of its capacity, the lowest level recorded since measurements began. Farmers in the valley have been told to expect a 40 percent cut in their water allocation, and several towns have introduced restrictions on watering gardens and washing cars.",
    "In the interview, the director explained that the film was shot almost entirely with natural light, which forced the crew to work in short windows at dawn and dusk. The result, critics say, is a visually striking but slow-paced drama that will divide audiences.",
    "The central bank kept interest rates unchanged at 4.5 percent but signaled that cuts could come later in the year if inflation continues to ease. Core inflation fell to 2.9 percent in May, its lowest level in two years, while unemployment edged up to 4.1 percent.",
    "Volunteers planted more than 12,000 native trees along the river banks this spring. The project aims to reduce erosion, provide shade that cools the water for fish, and create a corridor for birds that have disappeared from the area over the past thirty years.",
]

CODE = [
    (
        "python",
        "def load_users(path):\n    users = []\n    with open(path) as f:\n        for line in f:\n            name, age = line.split(',')\n            users.append({'name': name, 'age': int(age)})\n    return users\n",
    ),
    (
        "javascript",
        "async function fetchAll(urls) {\n  const results = [];\n  for (const url of urls) {\n    const res = await fetch(url);\n    results.push(await res.json());\n  }\n  return results;\n}\n",
    ),
    (
        "go",
        "func worker(jobs <-chan int, results chan<- int) {\n\tfor j := range jobs {\n\t\tresults <- j * 2\n\t}\n}\n",
    ),
    (
        "rust",
        "fn parse_line(line: &str) -> Option<(String, u32)> {\n    let mut parts = line.split(':');\n    let name = parts.next()?.trim().to_string();\n    let score = parts.next()?.trim().parse().ok()?;\n    Some((name, score))\n}\n",
    ),
    (
        "sql",
        "SELECT c.name, SUM(o.total) AS revenue\nFROM customers c\nJOIN orders o ON o.customer_id = c.id\nWHERE o.created_at >= '2024-01-01'\nGROUP BY c.name\nORDER BY revenue DESC;\n",
    ),
    (
        "java",
        "public class Counter {\n    private int count = 0;\n    public void increment() {\n        count++;\n    }\n    public int get() {\n        return count;\n    }\n}\n",
    ),
    (
        "typescript",
        "export function debounce<T extends (...args: any[]) => void>(fn: T, ms: number) {\n  let t: ReturnType<typeof setTimeout> | undefined;\n  return (...args: Parameters<T>) => {\n    if (t) clearTimeout(t);\n    t = setTimeout(() => fn(...args), ms);\n  };\n}\n",
    ),
    (
        "python",
        "class Cache:\n    def __init__(self):\n        self.data = {}\n\n    def get(self, key):\n        return self.data[key]\n\n    def set(self, key, value):\n        self.data[key] = value\n",
    ),
]

TRACES = [
    'Traceback (most recent call last):\n  File "app/main.py", line 42, in <module>\n    run()\n  File "app/main.py", line 17, in run\n    total = sum(item["price"] for item in cart)\nKeyError: \'price\'\n',
    "TypeError: Cannot read properties of undefined (reading 'map')\n    at ProductList (src/components/ProductList.tsx:23:18)\n    at renderWithHooks (node_modules/react-dom/cjs/react-dom.development.js:14985:18)\n",
    'Exception in thread "main" java.lang.NullPointerException\n\tat com.shop.OrderService.total(OrderService.java:58)\n\tat com.shop.Main.main(Main.java:12)\n',
    "thread 'main' panicked at 'index out of bounds: the len is 3 but the index is 3', src/main.rs:14:5\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n",
]

SENTENCES_EN = [
    "The meeting has been moved to Thursday at 3 pm because the client's flight was delayed.",
    "Please keep your receipt; you will need it if you want to return the item within 30 days.",
    "Our office will be closed on Monday for the public holiday.",
    "I really enjoyed our conversation yesterday and would love to continue it over coffee next week.",
    "The package was left at the front desk of your building.",
    "Add the flour slowly and stir until the dough no longer sticks to the bowl.",
    "Thank you for your patience while we investigate the issue with your account.",
    "Turn left at the second traffic light and the museum will be on your right.",
    "Your subscription renews automatically unless you cancel at least 24 hours before the end of the period.",
    "We are looking for a volunteer to help organize the neighborhood cleanup on Saturday morning.",
]
LANGS_TO = [
    "French",
    "German",
    "Spanish",
    "Japanese",
    "Italian",
    "Portuguese",
    "Korean",
    "Chinese",
    "Russian",
    "Dutch",
]

EXTRACT_DOCS = [
    "From: Maria Lopez <maria.lopez@northwind.com>\nTo: support@acme.io\nDate: 12 March 2024\nSubject: Order #48213 arrived damaged\n\nHi, my order #48213 (2x ceramic vase, 1x table lamp) arrived yesterday and one vase was broken. I paid 89.90 EUR. Please call me at +34 612 345 678. Thanks, Maria",
    "INVOICE 2024-0117\nBill to: Greenfield Dental LLC, 44 Oak Street, Springfield\nDate: 2024-02-03  Due: 2024-03-04\n\n3 x Exam gloves (box)   12.50   37.50\n1 x Autoclave service   240.00  240.00\n2 x Dental mirror set   18.00   36.00\nSubtotal 313.50  Tax 8% 25.08  Total 338.58",
    "Meeting notes 2024-05-14. Attendees: Priya (PM), Tom (backend), Lena (design). Decisions: ship the onboarding redesign on June 3; Tom owns the migration script, due May 28. Lena will send final mockups by Friday. Open question: do we need legal review for the new consent text?",
    "John Carter, Senior Data Engineer. Experience: Spotify (2019-2023), built streaming pipelines in Scala and Kafka; Klarna (2016-2019), data warehouse on Redshift. Education: MSc Computer Science, KTH 2016. Skills: Python, Spark, Airflow, dbt. Email: jcarter@example.org",
    '2024-06-01T10:02:11Z ERROR payment-svc order=9912 user=u_381 msg="card declined"\n2024-06-01T10:02:15Z INFO checkout-svc order=9913 user=u_114 msg="ok"\n2024-06-01T10:03:40Z ERROR payment-svc order=9917 user=u_381 msg="timeout"\n2024-06-01T10:04:02Z WARN inventory-svc sku=B-77 msg="low stock"',
    "Review by Kevin, 4/5 stars: The blender is powerful and easy to clean, but it is louder than I expected. Bought it for 79 dollars on sale in April. Review by Aisha, 2/5: stopped working after six weeks, customer service never answered. Review by Sam, 5/5: best purchase this year.",
    "Apartment listing: 2-bedroom, 68 m², 3rd floor with elevator, Kreuzberg, Berlin. Rent 1,450 EUR cold + 210 EUR utilities. Available from 1 August. Pets allowed. Contact Frau Schneider, 030 5556 1234.",
    "Patient: A. Novak, 54 y/o male. Presents with chest pain for 2 days, BP 150/95, HR 88. History: type 2 diabetes, smoker (20 pack-years). Meds: metformin 500 mg twice daily. Plan: ECG, troponin, follow up in 48h.",
]

CURSOR_SYSTEM = (
    "You are a powerful agentic AI coding assistant, powered by a frontier model. You operate exclusively in Cursor, the world's best IDE.\n\n"
    "You are pair programming with a USER to solve their coding task. The task may require creating a new codebase, modifying or debugging an existing codebase, or simply answering a question. "
    "Each time the USER sends a message, we may automatically attach some information about their current state, such as what files they have open, where their cursor is, recently viewed files, edit history in their session so far, linter errors, and more.\n\n"
    "<tool_calling>\nYou have tools at your disposal to solve the coding task. Follow these rules regarding tool calls:\n1. ALWAYS follow the tool call schema exactly as specified.\n2. NEVER refer to tool names when speaking to the USER.\n3. Only call tools when they are necessary.\n</tool_calling>\n\n"
    "<making_code_changes>\nWhen making code changes, NEVER output code to the USER, unless requested. Instead use one of the code edit tools to implement the change. "
    "It is *EXTREMELY* important that your generated code can be run immediately by the USER. Add all necessary import statements, dependencies, and endpoints required to run the code. "
    "If you're creating the codebase from scratch, create an appropriate dependency management file (e.g. requirements.txt) with package versions and a helpful README. "
    "If you've introduced (linter) errors, fix them if clear how to. Do not loop more than 3 times on fixing linter errors on the same file.\n</making_code_changes>\n\n"
    "<debugging>\nWhen debugging, only make code changes if you are certain that you can solve the problem. Address the root cause instead of the symptoms. Add descriptive logging statements and error messages to track variable and code state. Add test functions and statements to isolate the problem.\n</debugging>\n"
)
CLAUDE_CODE_SYSTEM = (
    "You are Claude Code, an interactive CLI tool that helps users with software engineering tasks. Use the instructions below and the tools available to you to assist the user.\n\n"
    "IMPORTANT: Refuse to write code or explain code that may be used maliciously. Before you begin work, think about what the code you're editing is supposed to do based on the filenames directory structure.\n\n"
    "# Tone and style\nYou should be concise, direct, and to the point. When you run a non-trivial bash command, you should explain what the command does and why you are running it. "
    "Your output will be displayed on a command line interface. Your responses can use GitHub-flavored markdown for formatting.\n\n"
    "# Following conventions\nWhen making changes to files, first understand the file's code conventions. Mimic code style, use existing libraries and utilities, and follow existing patterns. "
    "NEVER assume that a given library is available. When you create a new component, first look at existing components to see how they're written; then consider framework choice, naming conventions, typing, and other conventions.\n\n"
    "# Doing tasks\nThe user will primarily request you perform software engineering tasks. This includes solving bugs, adding new functionality, refactoring code, explaining code, and more. "
    "Use the available search tools to understand the codebase and the user's query. Implement the solution using all tools available to you. Verify the solution if possible with tests. "
    "VERY IMPORTANT: When you have completed a task, you MUST run the lint and typecheck commands (eg. npm run lint, npm run typecheck, ruff, etc.) to ensure your code is correct.\n"
)
CLINE_SYSTEM = (
    "You are Cline, a highly skilled software engineer with extensive knowledge in many programming languages, frameworks, design patterns, and best practices.\n\n"
    "====\n\nTOOL USE\n\nYou have access to a set of tools that are executed upon the user's approval. You can use one tool per message, and will receive the result of that tool use in the user's response. "
    "You use tools step-by-step to accomplish a given task, with each tool use informed by the result of the previous tool use.\n\n"
    "# Tools\n\n## execute_command\nDescription: Request to execute a CLI command on the system.\n\n## read_file\nDescription: Request to read the contents of a file at the specified path.\n\n"
    "## replace_in_file\nDescription: Request to replace sections of content in an existing file using SEARCH/REPLACE blocks.\n\n## search_files\nDescription: Request to perform a regex search across files in a specified directory.\n\n"
    "====\n\nRULES\n\n- Your current working directory is: /home/user/project\n- Do not use the ~ character or $HOME to refer to the home directory.\n- When creating a new project, organize all new files within a dedicated project directory.\n"
)
AGENT_SYSTEMS = [CURSOR_SYSTEM, CLAUDE_CODE_SYSTEM, CLINE_SYSTEM]
AGENT_TOOLS = [
    [
        {
            "type": "function",
            "function": {
                "name": n,
                "description": d,
                "parameters": {"type": "object", "properties": {}},
            },
        }
        for n, d in (
            ("read_file", "Read a file"),
            ("edit_file", "Edit a file"),
            ("run_terminal_cmd", "Run a command"),
            ("codebase_search", "Semantic search"),
            ("grep_search", "Regex search"),
        )
    ],
    [
        {
            "type": "function",
            "function": {
                "name": n,
                "description": d,
                "parameters": {"type": "object", "properties": {}},
            },
        }
        for n, d in (
            ("Bash", "Run bash"),
            ("Read", "Read a file"),
            ("Edit", "Edit a file"),
            ("Glob", "Find files"),
            ("Grep", "Search"),
            ("TodoWrite", "Track todos"),
        )
    ],
    [
        {
            "type": "function",
            "function": {
                "name": n,
                "description": d,
                "parameters": {"type": "object", "properties": {}},
            },
        }
        for n, d in (
            ("execute_command", "Run a command"),
            ("read_file", "Read"),
            ("replace_in_file", "Edit"),
            ("search_files", "Search"),
            ("attempt_completion", "Finish"),
        )
    ],
]
CHAT_SYSTEMS = [
    "You are a helpful assistant.",
    "You are ChatGPT, a large language model. Answer as concisely as possible. Current date: 2024-06-11.",
    "You are a friendly assistant for Acme Corp employees. Be accurate, cite sources when you can, and keep answers short unless asked otherwise.",
    "Du bist ein hilfreicher Assistent. Antworte präzise.",
    "You are an AI assistant. Think carefully, be honest about uncertainty, and format answers in Markdown.",
]
SMALLTALK = [
    ("user", "Hey, can you help me with a few things today?"),
    ("assistant", "Of course! What do you need?"),
    ("user", "First, what's a good name for a grey cat?"),
    ("assistant", "Some ideas: Ash, Smokey, Pebble, Earl Grey, or Misty."),
    ("user", "Nice, thanks. Next question."),
    ("assistant", "Sure, go ahead."),
]


def article(n: int) -> str:
    return "\n\n".join(rng.sample(PARAGRAPHS, n))


def code_block() -> str:
    lang, src = rng.choice(CODE)
    return f"```{lang}\n{src}```"


def fill(template: str) -> str:
    slots = {
        "article": lambda: article(rng.randint(3, 6)),
        "long_article": lambda: article(12) + "\n\n" + article(8),
        "code": code_block,
        "trace": lambda: rng.choice(TRACES),
        "sentence": lambda: rng.choice(SENTENCES_EN),
        "lang": lambda: rng.choice(LANGS_TO),
        "doc": lambda: rng.choice(EXTRACT_DOCS),
    }
    out = template
    for key, make in slots.items():
        while "{" + key + "}" in out:
            out = out.replace("{" + key + "}", make(), 1)
    return out


# --- prompts per task: (text, complexity label or None, lang) ---------------------------
# "@img" at the start attaches an image; "@json"/"@schema" asks for JSON output.

P: dict[str, list[tuple[str, str | None, str]]] = {
    "simple_qa": [
        ("What is the capital of Australia?", "low", "en"),
        ("Who wrote 'One Hundred Years of Solitude'?", "low", "en"),
        ("When did the Berlin Wall fall?", "low", "en"),
        ("How tall is Mount Kilimanjaro?", "low", "en"),
        ("What does HTTP stand for?", "low", "en"),
        ("what's the boiling point of water in fahrenheit", "low", "en"),
        ("Which planet has the most moons?", "low", "en"),
        ("How many bones are in the adult human body?", "low", "en"),
        ("Who painted the Girl with a Pearl Earring?", "low", "en"),
        ("What year did the first iPhone come out?", "low", "en"),
        ("What is the chemical symbol for gold?", "low", "en"),
        ("Define 'photosynthesis' in one sentence.", "low", "en"),
        ("Is a tomato a fruit or a vegetable?", "low", "en"),
        ("What's the population of Canada roughly?", "low", "en"),
        ("Which country has the longest coastline?", "low", "en"),
        ("how long is a marathon in km", "low", "en"),
        ("What currency does Switzerland use?", "low", "en"),
        ("Who discovered penicillin?", "low", "en"),
        ("What is the speed of light in vacuum?", "low", "en"),
        ("Quick one: what time zone is Tokyo in?", "low", "en"),
        ("@img What breed of dog is this?", "low", "en"),
        ("@img Which city is this photo taken in?", "low", "en"),
        ("What's the default port for PostgreSQL?", "low", "en"),
        ("What is the largest desert in the world?", "low", "en"),
        ("Was ist die Hauptstadt von Kanada?", "low", "de"),
        ("Wer hat die Relativitätstheorie entwickelt?", "low", "de"),
        ("Quelle est la capitale du Portugal ?", "low", "fr"),
        ("Qui a écrit Les Misérables ?", "low", "fr"),
        ("¿Cuándo llegó el hombre a la Luna?", "low", "es"),
        ("¿Quién pintó la Mona Lisa?", "low", "es"),
        ("Quem descobriu o Brasil?", "low", "pt"),
        ("日本的首都是哪里？", "low", "zh"),
        ("珠穆朗玛峰有多高？", "low", "zh"),
        ("富士山の高さはどのくらいですか？", "low", "ja"),
        ("한국의 수도는 어디인가요?", "low", "ko"),
        ("Кто написал «Войну и мир»?", "low", "ru"),
        ("Сколько планет в Солнечной системе?", "low", "ru"),
        ("In which year did World War II end?", "low", "en"),
        ("What language is spoken in Brazil?", "low", "en"),
        ("Who is the CEO of Microsoft?", "low", "en"),
        ("What's the square root of 144?", "low", "en"),
        ("What is the freezing point of water in Kelvin?", "low", "en"),
        ("How far is the Moon from Earth?", "low", "en"),
        ("What's the tallest building in the world?", "low", "en"),
        ("Where is the Eiffel Tower?", "low", "en"),
    ],
    "code_generation": [
        ("Write a Python function that checks whether a string is a palindrome.", "low", "en"),
        ("Write a bash one-liner to count lines in all .py files recursively.", "low", "en"),
        (
            "Implement a thread-safe LRU cache in Java with O(1) get and put, supporting concurrent readers and writers without a global lock.",
            "high",
            "en",
        ),
        ("Why does this crash?\n\n{trace}", None, "en"),
        ("I get this error when I run the app:\n{trace}\nHow do I fix it?", None, "en"),
        ("Refactor this to be more readable and add type hints:\n\n{code}", None, "en"),
        ("Can you add error handling to this?\n{code}", None, "en"),
        ("Convert this Python to idiomatic Go:\n{code}", None, "en"),
        ("Translate this JavaScript function to Rust:\n{code}", None, "en"),
        ("Write unit tests with pytest for this function:\n{code}", None, "en"),
        (
            "write a regex that matches US phone numbers like (555) 123-4567 or 555-123-4567",
            "low",
            "en",
        ),
        (
            "Create a React component that shows a paginated table of users fetched from /api/users, with sorting by column and a search box.",
            None,
            "en",
        ),
        (
            "Design and implement a distributed rate limiter in Go using Redis that is correct under concurrency, handles clock skew between nodes, and degrades gracefully if Redis is down. Explain the trade-offs.",
            "high",
            "en",
        ),
        (
            "Implement a lock-free single-producer single-consumer ring buffer in C++ with correct memory ordering.",
            "high",
            "en",
        ),
        ("Write a SQL query that returns the top 5 customers by revenue in 2023.", "low", "en"),
        (
            'Here\'s my Dockerfile, the build fails at pip install. What\'s wrong?\n```dockerfile\nFROM python:3.12-slim\nCOPY . /app\nRUN pip install -r /app/requirements.txt\nCMD ["python", "app.py"]\n```',
            None,
            "en",
        ),
        (
            "Migrate our auth module from session cookies to JWT across the codebase: update middleware in src/auth/middleware.ts, src/api/routes.ts, src/db/users.ts and the tests, keep backward compatibility for one release.",
            "high",
            "en",
        ),
        (
            "the tests in tests/test_orders.py are failing since the last commit, can you fix them?",
            None,
            "en",
        ),
        (
            "Add a --dry-run flag to the CLI in cli.py that prints what would be deleted without deleting anything.",
            None,
            "en",
        ),
        ("Explain what this code does and point out any bugs:\n{code}", None, "en"),
        (
            "Optimize this query, it takes 30 seconds on 10M rows:\n```sql\nSELECT * FROM events WHERE date(created_at) = '2024-01-01' ORDER BY id;\n```",
            None,
            "en",
        ),
        ("Implement Dijkstra's algorithm in TypeScript with a binary heap.", None, "en"),
        ("How do I reverse a list in Python?", "low", "en"),
        ("fix the memory leak in the websocket handler, it grows by 50MB per hour", None, "en"),
        (
            "Write a function to compute the nth Fibonacci number in Rust using dynamic programming, with overflow checks.",
            None,
            "en",
        ),
        (
            "Write a GitHub Actions workflow that runs ruff and pytest on Python 3.11 and 3.12.",
            None,
            "en",
        ),
        (
            "Here's the diff, please review it:\n```diff\ndiff --git a/app/models.py b/app/models.py\n@@ -10,7 +10,8 @@ class Order:\n-    total: float\n+    total: Decimal\n+    currency: str = 'EUR'\n```",
            None,
            "en",
        ),
        ("Schreibe eine Python-Funktion, die prüft, ob eine Zahl eine Primzahl ist.", "low", "de"),
        ("Warum stürzt mein Programm hier ab?\n{trace}", None, "de"),
        ("Écris une fonction JavaScript qui supprime les doublons d'un tableau.", "low", "fr"),
        ("Peux-tu corriger ce bug ?\n{code}", None, "fr"),
        (
            "Escribe una función en Python que ordene una lista de diccionarios por la clave 'edad'.",
            "low",
            "es",
        ),
        ("Escreva um script em bash que faça backup de uma pasta todo dia.", None, "pt"),
        ("用Python写一个函数，计算列表中所有偶数的和。", "low", "zh"),
        ("这段代码为什么报错？\n{trace}", None, "zh"),
        ("Pythonでファイルを一行ずつ読み込む関数を書いてください。", "low", "ja"),
        ("이 코드를 리팩터링해 주세요:\n{code}", None, "ko"),
        ("Напиши функцию на Go, которая читает JSON из файла.", "low", "ru"),
        (
            "Implement a concurrent web crawler in Python with asyncio that respects robots.txt, limits concurrency per domain, retries with backoff and deduplicates URLs.",
            "high",
            "en",
        ),
        (
            "Build a REST API endpoint in FastAPI for creating and listing todos, with pydantic models.",
            None,
            "en",
        ),
        ("My useEffect runs twice and fires two requests, how do I stop that?", None, "en"),
        ("Write a Makefile with targets for build, test and clean for a C project.", None, "en"),
        ("Can you make this function async?\n{code}", None, "en"),
    ],
    "translation": [
        ("Translate to {lang}: {sentence}", "low", "en"),
        ("Please translate the following into {lang}:\n\n{sentence}", "low", "en"),
        ("How do you say 'where is the train station' in {lang}?", "low", "en"),
        (
            "Can you translate this email into {lang} for our supplier? Keep it formal.\n\nDear Mr. Tanaka,\n{sentence} {sentence} Best regards, Anna",
            None,
            "en",
        ),
        ("{sentence}\n\n-> {lang} please", None, "en"),
        ("Translate this paragraph into {lang}, keeping the tone:\n\n{article}", None, "en"),
        (
            "Translate the following article into {lang}. Keep the formatting and the paragraph breaks.\n\n{long_article}",
            None,
            "en",
        ),
        ("What's the word for 'sustainability' in German?", "low", "en"),
        (
            "Translate into English: Je voudrais réserver une table pour deux personnes ce soir.",
            "low",
            "en",
        ),
        (
            "Translate into English: Wir müssen das Projekt bis Ende der Woche abschließen.",
            "low",
            "en",
        ),
        ("translate 'I miss you' to Korean", "low", "en"),
        (
            "Localize these UI strings into Spanish: 'Sign in', 'Forgot password?', 'Create account', 'Remember me'.",
            None,
            "en",
        ),
        ("Übersetze bitte ins Englische: Die Lieferung verzögert sich um zwei Tage.", "low", "de"),
        ("Übersetze diesen Absatz ins Französische:\n\n{sentence}", "low", "de"),
        ("Traduis en anglais : « Le rendez-vous est reporté à lundi prochain. »", "low", "fr"),
        ("Peux-tu traduire ce texte en espagnol ?\n\n{sentence}", "low", "fr"),
        ("Traduce al inglés: Necesito cambiar mi vuelo para el viernes.", "low", "es"),
        ("¿Puedes traducir esto al alemán? {sentence}", "low", "es"),
        ("Traduza para o inglês: Obrigado pela sua ajuda com o projeto.", "low", "pt"),
        ("请把这句话翻译成英文：我们下周一开会讨论预算。", "low", "zh"),
        ("把下面的段落翻译成中文：\n\n{sentence}", "low", "zh"),
        ("この文を英語に翻訳してください：明日は雨が降るかもしれません。", "low", "ja"),
        ("次の文章を日本語に訳してください。\n{sentence}", "low", "ja"),
        ("다음 문장을 영어로 번역해 주세요: 오늘 회의는 취소되었습니다.", "low", "ko"),
        ("Переведи на английский: Я опоздаю на десять минут.", "low", "ru"),
        ("Переведите этот текст на немецкий:\n{sentence}", "low", "ru"),
        ("Traduci in inglese: Vorrei prenotare una camera doppia per tre notti.", "low", "it"),
        ("Can you put this into Japanese for me? {sentence}", None, "en"),
        ("Render this into idiomatic French, not word for word: {sentence}", None, "en"),
        ("I need this in Portuguese (Brazil): {sentence}", None, "en"),
        (
            "How would you say 'break a leg' in Italian, and is there an equivalent idiom?",
            None,
            "en",
        ),
        ("Give me the Spanish translation of: {sentence}", "low", "en"),
        (
            "translate the comments and docstrings in this file to English, don't change the code:\n```python\ndef calcola_totale(carrello):\n    # somma i prezzi di tutti gli articoli\n    return sum(a.prezzo for a in carrello)\n```",
            None,
            "en",
        ),
        (
            "Translate to English:\n\n「本日の会議は午後三時に始まります。資料を事前に確認してください。」",
            "low",
            "en",
        ),
        (
            "Translate this customer review from German: 'Das Produkt kam beschädigt an und der Kundendienst hat nie geantwortet.'",
            "low",
            "en",
        ),
        ("Please translate our privacy notice into {lang}:\n\n{article}", None, "en"),
        ("EN -> {lang}: {sentence}", "low", "en"),
    ],
    "summarization": [
        ("Summarize this article in 3 bullet points:\n\n{article}", "low", "en"),
        ("Can you give me a short summary of the following?\n\n{article}", "low", "en"),
        ("{article}\n\nTL;DR?", "low", "en"),
        (
            "Here's a long report. Summarize the key findings and the open questions for an executive audience.\n\n{long_article}",
            None,
            "en",
        ),
        ("Please condense this into one paragraph:\n\n{article}", "low", "en"),
        ("What are the main points of this text?\n\n{article}", None, "en"),
        ("Give me the gist of this:\n{article}", "low", "en"),
        (
            "Recap the following meeting transcript in five bullets with owners and deadlines.\n\nAlex: okay so the launch slipped again. Bea: yes, QA found three blockers. Alex: who owns the payment one? Carl: me, I can have it by Wednesday. Bea: the other two are UI, I'll take them, Friday. Alex: then we launch Monday. "
            * 3,
            None,
            "en",
        ),
        (
            "Summarize this PR description for the changelog in one line:\n\nThis PR replaces the hand-rolled retry loop in the HTTP client with a shared backoff helper, adds jitter, caps retries at 5 and logs each attempt at debug level. It also fixes a bug where 429 responses were not retried.",
            "low",
            "en",
        ),
        ("Write an abstract (max 150 words) for this paper draft:\n\n{long_article}", None, "en"),
        ("I don't have time to read this, what does it say?\n\n{article}", None, "en"),
        ("Boil this down to the three things I need to know:\n\n{article}", None, "en"),
        ("Summarize the conversation so far in a few sentences.", None, "en"),
        ("Fasse den folgenden Text in drei Sätzen zusammen:\n\n{article}", "low", "de"),
        ("Bitte gib mir eine kurze Zusammenfassung dieses Artikels:\n\n{article}", "low", "de"),
        ("Résume cet article en quelques phrases :\n\n{article}", "low", "fr"),
        ("Fais-moi un résumé de ce texte :\n\n{article}", "low", "fr"),
        ("Resume el siguiente texto en tres puntos:\n\n{article}", "low", "es"),
        ("Hazme un resumen breve de este artículo:\n\n{article}", "low", "es"),
        ("Faça um resumo deste texto:\n\n{article}", "low", "pt"),
        ("请总结下面这篇文章的要点：\n\n{article}", "low", "zh"),
        ("用三句话概括以下内容：\n\n{article}", "low", "zh"),
        ("次の記事を要約してください。\n\n{article}", "low", "ja"),
        ("다음 글을 요약해 주세요.\n\n{article}", "low", "ko"),
        ("Кратко перескажи этот текст:\n\n{article}", "low", "ru"),
        ("Сделай краткое резюме статьи:\n\n{article}", "low", "ru"),
        ("Key takeaways from this please:\n\n{long_article}", None, "en"),
        ("{long_article}\n\nSummarize the above for a newsletter, 100 words max.", None, "en"),
        (
            "Give me an executive summary of this quarterly report, highlighting risks:\n\n{long_article}",
            None,
            "en",
        ),
        ("Can you shorten this to a tweet-length summary? {article}", "low", "en"),
        ("Sum up the plot of Hamlet in two sentences.", "low", "en"),
        ("Riassumi questo testo in poche righe:\n\n{article}", "low", "it"),
    ],
    "complex_reasoning": [
        ("Prove that the square root of 2 is irrational.", "high", "en"),
        ("Prove by induction that the sum of the first n odd numbers is n^2.", "high", "en"),
        (
            "A bag has 5 red and 7 blue balls. You draw 3 without replacement. What is the probability that exactly 2 are red? Show your work.",
            "high",
            "en",
        ),
        (
            "Three people check into a hotel room that costs $30. They each pay $10. The manager realizes the room is $25 and gives $5 to the bellboy, who keeps $2 and returns $1 to each guest. Each paid $9, total $27, plus $2 = $29. Where is the missing dollar? Explain the flaw in the reasoning.",
            "high",
            "en",
        ),
        ("Solve the system: 2x + 3y = 12, x - y = 1. Then verify the solution.", None, "en"),
        (
            "How many ways can 8 rooks be placed on a chessboard so that none attack each other? Derive the answer.",
            "high",
            "en",
        ),
        ("Find all real solutions of x^4 - 5x^2 + 4 = 0 step by step.", "high", "en"),
        (
            "We need to schedule 6 meetings across 3 rooms and 4 time slots with these constraints: A and B cannot overlap; C must be before D; E needs the large room; F must be in the last slot; no room can host more than 2 meetings. Find a valid schedule or prove none exists.",
            "high",
            "en",
        ),
        (
            "Is it rational to buy an extended warranty that costs $120 for a $900 laptop with a 10% failure probability over 3 years, given repair costs average $400? Compute the expected value and discuss risk aversion.",
            "high",
            "en",
        ),
        (
            "Knights always tell the truth and knaves always lie. A says 'B is a knave'. B says 'A and I are the same type'. What are A and B? Reason step by step.",
            "high",
            "en",
        ),
        ("Evaluate the integral of x * e^(2x) dx and explain each step.", "high", "en"),
        (
            "A train leaves at 9:00 going 80 km/h; a second leaves the same station at 10:00 going 120 km/h on the same track. When and where does the second catch up?",
            None,
            "en",
        ),
        (
            "Our startup has $2M runway, burn of $150k/month, and a 20% chance of closing a round in each of the next 6 months. What's the probability we run out of cash before raising? Lay out the reasoning and assumptions.",
            "high",
            "en",
        ),
        (
            "Compare the time and space trade-offs of a B-tree versus an LSM tree for a write-heavy workload with occasional range scans, and reason about which to pick for 10k writes/s.",
            "high",
            "en",
        ),
        (
            "If all bloops are razzies and some razzies are lazzies, can we conclude that some bloops are lazzies? Explain formally.",
            "high",
            "en",
        ),
        ("Estimate how many piano tuners work in Chicago. Show each assumption.", None, "en"),
        ("Prove that there is no largest prime number.", "high", "en"),
        (
            "In the Monty Hall problem with 4 doors where the host opens 2 empty doors, should you switch? Calculate the probabilities.",
            "high",
            "en",
        ),
        ("Show that every group of prime order is cyclic.", "high", "en"),
        (
            "What's the optimal strategy in the game where two players alternately take 1 to 3 coins from a pile of 21 and whoever takes the last coin wins?",
            "high",
            "en",
        ),
        (
            "Given f(x) = x^3 - 6x^2 + 9x + 1, find the local extrema and inflection points and justify them.",
            "high",
            "en",
        ),
        (
            "A company must choose between three suppliers with different costs, lead times and failure rates (A: $10/unit, 5 days, 2%; B: $8/unit, 12 days, 5%; C: $12/unit, 2 days, 0.5%). With demand of 1,000 units/week and a stockout penalty of $30/unit, which minimizes expected weekly cost? Reason carefully.",
            "high",
            "en",
        ),
        ("Beweise, dass die Summe der Innenwinkel eines Dreiecks 180 Grad beträgt.", "high", "de"),
        (
            "Löse Schritt für Schritt: Ein Kapital von 5.000 € wird mit 3 % jährlich verzinst. Nach wie vielen Jahren hat es sich verdoppelt?",
            "high",
            "de",
        ),
        ("Démontre que la somme de deux nombres pairs est paire.", "high", "fr"),
        ("Résous étape par étape : x^2 - 7x + 10 = 0.", None, "fr"),
        ("Demuestra que hay infinitos números primos.", "high", "es"),
        (
            "Resuelve paso a paso: si 3 obreros tardan 12 días, ¿cuánto tardan 9 obreros?",
            None,
            "es",
        ),
        (
            "Calcule a probabilidade de tirar pelo menos um seis em quatro lançamentos de um dado, passo a passo.",
            "high",
            "pt",
        ),
        ("证明：对于任意正整数n，n^3 - n 能被6整除。", "high", "zh"),
        (
            "一个袋子里有3个红球和5个白球，随机取两个，求都是红球的概率，请一步一步推理。",
            "high",
            "zh",
        ),
        ("√2が無理数であることを証明してください。", "high", "ja"),
        ("다음 방정식을 단계별로 풀어 주세요: 3x + 7 = 2x - 5", None, "ko"),
        ("Докажи, что сумма углов выпуклого n-угольника равна 180(n-2) градусов.", "high", "ru"),
        (
            "Реши задачу шаг за шагом: поезд проехал 300 км за 4 часа, а обратно за 5 часов. Какова средняя скорость?",
            None,
            "ru",
        ),
        (
            "There are 100 prisoners and 100 boxes, each with a prisoner's number. Each may open 50 boxes. Explain the cycle-following strategy and derive its success probability.",
            "high",
            "en",
        ),
        (
            "Why does the gambler's fallacy fail? Give a rigorous argument using independence.",
            "high",
            "en",
        ),
        (
            "A farmer has 100 m of fence and wants to enclose a rectangular area against a river (no fence on the river side). Maximize the area and prove it's a maximum.",
            "high",
            "en",
        ),
        (
            "Analyze whether raising the minimum wage by 20% would increase or decrease total employment in a small town with one dominant employer (monopsony). Reason through the model.",
            "high",
            "en",
        ),
        ("If I double the radius of a sphere, how does its volume change? Explain.", None, "en"),
        (
            "Solve: a 2x2 matrix has eigenvalues 2 and 3 and eigenvector (1,1) for 2 and (1,-1) for 3. Find the matrix.",
            "high",
            "en",
        ),
    ],
    "data_extraction": [
        (
            "Extract the sender's name, email, order number and amount from this email as JSON:\n\n{doc}",
            "low",
            "en",
        ),
        ("@json Extract all people, organizations and dates mentioned:\n\n{doc}", "low", "en"),
        (
            "@schema Pull out the invoice number, line items (description, qty, unit price) and total.\n\n{doc}",
            None,
            "en",
        ),
        ("From the text below, list every email address and phone number.\n\n{doc}", "low", "en"),
        (
            "Parse these log lines into a CSV with columns timestamp, level, service, order, msg:\n\n{doc}",
            None,
            "en",
        ),
        ("Turn this into a table with columns: name, role, task, due date.\n\n{doc}", None, "en"),
        (
            "What's the total amount and due date on this invoice? Return only those two fields.\n\n{doc}",
            "low",
            "en",
        ),
        (
            "Classify the sentiment of each review as positive, negative or neutral and give the star rating:\n\n{doc}",
            "low",
            "en",
        ),
        ("@json {doc}", "low", "en"),
        ("@img Extract the merchant, date, items and total from this receipt.", "low", "en"),
        ("@img Read the table in this screenshot and give it to me as CSV.", None, "en"),
        (
            "Get me the candidate's name, last employer, years of experience and skills from this CV:\n\n{doc}",
            None,
            "en",
        ),
        ("Identify all the action items and their owners in these notes:\n\n{doc}", None, "en"),
        (
            'Fill in this JSON template from the listing: {"rooms": , "size_m2": , "rent": , "available_from": }\n\n{doc}',
            "low",
            "en",
        ),
        ("@schema {doc}", "low", "en"),
        ("Find all the medications and dosages mentioned:\n\n{doc}", "low", "en"),
        ("List all the error events with order id and user id:\n\n{doc}", "low", "en"),
        (
            "Here's a product page. I need name, price, SKU and availability as key-value pairs.\n\nAcme ProBlend 900 — SKU AB-9001 — $129.00 (was $159) — In stock, ships in 2 days. 1200W motor, 2L jar, 5-year warranty.",
            "low",
            "en",
        ),
        (
            "Tag each sentence with the entity types PERSON, ORG, LOC:\n\nTim Cook visited Berlin on Monday. Apple plans a new office near the Spree.",
            None,
            "en",
        ),
        (
            "Extrahiere alle Namen, Daten und Beträge aus diesem Text als JSON:\n\n{doc}",
            "low",
            "de",
        ),
        (
            "Extrais les informations suivantes : nom, adresse e-mail, numéro de commande.\n\n{doc}",
            "low",
            "fr",
        ),
        ("Extrae el nombre, la fecha y el importe total de esta factura:\n\n{doc}", "low", "es"),
        ("Extraia os nomes e e-mails do texto abaixo:\n\n{doc}", "low", "pt"),
        ("从下面的文本中提取所有人名、日期和金额，以JSON格式输出：\n\n{doc}", "low", "zh"),
        ("以下の文章から会社名と日付を抽出してください。\n\n{doc}", "low", "ja"),
        ("다음 텍스트에서 이름과 이메일 주소를 추출해 주세요.\n\n{doc}", "low", "ko"),
        ("Извлеки из текста все даты и суммы:\n\n{doc}", "low", "ru"),
        (
            "Convert this to JSON with keys name, age, city: 'Anna, 34, Lisbon; Marco, 41, Turin; Yuki, 29, Osaka'",
            "low",
            "en",
        ),
        (
            "@json Categorize these support tickets into billing, bug, feature_request or other:\n1. I was charged twice\n2. App crashes on login\n3. Please add dark mode\n4. How do I change my email?",
            "low",
            "en",
        ),
        ("Which companies and amounts are mentioned here? Answer as a list.\n\n{doc}", None, "en"),
        ("Go through these notes and pull out every decision with its date.\n\n{doc}", None, "en"),
        (
            "Normalize these addresses into street, city, postcode, country fields:\n- 10 Downing St, London SW1A 2AA, UK\n- 1600 Amphitheatre Pkwy, Mountain View, CA 94043\n- Unter den Linden 77, 10117 Berlin",
            None,
            "en",
        ),
    ],
    "creative_writing": [
        ("Write a haiku about the first snow of winter.", "low", "en"),
        (
            "Write a short story about a lighthouse keeper who finds a message in a bottle.",
            None,
            "en",
        ),
        ("Write a sonnet about losing your phone.", None, "en"),
        ("Give me a limerick about a cat who loves lasagna.", "low", "en"),
        (
            "Write song lyrics for a breakup song in the style of 90s pop punk, with a chorus and two verses.",
            None,
            "en",
        ),
        ("Write a bedtime story for a 5-year-old about a brave little turtle.", None, "en"),
        ("Come up with 10 slogan ideas for an eco-friendly coffee brand.", "low", "en"),
        ("Write the opening scene of a noir screenplay set on Mars.", None, "en"),
        (
            "Write a 1,500-word science fiction story told in reverse chronological order, from the perspective of an AI that is slowly losing its memories, with three interleaved timelines and an ambiguous ending.",
            "high",
            "en",
        ),
        (
            "Write a poem about the ocean where every line starts with the next letter of the alphabet.",
            "high",
            "en",
        ),
        ("Tell me a joke about programmers.", "low", "en"),
        (
            "Write a funny wedding toast for my brother Mark and his wife Julia, who met at a climbing gym.",
            None,
            "en",
        ),
        ("Write a villanelle about insomnia.", "high", "en"),
        ("Write a dialogue between Socrates and a modern influencer about happiness.", None, "en"),
        ("Write a fable with a moral about patience, featuring a fox and a crow.", None, "en"),
        ("Write a rap verse about climate change.", None, "en"),
        (
            "Continue this story: 'The last train left without her, and the station lights began to go out one by one.'",
            None,
            "en",
        ),
        ("Write a creepy two-sentence horror story.", "low", "en"),
        (
            "Create a fantasy character: a disgraced healer with a secret. Give backstory, motivation and a flaw.",
            None,
            "en",
        ),
        ("Write a short poem for my mom's 60th birthday card.", "low", "en"),
        (
            "Write a story in the style of Raymond Carver about two old friends fixing a car.",
            None,
            "en",
        ),
        ("Schreibe ein Gedicht über den Herbst im Wald.", "low", "de"),
        (
            "Schreib mir eine kurze Geschichte über einen Roboter, der Angst im Dunkeln hat.",
            None,
            "de",
        ),
        ("Écris un poème sur la mer au coucher du soleil.", "low", "fr"),
        (
            "Écris un conte pour enfants sur un dragon qui n'arrive pas à cracher du feu.",
            None,
            "fr",
        ),
        ("Escribe un poema sobre la nostalgia de la infancia.", "low", "es"),
        ("Escribe un cuento corto de ciencia ficción ambientado en Buenos Aires.", None, "es"),
        ("Escreva um poema sobre saudade.", "low", "pt"),
        ("写一首关于春天的诗。", "low", "zh"),
        ("写一个关于猫和月亮的童话故事。", None, "zh"),
        ("桜についての俳句を三つ作ってください。", "low", "ja"),
        ("우주 여행에 관한 짧은 소설을 써 주세요.", None, "ko"),
        ("Напиши стихотворение о зимнем вечере.", "low", "ru"),
        ("Напиши короткий рассказ о потерянном ключе.", None, "ru"),
        (
            "Write a product story for our handmade leather wallets — emotional, about heritage and craft, 150 words.",
            None,
            "en",
        ),
        (
            "Write an epic ballad about a programmer fighting a production outage at 3am.",
            None,
            "en",
        ),
        ("Imagine you are a tree that has lived for 500 years. Write a monologue.", None, "en"),
        (
            '@json Write a short poem about rain and return it as {"title": ..., "lines": [...]}.',
            None,
            "en",
        ),
    ],
    "general": [
        ("hi!", "low", "en"),
        ("Thanks, that was really helpful.", "low", "en"),
        ("What are some tips for sleeping better when working night shifts?", None, "en"),
        (
            "Can you recommend a few good sci-fi books for someone who liked The Martian?",
            "low",
            "en",
        ),
        ("Help me write an email to my landlord asking to fix the heating.", "low", "en"),
        ("Explain how vaccines work, in simple terms.", None, "en"),
        ("Should I learn Spanish or Mandarin for my career in logistics?", None, "en"),
        ("Plan a 3-day itinerary for Lisbon with a focus on food.", None, "en"),
        ("Give me a recipe for a vegetarian lasagna.", "low", "en"),
        (
            "Rewrite this paragraph to sound more professional: 'hey guys, the thing is late again, sorry, we'll fix it asap'",
            "low",
            "en",
        ),
        ("Proofread this: 'Their going to the park tomorow, weather permiting.'", "low", "en"),
        ("What's the difference between a Roth IRA and a traditional IRA?", None, "en"),
        ("I'm feeling unmotivated at work lately. Any advice?", None, "en"),
        ("Brainstorm names for a podcast about urban gardening.", "low", "en"),
        ("Explain the difference between weather and climate to a 10 year old.", "low", "en"),
        ("How do I get red wine out of a carpet?", "low", "en"),
        ("What do you think about remote work versus office work?", None, "en"),
        ("Write a cover letter for a junior marketing position at a sports brand.", None, "en"),
        ("Help me prepare for a job interview for a product manager role.", None, "en"),
        ("Create a weekly workout plan for a beginner with 30 minutes a day.", None, "en"),
        ("@img What do you think of this outfit for a wedding?", "low", "en"),
        ("@img Describe this picture.", "low", "en"),
        ("Hallo! Wie geht's dir?", "low", "de"),
        ("Kannst du mir Tipps geben, wie ich mich besser konzentrieren kann?", None, "de"),
        ("Bonjour, peux-tu m'aider à organiser mon week-end à Lyon ?", None, "fr"),
        ("Explique-moi comment fonctionne le système immunitaire.", None, "fr"),
        ("¿Me recomiendas algunas series parecidas a Dark?", "low", "es"),
        ("Olá! Me dá algumas ideias de presente para o dia dos pais?", "low", "pt"),
        ("你好，能给我一些学习英语的建议吗？", None, "zh"),
        ("おすすめの東京の観光スポットを教えてください。", "low", "ja"),
        ("건강하게 살을 빼는 방법을 추천해 주세요.", None, "ko"),
        ("Привет! Посоветуй, что почитать на выходных.", "low", "ru"),
        ("ok, sounds good", "low", "en"),
        ("Can you explain what a mortgage pre-approval is and whether I need one?", None, "en"),
        (
            "My friend is upset with me because I forgot her birthday. How should I apologize?",
            None,
            "en",
        ),
        ("Make this message friendlier: 'Send me the report by 5.'", "low", "en"),
        ("What should I pack for a week of hiking in Iceland in September?", None, "en"),
        ("Give me some ideas for a team-building activity for 12 people.", None, "en"),
        ("Tell me about the history of jazz.", None, "en"),
        ("I have chicken, rice, spinach and lemons. What can I cook tonight?", "low", "en"),
    ],
}

# Agent-only coding turns: the last user message is vague; the conversation decides.
AGENT_FOLLOWUPS = [
    "ok go ahead and apply that",
    "yes, do it",
    "now run the tests again",
    "that didn't work, same error",
    "continue",
    "Looks good. Now do the same for the other handlers.",
    "great, commit it",
    "hmm, can you try a different approach?",
]


def split_of(text: str) -> str:
    h = int(hashlib.sha256(text.encode()).hexdigest(), 16) % 10
    return "test" if h < 3 else "train"


def user_content(text: str) -> tuple[Any, str | None]:
    fmt = None
    image = False
    for tag in ("@img ", "@json ", "@schema "):
        if text.startswith(tag):
            text = text[len(tag) :]
            if tag == "@img ":
                image = True
            else:
                fmt = tag.strip()[1:]
    if image:
        return [
            {"type": "text", "text": text},
            {
                "type": "image_url",
                "image_url": {"url": f"https://example.com/photo-{rng.randint(1, 999)}.jpg"},
            },
        ], fmt
    return text, fmt


def agent_history(n_rounds: int) -> list[dict[str, Any]]:
    """A coding-agent loop: user task, assistant tool calls, tool results with code."""
    msgs: list[dict[str, Any]] = [
        {
            "role": "user",
            "content": rng.choice(
                [
                    "<task>\nAdd input validation to the signup form and make the tests pass.\n</task>",
                    "The /orders endpoint returns 500 when the cart is empty. Find out why and fix it.",
                    "Refactor the payment module to use the new HTTP client.",
                ]
            ),
        },
    ]
    for i in range(n_rounds):
        call_id = f"call_{i}_{rng.randint(1000, 9999)}"
        tool = rng.choice(["read_file", "grep_search", "run_terminal_cmd"])
        msgs.append(
            {
                "role": "assistant",
                "content": "Let me look at the relevant code.",
                "tool_calls": [
                    {
                        "id": call_id,
                        "type": "function",
                        "function": {
                            "name": tool,
                            "arguments": json.dumps({"path": f"src/app/module_{i}.py"}),
                        },
                    }
                ],
            }
        )
        body = "\n".join(CODE[rng.randrange(len(CODE))][1] for _ in range(rng.randint(2, 6)))
        if rng.random() < 0.3:
            body += "\n" + rng.choice(TRACES)
        msgs.append({"role": "tool", "tool_call_id": call_id, "content": body})
    msgs.append(
        {
            "role": "assistant",
            "content": "I found the problem and updated the handler; the tests pass now.",
        }
    )
    return msgs


def wrap(task: str, text: str, lang: str, wrapper: str) -> dict[str, Any]:
    content, fmt = user_content(text)
    item: dict[str, Any] = {}
    msgs: list[dict[str, Any]] = []
    if wrapper == "chat_system":
        msgs.append({"role": "system", "content": rng.choice(CHAT_SYSTEMS)})
    elif wrapper == "multi_turn":
        msgs.append({"role": "system", "content": rng.choice(CHAT_SYSTEMS)})
        k = rng.choice([2, 4, 6])
        msgs.extend({"role": r, "content": c} for r, c in SMALLTALK[:k])
    elif wrapper == "agent":
        which = rng.randrange(len(AGENT_SYSTEMS))
        msgs.append({"role": "system", "content": AGENT_SYSTEMS[which] * rng.randint(1, 4)})
        msgs.extend(agent_history(rng.randint(1, 6)))
        item["tools"] = AGENT_TOOLS[which]
        if which == 1 and isinstance(content, str):  # Claude Code style reminder block
            content = [
                {
                    "type": "text",
                    "text": "<system-reminder>\nThe user opened src/app/main.py in the IDE. Use the TodoWrite tool to track tasks.\n</system-reminder>",
                },
                {"type": "text", "text": content},
            ]
    msgs.append({"role": "user", "content": content})
    item["messages"] = msgs
    if fmt == "json":
        item["response_format"] = {"type": "json_object"}
    elif fmt == "schema":
        item["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": "extraction", "schema": {"type": "object"}},
        }
    return item


def main() -> None:
    items: list[dict[str, Any]] = []
    wrappers = ["plain"] * 5 + ["chat_system"] * 2 + ["multi_turn"] * 2 + ["agent"] * 2
    for task, prompts in P.items():
        count = 0
        reps = max(1, -(-60 // len(prompts)))  # at least ~60 items per task
        for rep in range(reps):
            for text, complexity, lang in prompts:
                if rep > 0 and "{" not in text and rng.random() < 0.5:
                    continue  # a fixed prompt repeats only sometimes, under another wrapper
                wrapper = "plain" if rep == 0 and rng.random() < 0.5 else rng.choice(wrappers)
                item = {
                    "id": f"{task}-{count:03d}",
                    "task": task,
                    **wrap(task, fill(text), lang, wrapper),
                }
                item["lang"] = lang
                item["wrapper"] = wrapper
                item["split"] = split_of(text)
                if complexity:
                    item["complexity"] = complexity
                items.append(item)
                count += 1
    for i, text in enumerate(AGENT_FOLLOWUPS * 2):
        item = {
            "id": f"code_generation-agent-{i:03d}",
            "task": "code_generation",
            **wrap("code_generation", text, "en", "agent"),
        }
        item.update(lang="en", wrapper="agent", split=split_of(text))
        items.append(item)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", encoding="utf-8") as f:
        for item in items:
            f.write(json.dumps(item, ensure_ascii=False) + "\n")
    print(f"wrote {len(items)} items to {OUT}")


if __name__ == "__main__":
    main()

"""Copy-ready setup text for each tool, filled in with this machine's address and token."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True, frozen=True)
class Integration:
    name: str
    intro: str  # rich text shown above the snippet
    snippet: str  # copied verbatim


def integrations(base: str, token: str) -> list[Integration]:
    """`base` is the server root, e.g. http://127.0.0.1:8787 (no /v1)."""
    v1 = f"{base}/v1"
    return [
        Integration(
            "Claude Code",
            "Claude Code speaks the Anthropic API. Start it with these variables (or put them in "
            "the <code>env</code> block of <code>~/.claude/settings.json</code>). The base URL has "
            "no <code>/v1</code>: Claude Code adds <code>/v1/messages</code> itself. "
            "<code>ANTHROPIC_AUTH_TOKEN</code> is sent as the bearer token; unset "
            "<code>ANTHROPIC_API_KEY</code>, which would otherwise compete with it. The three "
            "model variables map Claude Code's opus / sonnet / haiku tiers to routerdesk's "
            "strategies; without them Claude Code asks for a Claude model by name and that "
            "model is used as named (a pass-through, no routing; an id the registry does not "
            "list goes to its newest model of the same family).",
            f'export ANTHROPIC_BASE_URL="{base}"\nexport ANTHROPIC_AUTH_TOKEN="{token}"\n'
            "unset ANTHROPIC_API_KEY\n"
            'export ANTHROPIC_DEFAULT_OPUS_MODEL="auto:best"\n'
            'export ANTHROPIC_DEFAULT_SONNET_MODEL="auto"\n'
            'export ANTHROPIC_DEFAULT_HAIKU_MODEL="auto:cheapest"\nclaude',
        ),
        Integration(
            "Aider",
            "Aider talks to any OpenAI-compatible server: set the base URL (ending in "
            "<code>/v1</code>) and key, and prefix the model with <code>openai/</code> so aider "
            "uses that API; <code>auto</code> lets routerdesk choose (or "
            "<code>openai/auto:cheapest</code>, <code>openai/auto:best</code>). The flags "
            "<code>--openai-api-base</code> / <code>--openai-api-key</code> do the same.",
            f'export OPENAI_API_BASE="{v1}"\nexport OPENAI_API_KEY="{token}"\n'
            "aider --model openai/auto\n\n"
            f'# or in one line:\naider --openai-api-base "{v1}" --openai-api-key "{token}" '
            "--model openai/auto",
        ),
        Integration(
            "Continue",
            "Add a model to <code>~/.continue/config.yaml</code> (VS Code and JetBrains). "
            "<code>provider: openai</code> with <code>apiBase</code> points Continue at routerdesk.",
            "name: routerdesk\nversion: 0.0.1\nschema: v1\nmodels:\n"
            "  - name: routerdesk (auto)\n    provider: openai\n    model: auto\n"
            f"    apiBase: {v1}\n    apiKey: {token}\n    roles: [chat, edit, apply]\n"
            "  - name: routerdesk (cheapest, autocomplete)\n    provider: openai\n"
            f"    model: auto:cheapest\n    apiBase: {v1}\n    apiKey: {token}\n"
            "    roles: [autocomplete]",
        ),
        Integration(
            "Cline",
            "In Cline's settings (⚙️) choose API Provider <b>OpenAI Compatible</b> and fill in "
            "Base URL, API Key and Model ID. Cline calls from your machine, so localhost works "
            "(also inside Cursor or Windsurf).",
            f"Base URL: {v1}\nAPI Key:  {token}\nModel ID: auto",
        ),
        Integration(
            "Cursor",
            "<b>Cursor calls custom base URLs from its own servers, not from your computer, so it "
            "cannot reach localhost.</b> To use routerdesk from Cursor, expose the port through a "
            "tunnel (for example <code>cloudflared tunnel --url</code> or <code>ngrok http</code>); "
            "the access token then protects it. Or use a tool that calls locally (Continue or "
            "Cline inside Cursor). With a tunnel: Settings → Models → OpenAI API Key = the token, "
            "Override OpenAI Base URL = the tunnel URL + <code>/v1</code>, and add the model "
            "<code>auto</code>.",
            f"cloudflared tunnel --url {base}\n# or: ngrok http {base.rsplit(':', 1)[-1]}\n"
            f"OpenAI API Key:   {token}\nOpenAI Base URL:  https://<your-tunnel-host>/v1\nModel:            auto",
        ),
        Integration(
            "Windsurf",
            "<b>Windsurf's own assistant (Cascade) cannot use routerdesk:</b> its bring-your-own-key "
            "option only takes an API key for a few Anthropic models, entered in Windsurf's "
            "subscription settings, and there is no custom base URL. Use routerdesk from an "
            "extension inside Windsurf that calls locally, such as Cline (API Provider "
            "<b>OpenAI Compatible</b>) or Continue, with these values:",
            f"Base URL: {v1}\nAPI Key:  {token}\nModel:    auto",
        ),
        Integration(
            "OpenAI Python SDK",
            "Any OpenAI SDK works: the base URL is routerdesk's, the API key is the access token, "
            "the model is <code>auto</code>, <code>auto:cheapest|balanced|best</code> or a registry id.",
            "from openai import OpenAI\n\n"
            f'client = OpenAI(base_url="{v1}", api_key="{token}")\n'
            'reply = client.chat.completions.create(\n    model="auto",\n'
            '    messages=[{"role": "user", "content": "Hello!"}],\n)\n'
            "print(reply.choices[0].message.content)",
        ),
        Integration(
            "OpenAI JS SDK",
            "The same for Node.js / TypeScript:",
            'import OpenAI from "openai";\n\n'
            f'const client = new OpenAI({{ baseURL: "{v1}", apiKey: "{token}" }});\n'
            "const reply = await client.chat.completions.create({\n"
            '  model: "auto",\n  messages: [{ role: "user", content: "Hello!" }],\n});\n'
            "console.log(reply.choices[0].message.content);",
        ),
    ]


def curl_example(base: str, token: str, prompt: str = "Say hello in French") -> str:
    """One chat completion with curl: the quickest check that the server answers."""
    return (
        f"curl {base}/v1/chat/completions \\\n"
        f'  -H "Authorization: Bearer {token}" \\\n'
        '  -H "Content-Type: application/json" \\\n'
        f'  -d \'{{"model": "auto", "messages": [{{"role": "user", "content": "{prompt}"}}]}}\''
    )

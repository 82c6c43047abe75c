"""The local aiohttp server: OpenAI- and Anthropic-compatible endpoints."""

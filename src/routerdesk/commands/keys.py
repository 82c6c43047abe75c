"""`routerdesk keys`: provider API keys in the OS keyring, and the server's access token.

    routerdesk keys set openai        # prompts (hidden), or reads one line from stdin
    routerdesk keys list              # which providers have a key, and from where
    routerdesk keys delete openai
    routerdesk keys token [--regenerate]

Keys are never taken from the command line (shell history, process lists) and
never printed.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from routerdesk.core.errors import SecretStoreError
from routerdesk.core.registry import PROVIDERS


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("keys", help="manage provider API keys (OS keyring)")
    sub = p.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    s = sub.add_parser("set", help="store a provider's key (read from a prompt or stdin)")
    s.add_argument("provider", choices=PROVIDERS)
    sub.add_parser("list", help="show which providers have a key and where it comes from")
    d = sub.add_parser("delete", help="remove a provider's key from the keyring")
    d.add_argument("provider", choices=PROVIDERS)
    t = sub.add_parser("token", help="print the access token clients send as their API key")
    t.add_argument("--regenerate", action="store_true", help="replace it with a new one")


def _read_key(provider: str) -> str:
    if sys.stdin.isatty():
        return getpass.getpass(f"{provider} API key (input hidden): ")
    return sys.stdin.readline()


def run(args: argparse.Namespace) -> int:
    from routerdesk.storage.secrets import (
        ENV_VARS,
        KeyStore,
        access_token,
        regenerate_access_token,
    )

    store = KeyStore()
    try:
        if args.keys_command == "set":
            key = _read_key(args.provider).strip()
            if not key:
                print("routerdesk: no key given; nothing stored", file=sys.stderr)
                return 1
            store.set(args.provider, key)
            print(
                f"stored the {args.provider} key in the OS keyring "
                "(a running routerdesk uses it within 30 s)"
            )
            shadow = [v for v in ENV_VARS.get(args.provider, ()) if os.environ.get(v)]
            if shadow:
                print(
                    f"note: {shadow[0]} is set and takes precedence over the keyring",
                    file=sys.stderr,
                )
            return 0
        if args.keys_command == "delete":
            existed = store.delete(args.provider)
            print(
                f"deleted the {args.provider} key"
                if existed
                else f"no {args.provider} key in the keyring"
            )
            return 0
        if args.keys_command == "list":
            store.load()
            if store.keyring_error:
                print(f"warning: {store.keyring_error}", file=sys.stderr)
            width = max(len(p) for p in PROVIDERS)
            for info in store.all():
                print(f"{info.provider:<{width}}  {info.source}")
            return 0
        if args.keys_command == "token":
            token = regenerate_access_token() if args.regenerate else access_token()
            print(token.value)
            if token.source.startswith("env:"):
                print("(from the ROUTERDESK_TOKEN environment variable)", file=sys.stderr)
            return 0
    except SecretStoreError as exc:
        print(f"routerdesk: {exc.message}", file=sys.stderr)
        return 1
    return 2

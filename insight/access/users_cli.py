"""`asb users`: write the demo users, or add one user, to the users file (insight/access/auth.py).

`asb users --demo` writes the four demo users (demo passwords, see README) unless the file
exists; `asb users --add ID --role ROLE [--authority A] [--name N] [--issuer URL] [--email E]
[--subject S]` adds a user, asking for a password (twice, not echoed) unless `--no-password` (an
OpenID Connect user, matched by the issuer with the subject, or with a verified e-mail). The
file is `--file`, else $ASB_USERS, else data/users.toml.
"""

from __future__ import annotations

import dataclasses
import getpass
import sys
from pathlib import Path

from etl.rules import authorities
from insight.access import auth
from insight.access import roles as access


def _password() -> str:
    try:
        first = getpass.getpass("password: ")
        if len(first) < 12:
            raise auth.UsersFileError("a password needs at least 12 characters")
        again = getpass.getpass("again: ")
    except EOFError:  # no terminal (a script, a pipe): getpass read end-of-file
        raise auth.UsersFileError("no password was typed: run `asb users --add` in a terminal, which asks for "
                                  "it twice, or pass --no-password for an OpenID Connect user") from None
    if again != first:
        raise auth.UsersFileError("the passwords differ")
    return first


def cmd_users(args) -> int:
    path = (args.file or auth.users_path()).resolve()
    try:
        if path.is_dir():
            raise auth.UsersFileError(f"{path} is a folder: give the users file's path (a .toml file)")
        if args.demo:
            if path.exists():
                print(f"{path} exists: left as it is (delete it to write the demo users again)")
                return 0
            auth.write_accounts(path, auth.demo_accounts())
            print(f"wrote the {len(auth.DEMO_USERS)} demo users to {path} (their passwords are published: "
                  "they can sign in to a demo build only, made by `asb demo`)")
            return 0
        code = authorities.resolve(args.authority) if args.authority else None
        if args.authority and code is None:
            raise auth.UsersFileError(f"{args.authority!r} is not one of the nine authorities")
        user_id = args.add.strip()
        account = auth.Account(user_id, args.role, code, args.name or user_id, "",
                               (args.email or "").lower(), args.subject or "", args.issuer or "")
        auth.check_new_account(path, account)  # before the password is asked for
        if args.no_password and not account.issuer:   # it could never sign in
            raise auth.UsersFileError("an account without a password signs in through OpenID Connect only: give the "
                                      "provider's --issuer with --subject or --email")
        if not args.no_password:
            account = dataclasses.replace(account, password_hash=auth.hash_password(_password()))
        auth.add_account(path, account)
        print(f"added {account.user_id} ({account.viewer().label}) to {path}")
        return 0
    except (auth.UsersFileError, ValueError) as exc:
        print(f"asb users: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:   # a path under a file, a folder that cannot be written
        print(f"asb users: error: cannot write the users file {path}: {exc.strerror or exc}", file=sys.stderr)
        return 2


def add_parser(sub) -> None:
    """Register `asb users` on the `asb` command's subparsers."""
    u = sub.add_parser("users", help="write the demo users, or add a user, to the users file")
    u.add_argument("--file", type=Path, help="users file (default: $ASB_USERS, else data/users.toml)")
    what = u.add_mutually_exclusive_group(required=True)
    what.add_argument("--demo", action="store_true", help="write the four demo users if the file is missing")
    what.add_argument("--add", metavar="ID", help="add a user with this id (the sign-in name)")
    u.add_argument("--role", choices=sorted(access.ROLE_LABELS), default=access.BOARD_VIEWER)
    u.add_argument("--authority", help="a council manager's authority (code or name)")
    u.add_argument("--name", help="the name shown when signed in")
    u.add_argument("--issuer", help="OpenID Connect: the provider's issuer (the `iss` of its tokens)")
    u.add_argument("--email", help="OpenID Connect: the verified e-mail that maps to this user")
    u.add_argument("--subject", help="OpenID Connect: the subject (sub) that maps to this user")
    u.add_argument("--no-password", action="store_true", help="no local password (OpenID Connect only)")
    u.set_defaults(func=cmd_users)

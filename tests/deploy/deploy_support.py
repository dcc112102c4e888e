"""Reading the files in config/ and docs/deploy.md the way their programs do: YAML, systemd units,
nginx's configuration language, gunicorn's config loader, and emm-lti command lines."""
from __future__ import annotations

import configparser
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config"


# -- emm-lti command lines ------------------------------------------------------------------------

def parse_cli(argv: list[str]) -> click.Context:
    """Parse `emm-lti …` as the CLI would, down to the last subcommand, converting every value (an
    unknown command or option, or a bad value, raises click's error); nothing is run."""
    from lti_tool.cli import main

    assert Path(argv[0]).name == "emm-lti", argv
    ctx = main.make_context("emm-lti", list(argv[1:]))
    command: click.Command = main
    while isinstance(command, click.Group):
        args = [*getattr(ctx, "_protected_args", []), *ctx.args]  # click 8.2 keeps the subcommand apart
        name, sub, rest = command.resolve_command(ctx, args)
        assert sub is not None, f"no command {name!r} in {argv}"
        ctx = sub.make_context(name, rest, parent=ctx)
        command = sub
    return ctx


def shell_commands(markdown: str) -> list[list[str]]:
    """The command lines of the ```sh blocks of a Markdown text, continuation lines joined."""
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", markdown, re.DOTALL):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split(" #", 1)[0].strip()
            if line and not line.startswith("#"):
                commands.append(shlex.split(line))
    return commands


def emm_lti_invocations(commands: list[list[str]]) -> list[list[str]]:
    """Every `emm-lti …` run by those commands: directly, after `sudo [-u USER]`, `env A=B …`, or in a
    container (`docker compose … exec|run [--rm] SERVICE emm-lti …`). `emm-lti-admin …`
    (config/emm-lti-admin) counts as the `emm-lti …` it runs."""
    found = []
    for words in commands:
        at = 0
        while at < len(words) and (words[at] in ("sudo", "env") or "=" in words[at]
                                   or (words[at] == "-u" and at > 0 and words[at - 1] == "sudo")):
            at += 2 if words[at] == "-u" else 1
        if at < len(words) and words[at] == "docker":
            verbs = [i for i, w in enumerate(words) if w in ("exec", "run")]
            if not verbs:
                continue
            at = verbs[0] + 1
            while at < len(words) and words[at].startswith("-"):
                at += 1
            at += 1  # the service
        if at < len(words) and Path(words[at]).name in ("emm-lti", "emm-lti-admin"):
            found.append(["emm-lti", *words[at + 1:]])
    return found


# -- systemd --------------------------------------------------------------------------------------

def read_unit(path: Path) -> configparser.ConfigParser:
    unit = configparser.ConfigParser(interpolation=None, strict=True)
    unit.optionxform = str  # type: ignore[assignment,method-assign]  # systemd keys are case-sensitive
    unit.read_string(path.read_text())
    return unit


# -- nginx ----------------------------------------------------------------------------------------

@dataclass
class Directive:
    name: str
    args: list[str]
    block: list["Directive"] | None = None

    def find(self, name: str) -> list["Directive"]:
        return [d for d in self.block or [] if d.name == name]

    def one(self, name: str) -> "Directive":
        found = self.find(name)
        assert len(found) == 1, f"{name}: {len(found)} in {self.name} {' '.join(self.args)}"
        return found[0]

    def values(self, name: str) -> list[list[str]]:
        return [d.args for d in self.find(name)]


_TOKEN = re.compile(r"""\s+|#[^\n]*|"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|([{};])|([^\s{};"'#]+)""")


def parse_nginx(text: str) -> Directive:
    """nginx's configuration language: directives with arguments, ending in `;` or a `{ … }` block."""
    tokens: list[tuple[str, bool]] = []  # (text, is a bare punctuation mark)
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        assert match, f"cannot read the nginx configuration at {text[pos:pos + 40]!r}"
        pos = match.end()
        if match.group(1) is not None or match.group(2) is not None:
            tokens.append((match.group(1) if match.group(1) is not None else match.group(2), False))
        elif match.group(3):
            tokens.append((match.group(3), True))
        elif match.group(4):
            tokens.append((match.group(4), False))
    root = Directive("root", [], [])
    stack = [root]
    words: list[str] = []
    for token, punct in tokens:
        if not punct:
            words.append(token)
        elif token == ";":
            assert words, "an empty statement"
            stack[-1].block.append(Directive(words[0], words[1:]))  # type: ignore[union-attr]
            words = []
        elif token == "{":
            block = Directive(words[0], words[1:], [])
            stack[-1].block.append(block)  # type: ignore[union-attr]
            stack.append(block)
            words = []
        else:
            assert not words and len(stack) > 1, "an unbalanced }"
            stack.pop()
    assert len(stack) == 1 and not words, "an unclosed block"
    return root


def servers(conf: Directive) -> dict[str, Directive]:
    """The server blocks by port: "80" and "443"."""
    found = {}
    for server in conf.find("server"):
        ports = {args[0].rsplit(":", 1)[-1] for args in server.values("listen")}
        for port in ports:
            found[port] = server
    return found


def location(server: Directive, *args: str) -> Directive:
    matches = [d for d in server.find("location") if d.args == list(args)]
    assert len(matches) == 1, f"location {' '.join(args)}"
    return matches[0]

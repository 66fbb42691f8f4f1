#!/usr/bin/env python3
"""Fails when a module's SQL names a table, view or function that another module owns.

Every table belongs to one module (scripts/table-owners.txt); a module is a folder or file
directly under src/ (src/clients/**, src/audit.rs). The SQL in a module's Rust string literals
may name its own tables and functions, and another module's data only through what that module
exports: the views and SQL functions listed as `view <name> <owner>`. Exported views and
functions are created by migrations; they must read only their owner's tables (or other exported
names), views must be `security_invoker`, and no exported function may be `security definer`.

What is read as SQL: every Rust string literal (normal, raw, byte), with literals joined by `+`
(the query macros' `"a" + "b"`) read as one. Rust comments are skipped, and so are SQL comments,
SQL string constants and the names of common table expressions, so neither prose nor a
`with staff as (...)` can hide or fake a crossing. Run from anywhere; prints each crossing as
`file:line: module names table (owned by owner)` and exits 1 when there is any.
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
OWNERS = ROOT / "scripts" / "table-owners.txt"


class Map:
    """scripts/table-owners.txt: `name owner` (a table or private view), `view name owner`
    (exported view or function) and `function name owner` (a function only its owner calls)."""

    def __init__(self, path):
        self.relations, self.exported, self.functions = {}, {}, {}
        for n, line in enumerate(path.read_text().splitlines(), 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            parts = line.split()
            if parts[0] == "view" and len(parts) == 3:
                self.exported[parts[1]] = parts[2]
            elif parts[0] == "function" and len(parts) == 3:
                self.functions[parts[1]] = parts[2]
            elif len(parts) == 2:
                self.relations[parts[0]] = parts[1]
            else:
                sys.exit(f"{path}:{n}: expected `table module`, `view name module` or `function name module`")

    def owner_of_relation(self, name):
        """(owner, exported) for a name in FROM/JOIN/INTO/UPDATE position, or None."""
        if name in self.exported:
            return self.exported[name], True
        if name in self.relations:
            return self.relations[name], False
        return None

    def owner_of_function(self, name):
        if name in self.exported:
            return self.exported[name], True
        if name in self.functions:
            return self.functions[name], False
        return None


# --- Rust: string literals outside comments -------------------------------------------------

def rust_strings(text):
    """Yields (offset, content) of each string literal, with `"a" + "b"` chains joined."""
    i, n = 0, len(text)
    pieces = []  # (start, end, content) of literals, in order
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
        elif (m := re.compile(r'b?r(#*)"').match(text, i)) and (i == 0 or not _ident(text[i - 1])):
            close = '"' + m.group(1)
            j = text.find(close, m.end())
            j = n if j < 0 else j
            pieces.append((i, j + len(close), text[m.end():j]))
            i = j + len(close)
        elif c == '"' or (c == "b" and text.startswith('b"', i) and (i == 0 or not _ident(text[i - 1]))):
            start = i
            i = i + 1 if c == '"' else i + 2
            buf = []
            while i < n and text[i] != '"':
                if text[i] == "\\" and i + 1 < n:
                    nxt = text[i + 1]
                    buf.append({"n": "\n", "t": "\t", "r": "\r", "0": " "}.get(nxt, "" if nxt == "\n" else nxt))
                    i += 2
                    if nxt == "\n":  # a line continuation skips the next line's indentation
                        while i < n and text[i] in " \t":
                            i += 1
                else:
                    buf.append(text[i])
                    i += 1
            pieces.append((start, i + 1, "".join(buf)))
            i += 1
        elif c == "'":
            # A char literal ('x', '\n', '\u{1F600}', '"') or a lifetime ('a): skip a char
            # literal whole so that a quote inside it opens no string.
            m = re.compile(r"'(?:\\u\{[0-9a-fA-F]+\}|\\.|[^\\'])'").match(text, i)
            i = m.end() if m else i + 1
        else:
            i += 1
    # Join literals separated only by whitespace, comments and `+`.
    joined = []
    for start, end, content in pieces:
        if joined and re.fullmatch(r"(?:\s|\+|//[^\n]*|/\*.*?\*/)*", text[joined[-1][1]:start], re.S):
            s, _, prev = joined[-1]
            joined[-1] = (s, end, prev + content)
        else:
            joined.append((start, end, content))
    return [(s, content) for s, _, content in joined]


def _ident(ch):
    return ch.isalnum() or ch == "_"


# --- SQL: the names a statement reads or writes ---------------------------------------------

TOKEN = re.compile(
    r"""
      (?P<comment>--[^\n]*|/\*.*?\*/)
    | (?P<string>(?:[eE])?'(?:[^']|'')*')
    | (?P<dollar>\$(?P<tag>[A-Za-z_]*)\$.*?\$(?P=tag)\$)
    | (?P<quoted>"(?:[^"]|"")*")
    | (?P<param>\$\d+)
    | (?P<word>[A-Za-z_][A-Za-z0-9_$]*)
    | (?P<punct>::|[(),.;])
    | (?P<other>\S)
    """,
    re.S | re.X,
)
# After these a relation name follows (possibly a list of them after FROM).
RELATION_AFTER = {"from", "join", "into", "update", "table", "using", "truncate"}
SKIP_AFTER = {"only", "lateral"}
CTE = re.compile(r"(?:\bwith(?:\s+recursive)?|,)\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\([^()]*\)\s*)?as\s*(?:not\s+)?(?:materialized\s*)?\(", re.I)


def sql_tokens(sql):
    """(kind, value) tokens without comments; SQL constants become a placeholder."""
    out = []
    for m in TOKEN.finditer(sql):
        kind = m.lastgroup if m.lastgroup not in ("tag",) else "dollar"
        if kind == "comment":
            continue
        value = m.group(kind)
        if kind == "word":
            value = value.lower()
        elif kind == "quoted":
            # A quoted identifier names what its content names; `"count!"`-style aliases are
            # never in a relation position.
            value = value[1:-1].replace('""', '"')
            kind = "word"
        elif kind in ("string", "dollar"):
            kind, value = "const", ""
        out.append((kind, value))
    return out


def qualified(tokens, k):
    """The (possibly schema-qualified) name starting at tokens[k]: (name, next index)."""
    kind, name = tokens[k]
    if kind != "word":
        return None, k
    k += 1
    while k + 1 < len(tokens) and tokens[k] == ("punct", ".") and tokens[k + 1][0] == "word":
        name = f"{name}.{tokens[k + 1][1]}"
        k += 2
    return name, k


def strip_public(name):
    return name[len("public."):] if name.startswith("public.") else name


def references(sql):
    """Yields ('relation' | 'function', name) for every name the SQL reads, writes or calls."""
    ctes = {m.group(1).lower() for m in CTE.finditer(strip_sql_noise(sql))}
    tokens = sql_tokens(sql)
    k = 0
    while k < len(tokens):
        kind, value = tokens[k]
        if kind != "word":
            k += 1
            continue
        name, nxt = qualified(tokens, k)
        # A call: name followed by `(` (not a keyword such as `exists (` or `in (`: those are
        # no function names in the map, so they are harmless here).
        if nxt < len(tokens) and tokens[nxt] == ("punct", "("):
            yield "function", strip_public(name)
        previous = tokens[k - 1][1] if k > 0 else ""
        if value in RELATION_AFTER and "." not in name and previous != "distinct":
            k = nxt
            while True:
                while k < len(tokens) and tokens[k][1] in SKIP_AFTER:
                    k += 1
                if k >= len(tokens) or tokens[k][0] != "word":
                    break
                rel, k = qualified(tokens, k)
                rel = strip_public(rel)
                if k < len(tokens) and tokens[k] == ("punct", "("):
                    # A function in FROM, or INSERT INTO's column list.
                    yield ("relation" if value == "into" else "function"), rel
                    break
                if rel not in ctes:
                    yield "relation", rel
                # An alias, then `,` for the next item of a FROM list.
                if k < len(tokens) and tokens[k][0] == "word" and tokens[k][1] == "as":
                    k += 1
                if k < len(tokens) and tokens[k][0] == "word" and tokens[k][1] not in KEYWORDS:
                    k += 1
                if value == "from" and k < len(tokens) and tokens[k] == ("punct", ","):
                    k += 1
                    continue
                break
            continue
        k = nxt if nxt > k else k + 1


KEYWORDS = {
    "where", "join", "left", "right", "inner", "outer", "full", "cross", "natural", "on", "using",
    "group", "order", "limit", "offset", "having", "window", "union", "except", "intersect",
    "set", "values", "returning", "select", "for", "with", "default", "as", "lateral", "on",
    "fetch", "into", "from", "and", "or", "not", "when", "then", "else", "end", "tablesample",
}


def strip_sql_noise(sql):
    """The SQL without comments and constants (for the CTE scan)."""
    return TOKEN.sub(lambda m: " " if m.lastgroup in ("comment", "string", "dollar") else m.group(0), sql)


# --- Migrations: the exported views and functions -------------------------------------------

DEFINITION = re.compile(
    r"\bcreate\s+(?:or\s+replace\s+)?(?P<kind>view|function)\s+(?P<name>[A-Za-z_][A-Za-z0-9_.]*)",
    re.I,
)


def statements(sql):
    """The SQL split at top-level semicolons (outside constants, dollar quotes and comments)."""
    out, start, depth = [], 0, 0
    for m in TOKEN.finditer(sql):
        if m.lastgroup == "punct":
            p = m.group("punct")
            depth += p == "("
            depth -= p == ")"
            if p == ";" and depth == 0:
                out.append(sql[start:m.start()])
                start = m.end()
    out.append(sql[start:])
    return out


def function_body(stmt):
    """The body of a `create function`: the dollar-quoted text, or what follows RETURN."""
    m = re.search(r"\bas\s+\$(?P<tag>[A-Za-z_]*)\$(?P<body>.*?)\$(?P=tag)\$", stmt, re.I | re.S)
    if m:
        return m.group("body")
    m = re.search(r"\breturn\b(?P<body>.*)$", stmt, re.I | re.S)
    return m.group("body") if m else ""


def check_definitions(owners, problems):
    """Every exported name is defined by a migration, reads only what its owner may read, and
    keeps row-level security: views `security_invoker`, functions not `security definer`.
    Every view a migration creates is in the map."""
    latest = {}
    for path in sorted((ROOT / "migrations").glob("*.sql")):
        text = path.read_text()
        offset = 0
        for stmt in statements(text):
            at = text.find(stmt, offset)
            offset = at + len(stmt)
            m = DEFINITION.search(strip_sql_noise(stmt))
            if not m:
                continue
            name = strip_public(m.group("name").lower())
            line = text.count("\n", 0, at + m.start()) + 1
            latest[name] = (m.group("kind").lower(), stmt, f"{path.relative_to(ROOT)}:{line}")
    for name, (kind, stmt, where) in sorted(latest.items()):
        if kind == "view" and name not in owners.exported and name not in owners.relations:
            problems.append(f"{where}: view {name} is not in scripts/table-owners.txt")
    for name, owner in sorted(owners.exported.items()):
        if name not in latest:
            problems.append(f"{OWNERS.relative_to(ROOT)}: exported {name} is created by no migration")
            continue
        kind, stmt, where = latest[name]
        clean = strip_sql_noise(stmt)
        flat = " ".join(clean.lower().split())
        if kind == "view":
            if not re.search(r"with \( ?security_invoker ?= ?(true|on|1) ?\)", flat):
                problems.append(f"{where}: view {name} must be created with (security_invoker = true)")
            head = DEFINITION.search(clean).end()
            body = clean[head + re.search(r"\bas\b", clean[head:], re.I).end():]
        else:
            if "security definer" in flat:
                problems.append(f"{where}: exported function {name} must not be security definer")
            body = function_body(stmt)
        for ref_kind, ref in references(body):
            found = owners.owner_of_relation(ref) if ref_kind == "relation" else owners.owner_of_function(ref)
            if found and found[0] != owner and not found[1]:
                problems.append(f"{where}: {name} ({owner}) names {ref} (owned by {found[0]})")


# --- Rust sources ---------------------------------------------------------------------------

def module_of(path):
    rel = path.relative_to(ROOT / "src")
    return rel.parts[0].removesuffix(".rs")


def check_sources(owners, problems):
    for path in sorted((ROOT / "src").rglob("*.rs")):
        module = module_of(path)
        text = path.read_text()
        for offset, sql in rust_strings(text):
            line = text.count("\n", 0, offset) + 1
            for kind, name in references(sql):
                found = owners.owner_of_relation(name) if kind == "relation" else owners.owner_of_function(name)
                if not found:
                    continue
                owner, exported = found
                if owner != module and not exported:
                    what = "calls" if kind == "function" else "names"
                    problems.append(f"{path.relative_to(ROOT)}:{line}: {module} {what} {name} (owned by {owner})")


def main():
    owners = Map(OWNERS)
    problems = []
    check_sources(owners, problems)
    check_definitions(owners, problems)
    problems = sorted(set(problems))
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} crossing(s) of table ownership", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

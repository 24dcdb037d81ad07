"""`peerpath policy ...`: look at packs, rules and parameters; compare packs; run checks."""

from __future__ import annotations

import argparse
import datetime as dt
import html
import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TextIO

from .parameters import (
    Pack,
    ParameterValue,
    diff_packs,
    load_packs,
)


def _rules() -> Mapping[str, Any]:
    from .engine import EVALUATOR  # noqa: F401  (imports and registers the rules)
    from .rules.base import REGISTRY

    return REGISTRY


def show_value(value: object) -> str:
    if value is None:
        return "not stated"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Mapping):
        if "code" in value:
            return str(value["code"])
        if "id" in value:
            return f"{value['id']} {value.get('hours', '')}h".strip()
        return ", ".join(f"{k}: {show_value(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(show_value(v) for v in value) or "(none)"
    return str(value)


def _cite(entry: ParameterValue | None) -> str:
    if entry is None:
        return ""
    return f"{entry.source.title}, {entry.section} [{entry.confidence}]"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], fmt: str) -> str:
    """A Markdown, HTML or plain text table."""
    if fmt == "html":
        head = "".join(f'<th scope="col">{html.escape(h)}</th>' for h in headers)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows
        )
        return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>{body}</tbody>\n</table>"
    if fmt == "md":

        def esc(c: str) -> str:
            return c.replace("|", "\\|").replace("\n", " ")

        lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
        lines += ["| " + " | ".join(esc(c) for c in row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]
    widths = [min(w, 60) for w in widths]
    out = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    out.append("  ".join("-" * w for w in widths))
    for row in rows:
        out.append("  ".join(c[:w].ljust(w) for c, w in zip(row, widths, strict=True)))
    return "\n".join(out)


def cmd_list(args: argparse.Namespace, out: TextIO) -> int:
    packs = load_packs()
    fmt = args.format
    print("Packs", file=out)
    print(
        _table(
            ["pack", "jurisdiction", "effective", "title"],
            [
                [p.id, p.jurisdiction, f"{p.start}..{p.end or 'open'}", p.title]
                for p in sorted(packs.values(), key=lambda p: (p.jurisdiction, p.start))
            ],
            fmt,
        ),
        file=out,
    )
    print("\nRules", file=out)
    print(
        _table(
            ["rule", "category", "severity", "cited by", "title"],
            [
                [r.id, r.category, r.severity, r.cites, r.title]
                for r in sorted(_rules().values(), key=lambda r: (r.category, r.id))
            ],
            fmt,
        ),
        file=out,
    )
    chosen = [packs[args.pack]] if args.pack else list(packs.values())
    for pack in chosen:
        day = args.on or pack.start
        print(f"\nParameters of {pack.id} on {day}", file=out)
        rows = []
        for key in sorted(pack.parameters):
            entry = pack.param(key).entry(day)
            inherited = " (inherited)" if pack.is_inherited(key) else ""
            rows.append(
                [
                    key,
                    show_value(entry.value if entry else None),
                    entry.confidence if entry else "",
                    _cite(entry) + inherited,
                ]
            )
        print(_table(["parameter", "value", "confidence", "source"], rows, fmt), file=out)
    return 0


def cmd_show(args: argparse.Namespace, out: TextIO) -> int:
    packs = load_packs()
    name = args.name
    rules = _rules()
    if name in rules:
        r = rules[name]
        print(f"{r.id}: {r.title}", file=out)
        print(
            f"category {r.category}, severity {r.severity}, code effective from {r.effective_from}",
            file=out,
        )
        print(f"\n{r.explanation}\n\nFix: {r.fix}\n", file=out)
        print(f"Parameters read: {', '.join(r.params)}", file=out)
        print(f"Cited, in each pack, by {r.cites}:", file=out)
        for pack in packs.values():
            if r.cites in pack.parameters:
                for v in pack.param(r.cites).values:
                    state = "applies" if v.value not in (None, False, (), []) else "off"
                    print(
                        f"  {pack.id} from {v.start}: {show_value(v.value)} ({state}) - {_cite(v)}",
                        file=out,
                    )
        return 0
    if name in packs:
        p = packs[name]
        print(
            f"{p.id}: {p.title}\n{p.jurisdiction}, {p.start}..{p.end or 'open'} "
            f"[{p.period_confidence}] {p.period_note}",
            file=out,
        )
        if p.extends:
            print(f"extends {p.extends}", file=out)
        for s in p.sources.values():
            print(
                f"  source {s.key}: {s.title} ({s.kind}, {s.date or 'undated'}) {s.ref}", file=out
            )
        return 0
    found = False
    for pack in packs.values():
        if name in pack.parameters:
            param = pack.param(name)
            if not found:
                print(f"{name}: {param.label} ({param.unit})", file=out)
                found = True
            for v in param.values:
                origin = f" (from {v.origin})" if v.origin != pack.id else ""
                print(
                    f"  {pack.id} {v.start}..{v.end or 'open'}: {show_value(v.value)}"
                    f"{origin}\n      {_cite(v)}" + (f"\n      note: {v.note}" if v.note else ""),
                    file=out,
                )
                for alt in v.alternatives:
                    print(
                        f"      other source: {show_value(alt.value)} - {alt.source.title}, "
                        f"{alt.section} [{alt.confidence}]",
                        file=out,
                    )
    if not found:
        print(
            f"No rule, pack or parameter named {name!r}. Try `peerpath policy list`.",
            file=sys.stderr,
        )
        return 2
    return 0


def rule_states(pack: Pack, day: dt.date) -> dict[str, str]:
    """Each rule's state in a pack on a day: 'applies' or 'off (reason)'."""
    from .rules.base import Params

    states: dict[str, str] = {}
    for r in _rules().values():
        if any(k not in pack.parameters for k in r.params):
            states[r.id] = "off (not in pack)"
            continue
        entries = {k: pack.param(k).entry(day) for k in r.params}
        if any(e is None for e in entries.values()):
            states[r.id] = "off (no value)"
            continue
        params = Params({k: e.value for k, e in entries.items() if e is not None})
        states[r.id] = "applies" if r.applies(params) else "off (not stated)"
    return states


def cmd_diff(args: argparse.Namespace, out: TextIO) -> int:
    packs = load_packs()
    for name in (args.a, args.b):
        if name not in packs:
            print(f"No pack {name!r}; known: {', '.join(sorted(packs))}", file=sys.stderr)
            return 2
    a, b = packs[args.a], packs[args.b]
    day_a, day_b = args.on_a or a.start, args.on_b or b.start
    rows = []
    for d in diff_packs(a, b, day_a, day_b):
        va = show_value(d.a.value) if d.a else "(not in pack)"
        vb = show_value(d.b.value) if d.b else "(not in pack)"
        if d.only_in_a or d.only_in_b:
            va += f"  [only here: {show_value(d.only_in_a)}]" if d.only_in_a else ""
            vb += f"  [only here: {show_value(d.only_in_b)}]" if d.only_in_b else ""
        rows.append([d.key, d.label, va, vb, _cite(d.a), _cite(d.b)])
    title = f"{a.id} ({day_a}) vs {b.id} ({day_b})"
    fmt = args.format
    heading = f"<h2>{html.escape(title)}</h2>" if fmt == "html" else f"## {title}"
    print(heading, file=out)
    print(
        _table(
            ["parameter", "meaning", a.id, b.id, f"source ({a.id})", f"source ({b.id})"], rows, fmt
        ),
        file=out,
    )
    sa, sb = rule_states(a, day_a), rule_states(b, day_b)
    rule_rows = [
        [rid, _rules()[rid].title, sa[rid], sb[rid]] for rid in sorted(sa) if sa[rid] != sb[rid]
    ]
    print("\n<h3>Rules that differ</h3>" if fmt == "html" else "\n### Rules that differ", file=out)
    print(_table(["rule", "title", a.id, b.id], rule_rows, fmt), file=out)
    return 0


def cmd_check(args: argparse.Namespace, out: TextIO) -> int:
    from peerpath.cli import _django

    _django()
    from .checks import check_agency, check_person, identify

    as_of = args.as_of or dt.date.today()
    packs = [args.pack] if args.pack else None
    if args.pack and args.pack not in load_packs():
        print(f"No pack {args.pack!r}; known: {', '.join(sorted(load_packs()))}", file=sys.stderr)
        return 2
    if args.person is not None:
        # Each day of the person's record is judged by the pack in force on it; --pack
        # restricts what is evaluated (inside the engine), not only what is printed.
        found = check_person(
            args.person, as_of=as_of, period_start=args.since, pack_ids=packs, live=False
        )
    else:
        found = check_agency(as_of=as_of, period_start=args.since, pack_ids=packs)
    if args.severity:
        found = found.severity(args.severity)
    findings = identify(found).objects()
    if args.format == "jsonl":
        for f in findings:
            print(json.dumps(f.as_dict(), default=str), file=out)
        return 0
    rows = [
        [
            f.severity,
            f.rule_id,
            f.pack_id + (f" ({f.contract})" if f.contract else ""),
            f"{f.subject_type}:{f.subject_id}",
            _identifiers(f),
            str(f.date or ""),
            f.evidence,
            f.citation.short()
            + (" (legal basis assumed)" if f.assumed and not f.citation.assumed else ""),
        ]
        for f in findings
    ]
    print(
        _table(
            ["severity", "rule", "pack", "subject", "identifiers", "date", "evidence", "citation"],
            rows,
            args.format,
        ),
        file=out,
    )
    counts: dict[str, int] = {}
    for f in findings:
        counts[f.rule_id] = counts.get(f.rule_id, 0) + 1
    assumed = sum(1 for f in findings if f.assumed)
    print(
        f"\n{len(findings)} findings: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())),
        file=out,
    )
    if assumed:
        print(
            f"{assumed} rest on a figure marked assumed (no source states it): an "
            "administrator must confirm it.",
            file=out,
        )
    return 0


def _identifiers(f: Any) -> str:
    ids = f.identifiers or {}
    parts = [
        f"{label} {ids[key]}"
        for key, label in (
            ("medicaid_id", "Medicaid"),
            ("note_number", "note"),
            ("claim_number", "claim"),
            ("authorization_number", "authorization"),
        )
        if ids.get(key)
    ]
    return "; ".join(parts)


def cmd_eligibility(args: argparse.Namespace, out: TextIO) -> int:
    from peerpath.cli import _django

    _django()
    from peerpath.people.models import Person

    from .checks import determine_eligibility

    on = args.as_of or dt.date.today()
    person = Person.objects.filter(pk=args.person).values_list("medicaid_id", flat=True).first()
    if person is None:
        print(f"No person with id {args.person}.", file=sys.stderr)
        return 2
    result = determine_eligibility(args.person, on=on)
    if result is None:
        print(f"No policy pack judges person {args.person} on {on}.", file=sys.stderr)
        return 1
    if args.format == "json":
        data = {
            "person_id": result.person_id,
            "medicaid_id": person,
            "on": on.isoformat(),
            "pack": result.pack_id,
            "variant": result.variant,
            "contract": result.contract,
            "eligible": result.eligible,
            "criteria": [
                {
                    "rule": c.rule_id,
                    "title": c.title,
                    "status": c.status,
                    "evidence": c.evidence,
                    "citation": c.citation.short(),
                    "assumed": c.citation.assumed,
                }
                for c in result.criteria
            ],
        }
        print(json.dumps(data, indent=2), file=out)
        return 0 if result.eligible else 1
    contract = f", contract {result.contract}" if result.contract else ""
    decision = "ELIGIBLE" if result.eligible else "NOT ELIGIBLE"
    print(
        f"Person {result.person_id} (Medicaid ID {person}) on {on}: {decision}\n"
        f"judged by {result.pack_id}{contract}",
        file=out,
    )
    rows = [
        [
            c.status,
            c.rule_id,
            c.title,
            c.evidence or "-",
            c.citation.short(),
        ]
        for c in result.criteria
    ]
    print(_table(["status", "criterion", "title", "evidence", "citation"], rows, "text"), file=out)
    return 0 if result.eligible else 1


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date (YYYY-MM-DD)") from None


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    policy = sub.add_parser("policy", help="policy packs, rules and checks")
    psub = policy.add_subparsers(dest="policy_command", required=True, metavar="ACTION")

    def add(
        name: str, helptext: str, func: Callable[[argparse.Namespace, TextIO], int]
    ) -> argparse.ArgumentParser:
        p = psub.add_parser(name, help=helptext)
        p.set_defaults(func=lambda a: func(a, sys.stdout))
        return p

    p = add("list", "packs, rules, and parameters with their confidence", cmd_list)
    p.add_argument("--pack", help="only this pack's parameters")
    p.add_argument("--on", type=_date, help="parameter values on this date")
    p.add_argument("--format", choices=["text", "md", "html"], default="text")
    p = add("show", "one rule, parameter or pack, with every citation", cmd_show)
    p.add_argument("name")
    p = add("diff", "compare two packs side by side", cmd_diff)
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("--on-a", type=_date)
    p.add_argument("--on-b", type=_date)
    p.add_argument("--format", choices=["md", "html", "text"], default="md")
    p = add("check", "evaluate the rules over the database or one person", cmd_check)
    p.add_argument("--pack", help="evaluate only this pack (default: each day by its own pack)")
    p.add_argument("--person", type=int, help="only this person's record (id)")
    p.add_argument("--as-of", type=_date, help="judge as of this date (default today)")
    p.add_argument("--since", type=_date, help="only findings from this date")
    p.add_argument("--severity", choices=["deny", "warn", "info"])
    p.add_argument("--format", choices=["text", "jsonl", "md"], default="text")
    p = add(
        "eligibility", "would a contact on a day meet each eligibility criterion", cmd_eligibility
    )
    p.add_argument("person", type=int, help="the person's id")
    p.add_argument("--as-of", type=_date, help="the day of the contact (default today)")
    p.add_argument("--format", choices=["text", "json"], default="text")


def main(argv: Sequence[str] | None = None) -> int:  # pragma: no cover - convenience
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peerpath.settings")
    from peerpath.cli import main as cli_main

    return cli_main(["policy", *(argv or [])])

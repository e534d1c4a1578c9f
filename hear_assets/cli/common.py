"""What the subcommands share: the layout, name lists, and tables on stdout."""

import json
from collections.abc import Callable

from hear_assets.lib.store.layout import Layout, resolve_home


def layout() -> Layout:
    """The HEAR_HOME of this command (``$HEAR_HOME``, default ``./data``)."""
    return Layout(resolve_home())


def names(arg: str | None, known: dict, lookup: Callable) -> list:
    """The specs named in a comma-separated option, or every known one."""
    if not arg:
        return list(known.values())
    return [lookup(name.strip()) for name in arg.split(",") if name.strip()]


def print_rows(rows: list[dict], as_json: bool) -> None:
    """Rows as aligned columns, or as json."""
    if as_json:
        print(json.dumps(rows, indent=1))
        return
    if not rows:
        print("(none)")
        return
    cols = list(rows[0])
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in cols}
    print("  ".join(c.ljust(widths[c]) for c in cols))
    for r in rows:
        print("  ".join(str(r[c]).ljust(widths[c]) for c in cols))

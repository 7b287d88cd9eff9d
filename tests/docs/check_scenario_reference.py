"""Every field the scenario loader accepts is in docs/scenario-reference.md, and nothing else.

The loader's field lists are read from its source: each `allow_only({...})` of
src/io/scenario_loader.cpp, the scenario-side lists of src/io/model_loader.cpp (physiology
changes, the circadian swing without sources, tables along the canal) and the drug parameters of
src/io/drug_library.cpp. Each must equal the set of fields of one table of the reference (first
column, in backticks), and each table of the reference must equal one of them.

Usage: check_scenario_reference.py SOURCE_DIR
"""

from __future__ import annotations

import pathlib
import re
import sys


def literal_lists(text: str, pattern: str) -> list[frozenset[str]]:
    return [frozenset(re.findall(r'"([^"]+)"', m.group(1))) for m in re.finditer(pattern, text, re.S)]


def function_body(text: str, signature: str) -> str:
    start = text.index(signature)
    depth, i = 0, text.index("{", start)
    for j in range(i, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth == 0:
            return text[i:j + 1]
    raise ValueError(signature)


def loader_lists(root: pathlib.Path) -> dict[frozenset[str], str]:
    lists: dict[frozenset[str], str] = {}
    scenario = (root / "src/io/scenario_loader.cpp").read_text()
    for fields in literal_lists(scenario, r"allow_only\(\s*(\{[^}]*\})\s*\)"):
        lists[fields] = "scenario_loader.cpp allow_only"
    models = (root / "src/io/model_loader.cpp").read_text()
    physiology = function_body(models, "void apply_physiology_overrides(")
    lists[literal_lists(physiology, r"allow_only\(\s*(\{[^}]*\})")[0]] = "physiology changes"
    circadian = re.search(r'std::vector<std::string>\{("amplitude", "peak")\}', models)
    lists[frozenset(re.findall(r'"([^"]+)"', circadian.group(1)))] = "circadian (no sources)"
    table = function_body(models, "LinearTable read_table(")
    lists[literal_lists(table, r"allow_only\(\s*(\{[^}]*\})")[0]] = "tables along the canal"
    drugs = function_body((root / "src/io/drug_library.cpp").read_text(),
                          "const std::vector<ParameterRule>& parameter_rules()")
    lists[frozenset(re.findall(r'\{"([a-z_]+)", k', drugs))] = "drug parameters"
    return lists


def reference_tables(path: pathlib.Path) -> list[tuple[int, frozenset[str]]]:
    tables, current, start = [], [], 0
    for number, line in enumerate(path.read_text().splitlines() + [""], 1):
        if line.startswith("|"):
            if not current:
                start = number
            current.append(line)
            continue
        if current:
            fields = frozenset(m.group(1) for row in current[2:]
                               if (m := re.match(r"\|\s*`([^`]+)`\s*\|", row)))
            tables.append((start, fields))
            current = []
    return tables


def main() -> int:
    root = pathlib.Path(sys.argv[1])
    reference = root / "docs/scenario-reference.md"
    lists = loader_lists(root)
    tables = reference_tables(reference)
    documented = {fields for _, fields in tables}
    problems = []
    for fields, where in sorted(lists.items(), key=lambda item: sorted(item[0])):
        if fields not in documented:
            close = max(documented, key=lambda d: len(d & fields))
            problems.append(f"{where}: no table lists exactly {sorted(fields)}; closest "
                            f"{sorted(close)} (missing {sorted(fields - close)}, extra "
                            f"{sorted(close - fields)})")
    for line, fields in tables:
        if fields not in lists:
            problems.append(f"{reference}:{line}: table {sorted(fields)} matches no field list "
                            "of the loader")
    for problem in problems:
        print(problem)
    print(f"{len(lists)} loader field lists, {len(tables)} reference tables, "
          f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

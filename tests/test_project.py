"""The project's own files: pinned and consistent environments."""
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def pins(lines):
    out = {}
    for line in lines:
        m = re.fullmatch(r"\s*-?\s*([A-Za-z0-9_.\-]+)\s*[=]{1,2}\s*([0-9][^\s#]*)\s*(#.*)?", line)
        if m:
            out[m.group(1).lower()] = m.group(2)
    return out


def test_requirements_are_pinned_and_match_constraints():
    req = [l for l in (ROOT / "requirements.txt").read_text().splitlines()
           if l.strip() and not l.startswith("#")]
    assert all("==" in l for l in req), "every requirement is pinned with =="
    constraints = pins((ROOT / "constraints.txt").read_text().splitlines())
    for name, version in pins(req).items():
        assert constraints.get(name) == version, f"{name}: {version} vs constraints.txt"


def test_environment_yml_matches_requirements():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    flat = [d for d in env["dependencies"] if isinstance(d, str)]
    flat += next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    conda = pins(flat)
    req = pins((ROOT / "requirements.txt").read_text().splitlines())
    assert conda["python"] == "3.11"
    for name, version in conda.items():
        if name in req:
            assert req[name] == version, f"{name}: environment.yml {version}, requirements {req[name]}"
    missing = set(req) - set(conda)
    assert not missing, f"in requirements.txt but not environment.yml: {missing}"

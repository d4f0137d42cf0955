#!/usr/bin/env python3
"""Writes tests/data/k8s-job-batch-v1.schema.json: the Kubernetes batch/v1 Job
schema (v1.30, strict: unknown fields are errors) as one self-contained file.

Input: the `kubernetes-json-schema/v1.30.0-local-strict/` folder that the PyPI
package kubernetes-validate ships (pip download kubernetes-validate==1.30.0
--no-deps, then unzip). Every definition the Job reaches is copied into
`$defs` with its `$ref` made local; descriptions are dropped (they do not
validate anything). Usage: vendor-k8s-job-schema.py SCHEMA_DIR OUT
"""
import json
import sys

src, out = sys.argv[1], sys.argv[2]
root = json.load(open(f"{src}/job-batch-v1.json"))
defs = json.load(open(f"{src}/_definitions.json"))["$defs"]


def refs(o):
    if isinstance(o, dict):
        for k, v in o.items():
            if k == "$ref":
                yield v
            else:
                yield from refs(v)
    elif isinstance(o, list):
        for v in o:
            yield from refs(v)


need, stack = set(), list(refs(root))
while stack:
    name = stack.pop().split("/")[-1]
    if name not in need:
        need.add(name)
        stack.extend(refs(defs[name]))


def local(o):
    if isinstance(o, dict):
        return {
            k: ("#/$defs/" + v.split("/")[-1]) if k == "$ref" else local(v)
            for k, v in o.items()
            if k != "description"
        }
    if isinstance(o, list):
        return [local(v) for v in o]
    return o


schema = local(root)
schema["$defs"] = {n: local(defs[n]) for n in sorted(need)}
with open(out, "w") as f:
    f.write(json.dumps(schema, indent=1, sort_keys=True) + "\n")

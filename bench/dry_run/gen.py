#!/usr/bin/env python3
"""Generates a large Kurtosis-style package for the dry-run benchmark.

Usage: gen.py OUT_DIR [--modules 100] [--services-per-module 5] [--filler 180]

Layout: main.star imports every `src/mod_NNN.star`; each module imports `src/common.star`
and one of `src/lib/util_K.star`, reads a template with `read_file`, renders it with
`plan.render_templates` and adds its services with `plan.add_service`. Filler helpers
(dict/list literals, comprehensions, string formatting) bring the package to ~25k lines.
"""

import argparse
import os


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def filler(prefix, count):
    out = []
    for i in range(count):
        out.append(f"def {prefix}_helper_{i}(x, y = {i}):")
        out.append(f'    """Helper {i}: builds a small config."""')
        out.append(f'    items = [x + j for j in range(3) if j != {i % 3}]')
        out.append(f'    cfg = {{"name": "{prefix}-{i}", "items": items, "y": y}}')
        out.append(f'    label = "{{}}-{{}}".format(cfg["name"], len(items))')
        out.append("    return cfg | {\"label\": label}")
        out.append("")
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--modules", type=int, default=100)
    parser.add_argument("--services-per-module", type=int, default=5)
    parser.add_argument("--filler", type=int, default=19, help="helper functions per module")
    args = parser.parse_args()
    out = args.out
    write(os.path.join(out, "kurtosis.yml"), "name: github.com/hortus-bench/big\ndescription: generated dry-run benchmark package\n")
    write(os.path.join(out, "static", "config.tmpl"),
          "# generated\nname = {{ .Name }}\nport = {{ .Port }}\n{{ range .Peers }}peer = {{ . }}\n{{ end }}")
    write(os.path.join(out, "src", "common.star"),
          'IMAGE = "hortus-test/busybox:latest"\nBASE_PORT = 8000\n\n'
          'def port_spec(number):\n    return PortSpec(number = number, application_protocol = "http")\n\n'
          + filler("common", 20))
    utils = 10
    for k in range(utils):
        write(os.path.join(out, "src", "lib", f"util_{k}.star"),
              f'common = import_module("../common.star")\n\nTAG = "util-{k}"\n\n'
              f'def env_for(name):\n    return {{"SERVICE": name, "UTIL": TAG, "IMAGE": common.IMAGE}}\n\n'
              + filler(f"util{k}", 20))
    main_lines = []
    for m in range(args.modules):
        name = f"mod_{m:03d}"
        main_lines.append(f'{name} = import_module("./src/{name}.star")')
        services = []
        for s in range(args.services_per_module):
            svc = f"svc-{m:03d}-{s}"
            services.append(f'''    cfg_{s} = plan.render_templates(
        config = {{
            "app.conf": struct(
                template = TEMPLATE,
                data = {{"Name": "{svc}", "Port": common.BASE_PORT + {s}, "Peers": peers}},
            ),
        }},
        name = "{svc}-config",
    )
    services.append(plan.add_service(
        name = "{svc}",
        config = ServiceConfig(
            image = common.IMAGE,
            ports = {{"http": common.port_spec(common.BASE_PORT + {s})}},
            env_vars = util.env_for("{svc}"),
            files = {{"/etc/app": cfg_{s}}},
            cmd = ["httpd", "-f", "-p", str(common.BASE_PORT + {s})],
        ),
    ))''')
        body = "\n".join(services)
        write(os.path.join(out, "src", f"{name}.star"),
              f'common = import_module("./common.star")\n'
              f'util = import_module("./lib/util_{m % utils}.star")\n\n'
              f'TEMPLATE = read_file("/static/config.tmpl")\n\n'
              f'def deploy(plan, peers):\n    services = []\n{body}\n    return services\n\n'
              + filler(f"m{m}", args.filler))
    main_lines.append("")
    main_lines.append("def run(plan, peers = [\"a\", \"b\"]):")
    main_lines.append("    count = 0")
    for m in range(args.modules):
        main_lines.append(f"    count += len(mod_{m:03d}.deploy(plan, peers))")
    main_lines.append('    return {"services": count}')
    write(os.path.join(out, "main.star"), "\n".join(main_lines) + "\n")
    total = 0
    for root, _, files in os.walk(out):
        for f in files:
            if f.endswith(".star"):
                with open(os.path.join(root, f)) as fh:
                    total += sum(1 for _ in fh)
    print(f"generated {out}: {args.modules} modules, {args.modules * args.services_per_module} services, {total} lines of Starlark")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Builds the npm package into pkg/ as wasm-pack.toml says: wasm-pack per target, npm's wasm-opt,
entry modules (browser, auto-init, Node), package.json from pkg.json, and the gzip size gate."""

import glob
import gzip
import json
import os
import re
import shutil
import string
import subprocess
import sys
import tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# COZE_WASM_NAMED=1 keeps the wasm's name section and its long import/export names (scripts/size.sh,
# twiggy); no size gate then.
NAMED = os.environ.get("COZE_WASM_NAMED") == "1"


def run(*cmd, env=None):
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, cwd=ROOT, check=True, env=env)


def minify_js(target_dir, name):
    """Minifies the wasm-bindgen glue and our snippet in place (esbuild, ~40% fewer gzip bytes):
    what a page without a bundler downloads. Export names stay. Not --keep-names (+1.3 kB gz: it
    wraps every internal function): the glue's exported classes and functions get their public
    names back in one statement (`CozeAPI.name` is API), and the snippet's one public class,
    CozeError, names itself."""
    glue = os.path.join(target_dir, f"{name}.js")
    files = [glue] + glob.glob(os.path.join(target_dir, "snippets", "**", "*.js"), recursive=True)
    for path in files:
        run("esbuild", path, "--minify", "--format=esm", "--log-level=error",
            "--allow-overwrite", f"--outfile={path}")
    restore_export_names(glue)


# Where the minified glue's public names start (restore_export_names, then `export{…}`): from here
# on, a name like `generateState` is API, not a wasm export.
PUBLIC_NAMES_START = "for(const[f,n]of["


def restore_export_names(path):
    """`export{V as CozeAPI,…}` of minified code → `V.name` is "CozeAPI" again, for every class and
    function it exports (`default`, the init function, excepted; the re-exported values — base URLs,
    the frozen ChatEventType … — have no name to restore)."""
    with open(path) as f:
        text = f.read()
    match = re.search(r"export\{([^}]*)\};?\s*$", text)
    if not match:
        sys.exit(f"build: no final export statement in the minified {path}")
    pairs = [item.split(" as ") for item in match.group(1).split(",")]
    renamed = [f'[{local},"{public}"]' for local, public in (p for p in pairs if len(p) == 2)
               if public != "default"]
    restore = f'{PUBLIC_NAMES_START}{",".join(renamed)}])typeof f=="function"&&Object.defineProperty(f,"name",{{value:n}});'
    with open(path, "w") as f:
        f.write(text[:match.start()] + restore + text[match.start():])


def release_toolchain(release):
    """The environment and extra cargo arguments for the size-tuned release build: nightly with
    build-std where nightly (with rust-src and the wasm32 target) is installed, else stable."""
    toolchain = release.get("toolchain")
    if not toolchain or os.environ.get("COZE_WASM_STABLE") == "1":  # the fallback, measured on purpose
        return None, []
    probe = subprocess.run(["rustup", "component", "list", "--toolchain", toolchain, "--installed"],
                           capture_output=True, text=True)
    installed = probe.stdout.split() if probe.returncode == 0 else []
    if not any(c.startswith("rust-src") for c in installed) or \
            "rust-std-wasm32-unknown-unknown" not in installed:
        print(f"build: WARNING: {toolchain} with rust-src and wasm32-unknown-unknown is not installed; "
              "building with the default toolchain (a larger .wasm)", flush=True)
        return None, []
    env = dict(os.environ, RUSTUP_TOOLCHAIN=toolchain)
    flags = ", ".join(json.dumps(f) for f in release.get("rustflags", []))
    args = list(release.get("cargo_args", []))
    if flags:
        args += ["--config", f"target.wasm32-unknown-unknown.rustflags=[{flags}]"]
    return env, args


def gz(path):
    with open(path, "rb") as f:
        return len(gzip.compress(f.read(), 9))


def check_wasm_opt(min_version):
    try:
        out = subprocess.run(["wasm-opt", "--version"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        sys.exit("build: wasm-opt not found; run scripts/setup.sh (it installs npm's binaryen)")
    version = int(re.search(r"version (\d+)", out).group(1))
    if version < min_version:
        sys.exit(f"build: wasm-opt {version} on PATH corrupts wasm-bindgen output; need >= {min_version} "
                 "(put node_modules/.bin first on PATH)")


def main():
    with open(os.path.join(ROOT, "wasm-pack.toml"), "rb") as f:
        cfg = tomllib.load(f)
    pkg = cfg["package"]
    # COZE_WASM_PKG_DIR builds elsewhere (parallel checks, benchmarks) without touching pkg/.
    out_dir = os.path.abspath(os.environ.get("COZE_WASM_PKG_DIR") or os.path.join(ROOT, pkg["out_dir"]))
    name = pkg["out_name"]
    check_wasm_opt(cfg["wasm_opt"]["min_version"])

    env, cargo_args = release_toolchain(cfg.get("release", {}))
    # CI publishes what it measures: never the stable fallback, whose budget is looser.
    if env is None and not NAMED and os.environ.get("CI", "").lower() in ("true", "1"):
        sys.exit("build: CI=true needs the size-tuned release build (nightly with rust-src and "
                 "wasm32-unknown-unknown; scripts/setup.sh installs it), not the stable fallback")
    shutil.rmtree(out_dir, ignore_errors=True)
    # The page build (web/, what the size gate counts) leaves the server-only JWT and web flows out;
    # the server build (server/) has them and shares the page build's JS, so it must bind identically.
    build_wasm(cfg, os.path.join(out_dir, "web"), name, env, cargo_args + ["--no-default-features"])
    if not NAMED:
        build_server_wasm(cfg, out_dir, name, env, cargo_args)
        shorten_wasm_names(out_dir, name)

    web = f"./web/{name}.js"
    snippets = glob.glob(os.path.join(out_dir, "web", "snippets", "*", "src", "js", "support.js"))
    if len(snippets) != 1:
        sys.exit(f"build: expected one support.js snippet, found {snippets}")
    support = "./" + os.path.relpath(snippets[0], out_dir)
    # The public names only: the wasm's internal class (Core) stays inside.
    extras = "CozeError, ChatEventType, ChatStatus, RoleType, COZE_CN_BASE_URL, COZE_COM_BASE_URL"
    public = ("default, initSync, generateCodeVerifier, calculatePKCECodeChallenge, generateState, "
              "parseAuthorizationCallback, getPKCEAuthenticationUrl, getPKCEOAuthToken, refreshOAuthToken, "
              "startLogin, completeLogin, CozeAPI, TokenManager, SseParser, webChatAuth, "
              "getDeviceCode, getDeviceToken, getWebAuthenticationUrl, getWebOAuthToken, "
              "getJWTToken, JWTTokenManager")

    modules = f"""export {{ {public} }} from '{web}';
export {{ {extras} }} from '{support}';
"""
    write_page_entry(out_dir, name, modules)
    write(out_dir, "auto.js", """// Auto-initialising entry (top-level await): import and use, no init() call.
import init from './index.js';
await init();
export * from './index.js';
export { default } from './index.js';
""")
    # The JWT flow's driver is not in the (shared) snippet: only these two entries load it and hand
    # it to the snippet they import by its path, the module instance the glue uses. They re-export
    # the web/ modules themselves (index.js is the pages' bundle: another instance of the driver).
    flows = os.path.join(out_dir, "server", "flows.js")
    run("esbuild", os.path.join(ROOT, "src", "js", "server.js"), "--minify", "--format=esm", "--log-level=error",
        f"--outfile={flows}")
    register = f"""import {{ serverFlows }} from '{support}';
import {{ jwtFlow }} from './server/flows.js';
serverFlows(jwtFlow);"""
    write(out_dir, "server.js", f"""// Server runtimes without Node's fs (Deno Deploy, Workers-style): the build with the JWT flow.
// `await init()` (or `init({{ module_or_path }})` with the .wasm as your runtime loads it), then use the API.
import init from '{web}';
{register}
{modules.replace("export { default, ", "export { ")}export default (input) => init(input ?? {{ module_or_path: new URL('./server/{name}_bg.wasm', import.meta.url) }});
""")
    write(out_dir, "node.js", f"""// Node >= 20 and Deno: the server build (with the JWT flow), instantiated synchronously from
// disk; no init() call needed.
import {{ readFileSync }} from 'node:fs';
import {{ initSync }} from '{web}';
{register}
initSync({{ module: readFileSync(new URL('./server/{name}_bg.wasm', import.meta.url)) }});
{modules}""")
    write_types(out_dir, name)
    element_sizes = build_element(out_dir)
    # The subpath's own declarations, beside auto.js: TypeScript's node10 resolution ignores exports.
    write(out_dir, "auto.d.ts", "export * from './index.js';\nexport { default } from './index.js';\n")
    write(out_dir, "server.d.ts", "export * from './index.js';\nexport { default } from './index.js';\n")

    with open(os.path.join(ROOT, "pkg.json")) as f:
        manifest = json.load(f)
    manifest["version"] = cargo_version()
    write(out_dir, "package.json", json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    readme = os.path.join(ROOT, "README.md")
    if os.path.exists(readme):
        shutil.copy(readme, os.path.join(out_dir, "README.md"))

    web_dir = os.path.join(out_dir, "web")
    parts = {
        "wasm": gz(os.path.join(web_dir, f"{name}_bg.wasm")),
        "glue": gz(os.path.join(web_dir, f"{name}.js")),
        "snippet": gz(snippets[0]),
    }
    total = sum(parts.values())
    budget = cfg["size"]["budget_bytes" if env else "budget_bytes_without_build_std"]
    detail = ", ".join(f"{k} {v / 1000:.1f} kB" for k, v in parts.items())
    print(f"size: {total / 1000:.1f} kB gzip -9 ({detail}); budget {budget / 1000:.1f} kB; pages load the "
          f"glue and snippet bundled as index.js: {gz(os.path.join(out_dir, 'index.js')) / 1000:.1f} kB")
    server_wasm = os.path.join(out_dir, "server", f"{name}_bg.wasm")
    if os.path.exists(server_wasm):
        print(f"size: server build (Node, Deno, coze-wasm/server; + the JWT and web flows): wasm {gz(server_wasm) / 1000:.1f} kB "
              f"gzip -9, same JS + server/flows.js {gz(os.path.join(out_dir, 'server', 'flows.js')) / 1000:.1f} kB")
    print("size: <coze-chat> element (not in the core): " +
          ", ".join(f"{k} {v / 1000:.2f} kB" for k, v in element_sizes.items()) + " gzip -9")
    if total > budget and not NAMED:
        sys.exit(f"build: over the size budget by {total - budget} bytes")


def write_page_entry(out_dir, name, modules):
    """index.js, the entry of browsers and bundlers: the glue and the driver bundled into one module,
    so a page waits for one module and then the .wasm, not for index.js, then the glue and the
    driver, then the .wasm (one round trip less; BENCHMARKS.md, start-up). The glue's default .wasm
    URL is relative to the module it is in: from here, web/."""
    entry = os.path.join(out_dir, ".index-entry.js")
    write(out_dir, ".index-entry.js", modules)
    index = os.path.join(out_dir, "index.js")
    run("esbuild", entry, "--bundle", "--minify", "--format=esm", "--log-level=error",
        "--banner:js=// Browsers and bundlers: `await init()` once, then use the API. (coze-wasm's glue and driver, bundled)",
        f"--outfile={index}")
    os.remove(entry)
    with open(index) as f:
        text = f.read()
    default_url = f'new URL("{name}_bg.wasm",import.meta.url)'
    if text.count(default_url) != 1:
        sys.exit(f"build: expected the glue's default .wasm URL once in {index}: {default_url}")
    with open(index, "w") as f:
        f.write(text.replace(default_url, f'new URL("./web/{name}_bg.wasm",import.meta.url)'))


def build_wasm(cfg, target_dir, name, env, cargo_args):
    # --no-typescript: the package's types are the curated src/js/index.d.ts (write_types).
    run("wasm-pack", "--quiet", "build", "--release", "--no-pack", "--no-typescript", "--target", "web",
        "--out-dir", target_dir, "--out-name", name, ".", "--", *cargo_args, env=env)
    wasm = os.path.join(target_dir, f"{name}_bg.wasm")
    flags = cfg["wasm_opt"]["flags"]
    if NAMED:
        flags = [f for f in flags if f != "--strip-debug"] + ["-g"]
    run("wasm-opt", *flags, wasm, "-o", wasm)
    minify_js(target_dir, name)
    for junk in (".gitignore", "package.json", "README.md"):
        path = os.path.join(target_dir, junk)
        if os.path.exists(path):
            os.remove(path)


def build_server_wasm(cfg, out_dir, name, env, cargo_args):
    """server/<name>_bg.wasm: the build with the `server` feature (the JWT flow), for Node, Deno and
    `coze-wasm/server`. It is loaded through web/'s JS, so that JS must come out byte for byte the
    same from both builds (the feature only changes what `Core.run` answers, not any binding)."""
    scratch = os.path.join(out_dir, ".server")
    build_wasm(cfg, scratch, name, env, cargo_args)
    web = os.path.join(out_dir, "web")
    for rel in [f"{name}.js"] + [os.path.relpath(p, scratch) for p in
                                 glob.glob(os.path.join(scratch, "snippets", "**", "*.js"), recursive=True)]:
        with open(os.path.join(scratch, rel), "rb") as a, open(os.path.join(web, rel), "rb") as b:
            if a.read() != b.read():
                sys.exit(f"build: the server build's {rel} differs from the page build's; they must bind the same")
    os.makedirs(os.path.join(out_dir, "server"), exist_ok=True)
    os.replace(os.path.join(scratch, f"{name}_bg.wasm"), os.path.join(out_dir, "server", f"{name}_bg.wasm"))
    shutil.rmtree(scratch)


# Wasm exports read by name outside the glue: init()/initSync() return the instance's exports and
# index.d.ts promises `memory` (bench/page reads it).
KEEP_EXPORTS = {"memory"}


def shorten_wasm_names(out_dir, name):
    """Issue 11: the wasm's import module/field names ("./coze_wasm_bg.js",
    "__wbg___wbindgen_is_undefined_be5b…") and export names ("tokenmanager_getAccessToken", …)
    become a, b, … in web/ and server/ .wasm and in the one glue both load. One mapping, from the
    sorted names, so the two builds and the glue agree; any mismatch fails the build. Not for
    COZE_WASM_NAMED builds (twiggy reads the names)."""
    wasm_paths = [os.path.join(out_dir, build, f"{name}_bg.wasm") for build in ("web", "server")]
    builds = []
    for path in wasm_paths:
        with open(path, "rb") as f:
            data = f.read()
        found = {"module": set(), "import": set(), "export": set()}

        def collect(kind, text, module=None):
            found[kind].add(text if module is None else (module, text))
            return text
        rewrite_wasm_names(data, collect)
        builds.append((path, data, found))
    (_, _, web), (_, _, server) = builds
    if web != server:
        diff = {k: sorted(map(str, web[k] ^ server[k])) for k in web if web[k] != server[k]}
        sys.exit(f"build: the page and server .wasm import/export different names, one glue cannot load both: {diff}")
    glue = os.path.join(out_dir, "web", f"{name}.js")
    with open(glue) as f:
        text = f.read()
    # A module the glue builds as an object literal gets short field names too; one it passes as a
    # namespace (`"./snippets/…/support.js":oe`) keeps them: they are that JS module's export names.
    literal = {m for m in web["module"] if re.search(rf'(?<=[{{,])"{re.escape(m)}":\{{', text)}
    renames = {
        "module": dict(zip(sorted(web["module"]), short_names())),
        "import": dict(zip(sorted(i for i in web["import"] if i[0] in literal), short_names())),
        "export": dict(zip(sorted(web["export"] - KEEP_EXPORTS), short_names())),
    }
    renames["import"].update({i: i[1] for i in web["import"] if i[0] not in literal})
    renames["export"].update({e: e for e in web["export"] & KEEP_EXPORTS})
    text, reads = rename_in_glue(glue, text, renames)
    for path, data, _ in builds:
        data = rewrite_wasm_names(data, lambda kind, name, module=None:
                                  renames[kind][name if module is None else (module, name)])
        exports = set()
        rewrite_wasm_names(data, lambda kind, name, module=None: exports.add(name) or name
                           if kind == "export" else name)
        if reads - exports:
            sys.exit(f"build: {glue} reads exports {path} does not have: {sorted(reads - exports)}")
        with open(path, "wb") as f:
            f.write(data)
    with open(glue, "w") as f:
        f.write(text)


def short_names():
    """a…z, A…Z, then two characters: identifiers, so the glue needs no quotes."""
    yield from string.ascii_letters
    for first in string.ascii_letters:
        for second in string.ascii_letters + string.digits:
            if first + second not in ("do", "if", "in"):
                yield first + second


def rewrite_wasm_names(data, rename):
    """`data` with each import's module, each import's field and each export's name replaced by
    rename("module", module), rename("import", field, module), rename("export", name); section
    sizes redone."""
    if data[:8] != b"\0asm\1\0\0\0":
        sys.exit("build: not a wasm module (version 1)")
    out, i = bytearray(data[:8]), 8
    while i < len(data):
        size, start = read_leb(data, i + 1)
        body = data[start:start + size]
        if data[i] in (2, 7):  # the import and export sections
            body = rewrite_names_section(data[i], body, rename)
        out += bytes([data[i]]) + write_leb(len(body)) + body
        i = start + size
    return bytes(out)


def rewrite_names_section(section, body, rename):
    count, i = read_leb(body, 0)
    out = bytearray(write_leb(count))

    def name():
        nonlocal i
        length, i = read_leb(body, i)
        i += length
        return body[i - length:i].decode()

    def put(text):
        out.extend(write_leb(len(text.encode())) + text.encode())
    for _ in range(count):
        if section == 2:
            module, field = name(), name()
            put(rename("module", module))
            put(rename("import", field, module))
            if body[i] != 0:  # wasm-bindgen imports only functions (its memory and table are exports)
                sys.exit(f"build: wasm import {module}.{field} is not a function; the renamer cannot skip it")
        else:
            put(rename("export", name()))
        _, end = read_leb(body, i + 1)  # kind, then a function/table/memory/global/type index
        out += body[i:end]
        i = end
    if i != len(body):
        sys.exit(f"build: wasm section {section} has {len(body) - i} unread bytes")
    return bytes(out)


def read_leb(data, i):
    value = shift = 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def write_leb(value):
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def rename_in_glue(path, text, renames):
    """The minified glue with its references to wasm names renamed: the import object's module and
    field keys (`"./coze_wasm_bg.js":{…,__wbg_…:function(…`) and its exports variable's properties
    (`r.cozeapi_new`), and the exports it reads. Public names (from PUBLIC_NAMES_START on) stay."""
    cut = text.rfind(PUBLIC_NAMES_START)
    if cut < 0:
        sys.exit(f"build: no public-names statement in {path}")
    code, public = text[:cut], text[cut:]
    keys = [(old, new) for old, new in renames["module"].items()] + \
           [(field, new) for (_, field), new in renames["import"].items() if field != new]

    def key(old):  # `"./coze_wasm_bg.js":` or `__wbg_…:` in an object literal
        return rf'(?<=[{{,])(?:"{re.escape(old)}"|{re.escape(old)})(?=:)'
    for old, new in keys:
        code, n = re.subn(key(old), new, code)
        if n != 1:
            sys.exit(f"build: import key {old!r} found {n} times in {path}, expected once")
    holders = set(re.findall(r"(?<![\w$.])([\w$]+)=[\w$]+\.exports(?![\w$])", code))
    if len(holders) != 1:
        sys.exit(f"build: cannot tell {path}'s wasm exports variable (`x=instance.exports`): {holders}")
    holder = holders.pop()
    access = rf"(?<![\w$.]){re.escape(holder)}\.([\w$]+)(?![\w$])"
    code = re.sub(access, lambda m: f"{holder}.{renames['export'].get(m.group(1), m.group(1))}", code)
    # The old names are gone (what the glue reads is checked against each .wasm by the caller).
    # (A module's path stays in the glue's `import … from`: only its key must be gone.)
    olds = [old for old, new in renames["export"].items() if old != new] + \
        [field for (_, field), new in renames["import"].items() if field != new]
    left = [old for old in olds if re.search(rf"(?<![\w$]){re.escape(old)}(?![\w$])", code)] + \
        [old for old in renames["module"] if re.search(key(old), code)]
    if left:
        sys.exit(f"build: wasm names left in {path} after renaming: {left}")
    return code + public, set(re.findall(access, code))


def build_element(out_dir):
    """The <coze-chat> element, outside the core: element.js (the element with its Markdown
    renderer; it imports ./index.js, so a bundler shares one wasm with API users) and coze-chat.js,
    the same with the core's JS bundled in: one self-contained module for a <script type="module">
    tag. markdown.js and attachments.js alone are also for the demo page. Returns gzip -9 sizes."""
    src = os.path.join(ROOT, "src", "element")
    element, bundle = os.path.join(out_dir, "element.js"), os.path.join(out_dir, "coze-chat.js")
    esbuild = ["esbuild", "--bundle", "--minify", "--format=esm", "--log-level=error"]
    # attachments.js: loaded by the element once signed in (import() in element.js; bundled inline,
    # no extra request, in coze-chat.js); also the demo's.
    run(*esbuild, os.path.join(src, "coze-chat.js"), "--external:./index.js", "--external:./attachments.js",
        f"--outfile={element}")
    for module in ("markdown.js", "attachments.js"):
        run("esbuild", os.path.join(src, module), "--minify", "--format=esm", "--log-level=error",
            f"--outfile={os.path.join(out_dir, module)}")
    run(*esbuild, element, f"--outfile={bundle}")
    write(out_dir, "element.d.ts", ELEMENT_TYPES)
    return {"element.js": gz(element), "attachments.js (loaded on sign-in)": gz(os.path.join(out_dir, "attachments.js")),
            "coze-chat.js (with the core's JS; + the .wasm)": gz(bundle)}


ELEMENT_TYPES = """// <coze-chat>: attributes client-id, bot-id, base-url (required), redirect-url, storage, lang,
// title, placeholder, launcher, open, bot-icon, www-url, allow-insecure-http; events coze-login,
// coze-logout, coze-message, coze-error (see README).
export declare class CozeChat extends HTMLElement {}
export interface CozeChatEventMap {
  'coze-login': CustomEvent<{ restored: boolean }>;
  'coze-logout': CustomEvent<{ reason: 'user' | 'expired' }>;
  'coze-message': CustomEvent<{ content: string; chatId: string | null; conversationId: string | null }>;
  'coze-error': CustomEvent<{ error: Error; code?: string; message?: string; logid?: string }>;
}
declare global {
  interface HTMLElementTagNameMap { 'coze-chat': CozeChat }
  interface HTMLElementEventMap extends CozeChatEventMap {}
}
"""


def write_types(out_dir, name):
    """index.d.ts: the curated declarations (src/js/index.d.ts), self-contained. They serve every
    entry (index.js, auto.js, node.js export the same names); wasm-bindgen's `any`-typed d.ts is
    not generated (--no-typescript), so nothing may point into web/ for types."""
    with open(os.path.join(ROOT, "src", "js", "index.d.ts")) as f:
        text = f.read()
    if re.search(r"from\s+['\"]\./web/", text):
        sys.exit("build: src/js/index.d.ts must not import from ./web/ (no d.ts is generated there)")
    leftovers = glob.glob(os.path.join(out_dir, "web", "**", "*.d.ts"), recursive=True)
    if leftovers:
        sys.exit(f"build: unexpected generated declarations {leftovers}")
    write(out_dir, "index.d.ts", text)


def cargo_version():
    with open(os.path.join(ROOT, "Cargo.toml"), "rb") as f:
        return tomllib.load(f)["package"]["version"]


def write(out_dir, rel, text):
    with open(os.path.join(out_dir, rel), "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()

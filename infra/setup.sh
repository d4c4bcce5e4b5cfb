#!/usr/bin/env bash
# Brings a fresh clone to a runnable state: system packages (nats-server, metis), npm
# dependencies, compiled dist/. Run by `npm start` and `npm test` (prestart/pretest) and by CI.
#
# Idempotent and silent when there is nothing to do: the common case (everything present) costs
# a few stat calls and one `find`, so it stays well under a second. It prints `setup: ...` lines
# only when it actually changes something.
#
# LEDGER_SKIP_SETUP=1 skips everything (tight development loops).
set -euo pipefail

if [[ "${LEDGER_SKIP_SETUP:-}" == "1" ]]; then
  exit 0
fi

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: %s\n' "$*" >&2; exit 1; }

# Two setups at once (two terminals, `npm test` while `npm start` runs) would otherwise run two
# `npm ci` into the same node_modules. The lock is taken on this script's own file so nothing
# is created in the work tree; flock is part of util-linux, present on every Debian.
if command -v flock >/dev/null 2>&1; then
  exec 9<"${BASH_SOURCE[0]}"
  flock 9
fi

# --- Node itself -----------------------------------------------------------------------------
node_version="$(node --version 2>/dev/null || true)"
[[ -n "$node_version" ]] || die "node is not installed: install Node.js 20, 21 or 22 (https://nodejs.org/en/download), then retry"
node_major="${node_version#v}"
node_major="${node_major%%.*}"
if (( node_major < 20 || node_major > 22 )); then
  die "Node.js ${node_version} is not supported: this project needs Node.js 20, 21 or 22 (package.json engines), then retry"
fi

# --- what is missing ---------------------------------------------------------------------------
on_path() {
  # `type -P` (like `command -v`) falls back to a non-executable file of that name, hence the -x.
  local found
  found="$(type -P "$1" 2>/dev/null || true)"
  [[ -n "$found" && -x "$found" ]]
}
have_cmd() {
  # Debian installs nats-server to /usr/sbin, which is not on a normal user's PATH.
  on_path "$1" || [[ -x "/usr/sbin/$1" || -x "/usr/bin/$1" || -x "/usr/local/bin/$1" ]]
}

missing_pkgs=()
have_cmd nats-server || missing_pkgs+=(nats-server)
have_cmd gpmetis || missing_pkgs+=(metis)
# Headless Chromium opens the HTML report of `ledger bench` in the integration test: needed by
# `npm test` (LEDGER_SETUP_TESTS=1), not by `npm start`.
if [[ "${LEDGER_SETUP_TESTS:-}" == "1" ]]; then
  have_cmd chromium || missing_pkgs+=(chromium)
fi

need_npm=0
if [[ ! -d node_modules || ! -f node_modules/.package-lock.json ]]; then
  need_npm=1
elif [[ -f package-lock.json && package-lock.json -nt node_modules/.package-lock.json ]]; then
  need_npm=1
fi

# better-sqlite3 and cbor-extract build native code when no prebuilt binary can be downloaded
# (e.g. GitHub unreachable); that needs a C++ toolchain and python3 for node-gyp.
build_pkgs=()
if (( need_npm )); then
  for tool in make g++ python3; do
    if ! on_path "$tool"; then
      build_pkgs=(build-essential python3)
      break
    fi
  done
fi

# --- system packages -------------------------------------------------------------------------
if (( ${#missing_pkgs[@]} > 0 || ${#build_pkgs[@]} > 0 )); then
  if [[ "$(id -u)" == "0" ]] && on_path apt-get; then
    pkgs=("${missing_pkgs[@]}" "${build_pkgs[@]}")
    say "installing ${pkgs[*]} with apt-get"
    log="$(mktemp)"
    trap 'rm -f "$log"' EXIT
    if ! DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null >"$log" 2>&1; then
      cat "$log" >&2
      die "apt-get update failed (see above): fix the apt sources, then retry"
    fi
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" \
        </dev/null >"$log" 2>&1; then
      cat "$log" >&2
      die "apt-get install ${pkgs[*]} failed (see above): install them by hand, then retry"
    fi
    rm -f "$log"
    have_cmd nats-server || die "nats-server is still missing after apt-get install: install it by hand (see https://docs.nats.io/running-a-nats-service/introduction/installation), then retry"
    have_cmd gpmetis || die "gpmetis is still missing after apt-get install metis: install METIS by hand, then retry"
    [[ "${LEDGER_SETUP_TESTS:-}" != "1" ]] || have_cmd chromium || die "chromium is still missing after apt-get install chromium: install Chromium by hand, then retry"
  elif (( ${#missing_pkgs[@]} > 0 )); then
    # Not root or not Debian: say what to do in one sentence and stop.
    names=()
    wheres=()
    for pkg in "${missing_pkgs[@]}"; do
      case "$pkg" in
        nats-server) names+=("nats-server"); wheres+=("https://docs.nats.io/running-a-nats-service/introduction/installation") ;;
        metis) names+=("gpmetis (METIS)"); wheres+=("https://github.com/KarypisLab/METIS") ;;
        chromium) names+=("chromium"); wheres+=("https://www.chromium.org/getting-involved/download-chromium/") ;;
      esac
    done
    if (( ${#names[@]} == 1 )); then
      what="${names[0]} is not installed"
    else
      what="$(IFS=,; printf '%s' "${names[*]:0:${#names[@]}-1}" | sed 's/,/, /g') and ${names[-1]} are not installed"
    fi
    where="$(IFS=' '; printf '%s' "${wheres[*]}" | sed 's/ / and /g')"
    die "${what}: run \`sudo apt-get install ${missing_pkgs[*]}\` (Debian/Ubuntu) or elsewhere see ${where}, then retry"
  fi
  # A missing toolchain as non-root is not fatal: npm may still find prebuilt binaries.
fi

# --- npm dependencies ------------------------------------------------------------------------
if (( need_npm )); then
  # node-gyp downloads Node's headers from nodejs.org unless told where they are; a packaged
  # Node ships them next to the binary, so point at those (an explicit setting still wins).
  if [[ -z "${npm_config_nodedir:-}" && -z "${NPM_CONFIG_NODEDIR:-}" ]]; then
    node_prefix="$(cd "$(dirname "$(readlink -f "$(command -v node)")")/.." && pwd)"
    if [[ -f "$node_prefix/include/node/node.h" ]]; then
      export npm_config_nodedir="$node_prefix"
    fi
  fi
  if [[ -f package-lock.json ]]; then
    say "installing npm dependencies (npm ci)"
    npm_cmd=(npm ci --no-audit --no-fund)
  else
    say "installing npm dependencies (npm install, no package-lock.json)"
    npm_cmd=(npm install --no-audit --no-fund)
  fi
  if ! "${npm_cmd[@]}" </dev/null; then
    die "\`${npm_cmd[*]}\` failed (see above); native modules need a C++ toolchain and python3: run \`sudo apt-get install build-essential python3\` (Debian/Ubuntu), then retry"
  fi
  # npm install may write package-lock.json after the hidden lockfile; make the hidden one the
  # newest so the next run does not reinstall.
  [[ -f node_modules/.package-lock.json ]] && touch node_modules/.package-lock.json
fi

# --- build -----------------------------------------------------------------------------------
stamp="dist/.build-stamp"
need_build=0
if [[ ! -d dist || ! -f "$stamp" ]]; then
  need_build=1
elif [[ tsconfig.json -nt "$stamp" || package.json -nt "$stamp" ]]; then
  need_build=1
else
  src_dirs=()
  for d in src commands tests bench; do [[ -d "$d" ]] && src_dirs+=("$d"); done
  # Directories are included on purpose: deleting or renaming a file changes its directory's
  # mtime, so a removed source also triggers a build (which prunes its stale output).
  if (( ${#src_dirs[@]} > 0 )) && [[ -n "$(find "${src_dirs[@]}" -newer "$stamp" -print -quit)" ]]; then
    need_build=1
  fi
fi

if (( need_build )); then
  say "building (tsc -p tsconfig.json)"
  mkdir -p dist
  # Stamp the start, not the end: a source saved while tsc runs stays newer than the stamp and
  # triggers the next build.
  touch "$stamp.next"
  if [[ -x node_modules/.bin/tsc ]]; then
    tsc_cmd=(node_modules/.bin/tsc -p tsconfig.json)
  else
    tsc_cmd=(npx --no-install tsc -p tsconfig.json)
  fi
  if ! "${tsc_cmd[@]}"; then
    rm -f "$stamp.next"
    die "the TypeScript build failed (errors above): fix them, or set LEDGER_SKIP_SETUP=1 to run the existing dist/"
  fi
  # tsc never deletes output: remove dist/**/*.js(.map) whose .ts source is gone, so a deleted
  # test or command does not keep running from dist/.
  node --input-type=module - <<'EOF'
import {readdirSync, existsSync, rmSync} from 'node:fs';
import {join} from 'node:path';
const walk = (dir) => readdirSync(dir, {withFileTypes: true}).flatMap((e) =>
  e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]);
for (const top of ['src', 'commands', 'tests', 'bench']) {
  const out = join('dist', top);
  if (!existsSync(out)) continue;
  for (const file of walk(out)) {
    const m = /^dist\/(.*)\.(js|mjs|cjs)(\.map)?$/.exec(file);
    if (!m) continue;
    const ext = {js: ['.ts', '.tsx'], mjs: ['.mts'], cjs: ['.cts']}[m[2]];
    if (!ext.some((e) => existsSync(m[1] + e))) rmSync(file);
  }
}
EOF
  mv -f "$stamp.next" "$stamp"
fi

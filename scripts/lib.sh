# Shared set-up for scripts/: installs the system packages the build and tests need
# when they are missing (Debian: apt-get; run as root, as on the project's machines).

apt_install() {
    local pkgs=("$@")
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "installing ${pkgs[*]} with apt-get" >&2
    $sudo apt-get update -qq >&2 || true
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${pkgs[@]}" >&2
}

# libedit-dev (headers + pkg-config file) for the REPL's line editor.
ensure_system_packages() {
    local missing=()
    pkg-config --exists libedit 2>/dev/null || missing+=(libedit-dev)
    command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
    if [ ${#missing[@]} -gt 0 ]; then apt_install "${missing[@]}"; fi
}

# Tools the tests drive the program with: tmux (REPL through a pseudo-terminal) and
# kubernetes-validate (PyPI; it ships the API schemas) for exported manifests.
ensure_test_tools() {
    local missing=()
    command -v tmux >/dev/null 2>&1 || missing+=(tmux)
    if [ ${#missing[@]} -gt 0 ]; then apt_install "${missing[@]}"; fi
    if ! command -v kubernetes-validate >/dev/null 2>&1; then
        echo "installing kubernetes-validate with pip" >&2
        python3 -m pip install -q kubernetes-validate >&2
        hash -r
    fi
}

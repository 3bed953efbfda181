#!/usr/bin/env bash
# Install, upgrade or remove the nanogate edge agent on a Debian or Raspberry Pi OS gateway.
#
#   sudo deploy/gateway/install.sh --bundle nanogate-0.1.0-linux-x86_64.tar.gz \
#       --broker broker.example.net:50051 --ca broker-ca.pem --enrol-token TOKEN --site plant-7
#   sudo deploy/gateway/install.sh --wheel nanogate-0.1.0-py3-none-any.whl ...   # from an index
#   sudo deploy/gateway/install.sh --bundle newer.tar.gz     # upgrade: config and data kept
#   sudo deploy/gateway/install.sh --uninstall [--purge]      # data kept unless --purge
#   install.sh --bundle DIR --into-venv /opt/nanogate/venvs/0.2.0 --python PY   # agent upgrade
#
# Run it from a copy of the repository's deploy/ folder (an offline bundle holds one): it
# reads the systemd unit from ../systemd and the Mosquitto drop-in from ../mosquitto.
# Before writing anything it checks that the service user can run the chosen Python and reach
# the config and data paths; at the end it runs the unit's ExecStart program as that user.
# Every path can be moved with an environment variable, e.g. to install into a test root:
#   PREFIX (/opt/nanogate)  ETC (/etc/nanogate)  DATA_DIR (/var/lib/nanogate/edge)
#   SYSTEMD_DIR (/etc/systemd/system)  MOSQUITTO_DIR (/etc/mosquitto/conf.d)
#   MOSQUITTO_CONF (/etc/mosquitto/mosquitto.conf)  SERVICE_USER (nanogate)
set -euo pipefail

PREFIX="${PREFIX:-/opt/nanogate}"
ETC="${ETC:-/etc/nanogate}"
DATA_DIR="${DATA_DIR:-/var/lib/nanogate/edge}"
SYSTEMD_DIR="${SYSTEMD_DIR:-/etc/systemd/system}"
MOSQUITTO_DIR="${MOSQUITTO_DIR:-/etc/mosquitto/conf.d}"
MOSQUITTO_CONF="${MOSQUITTO_CONF:-/etc/mosquitto/mosquitto.conf}"
SERVICE_USER="${SERVICE_USER:-nanogate}"

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
UNIT_SRC="$HERE/../systemd/nanogate-edge.service"
MOSQUITTO_SRC="$HERE/../mosquitto/nanogate.conf"
UNIT=nanogate-edge.service
VENV="$PREFIX/venv"
CONFIG="$ETC/edge.toml"
# TLS files copied next to the config, readable by the service user's group.
CA_DEST="$ETC/broker-ca.pem" CERT_DEST="$ETC/client.pem" KEY_DEST="$ETC/client.key"
# The first line of every file this script writes outside PREFIX, so --uninstall removes
# only what it installed.
MARK="# Installed by nanogate deploy/gateway/install.sh"
# Interpreters tried in order when --python is not given: the system's first, because the
# service user can always run it (a pyenv or conda Python under /root cannot be).
PYTHON_CANDIDATES=(/usr/bin/python3 /usr/bin/python3.13 /usr/bin/python3.12 /usr/bin/python3.11
                   /usr/local/bin/python3)
export PIP_DISABLE_PIP_VERSION_CHECK=1

wheel="" package="nanogate" python="" pip_args="" broker="" token="" site="default"
bundle="" bundle_dir="" scratch="" tls="" ca="" client_cert="" client_key=""
gateway_id="$(hostname 2>/dev/null || echo gw-1)"
with_mosquitto=0 use_systemd=1 make_user=1 force_config=0 uninstall=0 purge=0
system_site=0 insecure=0 into_venv=""

say() { printf 'install.sh: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

usage() {
    cat <<'EOF'
Usage: install.sh [options]
  --bundle FILE            install offline from a bundle made by `make bundle` (a .tar.gz or
                           its unpacked folder); its SHA256SUMS are checked first
  --wheel PATH             install this wheel (dependencies from the package index)
  --package SPEC           what pip installs without --wheel or --bundle (default: nanogate)
  --broker HOST:PORT       the cloud broker's gRPC address (needed for a first install)
  --enrol-token TOKEN      one-time enrolment token from `cloud-broker fleet token create`
  --site SITE              the gateway's site (default: default)
  --gateway-id ID          the gateway's requested id (default: the host name)
  --ca FILE                the broker's CA certificate (its <data_dir>/pki/ca.pem); turns
                           TLS on, mTLS when the broker is not on loopback
  --tls off|tls|mtls       override that choice (tls without --ca trusts the system's CAs)
  --client-cert FILE       with --client-key: a client certificate of your own for mTLS
  --client-key FILE        (default: a key made on the gateway, certified at enrolment)
  --insecure-plaintext     allow a broker off loopback without TLS (credentials in clear)
  --with-mosquitto         install Mosquitto if missing and add the nanogate drop-in
  --force-config           rewrite edge.toml even if it exists (the old one is kept as .bak)
  --no-systemd             write the unit but do not call systemctl
  --no-user                do not create the service user or chown (tests, containers)
  --python PATH            the Python (>= 3.11) for the venv (default: the system python3);
                           a different one than last time recreates the venv
  --system-site-packages   let the venv see the system's packages (e.g. apt's numpy)
  --pip-args "ARGS"        extra arguments for pip install, split on spaces
  --into-venv DIR          with --bundle: only check the bundle and install it into a new
                           venv DIR, then run its edge-agent; no config, unit, user or
                           service (what an agent upgrade from the broker runs)
  --uninstall              remove the agent; config and data are kept
  --purge                  with --uninstall: remove config, data and the service user too
  -h, --help               this text
EOF
}

parse_args() {
    while [ $# -gt 0 ]; do
        case "$1" in
            --bundle) bundle="${2:?--bundle needs a file}"; shift ;;
            --wheel) wheel="${2:?--wheel needs a path}"; shift ;;
            --package) package="${2:?--package needs a spec}"; shift ;;
            --broker) broker="${2:?--broker needs HOST:PORT}"; shift ;;
            --enrol-token) token="${2:?--enrol-token needs a value}"; shift ;;
            --site) site="${2:?--site needs a value}"; shift ;;
            --gateway-id) gateway_id="${2:?--gateway-id needs a value}"; shift ;;
            --ca) ca="${2:?--ca needs a file}"; shift ;;
            --tls) tls="${2:?--tls needs off, tls or mtls}"; shift ;;
            --client-cert) client_cert="${2:?--client-cert needs a file}"; shift ;;
            --client-key) client_key="${2:?--client-key needs a file}"; shift ;;
            --insecure-plaintext) insecure=1 ;;
            --python) python="${2:?--python needs a path}"; shift ;;
            --pip-args) pip_args="${2?--pip-args needs a value}"; shift ;;
            --with-mosquitto) with_mosquitto=1 ;;
            --force-config) force_config=1 ;;
            --no-systemd) use_systemd=0 ;;
            --no-user) make_user=0 ;;
            --system-site-packages) system_site=1 ;;
            --into-venv) into_venv="${2:?--into-venv needs a directory}"; shift ;;
            --uninstall) uninstall=1 ;;
            --purge) purge=1 ;;
            -h|--help) usage; exit 0 ;;
            *) usage >&2; die "unknown option: $1" ;;
        esac
        shift
    done
    [ "$purge" = 0 ] || [ "$uninstall" = 1 ] || die "--purge only goes with --uninstall"
    [ -z "$bundle" ] || [ -z "$wheel" ] || die "--bundle already holds the wheel; drop --wheel"
    [ -z "$into_venv" ] || [ -n "$bundle" ] || die "--into-venv installs a --bundle; add --bundle FILE"
    case "$tls" in ""|off|tls|mtls) ;; *) die "--tls must be off, tls or mtls, not $tls" ;; esac
    if { [ -n "$client_cert" ] && [ -z "$client_key" ]; } || { [ -z "$client_cert" ] && [ -n "$client_key" ]; }; then
        die "--client-cert and --client-key go together"
    fi
    # systemctl only talks to a running systemd; in a chroot or container, skip it.
    [ -d /run/systemd/system ] || use_systemd=0
}

# rm -rf with a guard against an empty or top-level path from a mistyped variable.
remove_tree() {
    case "$1" in
        ""|/|/*/..*|*/../*) die "refusing to remove '$1'" ;;
    esac
    [ "$(dirname "$1")" != / ] || die "refusing to remove top-level directory $1"
    rm -rf -- "$1"
}

# sed replacement text with its special characters escaped.
sed_escape() { printf '%s' "$1" | sed -e 's/[\\&|]/\\&/g'; }

# A TOML basic string: backslashes and quotes escaped.
toml_string() {
    local s="${1//\\/\\\\}"
    printf '"%s"' "${s//\"/\\\"}"
}

# Run a command as the service user, with a clean environment (root's PYTHONPATH or HOME
# must not make a check pass that the unit would fail). A user not created yet is checked
# as nobody: a new system user has the same access to files it does not own.
as_service_user() {
    local ids=(--reuid=65534 --regid=65534 --clear-groups)
    if id -u "$SERVICE_USER" >/dev/null 2>&1; then
        ids=(--reuid="$(id -u "$SERVICE_USER")" --regid="$(id -g "$SERVICE_USER")" --init-groups)
    fi
    setpriv "${ids[@]}" -- env -i PATH=/usr/bin:/bin LANG=C.UTF-8 "$@"
}

# The nearest existing directory at or above a path (what decides whether it can be reached).
existing_parent() {
    local p="$1"
    while [ ! -e "$p" ]; do p="$(dirname "$p")"; done
    printf '%s' "$p"
}

is_loopback() {
    local host="${1%:*}"
    host="${host#[}" host="${host%]}"
    case "$host" in 127.*|localhost|::1) return 0 ;; *) return 1 ;; esac
}

choose_python() {
    if [ -n "$python" ]; then
        command -v "$python" >/dev/null || die "$python not found; pass --python PATH to a Python >= 3.11"
        python="$(command -v "$python")"
        "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
            || die "$python is older than 3.11; pass --python PATH to a newer one"
        return 0
    fi
    local candidate
    for candidate in "${PYTHON_CANDIDATES[@]}"; do
        if [ -x "$candidate" ] && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            python="$candidate"
            say "using $python ($("$python" -c 'import platform; print(platform.python_version())'))"
            return 0
        fi
    done
    die "no system Python >= 3.11 in ${PYTHON_CANDIDATES[*]}; install python3 (Debian 12 has 3.11) or pass --python PATH"
}

ensure_venv_module() {
    if ! "$python" -c 'import ensurepip, venv' 2>/dev/null; then
        command -v apt-get >/dev/null || die "$python cannot create a venv; install python3-venv"
        say "installing python3-venv"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
    fi
}

# Before anything is written: can the unit's user run the Python and reach config and data?
check_service_user() {
    [ "$make_user" = 1 ] || return 0
    [ "$(id -u)" = 0 ] || die "run as root (sudo), or pass --no-user to install for yourself"
    local who="$SERVICE_USER" err
    id -u "$SERVICE_USER" >/dev/null 2>&1 || who="a new system user ($SERVICE_USER)"
    if ! err="$(as_service_user "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>&1)"; then
        die "$who cannot run $python (${err:-exit code not 0}): pass --python /usr/bin/python3, or a Python outside /root that other users can execute"
    fi
    local path
    for path in "$ETC" "$DATA_DIR" "$PREFIX"; do
        local reach
        reach="$(existing_parent "$path")"
        as_service_user test -x "$reach" \
            || die "$who cannot reach $reach (on the way to $path): chmod o+x it, or move the path (ETC, DATA_DIR, PREFIX)"
    done
    if [ -f "$CONFIG" ] && ! config_needed && ! as_service_user test -r "$CONFIG"; then
        die "$who cannot read $CONFIG: chgrp $SERVICE_USER $CONFIG && chmod g+r $CONFIG"
    fi
}

ensure_user() {
    [ "$make_user" = 1 ] || return 0
    if ! id -u "$SERVICE_USER" >/dev/null 2>&1; then
        say "creating system user $SERVICE_USER"
        useradd --system --home-dir "$DATA_DIR" --no-create-home \
            --shell /usr/sbin/nologin --user-group "$SERVICE_USER"
    fi
}

# Unpack (when an archive) and verify the bundle; sets bundle_dir and the pip arguments.
open_bundle() {
    [ -n "$bundle" ] || return 0
    if [ -d "$bundle" ]; then
        bundle_dir="$(cd "$bundle" && pwd)"
    else
        [ -f "$bundle" ] || die "no such bundle: $bundle"
        scratch="$(mktemp -d)"
        tar -xf "$bundle" -C "$scratch" || die "$bundle is not a bundle archive (.tar.gz)"
        bundle_dir="$(find "$scratch" -mindepth 2 -maxdepth 2 -name SHA256SUMS -printf '%h\n' | head -1)"
    fi
    if [ -z "$bundle_dir" ] || [ ! -f "$bundle_dir/SHA256SUMS" ]; then
        die "$bundle has no SHA256SUMS: not a nanogate bundle"
    fi
    verify_bundle
    local found=("$bundle_dir"/wheels/nanogate-*.whl)
    [ -f "${found[0]}" ] || die "$bundle has no nanogate wheel"
    wheel="${found[0]}"
    local machine
    machine="$(uname -m)"
    grep -q "\"machine\": \"$machine\"" "$bundle_dir/bundle.json" \
        || die "$bundle is for $(sed -n 's/.*"machine": "\([^"]*\)".*/\1/p' "$bundle_dir/bundle.json"), this machine is $machine: use the bundle for $machine"
    say "bundle $(basename "$bundle") verified ($(grep -c . "$bundle_dir/SHA256SUMS") files)"
}

# Every file is in the manifest with the right SHA-256, and nothing is missing or extra.
verify_bundle() {
    (cd "$bundle_dir" && sha256sum --check --strict --quiet SHA256SUMS) \
        || die "$bundle fails its checksums: download it again"
    local listed actual
    listed="$(sed -e 's/^[0-9a-f]*  //' "$bundle_dir/SHA256SUMS" | LC_ALL=C sort)"
    actual="$(cd "$bundle_dir" && find . -type f ! -name SHA256SUMS -printf '%P\n' | LC_ALL=C sort)"
    [ "$listed" = "$actual" ] || die "$bundle holds files its SHA256SUMS does not list: download it again"
}

# Whether the venv must be made afresh: missing, broken, or on another interpreter.
venv_is_stale() {
    [ -x "$VENV/bin/python" ] || return 0
    "$VENV/bin/python" -c '' 2>/dev/null || return 0
    [ "$(base_python "$VENV/bin/python")" = "$(base_python "$python")" ] || return 0
    return 1
}

# The interpreter a Python (or a venv's) really runs: venvs and symlinks resolved.
base_python() { "$1" -c 'import os, sys; print(os.path.realpath(sys._base_executable))'; }

install_venv() {
    if venv_is_stale; then
        if [ -d "$VENV" ]; then
            say "recreating $VENV for $python (was $(base_python "$VENV/bin/python" 2>/dev/null || echo broken)); data and identity are kept"
            remove_tree "$VENV"
        else
            say "creating the virtual environment in $VENV"
        fi
        local flags=()
        [ "$system_site" = 0 ] || flags+=(--system-site-packages)
        "$python" -m venv "${flags[@]}" "$VENV"
    else
        say "upgrading in place in $VENV"
    fi
    local spec="$package" extra=()
    if [ -n "$wheel" ]; then
        [ -f "$wheel" ] || die "no such wheel: $wheel"
        spec="$(cd "$(dirname "$wheel")" && pwd)/$(basename "$wheel")"
    fi
    # Word splitting is the point: --pip-args carries several arguments.
    read -r -a extra <<<"$pip_args"
    [ -z "$bundle_dir" ] || extra+=(--no-index --find-links "$bundle_dir/wheels")
    "$VENV/bin/python" -m pip install --quiet --upgrade "${extra[@]}" "$spec" \
        || die "pip could not install $spec${bundle_dir:+ from the bundle (is it for Python $("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')?)}"
    if [ -n "$wheel" ]; then
        # A rebuilt wheel keeps its version number; make pip replace the package anyway.
        "$VENV/bin/python" -m pip install --quiet --no-deps --force-reinstall "${extra[@]}" "$spec"
    fi
}

# Whether edge.toml is (re)written this run; checked before anything is installed.
config_needed() { [ ! -f "$CONFIG" ] || [ "$force_config" = 1 ]; }

check_config_args() {
    if ! config_needed; then
        [ -z "$ca$tls$client_cert" ] \
            || die "--ca, --tls and --client-cert only apply when edge.toml is written: add --force-config (the old file is kept as .bak)"
        return 0
    fi
    [ -n "$broker" ] || die "--broker HOST:PORT is needed to write $CONFIG"
    [ -n "$token" ] || die "--enrol-token is needed to write $CONFIG"
    local address_re='^[][A-Za-z0-9.:_-]+:[0-9]+$'
    [[ "$broker" =~ $address_re ]] || die "--broker must be HOST:PORT, not $broker"
    local file
    for file in "$ca" "$client_cert" "$client_key"; do
        [ -z "$file" ] || [ -r "$file" ] || die "cannot read $file"
    done
    choose_tls
}

# TLS by default off loopback: mTLS with a CA; plaintext there only when asked for by name.
choose_tls() {
    if [ -z "$tls" ]; then
        if is_loopback "$broker"; then tls="${ca:+tls}"; tls="${tls:-off}"
        elif [ -n "$ca" ]; then tls=mtls
        elif [ "$insecure" = 1 ]; then tls=off
        else die "$broker is not on loopback: pass --ca FILE (the broker's <data_dir>/pki/ca.pem), --tls tls to trust the system's CAs, or --insecure-plaintext to send credentials in clear"
        fi
    fi
    if [ "$tls" = off ] && ! is_loopback "$broker" && [ "$insecure" = 0 ]; then
        die "--tls off to $broker sends credentials in clear: add --insecure-plaintext if you mean it"
    fi
    [ "$tls" != off ] || [ -z "$ca$client_cert" ] || die "--tls off does not go with --ca or --client-cert"
}

# Copy a TLS file next to the config; keys readable by the service user's group only.
copy_tls_file() {
    local src="$1" dest="$2" mode="$3"
    install -m "$mode" "$src" "$dest"
    [ "$make_user" = 0 ] || chgrp "$SERVICE_USER" "$dest"
}

tls_lines() {
    printf 'tls = %s\n' "$(toml_string "$tls")"
    if [ -n "$ca" ]; then
        copy_tls_file "$ca" "$CA_DEST" 0644
        printf 'ca_file = %s\n' "$(toml_string "$CA_DEST")"
    fi
    if [ -n "$client_cert" ]; then
        copy_tls_file "$client_cert" "$CERT_DEST" 0644
        copy_tls_file "$client_key" "$KEY_DEST" 0640
        printf 'cert_file = %s\nkey_file = %s\n' "$(toml_string "$CERT_DEST")" "$(toml_string "$KEY_DEST")"
    fi
}

write_config() {
    mkdir -p "$ETC"
    if ! config_needed; then
        say "keeping $CONFIG (--force-config rewrites it)"
        return 0
    fi
    [ ! -f "$CONFIG" ] || cp -p "$CONFIG" "$CONFIG.bak"
    local tmp="$CONFIG.tmp" tls_block
    tls_block="$(tls_lines)"
    ( umask 077; cat >"$tmp" <<EOF
$MARK on $(date -u +%Y-%m-%dT%H:%M:%SZ).
# Edit freely: upgrades keep this file. Every key: deploy/examples/edge.toml.
# Check it with: sudo $VENV/bin/edge-agent doctor --config $CONFIG

[gateway]
id = $(toml_string "$gateway_id")
site = $(toml_string "$site")
data_dir = $(toml_string "$DATA_DIR")

[mqtt]                              # the gateway's own broker, where sensors publish
host = "127.0.0.1"
port = 1883

[cloud]
address = $(toml_string "$broker")
$tls_block
# Used once: the broker exchanges it for a credential kept in data_dir/identity.json.
enrol_token = $(toml_string "$token")

# Declare the gateway's devices, e.g.:
# [[sensors]]
# id = "t-104"
# kind = "temperature"
# area = "zone 3"
# unit = "Cel"
EOF
    )
    if [ "$make_user" = 1 ]; then
        chgrp "$SERVICE_USER" "$tmp"
        chmod 0640 "$tmp"
    fi
    mv -f "$tmp" "$CONFIG"
    say "wrote $CONFIG (cloud tls: $tls)"
}

prepare_data_dir() {
    mkdir -p "$DATA_DIR"
    chmod 0750 "$DATA_DIR"
    [ "$make_user" = 0 ] || chown -R "$SERVICE_USER:$SERVICE_USER" "$DATA_DIR"
}

install_unit() {
    mkdir -p "$SYSTEMD_DIR"
    local tmp="$SYSTEMD_DIR/$UNIT.tmp"
    {
        echo "$MARK"
        sed -e "s|/opt/nanogate|$(sed_escape "$PREFIX")|g" \
            -e "s|/etc/nanogate|$(sed_escape "$ETC")|g" \
            -e "s|/var/lib/nanogate/edge|$(sed_escape "$DATA_DIR")|g" \
            -e "s|^User=nanogate$|User=$(sed_escape "$SERVICE_USER")|" \
            -e "s|^Group=nanogate$|Group=$(sed_escape "$SERVICE_USER")|" \
            "$UNIT_SRC"
    } >"$tmp"
    if [ "$DATA_DIR" != /var/lib/nanogate/edge ]; then
        # StateDirectory= only manages directories under /var/lib; ReadWritePaths covers it.
        sed -i -e '/^StateDirectory/d' "$tmp"
    fi
    chmod 0644 "$tmp"
    mv -f "$tmp" "$SYSTEMD_DIR/$UNIT"
    say "wrote $SYSTEMD_DIR/$UNIT"
}

# The unit's program, run as its user (the check that would have caught a venv on /root's
# Python), and the files it needs.
check_exec_start() {
    local err
    if [ "$make_user" = 0 ]; then
        "$VENV/bin/edge-agent" --help >/dev/null || die "edge-agent does not start; see above"
        return 0
    fi
    err="$(as_service_user "$VENV/bin/edge-agent" --help 2>&1 >/dev/null)" \
        || die "$SERVICE_USER cannot run $VENV/bin/edge-agent (${err:-failed}): reinstall with --python /usr/bin/python3"
    as_service_user test -r "$CONFIG" \
        || die "$SERVICE_USER cannot read $CONFIG: chgrp $SERVICE_USER $CONFIG && chmod g+r $CONFIG"
    as_service_user test -w "$DATA_DIR" \
        || die "$SERVICE_USER cannot write $DATA_DIR: chown $SERVICE_USER: $DATA_DIR"
}

start_unit() {
    [ "$use_systemd" = 1 ] || return 0
    systemctl daemon-reload
    systemctl enable "$UNIT"
    systemctl restart "$UNIT"
    say "started $UNIT (journalctl -u $UNIT -f)"
}

install_mosquitto() {
    [ "$with_mosquitto" = 1 ] || return 0
    if ! command -v mosquitto >/dev/null; then
        command -v apt-get >/dev/null || die "mosquitto is missing and apt-get is not here"
        say "installing mosquitto"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mosquitto
    fi
    mkdir -p "$MOSQUITTO_DIR"
    { echo "$MARK"; cat "$MOSQUITTO_SRC"; } >"$MOSQUITTO_DIR/nanogate.conf"
    chmod 0644 "$MOSQUITTO_DIR/nanogate.conf"
    say "wrote $MOSQUITTO_DIR/nanogate.conf"
    if [ -f "$MOSQUITTO_CONF" ]; then
        grep -Eq "^include_dir[[:space:]]+$MOSQUITTO_DIR/?$" "$MOSQUITTO_CONF" \
            || say "warning: $MOSQUITTO_CONF does not include $MOSQUITTO_DIR; add: include_dir $MOSQUITTO_DIR"
        ! grep -Eq '^(listener|port)[[:space:]]+1883\b' "$MOSQUITTO_CONF" \
            || say "warning: $MOSQUITTO_CONF already listens on 1883; remove that line or the drop-in's"
    fi
    if [ "$use_systemd" = 1 ]; then
        systemctl enable mosquitto.service
        systemctl restart mosquitto.service
    fi
}

uninstall_all() {
    if [ "$use_systemd" = 1 ]; then
        systemctl disable --now "$UNIT" 2>/dev/null || true
    fi
    if [ -f "$SYSTEMD_DIR/$UNIT" ]; then
        rm -f "$SYSTEMD_DIR/$UNIT"
        say "removed $SYSTEMD_DIR/$UNIT"
        [ "$use_systemd" = 0 ] || systemctl daemon-reload
    fi
    if [ -f "$MOSQUITTO_DIR/nanogate.conf" ] && head -1 "$MOSQUITTO_DIR/nanogate.conf" | grep -qF "$MARK"; then
        rm -f "$MOSQUITTO_DIR/nanogate.conf"
        say "removed $MOSQUITTO_DIR/nanogate.conf"
        [ "$use_systemd" = 0 ] || systemctl try-restart mosquitto.service || true
    fi
    if [ -d "$VENV" ]; then
        remove_tree "$VENV"
        rmdir "$PREFIX" 2>/dev/null || true
        say "removed $VENV"
    fi
    if [ "$purge" = 0 ]; then
        say "kept $CONFIG and $DATA_DIR (--purge removes them)"
        return 0
    fi
    rm -f "$CONFIG" "$CONFIG.bak" "$CA_DEST" "$CERT_DEST" "$KEY_DEST"
    rmdir "$ETC" 2>/dev/null || true
    [ ! -d "$DATA_DIR" ] || remove_tree "$DATA_DIR"
    # /var/lib/nanogate holds only the edge and broker data dirs: remove it once empty.
    [ "$(basename "$(dirname "$DATA_DIR")")" != nanogate ] || rmdir "$(dirname "$DATA_DIR")" 2>/dev/null || true
    say "purged $CONFIG and $DATA_DIR"
    if [ "$make_user" = 1 ] && id -u "$SERVICE_USER" >/dev/null 2>&1; then
        userdel "$SERVICE_USER"
        say "removed user $SERVICE_USER"
    fi
}

cleanup() { [ -z "$scratch" ] || rm -rf -- "$scratch"; }

# An agent upgrade: the same bundle check and pip install as a full install, into a new venv
# beside the running one; the agent swaps its venv symlink to it and restarts itself.
install_into_venv() {
    VENV="$into_venv"
    choose_python
    open_bundle
    "$python" -c 'import ensurepip, venv' 2>/dev/null || die "$python cannot create a venv; install python3-venv"
    install_venv
    "$VENV/bin/edge-agent" --help >/dev/null || die "edge-agent from $VENV does not start; see above"
    say "installed $("$VENV/bin/python" -c 'import importlib.metadata as m; print("nanogate", m.version("nanogate"))') into $VENV"
}

main() {
    parse_args "$@"
    if [ "$uninstall" = 1 ]; then
        uninstall_all
        return 0
    fi
    trap cleanup EXIT
    if [ -n "$into_venv" ]; then
        install_into_venv
        return 0
    fi
    [ -f "$UNIT_SRC" ] || die "$UNIT_SRC is missing: run this script from the deploy/ folder"
    check_config_args
    choose_python
    check_service_user
    open_bundle
    ensure_venv_module
    ensure_user
    install_venv
    prepare_data_dir
    write_config
    install_mosquitto
    install_unit
    check_exec_start
    start_unit
    say "done: $("$VENV/bin/python" -c 'import importlib.metadata as m; print("nanogate", m.version("nanogate"))') on $(readlink -f "$VENV/bin/python")"
}

main "$@"

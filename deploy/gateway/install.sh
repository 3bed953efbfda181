#!/usr/bin/env bash
# Install, upgrade or remove the nanogate edge agent on a Debian or Raspberry Pi OS gateway.
#
#   sudo deploy/gateway/install.sh --wheel nanogate-0.1.0-py3-none-any.whl \
#       --broker broker.example.net:50051 --enrol-token TOKEN --site plant-7
#   sudo deploy/gateway/install.sh --wheel newer.whl          # upgrade: config and data kept
#   sudo deploy/gateway/install.sh --uninstall [--purge]      # data kept unless --purge
#
# Run it from a copy of the repository's deploy/ folder: it reads the systemd unit from
# ../systemd and the Mosquitto drop-in from ../mosquitto. Nothing here depends on the CPU
# architecture; the wheels pip picks do (onnxruntime has them for x86_64 and arm64).
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
# The first line of every file this script writes outside PREFIX, so --uninstall removes
# only what it installed.
MARK="# Installed by nanogate deploy/gateway/install.sh"
export PIP_DISABLE_PIP_VERSION_CHECK=1

wheel="" package="nanogate" python="python3" pip_args="" broker="" token="" site="default"
gateway_id="$(hostname 2>/dev/null || echo gw-1)"
with_mosquitto=0 use_systemd=1 make_user=1 force_config=0 uninstall=0 purge=0
system_site=0

say() { printf 'install.sh: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

usage() {
    cat <<'EOF'
Usage: install.sh [options]
  --wheel PATH             install this wheel (default: the package from the index)
  --package SPEC           what pip installs when no --wheel is given (default: nanogate)
  --broker HOST:PORT       the cloud broker's gRPC address (needed for a first install)
  --enrol-token TOKEN      one-time enrolment token from `cloud-broker fleet token create`
  --site SITE              the gateway's site (default: default)
  --gateway-id ID          the gateway's requested id (default: the host name)
  --with-mosquitto         install Mosquitto if missing and add the nanogate drop-in
  --force-config           rewrite edge.toml even if it exists (the old one is kept as .bak)
  --no-systemd             write the unit but do not call systemctl
  --no-user                do not create the service user or chown (tests, containers)
  --python PATH            the Python (>= 3.11) that creates the venv (default: python3)
  --system-site-packages   let the venv see the system's packages (e.g. apt's numpy)
  --pip-args "ARGS"        extra arguments for pip install, split on spaces
  --uninstall              remove the agent; config and data are kept
  --purge                  with --uninstall: remove config, data and the service user too
  -h, --help               this text
EOF
}

parse_args() {
    while [ $# -gt 0 ]; do
        case "$1" in
            --wheel) wheel="${2:?--wheel needs a path}"; shift ;;
            --package) package="${2:?--package needs a spec}"; shift ;;
            --broker) broker="${2:?--broker needs HOST:PORT}"; shift ;;
            --enrol-token) token="${2:?--enrol-token needs a value}"; shift ;;
            --site) site="${2:?--site needs a value}"; shift ;;
            --gateway-id) gateway_id="${2:?--gateway-id needs a value}"; shift ;;
            --python) python="${2:?--python needs a path}"; shift ;;
            --pip-args) pip_args="${2?--pip-args needs a value}"; shift ;;
            --with-mosquitto) with_mosquitto=1 ;;
            --force-config) force_config=1 ;;
            --no-systemd) use_systemd=0 ;;
            --no-user) make_user=0 ;;
            --system-site-packages) system_site=1 ;;
            --uninstall) uninstall=1 ;;
            --purge) purge=1 ;;
            -h|--help) usage; exit 0 ;;
            *) usage >&2; die "unknown option: $1" ;;
        esac
        shift
    done
    [ "$purge" = 0 ] || [ "$uninstall" = 1 ] || die "--purge only goes with --uninstall"
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

ensure_user() {
    [ "$make_user" = 1 ] || return 0
    if ! id -u "$SERVICE_USER" >/dev/null 2>&1; then
        say "creating system user $SERVICE_USER"
        useradd --system --home-dir "$DATA_DIR" --no-create-home \
            --shell /usr/sbin/nologin --user-group "$SERVICE_USER"
    fi
}

ensure_python() {
    command -v "$python" >/dev/null || die "$python not found; install python3 (>= 3.11)"
    "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
        || die "$python is older than 3.11; pass --python PATH to a newer one"
    if ! "$python" -c 'import ensurepip, venv' 2>/dev/null; then
        command -v apt-get >/dev/null || die "$python cannot create a venv; install python3-venv"
        say "installing python3-venv"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
    fi
}

install_venv() {
    if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c '' 2>/dev/null; then
        say "creating the virtual environment in $VENV"
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
    "$VENV/bin/python" -m pip install --quiet --upgrade "${extra[@]}" "$spec"
    if [ -n "$wheel" ]; then
        # A rebuilt wheel keeps its version number; make pip replace the package anyway.
        "$VENV/bin/python" -m pip install --quiet --no-deps --force-reinstall "${extra[@]}" "$spec"
    fi
    "$VENV/bin/edge-agent" --help >/dev/null || die "edge-agent does not start; see above"
}

# Whether edge.toml is (re)written this run; checked before anything is installed.
config_needed() { [ ! -f "$CONFIG" ] || [ "$force_config" = 1 ]; }

check_config_args() {
    config_needed || return 0
    [ -n "$broker" ] || die "--broker HOST:PORT is needed to write $CONFIG"
    [ -n "$token" ] || die "--enrol-token is needed to write $CONFIG"
    local address_re='^[][A-Za-z0-9.:_-]+:[0-9]+$'
    [[ "$broker" =~ $address_re ]] || die "--broker must be HOST:PORT, not $broker"
}

write_config() {
    mkdir -p "$ETC"
    if ! config_needed; then
        say "keeping $CONFIG (--force-config rewrites it)"
        return 0
    fi
    [ ! -f "$CONFIG" ] || cp -p "$CONFIG" "$CONFIG.bak"
    local tmp="$CONFIG.tmp"
    ( umask 077; cat >"$tmp" <<EOF
$MARK on $(date -u +%Y-%m-%dT%H:%M:%SZ).
# Edit freely: upgrades keep this file. Every key: deploy/examples/edge.toml.
# Check it with: $VENV/bin/edge-agent doctor --config $CONFIG

[gateway]
id = $(toml_string "$gateway_id")
site = $(toml_string "$site")
data_dir = $(toml_string "$DATA_DIR")

[mqtt]                              # the gateway's own broker, where sensors publish
host = "127.0.0.1"
port = 1883

[cloud]
address = $(toml_string "$broker")
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
    say "wrote $CONFIG"
}

prepare_data_dir() {
    mkdir -p "$DATA_DIR"
    chmod 0750 "$DATA_DIR"
    [ "$make_user" = 0 ] || chown "$SERVICE_USER:$SERVICE_USER" "$DATA_DIR"
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
    if [ "$use_systemd" = 1 ]; then
        systemctl daemon-reload
        systemctl enable "$UNIT"
        systemctl restart "$UNIT"
        say "started $UNIT (journalctl -u $UNIT -f)"
    fi
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
    rm -f "$CONFIG" "$CONFIG.bak"
    rmdir "$ETC" 2>/dev/null || true
    [ ! -d "$DATA_DIR" ] || remove_tree "$DATA_DIR"
    say "purged $CONFIG and $DATA_DIR"
    if [ "$make_user" = 1 ] && id -u "$SERVICE_USER" >/dev/null 2>&1; then
        userdel "$SERVICE_USER"
        say "removed user $SERVICE_USER"
    fi
}

main() {
    parse_args "$@"
    if [ "$uninstall" = 1 ]; then
        uninstall_all
        return 0
    fi
    [ -f "$UNIT_SRC" ] || die "$UNIT_SRC is missing: run this script from the deploy/ folder"
    check_config_args
    ensure_python
    ensure_user
    install_venv
    prepare_data_dir
    write_config
    install_mosquitto
    install_unit
    say "done: $("$VENV/bin/python" -c 'import importlib.metadata as m; print("nanogate", m.version("nanogate"))')"
}

main "$@"

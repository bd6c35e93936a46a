#!/usr/bin/env bash
# Builds the registry-free images the Docker integration tests and benchmarks use.
#
#   hortus-test/busybox:latest  FROM scratch + static busybox with applet symlinks,
#                               /bin/sh, /tmp, /etc/passwd, default CMD `sh`
#
# Idempotent: an image whose `hortus.test-image.hash` label matches the current inputs
# (Dockerfile + busybox binary) is kept, so a second run takes about a second.
# Needs: docker, and root (or sudo) to install Debian's `busybox-static` when no static
# busybox is found. Never contacts a container registry.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
images_dir="$repo_root/testdata/images"

log() { printf 'build-test-images: %s\n' "$*"; }
die() { printf 'build-test-images: error: %s\n' "$*" >&2; exit 1; }

command -v docker >/dev/null || die "docker is not installed"
docker version --format '{{.Server.Version}}' >/dev/null 2>&1 \
    || die "cannot reach the Docker engine (DOCKER_HOST=${DOCKER_HOST:-unset})"

is_static() {
    # A static binary has no program interpreter; `file` may be absent, so ask the ELF
    # header through readelf/ldd when present, else trust the Debian package.
    local bin="$1"
    [ -x "$bin" ] || return 1
    if command -v readelf >/dev/null 2>&1; then
        ! readelf -l "$bin" 2>/dev/null | grep -q 'Requesting program interpreter'
    elif command -v file >/dev/null 2>&1; then
        file -L "$bin" | grep -q 'statically linked'
    else
        ! ldd "$bin" >/dev/null 2>&1
    fi
}

find_busybox() {
    local candidate
    for candidate in /bin/busybox /usr/bin/busybox; do
        if is_static "$candidate"; then
            printf '%s\n' "$candidate"
            return 0
        fi
    done
    return 1
}

busybox_bin="$(find_busybox || true)"
if [ -z "$busybox_bin" ]; then
    log "no static busybox found: installing Debian's busybox-static"
    sudo_cmd=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || die "need root or sudo to install busybox-static"
        sudo_cmd=(sudo)
    fi
    export DEBIAN_FRONTEND=noninteractive
    "${sudo_cmd[@]}" apt-get update -qq
    "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends busybox-static >/dev/null
    busybox_bin="$(find_busybox || true)"
    [ -n "$busybox_bin" ] || die "busybox-static installed but no static /bin/busybox found"
fi

# build_busybox_image TAG: prepares a context in a temp dir and runs `docker build`.
build_busybox_image() {
    local tag="$1"
    local dockerfile="$images_dir/busybox/Dockerfile"
    [ -f "$dockerfile" ] || die "missing $dockerfile"

    local hash
    hash="$( { cat "$dockerfile"; sha256sum "$busybox_bin"; } | sha256sum | cut -c1-16)"
    local current
    current="$(docker image inspect --format '{{ index .Config.Labels "hortus.test-image.hash" }}' "$tag" 2>/dev/null || true)"
    if [ "$current" = "$hash" ]; then
        log "$tag is up to date (hash $hash)"
        return 0
    fi

    local ctx
    ctx="$(mktemp -d)"
    # shellcheck disable=SC2064 # expand now: the trap must remove this very directory
    trap "rm -rf '$ctx'" RETURN
    local root="$ctx/rootfs"
    mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/usr/sbin" "$root/etc" \
        "$root/tmp" "$root/root" "$root/var/www" "$root/home" "$root/proc" "$root/sys" "$root/dev"
    chmod 1777 "$root/tmp"
    cp "$busybox_bin" "$root/bin/busybox"
    chmod 0755 "$root/bin/busybox"

    # One symlink per applet, at the path busybox itself reports (bin/sh, usr/bin/wget...).
    local applet
    while IFS= read -r applet; do
        applet="${applet#/}"
        [ -n "$applet" ] || continue
        [ "$applet" = "bin/busybox" ] && continue
        mkdir -p "$root/$(dirname "$applet")"
        ln -sf /bin/busybox "$root/$applet"
    done < <("$busybox_bin" --list-full)
    [ -L "$root/bin/sh" ] || die "busybox did not list a \`sh\` applet"

    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' >"$root/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
    printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
    printf 'hortus test image\n' >"$root/var/www/index.html"

    cp "$dockerfile" "$ctx/Dockerfile"
    log "building $tag from $dockerfile"
    DOCKER_BUILDKIT=0 docker build --quiet --label "hortus.test-image.hash=$hash" \
        -t "$tag" "$ctx" >/dev/null
    log "built $tag (hash $hash, $(docker image inspect --format '{{.Size}}' "$tag") bytes)"
}

build_busybox_image "hortus-test/busybox:latest"
log "images ready: hortus-test/busybox:latest"

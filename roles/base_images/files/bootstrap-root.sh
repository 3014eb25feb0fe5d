#!/bin/sh
# Bootstrap a Debian minbase root, slim it, and pack it as a tar for `ADD rootfs.tar /`.
# Usage: bootstrap-root.sh SUITE MIRROR OUTPUT_TAR
set -eu
suite=$1 mirror=$2 out=$3
root=$(mktemp -d "${out%/*}/rootfs.XXXXXX")
trap 'rm -rf "$root"' EXIT
debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$root.log" 2>&1 || {
  tail -n 30 "$root.log" >&2; rm -f "$root.log"; exit 1; }
rm -f "$root.log"

# Keep later package installs slim too.
cat >"$root/etc/dpkg/dpkg.cfg.d/01-pyfleet-slim" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/lintian/*
CFG
cat >"$root/etc/apt/apt.conf.d/01-pyfleet-slim" <<'CFG'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Binary::apt::APT::Keep-Downloaded-Packages "false";
Acquire::Languages "none";
CFG

rm -rf "$root"/var/cache/apt/* "$root"/var/lib/apt/lists/* "$root"/var/log/* \
       "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* \
       "$root"/usr/share/locale/* "$root"/tmp/* "$root"/var/tmp/*
tar -C "$root" --numeric-owner -cf "$out.partial" .
mv "$out.partial" "$out"

#!/bin/sh
# Installs or updates Runnel on a gateway from this unpacked package:
#   sudo ./install.sh [--root DIR] [--no-start]
# Copies files/ onto the system: the binary into /usr/local/lib/runnel
# (runnel in /usr/local/bin links to it), the systemd unit, and the default
# configuration (/etc/runnel/graph.json, /etc/default/runnel), which an
# update never overwrites. Then enables and (re)starts runnel.service.
# --root installs into DIR instead of / (a staged image: the unit is enabled
# there, nothing is started). Details: DEPLOY.md.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=""
start=yes
while [ $# -gt 0 ]; do
  case "$1" in
    --root) root=$2; shift 2 ;;
    --no-start) start=no; shift ;;
    *) echo "usage: install.sh [--root DIR] [--no-start]" >&2; exit 2 ;;
  esac
done

files="$here/files"
lib="$root/usr/local/lib/runnel"
install -d "$lib" "$root/usr/local/bin" "$root/etc/runnel" "$root/etc/default" \
  "$root/etc/systemd/system" "$root/usr/local/share/doc/runnel"

# Replace the binary atomically: a running service keeps its old file.
install -m 0755 "$files/usr/local/lib/runnel/runnel" "$lib/runnel.new"
mv -f "$lib/runnel.new" "$lib/runnel"
# Packages before 2026-11-25 shipped libsimdjson beside it; nothing loads it now.
rm -f "$lib/libsimdjson.so.14"
ln -sf ../lib/runnel/runnel "$root/usr/local/bin/runnel"
install -m 0644 "$files/etc/systemd/system/runnel.service" "$root/etc/systemd/system/"
install -m 0644 "$files/usr/local/share/doc/runnel/DEPLOY.md" "$root/usr/local/share/doc/runnel/"

# Configuration: the package's defaults only where there is none yet.
for f in etc/runnel/graph.json etc/default/runnel; do
  if [ -e "$root/$f" ]; then
    echo "install.sh: keeping /$f (the package's version: $files/$f)"
  else
    install -m 0644 "$files/$f" "$root/$f"
  fi
done

if [ -z "$root" ]; then
  systemctl daemon-reload
  systemctl enable runnel.service
  if [ "$start" = yes ]; then systemctl restart runnel.service; fi
elif command -v systemctl >/dev/null; then
  systemctl --root="$root" enable runnel.service  # starts at the image's boot
fi
echo "install.sh: $(basename "$here") installed in ${root:-/}"

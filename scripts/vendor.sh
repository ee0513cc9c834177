#!/usr/bin/env bash
# Refreshes static/vendor/ from the npm registry (versions as in static/vendor/VERSIONS.md).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent socket.io-client@4.8.4 htmx.org@2.0.11 axe-core@4.14.1 >/dev/null)
tar xzf "$tmp"/socket.io-client-4.8.4.tgz -C "$tmp" package/dist/socket.io.min.js package/LICENSE
cp "$tmp"/package/dist/socket.io.min.js static/vendor/socket.io.min.js
cp "$tmp"/package/LICENSE static/vendor/LICENSE.socket.io-client
rm -rf "$tmp"/package
tar xzf "$tmp"/htmx.org-2.0.11.tgz -C "$tmp" package/dist/htmx.min.js package/LICENSE
cp "$tmp"/package/dist/htmx.min.js static/vendor/htmx.min.js
cp "$tmp"/package/LICENSE static/vendor/LICENSE.htmx
rm -rf "$tmp"/package
# axe-core is test-only (the browser tests inject it through DevTools); it is never served.
tar xzf "$tmp"/axe-core-4.14.1.tgz -C "$tmp" package/axe.min.js package/LICENSE
cp "$tmp"/package/axe.min.js tests/browser/vendor/axe.min.js
cp "$tmp"/package/LICENSE tests/browser/vendor/LICENSE.axe-core

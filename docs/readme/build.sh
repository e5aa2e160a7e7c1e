#!/usr/bin/env bash
# Rebuild README.md from the section files in docs/readme/ (edit those, then run this).
# Layer details live in src/dialogue_engine/*/README.md; the top section links them.
set -euo pipefail
cd "$(dirname "$0")"
{
  cat 00-top.md
  for f in app.md content.md knowledge-notes.md llm.md; do
    printf '\n'
    # Sections whose top heading is "# " move one level down; lines inside code fences are left alone.
    awk -v demote="$(head -n1 "$f" | grep -c '^# ')" '
      /^```/ { fence = !fence }
      !fence && demote == 1 && /^#/ { $0 = "#" $0 }
      { print }' "$f"
  done
} | sed -e 's#(\.\./screenshots/#(docs/screenshots/#g' \
        -e 's#(\.\./\.\./src/#(src/#g' \
        -e 's#(\.\./ARCHITECTURE\.md#(docs/ARCHITECTURE.md#g' > ../../README.md

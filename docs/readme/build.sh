#!/usr/bin/env bash
# Rebuild README.md from the section files in docs/readme/ (edit those, then run this).
set -euo pipefail
cd "$(dirname "$0")"
{
  cat 00-top.md
  for f in app.md content.md knowledge.md knowledge-notes.md negotiation.md agents.md llm.md exercise.md; do
    printf '\n'
    # Sections whose top heading is "# " move one level down; lines inside code fences are left alone.
    awk -v demote="$(head -n1 "$f" | grep -c '^# ')" '
      /^```/ { fence = !fence }
      !fence && demote == 1 && /^#/ { $0 = "#" $0 }
      { gsub(/\(\.\.\/screenshots\//, "(docs/screenshots/"); print }' "$f"
  done
} > ../../README.md

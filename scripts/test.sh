#!/usr/bin/env bash
# The whole test suite: builds the test images (no registry needed), then every unit,
# snapshot, CLI and Docker integration test, then the doc tests. CI runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build-test-images.sh
cargo nextest run --workspace --all-features --no-fail-fast
cargo test --workspace --all-features --doc

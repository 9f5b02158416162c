# Kinapse — the two commands on a fresh Debian machine with Swift:
#   make run    build, then simulate theta-burst iLTP on the Golgi–granule synapse into out/
#               (as native code: the same results, compiled once by the system's C compiler and cached)
#   make test   build and run the test suite
# Each target installs SUNDIALS and KLU (Debian's libsundials-dev, libsuitesparse-dev),
# HDF5 (libhdf5-dev, for NWB recordings), GLPK (libglpk-dev, for flux-balance analysis),
# LAPACK/BLAS (liblapack-dev, libblas-dev) and OpenMPI (openmpi-bin, for MPI runs) first if
# they are missing.

SWIFT      ?= swift
SUNDIALS_H := /usr/include/cvodes/cvodes.h
KLU_H      := /usr/include/suitesparse/klu.h
HDF5_H     := /usr/include/hdf5/serial/hdf5.h
GLPK_H     := /usr/include/glpk.h
VENV       := .build-venv
# OpenMPI (openmpi-bin: mpirun and libmpi), for `mpirun -n N kinapse …` and its tests; kinapse
# loads libmpi only when mpirun starts it (Sources/CMPI/include/kinapse_mpi.h), so no headers.
MPIRUN     := /usr/bin/mpirun
# LAPACK and BLAS (liblapack-dev, libblas-dev; OpenBLAS also provides them), which fitting
# loads at run time (Sources/CLapack/include/kinapse_lapack.h says why it is not linked).
LAPACK_SO  := $(firstword $(wildcard /usr/lib/*/liblapack.so /usr/lib/liblapack.so))
BLAS_SO    := $(firstword $(wildcard /usr/lib/*/libblas.so /usr/lib/libblas.so))
SUDO       := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# The tests build optimised, since a rig synapse's full protocol costs ~3 s optimised and
# 30–60 s in a debug build, in a directory of their own (so `make run` and `make test` never
# rebuild each other's), with @testable imports (-enable-testing) and the test-only hooks the
# shipped binary lacks (KINAPSE_TEST_HOOKS: forced solver faults, a pause before renames).
TESTS      := -c release --scratch-path .build/tests -Xswiftc -enable-testing -Xswiftc -DKINAPSE_TEST_HOOKS

.PHONY: all deps build run test bench crosscheck clean sbml-suite fuzz sensitivity-check petab

all: build

deps:
	@if [ ! -f $(SUNDIALS_H) ]; then \
		echo "kinapse: SUNDIALS headers missing; installing libsundials-dev"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq libsundials-dev; \
	fi
	@if [ ! -f $(KLU_H) ]; then \
		echo "kinapse: KLU headers missing; installing libsuitesparse-dev"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq libsuitesparse-dev; \
	fi
	@if [ ! -f $(HDF5_H) ]; then \
		echo "kinapse: HDF5 headers missing; installing libhdf5-dev"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq libhdf5-dev; \
	fi
	@if [ ! -f $(GLPK_H) ]; then \
		echo "kinapse: GLPK headers missing; installing libglpk-dev"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq libglpk-dev; \
	fi
	@if [ ! -x $(MPIRUN) ]; then \
		echo "kinapse: OpenMPI's mpirun missing; installing openmpi-bin"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq openmpi-bin; \
	fi
	@if [ -z "$(LAPACK_SO)" ] || [ -z "$(BLAS_SO)" ]; then \
		echo "kinapse: LAPACK/BLAS missing; installing liblapack-dev libblas-dev"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq liblapack-dev libblas-dev; \
	fi

build: deps
	$(SWIFT) build -c release --product kinapse

run: build
	@mkdir -p out
	.build/release/kinapse simulate Pathways/synapses/golgi_granule.toml --protocol tbs --native-code \
		--out out/golgi_granule_tbs.csv --readouts out/golgi_granule_tbs_readouts.csv \
		--summary out/golgi_granule_tbs_summary.csv --plot out/golgi_granule_tbs.svg
	@echo "wrote out/golgi_granule_tbs.csv (time courses every 1 s; --test-traces adds each test stimulus's 0.1-ms samples), out/golgi_granule_tbs_readouts.csv (test stimuli), out/golgi_granule_tbs_summary.csv, out/golgi_granule_tbs.svg (figure)"

# The test suite includes the SBML Test Suite regression check: every case listed in
# Fixtures/sbml-suite-passing.txt must still pass (skipped when ../shared is absent).
test: deps
	$(SWIFT) build $(TESTS) --build-tests
	$(SWIFT) test $(TESTS) --skip-build

# The full SBML Test Suite report (release build), checked against the passing list.
SBML_SUITE ?= ../shared/sbml-test-suite
sbml-suite: build
	.build/release/kinapse sbml-suite $(SBML_SUITE) --expect-passing Fixtures/sbml-suite-passing.txt

# The PEtab benchmark problems (../shared/petab/benchmark): llh against the references,
# load and gradient times (Benchmarks/petab_bench.sh). PETAB_ARGS="--fit 180" adds the
# single-threaded multi-starts, 180 s of CPU each; problem names after it limit the run.
PETAB_ARGS ?=
petab: build
	Benchmarks/petab_bench.sh .build/release/kinapse $(PETAB_ARGS)

# One table: Kinapse against the C baselines and libRoadRunner (PyPI, in .build-venv) on the
# TBS model and the dendrite-chain family (N = 1..1000), plus make run and stdp timings,
# and fits and stdp sweeps on 1 and 2 MPI ranks (Benchmarks/mpi_bench.sh).
bench: deps
	$(SWIFT) build -c release --product kinapse
	@[ -x $(VENV)/bin/python ] || python3 -m venv $(VENV)
	@$(VENV)/bin/python -c "import roadrunner" 2>/dev/null || $(VENV)/bin/pip install -q libroadrunner
	python3 Benchmarks/bench.py .build/release/kinapse --python $(VENV)/bin/python
	bash Benchmarks/parse_scaling.sh .build/release/kinapse
	bash Benchmarks/fit_bench.sh .build/release/kinapse
	python3 Benchmarks/event_bench.py .build/release/kinapse
	$(SWIFT) build -c release --product kinapse-synth-recording
	bash Benchmarks/readouts_bench.sh .build/release
	bash Benchmarks/steady_state_bench.sh .build/release
	python3 Benchmarks/ssa_bench.py .build/release/kinapse --python $(VENV)/bin/python
	bash Benchmarks/mpi_bench.sh .build/release/kinapse
	bash Benchmarks/rig_bench.sh .build/release/kinapse

# The dose-response of each table row's abolishing drug (its ic50 declared in the synapse file):
# the row's protocol at log-spaced concentrations, a Hill fit, CSV + SVG per row and a summary
# table in out/dose-response (Benchmarks/dose_response.py; release build; ~15 CPU-minutes).
.PHONY: dose-response
dose-response: build
	python3 Benchmarks/dose_response.py .build/release/kinapse

# Sensitivities of every parameter of every synapse that gives them (the quantal
# engine-test fixtures; a rig with a [recording] has none) against central finite
# differences on the full protocols (release build; slow: ~1 h on 2 cores).
sensitivity-check: build
	bash Benchmarks/sensitivity_check.sh .build/release/kinapse

# libFuzzer over every reader (Fuzz/run.sh): FUZZ_SECONDS per target, FUZZ_TARGETS to pick.
FUZZ_SECONDS ?= 60
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) SWIFT=$(SWIFT) bash Fuzz/run.sh

clean:
	rm -rf .build .build-bench .build-fuzz out

# Compare with libRoadRunner (PyPI) on every shipped and cross-check model.
crosscheck: build
	@[ -x $(VENV)/bin/python ] || python3 -m venv $(VENV)
	@$(VENV)/bin/python -c "import roadrunner, antimony" 2>/dev/null || $(VENV)/bin/pip install -q libroadrunner antimony
	$(VENV)/bin/python Benchmarks/crosscheck.py .build/release/kinapse

# Export every shipped pathway and synapse model to SBML and run libSBML's consistency
# check on it (python-libsbml from PyPI, in .build-venv). Fails on any libSBML error;
# warnings (undeclared units) are counted, not fatal.
.PHONY: sbml-validate
sbml-validate: build
	@[ -x $(VENV)/bin/python ] || python3 -m venv $(VENV)
	@$(VENV)/bin/python -c "import libsbml" 2>/dev/null || $(VENV)/bin/pip install -q python-libsbml
	@rm -rf out/sbml && mkdir -p out/sbml
	@set -e; for f in $$(find Pathways Benchmarks/models Fixtures/crosscheck -name '*.ant' | sort); do \
		.build/release/kinapse export $$f --sbml out/sbml/$$(echo $${f%.ant} | tr / _).xml; \
	done
	$(VENV)/bin/python Benchmarks/sbml_validate.py out/sbml/*.xml
